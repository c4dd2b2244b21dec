/*  wk_trace - reads one play-session trace (.tr) and maps its accesses to
    the chunks of the build, keeping only each chunk's first touch.

    A .tr file is one msgpack map (pipeline contract, issue #6):
      {"v":1, "traceId":str, "dxfName":str, "buildId":int,
       "files":[path ...], "accesses":[[tMs, fileIndex, offset, length] ...]}
    Keys may come in any order; unknown keys are skipped. Times are
    non-negative integers (milliseconds since the session started, below
    2^32) and never decrease; each access must lie inside its file; a
    length of 0 is allowed and touches nothing. Paths must name a regular
    file of the manifest, or a hardlink or relative symlink that resolves
    to one (at most 8 links deep).

    Reading streams the file through a 64 KiB buffer with a small msgpack
    token reader (msgpack_unpacker only hands out whole objects, which for
    a trace is the whole file): memory holds the trace's file list, one
    touch (8 bytes) per distinct chunk it touches, and one mark per chunk
    of the build (in the mapper, reused from trace to trace). Accesses are
    never held.

    The mapper does not compare the trace's dxfName or buildId with the
    manifest: every image of a build has the same files and chunk numbers
    (a reorder keeps them), so the caller decides which traces to use.  */
#ifndef WK_TRACE_H_INCLUDED
#define WK_TRACE_H_INCLUDED
#include "wk_manifest.h"
#include <stddef.h>
#include <stdint.h>

#define WK_TRACE_VERSION 1

//  The first access of a trace to a chunk.
typedef struct {
    uint32_t chunk; //  chunk index in the manifest
    uint32_t t_ms;  //  time of the first access touching it
} wk_trace_touch_t;

//  A mapped trace (plain value type).
typedef struct {
    char *trace_id;            //  "traceId"
    char *dxf_name;            //  "dxfName"
    int64_t build_id;          //  "buildId"
    uint64_t accesses;         //  accesses read
    uint32_t duration_ms;      //  time of the last access (0 if none)
    wk_trace_touch_t *touches; //  first touches, in first-access order
    size_t ntouches;           //  distinct chunks touched
} wk_trace_t;

//  One access for the writer (fileIndex into the writer's file list).
typedef struct {
    uint64_t t_ms;
    uint32_t file;
    uint64_t offset;
    uint64_t length;
} wk_trace_access_t;

//  What the writer puts around the accesses. Strings are borrowed.
typedef struct {
    const char *trace_id;
    const char *dxf_name;
    int64_t build_id;
    const char *const *files; //  paths
    size_t nfiles;
} wk_trace_header_t;

typedef struct wk_trace_mapper wk_trace_mapper_t;

//  Create a mapper for manifest (borrowed: must outlive the mapper; needs
//  the files, i.e. wk_manifest_load, not wk_manifest_load_chunks). Caller
//  owns the result.
wk_trace_mapper_t *wk_trace_mapper_new (const wk_manifest_t *manifest);
//  Destroy and nullify the caller's reference; NULL-safe.
void wk_trace_mapper_destroy (wk_trace_mapper_t **self_p);
//  Read the .tr file at path, validate it against the manifest and map
//  it. Returns NULL with a reason in err (errsize bytes) when the file
//  cannot be read or is invalid. Caller owns the result.
wk_trace_t *wk_trace_mapper_load (wk_trace_mapper_t *self,
                                  const char *path,
                                  char *err,
                                  size_t errsize);
//  Destroy a trace and nullify the caller's reference; NULL-safe.
void wk_trace_destroy (wk_trace_t **self_p);
//  Write a .tr file at path (through path + ".tmp" and a rename, so a
//  reader never sees half a file). Values are written as given (times are
//  not checked here). Returns 0, or -1 if the file cannot be written.
int wk_trace_write (const char *path,
                    const wk_trace_header_t *header,
                    const wk_trace_access_t *accesses,
                    size_t naccesses);
#endif
