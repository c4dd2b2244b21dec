/*  edge-fetch - rebuilds a build's files byte for byte from a DxF image, or
    from a patch plus the old build (its image or its files), verifying the
    SHA-256 of every chunk.

    Usage: edge-fetch [--old DIR [--old-manifest FILE]]
                      [--start-after-preload MBIT] SOURCE OUTDIR
      SOURCE  an image (manifest.json + segments) or a patch (patch.json +
              manifest.json + segments): a directory or an http(s) URL
      --old   the old build for a patch: an image directory, or a directory
              of its files together with --old-manifest (its manifest.json)
      --start-after-preload MBIT
              as a launcher would at MBIT Mbit/s: chunks are read in stream
              order (the load order, each chunk its stored size) and a line
              "start: ..." tells at which stream byte, and after how long at
              that bandwidth, the game could start, from the manifest's
              preload table (the row of the largest bandwidth not above
              MBIT; the whole stream when there is no such row). Every chunk
              is still read and verified before the exit status is 0.
    Exit status: 0 rebuilt, 1 failed (the reason on stderr), 2 usage.  */
#include "ef_source.h"
#include "wk_image.h"
#include "wk_manifest.h"
#include "wk_patch.h"
#include "edge_crypto.h"
#include "edge_util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define S_CHUNK_MAX (16u * 1024 * 1024) //  wk_manifest's bound on a chunk

typedef enum { S_SRC, S_OLD_IMAGE, S_OLD_FILE } s_where_t;

typedef struct {
    s_where_t where;  //  which source holds the chunk
    const char *name; //  borrowed: segment or old file name
    uint64_t offset;  //  where in it
    uint32_t stored;  //  bytes to read
    bool is_zstd;     //  compressed
} s_loc_t;

typedef struct {
    const char *out_dir;   //  output directory
    ef_source_t *src;      //  image or patch
    ef_source_t *old;      //  old build, patch mode only
    wk_manifest_t *m;      //  the manifest of the build to rebuild
    wk_manifest_t *old_m;  //  the old build's manifest
    wk_patch_t *patch;     //  patch.json, patch mode only
    bool is_old_files;     //  old build given as files
    s_loc_t *locs;         //  per chunk of m
    uint32_t *occ_start;   //  per chunk: first occurrence (CSR)
    uint32_t (*occ)[2];    //  occurrences: {file, ref}
    uint8_t *stored, *raw; //  read and decompression buffers
    ZSTD_DCtx *dctx;       //  decompression context
    int out_fd;            //  cached output file, or -1
    size_t out_file;       //  its index in m->files
    uint64_t start_bps;    //  --start-after-preload, 0 when not given
    uint64_t start_at;     //  preload: stream bytes before the start
    uint64_t start_row;    //  table row used (bits/s), 0 for none
    uint64_t stream_pos;   //  stream bytes read so far
    uint64_t stream_size;  //  the whole stream
    bool is_started;       //  the start line was printed
    int64_t t0;            //  when reading began (monotonic ms)
} s_fetch_t;


static int s_fail (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static int
s_fail (const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    fputs ("edge-fetch: ", stderr);
    vfprintf (stderr, fmt, args);
    fputc ('\n', stderr);
    va_end (args);
    return -1;
}


//  Load and decode a manifest from source, with its dxfName.
static wk_manifest_t *
s_load_manifest (ef_source_t *source, char dxf[WK_IMAGE_NAME_SIZE])
{
    char *text;
    size_t len;
    if (ef_source_load (source, WK_IMAGE_MANIFEST, &text, &len) != 0) {
        s_fail ("%s", ef_source_errstr (source));
        return NULL;
    }
    char err[256], hex[65];
    wk_manifest_t *m = wk_manifest_decode (text, len, err, sizeof (err));
    if (!m)
        s_fail ("%s/%s: %s", ef_source_location (source), WK_IMAGE_MANIFEST,
                err);
    edge_sha256_hex (text, len, hex);
    snprintf (dxf, WK_IMAGE_NAME_SIZE, "dxf_%.16s", hex);
    free (text);
    return m;
}


//  Patch mode: read patch.json and the old manifest, check both names.
static int
s_open_patch (s_fetch_t *f, const char *dxf, const char *old_manifest)
{
    char *text, err[256], old_dxf[WK_IMAGE_NAME_SIZE];
    size_t len;
    if (ef_source_load (f->src, WK_PATCH_FILE, &text, &len) != 0)
        return s_fail ("%s", ef_source_errstr (f->src));
    f->patch = wk_patch_decode (text, len, f->m, err, sizeof (err));
    free (text);
    if (!f->patch)
        return s_fail ("%s: %s", ef_source_location (f->src), err);
    if (strcmp (f->patch->to_dxf, dxf) != 0)
        return s_fail ("the patch is for %s but its manifest is %s",
                       f->patch->to_dxf, dxf);
    if (!f->old)
        return s_fail ("a patch needs --old (the old build)");
    if (old_manifest) {
        char *dir = edge_strdup (old_manifest);
        char *slash = strrchr (dir, '/');
        ef_source_t *source =
            ef_source_new (slash ? (*slash = '\0', dir) : ".");
        if (source
            && strcmp (slash ? slash + 1 : old_manifest, WK_IMAGE_MANIFEST)
                   != 0)
            s_fail ("--old-manifest must name a file called %s",
                    WK_IMAGE_MANIFEST);
        else if (source)
            f->old_m = s_load_manifest (source, old_dxf);
        ef_source_destroy (&source);
        free (dir);
        f->is_old_files = true;
    }
    else
        f->old_m = s_load_manifest (f->old, old_dxf);
    if (!f->old_m)
        return -1;
    if (strcmp (f->patch->from_dxf, old_dxf) != 0)
        return s_fail ("the patch applies to %s but the old build is %s",
                       f->patch->from_dxf, old_dxf);
    return 0;
}


//  Where each chunk of the old build can be read.
static s_loc_t *
s_old_locations (s_fetch_t *f)
{
    wk_manifest_t *old = f->old_m;
    s_loc_t *locs = edge_calloc (old->nchunks + 1, sizeof (*locs));
    for (size_t i = 0; i < old->nchunks && !f->is_old_files; i++)
        locs[i] =
            (s_loc_t){S_OLD_IMAGE, old->segments[old->chunks[i].segment].name,
                      old->chunks[i].offset, old->chunks[i].stored,
                      old->chunks[i].is_zstd};
    for (size_t i = 0; i < old->nfiles && f->is_old_files; i++)
        for (size_t r = 0; r < old->files[i].nrefs; r++) {
            const wk_manifest_ref_t *ref = &old->files[i].refs[r];
            if (!locs[ref->chunk].name)
                locs[ref->chunk] = (s_loc_t){S_OLD_FILE, old->files[i].path,
                                             ref->offset, ref->length, false};
        }
    return locs;
}


static int
s_locate (s_fetch_t *f)
{
    wk_manifest_t *m = f->m;
    f->locs = edge_calloc (m->nchunks + 1, sizeof (s_loc_t));
    if (!f->patch) {
        for (size_t i = 0; i < m->nchunks; i++)
            f->locs[i] = (s_loc_t){
                S_SRC, m->segments[m->chunks[i].segment].name,
                m->chunks[i].offset, m->chunks[i].stored, m->chunks[i].is_zstd};
        return 0;
    }
    for (size_t i = 0; i < f->patch->nrefs; i++) {
        const wk_patch_ref_t *ref = &f->patch->refs[i];
        const wk_manifest_chunk_t *chunk = &m->chunks[ref->chunk];
        f->locs[ref->chunk] =
            (s_loc_t){S_SRC, f->patch->segments[ref->segment].name, ref->offset,
                      chunk->stored, chunk->is_zstd};
    }
    s_loc_t *old_locs = s_old_locations (f);
    int rc = 0;
    for (size_t i = 0; i < m->nchunks && rc == 0; i++) {
        if (f->locs[i].name)
            continue;
        int64_t index = wk_manifest_find (f->old_m, m->chunks[i].sha);
        if (index < 0 || !old_locs[index].name)
            rc = s_fail ("chunk %zu is neither in the patch nor in the old "
                         "build",
                         i);
        else
            f->locs[i] = old_locs[index];
    }
    free (old_locs);
    return rc;
}


//  Index every (file, ref) by chunk, so each chunk is read once.
static void
s_index_occurrences (s_fetch_t *f)
{
    wk_manifest_t *m = f->m;
    f->occ_start = edge_calloc (m->nchunks + 2, sizeof (uint32_t));
    size_t total = 0;
    for (size_t i = 0; i < m->nfiles; i++)
        for (size_t r = 0; r < m->files[i].nrefs; r++) {
            f->occ_start[m->files[i].refs[r].chunk + 1]++;
            total++;
        }
    for (size_t c = 0; c < m->nchunks; c++)
        f->occ_start[c + 1] += f->occ_start[c];
    f->occ = edge_calloc (total + 1, sizeof (*f->occ));
    uint32_t *next = edge_calloc (m->nchunks + 1, sizeof (uint32_t));
    for (size_t i = 0; i < m->nfiles; i++)
        for (size_t r = 0; r < m->files[i].nrefs; r++) {
            uint32_t c = m->files[i].refs[r].chunk;
            uint32_t at = f->occ_start[c] + next[c]++;
            f->occ[at][0] = (uint32_t) i;
            f->occ[at][1] = (uint32_t) r;
        }
    free (next);
}


static char *
s_out_path (s_fetch_t *f, const char *path)
{
    return edge_sprintf ("%s/%s", f->out_dir, path);
}


static int
s_mkdir_p (char *path, bool is_parent_only)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir (path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    if (!is_parent_only && mkdir (path, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}


//  Create the directories and empty files of the build.
static int
s_create_tree (s_fetch_t *f)
{
    char *root = edge_strdup (f->out_dir);
    int rc = s_mkdir_p (root, false);
    free (root);
    if (rc != 0)
        return s_fail ("cannot create %s: %s", f->out_dir, strerror (errno));
    for (size_t i = 0; i < f->m->nfiles && rc == 0; i++) {
        const wk_manifest_file_t *file = &f->m->files[i];
        if (file->type != 'f' && file->type != 'd')
            continue;
        char *path = s_out_path (f, file->path);
        if (s_mkdir_p (path, file->type == 'f') != 0)
            rc = s_fail ("cannot create %s: %s", path, strerror (errno));
        else if (file->type == 'f') {
            int fd =
                open (path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
            if (fd < 0 || ftruncate (fd, (off_t) file->size) != 0)
                rc = s_fail ("cannot create %s: %s", path, strerror (errno));
            if (fd >= 0)
                close (fd);
        }
        free (path);
    }
    return rc;
}


//  Read chunk c from wherever it is, decompress it and check its SHA-256.
//  Returns the raw bytes (borrowed), or NULL.
static const uint8_t *
s_read_chunk (s_fetch_t *f, uint32_t c)
{
    const s_loc_t *loc = &f->locs[c];
    const wk_manifest_chunk_t *chunk = &f->m->chunks[c];
    ef_source_t *source = loc->where == S_SRC ? f->src : f->old;
    if (loc->stored > S_CHUNK_MAX
        || ef_source_read (source, loc->name, loc->offset, f->stored,
                           loc->stored)
               != 0) {
        s_fail ("chunk %u: %s", c, ef_source_errstr (source));
        return NULL;
    }
    const uint8_t *raw = f->stored;
    size_t size = loc->stored;
    if (loc->is_zstd) {
        size = ZSTD_decompressDCtx (f->dctx, f->raw, S_CHUNK_MAX, f->stored,
                                    loc->stored);
        raw = f->raw;
    }
    unsigned char sha[EDGE_SHA256_LEN];
    char want[65], got[65];
    edge_hex (chunk->sha, EDGE_SHA256_LEN, want);
    if (ZSTD_isError (size) || size != chunk->size) {
        s_fail ("chunk %u (sha256 %s) in %s/%s at %llu: cannot decompress it "
                "to its %u bytes",
                c, want, ef_source_location (source), loc->name,
                (unsigned long long) loc->offset, chunk->size);
        return NULL;
    }
    edge_sha256 (raw, size, sha);
    if (memcmp (sha, chunk->sha, EDGE_SHA256_LEN) != 0) {
        edge_hex (sha, EDGE_SHA256_LEN, got);
        s_fail ("chunk %u (sha256 %s) in %s/%s at %llu: SHA-256 mismatch "
                "(got %s)",
                c, want, ef_source_location (source), loc->name,
                (unsigned long long) loc->offset, got);
        return NULL;
    }
    return raw;
}


//  Write chunk c's bytes at every place it occurs.
static int
s_write_chunk (s_fetch_t *f, uint32_t c, const uint8_t *raw)
{
    for (uint32_t at = f->occ_start[c]; at < f->occ_start[c + 1]; at++) {
        size_t index = f->occ[at][0];
        const wk_manifest_file_t *file = &f->m->files[index];
        const wk_manifest_ref_t *ref = &file->refs[f->occ[at][1]];
        if (f->out_fd < 0 || f->out_file != index) {
            if (f->out_fd >= 0)
                close (f->out_fd);
            char *path = s_out_path (f, file->path);
            f->out_fd = open (path, O_WRONLY | O_NOFOLLOW);
            free (path);
            f->out_file = index;
            if (f->out_fd < 0)
                return s_fail ("cannot open %s: %s", file->path,
                               strerror (errno));
        }
        if (pwrite (f->out_fd, raw, ref->length, (off_t) ref->offset)
            != (ssize_t) ref->length)
            return s_fail ("cannot write %s: %s", file->path, strerror (errno));
    }
    return 0;
}


//  --start-after-preload: the preload for the bandwidth from the table.
static void
s_plan_start (s_fetch_t *f)
{
    for (size_t c = 0; c < f->m->nchunks; c++)
        f->stream_size += f->m->chunks[c].stored;
    f->start_at = f->stream_size;
    for (size_t i = 0; i < f->m->npreload; i++)
        if (f->m->preload[i].bandwidth_bps <= f->start_bps) {
            f->start_row = f->m->preload[i].bandwidth_bps;
            f->start_at = f->m->preload[i].bytes < f->stream_size
                              ? f->m->preload[i].bytes
                              : f->stream_size;
        }
    f->t0 = edge_mono_ms ();
}


//  Print the start line once the stream has reached the preload.
static void
s_maybe_start (s_fetch_t *f, size_t chunks_done)
{
    if (!f->start_bps || f->is_started || f->stream_pos < f->start_at)
        return;
    f->is_started = true;
    char row[64] = "no preload row: the whole stream";
    if (f->start_row)
        snprintf (row, sizeof (row), "preload row %g Mbit/s, p%u",
                  (double) f->start_row / 1e6, f->m->preload_percentile);
    printf ("start: after %llu of %llu stream bytes (%.1f %%), %.3f s at %g "
            "Mbit/s (%s); reached here after %lld ms, %zu of %zu chunks "
            "verified\n",
            (unsigned long long) f->stream_pos,
            (unsigned long long) f->stream_size,
            f->stream_size
                ? 100.0 * (double) f->stream_pos / (double) f->stream_size
                : 100.0,
            (double) f->stream_pos * 8.0 / (double) f->start_bps,
            (double) f->start_bps / 1e6, row,
            (long long) (edge_mono_ms () - f->t0), chunks_done, f->m->nchunks);
    fflush (stdout);
}


//  Every chunk once: in load order first (sequential reads), then any
//  chunk the load order left out.
static int
s_fill_files (s_fetch_t *f)
{
    f->stored = edge_malloc (S_CHUNK_MAX);
    f->raw = edge_malloc (S_CHUNK_MAX);
    f->dctx = ZSTD_createDCtx ();
    bool *is_done = edge_calloc (f->m->nchunks + 1, sizeof (bool));
    int rc = 0;
    size_t done = 0;
    if (f->start_bps)
        s_plan_start (f);
    s_maybe_start (f, done);
    for (size_t i = 0; rc == 0 && i < f->m->nload + f->m->nchunks; i++) {
        uint32_t c = i < f->m->nload ? f->m->load_order[i]
                                     : (uint32_t) (i - f->m->nload);
        if (is_done[c])
            continue;
        const uint8_t *raw = s_read_chunk (f, c);
        rc = raw ? s_write_chunk (f, c, raw) : -1;
        is_done[c] = true;
        f->stream_pos += f->m->chunks[c].stored;
        if (rc == 0)
            s_maybe_start (f, ++done);
    }
    free (is_done);
    return rc;
}


//  Links, then modes and times (directories last, deepest first).
static int
s_finish_tree (s_fetch_t *f)
{
    int rc = 0;
    for (size_t i = 0; i < f->m->nfiles && rc == 0; i++) {
        const wk_manifest_file_t *file = &f->m->files[i];
        char *path = s_out_path (f, file->path);
        char *copy = edge_strdup (path);
        if (file->type == 'l' || file->type == 'h') {
            char *target = file->type == 'h' ? s_out_path (f, file->target)
                                             : edge_strdup (file->target);
            if (s_mkdir_p (copy, true) != 0
                || (file->type == 'l' ? symlink (target, path)
                                      : link (target, path))
                       != 0)
                rc = s_fail ("cannot create link %s: %s", file->path,
                             strerror (errno));
            free (target);
        }
        else if (file->type == 'f' && chmod (path, file->mode & 0777) != 0)
            rc = s_fail ("cannot chmod %s: %s", file->path, strerror (errno));
        struct timespec times[2] = {{file->mtime, 0}, {file->mtime, 0}};
        if (rc == 0 && file->type != 'h')
            utimensat (AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
        free (copy);
        free (path);
    }
    for (size_t i = f->m->nfiles; i > 0 && rc == 0; i--) {
        const wk_manifest_file_t *file = &f->m->files[i - 1];
        if (file->type != 'd')
            continue;
        char *path = s_out_path (f, file->path);
        struct timespec times[2] = {{file->mtime, 0}, {file->mtime, 0}};
        if (chmod (path, (file->mode & 0777) | 0700) != 0
            || utimensat (AT_FDCWD, path, times, 0) != 0)
            rc = s_fail ("cannot set the mode of %s: %s", file->path,
                         strerror (errno));
        free (path);
    }
    return rc;
}


static int
s_run (s_fetch_t *f, const char *old_manifest)
{
    char dxf[WK_IMAGE_NAME_SIZE];
    f->m = s_load_manifest (f->src, dxf);
    if (!f->m)
        return -1;
    if (ef_source_exists (f->src, WK_PATCH_FILE)
        && s_open_patch (f, dxf, old_manifest) != 0)
        return -1;
    if (s_locate (f) != 0)
        return -1;
    s_index_occurrences (f);
    if (s_create_tree (f) != 0 || s_fill_files (f) != 0)
        return -1;
    if (f->out_fd >= 0 && close (f->out_fd) != 0)
        return s_fail ("cannot write: %s", strerror (errno));
    f->out_fd = -1;
    if (s_finish_tree (f) != 0)
        return -1;
    printf ("%s: %zu entries, %zu chunks, %llu bytes%s\n", dxf, f->m->nfiles,
            f->m->nchunks, (unsigned long long) f->m->total_size,
            f->patch ? " (from a patch)" : "");
    return 0;
}


static int
s_usage (void)
{
    fprintf (stderr, "usage: edge-fetch [--old DIR [--old-manifest FILE]] "
                     "[--start-after-preload MBIT] SOURCE OUTDIR\n");
    return 2;
}


int
main (int argc, char *argv[])
{
    const char *old_dir = NULL, *old_manifest = NULL;
    uint64_t start_bps = 0;
    int i = 1;
    for (; i + 1 < argc && strncmp (argv[i], "--", 2) == 0; i += 2) {
        if (strcmp (argv[i], "--old") == 0)
            old_dir = argv[i + 1];
        else if (strcmp (argv[i], "--old-manifest") == 0)
            old_manifest = argv[i + 1];
        else if (strcmp (argv[i], "--start-after-preload") == 0) {
            char *end;
            double mbit = strtod (argv[i + 1], &end);
            if (*end || !(mbit > 0 && mbit < 1e6))
                return s_usage ();
            start_bps = (uint64_t) (mbit * 1e6);
        }
        else
            return s_usage ();
    }
    if (argc - i != 2 || (old_manifest && !old_dir))
        return s_usage ();
    s_fetch_t f = {
        .out_dir = argv[i + 1], .out_fd = -1, .start_bps = start_bps};
    f.src = ef_source_new (argv[i]);
    f.old = old_dir ? ef_source_new (old_dir) : NULL;
    int rc = 1;
    if (!f.src || (old_dir && !f.old))
        s_fail ("no such directory: %s", f.src ? old_dir : argv[i]);
    else if (s_run (&f, old_manifest) == 0)
        rc = 0;
    if (f.out_fd >= 0)
        close (f.out_fd);
    ZSTD_freeDCtx (f.dctx);
    free (f.raw);
    free (f.stored);
    free (f.occ);
    free (f.occ_start);
    free (f.locs);
    wk_patch_destroy (&f.patch);
    wk_manifest_destroy (&f.old_m);
    wk_manifest_destroy (&f.m);
    ef_source_destroy (&f.old);
    ef_source_destroy (&f.src);
    return rc;
}
