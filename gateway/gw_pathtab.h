/*  gw_pathtab - a table of distinct strings (file paths) numbered in the
    order they were first added, with hashed lookup. The manifest reader
    maps an image's file paths to their sizes with it; a trace interns the
    paths it accesses. The hash is keyed with a random per-process key, so
    client-chosen strings cannot be made to collide. Not thread-safe while
    being filled; lookups on a table nobody changes may run in several
    threads.  */
#ifndef GW_PATHTAB_H_INCLUDED
#define GW_PATHTAB_H_INCLUDED
#include <stddef.h>
#include <stdint.h>

typedef struct gw_pathtab gw_pathtab_t;

//  An empty table. Caller owns the result.
gw_pathtab_t *gw_pathtab_new (void);
//  Free the table and its strings, nullify; NULL-safe.
void gw_pathtab_destroy (gw_pathtab_t **self_p);
//  The index of path (len bytes, copied when new): an existing entry's,
//  or the next index when it is added.
size_t gw_pathtab_intern (gw_pathtab_t *self, const char *path, size_t len);
//  The index of path (len bytes), or -1 when absent. Does not allocate.
int64_t
gw_pathtab_find (const gw_pathtab_t *self, const char *path, size_t len);
//  The number of strings.
size_t gw_pathtab_count (const gw_pathtab_t *self);
//  String index (NUL-terminated) and its length. Borrowed: valid while
//  the table lives.
const char *gw_pathtab_at (const gw_pathtab_t *self, size_t index, size_t *len);
//  Bytes the table holds (strings and index), for cache budgets.
size_t gw_pathtab_bytes (const gw_pathtab_t *self);
#endif
