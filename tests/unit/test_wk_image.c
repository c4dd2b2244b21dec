/*  test_wk_image - a tar becomes an image that edge-fetch turns back into
    the same files; identical builds get identical names; corruption,
    compressed or truncated input and unsafe paths are reported; memory
    stays bounded; the manifest decoder rejects every truncation.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wk_image.h"
#include "wk_manifest.h"
#include "wk_testtar.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_BIG (3u << 20)

static char *s_dir; //  per-test temporary directory


static int
s_setup (void **state)
{
    (void) state;
    s_dir = wk_testtar_tmpdir ();
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


//  A tar with an empty file, a text file, a directory, a multi-chunk
//  random file, a duplicate of it, zeros, and a symlink.
static char *
s_make_tar (const char *name)
{
    char *path = edge_sprintf ("%s/%s", s_dir, name);
    wk_testtar_t *tar = wk_testtar_new (path, NULL);
    wk_testtar_file (tar, "empty", "", 0, 0644);
    wk_testtar_file (tar, "./small.txt", "hello, image\n", 13, 0640);
    wk_testtar_dir (tar, "dir/");
    wk_testtar_random (tar, "dir/big.bin", S_BIG, 7);
    wk_testtar_random (tar, "dir/copy.bin", S_BIG, 7);
    uint8_t *zeros = edge_calloc (1, 1 << 20);
    wk_testtar_file (tar, "dir/zeros.bin", zeros, 1 << 20, 0600);
    free (zeros);
    wk_testtar_symlink (tar, "link", "small.txt");
    wk_testtar_destroy (&tar);
    return path;
}


//  Run edge-fetch with args; returns its exit status, stderr in *err.
static int
s_fetch (const char *args, char **err)
{
    char *log = edge_sprintf ("%s/fetch.err", s_dir);
    char *cmd =
        edge_sprintf ("%s %s 2>%s >/dev/null", EDGE_FETCH_PATH, args, log);
    int status = system (cmd);
    FILE *file = fopen (log, "r");
    char buf[2048] = "";
    if (file) {
        size_t n = fread (buf, 1, sizeof (buf) - 1, file);
        buf[n] = '\0';
        fclose (file);
    }
    if (err)
        *err = edge_strdup (buf);
    free (cmd);
    free (log);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}


static int
s_build (const char *tar,
         const char *out,
         uint64_t segment_max,
         wk_image_info_t *info,
         wk_image_error_t *error)
{
    char *tar_path = edge_sprintf ("%s/%s", s_dir, tar);
    char *out_dir = edge_sprintf ("%s/%s", s_dir, out);
    wk_image_opts_t opts = {.segment_max = segment_max};
    int rc = wk_image_build (tar_path, out_dir, &opts, info, error);
    free (out_dir);
    free (tar_path);
    return rc;
}


static bool
s_out_is (const char *dir, const char *name, const void *data, size_t size)
{
    char *path = edge_sprintf ("%s/%s/%s", s_dir, dir, name);
    bool is_same = wk_testtar_check_bytes (path, data, size);
    free (path);
    return is_same;
}


static void
test_image_round_trips_through_edge_fetch (void **state)
{
    (void) state;
    free (s_make_tar ("a.tar"));
    wk_image_info_t info;
    wk_image_error_t error;
    assert_int_equal (s_build ("a.tar", "img", 512 * 1024, &info, &error), 0);
    assert_int_equal (strncmp (info.dxf_name, "dxf_", 4), 0);
    assert_int_equal (strlen (info.dxf_name), 20);
    assert_true (info.segments > 4);             //  small segment limit
    assert_true (info.chunks < info.chunk_refs); //  duplicates stored once
    assert_true (info.stored_bytes < S_BIG + 64 * 1024); //  zeros compress
    assert_int_equal (info.raw_bytes, 13 + 2 * S_BIG + (1 << 20));
    char *args = edge_sprintf ("%s/img %s/out", s_dir, s_dir);
    char *err = NULL;
    assert_int_equal (s_fetch (args, &err), 0);
    free (err);
    free (args);
    assert_true (s_out_is ("out", "empty", "", 0));
    assert_true (s_out_is ("out", "small.txt", "hello, image\n", 13));
    uint8_t *zeros = edge_calloc (1, 1 << 20);
    assert_true (s_out_is ("out", "dir/zeros.bin", zeros, 1 << 20));
    free (zeros);
    char *big = edge_sprintf ("%s/out/dir/big.bin", s_dir);
    char *copy = edge_sprintf ("%s/out/dir/copy.bin", s_dir);
    assert_true (wk_testtar_check_random (big, S_BIG, 7));
    assert_true (wk_testtar_check_random (copy, S_BIG, 7));
    char *small = edge_sprintf ("%s/out/small.txt", s_dir);
    struct stat st;
    assert_int_equal (stat (small, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0640);
    assert_int_equal (st.st_mtime, 1700000000);
    char *link = edge_sprintf ("%s/out/link", s_dir);
    char target[64] = "";
    assert_int_equal (readlink (link, target, sizeof (target) - 1), 9);
    assert_string_equal (target, "small.txt");
    free (link);
    free (small);
    free (copy);
    free (big);
}


static void
test_identical_builds_get_identical_names (void **state)
{
    (void) state;
    free (s_make_tar ("a.tar"));
    free (s_make_tar ("b.tar"));
    wk_image_info_t one, two;
    wk_image_error_t error;
    assert_int_equal (s_build ("a.tar", "one", 0, &one, &error), 0);
    assert_int_equal (s_build ("b.tar", "two", 0, &two, &error), 0);
    assert_string_equal (one.dxf_name, two.dxf_name);
    assert_int_equal (one.segments, 1);
    char *path = edge_sprintf ("%s/one/%s", s_dir, WK_IMAGE_MANIFEST);
    char name[WK_IMAGE_NAME_SIZE];
    assert_int_equal (wk_image_dxf_name (path, name), 0);
    assert_string_equal (name, one.dxf_name);
    free (path);
}


static void
test_a_corrupt_segment_fails_the_fetch_naming_the_chunk (void **state)
{
    (void) state;
    free (s_make_tar ("a.tar"));
    wk_image_info_t info;
    wk_image_error_t error;
    assert_int_equal (s_build ("a.tar", "img", 0, &info, &error), 0);
    char *seg = edge_sprintf ("%s/img/seg_00000.bin", s_dir);
    FILE *file = fopen (seg, "r+b");
    assert_non_null (file);
    fseek (file, 100000, SEEK_SET);
    int c = fgetc (file);
    fseek (file, 100000, SEEK_SET);
    fputc (c ^ 0x01, file);
    fclose (file);
    char *args = edge_sprintf ("%s/img %s/out", s_dir, s_dir);
    char *err = NULL;
    assert_int_equal (s_fetch (args, &err), 1);
    assert_non_null (strstr (err, "chunk "));
    assert_true (strstr (err, "SHA-256 mismatch")
                 || strstr (err, "cannot decompress"));
    free (err);
    free (args);
    free (seg);
}


static void
test_compressed_and_foreign_inputs_are_refused_with_their_type (void **state)
{
    (void) state;
    const char *kinds[][2] = {{"gzip", "gzip"}, {"zip", "zip"}};
    for (size_t i = 0; i < 2; i++) {
        char *path = edge_sprintf ("%s/in.%s", s_dir, kinds[i][0]);
        wk_testtar_t *tar = wk_testtar_new (path, kinds[i][0]);
        wk_testtar_random (tar, "file.bin", 100000, 1);
        wk_testtar_destroy (&tar);
        wk_image_info_t info;
        wk_image_error_t error;
        char *name = edge_sprintf ("in.%s", kinds[i][0]);
        assert_int_equal (s_build (name, "img", 0, &info, &error), -1);
        assert_int_equal (error.code, WK_IMAGE_ERR_TYPE);
        assert_string_equal (error.filename, path);
        assert_string_equal (error.type_expected, "tar");
        assert_string_equal (error.type_detected, kinds[i][1]);
        free (name);
        free (path);
    }
    char *path = edge_sprintf ("%s/junk", s_dir);
    FILE *file = fopen (path, "wb");
    for (int i = 0; i < 5000; i++)
        fputc ((i * 7919) & 0xff, file);
    fclose (file);
    wk_image_info_t info;
    wk_image_error_t error;
    assert_int_equal (s_build ("junk", "img", 0, &info, &error), -1);
    assert_int_equal (error.code, WK_IMAGE_ERR_TYPE);
    assert_string_equal (error.type_detected, "unknown");
    free (path);
}


static void
test_a_truncated_tar_is_a_read_error (void **state)
{
    (void) state;
    char *path = s_make_tar ("a.tar");
    assert_int_equal (truncate (path, S_BIG / 2), 0);
    wk_image_info_t info;
    wk_image_error_t error;
    assert_int_equal (s_build ("a.tar", "img", 0, &info, &error), -1);
    assert_int_equal (error.code, WK_IMAGE_ERR_READ);
    assert_string_equal (error.filename, path);
    assert_string_equal (error.type_expected, "tar");
    assert_string_equal (error.type_detected, "tar");
    assert_true (strlen (error.message) > 0);
    free (path);
}


static void
test_unsafe_paths_are_refused (void **state)
{
    (void) state;
    char *path = edge_sprintf ("%s/evil.tar", s_dir);
    wk_testtar_t *tar = wk_testtar_new (path, NULL);
    wk_testtar_file (tar, "ok/../../evil", "x", 1, 0644);
    wk_testtar_destroy (&tar);
    wk_image_info_t info;
    wk_image_error_t error;
    assert_int_equal (s_build ("evil.tar", "img", 0, &info, &error), -1);
    assert_int_equal (error.code, WK_IMAGE_ERR_PATH);
    free (path);
}


static void
test_memory_stays_bounded_for_a_large_tar (void **state)
{
    (void) state;
    char *path = edge_sprintf ("%s/large.tar", s_dir);
    wk_testtar_t *tar = wk_testtar_new (path, NULL);
    wk_testtar_random (tar, "one.bin", 120u << 20, 11);
    wk_testtar_random (tar, "two.bin", 80u << 20, 12);
    wk_testtar_destroy (&tar);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        struct rusage before, after;
        getrusage (RUSAGE_SELF, &before);
        wk_image_info_t info;
        wk_image_error_t error;
        int rc = s_build ("large.tar", "img", 0, &info, &error);
        getrusage (RUSAGE_SELF, &after);
        long grown_kb = after.ru_maxrss - before.ru_maxrss;
#if defined(__SANITIZE_ADDRESS__)
        long limit_kb = 256 * 1024; //  ASan's shadow and quarantine
#else
        long limit_kb = 64 * 1024;
#endif
        fprintf (stderr, "image of 200 MiB: peak RSS grew by %ld KiB\n",
                 grown_kb);
        _exit (rc == 0 && info.raw_bytes == (200u << 20) && grown_kb < limit_kb
                   ? 0
                   : 1);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    free (path);
}


static void
test_manifest_decoder_rejects_every_truncation (void **state)
{
    (void) state;
    free (s_make_tar ("a.tar"));
    wk_image_info_t info;
    wk_image_error_t error;
    assert_int_equal (s_build ("a.tar", "img", 512 * 1024, &info, &error), 0);
    char *path = edge_sprintf ("%s/img/%s", s_dir, WK_IMAGE_MANIFEST);
    FILE *file = fopen (path, "rb");
    char *text = edge_malloc (1 << 20);
    size_t len = fread (text, 1, 1 << 20, file);
    fclose (file);
    char err[256];
    wk_manifest_t *m = wk_manifest_decode (text, len, err, sizeof (err));
    assert_non_null (m);
    assert_int_equal (m->nchunks, info.chunks);
    assert_int_equal (m->nsegments, info.segments);
    assert_int_equal (m->total_size, info.raw_bytes);
    assert_int_equal (wk_manifest_find (m, m->chunks[3].sha), 3);
    wk_manifest_destroy (&m);
    assert_null (m);
    wk_manifest_destroy (&m);
    //  The last byte is a newline: every shorter prefix lacks the "}"
    for (size_t n = 0; n + 1 < len; n++)
        assert_null (wk_manifest_decode (text, n, err, sizeof (err)));
    char *evil = strstr (text, "\"small.txt\"");
    assert_non_null (evil);
    memcpy (evil, "\"../../x.t\"", 11);
    assert_null (wk_manifest_decode (text, len, err, sizeof (err)));
    free (text);
    free (path);
}


static void
test_path_safety_rules (void **state)
{
    (void) state;
    assert_true (wk_manifest_path_is_safe ("a/b.c"));
    assert_true (wk_manifest_path_is_safe ("..a/b.."));
    assert_false (wk_manifest_path_is_safe (""));
    assert_false (wk_manifest_path_is_safe ("/etc/passwd"));
    assert_false (wk_manifest_path_is_safe ("a/../b"));
    assert_false (wk_manifest_path_is_safe ("a//b"));
    assert_false (wk_manifest_path_is_safe ("./a"));
    assert_false (wk_manifest_path_is_safe ("a/"));
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_image_round_trips_through_edge_fetch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_identical_builds_get_identical_names, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_corrupt_segment_fails_the_fetch_naming_the_chunk, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_compressed_and_foreign_inputs_are_refused_with_their_type,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_truncated_tar_is_a_read_error,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unsafe_paths_are_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_memory_stays_bounded_for_a_large_tar, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_manifest_decoder_rejects_every_truncation, s_setup,
            s_teardown),
        cmocka_unit_test (test_path_safety_rules),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
