/*  test_gw_builds - build imports (POST /be/v1/builds), upload PUTs
    (PUT /upload/v1/{token}) and commits (POST /be/v1/commit) through a
    real gateway (civetweb, HTTP over loopback) against a real
    redis-server; the broker is a ROUTER bound by the test, the depot a
    scratch directory.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_crypto.h"
#include "edge_log.h"
#include "edge_redis.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "gw_ident.h"
#include "gw_server.h"
#include "gw_testhttp.h"
#include "gw_upload.h"
#include "proto_job.h"
#include <czmq.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX_BYTES (8 << 20)
#define S_PASSWORD  "boss-password-0123"
#define S_SECRET    "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM0NTY3"

static edge_testutil_redis_t s_redis_server;
static edge_redis_t *s_redis;
static gw_config_t s_config;
static gw_server_t *s_server;
static zsock_t *s_broker;
static char s_depot[64] = "/tmp/test_gw_builds_XXXXXX";
static char s_store_url[128], s_listen[64], s_broker_ep[64];
static char s_pwhash[GW_IDENT_PWHASH_MAX];
static char s_boss[GW_IDENT_TOKEN_MAX]; //  auth token of boss@acme


//  A call on the main server (see gw_testhttp_call).
static json_t *
s_call (const char *auth,
        const char *method,
        const char *path,
        const char *body,
        long *status)
{
    return gw_testhttp_call (gw_server_port (s_server), auth, method, path,
                             body, status, NULL);
}


//  ---------------------------------------------------------------------
//  Redis and depot inspection


static char *
s_hget (const char *key, const char *field)
{
    redisReply *reply = edge_redis_command (s_redis, "HGET %s %s", key, field);
    assert_non_null (reply);
    char *value =
        reply->type == REDIS_REPLY_STRING ? strdup (reply->str) : NULL;
    freeReplyObject (reply);
    return value;
}


static bool
s_exists (const char *key)
{
    redisReply *reply = edge_redis_command (s_redis, "EXISTS %s", key);
    assert_non_null (reply);
    bool exists = reply->integer == 1;
    freeReplyObject (reply);
    return exists;
}


static void
s_assert_hash (const char *key, const char *field, const char *expected)
{
    char *value = s_hget (key, field);
    if (!expected)
        assert_null (value);
    else {
        assert_non_null (value);
        assert_string_equal (value, expected);
    }
    free (value);
}


static void
s_task_state (const char *task, const char *expected)
{
    char key[128];
    snprintf (key, sizeof key, "e:task:%s", task);
    s_assert_hash (key, "state", expected);
}


//  The record key of an upload URL.
static void
s_record_key (const char *url, char *key)
{
    gw_upload_key (gw_testhttp_upload_path (url) + strlen (GW_UPLOAD_PATH),
                   key);
}


//  Names of the regular files under the app's depot directory, joined.
static void
s_depot_files (char *out, size_t size)
{
    char dir[256];
    snprintf (dir, sizeof dir, "%s/builds/acme/game", s_depot);
    out[0] = 0;
    DIR *d = opendir (dir);
    for (struct dirent *e; d && (e = readdir (d));)
        if (e->d_name[0] != '.')
            snprintf (out + strlen (out), size - strlen (out), "%s ",
                      e->d_name);
    if (d)
        closedir (d);
}


//  The next JOB the broker got (within 5 s): its task name into task.
static bool
s_recv_job (char *task, size_t size)
{
    zsock_set_rcvtimeo (s_broker, 5000);
    zmsg_t *msg = zmsg_recv (s_broker);
    if (!msg)
        return false;
    zframe_t *frame = zmsg_last (msg);
    proto_job_t *job =
        proto_job_decode (zframe_data (frame), zframe_size (frame));
    bool is_job = job != NULL;
    if (job)
        snprintf (task, size, "%s", job->task);
    proto_job_destroy (&job);
    zmsg_destroy (&msg);
    return is_job;
}


static void
s_drain_jobs (void)
{
    zsock_set_rcvtimeo (s_broker, 0);
    for (zmsg_t *msg; (msg = zmsg_recv (s_broker));)
        zmsg_destroy (&msg);
}

//  ---------------------------------------------------------------------
//  Fixtures


//  An auth token of username in org into token.
static void
s_auth (const char *org, const char *username, char *token)
{
    char session[GW_IDENT_TOKEN_MAX];
    gw_principal_t principal;
    int64_t expires;
    assert_int_equal (gw_ident_session_new (s_redis, org, username, 3600,
                                            session, &principal),
                      GW_IDENT_OK);
    assert_int_equal (
        gw_ident_auth_new (s_redis, session, 300, token, &expires),
        GW_IDENT_OK);
}


static void
s_org (const char *org, const char *admin)
{
    char email[128];
    snprintf (email, sizeof email, "admin@%s.example", org);
    gw_ident_org_t spec = {org, email, admin, NULL};
    assert_int_equal (
        gw_ident_org_create (s_redis, &spec, s_pwhash, edge_now_ms ()),
        GW_IDENT_OK);
}


//  FLUSHALL, empty depot; orgs acme (boss) and other (boss2); app "game"
//  of acme.
static int
s_reset (void **state)
{
    (void) state;
    freeReplyObject (edge_redis_command (s_redis, "FLUSHALL"));
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s/builds'", s_depot);
    assert_int_equal (system (cmd), 0);
    s_org ("acme", "boss");
    s_org ("other", "boss2");
    s_auth ("acme", "boss", s_boss);
    long status;
    json_decref (s_call (s_boss, "POST", "/be/v1/apps",
                         "{\"name\":\"game\",\"label\":\"Game\"}", &status));
    assert_int_equal (status, 201);
    s_drain_jobs ();
    return 0;
}


//  POST /be/v1/builds as boss; asserts 202; returns the answer.
static json_t *
s_import (const char *body)
{
    long status;
    json_t *answer = s_call (s_boss, "POST", "/be/v1/builds", body, &status);
    assert_int_equal (status, 202);
    return answer;
}


static json_t *
s_upload_import (const char *build)
{
    char body[256];
    snprintf (body, sizeof body, "{\"appName\":\"game\",\"buildName\":\"%s\"}",
              build);
    return s_import (body);
}


static void
s_config_init (gw_config_t *config, const char *listen)
{
    *config = (gw_config_t){
        .listen = (char *) listen,
        .redis_url = s_redis_server.url,
        .redis_timeout_ms = 5000,
        .broker_frontend = s_broker_ep,
        .admin_secret = S_SECRET,
        .threads = 4,
        .max_body = 1 << 20,
        .broker_timeout_ms = 500,
        .url_allow = "127.0.0.0/8",
        .openapi_path = "",
        .session_ttl_s = 3600,
        .auth_ttl_s = 300,
        .login_max_failures = 5,
        .login_max_failures_ip = 50,
        .login_window_s = 900,
        .operator_org = "",
        .store_url = s_store_url,
        .upload_expiry_ms = 600000,
        .upload_max_bytes = S_MAX_BYTES,
        .public_url = "",
    };
}


static int
s_start (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_start (&s_redis_server);
    if (rc)
        return rc;
    if (gw_ident_init () || gw_ident_hash_password (S_PASSWORD, s_pwhash)
        || !mkdtemp (s_depot))
        return -1;
    curl_global_init (CURL_GLOBAL_DEFAULT);
    s_redis = edge_redis_new (s_redis_server.url, 5000);
    snprintf (s_store_url, sizeof s_store_url, "file://%s", s_depot);
    snprintf (s_broker_ep, sizeof s_broker_ep, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    char bind[80];
    snprintf (bind, sizeof bind, "@%s", s_broker_ep);
    s_broker = zsock_new_router (bind);
    snprintf (s_listen, sizeof s_listen, "127.0.0.1:%d",
              edge_testutil_free_port ());
    s_config_init (&s_config, s_listen);
    s_server = gw_server_new (&s_config);
    return s_broker && s_server ? 0 : -1;
}


static void
s_stop (void)
{
    gw_server_destroy (&s_server);
    zsock_destroy (&s_broker);
    edge_redis_destroy (&s_redis);
    edge_testutil_redis_stop (&s_redis_server);
    curl_global_cleanup ();
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_depot);
    if (system (cmd) != 0)
        edge_warn ("could not remove %s", s_depot);
}

//  ---------------------------------------------------------------------
//  Imports


static void
test_download_import_creates_a_queued_dltar_and_sends_its_job (void **state)
{
    (void) state;
    long status;
    char location[256];
    json_t *answer = gw_testhttp_call (
        gw_server_port (s_server), s_boss, "POST", "/be/v1/builds",
        "{\"appName\":\"game\",\"buildName\":\"v1.0-rc_2\",\"url\":"
        "\"http://127.0.0.1:9/native-build.tar\",\"size\":1234}",
        &status, location);
    assert_int_equal (status, 202);
    const char *task = gw_testhttp_str (answer, "taskName");
    const char *group = gw_testhttp_str (answer, "group");
    assert_null (json_object_get (answer, "uploadUrl"));
    assert_int_equal (strncmp (group, "import_", 7), 0);
    assert_int_equal (strncmp (task, "dltar_", 6), 0);
    char expected[128];
    snprintf (expected, sizeof expected, "/be/v1/tasks/%s", task);
    assert_string_equal (location, expected);
    s_task_state (task, "queued");
    char key[128];
    snprintf (key, sizeof key, "e:task:%s", task);
    s_assert_hash (key, "group", group);
    s_assert_hash (key, "buildName", "v1.0-rc_2");
    char *params = s_hget (key, "params");
    json_t *p = json_loads (params, 0, NULL);
    free (params);
    char tar_key[128];
    snprintf (tar_key, sizeof tar_key, "builds/acme/game/%s.tar", group);
    assert_string_equal (gw_testhttp_str (p, "tarKey"), tar_key);
    assert_string_equal (gw_testhttp_str (p, "url"),
                         "http://127.0.0.1:9/native-build.tar");
    assert_int_equal (json_integer_value (json_object_get (p, "size")), 1234);
    assert_string_equal (gw_testhttp_str (p, "appName"), "game");
    assert_null (json_object_get (p, "upload"));
    json_decref (p);
    s_assert_hash ("e:{acme}:app:game:imports", "v1.0-rc_2", task);
    char job[64] = "";
    assert_true (s_recv_job (job, sizeof job));
    assert_string_equal (job, task);
    json_decref (answer);
}


static void
test_import_body_is_validated (void **state)
{
    (void) state;
    const char *cases[][3] = {
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"x\":1}", "400",
         "unknown_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v 1\"}", "400",
         "invalid_field"},
        {"{\"appName\":\"game\",\"buildName\":\"a/b\"}", "400",
         "invalid_field"},
        {"{\"appName\":\"game\"}", "400", "missing_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"size\":-1}", "400",
         "invalid_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"size\":\"1\"}", "400",
         "invalid_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"url\":\"ftp://x/a\"}",
         "400", "invalid_field"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"url\":"
         "\"http://10.1.2.3/a.tar\"}",
         "422", "url_refused"},
        {"{\"appName\":\"game\",\"buildName\":\"v1\",\"size\":99999999999}",
         "422", "upload_too_large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long status;
        json_t *body =
            s_call (s_boss, "POST", "/be/v1/builds", cases[i][0], &status);
        assert_int_equal (status, atol (cases[i][1]));
        gw_testhttp_assert_error (body, status, cases[i][2]);
    }
    //  Nothing was reserved or created
    assert_false (s_exists ("e:{acme}:app:game:imports"));
    assert_false (s_exists ("e:{acme}:tasks"));
}


static void
test_missing_app_and_another_orgs_app_are_404 (void **state)
{
    (void) state;
    long status;
    json_t *body =
        s_call (s_boss, "POST", "/be/v1/builds",
                "{\"appName\":\"nope\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 404);
    gw_testhttp_assert_error (body, 404, "not_found");
    char other[GW_IDENT_TOKEN_MAX];
    s_auth ("other", "boss2", other);
    body = s_call (other, "POST", "/be/v1/builds",
                   "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 404);
    gw_testhttp_assert_error (body, 404, "not_found");
    body = s_call (other, "POST", "/be/v1/commit",
                   "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 404);
    gw_testhttp_assert_error (body, 404, "not_found");
    assert_false (s_exists ("e:{other}:app:game:imports"));
}


static void
test_locked_app_is_409_app_locked_with_its_error (void **state)
{
    (void) state;
    freeReplyObject (edge_redis_command (
        s_redis, "HSET e:{acme}:app:game locked 1 error %s",
        "{\"deployment\":{\"failed\":[\"cdn1\"],\"succeeded\":[]}}"));
    long status;
    json_t *body =
        s_call (s_boss, "POST", "/be/v1/builds",
                "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 409);
    const char *message = json_string_value (
        json_object_get (json_object_get (body, "error"), "message"));
    assert_non_null (strstr (message, "cdn1"));
    gw_testhttp_assert_error (body, 409, "app_locked");
    assert_false (s_exists ("e:{acme}:app:game:imports"));
}


static void
test_existing_build_is_409_build_exists (void **state)
{
    (void) state;
    freeReplyObject (edge_redis_command (
        s_redis, "HSET e:{acme}:app:game builds %s",
        "[{\"buildId\":1,\"buildName\":\"v1\",\"dxfName\":\"d\","
        "\"sizeBytes\":5}]"));
    long status;
    json_t *body =
        s_call (s_boss, "POST", "/be/v1/builds",
                "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (body, 409, "build_exists");
    json_decref (s_upload_import ("v2")); //  another name is fine
}


static void
test_import_in_progress_is_409_until_its_task_failed (void **state)
{
    (void) state;
    json_t *first = s_upload_import ("v1");
    const char *task = gw_testhttp_str (first, "taskName");
    long status;
    json_t *body = s_call (s_boss, "POST", "/be/v1/builds",
                           "{\"appName\":\"game\",\"buildName\":\"v1\",\"url\":"
                           "\"http://127.0.0.1:9/a.tar\"}",
                           &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (body, 409, "build_importing");
    char key[128];
    snprintf (key, sizeof key, "e:task:%s", task);
    freeReplyObject (edge_redis_command (s_redis, "HSET %s state failed", key));
    json_t *second = s_upload_import ("v1");
    assert_string_not_equal (gw_testhttp_str (second, "taskName"), task);
    s_assert_hash ("e:{acme}:app:game:imports", "v1",
                   gw_testhttp_str (second, "taskName"));
    json_decref (second);
    json_decref (first);
}


static void
test_stale_reservation_is_replaced_and_a_fresh_one_is_not (void **state)
{
    (void) state;
    long long old = (long long) edge_now_ms () - 3600000;
    freeReplyObject (edge_redis_command (
        s_redis,
        "HSET e:{acme}:app:game:imports v1 import_x@%lld v2 "
        "import_y@%lld",
        old, (long long) edge_now_ms ()));
    json_decref (s_upload_import ("v1"));
    long status;
    json_t *body =
        s_call (s_boss, "POST", "/be/v1/builds",
                "{\"appName\":\"game\",\"buildName\":\"v2\"}", &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (body, 409, "build_importing");
}

//  ---------------------------------------------------------------------
//  Uploads


static void
test_upload_import_answers_an_upload_url_and_stores_only_its_hash (void **state)
{
    (void) state;
    int64_t before = edge_now_ms ();
    json_t *answer = s_upload_import ("v1");
    const char *task = gw_testhttp_str (answer, "taskName");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    char prefix[128];
    snprintf (prefix, sizeof prefix, "http://127.0.0.1:%d/upload/v1/",
              gw_server_port (s_server));
    assert_int_equal (strncmp (url, prefix, strlen (prefix)), 0);
    const char *token = url + strlen (prefix);
    assert_true (gw_upload_token_is_valid (token));
    int64_t expires = 0;
    assert_int_equal (edge_rfc3339_parse (
                          gw_testhttp_str (answer, "uploadExpires"), &expires),
                      0);
    assert_true (expires >= before + 600000 - 1000);
    assert_true (expires <= edge_now_ms () + 600000 + 1000);
    s_task_state (task, "waiting");
    char key[GW_UPLOAD_KEY_MAX];
    s_record_key (url, key);
    s_assert_hash (key, "state", "open");
    s_assert_hash (key, "task", task);
    s_assert_hash (key, "org", "acme");
    redisReply *reply = edge_redis_command (s_redis, "PTTL %s", key);
    assert_true (reply->integer > 600000 + GW_UPLOAD_KEEP_MS - 60000);
    freeReplyObject (reply);
    reply = edge_redis_command (s_redis, "ZSCORE e:uploads:due %s", task);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    assert_int_equal (atoll (reply->str), expires);
    freeReplyObject (reply);
    char task_key[128];
    snprintf (task_key, sizeof task_key, "e:task:%s", task);
    s_assert_hash (task_key, "uploadKey", key);
    char *params = s_hget (task_key, "params");
    json_t *p = json_loads (params, 0, NULL);
    free (params);
    assert_true (json_is_true (json_object_get (p, "upload")));
    assert_null (json_object_get (p, "url"));
    json_decref (p);
    assert_false (gw_testhttp_redis_contains (s_redis, token));
    char job[64];
    assert_false (s_recv_job (job, sizeof job)); //  nothing to run yet
    json_decref (answer);
}


//  True when the captured stdout holds the PUT's access line (written
//  just after the response went out).
static bool
s_has_put_line (void *arg)
{
    fflush (stdout);
    FILE *file = fopen ((const char *) arg, "rb");
    char text[65536];
    size_t n = file ? fread (text, 1, sizeof text - 1, file) : 0;
    text[n] = 0;
    if (file)
        fclose (file);
    return strstr (text, "PUT /upload/v1/") != NULL;
}


static void
test_put_streams_the_tar_into_the_depot_byte_for_byte (void **state)
{
    (void) state;
    int saved;
    char log_path[128];
    gw_testhttp_capture_begin (s_depot, &saved, log_path);
    json_t *answer = s_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    const char *token = gw_testhttp_upload_path (url) + strlen (GW_UPLOAD_PATH);
    uint64_t total = 5 * 1024 * 1024 + 12345;
    long status;
    json_t *result = gw_testhttp_put (url, total, 7, false, &status);
    bool has_line = edge_testutil_poll (s_has_put_line, log_path, 5000);
    char *log = gw_testhttp_capture_end (saved, log_path);
    assert_true (has_line);
    assert_int_equal (status, 200);
    assert_int_equal (
        json_integer_value (json_object_get (result, "sizeBytes")), total);
    char path[256];
    snprintf (path, sizeof path, "%s/builds/acme/game/%s.tar", s_depot,
              gw_testhttp_str (answer, "group"));
    assert_true (gw_testhttp_file_matches (path, total, 7));
    //  the answer's SHA-256 is the file's
    unsigned char *data = edge_malloc (total);
    for (uint64_t i = 0; i < total; i++)
        data[i] = gw_testhttp_byte (7, i);
    char sha[65];
    edge_sha256_hex (data, total, sha);
    free (data);
    assert_string_equal (gw_testhttp_str (result, "sha256"), sha);
    char key[GW_UPLOAD_KEY_MAX];
    s_record_key (url, key);
    s_assert_hash (key, "state", "received");
    char size[32];
    snprintf (size, sizeof size, "%llu", (unsigned long long) total);
    s_assert_hash (key, "sizeBytes", size);
    char files[512];
    s_depot_files (files, sizeof files);
    assert_null (strstr (files, ".part-")); //  no leftovers
    //  the access line was written, without the token
    assert_non_null (strstr (log, "PUT /upload/v1/<token> 200"));
    assert_null (strstr (log, token));
    free (log);
    assert_false (gw_testhttp_redis_contains (s_redis, token));
    json_decref (result);
    //  a second PUT is refused and changes nothing
    result = gw_testhttp_put (url, 100, 8, false, &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "upload_used");
    assert_true (gw_testhttp_file_matches (path, total, 7));
    json_decref (answer);
}


static void
test_chunked_put_over_the_limit_is_413_and_leaves_no_file (void **state)
{
    (void) state;
    json_t *answer = s_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    long status;
    json_t *result =
        gw_testhttp_put (url, S_MAX_BYTES + 100000, 3, true, &status);
    assert_int_equal (status, 413);
    gw_testhttp_assert_error (result, 413, "payload_too_large");
    char files[512];
    s_depot_files (files, sizeof files);
    assert_string_equal (files, "");
    char key[GW_UPLOAD_KEY_MAX];
    s_record_key (url, key);
    s_assert_hash (key, "state", "open");
    //  the URL still works, chunked too
    result = gw_testhttp_put (url, 300000, 4, true, &status);
    assert_int_equal (status, 200);
    json_decref (result);
    char path[256];
    snprintf (path, sizeof path, "%s/builds/acme/game/%s.tar", s_depot,
              gw_testhttp_str (answer, "group"));
    assert_true (gw_testhttp_file_matches (path, 300000, 4));
    json_decref (answer);
}


static void
test_declared_length_over_the_limit_is_413_at_once (void **state)
{
    (void) state;
    json_t *answer = s_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    int fd = gw_testhttp_connect (gw_server_port (s_server));
    char head[512];
    snprintf (head, sizeof head,
              "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
              "Expect: 100-continue\r\n\r\n",
              gw_testhttp_upload_path (url), S_MAX_BYTES + 1);
    gw_testhttp_send (fd, head, strlen (head));
    assert_int_equal (gw_testhttp_read_status (fd),
                      413); //  no 100 Continue first
    close (fd);
    char files[512];
    s_depot_files (files, sizeof files);
    assert_string_equal (files, "");
    char key[GW_UPLOAD_KEY_MAX];
    s_record_key (url, key);
    s_assert_hash (key, "state", "open");
    json_decref (answer);
}


static void
test_short_body_is_400_and_the_put_can_be_redone (void **state)
{
    (void) state;
    json_t *answer = s_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    int fd = gw_testhttp_connect (gw_server_port (s_server));
    char head[512];
    snprintf (head, sizeof head,
              "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n",
              gw_testhttp_upload_path (url));
    gw_testhttp_send (fd, head, strlen (head));
    gw_testhttp_send_bytes (fd, 5, 0, 150000);
    shutdown (fd, SHUT_WR);
    assert_int_equal (gw_testhttp_read_status (fd), 400);
    close (fd);
    char files[512];
    s_depot_files (files, sizeof files);
    assert_string_equal (files, "");
    char key[GW_UPLOAD_KEY_MAX];
    s_record_key (url, key);
    s_assert_hash (key, "state", "open");
    long status;
    json_t *result = gw_testhttp_put (url, 200000, 5, false, &status);
    assert_int_equal (status, 200);
    json_decref (result);
    s_assert_hash (key, "state", "received");
    json_decref (answer);
}


typedef struct {
    const char *key;
} s_state_arg_t;


static bool
s_is_receiving (void *arg)
{
    char *state = s_hget (((s_state_arg_t *) arg)->key, "state");
    bool is_receiving = state && strcmp (state, "receiving") == 0;
    free (state);
    return is_receiving;
}


static void
test_put_in_progress_refuses_a_second_put_and_blocks_nothing (void **state)
{
    (void) state;
    json_t *answer = s_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    char key[GW_UPLOAD_KEY_MAX];
    s_record_key (url, key);
    uint64_t total = 2 * 1024 * 1024;
    int fd = gw_testhttp_connect (gw_server_port (s_server));
    char head[512];
    snprintf (head, sizeof head,
              "PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: %llu\r\n\r\n",
              gw_testhttp_upload_path (url), (unsigned long long) total);
    gw_testhttp_send (fd, head, strlen (head));
    gw_testhttp_send_bytes (fd, 9, 0, 65536);
    s_state_arg_t arg = {key};
    assert_true (edge_testutil_poll (s_is_receiving, &arg, 5000));
    long status;
    json_t *result = gw_testhttp_put (url, 1000, 1, false, &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "upload_in_progress");
    //  other requests go on meanwhile, Redis included
    json_decref (s_call (NULL, "GET", "/readyz", NULL, &status));
    json_decref (s_call (s_boss, "GET", "/be/v1/apps/game", NULL, &status));
    assert_int_equal (status, 200);
    gw_testhttp_send_bytes (fd, 9, 65536, total);
    assert_int_equal (gw_testhttp_read_status (fd), 200);
    close (fd);
    char path[256];
    snprintf (path, sizeof path, "%s/builds/acme/game/%s.tar", s_depot,
              gw_testhttp_str (answer, "group"));
    assert_true (gw_testhttp_file_matches (path, total, 9));
    s_assert_hash (key, "state", "received");
    json_decref (answer);
}


static void
test_unknown_token_is_401_and_a_body_without_length_411 (void **state)
{
    (void) state;
    long status;
    char path[128];
    snprintf (path, sizeof path,
              "http://127.0.0.1:%d/upload/v1/"
              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
              gw_server_port (s_server));
    json_t *result = gw_testhttp_put (path, 10, 1, false, &status);
    assert_int_equal (status, 401);
    gw_testhttp_assert_error (result, 401, "unauthorized");
    json_t *answer = s_upload_import ("v1");
    int fd = gw_testhttp_connect (gw_server_port (s_server));
    char head[512];
    snprintf (head, sizeof head, "PUT %s HTTP/1.1\r\nHost: x\r\n\r\n",
              gw_testhttp_upload_path (gw_testhttp_str (answer, "uploadUrl")));
    gw_testhttp_send (fd, head, strlen (head));
    assert_int_equal (gw_testhttp_read_status (fd), 411);
    close (fd);
    char key[GW_UPLOAD_KEY_MAX];
    s_record_key (gw_testhttp_str (answer, "uploadUrl"), key);
    s_assert_hash (key, "state", "open");
    json_decref (answer);
}


static bool
s_is_past (void *arg)
{
    return edge_now_ms () > *(int64_t *) arg;
}


static void
test_expired_upload_url_is_410 (void **state)
{
    (void) state;
    gw_config_t config;
    char listen[64];
    snprintf (listen, sizeof listen, "127.0.0.1:%d",
              edge_testutil_free_port ());
    s_config_init (&config, listen);
    config.upload_expiry_ms = 1;
    config.public_url = "https://edge.example.com/";
    gw_server_t *server = gw_server_new (&config);
    assert_non_null (server);
    long status;
    json_t *answer = gw_testhttp_call (
        gw_server_port (server), s_boss, "POST", "/be/v1/builds",
        "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status, NULL);
    assert_int_equal (status, 202);
    int64_t expires = 0;
    assert_int_equal (edge_rfc3339_parse (
                          gw_testhttp_str (answer, "uploadExpires"), &expires),
                      0);
    assert_true (edge_testutil_poll (s_is_past, &expires, 2000));
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    const char *public = "https://edge.example.com/upload/v1/";
    assert_int_equal (strncmp (url, public, strlen (public)), 0);
    char local[256]; //  the same upload through the main server
    snprintf (local, sizeof local, "http://127.0.0.1:%d%s",
              gw_server_port (s_server), gw_testhttp_upload_path (url));
    json_t *result = gw_testhttp_put (local, 1000, 1, false, &status);
    assert_int_equal (status, 410);
    gw_testhttp_assert_error (result, 410, "upload_expired");
    char files[512];
    s_depot_files (files, sizeof files);
    assert_string_equal (files, "");
    result = s_call (s_boss, "POST", "/be/v1/commit",
                     "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 410);
    gw_testhttp_assert_error (result, 410, "upload_expired");
    gw_server_destroy (&server);
    json_decref (answer);
}


static void
test_expired_task_makes_the_put_410 (void **state)
{
    (void) state;
    json_t *answer = s_upload_import ("v1");
    long status;
    char body[256];
    snprintf (body, sizeof body, "{\"name\":\"%s\",\"expire\":true}",
              gw_testhttp_str (answer, "taskName"));
    json_decref (s_call (s_boss, "PATCH", "/be/v1/tasks", body, &status));
    assert_int_equal (status, 200);
    json_t *result = gw_testhttp_put (gw_testhttp_str (answer, "uploadUrl"), 10,
                                      1, false, &status);
    assert_int_equal (status, 410);
    gw_testhttp_assert_error (result, 410, "upload_expired");
    //  the build can be imported again
    json_decref (s_upload_import ("v1"));
    json_decref (answer);
}

//  ---------------------------------------------------------------------
//  Commit


static void
test_commit_before_put_is_409_upload_incomplete (void **state)
{
    (void) state;
    json_t *answer = s_upload_import ("v1");
    long status;
    json_t *result =
        s_call (s_boss, "POST", "/be/v1/commit",
                "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "upload_incomplete");
    s_task_state (gw_testhttp_str (answer, "taskName"), "waiting");
    json_decref (answer);
}


static void
test_commit_after_put_queues_the_task_and_sends_its_job (void **state)
{
    (void) state;
    json_t *answer = s_upload_import ("v1");
    const char *task = gw_testhttp_str (answer, "taskName");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    long status;
    json_decref (gw_testhttp_put (url, 4096, 2, false, &status));
    assert_int_equal (status, 200);
    char location[256];
    json_t *result = gw_testhttp_call (
        gw_server_port (s_server), s_boss, "POST", "/be/v1/commit",
        "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status, location);
    assert_int_equal (status, 202);
    assert_string_equal (gw_testhttp_str (result, "taskName"), task);
    assert_string_equal (gw_testhttp_str (result, "group"),
                         gw_testhttp_str (answer, "group"));
    char expected[128];
    snprintf (expected, sizeof expected, "/be/v1/tasks/%s", task);
    assert_string_equal (location, expected);
    json_decref (result);
    s_task_state (task, "queued");
    char key[GW_UPLOAD_KEY_MAX];
    s_record_key (url, key);
    s_assert_hash (key, "state", "committed");
    char job[64] = "";
    assert_true (s_recv_job (job, sizeof job));
    assert_string_equal (job, task);
    redisReply *reply =
        edge_redis_command (s_redis, "ZSCORE e:uploads:due %s", task);
    assert_int_equal (reply->type, REDIS_REPLY_NIL);
    freeReplyObject (reply);
    //  the submit event says so
    reply = edge_redis_command (s_redis, "XRANGE e:events - +");
    assert_true (
        gw_testhttp_reply_contains (reply, "upload committed (4096 bytes)"));
    freeReplyObject (reply);
    //  again: refused; the URL is used
    result = s_call (s_boss, "POST", "/be/v1/commit",
                     "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "already_committed");
    result = gw_testhttp_put (url, 10, 1, false, &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "upload_used");
    json_decref (answer);
}


static void
test_commit_without_such_upload_is_404_or_409 (void **state)
{
    (void) state;
    long status;
    json_t *result =
        s_call (s_boss, "POST", "/be/v1/commit",
                "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
    assert_int_equal (status, 404);
    gw_testhttp_assert_error (result, 404, "not_found");
    json_decref (s_import ("{\"appName\":\"game\",\"buildName\":\"v2\",\"url\":"
                           "\"http://127.0.0.1:9/a.tar\"}"));
    result = s_call (s_boss, "POST", "/be/v1/commit",
                     "{\"appName\":\"game\",\"buildName\":\"v2\"}", &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "not_an_upload");
    result =
        s_call (s_boss, "POST", "/be/v1/commit",
                "{\"appName\":\"game\",\"buildName\":\"v2\",\"x\":1}", &status);
    assert_int_equal (status, 400);
    gw_testhttp_assert_error (result, 400, "unknown_field");
}


static void
test_user_without_apps_update_gets_403 (void **state)
{
    (void) state;
    long status;
    json_decref (s_call (s_boss, "POST", "/be/v1/roles",
                         "{\"name\":\"viewers\",\"permissions\":{\"apps\":11}}",
                         &status));
    assert_int_equal (status, 201);
    json_decref (s_call (
        s_boss, "POST", "/be/v1/users",
        "{\"username\":\"carol\",\"email\":\"carol@acme.example\","
        "\"firstname\":\"Carol\",\"surname\":\"C\",\"roles\":[\"viewers\"],"
        "\"password\":\"carol-password-0123\"}",
        &status));
    assert_int_equal (status, 201);
    char carol[GW_IDENT_TOKEN_MAX];
    s_auth ("acme", "carol", carol);
    const char *paths[] = {"/be/v1/builds", "/be/v1/commit"};
    for (size_t i = 0; i < 2; i++) {
        json_t *body =
            s_call (carol, "POST", paths[i],
                    "{\"appName\":\"game\",\"buildName\":\"v1\"}", &status);
        assert_int_equal (status, 403);
        json_t *error = json_object_get (body, "error");
        assert_string_equal (gw_testhttp_str (error, "resource"), "apps");
        assert_int_equal (json_integer_value (json_object_get (error, "bit")),
                          4);
        gw_testhttp_assert_error (body, 403, "forbidden");
    }
    assert_false (s_exists ("e:{acme}:app:game:imports"));
}


int
main (void)
{
    int rc = s_start ();
    if (rc) {
        s_stop ();
        return rc == 77 ? 77 : 1;
    }
    const struct CMUnitTest tests[] = {
#define S_TEST(name) cmocka_unit_test_setup (name, s_reset)
        S_TEST (test_download_import_creates_a_queued_dltar_and_sends_its_job),
        S_TEST (test_import_body_is_validated),
        S_TEST (test_missing_app_and_another_orgs_app_are_404),
        S_TEST (test_locked_app_is_409_app_locked_with_its_error),
        S_TEST (test_existing_build_is_409_build_exists),
        S_TEST (test_import_in_progress_is_409_until_its_task_failed),
        S_TEST (test_stale_reservation_is_replaced_and_a_fresh_one_is_not),
        S_TEST (
            test_upload_import_answers_an_upload_url_and_stores_only_its_hash),
        S_TEST (test_put_streams_the_tar_into_the_depot_byte_for_byte),
        S_TEST (test_chunked_put_over_the_limit_is_413_and_leaves_no_file),
        S_TEST (test_declared_length_over_the_limit_is_413_at_once),
        S_TEST (test_short_body_is_400_and_the_put_can_be_redone),
        S_TEST (test_put_in_progress_refuses_a_second_put_and_blocks_nothing),
        S_TEST (test_unknown_token_is_401_and_a_body_without_length_411),
        S_TEST (test_expired_upload_url_is_410),
        S_TEST (test_expired_task_makes_the_put_410),
        S_TEST (test_commit_before_put_is_409_upload_incomplete),
        S_TEST (test_commit_after_put_queues_the_task_and_sends_its_job),
        S_TEST (test_commit_without_such_upload_is_404_or_409),
        S_TEST (test_user_without_apps_update_gets_403),
#undef S_TEST
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    s_stop ();
    return rc;
}
