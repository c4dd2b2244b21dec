/*  wk_testtar - tars for the image tests, written with libarchive.  */
#include "wk_testtar.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wk_testtar {
    struct archive *archive;
};


wk_testtar_t *
wk_testtar_new (const char *path, const char *filter)
{
    wk_testtar_t *self = edge_calloc (1, sizeof (*self));
    self->archive = archive_write_new ();
    if (filter && strcmp (filter, "zip") == 0)
        archive_write_set_format_zip (self->archive);
    else
        archive_write_set_format_pax_restricted (self->archive);
    if (filter && strcmp (filter, "gzip") == 0)
        archive_write_add_filter_gzip (self->archive);
    edge_assert (archive_write_open_filename (self->archive, path)
                 == ARCHIVE_OK);
    return self;
}


void
wk_testtar_destroy (wk_testtar_t **self_p)
{
    wk_testtar_t *self = *self_p;
    if (!self)
        return;
    archive_write_close (self->archive);
    archive_write_free (self->archive);
    free (self);
    *self_p = NULL;
}


static void
s_header (wk_testtar_t *self,
          const char *name,
          int type,
          int mode,
          int64_t size,
          const char *target)
{
    struct archive_entry *entry = archive_entry_new ();
    archive_entry_set_pathname (entry, name);
    archive_entry_set_filetype (entry, (unsigned) type);
    archive_entry_set_perm (entry, (mode_t) mode);
    archive_entry_set_size (entry, size);
    archive_entry_set_mtime (entry, 1700000000, 0);
    if (target)
        archive_entry_set_symlink (entry, target);
    edge_assert (archive_write_header (self->archive, entry) == ARCHIVE_OK);
    archive_entry_free (entry);
}


void
wk_testtar_file (wk_testtar_t *self,
                 const char *name,
                 const void *data,
                 size_t size,
                 int mode)
{
    s_header (self, name, AE_IFREG, mode, (int64_t) size, NULL);
    if (size)
        edge_assert (archive_write_data (self->archive, data, size)
                     == (la_ssize_t) size);
}


void
wk_testtar_random (wk_testtar_t *self,
                   const char *name,
                   uint64_t size,
                   uint64_t seed)
{
    s_header (self, name, AE_IFREG, 0644, (int64_t) size, NULL);
    uint8_t *buf = edge_malloc (1 << 20);
    uint64_t state = seed;
    for (uint64_t done = 0; done < size;) {
        size_t n = size - done < (1 << 20) ? (size_t) (size - done) : 1 << 20;
        wk_testtar_fill (buf, n, &state);
        edge_assert (archive_write_data (self->archive, buf, n)
                     == (la_ssize_t) n);
        done += n;
    }
    free (buf);
}


void
wk_testtar_dir (wk_testtar_t *self, const char *name)
{
    s_header (self, name, AE_IFDIR, 0755, 0, NULL);
}


void
wk_testtar_symlink (wk_testtar_t *self, const char *name, const char *target)
{
    s_header (self, name, AE_IFLNK, 0777, 0, target);
}


void
wk_testtar_fill (uint8_t *buf, size_t size, uint64_t *state)
{
    //  xorshift64*: fast, and good enough to look incompressible
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < size; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t v = x * 0x2545f4914f6cdd1dull;
        size_t n = size - i < 8 ? size - i : 8;
        memcpy (buf + i, &v, n);
    }
    *state = x;
}


static bool
s_check (const char *path, uint64_t size, uint64_t seed, const uint8_t *data)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return false;
    uint8_t *want = edge_malloc (1 << 20), *got = edge_malloc (1 << 20);
    uint64_t state = seed, done = 0;
    bool is_same = true;
    while (is_same && done < size) {
        size_t n = size - done < (1 << 20) ? (size_t) (size - done) : 1 << 20;
        if (data)
            memcpy (want, data + done, n);
        else
            wk_testtar_fill (want, n, &state);
        is_same = fread (got, 1, n, file) == n && memcmp (want, got, n) == 0;
        done += n;
    }
    if (is_same && fgetc (file) != EOF)
        is_same = false;
    fclose (file);
    free (want);
    free (got);
    return is_same;
}


bool
wk_testtar_check_random (const char *path, uint64_t size, uint64_t seed)
{
    return s_check (path, size, seed, NULL);
}


bool
wk_testtar_check_bytes (const char *path, const void *data, size_t size)
{
    return s_check (path, size, 0, data);
}


char *
wk_testtar_tmpdir (void)
{
    char *dir = edge_strdup ("/tmp/test_wk_image_XXXXXX");
    edge_assert (mkdtemp (dir));
    return dir;
}


void
wk_testtar_rmtree (const char *dir)
{
    char *cmd = edge_sprintf ("rm -rf '%s'", dir);
    edge_assert (system (cmd) == 0);
    free (cmd);
}
