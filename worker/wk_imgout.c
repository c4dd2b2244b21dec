/*  wk_imgout - chunk store, segment writer and manifest writer of an image
    build. Chunks are numbered in the order they are first seen, which is
    the load order; files entries are spooled to ".files.spool" as they
    complete and copied into manifest.json at the end.  */
#include "wk_imgout.h"
#include "wk_cdc.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_util.h"
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

typedef struct {
    uint32_t chunk;  //  chunk index
    uint32_t length; //  chunk size
    uint64_t offset; //  offset in the file
} s_ref_t;

struct wk_imgout {
    char *dir;                   //  output directory
    char *spool_path;            //  files entries spool
    FILE *spool;                 //  open spool
    uint64_t entries;            //  entries spooled
    wk_imgout_segs_t segs;       //  segment writer
    int zstd_level;              //  0: no compression
    ZSTD_CCtx *zctx;             //  compression context
    void *zbuf;                  //  compression output
    size_t zbuf_size;            //  its size
    wk_manifest_chunk_t *chunks; //  unique chunks in load order
    uint32_t nchunks;
    size_t chunks_cap;
    uint32_t *slots;    //  open-addressing index: chunk + 1, 0 free
    uint32_t slots_cap; //  power of two
    s_ref_t *refs;      //  current file's chunk list
    size_t nrefs, refs_cap;
    uint64_t chunk_refs;   //  total references
    uint64_t raw_bytes;    //  sum of file sizes
    uint64_t unique_bytes; //  sum of chunk sizes
    char errstr[256];      //  last failure
};


static int s_error (wk_imgout_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_error (wk_imgout_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->errstr, sizeof (self->errstr), fmt, args);
    va_end (args);
    return -1;
}


static uint32_t
s_slot_of (const unsigned char *sha, uint32_t cap)
{
    uint64_t key;
    memcpy (&key, sha, sizeof (key));
    return (uint32_t) (key & (cap - 1));
}


static void
s_index_grow (wk_imgout_t *self)
{
    uint32_t cap = self->slots_cap ? self->slots_cap * 2 : 4096;
    uint32_t *slots = edge_calloc (cap, sizeof (*slots));
    for (uint32_t i = 0; i < self->nchunks; i++) {
        uint32_t slot = s_slot_of (self->chunks[i].sha, cap);
        while (slots[slot])
            slot = (slot + 1) & (cap - 1);
        slots[slot] = i + 1;
    }
    free (self->slots);
    self->slots = slots;
    self->slots_cap = cap;
}


//  Find sha; returns its index, or -1 with *slot_p the free slot for it.
static int64_t
s_index_find (wk_imgout_t *self, const unsigned char *sha, uint32_t *slot_p)
{
    uint32_t slot = s_slot_of (sha, self->slots_cap);
    while (self->slots[slot]) {
        uint32_t index = self->slots[slot] - 1;
        if (memcmp (self->chunks[index].sha, sha, EDGE_SHA256_LEN) == 0)
            return index;
        slot = (slot + 1) & (self->slots_cap - 1);
    }
    *slot_p = slot;
    return -1;
}


wk_imgout_t *
wk_imgout_new (const char *dir, const wk_imgout_opts_t *opts)
{
    edge_assert (dir && opts && opts->segment_max > 0);
    if (wk_imgout_mkdir_p (dir) != 0)
        return NULL;
    wk_imgout_t *self = edge_calloc (1, sizeof (*self));
    self->dir = edge_strdup (dir);
    self->spool_path = edge_sprintf ("%s/.files.spool", dir);
    self->spool = fopen (self->spool_path, "w+");
    if (!self->spool) {
        wk_imgout_destroy (&self);
        return NULL;
    }
    wk_imgout_segs_init (&self->segs, dir, opts->segment_max);
    self->zstd_level = opts->zstd_level;
    if (self->zstd_level) {
        self->zctx = ZSTD_createCCtx ();
        edge_assert (self->zctx);
        self->zbuf_size = ZSTD_compressBound (WK_CDC_MAX);
        self->zbuf = edge_malloc (self->zbuf_size);
    }
    s_index_grow (self);
    return self;
}


void
wk_imgout_destroy (wk_imgout_t **self_p)
{
    edge_assert (self_p);
    wk_imgout_t *self = *self_p;
    if (!self)
        return;
    if (self->spool) {
        fclose (self->spool);
        unlink (self->spool_path);
    }
    wk_imgout_segs_fini (&self->segs);
    ZSTD_freeCCtx (self->zctx);
    free (self->zbuf);
    free (self->chunks);
    free (self->slots);
    free (self->refs);
    free (self->spool_path);
    free (self->dir);
    free (self);
    *self_p = NULL;
}


void
wk_imgout_file_begin (wk_imgout_t *self)
{
    edge_assert (self);
    self->nrefs = 0;
}


//  Store a new chunk in the current segment; returns its index or -1.
static int64_t
s_store (wk_imgout_t *self,
         const unsigned char *sha,
         const uint8_t *data,
         uint32_t len)
{
    const void *stored = data;
    size_t stored_len = len;
    bool is_zstd = false;
    if (self->zctx) {
        size_t n = ZSTD_compressCCtx (self->zctx, self->zbuf, self->zbuf_size,
                                      data, len, self->zstd_level);
        if (!ZSTD_isError (n) && n < len) {
            stored = self->zbuf;
            stored_len = n;
            is_zstd = true;
        }
    }
    wk_manifest_chunk_t chunk = {
        .size = len, .stored = (uint32_t) stored_len, .is_zstd = is_zstd};
    memcpy (chunk.sha, sha, EDGE_SHA256_LEN);
    if (wk_imgout_segs_write (&self->segs, stored, stored_len, &chunk.segment,
                              &chunk.offset)
        != 0)
        return s_error (self, "cannot write a segment in %s: %s", self->dir,
                        strerror (errno));
    self->chunks =
        edge_grow (self->chunks, &self->chunks_cap, (size_t) self->nchunks + 1,
                   1024, sizeof (wk_manifest_chunk_t));
    self->chunks[self->nchunks] = chunk;
    self->unique_bytes += len;
    return self->nchunks++;
}


int
wk_imgout_chunk (wk_imgout_t *self,
                 const uint8_t *data,
                 uint32_t len,
                 uint64_t file_offset)
{
    edge_assert (self && data && len > 0);
    unsigned char sha[EDGE_SHA256_LEN];
    edge_sha256 (data, len, sha);
    uint32_t slot;
    int64_t index = s_index_find (self, sha, &slot);
    if (index < 0) {
        index = s_store (self, sha, data, len);
        if (index < 0)
            return -1;
        self->slots[slot] = (uint32_t) index + 1;
        if ((uint64_t) self->nchunks * 2 > self->slots_cap)
            s_index_grow (self);
    }
    self->refs = edge_grow (self->refs, &self->refs_cap, self->nrefs + 1, 64,
                            sizeof (s_ref_t));
    self->refs[self->nrefs++] = (s_ref_t){(uint32_t) index, len, file_offset};
    self->chunk_refs++;
    return 0;
}


static const char *
s_type_name (char type)
{
    switch (type) {
        case 'f':
            return "file";
        case 'd':
            return "dir";
        case 'l':
            return "symlink";
        case 'h':
            return "hardlink";
        default:
            edge_assert (false);
    }
}


int
wk_imgout_entry (wk_imgout_t *self, const wk_imgout_entry_t *entry)
{
    edge_assert (self && entry && entry->path);
    json_t *path = json_string (entry->path);
    json_t *target = entry->target ? json_string (entry->target) : NULL;
    if (!path || (entry->target && !target)) {
        json_decref (path);
        json_decref (target);
        return s_error (self, "a path or link target is not UTF-8: \"%s\"",
                        path ? entry->target : entry->path);
    }
    json_t *item = json_object ();
    json_object_set_new (item, "path", path);
    json_object_set_new (item, "type", json_string (s_type_name (entry->type)));
    json_object_set_new (item, "mode", json_integer (entry->mode));
    json_object_set_new (item, "mtime", json_integer (entry->mtime));
    if (target)
        json_object_set_new (item, "target", target);
    if (entry->type == 'f') {
        json_object_set_new (item, "size",
                             json_integer ((json_int_t) entry->size));
        json_t *list = json_array ();
        for (size_t i = 0; i < self->nrefs; i++)
            json_array_append_new (
                list, json_pack ("[I,I,I]", (json_int_t) self->refs[i].chunk,
                                 (json_int_t) self->refs[i].offset,
                                 (json_int_t) self->refs[i].length));
        json_object_set_new (item, "chunks", list);
        self->raw_bytes += entry->size;
        self->nrefs = 0;
    }
    int rc = 0;
    if ((self->entries && fputs (",\n", self->spool) == EOF)
        || json_dumpf (item, self->spool, JSON_COMPACT | JSON_PRESERVE_ORDER)
               != 0)
        rc = s_error (self, "cannot write the files spool: %s",
                      strerror (errno));
    self->entries++;
    json_decref (item);
    return rc;
}


static void
s_write_header (wk_imgout_t *self, FILE *out)
{
    fprintf (out,
             "{\"version\":%d,\"format\":\"dxf\",\"hash\":\"sha256\","
             "\"chunking\":{\"algorithm\":\"fastcdc\",\"min\":%u,\"avg\":%u,"
             "\"max\":%u,\"seed\":\"%016llx\"},\"segmentMax\":%llu,"
             "\"files\":[\n",
             WK_IMAGE_VERSION, WK_CDC_MIN, WK_CDC_AVG, WK_CDC_MAX,
             (unsigned long long) WK_CDC_SEED,
             (unsigned long long) self->segs.max);
}


static void
s_write_tables (wk_imgout_t *self, FILE *out)
{
    fputs ("],\n\"chunks\":[\n", out);
    for (uint32_t i = 0; i < self->nchunks; i++)
        wk_imgout_chunk_row (out, i, &self->chunks[i], i);
    fputs ("],\n\"loadOrder\":[", out); //  tar order: chunk i is i-th
    for (uint32_t i = 0; i < self->nchunks; i++)
        fprintf (out, "%s%u", i ? "," : "", i);
    fputs ("],\n\"segments\":[", out);
    uint64_t stored = wk_imgout_segs_table (&self->segs, out);
    fprintf (out,
             "],\n\"totalSize\":%llu,\"storedSize\":%llu,"
             "\"profile\":null,\"preload\":null}\n",
             (unsigned long long) self->raw_bytes, (unsigned long long) stored);
}


//  Copy the spool into out.
static int
s_copy_spool (wk_imgout_t *self, FILE *out)
{
    if (fflush (self->spool) != 0 || fseek (self->spool, 0, SEEK_SET) != 0)
        return -1;
    char buf[65536];
    size_t n;
    while ((n = fread (buf, 1, sizeof (buf), self->spool)) > 0)
        if (fwrite (buf, 1, n, out) != n)
            return -1;
    return ferror (self->spool) ? -1 : 0;
}


//  wk_imgout_body_fn: the header, the spooled files and the tables.
static int
s_write_body (void *arg, FILE *out, char *err, size_t errsize)
{
    wk_imgout_t *self = arg;
    s_write_header (self, out);
    int copied = s_copy_spool (self, out);
    if (copied != 0)
        snprintf (err, errsize, "cannot write %s/%s: %s", self->dir,
                  WK_IMAGE_MANIFEST, strerror (errno));
    s_write_tables (self, out);
    return copied;
}


int
wk_imgout_finish (wk_imgout_t *self, wk_image_info_t *info)
{
    edge_assert (self && info);
    if (wk_imgout_segs_close (&self->segs) != 0)
        return s_error (self, "cannot write a segment: %s", strerror (errno));
    if (wk_imgout_write_manifest (self->dir, s_write_body, self, info->dxf_name,
                                  self->errstr, sizeof (self->errstr))
        != 0)
        return -1;
    info->files = self->entries;
    info->chunks = self->nchunks;
    info->chunk_refs = self->chunk_refs;
    info->raw_bytes = self->raw_bytes;
    info->unique_bytes = self->unique_bytes;
    info->segments = self->segs.count;
    for (uint32_t i = 0; i < self->segs.count; i++)
        info->stored_bytes += self->segs.sizes[i];
    return 0;
}


const char *
wk_imgout_errstr (const wk_imgout_t *self)
{
    edge_assert (self);
    return self->errstr;
}


int
wk_imgout_sha256_file (const char *path, unsigned char digest[32])
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    edge_assert (ctx);
    EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread (buf, 1, sizeof (buf), file)) > 0)
        EVP_DigestUpdate (ctx, buf, n);
    int rc = ferror (file) ? -1 : 0;
    EVP_DigestFinal_ex (ctx, digest, NULL);
    EVP_MD_CTX_free (ctx);
    fclose (file);
    return rc;
}


int
wk_imgout_mkdir_p (const char *dir)
{
    edge_assert (dir);
    char *copy = edge_strdup (dir);
    int rc = 0;
    for (char *p = copy + 1; rc == 0 && *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir (copy, 0755) != 0 && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    if (rc == 0 && mkdir (copy, 0755) != 0 && errno != EEXIST)
        rc = -1;
    free (copy);
    return rc;
}


void
wk_imgout_chunk_row (FILE *out,
                     uint32_t index,
                     const wk_manifest_chunk_t *chunk,
                     uint32_t order)
{
    edge_assert (out && chunk);
    char hex[2 * EDGE_SHA256_LEN + 1];
    edge_hex (chunk->sha, EDGE_SHA256_LEN, hex);
    fprintf (out,
             "%s{\"sha256\":\"%s\",\"size\":%u,\"storedSize\":%u,"
             "\"compression\":\"%s\",\"segment\":%u,\"offset\":%llu,"
             "\"order\":%u}",
             index ? ",\n" : "", hex, chunk->size, chunk->stored,
             chunk->is_zstd ? "zstd" : "none", chunk->segment,
             (unsigned long long) chunk->offset, order);
}


int
wk_imgout_write_manifest (const char *dir,
                          wk_imgout_body_fn *body,
                          void *arg,
                          char dxf_name[WK_IMAGE_NAME_SIZE],
                          char *err,
                          size_t errsize)
{
    edge_assert (dir && body && dxf_name && err && errsize > 0);
    char *tmp = edge_sprintf ("%s/%s.tmp", dir, WK_IMAGE_MANIFEST);
    char *path = edge_sprintf ("%s/%s", dir, WK_IMAGE_MANIFEST);
    int rc = -1;
    FILE *out = fopen (tmp, "w");
    if (!out) {
        snprintf (err, errsize, "cannot create %s: %s", tmp, strerror (errno));
        goto cleanup;
    }
    int written = body (arg, out, err, errsize);
    bool is_error = ferror (out);
    if (fclose (out) != 0 || is_error || written != 0
        || rename (tmp, path) != 0) {
        if (written == 0)
            snprintf (err, errsize, "cannot write %s: %s", path,
                      strerror (errno));
        unlink (tmp);
        goto cleanup;
    }
    if (wk_image_dxf_name (path, dxf_name) != 0) {
        snprintf (err, errsize, "cannot read back %s", path);
        goto cleanup;
    }
    rc = 0;
cleanup:
    free (path);
    free (tmp);
    return rc;
}


void
wk_imgout_segs_init (wk_imgout_segs_t *segs, const char *dir, uint64_t max)
{
    edge_assert (segs && dir && max > 0);
    memset (segs, 0, sizeof (*segs));
    segs->dir = edge_strdup (dir);
    segs->max = max;
}


int
wk_imgout_segs_write (wk_imgout_segs_t *segs,
                      const void *data,
                      size_t len,
                      uint32_t *segment,
                      uint64_t *offset)
{
    edge_assert (segs && data && segment && offset);
    if (segs->file && segs->sizes[segs->count - 1] + len > segs->max
        && wk_imgout_segs_close (segs) != 0)
        return -1;
    if (!segs->file) {
        char name[32];
        wk_image_segment_name (segs->count, name, sizeof (name));
        char *path = edge_sprintf ("%s/%s", segs->dir, name);
        segs->file = fopen (path, "wb");
        free (path);
        if (!segs->file)
            return -1;
        segs->sizes =
            edge_realloc (segs->sizes, (segs->count + 1) * sizeof (uint64_t));
        segs->sizes[segs->count++] = 0;
    }
    if (fwrite (data, 1, len, segs->file) != len)
        return -1;
    *segment = segs->count - 1;
    *offset = segs->sizes[segs->count - 1];
    segs->sizes[segs->count - 1] += len;
    return 0;
}


uint64_t
wk_imgout_segs_table (const wk_imgout_segs_t *segs, FILE *out)
{
    edge_assert (segs && out);
    uint64_t total = 0;
    char name[32];
    for (uint32_t i = 0; i < segs->count; i++) {
        wk_image_segment_name (i, name, sizeof (name));
        fprintf (out, "%s{\"name\":\"%s\",\"size\":%llu}", i ? "," : "", name,
                 (unsigned long long) segs->sizes[i]);
        total += segs->sizes[i];
    }
    return total;
}


int
wk_imgout_segs_close (wk_imgout_segs_t *segs)
{
    edge_assert (segs);
    if (!segs->file)
        return 0;
    int rc = fclose (segs->file) == 0 ? 0 : -1;
    segs->file = NULL;
    return rc;
}


void
wk_imgout_segs_fini (wk_imgout_segs_t *segs)
{
    if (!segs)
        return;
    if (segs->file)
        fclose (segs->file);
    free (segs->sizes);
    free (segs->dir);
    memset (segs, 0, sizeof (*segs));
}
