/*  wk_patch - a patch from image A to image B: the chunks B has and A lacks,
    packed in segment files in B's load order, plus B's manifest, so that a
    reader holding A (its image or its files) can rebuild B.

    Patch directory layout: manifest.json (B's, byte for byte: its dxfName
    is B's), patch.json, seg_00000.bin ... where patch.json is
      {"version":1,"fromDxf":"dxf_…","toDxf":"dxf_…",
       "chunks":[[chunk index in B, segment, offset] …],
       "segments":[{"name","size"} …]}
    A chunk's stored size and compression are those in B's manifest.  */
#ifndef WK_PATCH_H_INCLUDED
#define WK_PATCH_H_INCLUDED
#include "wk_image.h"
#include "wk_manifest.h"
#include <stddef.h>
#include <stdint.h>

#define WK_PATCH_FILE "patch.json"

typedef struct {
    char from_dxf[WK_IMAGE_NAME_SIZE]; //  image A's dxfName
    char to_dxf[WK_IMAGE_NAME_SIZE];   //  image B's dxfName
    uint64_t chunks;                   //  chunks in the patch
    uint64_t stored_bytes;             //  their bytes in the segments
    uint64_t segments;                 //  segment files written
    uint64_t total_bytes;              //  all files of the patch
} wk_patch_info_t;

typedef struct {
    uint32_t chunk;   //  chunk index in B's manifest
    uint32_t segment; //  patch segment index
    uint64_t offset;  //  offset in that segment
} wk_patch_ref_t;

//  A loaded patch.json.
typedef struct {
    char from_dxf[WK_IMAGE_NAME_SIZE];
    char to_dxf[WK_IMAGE_NAME_SIZE];
    wk_patch_ref_t *refs;
    size_t nrefs;
    wk_manifest_segment_t *segments;
    size_t nsegments;
} wk_patch_t;

//  Write the patch from the image in dir_a to the image in dir_b into
//  out_dir (created if missing). segment_max 0 means WK_IMAGE_SEGMENT_MAX.
//  Returns 0 and fills info, or -1 with a reason in err (logged once here).
int wk_patch_build (const char *dir_a,
                    const char *dir_b,
                    const char *out_dir,
                    uint64_t segment_max,
                    wk_patch_info_t *info,
                    char *err,
                    size_t errsize);
//  Decode len bytes of patch.json and check them against B's manifest
//  (every reference names a chunk of B and lies inside its patch segment).
//  Returns NULL with a reason in err when malformed. Caller owns the result.
wk_patch_t *wk_patch_decode (const char *text,
                             size_t len,
                             const wk_manifest_t *target,
                             char *err,
                             size_t errsize);
//  Destroy and nullify the caller's reference; NULL-safe.
void wk_patch_destroy (wk_patch_t **self_p);
#endif
