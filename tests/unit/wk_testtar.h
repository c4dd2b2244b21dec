/*  wk_testtar - test helper: writes tars (pax restricted, optionally
    through a compression filter) with libarchive, with content from a
    seeded generator that tests can regenerate to compare files.  */
#ifndef WK_TESTTAR_H_INCLUDED
#define WK_TESTTAR_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wk_testtar wk_testtar_t;

//  Create path as a tar; filter is NULL, "gzip" or "zip" (zip format).
//  Aborts on failure (a test bug). Caller owns the result.
wk_testtar_t *wk_testtar_new (const char *path, const char *filter);
//  Finish the archive and nullify the reference; NULL-safe.
void wk_testtar_destroy (wk_testtar_t **self_p);
//  Add a regular file with the given bytes.
void wk_testtar_file (wk_testtar_t *self,
                      const char *name,
                      const void *data,
                      size_t size,
                      int mode);
//  Add a regular file of size pseudo-random bytes from seed (streamed).
void wk_testtar_random (wk_testtar_t *self,
                        const char *name,
                        uint64_t size,
                        uint64_t seed);
//  Add a directory and a symlink.
void wk_testtar_dir (wk_testtar_t *self, const char *name);
void
wk_testtar_symlink (wk_testtar_t *self, const char *name, const char *target);
//  Fill buf with the generator's bytes, continuing from *state.
void wk_testtar_fill (uint8_t *buf, size_t size, uint64_t *state);
//  True when the file at path holds exactly size bytes from seed.
bool wk_testtar_check_random (const char *path, uint64_t size, uint64_t seed);
//  True when the file at path holds exactly these bytes.
bool wk_testtar_check_bytes (const char *path, const void *data, size_t size);
//  Make a fresh temporary directory; caller frees the result. rm -rf it
//  with wk_testtar_rmtree.
char *wk_testtar_tmpdir (void);
void wk_testtar_rmtree (const char *dir);
#endif
