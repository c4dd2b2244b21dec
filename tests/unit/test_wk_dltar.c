/*  test_wk_dltar - the dltar handler against a real HTTP server (civetweb,
    started here), a real redis-server and an fs store in a temp dir.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_crypto.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_task.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "wk_config.h"
#include "wk_dltar.h"
#include "wk_env.h"
#include "wk_task.h"
#include "wk_metrics.h"
#include <civetweb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SIZE  (3 * 1024 * 1024 + 123)
#define S_CHUNK (64 * 1024)
#define S_ETAG  "\"v1\""

static unsigned char *s_data; //  the served file
static atomic_llong s_served; //  body bytes the server wrote
static atomic_int s_requests; //  requests the server received
static atomic_int s_epoch;    //  s_served counts answers begun in this one
static atomic_llong s_cut;    //  next file answer stops after this
static atomic_int s_stop;     //  slow answers end
static struct mg_context *s_ctx;
static int s_port;
static edge_testutil_redis_t s_redis;
static edge_redis_t *s_conn;  //  the handler's connection
static edge_redis_t *s_check; //  the test's own connection
static char s_dir[] = "/tmp/test_wk_dltar_XXXXXX";
static char *s_store_url, *s_data_dir;
static wk_env_t s_jobs_env; //  the jobs' environment (s_setup_dltar)


//  --- the HTTP server -------------------------------------------------------

//  Write the body bytes [from, to) of the file, slowly if asked.
static void
s_body (struct mg_connection *conn, long long from, long long to, bool is_slow)
{
    int epoch = atomic_load (&s_epoch);
    long long cut = atomic_exchange (&s_cut, 0);
    if (cut > 0 && from + cut < to)
        to = from + cut;
    while (from < to && !atomic_load (&s_stop)) {
        long long n = to - from < S_CHUNK ? to - from : S_CHUNK;
        if (is_slow)
            n = 4096;
        if (mg_write (conn, s_data + from, (size_t) n) <= 0)
            return;
        if (atomic_load (&s_epoch) == epoch)
            atomic_fetch_add (&s_served, n);
        from += n;
        if (is_slow)
            edge_sleep_ms (20, NULL);
    }
}


//  GET of the file: query "ranges=0" (no Accept-Ranges, no ETag, Range
//  ignored), "ignore=1" (advertised but every answer 200), "slow=1".
static int
s_file (struct mg_connection *conn, const char *query)
{
    bool has_ranges = !query || !strstr (query, "ranges=0");
    bool is_ignoring = query && strstr (query, "ignore=1");
    bool is_slow = query && strstr (query, "slow=1");
    const char *range = mg_get_header (conn, "Range");
    const char *if_range = mg_get_header (conn, "If-Range");
    long long start = 0, size = S_SIZE;
    bool is_partial = has_ranges && !is_ignoring && range
                      && sscanf (range, "bytes=%lld-", &start) == 1
                      && (!if_range || strcmp (if_range, S_ETAG) == 0);
    if (is_partial && start >= size) {
        mg_printf (conn, "HTTP/1.1 416 Range Not Satisfiable\r\n"
                         "Content-Length: 0\r\n\r\n");
        return 416;
    }
    if (!is_partial)
        start = 0;
    mg_printf (conn, "HTTP/1.1 %s\r\n%sContent-Length: %lld\r\n",
               is_partial ? "206 Partial Content" : "200 OK",
               has_ranges ? "Accept-Ranges: bytes\r\nETag: " S_ETAG "\r\n" : "",
               size - start);
    if (is_partial)
        mg_printf (conn, "Content-Range: bytes %lld-%lld/%lld\r\n", start,
                   size - 1, size);
    mg_printf (conn, "\r\n");
    s_body (conn, start, size, is_slow);
    return is_partial ? 206 : 200;
}


//  Count served bytes from zero, leaving out what an earlier test's slow
//  answer may still write.
static void
s_reset_served (void)
{
    atomic_fetch_add (&s_epoch, 1);
    atomic_store (&s_served, 0);
}


static int
s_redirect (struct mg_connection *conn, const char *location)
{
    mg_printf (conn,
               "HTTP/1.1 302 Found\r\nLocation: %s\r\n"
               "Content-Length: 5\r\n\r\nmoved",
               location);
    return 302;
}


static int
s_handler (struct mg_connection *conn, void *arg)
{
    (void) arg;
    const struct mg_request_info *ri = mg_get_request_info (conn);
    const char *uri = ri->local_uri;
    char location[128];
    int hops;
    atomic_fetch_add (&s_requests, 1);
    if (strcmp (uri, "/file") == 0)
        return s_file (conn, ri->query_string);
    if (sscanf (uri, "/r/%d", &hops) == 1 && hops > 0) {
        snprintf (location, sizeof location, "/r/%d", hops - 1);
        return s_redirect (conn, location);
    }
    if (strcmp (uri, "/r/0") == 0)
        return s_file (conn, NULL);
    if (strcmp (uri, "/to10") == 0) {
        snprintf (location, sizeof location, "http://10.0.0.1:%d/file", s_port);
        return s_redirect (conn, location);
    }
    mg_printf (conn, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"
                     "not found");
    return 404;
}


//  --- fixtures --------------------------------------------------------------

//  The jobs' environment with allow as the URL guard's list; on -1 (a
//  bad list) the previous one stays.
static int
s_setup_dltar (const char *allow)
{
    wk_env_t env;
    edge_depot_cfg_t depot = {.url = s_store_url};
    if (wk_env_init (&env, &depot, s_data_dir, allow) != 0) {
        wk_env_fini (&env);
        return -1;
    }
    env.progress_ms = 100;
    wk_env_fini (&s_jobs_env);
    s_jobs_env = env;
    return 0;
}


static int
s_group_setup (void **state)
{
    (void) state;
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_redis, &s_conn, 2000);
    if (rc == 77)
        exit (77);
    if (rc != 0 || !mkdtemp (s_dir))
        return -1;
    s_store_url = edge_sprintf ("file://%s/store", s_dir);
    s_data_dir = edge_sprintf ("%s/data", s_dir);
    s_data = malloc (S_SIZE);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < S_SIZE; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        s_data[i] = (unsigned char) x;
    }
    s_port = edge_testutil_free_port ();
    char listen[32];
    snprintf (listen, sizeof listen, "127.0.0.1:%d", s_port);
    const char *options[] = {"listening_ports", listen, "num_threads", "8",
                             NULL};
    s_ctx = mg_start (NULL, NULL, options);
    if (!s_ctx)
        return -1;
    mg_set_request_handler (s_ctx, "/", s_handler, NULL);
    s_check = edge_redis_new (s_redis.url, 2000);
    return s_conn && s_check ? s_setup_dltar ("127.0.0.0/8") : -1;
}


static int
s_group_teardown (void **state)
{
    (void) state;
    atomic_store (&s_stop, 1);
    wk_env_fini (&s_jobs_env);
    if (s_ctx)
        mg_stop (s_ctx);
    edge_redis_destroy (&s_check);
    edge_testutil_redis_close (&s_redis, &s_conn);
    char *cmd = edge_sprintf ("rm -rf '%s'", s_dir);
    assert_int_equal (system (cmd), 0);
    free (cmd);
    free (s_store_url);
    free (s_data_dir);
    free (s_data);
    return 0;
}


//  A running dltar task of org "acme" for params (JSON text); fills job.
static void
s_task (const char *params, wk_job_t *job, edge_task_claim_t *claim)
{
    edge_task_spec_t spec = {.type = "dltar", .org = "acme", .params = params};
    char name[EDGE_TASK_NAME_MAX];
    assert_int_equal (edge_task_create (s_check, &spec, name), 0);
    assert_int_equal (edge_task_claim (s_check, name, "w-1", 60000, claim),
                      EDGE_ERR_OK);
    memset (job, 0, sizeof *job);
    job->worker = "w-1";
    job->name = claim->name;
    job->type = "dltar";
    job->org = "acme";
    job->params = json_loads (claim->params, 0, NULL);
    assert_non_null (job->params);
    job->attempt = claim->attempt;
    job->redis = s_conn;
    job->env = &s_jobs_env;
}


static void
s_task_fini (wk_job_t *job, edge_task_claim_t *claim)
{
    json_decref ((json_t *) job->params);
    wk_job_fini (job);
    edge_task_claim_fini (claim);
}


//  params for url path (on the test server) and an optional size.
static char *
s_params (const char *build, const char *path, long long size)
{
    if (size < 0)
        return edge_sprintf ("{\"appName\":\"app1\",\"buildName\":\"%s\","
                             "\"url\":\"http://127.0.0.1:%d%s\"}",
                             build, s_port, path);
    return edge_sprintf ("{\"appName\":\"app1\",\"buildName\":\"%s\","
                         "\"url\":\"http://127.0.0.1:%d%s\",\"size\":%lld}",
                         build, s_port, path, size);
}


//  Run a dltar job for path; the caller finishes job and claim.
static wk_job_rc_t
s_run (const char *build,
       const char *path,
       long long size,
       atomic_int *cancel,
       wk_job_t *job,
       edge_task_claim_t *claim)
{
    char *params = s_params (build, path, size);
    s_task (params, job, claim);
    free (params);
    job->cancel = cancel;
    return wk_task_run (job);
}


//  The stored object of build equals the served bytes (SHA-256).
static void
s_assert_stored (const char *build)
{
    char *key = edge_sprintf ("builds/acme/app1/%s.tar", build);
    char *path = edge_sprintf ("%s/copy", s_dir);
    edge_store_t *store = edge_store_new_from_url (s_store_url, NULL);
    assert_non_null (store);
    assert_int_equal (edge_store_get_file (store, key, path), 0);
    edge_store_destroy (&store);
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    unsigned char *copy = malloc (S_SIZE + 1);
    assert_int_equal (fread (copy, 1, S_SIZE + 1, file), S_SIZE);
    fclose (file);
    char want[65], got[65];
    edge_sha256_hex (s_data, S_SIZE, want);
    edge_sha256_hex (copy, S_SIZE, got);
    assert_string_equal (got, want);
    free (copy);
    unlink (path);
    free (path);
    free (key);
}


//  The httpDownloadFailed object of a failed job. Caller owns.
static json_t *
s_exception (const wk_job_t *job)
{
    assert_non_null (job->exception);
    json_t *exception = json_loads (job->exception, 0, NULL);
    assert_non_null (exception);
    json_t *fields = json_object_get (exception, "httpDownloadFailed");
    assert_true (json_is_object (fields));
    json_incref (fields);
    json_decref (exception);
    return fields;
}


static long long
s_int (const json_t *object, const char *field)
{
    json_t *value = json_object_get (object, field);
    assert_true (json_is_integer (value));
    return json_integer_value (value);
}


static bool
s_exists (const wk_job_t *job, const char *suffix)
{
    char *path = edge_sprintf ("%s/dltar/%s%s", s_data_dir, job->name, suffix);
    struct stat st;
    bool is_there = stat (path, &st) == 0;
    free (path);
    return is_there;
}


//  --- tests -----------------------------------------------------------------

static void
test_download_is_stored_byte_for_byte_with_progress (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    s_reset_served ();
    edge_metrics_t *metrics = edge_metrics_new ();
    wk_metrics_setup (metrics);
    assert_int_equal (s_run ("b1", "/file", S_SIZE, &cancel, &job, &claim),
                      WK_JOB_DONE);
    assert_int_equal (atomic_load (&s_served), S_SIZE);
    //  Every byte received counts as downloaded
    char *text = edge_metrics_render (metrics);
    char line[80];
    snprintf (line, sizeof line, "\nedge_worker_bytes_downloaded_total %d\n",
              S_SIZE);
    assert_non_null (strstr (text, line));
    free (text);
    wk_metrics_cleanup ();
    edge_metrics_destroy (&metrics);
    s_assert_stored ("b1");
    json_t *result = json_loads (job.result, 0, NULL);
    assert_string_equal (json_string_value (json_object_get (result, "key")),
                         "builds/acme/app1/b1.tar");
    assert_int_equal (s_int (result, "sizeBytes"), S_SIZE);
    assert_int_equal (s_int (result, "httpStatus"), 200);
    json_decref (result);
    assert_string_equal (job.next_type, "mkraw");
    assert_string_equal (job.next_params,
                         "{\"appName\":\"app1\",\"buildName\":\"b1\","
                         "\"tarKey\":\"builds/acme/app1/b1.tar\",\"mode\":"
                         "\"build\"}");
    assert_null (job.next_dxf);
    bool is_error;
    json_t *record = edge_task_get (s_check, job.name, &is_error);
    json_t *progress = json_object_get (record, "progress");
    assert_int_equal (s_int (progress, "doneBytes"), S_SIZE);
    assert_int_equal (s_int (progress, "totalBytes"), S_SIZE);
    json_decref (record);
    assert_false (s_exists (&job, ".part"));
    assert_false (s_exists (&job, ".meta"));
    s_task_fini (&job, &claim);
}


static void
test_redirect_chain_of_two_hops_is_followed (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    assert_int_equal (s_run ("b2", "/r/2", -1, &cancel, &job, &claim),
                      WK_JOB_DONE);
    s_assert_stored ("b2");
    s_task_fini (&job, &claim);
}


static void
test_redirect_chain_of_six_hops_fails (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    assert_int_equal (s_run ("b3", "/r/6", -1, &cancel, &job, &claim),
                      WK_JOB_FAILED);
    json_t *fields = s_exception (&job);
    assert_int_equal (s_int (fields, "httpStatus"), 302);
    assert_int_equal (s_int (fields, "exitCode"), 47);
    assert_int_equal (s_int (fields, "sizeBytes"), 0);
    json_decref (fields);
    s_task_fini (&job, &claim);
}


static void
test_not_found_fails_with_the_documented_fields (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    assert_int_equal (s_run ("b4", "/missing", -1, &cancel, &job, &claim),
                      WK_JOB_FAILED);
    json_t *fields = s_exception (&job);
    char *url = edge_sprintf ("http://127.0.0.1:%d/missing", s_port);
    assert_string_equal (json_string_value (json_object_get (fields, "url")),
                         url);
    free (url);
    assert_int_equal (json_object_size (fields), 4);
    assert_int_equal (s_int (fields, "httpStatus"), 404);
    assert_int_equal (s_int (fields, "exitCode"), 22);
    assert_int_equal (s_int (fields, "sizeBytes"), 0);
    json_decref (fields);
    assert_non_null (strstr (job.message, "404"));
    assert_null (job.next_type); //  no next step after a failure
    assert_false (s_exists (&job, ".part"));
    s_task_fini (&job, &claim);
}


static void
test_connection_refused_fails_with_status_zero (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    char *params = edge_sprintf ("{\"appName\":\"app1\",\"buildName\":\"b5\","
                                 "\"url\":\"http://127.0.0.1:%d/file\"}",
                                 edge_testutil_free_port ());
    s_task (params, &job, &claim);
    free (params);
    job.cancel = &cancel;
    assert_int_equal (wk_task_run (&job), WK_JOB_FAILED);
    json_t *fields = s_exception (&job);
    assert_int_equal (s_int (fields, "httpStatus"), 0);
    assert_int_equal (s_int (fields, "exitCode"), 7);
    json_decref (fields);
    s_task_fini (&job, &claim);
}


static void
test_size_mismatch_fails_with_actual_and_expected (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    assert_int_equal (s_run ("b6", "/file", S_SIZE + 1, &cancel, &job, &claim),
                      WK_JOB_FAILED);
    json_t *fields = s_exception (&job);
    assert_int_equal (s_int (fields, "httpStatus"), 200);
    assert_int_equal (s_int (fields, "exitCode"), 0);
    assert_int_equal (s_int (fields, "sizeBytes"), S_SIZE);
    assert_int_equal (s_int (fields, "sizeBytesActual"), S_SIZE);
    assert_int_equal (s_int (fields, "sizeBytesExpected"), S_SIZE + 1);
    json_decref (fields);
    assert_non_null (strstr (job.message, "sizeBytesActual 3145851"));
    assert_non_null (strstr (job.message, "sizeBytesExpected 3145852"));
    assert_false (s_exists (&job, ".part"));
    s_task_fini (&job, &claim);
}


//  First attempt cut after cut bytes, then a second attempt of the same
//  task; returns the bytes served to the second one.
static long long
s_interrupted_then_resumed (const char *build, const char *path)
{
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    atomic_store (&s_cut, 1000000);
    assert_int_equal (s_run (build, path, -1, &cancel, &job, &claim),
                      WK_JOB_FAILED);
    json_t *fields = s_exception (&job);
    assert_int_equal (s_int (fields, "exitCode"), 18); //  partial file
    assert_int_equal (s_int (fields, "sizeBytes"), 1000000);
    json_decref (fields);
    assert_true (s_exists (&job, ".part"));
    assert_true (s_exists (&job, ".meta"));
    wk_job_fini (&job);
    s_reset_served ();
    assert_int_equal (wk_task_run (&job), WK_JOB_DONE); //  same task
    s_assert_stored (build);
    s_task_fini (&job, &claim);
    return atomic_load (&s_served);
}


static void
test_resume_after_an_interrupted_attempt_fetches_only_the_rest (void **state)
{
    (void) state;
    assert_int_equal (s_interrupted_then_resumed ("b7", "/file"),
                      S_SIZE - 1000000);
}


static void
test_resume_without_range_support_starts_over (void **state)
{
    (void) state;
    assert_int_equal (s_interrupted_then_resumed ("b8", "/file?ranges=0"),
                      S_SIZE);
}


static void
test_range_answered_with_200_starts_over (void **state)
{
    (void) state;
    assert_int_equal (s_interrupted_then_resumed ("b9", "/file?ignore=1"),
                      S_SIZE);
}


static void
test_loopback_is_refused_unless_allowed (void **state)
{
    (void) state;
    assert_int_equal (s_setup_dltar (""), 0);
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    s_reset_served ();
    wk_job_rc_t rc = s_run ("b10", "/file", -1, &cancel, &job, &claim);
    assert_int_equal (s_setup_dltar ("127.0.0.0/8"), 0);
    assert_int_equal (rc, WK_JOB_FAILED);
    assert_int_equal (atomic_load (&s_served), 0);
    json_t *fields = s_exception (&job);
    assert_int_equal (s_int (fields, "httpStatus"), 0);
    assert_int_equal (s_int (fields, "exitCode"), 7);
    json_decref (fields);
    assert_non_null (strstr (job.message, "URL guard"));
    s_task_fini (&job, &claim);
}


static void
test_redirect_to_a_private_address_is_refused_before_connecting (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    int64_t start = edge_mono_ms ();
    assert_int_equal (s_run ("b11", "/to10", -1, &cancel, &job, &claim),
                      WK_JOB_FAILED);
    assert_true (edge_mono_ms () - start < 1000); //  no connect attempt
    json_t *fields = s_exception (&job);
    assert_int_equal (s_int (fields, "httpStatus"), 0);
    assert_int_equal (s_int (fields, "exitCode"), 7);
    json_decref (fields);
    assert_non_null (strstr (job.message, "after a redirect"));
    assert_non_null (strstr (job.message, "10.0.0.1"));
    s_task_fini (&job, &claim);
}


static void
test_other_schemes_are_refused (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    s_task ("{\"appName\":\"app1\",\"buildName\":\"b12\","
            "\"url\":\"ftp://127.0.0.1/x.tar\"}",
            &job, &claim);
    job.cancel = &cancel;
    assert_int_equal (wk_task_run (&job), WK_JOB_FAILED);
    json_t *fields = s_exception (&job);
    assert_int_equal (s_int (fields, "exitCode"), 1);
    json_decref (fields);
    s_task_fini (&job, &claim);
}


typedef struct {
    wk_job_t *job;
    atomic_int is_done;
    wk_job_rc_t rc;
} s_runner_t;

static void *
s_runner (void *arg)
{
    s_runner_t *runner = (s_runner_t *) arg;
    runner->rc = wk_task_run (runner->job);
    atomic_store (&runner->is_done, 1);
    return NULL;
}

static bool
s_has_progress (void *arg)
{
    bool is_error;
    json_t *record = edge_task_get (s_check, (const char *) arg, &is_error);
    json_t *done =
        json_object_get (json_object_get (record, "progress"), "doneBytes");
    bool has = json_integer_value (done) > 0;
    json_decref (record);
    return has;
}

static bool
s_is_done (void *arg)
{
    return atomic_load (&((s_runner_t *) arg)->is_done) != 0;
}

static void
test_cancel_stops_a_slow_download_promptly (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    char *params = s_params ("b13", "/file?slow=1", -1);
    s_task (params, &job, &claim);
    free (params);
    job.cancel = &cancel;
    s_runner_t runner = {.job = &job};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_runner, &runner), 0);
    assert_true (edge_testutil_poll (s_has_progress, (void *) job.name, 5000));
    int64_t start = edge_mono_ms ();
    atomic_store (&cancel, 1);
    assert_true (edge_testutil_poll (s_is_done, &runner, 1000));
    assert_true (edge_mono_ms () - start < 500);
    pthread_join (thread, NULL);
    assert_int_equal (runner.rc, WK_JOB_CANCELLED);
    assert_null (job.message);
    assert_true (s_exists (&job, ".part")); //  kept for the next attempt
    s_task_fini (&job, &claim);
}


static void
test_bad_params_fail_with_a_message (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    s_task ("{\"appName\":\"app1\",\"buildName\":\"b14\"}", &job, &claim);
    job.cancel = &cancel;
    assert_int_equal (wk_task_run (&job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "\"url\""));
    assert_null (job.exception);
    s_task_fini (&job, &claim);
    s_task ("{\"appName\":\"app1\",\"buildName\":\"b14\",\"url\":\"x\","
            "\"size\":-1}",
            &job, &claim);
    job.cancel = &cancel;
    assert_int_equal (wk_task_run (&job), WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "\"size\""));
    s_task_fini (&job, &claim);
    const char *bad[] = {
        "{\"appName\":\"app1\",\"buildName\":\"b14\",\"url\":\"x\","
        "\"upload\":true}",
        "{\"appName\":\"app1\",\"buildName\":\"b14\",\"upload\":1}",
        "{\"appName\":\"app1\",\"buildName\":\"b14\",\"upload\":false}",
        "{\"appName\":\"app1\",\"buildName\":\"b14\",\"upload\":true,"
        "\"tarKey\":\"builds/acme/app2/x.tar\"}",
        "{\"appName\":\"app1\",\"buildName\":\"b14\",\"upload\":true,"
        "\"tarKey\":\"builds/acme/app1/../../other/x.tar\"}",
        "{\"appName\":\"app1\",\"buildName\":\"b14\",\"upload\":true,"
        "\"tarKey\":7}",
        "{\"appName\":\"app1\",\"buildName\":\"a/b\",\"upload\":true}",
        "{\"appName\":\"app1\",\"buildName\":\"\",\"upload\":true}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_task (bad[i], &job, &claim);
        job.cancel = &cancel;
        assert_int_equal (wk_task_run (&job), WK_JOB_FAILED);
        assert_non_null (job.message);
        assert_null (job.exception);
        assert_null (job.next_type);
        s_task_fini (&job, &claim);
    }
}


//  Put size bytes of the served data into the store at key.
static void
s_store_put (const char *key, size_t size)
{
    edge_store_t *store = edge_store_new_from_url (s_store_url, NULL);
    assert_non_null (store);
    assert_int_equal (edge_store_put_mem (store, key, s_data, size), 0);
    edge_store_destroy (&store);
}


static bool
s_store_has (const char *key)
{
    edge_store_t *store = edge_store_new_from_url (s_store_url, NULL);
    assert_non_null (store);
    bool exists = false;
    assert_int_equal (edge_store_head (store, key, &exists, NULL), 0);
    edge_store_destroy (&store);
    return exists;
}


//  Run an upload-mode job for tarKey key with size (-1: none).
static wk_job_rc_t
s_run_upload (const char *key,
              long long size,
              wk_job_t *job,
              edge_task_claim_t *claim)
{
    char *params =
        size < 0 ? edge_sprintf ("{\"appName\":\"app1\",\"buildName\":"
                                 "\"u1\",\"tarKey\":\"%s\",\"upload\":true}",
                                 key)
                 : edge_sprintf ("{\"appName\":\"app1\",\"buildName\":"
                                 "\"u1\",\"tarKey\":\"%s\",\"upload\":true,"
                                 "\"size\":%lld}",
                                 key, size);
    s_task (params, job, claim);
    free (params);
    static atomic_int cancel;
    job->cancel = &cancel;
    return wk_task_run (job);
}


static void
test_upload_mode_checks_the_stored_tar_and_asks_for_mkraw (void **state)
{
    (void) state;
    const char *key = "builds/acme/app1/grp_u1.tar";
    s_store_put (key, 5000);
    wk_job_t job;
    edge_task_claim_t claim;
    assert_int_equal (s_run_upload (key, 5000, &job, &claim), WK_JOB_DONE);
    assert_string_equal (job.result, "{\"key\":\"builds/acme/app1/grp_u1.tar\","
                                     "\"sizeBytes\":5000,\"upload\":true}");
    assert_string_equal (job.next_type, "mkraw");
    assert_string_equal (job.next_params,
                         "{\"appName\":\"app1\",\"buildName\":\"u1\","
                         "\"tarKey\":\"builds/acme/app1/grp_u1.tar\","
                         "\"mode\":\"build\"}");
    assert_null (job.next_dxf);
    bool is_error;
    json_t *record = edge_task_get (s_check, job.name, &is_error);
    json_t *progress = json_object_get (record, "progress");
    assert_int_equal (s_int (progress, "doneBytes"), 5000);
    json_decref (record);
    s_task_fini (&job, &claim);
    //  Without a size, any size is accepted
    assert_int_equal (s_run_upload (key, -1, &job, &claim), WK_JOB_DONE);
    assert_true (s_store_has (key));
    s_task_fini (&job, &claim);
    //  Without a tarKey: builds/<org>/<app>/<buildName>.tar, any documented
    //  build name shape
    s_store_put ("builds/acme/app1/v1.0.3.tar", 10);
    s_task ("{\"appName\":\"app1\",\"buildName\":\"v1.0.3\",\"upload\":true}",
            &job, &claim);
    static atomic_int cancel;
    job.cancel = &cancel;
    assert_int_equal (wk_task_run (&job), WK_JOB_DONE);
    assert_non_null (strstr (job.next_params, "builds/acme/app1/v1.0.3.tar"));
    s_task_fini (&job, &claim);
}


static void
test_upload_mode_without_the_tar_fails_clearly (void **state)
{
    (void) state;
    wk_job_t job;
    edge_task_claim_t claim;
    assert_int_equal (
        s_run_upload ("builds/acme/app1/grp_none.tar", 10, &job, &claim),
        WK_JOB_FAILED);
    assert_non_null (strstr (job.message, "not in the depot"));
    assert_non_null (strstr (job.message, "builds/acme/app1/grp_none.tar"));
    assert_null (job.exception);
    assert_null (job.result);
    assert_null (job.next_type);
    s_task_fini (&job, &claim);
}


static void
test_upload_mode_size_mismatch_fails_like_a_download (void **state)
{
    (void) state;
    const char *key = "builds/acme/app1/grp_u2.tar";
    s_store_put (key, 4000);
    wk_job_t job;
    edge_task_claim_t claim;
    assert_int_equal (s_run_upload (key, 4001, &job, &claim), WK_JOB_FAILED);
    json_t *fields = s_exception (&job);
    assert_string_equal (json_string_value (json_object_get (fields, "url")),
                         "");
    assert_int_equal (s_int (fields, "httpStatus"), 0);
    assert_int_equal (s_int (fields, "exitCode"), 0);
    assert_int_equal (s_int (fields, "sizeBytes"), 4000);
    assert_int_equal (s_int (fields, "sizeBytesActual"), 4000);
    assert_int_equal (s_int (fields, "sizeBytesExpected"), 4001);
    assert_int_equal (json_object_size (fields), 6);
    json_decref (fields);
    assert_non_null (strstr (job.message, "sizeBytesActual 4000"));
    assert_null (job.next_type);
    assert_false (s_store_has (key)); //  the import failed for good
    s_task_fini (&job, &claim);
}


static void
test_a_download_is_stored_at_its_tar_key (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    char *params = edge_sprintf (
        "{\"appName\":\"app1\",\"buildName\":\"b20\",\"tarKey\":"
        "\"builds/acme/app1/grp_20.tar\",\"url\":\"http://127.0.0.1:%d/file\"}",
        s_port);
    s_task (params, &job, &claim);
    free (params);
    job.cancel = &cancel;
    assert_int_equal (wk_task_run (&job), WK_JOB_DONE);
    assert_true (s_store_has ("builds/acme/app1/grp_20.tar"));
    assert_false (s_store_has ("builds/acme/app1/b20.tar"));
    assert_non_null (
        strstr (job.next_params, "\"tarKey\":\"builds/acme/app1/grp_20.tar\""));
    s_task_fini (&job, &claim);
}


//  A worker that died after storing the tar, before recording success:
//  the retry finds the tar and neither downloads again nor needs the URL
//  (here one that no longer works, as an expired presigned URL).
static void
test_a_tar_already_stored_is_not_downloaded_again (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    s_store_put ("builds/acme/app1/b30.tar", S_SIZE);
    char *params = s_params ("b30", "/missing", S_SIZE);
    s_task (params, &job, &claim);
    free (params);
    job.cancel = &cancel;
    char *dir = edge_sprintf ("%s/dltar", s_data_dir);
    mkdir (s_data_dir, 0700);
    mkdir (dir, 0700);
    free (dir);
    char *meta = edge_sprintf ("%s/dltar/%s.meta", s_data_dir, job.name);
    FILE *file = fopen (meta, "w"); //  left by the attempt that died
    assert_non_null (file);
    fclose (file);
    free (meta);
    //  (requests, not bytes: an earlier test's slow answer may still be
    //  writing its last piece)
    atomic_store (&s_requests, 0);
    s_reset_served ();
    assert_int_equal (wk_task_run (&job), WK_JOB_DONE);
    assert_int_equal (atomic_load (&s_requests), 0);
    char *want = edge_sprintf ("{\"key\":\"builds/acme/app1/b30.tar\","
                               "\"sizeBytes\":%d,\"url\":\"http://"
                               "127.0.0.1:%d/missing\",\"httpStatus\":200}",
                               S_SIZE, s_port);
    assert_string_equal (job.result, want);
    free (want);
    assert_string_equal (job.next_type, "mkraw");
    assert_string_equal (job.next_params,
                         "{\"appName\":\"app1\",\"buildName\":\"b30\","
                         "\"tarKey\":\"builds/acme/app1/b30.tar\",\"mode\":"
                         "\"build\"}");
    assert_null (job.exception);
    assert_false (s_exists (&job, ".meta"));
    bool is_error;
    json_t *record = edge_task_get (s_check, job.name, &is_error);
    json_t *progress = json_object_get (record, "progress");
    assert_int_equal (s_int (progress, "doneBytes"), S_SIZE);
    json_decref (record);
    s_task_fini (&job, &claim);
    //  Without a size, any stored size is accepted
    assert_int_equal (s_run ("b30", "/file", -1, &cancel, &job, &claim),
                      WK_JOB_DONE);
    assert_int_equal (atomic_load (&s_requests), 0);
    s_task_fini (&job, &claim);
}


static void
test_a_stored_tar_of_the_wrong_size_is_downloaded_again (void **state)
{
    (void) state;
    atomic_int cancel = 0;
    wk_job_t job;
    edge_task_claim_t claim;
    s_store_put ("builds/acme/app1/b31.tar", 1000);
    s_reset_served ();
    assert_int_equal (s_run ("b31", "/file", S_SIZE, &cancel, &job, &claim),
                      WK_JOB_DONE);
    assert_int_equal (atomic_load (&s_served), S_SIZE);
    s_assert_stored ("b31");
    json_t *result = json_loads (job.result, 0, NULL);
    assert_int_equal (s_int (result, "sizeBytes"), S_SIZE);
    json_decref (result);
    s_task_fini (&job, &claim);
}


static const char **s_env;

static const char *
s_getenv (const char *name)
{
    for (size_t i = 0; s_env[i]; i += 2)
        if (strcmp (s_env[i], name) == 0)
            return s_env[i + 1];
    return NULL;
}

static void
test_worker_config_checks_store_data_dir_and_allow_list (void **state)
{
    (void) state;
    const char *good[] = {"EDGE_STORE", "file:///srv/depot", "EDGE_URL_ALLOW",
                          "127.0.0.0/8", NULL};
    s_env = good;
    wk_config_t config;
    assert_int_equal (wk_config_load (&config, s_getenv), 0);
    assert_string_equal (config.depot.url, "file:///srv/depot");
    assert_string_equal (config.data_dir, "/var/tmp/rockit-edge/data");
    assert_string_equal (config.url_allow, "127.0.0.0/8");
    wk_config_fini (&config);
    const char *s3[] = {"EDGE_STORE", "s3://depot-bucket/edge",
                        "EDGE_STORE_S3_ENDPOINT", "127.0.0.1:9000",
                        "EDGE_STORE_S3_ACCESS_KEY_ID", "AKIA1",
                        "EDGE_STORE_S3_SECRET_ACCESS_KEY", "s3cr3t", NULL};
    s_env = s3;
    assert_int_equal (wk_config_load (&config, s_getenv), 0);
    assert_true (edge_depot_is_s3 (&config.depot));
    assert_null (edge_depot_fs_root (&config.depot));
    assert_string_equal (config.depot.s3_endpoint, "127.0.0.1:9000");
    assert_string_equal (config.depot.s3_region, "us-east-1");
    assert_string_equal (config.depot.s3_secret, "s3cr3t");
    wk_config_fini (&config);
    const char *bad[][2] = {{"EDGE_STORE", "ftp://x"},
                            {"EDGE_STORE", "file://relative"},
                            {"EDGE_STORE", "s3://Bad_Bucket/p"},
                            {"EDGE_STORE", "s3://bucket/a/../b"},
                            {"EDGE_DATA_DIR", "relative"},
                            {"EDGE_URL_ALLOW", "10.0.0.0/99"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *env[] = {bad[i][0], bad[i][1], NULL};
        s_env = env;
        assert_int_equal (wk_config_load (&config, s_getenv), -1);
        wk_config_fini (&config);
    }
}


static void
test_dltar_is_registered_and_a_bad_allow_list_is_refused (void **state)
{
    (void) state;
    assert_ptr_equal (wk_task_find ("dltar"), &wk_dltar_task);
    assert_int_equal (s_setup_dltar ("not-a-cidr"), -1);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_download_is_stored_byte_for_byte_with_progress),
        cmocka_unit_test (test_redirect_chain_of_two_hops_is_followed),
        cmocka_unit_test (test_redirect_chain_of_six_hops_fails),
        cmocka_unit_test (test_not_found_fails_with_the_documented_fields),
        cmocka_unit_test (test_connection_refused_fails_with_status_zero),
        cmocka_unit_test (test_size_mismatch_fails_with_actual_and_expected),
        cmocka_unit_test (
            test_resume_after_an_interrupted_attempt_fetches_only_the_rest),
        cmocka_unit_test (test_resume_without_range_support_starts_over),
        cmocka_unit_test (test_range_answered_with_200_starts_over),
        cmocka_unit_test (test_loopback_is_refused_unless_allowed),
        cmocka_unit_test (
            test_redirect_to_a_private_address_is_refused_before_connecting),
        cmocka_unit_test (test_other_schemes_are_refused),
        cmocka_unit_test (test_cancel_stops_a_slow_download_promptly),
        cmocka_unit_test (test_bad_params_fail_with_a_message),
        cmocka_unit_test (
            test_upload_mode_checks_the_stored_tar_and_asks_for_mkraw),
        cmocka_unit_test (test_upload_mode_without_the_tar_fails_clearly),
        cmocka_unit_test (test_upload_mode_size_mismatch_fails_like_a_download),
        cmocka_unit_test (test_a_download_is_stored_at_its_tar_key),
        cmocka_unit_test (test_a_tar_already_stored_is_not_downloaded_again),
        cmocka_unit_test (
            test_a_stored_tar_of_the_wrong_size_is_downloaded_again),
        cmocka_unit_test (
            test_worker_config_checks_store_data_dir_and_allow_list),
        cmocka_unit_test (
            test_dltar_is_registered_and_a_bad_allow_list_is_refused),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
