/*  wk_reorder - copies an image's chunks into new segments in a new load
    order, checking each, then writes the new manifest around the old
    manifest's files section.  */
#include "wk_reorder.h"
#include "wk_imgout.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_log.h"
#include "edge_util.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

typedef struct {
    const char *src_dir, *out_dir; //  borrowed
    const wk_reorder_opts_t *opts; //  borrowed
    wk_manifest_t *m;              //  the old chunk table
    wk_imgout_segs_t segs;         //  new segments
    uint32_t *segment;             //  per chunk: new segment
    uint64_t *offset;              //  per chunk: new offset
    uint32_t *place;               //  per chunk: place in the order
    int fd;                        //  open old segment, or -1
    uint32_t fd_segment;           //  its index
    uint8_t *stored, *raw;         //  one chunk
    ZSTD_DCtx *dctx;
    char *err;
    size_t errsize;
} s_run_t;


static int s_fail (s_run_t *run, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_fail (s_run_t *run, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (run->err, run->errsize, fmt, args);
    va_end (args);
    return -1;
}


//  The order must name every chunk exactly once.
static int
s_check_order (s_run_t *run)
{
    const wk_reorder_opts_t *opts = run->opts;
    size_t n = run->m->nchunks;
    if (opts->norder != n)
        return s_fail (run, "the order has %zu chunks, the image %zu",
                       opts->norder, n);
    run->place = edge_malloc ((n + 1) * sizeof (uint32_t));
    memset (run->place, 0xff, (n + 1) * sizeof (uint32_t));
    for (size_t i = 0; i < n; i++) {
        uint32_t c = opts->order[i];
        if (c >= n || run->place[c] != UINT32_MAX)
            return s_fail (run, "order[%zu] = %u is not a new chunk", i, c);
        run->place[c] = (uint32_t) i;
    }
    return 0;
}


//  Read chunk c from the old segments into run->stored and check it.
static int
s_read_chunk (s_run_t *run, uint32_t c)
{
    const wk_manifest_chunk_t *chunk = &run->m->chunks[c];
    const char *name = run->m->segments[chunk->segment].name;
    if (run->fd < 0 || run->fd_segment != chunk->segment) {
        if (run->fd >= 0)
            close (run->fd);
        char *path = edge_sprintf ("%s/%s", run->src_dir, name);
        run->fd = open (path, O_RDONLY);
        free (path);
        run->fd_segment = chunk->segment;
        if (run->fd < 0)
            return s_fail (run, "cannot open %s/%s: %s", run->src_dir, name,
                           strerror (errno));
    }
    if (pread (run->fd, run->stored, chunk->stored, (off_t) chunk->offset)
        != (ssize_t) chunk->stored)
        return s_fail (run, "%s/%s: short read at %llu", run->src_dir, name,
                       (unsigned long long) chunk->offset);
    const uint8_t *raw = run->stored;
    size_t size = chunk->stored;
    if (chunk->is_zstd) {
        size = ZSTD_decompressDCtx (run->dctx, run->raw, chunk->size,
                                    run->stored, chunk->stored);
        raw = run->raw;
    }
    unsigned char sha[EDGE_SHA256_LEN];
    if (!ZSTD_isError (size) && size == chunk->size)
        edge_sha256 (raw, size, sha);
    if (ZSTD_isError (size) || size != chunk->size
        || memcmp (sha, chunk->sha, EDGE_SHA256_LEN) != 0)
        return s_fail (run, "chunk %u in %s/%s at %llu is damaged", c,
                       run->src_dir, name, (unsigned long long) chunk->offset);
    return 0;
}


static int
s_copy_chunks (s_run_t *run)
{
    size_t n = run->m->nchunks;
    uint32_t max = 1;
    for (size_t c = 0; c < n; c++) {
        if (run->m->chunks[c].stored > max)
            max = run->m->chunks[c].stored;
        if (run->m->chunks[c].size > max)
            max = run->m->chunks[c].size;
    }
    run->stored = edge_malloc (max);
    run->raw = edge_malloc (max);
    run->dctx = ZSTD_createDCtx ();
    edge_assert (run->dctx);
    run->segment = edge_calloc (n + 1, sizeof (uint32_t));
    run->offset = edge_calloc (n + 1, sizeof (uint64_t));
    for (size_t i = 0; i < n; i++) {
        uint32_t c = run->opts->order[i];
        if (s_read_chunk (run, c) != 0)
            return -1;
        if (wk_imgout_segs_write (&run->segs, run->stored,
                                  run->m->chunks[c].stored, &run->segment[c],
                                  &run->offset[c])
            != 0)
            return s_fail (run, "cannot write a segment in %s: %s",
                           run->out_dir, strerror (errno));
    }
    if (wk_imgout_segs_close (&run->segs) != 0)
        return s_fail (run, "cannot write a segment in %s: %s", run->out_dir,
                       strerror (errno));
    return 0;
}


//  The old manifest's member key, copied into out after prefix.
static int
s_copy (s_run_t *run, FILE *out, const char *prefix, const char *key)
{
    char *path = edge_sprintf ("%s/%s", run->src_dir, WK_IMAGE_MANIFEST);
    char why[256];
    fputs (prefix, out);
    int rc = wk_manifest_copy_member (path, key, out, why, sizeof (why));
    if (rc != 0)
        s_fail (run, "%s: %s", path, why);
    free (path);
    return rc;
}


static void
s_write_chunks (s_run_t *run, FILE *out)
{
    fputs (",\n\"chunks\":[\n", out);
    for (size_t c = 0; c < run->m->nchunks; c++) {
        wk_manifest_chunk_t row = run->m->chunks[c];
        row.segment = run->segment[c];
        row.offset = run->offset[c];
        wk_imgout_chunk_row (out, (uint32_t) c, &row, run->place[c]);
    }
    fputs ("],\n\"loadOrder\":[", out);
    for (size_t i = 0; i < run->opts->norder; i++)
        fprintf (out, "%s%u", i ? "," : "", run->opts->order[i]);
    fputs ("],\n\"segments\":[", out);
    wk_imgout_segs_table (&run->segs, out);
    fputs ("]", out);
}


static void
s_write_tail (s_run_t *run, FILE *out, uint64_t stored)
{
    const wk_reorder_opts_t *opts = run->opts;
    fprintf (out, ",\"storedSize\":%llu,\n\"profile\":%s,\n\"preload\":",
             (unsigned long long) stored,
             opts->profile ? opts->profile : "null");
    if (opts->npreload == 0) {
        fputs ("null}\n", out);
        return;
    }
    fprintf (out, "{\"percentile\":%u,\"traces\":%llu,\"table\":[",
             opts->percentile, (unsigned long long) opts->traces);
    for (size_t i = 0; i < opts->npreload; i++)
        fprintf (out, "%s{\"bandwidthBps\":%llu,\"bytes\":%llu}", i ? "," : "",
                 (unsigned long long) opts->preload[i].bandwidth_bps,
                 (unsigned long long) opts->preload[i].bytes);
    fputs ("]}}\n", out);
}


//  A profile, when given, must be one JSON object: it is embedded as is.
static int
s_check_opts (s_run_t *run)
{
    const wk_reorder_opts_t *opts = run->opts;
    json_t *profile =
        opts->profile ? json_loads (opts->profile, 0, NULL) : NULL;
    bool is_object = !opts->profile || json_is_object (profile);
    json_decref (profile);
    if (!is_object)
        return s_fail (run, "the profile is not a JSON object");
    for (size_t i = 0; i < opts->npreload; i++)
        if (opts->preload[i].bandwidth_bps == 0
            || (i
                && opts->preload[i].bandwidth_bps
                       <= opts->preload[i - 1].bandwidth_bps))
            return s_fail (run, "the preload table is not by increasing "
                                "bandwidth");
    if (opts->percentile > 100)
        return s_fail (run, "percentile %u is over 100", opts->percentile);
    return 0;
}


//  wk_imgout_body_fn: the new manifest around the old one's members.
static int
s_write_body (void *arg, FILE *out, char *err, size_t errsize)
{
    (void) err; //  s_copy reports into run->err, the same buffer
    (void) errsize;
    s_run_t *run = arg;
    fprintf (out, "{\"version\":%d,\"format\":\"dxf\",\"hash\":\"sha256\",",
             WK_IMAGE_VERSION);
    char head[64];
    snprintf (head, sizeof (head), ",\"segmentMax\":%llu,\n\"files\":",
              (unsigned long long) run->segs.max);
    int copied = s_copy (run, out, "\"chunking\":", "chunking") == 0
                         && s_copy (run, out, head, "files") == 0
                     ? 0
                     : -1;
    if (copied == 0) {
        s_write_chunks (run, out);
        copied = s_copy (run, out, ",\n\"totalSize\":", "totalSize");
    }
    uint64_t stored = 0;
    for (uint32_t i = 0; i < run->segs.count; i++)
        stored += run->segs.sizes[i];
    s_write_tail (run, out, stored);
    return copied;
}


static int
s_write_manifest (s_run_t *run, wk_image_info_t *info)
{
    if (wk_imgout_write_manifest (run->out_dir, s_write_body, run,
                                  info->dxf_name, run->err, run->errsize)
        != 0)
        return -1;
    for (uint32_t i = 0; i < run->segs.count; i++)
        info->stored_bytes += run->segs.sizes[i];
    return 0;
}


static int
s_run (s_run_t *run, wk_image_info_t *info)
{
    char *path = edge_sprintf ("%s/%s", run->src_dir, WK_IMAGE_MANIFEST);
    char why[256];
    run->m = wk_manifest_load_chunks (path, why, sizeof (why));
    if (!run->m)
        s_fail (run, "%s: %s", path, why);
    free (path);
    if (!run->m || s_check_order (run) != 0 || s_check_opts (run) != 0)
        return -1;
    if (strcmp (run->src_dir, run->out_dir) == 0
        || wk_imgout_mkdir_p (run->out_dir) != 0)
        return s_fail (run, "cannot use %s as the output directory",
                       run->out_dir);
    uint64_t max =
        run->opts->segment_max ? run->opts->segment_max : WK_IMAGE_SEGMENT_MAX;
    wk_imgout_segs_init (&run->segs, run->out_dir, max);
    if (s_copy_chunks (run) != 0 || s_write_manifest (run, info) != 0)
        return -1;
    info->chunks = run->m->nchunks;
    for (size_t c = 0; c < run->m->nchunks; c++)
        info->unique_bytes += run->m->chunks[c].size;
    info->segments = run->segs.count;
    return 0;
}


int
wk_reorder_build (const char *src_dir,
                  const char *out_dir,
                  const wk_reorder_opts_t *opts,
                  wk_image_info_t *info,
                  char *err,
                  size_t errsize)
{
    edge_assert (src_dir && out_dir && opts && info && err && errsize > 0);
    edge_assert (opts->order || opts->norder == 0);
    edge_assert (opts->preload || opts->npreload == 0);
    memset (info, 0, sizeof (*info));
    err[0] = '\0';
    s_run_t run = {.src_dir = src_dir,
                   .out_dir = out_dir,
                   .opts = opts,
                   .fd = -1,
                   .err = err,
                   .errsize = errsize};
    int rc = s_run (&run, info);
    if (rc == 0)
        edge_info ("reorder: %s -> %s (%s, %llu chunks, %llu bytes)", src_dir,
                   out_dir, info->dxf_name, (unsigned long long) info->chunks,
                   (unsigned long long) info->stored_bytes);
    else
        edge_warn ("reorder: %s: %s", src_dir, err);
    if (run.fd >= 0)
        close (run.fd);
    wk_imgout_segs_fini (&run.segs);
    ZSTD_freeDCtx (run.dctx);
    free (run.raw);
    free (run.stored);
    free (run.place);
    free (run.offset);
    free (run.segment);
    wk_manifest_destroy (&run.m);
    return rc;
}
