/*  wk_reorder - writes a new image of the same build with another load
    order: the same chunks (same numbers, bytes and compression), new
    segments holding them in the new order, and a manifest whose files
    section is copied byte for byte from the old one, whose chunks carry
    their place in the order ("order"), and which records the preload
    table and the profile (wk_manifest.h). Its dxfName is computed from
    the new manifest as wk_image does, so it differs from the old one.

    Every chunk is checked against its SHA-256 on the way (decompressed
    when stored zstd), so a damaged image is never copied. Memory: the old
    manifest's chunk table (wk_manifest_load_chunks), one chunk, and the
    new order; the files section is streamed.  */
#ifndef WK_REORDER_H_INCLUDED
#define WK_REORDER_H_INCLUDED
#include "wk_image.h"
#include "wk_manifest.h"
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint32_t *order;                //  every chunk index once
    size_t norder;                        //  = the number of chunks
    const wk_manifest_preload_t *preload; //  table by increasing bandwidth
    size_t npreload;                      //  0: "preload" is null
    uint32_t percentile;                  //  of the table
    uint64_t traces;                      //  traces the table comes from
    const char *profile;  //  JSON object text for "profile", or NULL (null)
    uint64_t segment_max; //  0: WK_IMAGE_SEGMENT_MAX
} wk_reorder_opts_t;

//  Write the image in src_dir again into out_dir (created if missing; it
//  must not be src_dir) with opts' order. Returns 0 and fills info's
//  dxf_name, chunks, unique_bytes, stored_bytes and segments (the rest
//  0), or -1 with a reason in err (logged once here).
int wk_reorder_build (const char *src_dir,
                      const char *out_dir,
                      const wk_reorder_opts_t *opts,
                      wk_image_info_t *info,
                      char *err,
                      size_t errsize);
#endif
