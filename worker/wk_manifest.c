/*  wk_manifest - decodes and validates manifest.json into plain arrays.  */
#include "wk_manifest.h"
#include "wk_image.h"
#include "wk_mscan.h"
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


//  Check one chunk's members (values -1 when missing or out of range) and
//  store them; where it lies is checked by s_chunk_place.
static int
s_chunk_fields (wk_manifest_chunk_t *chunk,
                const char *sha_hex,
                const char *comp,
                const int64_t values[4],
                size_t i,
                s_ctx_t *ctx)
{
    int64_t size = values[0], stored = values[1], segment = values[2],
            offset = values[3];
    if (s_hex_decode (sha_hex, chunk->sha) != 0 || size < 1
        || size > S_CHUNK_LIMIT || stored < 1 || stored > S_CHUNK_LIMIT
        || segment < 0 || segment > UINT32_MAX || offset < 0 || !comp
        || (strcmp (comp, "zstd") != 0 && strcmp (comp, "none") != 0))
        return s_bad (ctx, "chunk %zu is malformed", i);
    chunk->is_zstd = strcmp (comp, "zstd") == 0;
    if (!chunk->is_zstd && stored != size)
        return s_bad (ctx, "chunk %zu: storedSize differs from size", i);
    chunk->size = (uint32_t) size;
    chunk->stored = (uint32_t) stored;
    chunk->segment = (uint32_t) segment;
    chunk->offset = (uint64_t) offset;
    return 0;
}


static int
s_chunk_place (const wk_manifest_t *self, size_t i, s_ctx_t *ctx)
{
    const wk_manifest_chunk_t *chunk = &self->chunks[i];
    if (chunk->segment >= self->nsegments
        || chunk->offset + chunk->stored > self->segments[chunk->segment].size)
        return s_bad (ctx, "chunk %zu lies outside its segment", i);
    return 0;
}


static int
s_decode_chunk (wk_manifest_t *self, json_t *item, size_t i, s_ctx_t *ctx)
{
    int64_t values[4] = {s_uint (item, "size", S_CHUNK_LIMIT),
                         s_uint (item, "storedSize", S_CHUNK_LIMIT),
                         s_uint (item, "segment", UINT32_MAX),
                         s_uint (item, "offset", INT64_MAX)};
    if (s_chunk_fields (
            &self->chunks[i],
            json_string_value (json_object_get (item, "sha256")),
            json_string_value (json_object_get (item, "compression")), values,
            i, ctx)
        != 0)
        return -1;
    return s_chunk_place (self, i, ctx);
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


//  Optional "order" members of chunks: each the chunk's place in loadOrder.
static int
s_decode_places (wk_manifest_t *self, json_t *root, s_ctx_t *ctx)
{
    json_t *list = json_object_get (root, "chunks");
    int64_t *place = NULL;
    int rc = 0;
    for (size_t i = 0; i < self->nchunks && rc == 0; i++) {
        json_t *value = json_object_get (json_array_get (list, i), "order");
        if (!value)
            continue;
        if (!place) {
            place = edge_malloc ((self->nchunks + 1) * sizeof (int64_t));
            for (size_t c = 0; c < self->nchunks; c++)
                place[c] = -1;
            for (size_t k = self->nload; k > 0; k--)
                place[self->load_order[k - 1]] = (int64_t) (k - 1);
        }
        if (!json_is_integer (value) || json_integer_value (value) != place[i])
            rc = s_bad (ctx,
                        "chunk %zu: \"order\" is not its place in "
                        "loadOrder",
                        i);
    }
    free (place);
    return rc;
}


//  The optional preload table.
static int
s_decode_preload (wk_manifest_t *self, json_t *root, s_ctx_t *ctx)
{
    json_t *preload = json_object_get (root, "preload");
    if (!preload || json_is_null (preload))
        return 0;
    json_t *table = json_object_get (preload, "table");
    int64_t percentile = s_uint (preload, "percentile", 100);
    if (!json_is_object (preload) || !json_is_array (table) || percentile < 0)
        return s_bad (ctx, "\"preload\" is malformed");
    self->preload_percentile = (uint32_t) percentile;
    self->npreload = json_array_size (table);
    self->preload =
        edge_calloc (self->npreload + 1, sizeof (wk_manifest_preload_t));
    for (size_t i = 0; i < self->npreload; i++) {
        json_t *row = json_array_get (table, i);
        int64_t bps = s_uint (row, "bandwidthBps", INT64_MAX);
        int64_t bytes = s_uint (row, "bytes", INT64_MAX);
        if (bps <= 0 || bytes < 0
            || (i && (uint64_t) bps <= self->preload[i - 1].bandwidth_bps))
            return s_bad (ctx, "preload row %zu is malformed", i);
        self->preload[i] =
            (wk_manifest_preload_t){(uint64_t) bps, (uint64_t) bytes};
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
        || s_decode_files (self, root, &ctx) != 0
        || s_decode_places (self, root, &ctx) != 0
        || s_decode_preload (self, root, &ctx) != 0)
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
        text = edge_grow (text, &cap, len + 1, 65536, 1);
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


/*  The chunk table, read by wk_mscan: keeps "version", "chunks",
    "loadOrder" and "segments" and skips the other members, so memory
    follows the chunk count, not the text.  */

typedef struct {
    s_ctx_t ctx;         //  the caller's error buffer
    wk_manifest_t *self; //  being filled
    size_t chunks_cap, load_cap, segments_cap;
    int64_t version;            //  -1 until seen
    unsigned seen;              //  root members seen (bit per member)
    unsigned item_seen;         //  members of the current item
    char sha[WK_MSCAN_STRING];  //  current chunk's members
    char text[WK_MSCAN_STRING]; //  its compression or segment's name
    int64_t values[4];          //  size, storedSize, segment, offset
} s_table_t;


static int
s_chunk_member (wk_mscan_t *scan, const char *key, void *arg)
{
    static const char *const names[] = {"size",   "storedSize", "segment",
                                        "offset", "sha256",     "compression",
                                        NULL};
    s_table_t *table = arg;
    int i = wk_mscan_key_index (key, names, &table->item_seen);
    if (i == -2)
        return -1;
    if (i < 0)
        return wk_mscan_skip (scan);
    if (i < 4)
        return wk_mscan_int (scan, &table->values[i]);
    return i == 4 ? wk_mscan_string (scan, table->sha, sizeof (table->sha))
                  : wk_mscan_string (scan, table->text, sizeof (table->text));
}


static int
s_chunk_item (wk_mscan_t *scan, size_t index, void *arg)
{
    s_table_t *table = arg;
    wk_manifest_t *self = table->self;
    self->chunks = edge_grow (self->chunks, &table->chunks_cap, index + 1, 1024,
                              sizeof (*self->chunks));
    table->item_seen = 0;
    table->sha[0] = table->text[0] = '\0';
    for (int i = 0; i < 4; i++)
        table->values[i] = -1;
    if (wk_mscan_object (scan, s_chunk_member, table) != 0)
        return -1;
    self->nchunks = index + 1;
    memset (&self->chunks[index], 0, sizeof (self->chunks[index]));
    return s_chunk_fields (&self->chunks[index], table->sha,
                           table->text[0] ? table->text : NULL, table->values,
                           index, &table->ctx);
}


static int
s_load_item (wk_mscan_t *scan, size_t index, void *arg)
{
    s_table_t *table = arg;
    wk_manifest_t *self = table->self;
    self->load_order = edge_grow (self->load_order, &table->load_cap, index + 1,
                                  1024, sizeof (uint32_t));
    int64_t value;
    if (wk_mscan_number (scan, &value) != 0 || value < 0 || value > UINT32_MAX)
        return s_bad (&table->ctx, "loadOrder[%zu] is not a chunk", index);
    self->load_order[index] = (uint32_t) value;
    self->nload = index + 1;
    return 0;
}


static int
s_segment_member (wk_mscan_t *scan, const char *key, void *arg)
{
    static const char *const names[] = {"size", "name", NULL};
    s_table_t *table = arg;
    int i = wk_mscan_key_index (key, names, &table->item_seen);
    if (i == -2)
        return -1;
    if (i < 0)
        return wk_mscan_skip (scan);
    return i == 0 ? wk_mscan_int (scan, &table->values[0])
                  : wk_mscan_string (scan, table->text, sizeof (table->text));
}


static int
s_segment_item (wk_mscan_t *scan, size_t index, void *arg)
{
    s_table_t *table = arg;
    wk_manifest_t *self = table->self;
    self->segments = edge_grow (self->segments, &table->segments_cap, index + 1,
                                16, sizeof (*self->segments));
    table->item_seen = 0;
    table->text[0] = '\0';
    table->values[0] = -1;
    if (wk_mscan_object (scan, s_segment_member, table) != 0)
        return -1;
    if (!s_name_is_plain (table->text) || table->values[0] < 0)
        return s_bad (&table->ctx, "segment %zu is malformed", index);
    self->segments[index].name = edge_strdup (table->text);
    self->segments[index].size = (uint64_t) table->values[0];
    self->nsegments = index + 1;
    return 0;
}


static int
s_root_member (wk_mscan_t *scan, const char *key, void *arg)
{
    static const char *const names[] = {"version", "chunks", "loadOrder",
                                        "segments", NULL};
    static wk_mscan_item_fn *const items[] = {NULL, s_chunk_item, s_load_item,
                                              s_segment_item};
    s_table_t *table = arg;
    int i = wk_mscan_key_index (key, names, &table->seen);
    if (i == -2)
        return -1;
    if (i < 0)
        return wk_mscan_skip (scan);
    if (i == 0)
        return wk_mscan_int (scan, &table->version);
    if (wk_mscan_peek (scan) != '[')
        return s_bad (&table->ctx, "\"%s\" must be an array", key);
    return wk_mscan_array (scan, items[i], table);
}


//  After the scan: every member there, chunks inside their segments.
static int
s_table_check (s_table_t *table)
{
    wk_manifest_t *self = table->self;
    if (table->version != WK_IMAGE_VERSION)
        return s_bad (&table->ctx, "unsupported manifest version");
    if ((table->seen & 14u) != 14u)
        return s_bad (&table->ctx, "\"chunks\", \"loadOrder\" and "
                                   "\"segments\" must be arrays");
    for (size_t i = 0; i < self->nchunks; i++)
        if (s_chunk_place (self, i, &table->ctx) != 0)
            return -1;
    for (size_t i = 0; i < self->nload; i++)
        if (self->load_order[i] >= self->nchunks)
            return s_bad (&table->ctx, "loadOrder[%zu] is not a chunk", i);
    return 0;
}


wk_manifest_t *
wk_manifest_load_chunks (const char *path, char *err, size_t errsize)
{
    edge_assert (path && err && errsize > 0);
    wk_mscan_t *scan = wk_mscan_open (path, err, errsize);
    if (!scan)
        return NULL;
    s_table_t table = {.ctx = {err, errsize}, .version = -1};
    table.self = edge_calloc (1, sizeof (wk_manifest_t));
    if (wk_mscan_root (scan, s_root_member, &table) != 0
        || s_table_check (&table) != 0)
        wk_manifest_destroy (&table.self);
    else
        s_build_index (table.self);
    wk_mscan_destroy (&scan);
    return table.self;
}


int
wk_manifest_copy_member (
    const char *path, const char *key, FILE *out, char *err, size_t errsize)
{
    return wk_mscan_copy_member (path, key, out, err, errsize);
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
    free (self->preload);
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
