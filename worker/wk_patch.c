/*  wk_patch - builds and loads patches between two images: copies the
    stored bytes of B's chunks that A lacks into new segments, in B's load
    order, and copies B's manifest.  */
#include "wk_patch.h"
#include "wk_imgout.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_STORED_MAX (16u * 1024 * 1024) //  wk_manifest's bound on a chunk

typedef struct {
    const char *dir_b;     //  borrowed
    wk_manifest_t *a, *b;  //  the two manifests
    wk_imgout_segs_t segs; //  patch segment writer
    FILE *json;            //  patch.json being written, or NULL
    const char *json_path; //  its path
    int fd;                //  open segment of B, or -1
    uint32_t fd_segment;   //  its index
    uint8_t *buf;          //  one stored chunk
    char *err;             //  caller's buffer
    size_t errsize;
} s_patch_t;


static int s_fail (s_patch_t *patch, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_fail (s_patch_t *patch, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (patch->err, patch->errsize, fmt, args);
    va_end (args);
    return -1;
}


//  Read chunk index of B (stored bytes) into patch->buf.
static int
s_read_chunk (s_patch_t *patch, uint32_t index)
{
    const wk_manifest_chunk_t *chunk = &patch->b->chunks[index];
    if (patch->fd < 0 || patch->fd_segment != chunk->segment) {
        if (patch->fd >= 0)
            close (patch->fd);
        char *path = edge_sprintf ("%s/%s", patch->dir_b,
                                   patch->b->segments[chunk->segment].name);
        patch->fd = open (path, O_RDONLY);
        free (path);
        patch->fd_segment = chunk->segment;
        if (patch->fd < 0)
            return s_fail (patch, "cannot open segment %u of B: %s",
                           chunk->segment, strerror (errno));
    }
    ssize_t n =
        pread (patch->fd, patch->buf, chunk->stored, (off_t) chunk->offset);
    if (n != (ssize_t) chunk->stored)
        return s_fail (patch, "cannot read chunk %u of B", index);
    return 0;
}


//  Copy the chunks and write patch.json as they go: memory stays
//  independent of the number of chunks in the patch.
static int
s_copy_new_chunks (s_patch_t *patch, wk_patch_info_t *info)
{
    patch->json = fopen (patch->json_path, "wb");
    if (!patch->json)
        return s_fail (patch, "cannot write %s: %s", patch->json_path,
                       strerror (errno));
    fprintf (patch->json,
             "{\"version\":1,\"fromDxf\":\"%s\",\"toDxf\":\"%s\","
             "\"chunks\":[",
             info->from_dxf, info->to_dxf);
    patch->buf = edge_malloc (S_STORED_MAX);
    for (size_t i = 0; i < patch->b->nload; i++) {
        uint32_t index = patch->b->load_order[i];
        const wk_manifest_chunk_t *chunk = &patch->b->chunks[index];
        if (wk_manifest_find (patch->a, chunk->sha) >= 0)
            continue;
        uint32_t segment;
        uint64_t offset;
        if (s_read_chunk (patch, index) != 0)
            return -1;
        if (wk_imgout_segs_write (&patch->segs, patch->buf, chunk->stored,
                                  &segment, &offset)
            != 0)
            return s_fail (patch, "cannot write a patch segment: %s",
                           strerror (errno));
        fprintf (patch->json, "%s[%u,%u,%llu]", info->chunks ? "," : "", index,
                 segment, (unsigned long long) offset);
        info->chunks++;
        info->stored_bytes += chunk->stored;
    }
    if (wk_imgout_segs_close (&patch->segs) != 0)
        return s_fail (patch, "cannot write a patch segment: %s",
                       strerror (errno));
    return 0;
}


static int
s_copy_file (const char *from, const char *to)
{
    FILE *in = fopen (from, "rb");
    FILE *out = in ? fopen (to, "wb") : NULL;
    int rc = in && out ? 0 : -1;
    char buf[65536];
    size_t n;
    while (rc == 0 && (n = fread (buf, 1, sizeof (buf), in)) > 0)
        if (fwrite (buf, 1, n, out) != n)
            rc = -1;
    if (in && ferror (in))
        rc = -1;
    if (out && fclose (out) != 0)
        rc = -1;
    if (in)
        fclose (in);
    return rc;
}


//  Finish patch.json and copy B's manifest.
static int
s_write_files (s_patch_t *patch, const char *out_dir, wk_patch_info_t *info)
{
    fputs ("],\"segments\":[", patch->json);
    char name[32];
    for (uint32_t i = 0; i < patch->segs.count; i++) {
        wk_image_segment_name (i, name, sizeof (name));
        fprintf (patch->json, "%s{\"name\":\"%s\",\"size\":%llu}", i ? "," : "",
                 name, (unsigned long long) patch->segs.sizes[i]);
        info->total_bytes += patch->segs.sizes[i];
    }
    info->segments = patch->segs.count;
    fputs ("]}", patch->json);
    bool is_written = !ferror (patch->json);
    is_written = fclose (patch->json) == 0 && is_written;
    patch->json = NULL;
    const char *path = patch->json_path;
    char *from = edge_sprintf ("%s/%s", patch->dir_b, WK_IMAGE_MANIFEST);
    char *to = edge_sprintf ("%s/%s", out_dir, WK_IMAGE_MANIFEST);
    int rc = 0;
    if (!is_written || s_copy_file (from, to) != 0)
        rc = s_fail (patch, "cannot write the patch files in %s", out_dir);
    FILE *sizes[2] = {fopen (path, "rb"), fopen (to, "rb")};
    for (int i = 0; i < 2; i++)
        if (sizes[i]) {
            fseek (sizes[i], 0, SEEK_END);
            info->total_bytes += (uint64_t) ftell (sizes[i]);
            fclose (sizes[i]);
        }
    free (to);
    free (from);
    return rc;
}


static wk_manifest_t *
s_load_manifest (s_patch_t *patch, const char *dir, char *dxf_name)
{
    char *path = edge_sprintf ("%s/%s", dir, WK_IMAGE_MANIFEST);
    char why[256];
    wk_manifest_t *manifest = wk_manifest_load_chunks (path, why, sizeof (why));
    if (!manifest)
        s_fail (patch, "%s: %s", path, why);
    else if (wk_image_dxf_name (path, dxf_name) != 0) {
        s_fail (patch, "%s: cannot read", path);
        wk_manifest_destroy (&manifest);
    }
    free (path);
    return manifest;
}


int
wk_patch_build (const char *dir_a,
                const char *dir_b,
                const char *out_dir,
                uint64_t segment_max,
                wk_patch_info_t *info,
                char *err,
                size_t errsize)
{
    edge_assert (dir_a && dir_b && out_dir && info && err && errsize > 0);
    memset (info, 0, sizeof (*info));
    s_patch_t patch = {
        .dir_b = dir_b, .fd = -1, .err = err, .errsize = errsize};
    wk_imgout_segs_init (&patch.segs, out_dir,
                         segment_max ? segment_max : WK_IMAGE_SEGMENT_MAX);
    char *json_path = edge_sprintf ("%s/%s", out_dir, WK_PATCH_FILE);
    patch.json_path = json_path;
    int rc = -1;
    patch.a = s_load_manifest (&patch, dir_a, info->from_dxf);
    patch.b = patch.a ? s_load_manifest (&patch, dir_b, info->to_dxf) : NULL;
    if (!patch.b)
        goto cleanup;
    if (mkdir (out_dir, 0755) != 0 && errno != EEXIST) {
        s_fail (&patch, "cannot create %s: %s", out_dir, strerror (errno));
        goto cleanup;
    }
    if (s_copy_new_chunks (&patch, info) != 0
        || s_write_files (&patch, out_dir, info) != 0)
        goto cleanup;
    edge_info ("patch: %s -> %s: %llu chunks, %llu bytes", info->from_dxf,
               info->to_dxf, (unsigned long long) info->chunks,
               (unsigned long long) info->total_bytes);
    rc = 0;
cleanup:
    if (rc != 0)
        edge_warn ("patch: %s -> %s failed: %s", dir_a, dir_b, err);
    if (patch.fd >= 0)
        close (patch.fd);
    free (patch.buf);
    if (patch.json)
        fclose (patch.json);
    free (json_path);
    wk_imgout_segs_fini (&patch.segs);
    wk_manifest_destroy (&patch.b);
    wk_manifest_destroy (&patch.a);
    return rc;
}


static int
s_load_fail (char *err, size_t errsize, const char *what)
{
    snprintf (err, errsize, "%s: %s", WK_PATCH_FILE, what);
    return -1;
}


static int
s_load_refs (wk_patch_t *self,
             json_t *list,
             const wk_manifest_t *target,
             char *err,
             size_t errsize)
{
    self->nrefs = json_array_size (list);
    self->refs = edge_calloc (self->nrefs + 1, sizeof (*self->refs));
    for (size_t i = 0; i < self->nrefs; i++) {
        json_int_t chunk, segment, offset;
        if (json_unpack (json_array_get (list, i), "[III]", &chunk, &segment,
                         &offset)
                != 0
            || chunk < 0 || (size_t) chunk >= target->nchunks || segment < 0
            || (size_t) segment >= self->nsegments || offset < 0
            || (uint64_t) offset + target->chunks[chunk].stored
                   > self->segments[segment].size)
            return s_load_fail (err, errsize, "a chunk reference is wrong");
        self->refs[i] = (wk_patch_ref_t){(uint32_t) chunk, (uint32_t) segment,
                                         (uint64_t) offset};
    }
    return 0;
}


static int
s_load_segments (wk_patch_t *self, json_t *list, char *err, size_t errsize)
{
    self->nsegments = json_array_size (list);
    self->segments =
        edge_calloc (self->nsegments + 1, sizeof (*self->segments));
    for (size_t i = 0; i < self->nsegments; i++) {
        const char *name;
        json_int_t size;
        if (json_unpack (json_array_get (list, i), "{s:s,s:I}", "name", &name,
                         "size", &size)
                != 0
            || size < 0 || strchr (name, '/') || name[0] == '.' || !*name)
            return s_load_fail (err, errsize, "a segment is malformed");
        self->segments[i].name = edge_strdup (name);
        self->segments[i].size = (uint64_t) size;
    }
    return 0;
}


wk_patch_t *
wk_patch_decode (const char *text,
                 size_t len,
                 const wk_manifest_t *target,
                 char *err,
                 size_t errsize)
{
    edge_assert (text && target && err && errsize > 0);
    json_error_t jerr;
    json_t *root = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
    wk_patch_t *self = edge_calloc (1, sizeof (*self));
    json_t *chunks = NULL, *segments = NULL;
    const char *from = NULL, *to = NULL;
    int version = 0;
    if (!root
        || json_unpack (root, "{s:i,s:s,s:s,s:o,s:o}", "version", &version,
                        "fromDxf", &from, "toDxf", &to, "chunks", &chunks,
                        "segments", &segments)
               != 0
        || version != 1 || !json_is_array (chunks) || !json_is_array (segments)
        || strlen (from) >= WK_IMAGE_NAME_SIZE
        || strlen (to) >= WK_IMAGE_NAME_SIZE) {
        s_load_fail (err, errsize, root ? "malformed" : jerr.text);
        goto malformed;
    }
    snprintf (self->from_dxf, sizeof (self->from_dxf), "%s", from);
    snprintf (self->to_dxf, sizeof (self->to_dxf), "%s", to);
    if (s_load_segments (self, segments, err, errsize) != 0
        || s_load_refs (self, chunks, target, err, errsize) != 0)
        goto malformed;
    json_decref (root);
    return self;
malformed:
    json_decref (root);
    wk_patch_destroy (&self);
    return NULL;
}


void
wk_patch_destroy (wk_patch_t **self_p)
{
    edge_assert (self_p);
    wk_patch_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->segments && i < self->nsegments; i++)
        free (self->segments[i].name);
    free (self->segments);
    free (self->refs);
    free (self);
    *self_p = NULL;
}
