/*  test_wk_deploy - the deploy task against a real redis-server, a depot
    in a temporary directory, two fs origins and one S3 origin on a real
    s3rver (scripts/s3rver.sh). Without npm the S3 origin is left out (said
    on stderr) and everything else still runs. s3rver checks only the
    access key id, so the broken S3 deployment has a wrong key id.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_redis.h"
#include "edge_store.h"
#include "edge_util.h"
#include "wk_deploy.h"
#include "wk_job.h"
#include "wk_tests3.h"
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_KEYS    5
#define S_MAX_LOG 64

static wk_tests3_t s_t3; //  conn is the handler's, check the test's

//  The depot keys of the fake image and patch (manifests included).
static const char *const s_keys[S_KEYS] = {
    "dxf/acme/app1/0002/img-a/manifest.json",
    "dxf/acme/app1/0002/img-a/seg_000.bin",
    "dxf/acme/app1/0002/img-a/seg_001.bin",
    "pat/acme/app1/0002/0001/manifest.json",
    "pat/acme/app1/0002/0001/seg_000.bin",
};
//  Other depot objects: build 3 (image and patch from 2), a second image
//  of build 2.
static const char *const s_more[] = {
    "dxf/acme/app1/0003/img-3/manifest.json",
    "dxf/acme/app1/0003/img-3/seg_000.bin",
    "pat/acme/app1/0003/0002/manifest.json",
    "pat/acme/app1/0003/0002/seg_000.bin",
    "dxf/acme/app1/0002/img-b/manifest.json",
    "dxf/acme/app1/0002/img-b/seg_000.bin",
};
#define S_PARAMS(rest)                                                         \
    "{\"appName\":\"app1\",\"buildName\":\"b2\",\"sizeBytes\":5000," rest "}"
static const char *const s_params_text =
    S_PARAMS ("\"buildId\":2,\"dxfName\":\"img-a\","
              "\"patches\":[{\"fromBuildId\":1,\"sizeBytes\":77}]");
//  Build 1 as the app had it before the tests' deploys.
#define S_BUILD1                                                               \
    "{\"buildId\":1,\"buildName\":\"b1\",\"dxfName\":\"img-1\","               \
    "\"sizeBytes\":100,\"created\":\"2026-01-01T00:00:00.000Z\"}"
#define S_GC_DELAY_MS 5000

//  Writes seen by the hook: "deployment key".
static char *s_log[S_MAX_LOG];
static size_t s_logged;


//  ---------------------------------------------------------------------
//  Helpers

static void
s_hook (const char *deployment, const char *key, void *arg)
{
    (void) arg;
    if (s_logged < S_MAX_LOG)
        s_log[s_logged++] = edge_sprintf ("%s %s", deployment, key);
}


static void
s_log_clear (void)
{
    for (size_t i = 0; i < s_logged; i++)
        free (s_log[i]);
    s_logged = 0;
}


//  Deterministic content of depot key index i (some KiB, distinct).
static char *
s_content (size_t i, size_t *size)
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


//  Run a deploy job with params text; the caller calls wk_job_fini.
static wk_job_rc_t
s_run (const char *params_text, atomic_int *cancel, wk_job_t *job)
{
    json_t *params = json_loads (params_text, 0, NULL);
    assert_non_null (params);
    *job = (wk_job_t){.worker = "w1",
                      .name = "task-deploy-1",
                      .type = "deploy",
                      .org = "acme",
                      .params = params,
                      .attempt = 1,
                      .redis = s_t3.conn,
                      .cancel = cancel};
    wk_job_rc_t rc = wk_deploy_run (job);
    json_decref (params);
    job->params = NULL;
    return rc;
}


//  Origin name holds every depot key under its prefix, byte for byte.
static void
s_assert_origin (const char *name)
{
    const char *prefix;
    edge_store_t *store = wk_tests3_origin (&s_t3, name, &prefix);
    char *path = edge_sprintf ("%s/copy", s_t3.dir);
    for (size_t i = 0; i < S_KEYS; i++) {
        char *key = edge_sprintf ("%s%s", prefix, s_keys[i]);
        assert_int_equal (edge_store_get_file (store, key, path), 0);
        size_t size;
        char *want = s_content (i, &size);
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
static size_t
s_origins (const char **names)
{
    names[0] = "fsA";
    names[1] = "fsB";
    names[2] = "s3C";
    return s_t3.has_s3 ? 3 : 2;
}


//  In the hook log of deployment name, every manifest comes after every
//  segment, and the image's manifest is the very last write. Returns the
//  number of writes to name.
static size_t
s_assert_manifests_last (const char *name, const char *prefix)
{
    char *image = edge_sprintf ("%s %s%s", name, prefix, s_keys[0]);
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
static void
s_assert_error (const wk_job_t *job, const char *failed, const char *ok)
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
static json_t *
s_app_json (const char *field)
{
    char *text = wk_tests3_hget (s_t3.check, "e:{acme}:app:app1", field);
    json_t *value = text ? json_loads (text, JSON_DECODE_ANY, NULL) : NULL;
    free (text);
    return value;
}


//  The app's field is exactly the JSON want.
static void
s_assert_app_json (const char *field, const char *want_text)
{
    json_t *want = json_loads (want_text, JSON_DECODE_ANY, NULL);
    json_t *got = s_app_json (field);
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


static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}


//  The only e:gc:due entry (of acme/app1): its prefixes sorted, one a
//  line (caller frees), and its score.
static char *
s_gc_entry (int64_t *score)
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
    qsort (lines, count, sizeof lines[0], s_compare);
    char *text = edge_strdup ("");
    for (size_t i = 0; i < count; i++) {
        char *longer = edge_sprintf ("%s%s\n", text, lines[i]);
        free (text);
        text = longer;
    }
    json_decref (doc);
    return text;
}


static long long
s_zcard (void)
{
    redisReply *reply = edge_redis_command (s_t3.check, "ZCARD e:gc:due");
    assert_non_null (reply);
    long long count = reply->integer;
    freeReplyObject (reply);
    return count;
}


//  ---------------------------------------------------------------------
//  Fixture: the depot image, the app and its deployments

static int
s_setup (void **state)
{
    (void) state;
    char *depot = edge_sprintf ("%s/depot", s_t3.dir);
    edge_store_t *store = edge_store_new_fs (depot);
    free (depot);
    if (!store)
        return -1;
    for (size_t i = 0; i < S_KEYS; i++) {
        size_t size;
        char *data = s_content (i, &size);
        int rc = edge_store_put_mem (store, s_keys[i], data, size);
        free (data);
        if (rc != 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof s_more / sizeof s_more[0]; i++)
        if (edge_store_put_mem (store, s_more[i], s_more[i], strlen (s_more[i]))
            != 0)
            return -1;
    edge_store_destroy (&store);
    char *url = edge_sprintf ("file://%s/depot", s_t3.dir);
    wk_deploy_setup (&(wk_deploy_opts_t){
        .store_url = url, .retry_ms = 20, .gc_delay_ms = S_GC_DELAY_MS});
    free (url);
    wk_deploy_set_hook (s_hook, NULL);
    return 0;
}


static int
s_teardown (void **state)
{
    (void) state;
    wk_deploy_cleanup ();
    s_log_clear ();
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
    size_t more = sizeof s_more / sizeof s_more[0];
    for (size_t i = 0; i < S_KEYS + more; i++) {
        char *key = edge_sprintf ("%s%s", prefix,
                                  i < S_KEYS ? s_keys[i] : s_more[i - S_KEYS]);
        if (edge_store_delete (store, key) != 0)
            fprintf (stderr, "could not delete %s\n", key);
        free (key);
    }
    edge_store_destroy (&store);
}


//  Fresh Redis state and empty origins: app1 registered to every origin in use.
static int
s_reset (void **state)
{
    (void) state;
    redisReply *reply = edge_redis_command (s_t3.check, "FLUSHALL");
    if (!reply)
        return -1;
    freeReplyObject (reply);
    const char *names[3];
    size_t count = s_origins (names);
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
             text, S_BUILD1);
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
    s_log_clear ();
    return 0;
}


//  ---------------------------------------------------------------------
//  Tests

static void
test_deploy_publishes_every_key_to_every_origin_manifests_last (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    assert_null (job.error);
    assert_null (job.message);
    json_t *result = json_loads (job.result, 0, NULL);
    assert_non_null (result);
    assert_string_equal (
        json_string_value (json_object_get (result, "dxfName")), "img-a");
    const char *names[3];
    size_t count = s_origins (names);
    json_t *deployments = json_object_get (result, "deployments");
    assert_int_equal (json_array_size (deployments), count);
    for (size_t i = 0; i < count; i++) {
        assert_string_equal (
            json_string_value (json_array_get (deployments, i)), names[i]);
        s_assert_origin (names[i]);
        const char *prefix;
        edge_store_t *store = wk_tests3_origin (&s_t3, names[i], &prefix);
        edge_store_destroy (&store);
        assert_int_equal (s_assert_manifests_last (names[i], prefix), S_KEYS);
        char *key = edge_sprintf ("e:{acme}:deployment:%s", names[i]);
        wk_tests3_assert_field (s_t3.check, key, "status", "ok");
        char *message = wk_tests3_hget (s_t3.check, key, "message");
        assert_non_null (strstr (message, "5 files written"));
        free (message);
        free (key);
    }
    assert_int_equal (s_logged, S_KEYS * count);
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "locked", "0");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "error", NULL);
    json_decref (result);
    wk_job_fini (&job);
}


static void
test_deploy_again_skips_what_is_there_and_overwrites_what_differs (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    wk_job_fini (&job);
    s_log_clear ();
    //  A truncated segment on fsB is rewritten; nothing else is
    char *path = edge_sprintf ("%s/fsB/%s", s_t3.dir, s_keys[1]);
    assert_int_equal (truncate (path, 10), 0);
    free (path);
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    wk_job_fini (&job);
    assert_int_equal (s_logged, 1);
    char *want = edge_sprintf ("fsB %s", s_keys[1]);
    assert_string_equal (s_log[0], want);
    free (want);
    const char *names[3];
    size_t count = s_origins (names);
    for (size_t i = 0; i < count; i++)
        s_assert_origin (names[i]);
    wk_tests3_assert_field (s_t3.check, "e:{acme}:deployment:fsA", "message",
                            "published img-a of build 0002: 0 files written, 5 "
                            "were already there");
}


static void
test_failed_deployments_fail_the_task_and_lock_the_app_until_fixed (
    void **state)
{
    (void) state;
    //  fsB under a regular file: no directory can be made there
    char *file = edge_sprintf ("%s/plainfile", s_t3.dir);
    FILE *f = fopen (file, "w");
    assert_non_null (f);
    fclose (f);
    S_REDIS ("HSET e:{acme}:deployment:fsB path %s/sub", file);
    S_REDIS ("HSET e:{acme}:deployment:s3C accessKeyId WRONGKEY");
    atomic_int cancel = 0;
    wk_job_t job;
    int64_t start = edge_mono_ms ();
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_FAILED);
    int64_t took = edge_mono_ms () - start;
    assert_null (job.result);
    assert_non_null (job.message);
    if (s_t3.has_s3) {
        s_assert_error (&job, "[\"fsB\",\"s3C\"]", "[\"fsA\"]");
        assert_true (took >= 20 + 40); //  the S3 object was tried 3 times
        wk_tests3_assert_field (s_t3.check, "e:{acme}:deployment:s3C", "status",
                                "error");
        char *message =
            wk_tests3_hget (s_t3.check, "e:{acme}:deployment:s3C", "message");
        assert_non_null (strstr (message, "HTTP 403"));
        assert_null (strstr (message, "S3RVER")); //  no secret
        free (message);
    }
    else
        s_assert_error (&job, "[\"fsB\"]", "[\"fsA\"]");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:deployment:fsA", "status",
                            "ok");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:deployment:fsB", "status",
                            "error");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "locked", "1");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "error",
                            job.error);
    wk_job_fini (&job);
    s_assert_origin ("fsA");
    //  Fix the deployments, retry: succeeds, unlocks, same objects
    S_REDIS ("HSET e:{acme}:deployment:fsB path %s/fsB", s_t3.dir);
    S_REDIS ("HSET e:{acme}:deployment:s3C accessKeyId S3RVER");
    s_log_clear ();
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    assert_null (job.error);
    wk_job_fini (&job);
    assert_int_equal (s_assert_manifests_last ("fsA", "cdn/a/"), 0);
    assert_int_equal (s_assert_manifests_last ("fsB", ""), S_KEYS);
    if (s_t3.has_s3)
        assert_int_equal (s_assert_manifests_last ("s3C", "pre/"), S_KEYS);
    const char *names[3];
    size_t count = s_origins (names);
    for (size_t i = 0; i < count; i++) {
        s_assert_origin (names[i]);
        char *key = edge_sprintf ("e:{acme}:deployment:%s", names[i]);
        wk_tests3_assert_field (s_t3.check, key, "status", "ok");
        free (key);
    }
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "locked", "0");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "error", NULL);
    unlink (file);
    free (file);
}


#define S_RESULT                                                               \
    "{\"dxfName\":\"img-a\",\"buildId\":2,\"buildName\":\"b2\","               \
    "\"buildChanged\":true,\"deployments\":[\"fsB\",\"fsA\"]}"

static void
test_an_app_without_deployments_publishes_to_all_of_the_org (void **state)
{
    (void) state;
    S_REDIS ("HSET e:{acme}:app:app1 deployments []");
    S_REDIS ("ZREM e:{acme}:deployments s3C");
    S_REDIS ("ZADD e:{acme}:deployments 0 fsB");
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    assert_string_equal (job.result, S_RESULT);
    wk_job_fini (&job);
    S_REDIS ("HDEL e:{acme}:app:app1 deployments");
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    assert_string_equal (job.result, S_RESULT);
    wk_job_fini (&job);
}


static void
test_a_missing_deployment_is_a_failed_deployment (void **state)
{
    (void) state;
    S_REDIS ("HSET e:{acme}:app:app1 deployments [\"fsA\",\"gone\"]");
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_FAILED);
    s_assert_error (&job, "[\"gone\"]", "[\"fsA\"]");
    wk_job_fini (&job);
    //  Its status is not recorded into a hash that does not exist
    redisReply *reply =
        edge_redis_command (s_t3.check, "EXISTS e:{acme}:deployment:gone");
    assert_non_null (reply);
    assert_int_equal (reply->integer, 0);
    freeReplyObject (reply);
}


static void
test_missing_image_or_bad_params_fail_without_locking (void **state)
{
    (void) state;
    const char *bad[] = {
        S_PARAMS ("\"buildId\":2,\"dxfName\":\"nope\""),
        S_PARAMS ("\"buildId\":2,\"dxfName\":\"img-a\","
                  "\"patches\":[{\"fromBuildId\":7,\"sizeBytes\":1}]"),
        S_PARAMS ("\"buildId\":2,\"dxfName\":\"img-a\","
                  "\"patches\":[{\"fromBuildId\":2,\"sizeBytes\":1}]"),
        S_PARAMS ("\"buildId\":2,\"dxfName\":\"img-a\","
                  "\"patches\":[{\"fromBuildId\":1}]"),
        S_PARAMS ("\"dxfName\":\"img-a\""),
        S_PARAMS ("\"buildId\":10000,\"dxfName\":\"img-a\""),
        S_PARAMS ("\"buildId\":2,\"dxfName\":\"../x\""),
        S_PARAMS ("\"buildId\":2,\"dxfName\":\"img-a\",\"patches\":{}"),
        S_PARAMS ("\"buildId\":2,\"dxfName\":\"img-a\",\"mode\":\"fast\""),
        "{\"buildId\":2,\"dxfName\":\"img-a\",\"buildName\":\"b2\","
        "\"sizeBytes\":1}",
        "{\"appName\":\"app1\",\"buildId\":2,\"dxfName\":\"img-a\","
        "\"sizeBytes\":1}",
        "{\"appName\":\"app1\",\"buildId\":2,\"dxfName\":\"img-a\","
        "\"buildName\":\"b2\",\"sizeBytes\":-1}",
        "{\"appName\":\"app1\",\"buildId\":2,\"dxfName\":\"img-a\","
        "\"buildName\":\"b 2\",\"sizeBytes\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        atomic_int cancel = 0;
        wk_job_t job;
        assert_int_equal (s_run (bad[i], &cancel, &job), WK_JOB_FAILED);
        assert_non_null (job.message);
        assert_null (job.error);
        assert_null (job.result);
        wk_job_fini (&job);
    }
    assert_int_equal (s_logged, 0);
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "locked", "0");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:deployment:fsA", "status",
                            "new");
    //  A deleted app publishes nothing
    S_REDIS ("DEL e:{acme}:app:app1");
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "no such app"));
    assert_null (job.error);
    wk_job_fini (&job);
    assert_int_equal (s_logged, 0);
}


static void
test_success_records_the_build_in_the_app_exactly (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    json_t *result = json_loads (job.result, 0, NULL);
    assert_true (json_is_true (json_object_get (result, "buildChanged")));
    assert_int_equal (json_integer_value (json_object_get (result, "buildId")),
                      2);
    json_decref (result);
    wk_job_fini (&job);
    json_t *builds = s_app_json ("builds");
    const char *created = json_string_value (
        json_object_get (json_array_get (builds, 1), "created"));
    assert_non_null (created);
    assert_int_equal (strlen (created), 24); //  2026-11-27T10:00:00.000Z
    char *want = edge_sprintf (
        "[" S_BUILD1 ",{\"buildId\":2,\"buildName\":\"b2\",\"dxfName\":"
        "\"img-a\",\"sizeBytes\":5000,\"created\":\"%s\"}]",
        created);
    json_decref (builds);
    for (int round = 0; round < 2; round++) {
        //  The same deploy again (a retried task) changes nothing
        if (round == 1) {
            assert_int_equal (s_run (s_params_text, &cancel, &job),
                              WK_JOB_DONE);
            wk_job_fini (&job);
        }
        s_assert_app_json ("builds", want);
        wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "iCurBuild",
                                "2");
        wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "dxfName",
                                "img-a");
        s_assert_app_json ("patches", "[{\"fromBuildId\":1,\"toBuildId\":2,"
                                      "\"sizeBytes\":77}]");
        wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "sizeBytes",
                                "5100");
        wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "locked", "0");
        wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1:imports", "b2",
                                NULL);
        wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1:imports", "b9",
                                "task-dltar-9");
        assert_int_equal (s_zcard (), 0); //  nothing stopped being current
    }
    free (want);
}


static void
test_rotation_keeps_max_builds_and_schedules_what_stops_being_current (
    void **state)
{
    (void) state;
    S_REDIS ("HSET e:{acme}:app:app1 maxBuilds 2");
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    wk_job_fini (&job);
    assert_int_equal (s_zcard (), 0);
    int64_t before = edge_now_ms ();
    assert_int_equal (
        s_run ("{\"appName\":\"app1\",\"buildName\":\"b3\",\"sizeBytes\":"
               "7000,\"buildId\":3,\"dxfName\":\"img-3\",\"patches\":"
               "[{\"fromBuildId\":2,\"sizeBytes\":55}]}",
               &cancel, &job),
        WK_JOB_DONE);
    wk_job_fini (&job);
    int64_t after = edge_now_ms ();
    json_t *builds = s_app_json ("builds");
    assert_int_equal (json_array_size (builds), 2);
    assert_int_equal (json_integer_value (json_object_get (
                          json_array_get (builds, 0), "buildId")),
                      2);
    assert_int_equal (json_integer_value (json_object_get (
                          json_array_get (builds, 1), "buildId")),
                      3);
    json_decref (builds);
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "iCurBuild", "3");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "dxfName",
                            "img-3");
    s_assert_app_json ("patches", "[{\"fromBuildId\":2,\"toBuildId\":3,"
                                  "\"sizeBytes\":55}]");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "sizeBytes",
                            "12000");
    int64_t score;
    char *prefixes = s_gc_entry (&score);
    assert_string_equal (prefixes, "dxf/acme/app1/0001/\n"
                                   "pat/acme/app1/0001/\n"
                                   "pat/acme/app1/0002/0001/\n");
    assert_true (score >= before + S_GC_DELAY_MS);
    assert_true (score <= after + S_GC_DELAY_MS);
    free (prefixes);
    //  Build 3 was published key for key
    const char *prefix;
    edge_store_t *store = wk_tests3_origin (&s_t3, "fsA", &prefix);
    for (size_t i = 0; i < 4; i++) {
        char *key = edge_sprintf ("%s%s", prefix, s_more[i]);
        bool exists = false;
        assert_int_equal (edge_store_head (store, key, &exists, NULL), 0);
        assert_true (exists);
        free (key);
    }
    edge_store_destroy (&store);
}


//  Overwrite the patch segment on fsB with other bytes of the same size.
static void
s_spoil_patch_segment (void)
{
    size_t size;
    char *data = s_content (4, &size);
    memset (data, 'x', size);
    char *path = edge_sprintf ("%s/fsB/%s", s_t3.dir, s_keys[4]);
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    fclose (file);
    free (path);
    free (data);
}


static void
test_reorder_overwrites_patches_and_retires_the_old_image (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    wk_job_fini (&job);
    json_t *builds = s_app_json ("builds");
    char *created = edge_strdup (json_string_value (
        json_object_get (json_array_get (builds, 1), "created")));
    json_decref (builds);
    //  build mode skips a same-size object; reorder mode rewrites pat/
    s_spoil_patch_segment ();
    s_log_clear ();
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_DONE);
    wk_job_fini (&job);
    assert_int_equal (s_logged, 0);
    const char *reorder =
        S_PARAMS ("\"buildId\":2,\"dxfName\":\"%s\",\"mode\":\"reorder\","
                  "\"patches\":[{\"fromBuildId\":1,\"sizeBytes\":80}]");
    char *params = edge_sprintf (reorder, "img-a");
    assert_int_equal (s_run (params, &cancel, &job), WK_JOB_DONE);
    wk_job_fini (&job);
    free (params);
    const char *names[3];
    size_t count = s_origins (names);
    assert_int_equal (s_logged, 2 * count); //  the patch's two objects
    for (size_t i = 0; i < s_logged; i++)
        assert_non_null (strstr (s_log[i], "pat/acme/app1/0002/0001/"));
    for (size_t i = 0; i < count; i++)
        s_assert_origin (names[i]);
    assert_int_equal (s_zcard (), 0); //  same image: nothing retired
    //  A new image of the current build: the old one is retired
    params = edge_sprintf (reorder, "img-b");
    assert_int_equal (s_run (params, &cancel, &job), WK_JOB_DONE);
    wk_job_fini (&job);
    free (params);
    char *want = edge_sprintf (
        "[" S_BUILD1 ",{\"buildId\":2,\"buildName\":\"b2\",\"dxfName\":"
        "\"img-b\",\"sizeBytes\":5000,\"created\":\"%s\"}]",
        created);
    s_assert_app_json ("builds", want);
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "dxfName",
                            "img-b");
    s_assert_app_json ("patches", "[{\"fromBuildId\":1,\"toBuildId\":2,"
                                  "\"sizeBytes\":80}]");
    int64_t score;
    char *prefixes = s_gc_entry (&score);
    assert_string_equal (prefixes, "dxf/acme/app1/0002/img-a/\n");
    free (prefixes);
    free (want);
    free (created);
}


//  Hook that deletes the app at the first write.
static void
s_delete_app_hook (const char *deployment, const char *key, void *arg)
{
    (void) deployment;
    (void) key;
    int *calls = arg;
    if ((*calls)++ == 0)
        S_REDIS ("DEL e:{acme}:app:app1");
}


static void
test_an_app_deleted_while_publishing_fails_and_retires_the_files (void **state)
{
    (void) state;
    int calls = 0;
    wk_deploy_set_hook (s_delete_app_hook, &calls);
    atomic_int cancel = 0;
    wk_job_t job;
    int64_t before = edge_now_ms ();
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_FAILED);
    int64_t after = edge_now_ms ();
    wk_deploy_set_hook (s_hook, NULL);
    assert_non_null (strstr (job.message, "was deleted"));
    assert_null (job.error);
    wk_job_fini (&job);
    assert_true (calls > 0);
    redisReply *reply =
        edge_redis_command (s_t3.check, "EXISTS e:{acme}:app:app1");
    assert_int_equal (reply->integer, 0); //  not brought back
    freeReplyObject (reply);
    int64_t score;
    char *prefixes = s_gc_entry (&score);
    assert_string_equal (prefixes, "dxf/acme/app1/0002/img-a/\n"
                                   "pat/acme/app1/0002/0001/\n");
    assert_true (score >= before && score <= after); //  at once
    free (prefixes);
}


static void
test_a_cancelled_job_stops_and_records_nothing (void **state)
{
    (void) state;
    atomic_int cancel = 1;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_CANCELLED);
    assert_null (job.result);
    assert_null (job.error);
    wk_job_fini (&job);
    assert_int_equal (s_logged, 0);
    wk_tests3_assert_field (s_t3.check, "e:{acme}:deployment:fsA", "status",
                            "new");
    wk_tests3_assert_field (s_t3.check, "e:{acme}:app:app1", "locked", "0");
}


static void
test_without_setup_the_job_fails_clearly (void **state)
{
    (void) state;
    wk_deploy_cleanup ();
    atomic_int cancel = 0;
    wk_job_t job;
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "no depot settings"));
    wk_job_fini (&job);
    wk_deploy_setup (&(wk_deploy_opts_t){.store_url = "s3://bucket"});
    assert_int_equal (s_run (s_params_text, &cancel, &job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "file://"));
    wk_job_fini (&job);
    assert_int_equal (s_setup (NULL), 0); //  back for later tests
    assert_true (wk_job_handler ("deploy") == wk_deploy_run);
}


int
main (void)
{
    edge_log_init ("test");
    int rc = wk_tests3_start (&s_t3, "test_wk_deploy",
                              "npm is not installed: the s3 origin is left "
                              "out (fs origins only)");
    if (rc == 77)
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (
            test_deploy_publishes_every_key_to_every_origin_manifests_last,
            s_reset),
        cmocka_unit_test_setup (
            test_deploy_again_skips_what_is_there_and_overwrites_what_differs,
            s_reset),
        cmocka_unit_test_setup (
            test_failed_deployments_fail_the_task_and_lock_the_app_until_fixed,
            s_reset),
        cmocka_unit_test_setup (
            test_an_app_without_deployments_publishes_to_all_of_the_org,
            s_reset),
        cmocka_unit_test_setup (
            test_a_missing_deployment_is_a_failed_deployment, s_reset),
        cmocka_unit_test_setup (
            test_missing_image_or_bad_params_fail_without_locking, s_reset),
        cmocka_unit_test_setup (
            test_success_records_the_build_in_the_app_exactly, s_reset),
        cmocka_unit_test_setup (
            test_rotation_keeps_max_builds_and_schedules_what_stops_being_current,
            s_reset),
        cmocka_unit_test_setup (
            test_reorder_overwrites_patches_and_retires_the_old_image, s_reset),
        cmocka_unit_test_setup (
            test_an_app_deleted_while_publishing_fails_and_retires_the_files,
            s_reset),
        cmocka_unit_test_setup (test_a_cancelled_job_stops_and_records_nothing,
                                s_reset),
        cmocka_unit_test_setup (test_without_setup_the_job_fails_clearly,
                                s_reset),
    };
    if (rc == 0)
        rc = cmocka_run_group_tests (tests, s_setup, s_teardown);
    wk_tests3_stop (&s_t3);
    return rc;
}
