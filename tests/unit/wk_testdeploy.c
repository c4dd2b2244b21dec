/*  wk_testdeploy - the deploy tests' fixture (see wk_testdeploy.h).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wk_testdeploy.h"
#include "edge_util.h"
#include "wk_deploy.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MAX_LOG 64

static wk_tests3_t s_t3; //  conn is the handler's, check the test's
static wk_env_t s_env;   //  the jobs' environment (wk_testdeploy_setup)

const char *const wk_testdeploy_keys[WK_TESTDEPLOY_KEYS] = {
    "dxf/acme/app1/0002/img-a/manifest.json",
    "dxf/acme/app1/0002/img-a/seg_000.bin",
    "dxf/acme/app1/0002/img-a/seg_001.bin",
    "pat/acme/app1/0002/0001/manifest.json",
    "pat/acme/app1/0002/0001/seg_000.bin",
};
const char *const wk_testdeploy_more[WK_TESTDEPLOY_MORE] = {
    "dxf/acme/app1/0003/img-3/manifest.json",
    "dxf/acme/app1/0003/img-3/seg_000.bin",
    "pat/acme/app1/0003/0002/manifest.json",
    "pat/acme/app1/0003/0002/seg_000.bin",
    "dxf/acme/app1/0002/img-b/manifest.json",
    "dxf/acme/app1/0002/img-b/seg_000.bin",
};
const char *const wk_testdeploy_params =
    WK_TESTDEPLOY_PARAMS ("\"buildId\":2,\"dxfName\":\"img-a\","
                          "\"patches\":[{\"fromBuildId\":1,\"sizeBytes\":77}]");

//  Writes seen by the hook: "deployment key".
static char *s_log[S_MAX_LOG];
static size_t s_logged;


void
wk_testdeploy_hook (const char *deployment, const char *key, void *arg)
{
    (void) arg;
    if (s_logged < S_MAX_LOG)
        s_log[s_logged++] = edge_sprintf ("%s %s", deployment, key);
}


void
wk_testdeploy_log_clear (void)
{
    for (size_t i = 0; i < s_logged; i++)
        free (s_log[i]);
    s_logged = 0;
}


//  Deterministic content of depot key index i (some KiB, distinct).
char *
wk_testdeploy_content (size_t i, size_t *size)
{
    *size = 3000 + i * 1111;
    char *data = edge_malloc (*size);
    uint32_t x = (uint32_t) (i * 2654435761u) | 1;
    for (size_t b = 0; b < *size; b++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[b] = (char) (x >> 24);
    }
    return data;
}


//  Run a command on the test's connection; it must not fail.
#define S_REDIS(...) WK_TESTS3_REDIS (s_t3.check, __VA_ARGS__)


wk_job_rc_t
wk_testdeploy_run (const char *params_text, bool is_cancelled, wk_job_t *job)
{
    static atomic_int no_cancel, cancelled = 1;
    return wk_tests3_run (&s_t3, &s_env, "deploy", "task-deploy-1", 1,
                          params_text, is_cancelled ? &cancelled : &no_cancel,
                          job);
}


void
wk_testdeploy_run_done (const char *params_text)
{
    wk_job_t job;
    assert_int_equal (wk_testdeploy_run (params_text, false, &job),
                      WK_JOB_DONE);
    wk_job_fini (&job);
}


//  Origin name holds every depot key under its prefix, byte for byte.
void
wk_testdeploy_assert_origin (const char *name)
{
    const char *prefix;
    edge_store_t *store = wk_tests3_origin (&s_t3, name, &prefix);
    char *path = edge_sprintf ("%s/copy", s_t3.dir);
    for (size_t i = 0; i < WK_TESTDEPLOY_KEYS; i++) {
        char *key = edge_sprintf ("%s%s", prefix, wk_testdeploy_keys[i]);
        assert_int_equal (edge_store_get_file (store, key, path), 0);
        size_t size;
        char *want = wk_testdeploy_content (i, &size);
        FILE *file = fopen (path, "rb");
        assert_non_null (file);
        char *got = edge_malloc (size + 1);
        assert_int_equal (fread (got, 1, size + 1, file), size);
        fclose (file);
        assert_memory_equal (got, want, size);
        free (got);
        free (want);
        free (key);
    }
    unlink (path);
    free (path);
    edge_store_destroy (&store);
}


//  The names of the origins in use (s3C only with s3rver).
size_t
wk_testdeploy_origins (const char **names)
{
    names[0] = "fsA";
    names[1] = "fsB";
    names[2] = "s3C";
    return s_t3.has_s3 ? 3 : 2;
}


//  In the hook log of deployment name, every manifest comes after every
//  segment, and the image's manifest is the very last write. Returns the
//  number of writes to name.
size_t
wk_testdeploy_assert_manifests_last (const char *name, const char *prefix)
{
    char *image = edge_sprintf ("%s %s%s", name, prefix, wk_testdeploy_keys[0]);
    size_t writes = 0, last = 0;
    bool seen_manifest = false;
    for (size_t i = 0; i < s_logged; i++) {
        size_t len = strlen (name);
        if (strncmp (s_log[i], name, len) != 0 || s_log[i][len] != ' ')
            continue;
        writes++;
        last = i;
        bool is_manifest = strstr (s_log[i], "/manifest.json") != NULL;
        if (!is_manifest)
            assert_false (seen_manifest); //  a segment after a manifest
        seen_manifest = seen_manifest || is_manifest;
    }
    if (writes > 0)
        assert_string_equal (s_log[last], image);
    free (image);
    return writes;
}


//  job->error is exactly the deployment object with these lists.
void
wk_testdeploy_assert_error (const wk_job_t *job,
                            const char *failed,
                            const char *ok)
{
    char *text = edge_sprintf ("{\"deployment\":{\"failedDeployments\":%s,"
                               "\"succeededDeployments\":%s}}",
                               failed, ok);
    json_t *want = json_loads (text, 0, NULL);
    json_t *got = job->error ? json_loads (job->error, 0, NULL) : NULL;
    assert_non_null (want);
    assert_non_null (got);
    assert_true (json_equal (got, want));
    json_decref (got);
    json_decref (want);
    free (text);
}


//  A JSON hash field of the app (caller owns), or NULL when absent.
json_t *
wk_testdeploy_app_json (const char *field)
{
    char *text = wk_tests3_hget (s_t3.check, "e:{acme}:app:app1", field);
    json_t *value = text ? json_loads (text, JSON_DECODE_ANY, NULL) : NULL;
    free (text);
    return value;
}


//  The app's field is exactly the JSON want.
void
wk_testdeploy_assert_app_json (const char *field, const char *want_text)
{
    json_t *want = json_loads (want_text, JSON_DECODE_ANY, NULL);
    json_t *got = wk_testdeploy_app_json (field);
    assert_non_null (want);
    assert_non_null (got);
    if (!json_equal (got, want)) {
        char *text = json_dumps (got, JSON_COMPACT);
        fprintf (stderr, "%s is %s, not %s\n", field, text, want_text);
        free (text);
        fail ();
    }
    json_decref (got);
    json_decref (want);
}


//  The only e:gc:due entry (of acme/app1): its prefixes sorted, one a
//  line (caller frees), and its score.
char *
wk_testdeploy_gc_entry (int64_t *score)
{
    redisReply *reply =
        edge_redis_command (s_t3.check, "ZRANGE e:gc:due 0 -1 WITHSCORES");
    assert_non_null (reply);
    assert_int_equal (reply->elements, 2);
    json_t *doc = json_loads (reply->element[0]->str, 0, NULL);
    assert_non_null (doc);
    *score = strtoll (reply->element[1]->str, NULL, 10);
    freeReplyObject (reply);
    assert_string_equal (json_string_value (json_object_get (doc, "org")),
                         "acme");
    assert_string_equal (json_string_value (json_object_get (doc, "app")),
                         "app1");
    json_t *prefixes = json_object_get (doc, "prefixes");
    const char *lines[16];
    size_t count = json_array_size (prefixes);
    assert_true (count > 0 && count <= 16);
    for (size_t i = 0; i < count; i++)
        lines[i] = json_string_value (json_array_get (prefixes, i));
    char *text = wk_tests3_sorted_lines (lines, count);
    json_decref (doc);
    return text;
}


long long
wk_testdeploy_zcard (void)
{
    redisReply *reply = edge_redis_command (s_t3.check, "ZCARD e:gc:due");
    assert_non_null (reply);
    long long count = reply->integer;
    freeReplyObject (reply);
    return count;
}


int
wk_testdeploy_setup (void **state)
{
    (void) state;
    char *depot = edge_sprintf ("%s/depot", s_t3.dir);
    edge_store_t *store = edge_store_new_fs (depot);
    free (depot);
    if (!store)
        return -1;
    for (size_t i = 0; i < WK_TESTDEPLOY_KEYS; i++) {
        size_t size;
        char *data = wk_testdeploy_content (i, &size);
        int rc = edge_store_put_mem (store, wk_testdeploy_keys[i], data, size);
        free (data);
        if (rc != 0)
            return -1;
    }
    for (size_t i = 0; i < WK_TESTDEPLOY_MORE; i++)
        if (edge_store_put_mem (store, wk_testdeploy_more[i],
                                wk_testdeploy_more[i],
                                strlen (wk_testdeploy_more[i]))
            != 0)
            return -1;
    edge_store_destroy (&store);
    char *url = edge_sprintf ("file://%s/depot", s_t3.dir);
    wk_testdeploy_set_depot (url);
    free (url);
    return 0;
}


void
wk_testdeploy_set_depot (const char *url)
{
    wk_env_fini (&s_env);
    if (!url)
        return;
    edge_depot_cfg_t depot = {.url = (char *) url};
    assert_int_equal (wk_env_init (&s_env, &depot, s_t3.dir, ""), 0);
    s_env.retry_ms = 20;
    s_env.gc_delay_ms = WK_TESTDEPLOY_GC_DELAY_MS;
    s_env.deploy_hook = wk_testdeploy_hook;
}


wk_env_t *
wk_testdeploy_env (void)
{
    return &s_env;
}


int
wk_testdeploy_teardown (void **state)
{
    (void) state;
    wk_env_fini (&s_env);
    wk_testdeploy_log_clear ();
    return 0;
}


//  Empty every origin.
static void
s_clear_origins (void)
{
    char *cmd = edge_sprintf ("rm -rf '%s/fsA' '%s/fsB'", s_t3.dir, s_t3.dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not clear the fs origins\n");
    free (cmd);
    if (!s_t3.has_s3)
        return;
    const char *prefix;
    edge_store_t *store = wk_tests3_origin (&s_t3, "s3C", &prefix);
    size_t more = WK_TESTDEPLOY_MORE;
    for (size_t i = 0; i < WK_TESTDEPLOY_KEYS + more; i++) {
        char *key =
            edge_sprintf ("%s%s", prefix,
                          i < WK_TESTDEPLOY_KEYS
                              ? wk_testdeploy_keys[i]
                              : wk_testdeploy_more[i - WK_TESTDEPLOY_KEYS]);
        if (edge_store_delete (store, key) != 0)
            fprintf (stderr, "could not delete %s\n", key);
        free (key);
    }
    edge_store_destroy (&store);
}


//  Fresh Redis state and empty origins: app1 registered to every origin in use.
int
wk_testdeploy_reset (void **state)
{
    (void) state;
    if (wk_tests3_flush (&s_t3) != 0)
        return -1;
    const char *names[3];
    size_t count = wk_testdeploy_origins (names);
    json_t *list = json_array ();
    for (size_t i = 0; i < count; i++) {
        json_array_append_new (list, json_string (names[i]));
        S_REDIS ("ZADD e:{acme}:deployments %d %s", (int) i + 1, names[i]);
    }
    char *text = json_dumps (list, JSON_COMPACT);
    json_decref (list);
    S_REDIS ("HSET e:{acme}:app:app1 name app1 locked 0 deployments %s "
             "maxBuilds 5 iCurBuild 1 dxfName img-1 builds [%s] patches [] "
             "sizeBytes 100",
             text, WK_TESTDEPLOY_BUILD1);
    S_REDIS ("HSET e:{acme}:app:app1:imports b2 task-mkraw-2 b9 task-dltar-9");
    free (text);
    S_REDIS ("HSET e:{acme}:deployment:fsA name fsA kind fs originPrefix "
             "/cdn/a/ path %s/fsA status new",
             s_t3.dir);
    S_REDIS ("HSET e:{acme}:deployment:fsB name fsB kind fs originPrefix %s "
             "path %s/fsB status new",
             "", s_t3.dir);
    S_REDIS ("HSET e:{acme}:deployment:s3C name s3C kind s3 originPrefix pre "
             "endpoint %s region us-east-1 bucket %s accessKeyId S3RVER "
             "secretAccessKey S3RVER status new",
             s_t3.endpoint, WK_TESTS3_BUCKET);
    s_clear_origins ();
    wk_testdeploy_log_clear ();
    return 0;
}


int
wk_testdeploy_start (const char *name, const char *no_npm)
{
    return wk_tests3_start (&s_t3, name, no_npm);
}


void
wk_testdeploy_stop (void)
{
    wk_testdeploy_log_clear ();
    wk_tests3_stop (&s_t3);
}


wk_tests3_t *
wk_testdeploy_fixture (void)
{
    return &s_t3;
}


size_t
wk_testdeploy_logged (void)
{
    return s_logged;
}


const char *
wk_testdeploy_log (size_t i)
{
    assert_true (i < s_logged);
    return s_log[i];
}
