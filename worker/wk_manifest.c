/*  wk_manifest - decodes and validates manifest.json into plain arrays.  */
#include "wk_manifest.h"
#include "wk_image.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CHUNK_LIMIT (16u * 1024 * 1024) //  sanity bound on one chunk

typedef struct {
    unsigned char sha[32];
    uint32_t index;
} s_entry_t;

struct wk_manifest_index {
    s_entry_t *entries; //  sorted by sha
    size_t count;
};

typedef struct {
    char *err; //  caller's buffer
    size_t errsize;
} s_ctx_t;


static int s_bad (s_ctx_t *ctx, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_bad (s_ctx_t *ctx, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (ctx->err, ctx->errsize, fmt, args);
    va_end (args);
    return -1;
}


static int
s_hex_decode (const char *hex, unsigned char out[32])
{
    if (!hex || strlen (hex) != 64)
        return -1;
    for (int i = 0; i < 64; i++) {
        char c = hex[i];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char) (v << 4);
        else
            out[i / 2] |= (unsigned char) v;
    }
    return 0;
}


//  A non-negative integer member, or -1 when missing or out of range.
static int64_t
s_uint (json_t *obj, const char *key, int64_t max)
{
    json_t *value = json_object_get (obj, key);
    if (!json_is_integer (value))
        return -1;
    json_int_t n = json_integer_value (value);
    return n < 0 || n > max ? -1 : (int64_t) n;
}


static bool
s_name_is_plain (const char *name)
{
    if (!name || !*name || *name == '.' || strlen (name) > 128)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'
              || *p == '.'))
            return false;
    return true;
}


static int
s_decode_segments (wk_manifest_t *self, json_t *root, s_ctx_t *ctx)
{
    json_t *list = json_object_get (root, "segments");
    if (!json_is_array (list))
        return s_bad (ctx, "\"segments\" must be an array");
    self->nsegments = json_array_size (list);
    self->segments =
        edge_calloc (self->nsegments + 1, sizeof (*self->segments));
    for (size_t i = 0; i < self->nsegments; i++) {
        json_t *item = json_array_get (list, i);
        const char *name = json_string_value (json_object_get (item, "name"));
        int64_t size = s_uint (item, "size", INT64_MAX);
        if (!s_name_is_plain (name) || size < 0)
            return s_bad (ctx, "segment %zu is malformed", i);
        self->segments[i].name = edge_strdup (name);
        self->segments[i].size = (uint64_t) size;
    }
    return 0;
}


static int
s_decode_chunk (wk_manifest_t *self, json_t *item, size_t i, s_ctx_t *ctx)
{
    wk_manifest_chunk_t *chunk = &self->chunks[i];
    const char *comp =
        json_string_value (json_object_get (item, "compression"));
    int64_t size = s_uint (item, "size", S_CHUNK_LIMIT);
    int64_t stored = s_uint (item, "storedSize", S_CHUNK_LIMIT);
    int64_t segment = s_uint (item, "segment", UINT32_MAX);
    int64_t offset = s_uint (item, "offset", INT64_MAX);
    if (s_hex_decode (json_string_value (json_object_get (item, "sha256")),
                      chunk->sha)
            != 0
        || size < 1 || stored < 1 || segment < 0 || offset < 0 || !comp
        || (strcmp (comp, "zstd") != 0 && strcmp (comp, "none") != 0))
        return s_bad (ctx, "chunk %zu is malformed", i);
    chunk->is_zstd = strcmp (comp, "zstd") == 0;
    if (!chunk->is_zstd && stored != size)
        return s_bad (ctx, "chunk %zu: storedSize differs from size", i);
    if ((size_t) segment >= self->nsegments
        || (uint64_t) offset + (uint64_t) stored > self->segments[segment].size)
        return s_bad (ctx, "chunk %zu lies outside its segment", i);
    chunk->size = (uint32_t) size;
    chunk->stored = (uint32_t) stored;
    chunk->segment = (uint32_t) segment;
    chunk->offset = (uint64_t) offset;
    return 0;
}


static int
s_decode_chunks (wk_manifest_t *self, json_t *root, s_ctx_t *ctx)
{
    json_t *list = json_object_get (root, "chunks");
    if (!json_is_array (list))
        return s_bad (ctx, "\"chunks\" must be an array");
    self->nchunks = json_array_size (list);
    self->chunks = edge_calloc (self->nchunks + 1, sizeof (*self->chunks));
    for (size_t i = 0; i < self->nchunks; i++)
        if (s_decode_chunk (self, json_array_get (list, i), i, ctx) != 0)
            return -1;
    json_t *order = json_object_get (root, "loadOrder");
    if (!json_is_array (order))
        return s_bad (ctx, "\"loadOrder\" must be an array");
    self->nload = json_array_size (order);
    self->load_order = edge_calloc (self->nload + 1, sizeof (uint32_t));
    for (size_t i = 0; i < self->nload; i++) {
        json_t *value = json_array_get (order, i);
        if (!json_is_integer (value) || json_integer_value (value) < 0
            || (size_t) json_integer_value (value) >= self->nchunks)
            return s_bad (ctx, "loadOrder[%zu] is not a chunk", i);
        self->load_order[i] = (uint32_t) json_integer_value (value);
    }
    return 0;
}


//  A file's chunk list must cover it exactly, in order.
static int
s_decode_refs (wk_manifest_t *self,
               wk_manifest_file_t *file,
               json_t *list,
               s_ctx_t *ctx)
{
    if (!json_is_array (list))
        return s_bad (ctx, "\"%s\": \"chunks\" must be an array", file->path);
    file->nrefs = json_array_size (list);
    file->refs = edge_calloc (file->nrefs + 1, sizeof (*file->refs));
    uint64_t offset = 0;
    for (size_t i = 0; i < file->nrefs; i++) {
        json_t *ref = json_array_get (list, i);
        json_t *c = json_array_get (ref, 0), *o = json_array_get (ref, 1),
               *l = json_array_get (ref, 2);
        if (json_array_size (ref) != 3 || !json_is_integer (c)
            || !json_is_integer (o) || !json_is_integer (l)
            || json_integer_value (c) < 0
            || (size_t) json_integer_value (c) >= self->nchunks
            || (uint64_t) json_integer_value (o) != offset
            || json_integer_value (l)
                   != self->chunks[json_integer_value (c)].size)
            return s_bad (ctx, "\"%s\": chunk list entry %zu is wrong",
                          file->path, i);
        file->refs[i] =
            (wk_manifest_ref_t){(uint32_t) json_integer_value (c),
                                (uint32_t) json_integer_value (l), offset};
        offset += (uint64_t) json_integer_value (l);
    }
    if (offset != file->size)
        return s_bad (ctx, "\"%s\": chunks cover %llu of %llu bytes",
                      file->path, (unsigned long long) offset,
                      (unsigned long long) file->size);
    return 0;
}


static int
s_decode_file (wk_manifest_t *self, json_t *item, size_t i, s_ctx_t *ctx)
{
    wk_manifest_file_t *file = &self->files[i];
    const char *path = json_string_value (json_object_get (item, "path"));
    const char *type = json_string_value (json_object_get (item, "type"));
    const char *target = json_string_value (json_object_get (item, "target"));
    int64_t mode = s_uint (item, "mode", 07777);
    json_t *mtime = json_object_get (item, "mtime");
    if (!wk_manifest_path_is_safe (path) || !type || mode < 0
        || !json_is_integer (mtime))
        return s_bad (ctx, "file entry %zu is malformed", i);
    file->path = edge_strdup (path);
    file->mode = (uint32_t) mode;
    file->mtime = json_integer_value (mtime);
    if (strcmp (type, "file") == 0) {
        file->type = 'f';
        int64_t size = s_uint (item, "size", INT64_MAX);
        if (size < 0)
            return s_bad (ctx, "\"%s\": bad size", path);
        file->size = (uint64_t) size;
        return s_decode_refs (self, file, json_object_get (item, "chunks"),
                              ctx);
    }
    if (strcmp (type, "dir") == 0) {
        file->type = 'd';
        return 0;
    }
    bool is_hard = strcmp (type, "hardlink") == 0;
    if ((!is_hard && strcmp (type, "symlink") != 0) || !target || !*target
        || (is_hard && !wk_manifest_path_is_safe (target)))
        return s_bad (ctx, "\"%s\": bad type or link target", path);
    file->type = is_hard ? 'h' : 'l';
    file->target = edge_strdup (target);
    return 0;
}


static int
s_decode_files (wk_manifest_t *self, json_t *root, s_ctx_t *ctx)
{
    json_t *list = json_object_get (root, "files");
    if (!json_is_array (list))
        return s_bad (ctx, "\"files\" must be an array");
    self->nfiles = json_array_size (list);
    self->files = edge_calloc (self->nfiles + 1, sizeof (*self->files));
    for (size_t i = 0; i < self->nfiles; i++) {
        if (s_decode_file (self, json_array_get (list, i), i, ctx) != 0)
            return -1;
        self->total_size += self->files[i].size;
    }
    return 0;
}


static int
s_entry_cmp (const void *a, const void *b)
{
    return memcmp (((const s_entry_t *) a)->sha, ((const s_entry_t *) b)->sha,
                   32);
}


static void
s_build_index (wk_manifest_t *self)
{
    self->index = edge_calloc (1, sizeof (*self->index));
    self->index->count = self->nchunks;
    self->index->entries = edge_calloc (self->nchunks + 1, sizeof (s_entry_t));
    for (size_t i = 0; i < self->nchunks; i++) {
        memcpy (self->index->entries[i].sha, self->chunks[i].sha, 32);
        self->index->entries[i].index = (uint32_t) i;
    }
    qsort (self->index->entries, self->nchunks, sizeof (s_entry_t),
           s_entry_cmp);
}


wk_manifest_t *
wk_manifest_decode (const char *text, size_t len, char *err, size_t errsize)
{
    edge_assert (text && err && errsize > 0);
    s_ctx_t ctx = {err, errsize};
    json_error_t jerr;
    json_t *root = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
    wk_manifest_t *self = edge_calloc (1, sizeof (*self));
    if (!root) {
        s_bad (&ctx, "not JSON: %s (line %d)", jerr.text, jerr.line);
        goto malformed;
    }
    if (s_uint (root, "version", INT32_MAX) != WK_IMAGE_VERSION) {
        s_bad (&ctx, "unsupported manifest version");
        goto malformed;
    }
    if (s_decode_segments (self, root, &ctx) != 0
        || s_decode_chunks (self, root, &ctx) != 0
        || s_decode_files (self, root, &ctx) != 0)
        goto malformed;
    s_build_index (self);
    json_decref (root);
    return self;
malformed:
    json_decref (root);
    wk_manifest_destroy (&self);
    return NULL;
}


wk_manifest_t *
wk_manifest_load (const char *path, char *err, size_t errsize)
{
    edge_assert (path && err && errsize > 0);
    FILE *file = fopen (path, "rb");
    if (!file) {
        snprintf (err, errsize, "cannot open %s", path);
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *text = edge_malloc (cap);
    size_t n;
    while ((n = fread (text + len, 1, cap - len, file)) > 0) {
        len += n;
        if (len == cap)
            text = edge_realloc (text, cap *= 2);
    }
    bool is_error = ferror (file);
    fclose (file);
    wk_manifest_t *self = NULL;
    if (is_error)
        snprintf (err, errsize, "cannot read %s", path);
    else
        self = wk_manifest_decode (text, len, err, errsize);
    free (text);
    return self;
}


void
wk_manifest_destroy (wk_manifest_t **self_p)
{
    edge_assert (self_p);
    wk_manifest_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->files && i < self->nfiles; i++) {
        free (self->files[i].path);
        free (self->files[i].target);
        free (self->files[i].refs);
    }
    for (size_t i = 0; self->segments && i < self->nsegments; i++)
        free (self->segments[i].name);
    if (self->index)
        free (self->index->entries);
    free (self->index);
    free (self->files);
    free (self->chunks);
    free (self->load_order);
    free (self->segments);
    free (self);
    *self_p = NULL;
}


int64_t
wk_manifest_find (const wk_manifest_t *self, const unsigned char sha[32])
{
    edge_assert (self && self->index && sha);
    size_t lo = 0, hi = self->index->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = memcmp (self->index->entries[mid].sha, sha, 32);
        if (cmp == 0)
            return self->index->entries[mid].index;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}


bool
wk_manifest_path_is_safe (const char *path)
{
    if (!path || !*path || *path == '/')
        return false;
    const char *seg = path;
    while (true) {
        const char *end = strchr (seg, '/');
        size_t len = end ? (size_t) (end - seg) : strlen (seg);
        if (len == 0 || (len == 1 && seg[0] == '.')
            || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (!end)
            return true;
        seg = end + 1;
    }
}
