/*  wk_manifest - reads and validates a DxF image manifest (manifest.json).

    Format (version 1; JSON, one object):
      version      1
      format       "dxf";  hash "sha256"
      chunking     {"algorithm":"fastcdc","min","avg","max","seed"}
      segmentMax   segment size limit in bytes
      files        entries in tar order: {"path","type","mode","mtime"} with
                   type "file" (+ "size", "chunks": [[chunk, offset, length]
                   ...]), "dir", "symlink" (+ "target") or "hardlink"
                   (+ "target": the path of an earlier entry)
      chunks       [{"sha256","size","storedSize","compression":"zstd"|
                   "none","segment","offset"}], numbered by position
      loadOrder    chunk numbers in stream order
      segments     [{"name","size"}], numbered by position
      totalSize, storedSize, and "profile" and "preload" (null until traces)
    Optional (issue #6; older manifests lack them):
      chunks[i].order  the chunk's place in loadOrder (checked when there)
      preload      null, or {"percentile":90,"traces":n,"table":
                   [{"bandwidthBps":b,"bytes":p} ...]} by increasing b: a
                   launcher with bandwidth b may start the game after the
                   first p bytes of the stream (chunks' stored sizes in
                   loadOrder) have arrived, for that percentile of traces
      profile      null, or an object describing the fit (not read here)

    Loading checks everything a reader relies on (paths are relative without
    "..", chunk lists cover each file exactly, every chunk lies inside its
    segment), so a manifest from an untrusted origin cannot make a reader
    write outside its output directory or read past a segment.  */
#ifndef WK_MANIFEST_H_INCLUDED
#define WK_MANIFEST_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    unsigned char sha[32]; //  SHA-256 of the raw chunk
    uint32_t size;         //  raw size
    uint32_t stored;       //  size in the segment
    uint32_t segment;      //  segment index
    bool is_zstd;          //  stored zstd-compressed
    uint64_t offset;       //  offset in the segment
} wk_manifest_chunk_t;

typedef struct {
    uint32_t chunk;  //  chunk index
    uint32_t length; //  equals the chunk's size
    uint64_t offset; //  offset in the file
} wk_manifest_ref_t;

typedef struct {
    char *path;              //  relative path, no "..", no trailing "/"
    char *target;            //  symlink or hardlink target, else NULL
    char type;               //  'f', 'd', 'l' or 'h'
    uint64_t size;           //  'f': bytes
    uint32_t mode;           //  permission bits
    int64_t mtime;           //  seconds since the epoch
    wk_manifest_ref_t *refs; //  'f': chunk list in file order
    size_t nrefs;
} wk_manifest_file_t;

typedef struct {
    char *name; //  a plain file name
    uint64_t size;
} wk_manifest_segment_t;

typedef struct {
    uint64_t bandwidth_bps; //  bits per second, > 0
    uint64_t bytes;         //  preload at that bandwidth
} wk_manifest_preload_t;

typedef struct {
    wk_manifest_file_t *files;
    size_t nfiles;
    wk_manifest_chunk_t *chunks;
    size_t nchunks;
    uint32_t *load_order;
    size_t nload;
    wk_manifest_segment_t *segments;
    size_t nsegments;
    uint64_t total_size;             //  sum of file sizes
    struct wk_manifest_index *index; //  private: chunks sorted by sha
    wk_manifest_preload_t *preload;  //  preload table, NULL when none
    size_t npreload;                 //  (wk_manifest_decode/_load only)
    uint32_t preload_percentile;     //  its percentile
} wk_manifest_t;

//  Decode a manifest from len bytes of text. Returns NULL and a reason in
//  err (errsize bytes) when it is malformed. Caller owns the result.
wk_manifest_t *
wk_manifest_decode (const char *text, size_t len, char *err, size_t errsize);
//  Read and decode a manifest file. Caller owns the result.
wk_manifest_t *wk_manifest_load (const char *path, char *err, size_t errsize);
//  Read only a manifest file's chunk table: chunks, load_order, segments
//  and the index for wk_manifest_find (files stays empty and unchecked),
//  streaming the text through a fixed buffer so that memory grows with
//  the number of chunks (about 100 bytes each), never with the text.
//  Checks those members as wk_manifest_load does. Caller owns the result.
wk_manifest_t *
wk_manifest_load_chunks (const char *path, char *err, size_t errsize);
//  Copy the JSON text of the root member key of the manifest file at path
//  to out, byte for byte, streaming through a fixed buffer. Returns 0, or
//  -1 with a reason in err when the file cannot be read, is not JSON or
//  has no such member (write errors are left on out: check ferror).
int wk_manifest_copy_member (
    const char *path, const char *key, FILE *out, char *err, size_t errsize);
//  Destroy and nullify the caller's reference; NULL-safe.
void wk_manifest_destroy (wk_manifest_t **self_p);
//  Index of the chunk named sha, or -1.
int64_t wk_manifest_find (const wk_manifest_t *self,
                          const unsigned char sha[32]);
//  True when path is non-empty, relative, without "." or ".." components
//  or empty components.
bool wk_manifest_path_is_safe (const char *path);
#endif
