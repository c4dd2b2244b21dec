/*  edge_util - allocation that never returns NULL, clocks, names, random ids.  */
#ifndef EDGE_UTIL_H_INCLUDED
#define EDGE_UTIL_H_INCLUDED
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The number of elements of array, a true array (not a pointer): passing a
//  pointer fails to compile.
#define EDGE_COUNT(array)                                                      \
    (sizeof (array) / sizeof (array)[0]                                        \
     + 0 * sizeof (struct {                                                    \
           _Static_assert(!__builtin_types_compatible_p (                      \
                              __typeof__ (array), __typeof__ (&(array)[0])),   \
                          "EDGE_COUNT needs an array, not a pointer");         \
           int is_array;                                                       \
       }))

//  Allocators abort on out-of-memory (12-factor: the runner restarts us).
void *edge_malloc (size_t size);
void *edge_calloc (size_t count, size_t size);
void *edge_realloc (void *ptr, size_t size);
//  Make room for need elements of elem_size bytes in ptr, an array with
//  room for *cap elements (NULL while *cap is 0). When need > *cap the
//  capacity becomes *cap (first when *cap is 0) doubled until it holds need,
//  and *cap is updated; otherwise ptr comes back untouched. Takes ownership
//  of ptr; caller owns the result. Aborts, like edge_malloc, when the size
//  overflows size_t or memory runs out. The new capacity depends only on
//  *cap, need and first, so parallel arrays (one count) can each grow from a
//  copy of the same cap.
void *
edge_grow (void *ptr, size_t *cap, size_t need, size_t first, size_t elem_size);
//  Caller owns the result. NULL in, NULL out.
char *edge_strdup (const char *text);
//  printf into a new string. Caller owns the result.
char *edge_sprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
//  The same with a va_list, which it uses up (va_end it afterwards).
char *edge_vsprintf (const char *fmt, va_list args)
    __attribute__ ((format (printf, 1, 0)));
//  A growing text: data (NUL-terminated, NULL until the first append), its
//  length and capacity. Start as {0}; the caller owns data (free).
typedef struct {
    char *data;
    size_t len, cap;
} edge_text_t;
//  Append formatted text, growing as needed.
void edge_text_printf (edge_text_t *text, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Wall clock in milliseconds since the epoch.
int64_t edge_now_ms (void);
//  Monotonic clock in milliseconds (for deadlines and latency).
int64_t edge_mono_ms (void);
//  Format ms since the epoch as RFC 3339 UTC with milliseconds,
//  "2026-11-27T09:12:08.123Z", into buf (at least 32 bytes).
void edge_rfc3339 (int64_t ms, char *buf, size_t size);
//  Parse "2026-11-27T09:12:08Z" (optionally ".123" fractions, UTC "Z"
//  only) into ms since the epoch. Returns 0, or -1 when malformed.
int edge_rfc3339_parse (const char *text, int64_t *ms);

//  Fill buf with 2*nbytes lowercase hex characters of randomness + NUL.
void edge_random_hex (char *buf, size_t nbytes);
//  The same for identifiers that must be unique and unguessable enough but
//  are not secrets (request ids, task names): a per-thread ChaCha20 stream
//  seeded once from the system, so no system call per id. Never for keys,
//  tokens or passwords (a forked child would repeat its parent's stream).
void edge_id_hex (char *buf, size_t nbytes);
//  True when name matches ^[A-Za-z0-9_]{2,50}$ (orgs, users, apps, roles...).
bool edge_name_is_valid (const char *name);
//  True when name is a build name: ^[A-Za-z0-9_.-]{1,100}$ but not "."
//  or ".." (buildName: in Redis keys, task params and logs).
bool edge_build_name_is_valid (const char *name);
//  True when text is a safe request id: 1..128 chars of [A-Za-z0-9._:-].
bool edge_request_id_is_valid (const char *text);
//  Make a new unique task name for type into buf (at least 64 bytes):
//  "<type>_<yyyymmddhhmmss>_<10 hex>", matching the name pattern.
void edge_task_name_make (const char *type, char *buf, size_t size);
//  Sleep for ms milliseconds (restarted on EINTR unless *stop becomes true).
void edge_sleep_ms (int64_t ms, volatile int *stop);
#endif
