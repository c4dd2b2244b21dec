/*  wk_testmkraw - redis-server and a file:// depot for the mkraw tests.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wk_testmkraw.h"
#include "edge_util.h"
#include "wk_env.h"
#include "wk_testtar.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static wk_tests3_t s_fx;       //  redis-server, connections, the depot
static char *s_store_url;      //  file://<s_fx.dir>
static uint64_t s_segment_max; //  the env's segment limit
static wk_env_t s_env;         //  the jobs' environment


int
wk_testmkraw_start (const char *name, uint64_t segment_max)
{
    int rc = wk_tests3_start (&s_fx, name, NULL);
    if (rc != 0)
        return rc;
    s_store_url = edge_sprintf ("file://%s", s_fx.dir);
    s_segment_max = segment_max;
    wk_testmkraw_setup ();
    return 0;
}


void
wk_testmkraw_stop (void)
{
    wk_env_fini (&s_env);
    wk_tests3_stop (&s_fx);
    free (s_store_url);
    s_store_url = NULL;
}


wk_tests3_t *
wk_testmkraw_fixture (void)
{
    return &s_fx;
}


void
wk_testmkraw_setup (void)
{
    wk_testmkraw_set_depot (s_store_url);
}


void
wk_testmkraw_set_depot (const char *url)
{
    wk_env_fini (&s_env);
    if (!url)
        return;
    edge_depot_cfg_t depot = {.url = (char *) url};
    assert_int_equal (wk_env_init (&s_env, &depot, s_fx.dir, ""), 0);
    s_env.segment_max = s_segment_max;
}


int
wk_testmkraw_reset (void **state)
{
    (void) state;
    WK_TESTMKRAW_REDIS ("FLUSHALL");
    wk_testtar_rmtree (s_fx.dir);
    assert_int_equal (mkdir (s_fx.dir, 0700), 0);
    return 0;
}


char *
wk_testmkraw_path (const char *key)
{
    return edge_sprintf ("%s/%s", s_fx.dir, key);
}


bool
wk_testmkraw_exists (const char *key)
{
    char *path = wk_testmkraw_path (key);
    struct stat st;
    bool is_there = stat (path, &st) == 0;
    free (path);
    return is_there;
}


int
wk_testmkraw_entries (const char *key)
{
    char *path = wk_testmkraw_path (key);
    DIR *dir = opendir (path);
    free (path);
    if (!dir)
        return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        count += strcmp (entry->d_name, ".") != 0
                 && strcmp (entry->d_name, "..") != 0;
    closedir (dir);
    return count;
}


char *
wk_testmkraw_listing (const char *key)
{
    char *path = wk_testmkraw_path (key);
    char *text = edge_strdup ("");
    DIR *dir = opendir (path);
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        if (strcmp (entry->d_name, ".") == 0
            || strcmp (entry->d_name, "..") == 0)
            continue;
        char *next = edge_sprintf ("%s%s ", text, entry->d_name);
        free (text);
        text = next;
    }
    if (dir)
        closedir (dir);
    free (path);
    return text;
}


int64_t
wk_testmkraw_dir_bytes (const char *key)
{
    char *path = wk_testmkraw_path (key);
    int64_t total = 0;
    DIR *dir = opendir (path);
    assert_non_null (dir);
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        char *child = edge_sprintf ("%s/%s", path, entry->d_name);
        struct stat st;
        if (stat (child, &st) == 0 && S_ISREG (st.st_mode))
            total += st.st_size;
        free (child);
    }
    closedir (dir);
    free (path);
    return total;
}


wk_job_rc_t
wk_testmkraw_run (const char *task,
                  int attempt,
                  const char *params_text,
                  atomic_int *cancel,
                  wk_job_t *job)
{
    return wk_tests3_run (&s_fx, &s_env, "mkraw", task, attempt, params_text,
                          cancel, job);
}


int64_t
wk_testmkraw_int (const json_t *obj, const char *field)
{
    json_t *value = json_object_get (obj, field);
    assert_true (json_is_integer (value));
    return json_integer_value (value);
}
