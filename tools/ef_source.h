/*  ef_source - where edge-fetch reads an image or a patch from: a local
    directory or an http(s) base URL (libcurl, one range request per read).
    Names are plain file names inside the source (manifest.json,
    seg_00000.bin ...).  */
#ifndef EF_SOURCE_H_INCLUDED
#define EF_SOURCE_H_INCLUDED
#include <stddef.h>
#include <stdint.h>

typedef struct ef_source ef_source_t;

//  Open location: "http://…" or "https://…" is a URL, anything else a
//  directory. Returns NULL if a directory does not exist. Caller owns the
//  result.
ef_source_t *ef_source_new (const char *location);
//  Destroy and nullify the caller's reference; NULL-safe.
void ef_source_destroy (ef_source_t **self_p);
//  Read a whole small file. Returns 0 and a buffer the caller owns (NUL
//  terminated, *len bytes), or -1 (see errstr).
int
ef_source_load (ef_source_t *self, const char *name, char **text, size_t *len);
//  Read exactly len bytes of name at offset into buf. Returns 0, or -1.
int ef_source_read (ef_source_t *self,
                    const char *name,
                    uint64_t offset,
                    void *buf,
                    size_t len);
//  True when name exists in the source.
int ef_source_exists (ef_source_t *self, const char *name);
//  The location and the last failure, borrowed: valid until the next call.
const char *ef_source_location (const ef_source_t *self);
const char *ef_source_errstr (const ef_source_t *self);
#endif
