/*  test_edge_keys - common/edge_keys owns the Redis key schema: its
    builders make the documented keys, and no other source file spells a
    key. The scan reads every .c, .h and .lua file of the source folders
    (EDGE_SOURCE_DIR): a C file may not hold the text "e: in a string, a
    Lua file may not hold 'e: or "e: outside comments (a script names a
    key prefix as '@EDGE_KEY_...@').  */
#define _XOPEN_SOURCE 700
#include "edge_keys.h"
#include <ftw.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

static int s_found;       //  key literals found by the last scan
static char s_first[512]; //  where the first one is


static bool
s_ends_with (const char *path, const char *suffix)
{
    size_t len = strlen (path), n = strlen (suffix);
    return len >= n && strcmp (path + len - n, suffix) == 0;
}


//  Count the key literals of one file.
static void
s_scan_file (const char *path)
{
    bool is_lua = s_ends_with (path, ".lua");
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char line[4096];
    for (int lineno = 1; fgets (line, sizeof line, file); lineno++) {
        char *text = line + strspn (line, " \t");
        if (is_lua && strncmp (text, "--", 2) == 0)
            continue; //  a comment line (contracts, happy paths)
        if (is_lua) {
            char *comment = strstr (text, "--");
            if (comment)
                *comment = '\0';
        }
        if (strstr (text, "\"e:") || (is_lua && strstr (text, "'e:"))) {
            if (!s_found++)
                snprintf (s_first, sizeof s_first, "%s:%d: %s", path,
                          lineno, text);
        }
    }
    fclose (file);
}


static int
s_visit (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void) st;
    (void) ftw;
    if (type != FTW_F)
        return 0;
    if (!s_ends_with (path, ".c") && !s_ends_with (path, ".h")
        && !s_ends_with (path, ".lua"))
        return 0;
    if (s_ends_with (path, "/common/edge_keys.c")
        || s_ends_with (path, "/common/edge_keys.h"))
        return 0;
    s_scan_file (path);
    return 0;
}


//  Scan the code folders of root; returns the count of key literals.
static int
s_scan (const char *root)
{
    static const char *const folders[] = {"common", "gateway", "worker",
                                          "notifier", "broker", "proto",
                                          "tools",  "lua"};
    s_found = 0;
    s_first[0] = '\0';
    for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
        char dir[1024];
        snprintf (dir, sizeof dir, "%s/%s", root, folders[i]);
        struct stat st;
        if (stat (dir, &st) == 0)
            assert_int_equal (nftw (dir, s_visit, 16, FTW_PHYS), 0);
    }
    return s_found;
}


static void
test_no_key_outside_edge_keys (void **state)
{
    (void) state;
    if (s_scan (EDGE_SOURCE_DIR) != 0)
        fail_msg ("%d key literal(s) outside common/edge_keys; first at %s",
                  s_found, s_first);
}


static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}


//  The scan finds a planted key in C and in Lua code, and passes over Lua
//  comments and edge_keys itself.
static void
test_the_scan_can_fail (void **state)
{
    (void) state;
    char root[] = "/tmp/edge_keys_XXXXXX";
    assert_non_null (mkdtemp (root));
    char path[256];
    snprintf (path, sizeof path, "%s/common", root);
    assert_int_equal (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/lua", root);
    assert_int_equal (mkdir (path, 0700), 0);
    snprintf (path, sizeof path, "%s/common/edge_keys.c", root);
    s_write (path, "#define K \"e:orgs\"\n");
    snprintf (path, sizeof path, "%s/lua/a.lua", root);
    s_write (path, "-- KEYS[1] e:{org}:app\n--@setup HSET e:{o}:a x 1\n"
                   "local k = '@EDGE_KEY_ORGS@' -- not 'e:orgs'\n");
    assert_int_equal (s_scan (root), 0);
    s_write (path, "local k = 'e:orgs'\n");
    assert_int_equal (s_scan (root), 1);
    assert_non_null (strstr (s_first, "a.lua:1"));
    s_write (path, "\n");
    snprintf (path, sizeof path, "%s/common/x.c", root);
    s_write (path, "const char *k = \"e:{%s}:app:%s\";\n");
    assert_int_equal (s_scan (root), 1);
    assert_non_null (strstr (s_first, "x.c:1"));
    char cmd[300];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal (system (cmd), 0);
}


static void
test_builders (void **state)
{
    (void) state;
    struct {
        char *key;
        const char *want;
    } rows[] = {
        {edge_key_task ("t-1"), "e:task:t-1"},
        {edge_key_token ("ab"), "e:tok:ab"},
        {edge_key_login_user ("o", "u"), "e:rl:user:{o}:u"},
        {edge_key_org_info ("o"), "e:{o}:info"},
        {edge_key_org_match ("o"), "e:{o}:*"},
        {edge_key_role ("o", ""), "e:{o}:role:"},
        {edge_key_user_tokens ("o", "u"), "e:{o}:user:u:tokens"},
        {edge_key_api_key ("o", "k"), "e:{o}:key:k"},
        {edge_key_app ("o", "a"), "e:{o}:app:a"},
        {edge_key_app_trace ("o", "a", "t"), "e:{o}:app:a:trace:t"},
        {edge_key_training ("o", "a"), "e:{o}:training:a"},
        {edge_key_deployment_apps ("o", "d"), "e:{o}:deployment:d:apps"},
        {edge_key_sub_chain ("o", "s", "t"), "e:{o}:sub:s:chain:t"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_string_equal (rows[i].key, rows[i].want);
        free (rows[i].key);
    }
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_the_scan_can_fail),
        cmocka_unit_test (test_builders),
        cmocka_unit_test (test_no_key_outside_edge_keys),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
