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
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define S_FILES 20
#define S_SIZE  (256u * 1024)

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


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_patch_is_much_smaller_than_the_image),
        cmocka_unit_test (test_b_is_rebuilt_from_a_image_plus_patch),
        cmocka_unit_test (test_b_is_rebuilt_from_a_files_plus_patch),
        cmocka_unit_test (test_a_patch_refuses_the_wrong_old_build),
        cmocka_unit_test (test_patch_decoder_rejects_every_truncation),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
