/*  gw_manifest - what the gateway needs of a DxF image manifest
    (worker/wk_manifest.h documents the format): its file table, path ->
    size, read in one streaming pass so that memory follows the number of
    files, never the manifest's text (chunk tables are skipped). Regular
    files have their size; a hard link has its target's; directories and
    symbolic links are listed but are not files.

    Manifests are immutable (an image is named by its content), so loaded
    ones are shared through a bounded LRU cache (thread-safe) and counted
    references: an entry evicted while a request uses it lives until that
    request releases it.  */
#ifndef GW_MANIFEST_H_INCLUDED
#define GW_MANIFEST_H_INCLUDED
#include "edge_store.h"
#include "gw_pathtab.h"
#include <stddef.h>
#include <stdint.h>

typedef struct gw_manifest gw_manifest_t;

//  Longest path kept (longer ones make the manifest malformed).
#define GW_MANIFEST_PATH_MAX 4096

//  Read the manifest file at path. Returns NULL with a reason in err
//  (errsize bytes; "cannot open ..." when it does not exist) when it
//  cannot be read or is malformed. Caller owns the result (one reference).
gw_manifest_t *gw_manifest_load (const char *path, char *err, size_t errsize);
//  Drop the caller's reference (freeing on the last) and nullify;
//  NULL-safe.
void gw_manifest_release (gw_manifest_t **self_p);
//  Size of the file named by path (len bytes): >= 0 for a regular file or
//  a hard link to one, -1 when the image has that path but it is not a
//  file (directory, symbolic link), -2 when the image has no such path.
int64_t
gw_manifest_file_size (const gw_manifest_t *self, const char *path, size_t len);
//  Number of entries (files, directories, links).
size_t gw_manifest_count (const gw_manifest_t *self);

//  Bounded cache of loaded manifests keyed by their file path, or by the
//  name given for a manifest in a store.
typedef struct gw_manifest_cache gw_manifest_cache_t;
//  A cache of at most max_entries manifests and about max_bytes of
//  tables (the newest entry is kept even when it alone is bigger).
//  Caller owns the result.
gw_manifest_cache_t *gw_manifest_cache_new (size_t max_entries,
                                            size_t max_bytes);
//  Free the cache (entries in use live on until released); nullify;
//  NULL-safe.
void gw_manifest_cache_destroy (gw_manifest_cache_t **self_p);
//  The manifest at path, from the cache or loaded (then cached). Returns
//  a new reference (release with gw_manifest_release) or NULL with err
//  as gw_manifest_load. Thread-safe.
gw_manifest_t *gw_manifest_cache_get (gw_manifest_cache_t *self,
                                      const char *path,
                                      char *err,
                                      size_t errsize);
//  The manifest stored as key in store (one thread's: the caller's),
//  cached under name (the depot's URL and key: never a local path, which
//  another depot could share): from the cache, or downloaded into a
//  temporary file (under TMPDIR, else /tmp), loaded and removed. Returns a
//  new reference or NULL with err (the store's reason when the download
//  failed). Thread-safe.
gw_manifest_t *gw_manifest_cache_get_stored (gw_manifest_cache_t *self,
                                             const char *name,
                                             edge_store_t *store,
                                             const char *key,
                                             char *err,
                                             size_t errsize);
//  Entries cached now.
size_t gw_manifest_cache_count (gw_manifest_cache_t *self);
#endif
