/*  wk_image - builds a DxF image from an uncompressed tar in one streaming
    pass: libarchive reads, wk_cdc cuts, SHA-256 names, a hash index
    deduplicates, zstd compresses when it saves space, segments are written
    in load order, and the manifest is written last (files entries are
    spooled to a temporary file as they complete, so memory holds only one
    chunk and one small entry per unique chunk).  */
#include "wk_image.h"
#include "wk_imgout.h"
#include "wk_cdc.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_log.h"
#include "edge_util.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_READ_BLOCK (1024 * 1024) //  libarchive read block and our buffer

typedef struct {
    struct archive *archive; //  the tar reader
    const char *tar_path;    //  borrowed
    wk_cdc_t *cdc;           //  the chunker
    wk_imgout_t *out;        //  chunk store, segments and manifest
    uint8_t *readbuf;        //  S_READ_BLOCK bytes read from the tar
    uint8_t *chunk;          //  WK_CDC_MAX bytes: the current chunk
    uint32_t fill;           //  bytes in chunk
    uint64_t file_offset;    //  offset of chunk in the current file
    volatile int *stop;      //  optional cancel flag
    wk_image_error_t *error; //  where failures are described
} s_build_t;


static int s_fail (s_build_t *build,
                   wk_image_err_t code,
                   const char *detected,
                   const char *fmt,
                   ...) __attribute__ ((format (printf, 4, 5)));

static int
s_fail (s_build_t *build,
        wk_image_err_t code,
        const char *detected,
        const char *fmt,
        ...)
{
    wk_image_error_t *error = build->error;
    error->code = code;
    snprintf (error->filename, sizeof (error->filename), "%s", build->tar_path);
    snprintf (error->type_expected, sizeof (error->type_expected), "tar");
    snprintf (error->type_detected, sizeof (error->type_detected), "%s",
              detected ? detected : "tar");
    va_list args;
    va_start (args, fmt);
    vsnprintf (error->message, sizeof (error->message), fmt, args);
    va_end (args);
    edge_warn ("image: %s: %s", build->tar_path, error->message);
    return -1;
}


//  Name of a filter that is not "none", as typeDetected.
static const char *
s_filter_name (int code)
{
    switch (code) {
        case ARCHIVE_FILTER_GZIP:
            return "gzip";
        case ARCHIVE_FILTER_BZIP2:
            return "bzip2";
        case ARCHIVE_FILTER_COMPRESS:
            return "compress";
        case ARCHIVE_FILTER_LZMA:
            return "lzma";
        case ARCHIVE_FILTER_XZ:
            return "xz";
        case ARCHIVE_FILTER_LZIP:
            return "lzip";
        case ARCHIVE_FILTER_LZ4:
            return "lz4";
        case ARCHIVE_FILTER_ZSTD:
            return "zstd";
        default:
            return "unknown";
    }
}


//  Name of an archive format, as typeDetected.
static const char *
s_format_name (int format)
{
    switch (format & ARCHIVE_FORMAT_BASE_MASK) {
        case ARCHIVE_FORMAT_TAR:
            return "tar";
        case ARCHIVE_FORMAT_CPIO:
            return "cpio";
        case ARCHIVE_FORMAT_ISO9660:
            return "iso9660";
        case ARCHIVE_FORMAT_ZIP:
            return "zip";
        case ARCHIVE_FORMAT_EMPTY:
            return "empty";
        case ARCHIVE_FORMAT_AR:
            return "ar";
        case ARCHIVE_FORMAT_XAR:
            return "xar";
        case ARCHIVE_FORMAT_LHA:
            return "lha";
        case ARCHIVE_FORMAT_CAB:
            return "cab";
        case ARCHIVE_FORMAT_RAR:
            return "rar";
        case ARCHIVE_FORMAT_RAR_V5:
            return "rar";
        case ARCHIVE_FORMAT_7ZIP:
            return "7zip";
        default:
            return "unknown";
    }
}


//  After the first header: refuse anything but a plain tar. rc is the
//  first archive_read_next_header result.
static int
s_check_type (s_build_t *build, int rc)
{
    struct archive *a = build->archive;
    for (int i = 0; i < archive_filter_count (a); i++) {
        int code = archive_filter_code (a, i);
        if (code != ARCHIVE_FILTER_NONE)
            return s_fail (build, WK_IMAGE_ERR_TYPE, s_filter_name (code),
                           "the build is compressed (%s); an uncompressed "
                           "tar is expected",
                           s_filter_name (code));
    }
    int format = archive_format (a);
    bool is_tar = (format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR;
    if (rc == ARCHIVE_FATAL || (rc == ARCHIVE_EOF && !is_tar)
        || (rc != ARCHIVE_EOF && !is_tar)) {
        const char *name = format ? s_format_name (format) : "unknown";
        return s_fail (build, WK_IMAGE_ERR_TYPE, name,
                       "the build is not a tar (detected: %s)", name);
    }
    return 0;
}


//  Open the reader with every filter and format we can name, so that a
//  wrong input is reported by what it is, then refused.
static int
s_open (s_build_t *build)
{
    struct archive *a = archive_read_new ();
    build->archive = a;
    archive_read_support_filter_gzip (a);
    archive_read_support_filter_bzip2 (a);
    archive_read_support_filter_compress (a);
    archive_read_support_filter_lzma (a);
    archive_read_support_filter_xz (a);
    archive_read_support_filter_lzip (a);
    archive_read_support_filter_lz4 (a);
    archive_read_support_filter_zstd (a);
    archive_read_support_format_tar (a);
    archive_read_support_format_gnutar (a);
    archive_read_support_format_zip (a);
    archive_read_support_format_cpio (a);
    archive_read_support_format_7zip (a);
    archive_read_support_format_rar (a);
    archive_read_support_format_rar5 (a);
    archive_read_support_format_iso9660 (a);
    archive_read_support_format_ar (a);
    archive_read_support_format_xar (a);
    archive_read_support_format_empty (a);
    if (archive_read_open_filename (a, build->tar_path, S_READ_BLOCK)
        == ARCHIVE_OK)
        return 0;
    if (archive_errno (a) == EILSEQ) //  libarchive's "file format" errno
        return s_check_type (build, ARCHIVE_FATAL); //  unrecognized
    return s_fail (build, WK_IMAGE_ERR_READ, "unknown",
                   "cannot open the build file: %s", archive_error_string (a));
}


//  Clean an entry path in place: drop leading "./" and trailing "/".
//  Returns the path, "" for the root entry, or NULL when it is unsafe.
static char *
s_clean_path (char *path)
{
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    while (*path == '/' && path[1] == '\0')
        path++;
    size_t len = strlen (path);
    while (len > 0 && path[len - 1] == '/')
        path[--len] = '\0';
    if (strcmp (path, ".") == 0)
        return path + 1;
    if (path[0] == '/')
        return NULL;
    for (char *seg = path; seg; seg = strchr (seg, '/')) {
        if (*seg == '/')
            seg++;
        if (strncmp (seg, "..", 2) == 0 && (seg[2] == '/' || seg[2] == '\0'))
            return NULL;
    }
    return path;
}


static int
s_chunk_end (s_build_t *build)
{
    if (build->fill == 0)
        return 0;
    if (wk_imgout_chunk (build->out, build->chunk, build->fill,
                         build->file_offset)
        != 0)
        return s_fail (build, WK_IMAGE_ERR_WRITE, NULL,
                       "cannot write the image: %s",
                       wk_imgout_errstr (build->out));
    build->file_offset += build->fill;
    build->fill = 0;
    if (build->stop && *build->stop)
        return s_fail (build, WK_IMAGE_ERR_CANCELLED, NULL, "cancelled");
    return 0;
}


//  Feed len bytes of the current file through the chunker.
static int
s_feed (s_build_t *build, const uint8_t *data, size_t len)
{
    while (len > 0) {
        bool is_cut;
        size_t used = wk_cdc_feed (build->cdc, data, len, &is_cut);
        memcpy (build->chunk + build->fill, data, used);
        build->fill += (uint32_t) used;
        data += used;
        len -= used;
        if (is_cut && s_chunk_end (build) != 0)
            return -1;
    }
    return 0;
}


//  Chunk the data of the current regular file.
static int
s_read_file (s_build_t *build, const char *path, uint64_t size)
{
    wk_cdc_reset (build->cdc);
    build->fill = 0;
    build->file_offset = 0;
    while (true) {
        la_ssize_t n =
            archive_read_data (build->archive, build->readbuf, S_READ_BLOCK);
        if (n < 0)
            return s_fail (build, WK_IMAGE_ERR_READ, NULL,
                           "cannot read \"%s\" from the tar: %s", path,
                           archive_error_string (build->archive));
        if (n == 0)
            break;
        if (s_feed (build, build->readbuf, (size_t) n) != 0)
            return -1;
    }
    if (s_chunk_end (build) != 0)
        return -1;
    if (build->file_offset != size)
        return s_fail (build, WK_IMAGE_ERR_READ, NULL,
                       "\"%s\" is truncated in the tar (%llu of %llu bytes)",
                       path, (unsigned long long) build->file_offset,
                       (unsigned long long) size);
    return 0;
}


//  Add one tar entry to the image.
static int
s_entry (s_build_t *build, struct archive_entry *entry)
{
    char *copy = edge_strdup (archive_entry_pathname (entry));
    char *path = copy ? s_clean_path (copy) : NULL;
    int rc = 0;
    if (!path) {
        rc = s_fail (
            build, WK_IMAGE_ERR_PATH, NULL, "unsafe path in the tar: \"%s\"",
            archive_entry_pathname (entry) ? archive_entry_pathname (entry)
                                           : "(none)");
        goto cleanup;
    }
    wk_imgout_entry_t item = {path,
                              NULL,
                              'f',
                              0,
                              (uint32_t) archive_entry_perm (entry),
                              (int64_t) archive_entry_mtime (entry)};
    mode_t type = archive_entry_filetype (entry);
    if (*path == '\0')
        goto cleanup; //  the root directory itself
    if (archive_entry_hardlink (entry)) {
        item.type = 'h';
        item.target = archive_entry_hardlink (entry);
    }
    else if (type == AE_IFDIR)
        item.type = 'd';
    else if (type == AE_IFLNK) {
        item.type = 'l';
        item.target = archive_entry_symlink (entry);
    }
    else if (type == AE_IFREG) {
        item.size = (uint64_t) archive_entry_size (entry);
        wk_imgout_file_begin (build->out);
        rc = s_read_file (build, path, item.size);
    }
    else {
        edge_warn ("image: %s: skipped \"%s\" (not a file, directory or link)",
                   build->tar_path, path);
        goto cleanup;
    }
    if (rc == 0 && wk_imgout_entry (build->out, &item) != 0)
        rc = s_fail (build, WK_IMAGE_ERR_WRITE, NULL,
                     "cannot write the image: %s",
                     wk_imgout_errstr (build->out));
cleanup:
    free (copy);
    return rc;
}


static int
s_read_all (s_build_t *build)
{
    struct archive_entry *entry;
    int rc = archive_read_next_header (build->archive, &entry);
    if (s_check_type (build, rc) != 0)
        return -1;
    while (rc != ARCHIVE_EOF) {
        if (rc < ARCHIVE_WARN)
            return s_fail (build, WK_IMAGE_ERR_READ, NULL,
                           "the tar is corrupt or truncated: %s",
                           archive_error_string (build->archive));
        if (s_entry (build, entry) != 0)
            return -1;
        rc = archive_read_next_header (build->archive, &entry);
    }
    return 0;
}


int
wk_image_build (const char *tar_path,
                const char *out_dir,
                const wk_image_opts_t *opts,
                wk_image_info_t *info,
                wk_image_error_t *error)
{
    edge_assert (tar_path && out_dir && info && error);
    wk_image_opts_t defaults = {0};
    if (!opts)
        opts = &defaults;
    memset (error, 0, sizeof (*error));
    memset (info, 0, sizeof (*info));
    s_build_t build = {
        .tar_path = tar_path, .stop = opts->stop, .error = error};
    int rc = -1;
    wk_imgout_opts_t out_opts = {opts->segment_max ? opts->segment_max
                                                   : WK_IMAGE_SEGMENT_MAX,
                                 opts->is_uncompressed ? 0
                                 : opts->zstd_level    ? opts->zstd_level
                                                       : WK_IMAGE_ZSTD_LEVEL};
    build.out = wk_imgout_new (out_dir, &out_opts);
    if (!build.out) {
        s_fail (&build, WK_IMAGE_ERR_WRITE, NULL,
                "cannot create the image in %s", out_dir);
        goto cleanup;
    }
    build.cdc = wk_cdc_new ();
    build.readbuf = edge_malloc (S_READ_BLOCK);
    build.chunk = edge_malloc (WK_CDC_MAX);
    if (s_open (&build) != 0 || s_read_all (&build) != 0)
        goto cleanup;
    if (wk_imgout_finish (build.out, info) != 0) {
        s_fail (&build, WK_IMAGE_ERR_WRITE, NULL, "cannot write the image: %s",
                wk_imgout_errstr (build.out));
        goto cleanup;
    }
    edge_info ("image: %s -> %s: %llu files, %llu chunks, %llu -> %llu bytes",
               tar_path, info->dxf_name, (unsigned long long) info->files,
               (unsigned long long) info->chunks,
               (unsigned long long) info->raw_bytes,
               (unsigned long long) info->stored_bytes);
    rc = 0;
cleanup:
    if (build.archive)
        archive_read_free (build.archive);
    free (build.chunk);
    free (build.readbuf);
    wk_cdc_destroy (&build.cdc);
    wk_imgout_destroy (&build.out);
    return rc;
}


int
wk_image_dxf_name (const char *manifest_path, char name[WK_IMAGE_NAME_SIZE])
{
    edge_assert (manifest_path && name);
    unsigned char digest[EDGE_SHA256_LEN];
    if (wk_imgout_sha256_file (manifest_path, digest) != 0)
        return -1;
    char hex[2 * EDGE_SHA256_LEN + 1];
    edge_hex (digest, EDGE_SHA256_LEN, hex);
    snprintf (name, WK_IMAGE_NAME_SIZE, "dxf_%.16s", hex);
    return 0;
}


void
wk_image_segment_name (uint32_t index, char *buf, size_t size)
{
    snprintf (buf, size, "seg_%05u.bin", index);
}
