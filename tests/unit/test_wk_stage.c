/*  test_wk_stage - staged directories renamed into place, rm -rf and
    mkdir -p, in a temporary directory.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_util.h"
#include "wk_stage.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[] = "/tmp/test_wk_stage_XXXXXX";


//  Path under the test directory (caller frees).
static char *
s_path (const char *name)
{
    return edge_sprintf ("%s/%s", s_dir, name);
}


static void
s_write (const char *name, const char *text)
{
    char *path = s_path (name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    free (path);
}


//  The content of a small file, or "" when it cannot be read (static).
static const char *
s_read (const char *name)
{
    static char text[64];
    char *path = s_path (name);
    FILE *file = fopen (path, "r");
    size_t len = file ? fread (text, 1, sizeof text - 1, file) : 0;
    text[len] = '\0';
    if (file)
        fclose (file);
    free (path);
    return text;
}


static bool
s_exists (const char *name)
{
    char *path = s_path (name);
    struct stat st;
    bool is_there = lstat (path, &st) == 0;
    free (path);
    return is_there;
}


static int
s_reset (void **state)
{
    (void) state;
    char *cmd = edge_sprintf ("rm -rf '%s'/* '%s'/.[a-z]*", s_dir, s_dir);
    assert_int_equal (system (cmd), 0);
    free (cmd);
    return 0;
}


static void
test_commit_renames_the_stage_to_a_new_target (void **state)
{
    (void) state;
    wk_stage_t stage;
    wk_stage_init (&stage, s_dir, "t1");
    assert_false (s_exists (".tmp-t1")); //  not created by init
    assert_int_equal (mkdir (stage.path, 0755), 0);
    s_write (".tmp-t1/a", "new");
    char *target = s_path ("obj");
    assert_int_equal (wk_stage_commit (&stage, target), 0);
    assert_string_equal (s_read ("obj/a"), "new");
    assert_false (s_exists (".tmp-t1"));
    wk_stage_fini (&stage);
    assert_null (stage.path);
    assert_null (stage.old);
    wk_stage_fini (&stage); //  twice is safe
    wk_stage_fini (NULL);
    free (target);
}


static void
test_commit_replaces_an_earlier_target_whole (void **state)
{
    (void) state;
    char *target = s_path ("obj");
    assert_int_equal (wk_stage_mkdirs (target), 0);
    s_write ("obj/a", "old");
    s_write ("obj/stale", "x");
    wk_stage_t stage;
    wk_stage_init (&stage, s_dir, "t1");
    assert_int_equal (wk_stage_mkdirs (stage.path), 0);
    s_write (".tmp-t1/a", "new");
    assert_int_equal (wk_stage_commit (&stage, target), 0);
    assert_string_equal (s_read ("obj/a"), "new");
    assert_false (s_exists ("obj/stale"));
    assert_false (s_exists (".tmp-t1"));
    assert_false (s_exists (".old-t1"));
    wk_stage_fini (&stage);
    free (target);
}


static void
test_init_removes_an_earlier_attempts_leftovers (void **state)
{
    (void) state;
    char *staging = s_path (".tmp-t1/sub");
    char *old = s_path (".old-t1");
    assert_int_equal (wk_stage_mkdirs (staging), 0);
    assert_int_equal (wk_stage_mkdirs (old), 0);
    s_write (".tmp-t1/sub/seg", "junk");
    s_write (".old-t1/seg", "junk");
    wk_stage_t stage;
    wk_stage_init (&stage, s_dir, "t1");
    assert_false (s_exists (".tmp-t1"));
    assert_false (s_exists (".old-t1"));
    //  fini removes an uncommitted stage
    assert_int_equal (wk_stage_mkdirs (staging), 0);
    s_write (".tmp-t1/sub/seg", "half");
    wk_stage_fini (&stage);
    assert_false (s_exists (".tmp-t1"));
    free (old);
    free (staging);
}


static void
test_a_failed_commit_keeps_the_target (void **state)
{
    (void) state;
    char *target = s_path ("obj");
    assert_int_equal (wk_stage_mkdirs (target), 0);
    s_write ("obj/a", "old");
    wk_stage_t stage;
    wk_stage_init (&stage, s_dir, "t1");
    //  Nothing was staged: the commit fails and the target stays
    assert_int_equal (wk_stage_commit (&stage, target), -1);
    assert_string_equal (s_read ("obj/a"), "old");
    wk_stage_fini (&stage);
    free (target);
}


static void
test_rmtree_does_not_follow_symlinks (void **state)
{
    (void) state;
    char *outside = s_path ("outside");
    char *tree = s_path ("tree/a/b");
    assert_int_equal (wk_stage_mkdirs (outside), 0);
    assert_int_equal (wk_stage_mkdirs (tree), 0);
    s_write ("outside/keep", "keep");
    s_write ("tree/a/b/f", "x");
    char *link = s_path ("tree/a/link");
    assert_int_equal (symlink (outside, link), 0);
    char *root = s_path ("tree");
    wk_stage_rmtree (root);
    assert_false (s_exists ("tree"));
    assert_string_equal (s_read ("outside/keep"), "keep");
    wk_stage_rmtree (root); //  missing: fine
    free (root);
    free (link);
    free (tree);
    free (outside);
}


static void
test_mkdirs_is_idempotent_and_fails_under_a_file (void **state)
{
    (void) state;
    char *deep = s_path ("x/y/z");
    assert_int_equal (wk_stage_mkdirs (deep), 0);
    assert_int_equal (wk_stage_mkdirs (deep), 0);
    assert_true (s_exists ("x/y/z"));
    s_write ("file", "x");
    char *under = s_path ("file/sub");
    assert_int_equal (wk_stage_mkdirs (under), -1);
    free (under);
    free (deep);
}


int
main (void)
{
    edge_log_init ("test");
    if (!mkdtemp (s_dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_commit_renames_the_stage_to_a_new_target,
                                s_reset),
        cmocka_unit_test_setup (test_commit_replaces_an_earlier_target_whole,
                                s_reset),
        cmocka_unit_test_setup (test_init_removes_an_earlier_attempts_leftovers,
                                s_reset),
        cmocka_unit_test_setup (test_a_failed_commit_keeps_the_target, s_reset),
        cmocka_unit_test_setup (test_rmtree_does_not_follow_symlinks, s_reset),
        cmocka_unit_test_setup (
            test_mkdirs_is_idempotent_and_fails_under_a_file, s_reset),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    char *cmd = edge_sprintf ("rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", s_dir);
    free (cmd);
    return rc;
}
