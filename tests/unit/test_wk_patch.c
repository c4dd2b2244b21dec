/*  test_wk_patch - a patch from A to B holds only what B adds, rebuilds B
    byte for byte from A's image or A's files, and refuses the wrong base.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wk_image.h"
#include "wk_manifest.h"
#include "wk_patch.h"
#include "wk_testtar.h"
#include "edge_crypto.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_FILES 20
#define S_SIZE  (256u * 1024)

//  The large synthetic images: S_BIG_CHUNKS chunks of 64 bytes, B sharing
//  half of A's, and S_BIG_FILES files of S_BIG_REFS references each, so
//  that each manifest holds about 30 MB of JSON.
#define S_BIG_CHUNKS 20000u
#define S_BIG_FILES  2000u
#define S_BIG_REFS   800u

static char *s_dir;


//  Build B's seed for file i: file 3 changes, the others are A's.
static uint64_t
s_seed (char build, int i)
{
    return build == 'b' && i == 3 ? 1000 : (uint64_t) i + 1;
}


static void
s_make (char build)
{
    char *tar_path = edge_sprintf ("%s/%c.tar", s_dir, build);
    wk_testtar_t *tar = wk_testtar_new (tar_path, NULL);
    for (int i = 0; i < S_FILES; i++) {
        char name[32];
        snprintf (name, sizeof (name), "data/f%02d.bin", i);
        wk_testtar_random (tar, name, S_SIZE, s_seed (build, i));
    }
    if (build == 'b')
        wk_testtar_random (tar, "data/new.bin", 100000, 77);
    wk_testtar_destroy (&tar);
    char *out = edge_sprintf ("%s/%c", s_dir, build);
    wk_image_info_t info;
    wk_image_error_t error;
    wk_image_opts_t opts = {.segment_max = 1u << 20};
    assert_int_equal (wk_image_build (tar_path, out, &opts, &info, &error), 0);
    free (out);
    free (tar_path);
}


static int
s_setup (void **state)
{
    (void) state;
    s_dir = wk_testtar_tmpdir ();
    s_make ('a');
    s_make ('b');
    return 0;
}


static int
s_teardown (void **state)
{
    (void) state;
    wk_testtar_rmtree (s_dir);
    free (s_dir);
    return 0;
}


static int
s_fetch (const char *args)
{
    char *cmd = edge_sprintf ("%s %s >/dev/null", EDGE_FETCH_PATH, args);
    int status = system (cmd);
    free (cmd);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}


static void
s_check_b (const char *out)
{
    for (int i = 0; i < S_FILES; i++) {
        char *path = edge_sprintf ("%s/%s/data/f%02d.bin", s_dir, out, i);
        assert_true (wk_testtar_check_random (path, S_SIZE, s_seed ('b', i)));
        free (path);
    }
    char *path = edge_sprintf ("%s/%s/data/new.bin", s_dir, out);
    assert_true (wk_testtar_check_random (path, 100000, 77));
    free (path);
}


static void
s_patch (wk_patch_info_t *info)
{
    char *a = edge_sprintf ("%s/a", s_dir), *b = edge_sprintf ("%s/b", s_dir);
    char *p = edge_sprintf ("%s/p", s_dir), err[256];
    assert_int_equal (wk_patch_build (a, b, p, 0, info, err, sizeof (err)), 0);
    free (p);
    free (b);
    free (a);
}


static void
test_patch_is_much_smaller_than_the_image (void **state)
{
    (void) state;
    wk_patch_info_t info;
    s_patch (&info);
    uint64_t image = (S_FILES * S_SIZE) + 100000;
    assert_true (info.chunks > 0);
    assert_true (info.total_bytes * 5 < image);
    assert_true (info.stored_bytes >= S_SIZE / 2); //  at least the new data
    assert_int_equal (strncmp (info.from_dxf, "dxf_", 4), 0);
    assert_string_not_equal (info.from_dxf, info.to_dxf);
}


static void
test_b_is_rebuilt_from_a_image_plus_patch (void **state)
{
    (void) state;
    wk_patch_info_t info;
    s_patch (&info);
    char *args = edge_sprintf ("--old %s/a %s/p %s/out", s_dir, s_dir, s_dir);
    assert_int_equal (s_fetch (args), 0);
    s_check_b ("out");
    free (args);
}


static void
test_b_is_rebuilt_from_a_files_plus_patch (void **state)
{
    (void) state;
    wk_patch_info_t info;
    s_patch (&info);
    char *args = edge_sprintf ("%s/a %s/files_a", s_dir, s_dir);
    assert_int_equal (s_fetch (args), 0);
    free (args);
    args = edge_sprintf ("--old %s/files_a --old-manifest %s/a/manifest.json "
                         "%s/p %s/out",
                         s_dir, s_dir, s_dir, s_dir);
    assert_int_equal (s_fetch (args), 0);
    s_check_b ("out");
    free (args);
}


static void
test_a_patch_refuses_the_wrong_old_build (void **state)
{
    (void) state;
    wk_patch_info_t info;
    s_patch (&info);
    char *args = edge_sprintf ("--old %s/b %s/p %s/out", s_dir, s_dir, s_dir);
    assert_int_equal (s_fetch (args), 1);
    free (args);
    args = edge_sprintf ("%s/p %s/out", s_dir, s_dir);
    assert_int_equal (s_fetch (args), 1); //  no --old
    free (args);
}


static void
test_patch_decoder_rejects_every_truncation (void **state)
{
    (void) state;
    wk_patch_info_t info;
    s_patch (&info);
    char err[256];
    char *mpath = edge_sprintf ("%s/p/manifest.json", s_dir);
    wk_manifest_t *m = wk_manifest_load (mpath, err, sizeof (err));
    assert_non_null (m);
    char *path = edge_sprintf ("%s/p/%s", s_dir, WK_PATCH_FILE);
    FILE *file = fopen (path, "rb");
    char *text = edge_malloc (1 << 20);
    size_t len = fread (text, 1, 1 << 20, file);
    fclose (file);
    wk_patch_t *patch = wk_patch_decode (text, len, m, err, sizeof (err));
    assert_non_null (patch);
    assert_int_equal (patch->nrefs, info.chunks);
    assert_string_equal (patch->to_dxf, info.to_dxf);
    wk_patch_destroy (&patch);
    assert_null (patch);
    wk_patch_destroy (&patch);
    for (size_t n = 0; n < len; n++)
        assert_null (wk_patch_decode (text, n, m, err, sizeof (err)));
    free (text);
    free (path);
    wk_manifest_destroy (&m);
    free (mpath);
}


static void
test_chunk_table_scan_agrees_with_the_decoder (void **state)
{
    (void) state;
    char err[256];
    char *path = edge_sprintf ("%s/b/%s", s_dir, WK_IMAGE_MANIFEST);
    wk_manifest_t *full = wk_manifest_load (path, err, sizeof (err));
    wk_manifest_t *table = wk_manifest_load_chunks (path, err, sizeof (err));
    assert_non_null (full);
    assert_non_null (table);
    assert_int_equal (table->nfiles, 0);
    assert_int_equal (table->nchunks, full->nchunks);
    assert_int_equal (table->nload, full->nload);
    assert_int_equal (table->nsegments, full->nsegments);
    for (size_t i = 0; i < full->nchunks; i++) {
        const wk_manifest_chunk_t *x = &full->chunks[i], *y = &table->chunks[i];
        assert_memory_equal (x->sha, y->sha, 32);
        assert_true (x->size == y->size && x->stored == y->stored
                     && x->segment == y->segment && x->is_zstd == y->is_zstd
                     && x->offset == y->offset);
        assert_int_equal (wk_manifest_find (table, x->sha), i);
    }
    assert_memory_equal (table->load_order, full->load_order,
                         full->nload * sizeof (uint32_t));
    for (size_t i = 0; i < full->nsegments; i++) {
        assert_string_equal (table->segments[i].name, full->segments[i].name);
        assert_int_equal (table->segments[i].size, full->segments[i].size);
    }
    wk_manifest_destroy (&table);
    assert_null (table);
    wk_manifest_destroy (&full);
    free (path);
}


static void
test_chunk_table_scan_rejects_truncations_and_bad_values (void **state)
{
    (void) state;
    char err[256];
    char *path = edge_sprintf ("%s/b/%s", s_dir, WK_IMAGE_MANIFEST);
    char *cut = edge_sprintf ("%s/cut.json", s_dir);
    FILE *file = fopen (path, "rb");
    char *text = edge_malloc (1 << 20);
    size_t len = fread (text, 1, 1 << 20, file);
    fclose (file);
    //  Every prefix that ends before the root's closing brace.
    size_t end = len;
    while (end > 0 && text[end - 1] != '}')
        end--;
    for (size_t n = 0; n + 1 < end; n += 1 + n / 64) {
        file = fopen (cut, "wb");
        assert_int_equal (fwrite (text, 1, n, file), n);
        fclose (file);
        assert_null (wk_manifest_load_chunks (cut, err, sizeof (err)));
    }
    const char *bad[] = {
        "{\"version\":2,\"chunks\":[],\"loadOrder\":[],\"segments\":[]}",
        "{\"version\":1,\"chunks\":{},\"loadOrder\":[],\"segments\":[]}",
        "{\"version\":1,\"chunks\":[],\"loadOrder\":[0],\"segments\":[]}",
        "{\"version\":1,\"version\":1,\"chunks\":[],\"loadOrder\":[],"
        "\"segments\":[]}",
        "{\"version\":1,\"chunks\":[],\"loadOrder\":[],\"segments\":"
        "[{\"name\":\"../x\",\"size\":1}]}",
        "{\"version\":1,\"chunks\":[{\"sha256\":\"00\",\"size\":1,"
        "\"storedSize\":1,\"compression\":\"none\",\"segment\":0,"
        "\"offset\":0}],\"loadOrder\":[],\"segments\":[]}",
        "{\"version\":1,\"chunks\":[],\"loadOrder\":[],\"segments\":[]} x",
    };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
        file = fopen (cut, "wb");
        fputs (bad[i], file);
        fclose (file);
        assert_null (wk_manifest_load_chunks (cut, err, sizeof (err)));
    }
    file = fopen (cut, "wb");
    fputs ("{\"x\":[{\"y\":\"\\u00e9\\n\"},true,null,-1.5e3],\"version\":1,"
           "\"chunks\":[],\"loadOrder\":[],\"segments\":[]}",
           file);
    fclose (file);
    wk_manifest_t *m = wk_manifest_load_chunks (cut, err, sizeof (err));
    assert_non_null (m);
    wk_manifest_destroy (&m);
    free (text);
    free (cut);
    free (path);
}


//  Write a valid image of S_BIG_CHUNKS distinct 64-byte chunks numbered
//  from first (stored uncompressed in one segment) into dir.
static void
s_make_big (const char *dir, uint32_t first)
{
    assert_int_equal (mkdir (dir, 0755), 0);
    char *path = edge_sprintf ("%s/seg_00000.bin", dir);
    FILE *seg = fopen (path, "wb");
    free (path);
    path = edge_sprintf ("%s/%s", dir, WK_IMAGE_MANIFEST);
    FILE *out = fopen (path, "wb");
    free (path);
    assert_non_null (seg);
    assert_non_null (out);
    fprintf (out, "{\"version\":1,\"format\":\"dxf\",\"files\":[");
    for (uint32_t f = 0; f < S_BIG_FILES; f++) {
        fprintf (out,
                 "%s{\"path\":\"f%u\",\"type\":\"file\",\"mode\":420,"
                 "\"mtime\":0,\"size\":%u,\"chunks\":[",
                 f ? "," : "", f, S_BIG_REFS * 64);
        for (uint32_t r = 0; r < S_BIG_REFS; r++)
            fprintf (out, "%s[%u,%u,64]", r ? "," : "",
                     (f * S_BIG_REFS + r) % S_BIG_CHUNKS, r * 64);
        fputs ("]}", out);
    }
    fputs ("],\"chunks\":[", out);
    for (uint32_t i = 0; i < S_BIG_CHUNKS; i++) {
        unsigned char data[64], sha[32];
        memset (data, 'x', sizeof (data));
        snprintf ((char *) data, sizeof (data), "chunk %u", first + i);
        assert_int_equal (fwrite (data, 1, 64, seg), 64);
        edge_sha256 (data, sizeof (data), sha);
        char hex[65];
        edge_hex (sha, 32, hex);
        fprintf (out,
                 "%s{\"sha256\":\"%s\",\"size\":64,\"storedSize\":64,"
                 "\"compression\":\"none\",\"segment\":0,\"offset\":%u}",
                 i ? "," : "", hex, i * 64);
    }
    fputs ("],\"loadOrder\":[", out);
    for (uint32_t i = 0; i < S_BIG_CHUNKS; i++)
        fprintf (out, "%s%u", i ? "," : "", i);
    fprintf (out,
             "],\"segments\":[{\"name\":\"seg_00000.bin\",\"size\":%u}],"
             "\"profile\":null,\"preload\":null}\n",
             S_BIG_CHUNKS * 64);
    assert_int_equal (fclose (out), 0);
    assert_int_equal (fclose (seg), 0);
}


static void
test_patch_memory_follows_chunks_not_manifest_text (void **state)
{
    (void) state;
    char *a = edge_sprintf ("%s/big_a", s_dir);
    char *b = edge_sprintf ("%s/big_b", s_dir);
    char *p = edge_sprintf ("%s/big_p", s_dir);
    s_make_big (a, 0);
    s_make_big (b, S_BIG_CHUNKS / 2);
    char err[256];
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        struct rusage before, after;
        getrusage (RUSAGE_SELF, &before);
        wk_patch_info_t info;
        int rc = wk_patch_build (a, b, p, 0, &info, err, sizeof (err));
        getrusage (RUSAGE_SELF, &after);
        long grown_kb = after.ru_maxrss - before.ru_maxrss;
#if defined(__SANITIZE_ADDRESS__)
        long limit_kb = 64 * 1024; //  ASan's shadow and quarantine
#else
        long limit_kb = 16 * 1024;
#endif
        fprintf (stderr, "patch of %u chunks: peak RSS grew by %ld KiB\n",
                 S_BIG_CHUNKS, grown_kb);
        _exit (rc == 0 && info.chunks == S_BIG_CHUNKS / 2 && grown_kb < limit_kb
                   ? 0
                   : 1);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    //  patch.json, written as it went, decodes against B's chunk table.
    char *path = edge_sprintf ("%s/%s", b, WK_IMAGE_MANIFEST);
    wk_manifest_t *table = wk_manifest_load_chunks (path, err, sizeof (err));
    assert_non_null (table);
    free (path);
    path = edge_sprintf ("%s/%s", p, WK_PATCH_FILE);
    FILE *file = fopen (path, "rb");
    char *text = edge_malloc (1 << 20);
    size_t len = fread (text, 1, 1 << 20, file);
    fclose (file);
    wk_patch_t *patch = wk_patch_decode (text, len, table, err, sizeof (err));
    assert_non_null (patch);
    assert_int_equal (patch->nrefs, S_BIG_CHUNKS / 2);
    wk_patch_destroy (&patch);
    wk_manifest_destroy (&table);
    free (text);
    free (path);
    free (p);
    free (b);
    free (a);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_patch_is_much_smaller_than_the_image),
        cmocka_unit_test (test_b_is_rebuilt_from_a_image_plus_patch),
        cmocka_unit_test (test_b_is_rebuilt_from_a_files_plus_patch),
        cmocka_unit_test (test_a_patch_refuses_the_wrong_old_build),
        cmocka_unit_test (test_patch_decoder_rejects_every_truncation),
        cmocka_unit_test (test_chunk_table_scan_agrees_with_the_decoder),
        cmocka_unit_test (
            test_chunk_table_scan_rejects_truncations_and_bad_values),
        cmocka_unit_test (test_patch_memory_follows_chunks_not_manifest_text),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
