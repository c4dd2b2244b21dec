/*  wk_mscan - a streaming JSON reader for manifest.json (internal to
    wk_manifest: wk_manifest_load_chunks and wk_manifest_copy_member).

    It reads a file through a fixed 64 KiB buffer and walks it with
    callbacks, keeping nothing but what the callbacks keep, so memory
    follows what the caller stores, never the size of the text. It accepts
    what jansson accepts for the values it reads (integers up to INT64_MAX,
    strings with escapes; objects and arrays nested at most
    WK_MSCAN_DEPTH deep) and refuses the rest. A string escape beyond ASCII
    reads as byte 0x80, so no kept string (a key, a name, a hash) can hold
    one.

    Functions that walk a value return 0, or -1 when the text is malformed
    or a callback returned non-zero; the reason is in the caller's err
    buffer once wk_mscan_root returns. Not thread-safe: one scan per
    thread.  */
#ifndef WK_MSCAN_H_INCLUDED
#define WK_MSCAN_H_INCLUDED
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WK_MSCAN_DEPTH  32  //  nesting limit (a manifest nests 5 deep)
#define WK_MSCAN_STRING 128 //  longest kept string (a key, name or hash)

typedef struct wk_mscan wk_mscan_t;

//  Called for each member of an object with its key ("" when longer than
//  WK_MSCAN_STRING - 1); it must read or skip the value. Non-zero stops.
typedef int (wk_mscan_member_fn) (wk_mscan_t *scan, const char *key, void *arg);
//  Called for each element of an array (index from 0); it must read or
//  skip the element. Non-zero stops.
typedef int (wk_mscan_item_fn) (wk_mscan_t *scan, size_t index, void *arg);

//  Open the file at path for a scan; reasons go to err (errsize bytes),
//  which starts empty. Returns NULL with "cannot open <path>" in err.
//  Caller owns the result; err is borrowed until wk_mscan_destroy.
wk_mscan_t *wk_mscan_open (const char *path, char *err, size_t errsize);
//  Close the file, destroy and nullify the caller's reference; NULL-safe.
void wk_mscan_destroy (wk_mscan_t **self_p);

//  Walk the root object, calling member for each of its members, then
//  require the end of the file. Returns 0, or -1 with err set: the
//  callback's reason when it gave one (wk_mscan_fail), else "cannot read
//  <path>" or "not JSON near byte <n>".
int wk_mscan_root (wk_mscan_t *self, wk_mscan_member_fn *member, void *arg);
//  Walk an object value, calling member for each member.
int wk_mscan_object (wk_mscan_t *self, wk_mscan_member_fn *member, void *arg);
//  Walk an array value, calling item for each element.
int wk_mscan_array (wk_mscan_t *self, wk_mscan_item_fn *item, void *arg);
//  Skip one value of any type.
int wk_mscan_skip (wk_mscan_t *self);
//  Read a number: *value is the integer, or -1 when it is a real. Fails on
//  any other type and on integers beyond INT64_MAX.
int wk_mscan_number (wk_mscan_t *self, int64_t *value);
//  Read a member's value as an integer: *value is -1 when it is of another
//  type or a real (the value is then skipped).
int wk_mscan_int (wk_mscan_t *self, int64_t *value);
//  Read a member's value as a string into out (cap bytes): out is "" when
//  it is of another type (skipped) or does not fit.
int wk_mscan_string (wk_mscan_t *self, char *out, size_t cap);
//  The next byte after white space, without consuming it (EOF at the end).
int wk_mscan_peek (wk_mscan_t *self);
//  Put a reason into err (printf format) and return -1.
int wk_mscan_fail (wk_mscan_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Index of key in the NULL-terminated names (at most 32), setting its bit
//  in *seen: -1 when key is not there, -2 when its bit was already set (a
//  repeated member, which jansson refuses too).
int
wk_mscan_key_index (const char *key, const char *const *names, unsigned *seen);

//  Copy the JSON text of the root member key of the file at path to out,
//  byte for byte (the first one when repeated). Returns 0, or -1 with a
//  reason in err when the file cannot be read, is not JSON or has no such
//  member (write errors are left on out: check ferror).
int wk_mscan_copy_member (
    const char *path, const char *key, FILE *out, char *err, size_t errsize);
#endif
