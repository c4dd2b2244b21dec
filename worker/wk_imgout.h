/*  wk_imgout - the output side of an image build: the chunk store (SHA-256
    names, deduplication index), segment files written in load order, zstd
    compression when it saves space, and the manifest. wk_image feeds it
    from a tar; wk_patch uses its segment writer.

    Memory: one compression buffer, one table entry (~56 bytes) and one
    index slot per unique chunk, and the chunk list of the current file.  */
#ifndef WK_IMGOUT_H_INCLUDED
#define WK_IMGOUT_H_INCLUDED
#include "wk_image.h"
#include "wk_manifest.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct wk_imgout wk_imgout_t;

typedef struct {
    uint64_t segment_max; //  segment size limit in bytes
    int zstd_level;       //  0: store chunks uncompressed
} wk_imgout_opts_t;

//  A manifest entry. Strings are borrowed for the call.
typedef struct {
    const char *path;   //  cleaned relative path
    const char *target; //  link target for 'l' and 'h', else NULL
    char type;          //  'f' file, 'd' directory, 'l' symlink, 'h' hardlink
    uint64_t size;      //  file size ('f' only)
    uint32_t mode;      //  permission bits
    int64_t mtime;      //  seconds since the epoch
} wk_imgout_entry_t;

//  Create the output in dir (created if missing). Returns NULL if the
//  directory or the spool file cannot be created. Caller owns the result.
wk_imgout_t *wk_imgout_new (const char *dir, const wk_imgout_opts_t *opts);
//  Destroy and nullify the caller's reference; removes the spool file;
//  NULL-safe.
void wk_imgout_destroy (wk_imgout_t **self_p);
//  Start the chunk list of a regular file.
void wk_imgout_file_begin (wk_imgout_t *self);
//  Add the next chunk of the current file, at file_offset: stored once per
//  content. Returns 0, or -1 on a write failure (see errstr).
int wk_imgout_chunk (wk_imgout_t *self,
                     const uint8_t *data,
                     uint32_t len,
                     uint64_t file_offset);
//  Append an entry (for 'f': with the chunks added since file_begin).
//  Returns 0, or -1 on a write failure.
int wk_imgout_entry (wk_imgout_t *self, const wk_imgout_entry_t *entry);
//  Close the last segment, write manifest.json and fill info (with the
//  dxfName). Returns 0, or -1 on a write failure.
int wk_imgout_finish (wk_imgout_t *self, wk_image_info_t *info);
//  The last failure, borrowed: valid until the next call.
const char *wk_imgout_errstr (const wk_imgout_t *self);
//  SHA-256 of a file's contents, read in blocks. Returns 0, or -1.
int wk_imgout_sha256_file (const char *path, unsigned char digest[32]);
//  Create dir and its missing parents (mode 0755). Returns 0, or -1.
int wk_imgout_mkdir_p (const char *dir);
//  Write row index of a manifest's "chunks" table: chunk (where it is
//  stored), at place order in the load order; rows after the first are
//  preceded by ",\n".
void wk_imgout_chunk_row (FILE *out,
                          uint32_t index,
                          const wk_manifest_chunk_t *chunk,
                          uint32_t order);

//  Writes a manifest's text into out. Returns 0, or -1 with a reason in
//  err.
typedef int (wk_imgout_body_fn) (void *arg,
                                 FILE *out,
                                 char *err,
                                 size_t errsize);
//  Write dir/manifest.json through a temporary file (removed on failure)
//  filled by body, then compute its dxfName into dxf_name. Returns 0, or
//  -1 with a reason in err.
int wk_imgout_write_manifest (const char *dir,
                              wk_imgout_body_fn *body,
                              void *arg,
                              char dxf_name[WK_IMAGE_NAME_SIZE],
                              char *err,
                              size_t errsize);

//  A sequence of segment files seg_NNNNN.bin in dir, each at most max bytes
//  (a single larger record gets a segment of its own).
typedef struct {
    char *dir;       //  owned
    uint64_t max;    //  size limit
    FILE *file;      //  the open segment, or NULL
    uint32_t count;  //  segments started
    uint64_t *sizes; //  size of each segment (owned, count entries)
} wk_imgout_segs_t;

//  Initialise a writer on caller storage. dir is copied.
void
wk_imgout_segs_init (wk_imgout_segs_t *segs, const char *dir, uint64_t max);
//  Append len bytes as one record; sets *segment and *offset. Returns 0 or -1.
int wk_imgout_segs_write (wk_imgout_segs_t *segs,
                          const void *data,
                          size_t len,
                          uint32_t *segment,
                          uint64_t *offset);
//  Write the rows {"name","size"} of a manifest's "segments" table, comma
//  separated. Returns the sum of the segments' sizes.
uint64_t wk_imgout_segs_table (const wk_imgout_segs_t *segs, FILE *out);
//  Close the open segment. Returns 0, or -1 if flushing failed.
int wk_imgout_segs_close (wk_imgout_segs_t *segs);
//  Release the writer's memory (closes without checking).
void wk_imgout_segs_fini (wk_imgout_segs_t *segs);
#endif
