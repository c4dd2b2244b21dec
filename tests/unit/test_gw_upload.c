/*  test_gw_upload - upload PUTs (PUT /upload/v1/{token}) of upload
    imports through a real gateway (civetweb, HTTP over loopback) against
    a real redis-server (the gw_testhttp fixture): streaming byte for
    byte, limits, short and concurrent bodies, a stale PUT taken over,
    unknown and expired URLs. Every case runs twice: on a scratch file://
    depot, then on an s3:// depot on s3rver (multipart uploads with 5 MiB
    parts; skipped when npm is missing).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_crypto.h"
#include "edge_redis.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "gw_server.h"
#include "gw_testhttp.h"
#include "gw_upload.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

//  Open a connection and send the head of a PUT to url's path with the
//  extra header lines (each ending in CRLF). Returns the socket.
static int
s_put_head_at (int port, const char *url, const char *headers)
{
    int fd = gw_testhttp_connect (port);
    char head[512];
    snprintf (head, sizeof head, "PUT %s HTTP/1.1\r\nHost: x\r\n%s\r\n",
              gw_testhttp_upload_path (url), headers);
    gw_testhttp_send (fd, head, strlen (head));
    return fd;
}


static int
s_put_head (const char *url, const char *headers)
{
    return s_put_head_at (gw_testhttp_port (), url, headers);
}


//  A second gateway on the fixture, changed by the test. Caller destroys.
static gw_server_t *
s_server_new (gw_config_t *config,
              char *listen,
              int64_t parallel,
              int64_t rate_ms)
{
    snprintf (listen, 64, "127.0.0.1:%d", edge_testutil_free_port ());
    gw_testhttp_fixture_config (config, listen);
    config->upload_parallel = parallel;
    config->upload_rate_ms = rate_ms;
    gw_server_t *server = gw_server_new (config);
    assert_non_null (server);
    return server;
}


//  Assert that the upload of url stored nothing: no file in the depot,
//  the record still open. Its key into key.
static void
s_assert_untouched (const char *url, char *key)
{
    char files[512];
    gw_testhttp_depot_files (files, sizeof files);
    assert_string_equal (files, "");
    gw_testhttp_record_key (url, key);
    gw_testhttp_assert_hash (key, "state", "open");
}


static void
test_upload_import_answers_an_upload_url_and_stores_only_its_hash (void **state)
{
    (void) state;
    int64_t before = edge_now_ms ();
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *task = gw_testhttp_str (answer, "taskName");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    char prefix[128];
    snprintf (prefix, sizeof prefix, "http://127.0.0.1:%d/upload/v1/",
              gw_testhttp_port ());
    assert_int_equal (strncmp (url, prefix, strlen (prefix)), 0);
    const char *token = url + strlen (prefix);
    assert_true (gw_upload_token_is_valid (token));
    int64_t expires = 0;
    assert_int_equal (edge_rfc3339_parse (
                          gw_testhttp_str (answer, "uploadExpires"), &expires),
                      0);
    assert_true (expires >= before + 600000 - 1000);
    assert_true (expires <= edge_now_ms () + 600000 + 1000);
    gw_testhttp_task_state (task, "waiting");
    char key[GW_UPLOAD_KEY_MAX];
    gw_testhttp_record_key (url, key);
    gw_testhttp_assert_hash (key, "state", "open");
    gw_testhttp_assert_hash (key, "task", task);
    gw_testhttp_assert_hash (key, "org", "acme");
    redisReply *reply =
        edge_redis_command (gw_testhttp_redis (), "PTTL %s", key);
    assert_true (reply->integer > 600000 + GW_UPLOAD_KEEP_MS - 60000);
    freeReplyObject (reply);
    reply = edge_redis_command (gw_testhttp_redis (), "ZSCORE e:uploads:due %s",
                                task);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    assert_int_equal (atoll (reply->str), expires);
    freeReplyObject (reply);
    char task_key[128];
    snprintf (task_key, sizeof task_key, "e:task:%s", task);
    gw_testhttp_assert_hash (task_key, "uploadKey", key);
    char *params = gw_testhttp_hget (task_key, "params");
    json_t *p = json_loads (params, 0, NULL);
    free (params);
    assert_true (json_is_true (json_object_get (p, "upload")));
    assert_null (json_object_get (p, "url"));
    json_decref (p);
    assert_false (gw_testhttp_redis_contains (gw_testhttp_redis (), token));
    char job[64];
    assert_false (
        gw_testhttp_recv_job (job, sizeof job)); //  nothing to run yet
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
    gw_testhttp_capture_begin (gw_testhttp_depot (), &saved, log_path);
    json_t *answer = gw_testhttp_upload_import ("v1");
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
    assert_true (gw_testhttp_tar_matches (answer, total, 7));
    //  the answer's SHA-256 is the file's
    unsigned char *data = edge_malloc (total);
    for (uint64_t i = 0; i < total; i++)
        data[i] = gw_testhttp_byte (7, i);
    char sha[65];
    edge_sha256_hex (data, total, sha);
    free (data);
    assert_string_equal (gw_testhttp_str (result, "sha256"), sha);
    char key[GW_UPLOAD_KEY_MAX];
    gw_testhttp_record_key (url, key);
    gw_testhttp_assert_hash (key, "state", "received");
    char size[32];
    snprintf (size, sizeof size, "%llu", (unsigned long long) total);
    gw_testhttp_assert_hash (key, "sizeBytes", size);
    char files[512];
    gw_testhttp_depot_files (files, sizeof files);
    assert_null (strstr (files, ".part-")); //  no leftovers
    //  the access line was written, without the token
    assert_non_null (strstr (log, "PUT /upload/v1/<token> 200"));
    assert_null (strstr (log, token));
    free (log);
    assert_false (gw_testhttp_redis_contains (gw_testhttp_redis (), token));
    json_decref (result);
    //  a second PUT is refused and changes nothing
    result = gw_testhttp_put (url, 100, 8, false, &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "upload_used");
    assert_true (gw_testhttp_tar_matches (answer, total, 7));
    json_decref (answer);
}


static void
test_chunked_put_over_the_limit_is_413_and_leaves_no_file (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    long status;
    json_t *result =
        gw_testhttp_put (url, GW_TESTHTTP_MAX_BYTES + 100000, 3, true, &status);
    assert_int_equal (status, 413);
    gw_testhttp_assert_error (result, 413, "payload_too_large");
    char key[GW_UPLOAD_KEY_MAX];
    s_assert_untouched (url, key);
    //  the URL still works, chunked too
    result = gw_testhttp_put (url, 300000, 4, true, &status);
    assert_int_equal (status, 200);
    json_decref (result);
    assert_true (gw_testhttp_tar_matches (answer, 300000, 4));
    json_decref (answer);
}


static void
test_declared_length_over_the_limit_is_413_at_once (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    char headers[128];
    snprintf (headers, sizeof headers,
              "Content-Length: %d\r\nExpect: 100-continue\r\n",
              GW_TESTHTTP_MAX_BYTES + 1);
    int fd = s_put_head (url, headers);
    //  no 100 Continue first
    assert_int_equal (gw_testhttp_read_status (fd), 413);
    close (fd);
    char key[GW_UPLOAD_KEY_MAX];
    s_assert_untouched (url, key);
    json_decref (answer);
}


static void
test_short_body_is_400_and_the_put_can_be_redone (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    int fd = s_put_head (url, "Content-Length: 200000\r\n");
    gw_testhttp_send_bytes (fd, 5, 0, 150000);
    shutdown (fd, SHUT_WR);
    assert_int_equal (gw_testhttp_read_status (fd), 400);
    close (fd);
    char key[GW_UPLOAD_KEY_MAX];
    s_assert_untouched (url, key);
    long status;
    json_t *result = gw_testhttp_put (url, 200000, 5, false, &status);
    assert_int_equal (status, 200);
    json_decref (result);
    gw_testhttp_assert_hash (key, "state", "received");
    json_decref (answer);
}


//  A record's field to poll for: want, or (want NULL) any non-empty.
typedef struct {
    const char *key;
    const char *field;
    const char *want;
} s_state_arg_t;


static bool
s_field_is (void *arg)
{
    s_state_arg_t *self = arg;
    char *value = gw_testhttp_hget (self->key, self->field);
    bool is_it =
        value
        && (self->want ? strcmp (value, self->want) == 0 : value[0] != '\0');
    free (value);
    return is_it;
}


static void
test_put_in_progress_refuses_a_second_put_and_blocks_nothing (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    char key[GW_UPLOAD_KEY_MAX];
    gw_testhttp_record_key (url, key);
    uint64_t total = 2 * 1024 * 1024;
    char headers[64];
    snprintf (headers, sizeof headers, "Content-Length: %llu\r\n",
              (unsigned long long) total);
    int fd = s_put_head (url, headers);
    gw_testhttp_send_bytes (fd, 9, 0, 65536);
    s_state_arg_t arg = {key, "state", "receiving"};
    assert_true (edge_testutil_poll (s_field_is, &arg, 5000));
    assert_false (gw_testhttp_tar_exists (answer)); //  not before the end
    long status;
    json_t *result = gw_testhttp_put (url, 1000, 1, false, &status);
    assert_int_equal (status, 409);
    gw_testhttp_assert_error (result, 409, "upload_in_progress");
    //  other requests go on meanwhile, Redis included
    json_decref (gw_testhttp_main (NULL, "GET", "/readyz", NULL, &status));
    json_decref (gw_testhttp_main (gw_testhttp_boss (), "GET",
                                   "/be/v1/apps/game", NULL, &status));
    assert_int_equal (status, 200);
    gw_testhttp_send_bytes (fd, 9, 65536, total);
    assert_int_equal (gw_testhttp_read_status (fd), 200);
    close (fd);
    assert_true (gw_testhttp_tar_matches (answer, total, 9));
    gw_testhttp_assert_hash (key, "state", "received");
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
              gw_testhttp_port ());
    json_t *result = gw_testhttp_put (path, 10, 1, false, &status);
    assert_int_equal (status, 401);
    gw_testhttp_assert_error (result, 401, "unauthorized");
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    int fd = s_put_head (url, "");
    assert_int_equal (gw_testhttp_read_status (fd), 411);
    close (fd);
    char key[GW_UPLOAD_KEY_MAX];
    s_assert_untouched (url, key);
    json_decref (answer);
}


static void
test_stale_put_is_taken_over_and_its_upload_aborted (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    char key[GW_UPLOAD_KEY_MAX];
    gw_testhttp_record_key (url, key);
    int fd = s_put_head (url, "Content-Length: 200000\r\n");
    gw_testhttp_send_bytes (fd, 6, 0, 65536);
    s_state_arg_t arg = {key, "part", NULL}; //  the upload id, once made
    assert_true (edge_testutil_poll (s_field_is, &arg, 5000));
    //  as if its gateway had died: untouched for longer than allowed
    freeReplyObject (
        edge_redis_command (gw_testhttp_redis (), "HSET %s touchedMs 1", key));
    long status;
    json_t *result = gw_testhttp_put (url, 150000, 8, false, &status);
    assert_int_equal (status, 200);
    json_decref (result);
    char files[512];
    gw_testhttp_depot_files (files, sizeof files);
    assert_null (strstr (files, ".part-")); //  fs: its part file is gone
    //  the first PUT finds out at its end, and changes nothing
    gw_testhttp_send_bytes (fd, 6, 65536, 200000);
    assert_int_equal (gw_testhttp_read_status (fd), 409);
    close (fd);
    assert_true (gw_testhttp_tar_matches (answer, 150000, 8));
    gw_testhttp_assert_hash (key, "state", "received");
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
    gw_testhttp_fixture_config (&config, listen);
    config.upload_expiry_ms = 1;
    config.public_url = "https://edge.example.com/";
    gw_server_t *server = gw_server_new (&config);
    assert_non_null (server);
    long status;
    json_t *answer = gw_testhttp_call (
        gw_server_port (server), gw_testhttp_boss (), "POST", "/be/v1/builds",
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
    snprintf (local, sizeof local, "http://127.0.0.1:%d%s", gw_testhttp_port (),
              gw_testhttp_upload_path (url));
    json_t *result = gw_testhttp_put (local, 1000, 1, false, &status);
    assert_int_equal (status, 410);
    gw_testhttp_assert_error (result, 410, "upload_expired");
    char files[512];
    gw_testhttp_depot_files (files, sizeof files);
    assert_string_equal (files, "");
    result = gw_testhttp_main (gw_testhttp_boss (), "POST", "/be/v1/commit",
                               "{\"appName\":\"game\",\"buildName\":\"v1\"}",
                               &status);
    assert_int_equal (status, 410);
    gw_testhttp_assert_error (result, 410, "upload_expired");
    gw_server_destroy (&server);
    json_decref (answer);
}


static void
test_expired_task_makes_the_put_410 (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_upload_import ("v1");
    long status;
    char body[256];
    snprintf (body, sizeof body, "{\"name\":\"%s\",\"expire\":true}",
              gw_testhttp_str (answer, "taskName"));
    json_decref (gw_testhttp_main (gw_testhttp_boss (), "PATCH", "/be/v1/tasks",
                                   body, &status));
    assert_int_equal (status, 200);
    json_t *result = gw_testhttp_put (gw_testhttp_str (answer, "uploadUrl"), 10,
                                      1, false, &status);
    assert_int_equal (status, 410);
    gw_testhttp_assert_error (result, 410, "upload_expired");
    //  the build can be imported again
    json_decref (gw_testhttp_upload_import ("v1"));
    json_decref (answer);
}

static void
test_put_beyond_the_parallel_limit_is_503_and_stores_nothing (void **state)
{
    (void) state;
    gw_config_t config;
    char listen[64];
    gw_server_t *server = s_server_new (&config, listen, 1, 0);
    int port = gw_server_port (server);
    json_t *first = gw_testhttp_upload_import ("v1");
    json_t *second = gw_testhttp_upload_import ("v2");
    const char *url = gw_testhttp_str (first, "uploadUrl");
    char key[GW_UPLOAD_KEY_MAX];
    gw_testhttp_record_key (url, key);
    int fd = s_put_head_at (port, url, "Content-Length: 200000\r\n");
    gw_testhttp_send_bytes (fd, 9, 0, 65536);
    s_state_arg_t arg = {key, "state", "receiving"};
    assert_true (edge_testutil_poll (s_field_is, &arg, 5000));
    //  the only slot is taken: 503 at once, the second record untouched
    const char *url2 = gw_testhttp_str (second, "uploadUrl");
    int fd2 = s_put_head_at (port, url2, "Content-Length: 1000\r\n");
    char head[4096];
    assert_int_equal (gw_testhttp_read_head (fd2, head, sizeof head), 503);
    assert_non_null (strstr (head, "Retry-After: 30\r\n"));
    close (fd2);
    char key2[GW_UPLOAD_KEY_MAX];
    gw_testhttp_record_key (url2, key2);
    gw_testhttp_assert_hash (key2, "state", "open");
    //  the first goes on; then the slot is free again
    gw_testhttp_send_bytes (fd, 9, 65536, 200000);
    assert_int_equal (gw_testhttp_read_status (fd), 200);
    close (fd);
    char local[256];
    snprintf (local, sizeof local, "http://127.0.0.1:%d%s", port,
              gw_testhttp_upload_path (url2));
    long status;
    json_decref (gw_testhttp_put (local, 1000, 2, false, &status));
    assert_int_equal (status, 200);
    gw_testhttp_assert_hash (key2, "state", "received");
    gw_server_destroy (&server);
    json_decref (first);
    json_decref (second);
}


static void
test_put_slower_than_the_minimum_rate_is_408_and_can_be_redone (void **state)
{
    (void) state;
    gw_config_t config;
    char listen[64];
    gw_server_t *server = s_server_new (&config, listen, 2, 600);
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    int fd = s_put_head_at (gw_server_port (server), url,
                            "Content-Length: 200000\r\n");
    //  a trickle of 100 bytes every 50 ms until the server answers
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int64_t deadline = edge_mono_ms () + 10000;
    uint64_t sent = 0;
    while (poll (&pfd, 1, 50) == 0 && edge_mono_ms () < deadline) {
        gw_testhttp_send_bytes (fd, 3, sent, sent + 100);
        sent += 100;
    }
    assert_int_equal (gw_testhttp_read_status (fd), 408);
    close (fd);
    char key[GW_UPLOAD_KEY_MAX];
    s_assert_untouched (url, key);
    long status;
    json_decref (gw_testhttp_put (url, 200000, 3, false, &status));
    assert_int_equal (status, 200);
    gw_server_destroy (&server);
    json_decref (answer);
}


static void
test_put_other_than_the_import_size_is_422_and_empty_400 (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_import (
        "{\"appName\":\"game\",\"buildName\":\"v1\",\"size\":5000}");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    char key[GW_UPLOAD_KEY_MAX];
    gw_testhttp_record_key (url, key);
    gw_testhttp_assert_hash (key, "size", "5000");
    long status;
    json_t *result = gw_testhttp_put (url, 4000, 1, false, &status);
    assert_int_equal (status, 422);
    json_t *error = json_object_get (result, "error");
    const char *message =
        json_string_value (json_object_get (error, "message"));
    assert_non_null (strstr (message, "4000"));
    assert_non_null (strstr (message, "5000"));
    gw_testhttp_assert_error (result, 422, "size_mismatch");
    s_assert_untouched (url, key);
    //  chunked: known only at the end, too short or too long
    result = gw_testhttp_put (url, 4999, 1, true, &status);
    gw_testhttp_assert_error (result, 422, "size_mismatch");
    s_assert_untouched (url, key);
    result = gw_testhttp_put (url, 300000, 1, true, &status);
    gw_testhttp_assert_error (result, 422, "size_mismatch");
    s_assert_untouched (url, key);
    result = gw_testhttp_put (url, 0, 1, false, &status);
    gw_testhttp_assert_error (result, 400, "malformed_body");
    s_assert_untouched (url, key);
    result = gw_testhttp_put (url, 5000, 1, false, &status);
    assert_int_equal (status, 200);
    json_decref (result);
    gw_testhttp_assert_hash (key, "state", "received");
    json_decref (answer);
}


static void
test_empty_put_without_a_size_is_400 (void **state)
{
    (void) state;
    json_t *answer = gw_testhttp_upload_import ("v1");
    const char *url = gw_testhttp_str (answer, "uploadUrl");
    long status;
    json_t *result = gw_testhttp_put (url, 0, 1, true, &status);
    gw_testhttp_assert_error (result, 400, "malformed_body");
    char key[GW_UPLOAD_KEY_MAX];
    s_assert_untouched (url, key);
    gw_testhttp_assert_hash (key, "size", NULL);
    json_decref (answer);
}


static void
test_listening_beyond_loopback_without_public_url_warns (void **state)
{
    (void) state;
    int saved;
    char log_path[128];
    gw_testhttp_capture_begin (gw_testhttp_depot (), &saved, log_path);
    gw_config_t config;
    char listen[64];
    snprintf (listen, sizeof listen, "0.0.0.0:%d", edge_testutil_free_port ());
    gw_testhttp_fixture_config (&config, listen);
    gw_server_t *server = gw_server_new (&config);
    gw_server_destroy (&server);
    snprintf (listen, sizeof listen, "127.0.0.1:%d",
              edge_testutil_free_port ());
    server = gw_server_new (&config);
    gw_server_destroy (&server);
    char *log = gw_testhttp_capture_end (saved, log_path);
    const char *first = strstr (log, "EDGE_PUBLIC_URL is empty");
    assert_non_null (first);
    assert_null (strstr (first + 1, "EDGE_PUBLIC_URL is empty"));
    free (log);
}


static void
test_forwarded_https_makes_an_https_upload_url (void **state)
{
    (void) state;
    int fd = gw_testhttp_connect (gw_testhttp_port ());
    const char *body = "{\"appName\":\"game\",\"buildName\":\"v1\"}";
    char head[1024];
    snprintf (head, sizeof head,
              "POST /be/v1/builds HTTP/1.1\r\nHost: edge.example.com\r\n"
              "X-Forwarded-Proto: https\r\nx-rockit-beauth-token: %s\r\n"
              "Content-Type: application/json\r\nContent-Length: %zu\r\n"
              "Connection: close\r\n\r\n%s",
              gw_testhttp_boss (), strlen (body), body);
    gw_testhttp_send (fd, head, strlen (head));
    char reply[4096];
    size_t len = 0;
    for (ssize_t n;
         len < sizeof reply - 1
         && (n = recv (fd, reply + len, sizeof reply - 1 - len, 0)) > 0;)
        len += (size_t) n;
    reply[len] = 0;
    close (fd);
    assert_non_null (strstr (reply, " 202 "));
    assert_non_null (
        strstr (reply, "\"uploadUrl\":\"https://edge.example.com/upload/v1/"));
}


//  Run every test on a file:// depot (is_s3 false) or an s3:// one.
static int
s_run (bool is_s3)
{
    int rc = gw_testhttp_start_depot ("test_gw_upload", is_s3);
    if (rc) {
        gw_testhttp_stop ();
        return rc == 77 ? 77 : 1;
    }
    const struct CMUnitTest tests[] = {
#define S_TEST(name) cmocka_unit_test_setup (name, gw_testhttp_reset)
        S_TEST (
            test_upload_import_answers_an_upload_url_and_stores_only_its_hash),
        S_TEST (test_put_streams_the_tar_into_the_depot_byte_for_byte),
        S_TEST (test_chunked_put_over_the_limit_is_413_and_leaves_no_file),
        S_TEST (test_declared_length_over_the_limit_is_413_at_once),
        S_TEST (test_short_body_is_400_and_the_put_can_be_redone),
        S_TEST (test_put_in_progress_refuses_a_second_put_and_blocks_nothing),
        S_TEST (test_stale_put_is_taken_over_and_its_upload_aborted),
        S_TEST (test_unknown_token_is_401_and_a_body_without_length_411),
        S_TEST (test_expired_upload_url_is_410),
        S_TEST (test_expired_task_makes_the_put_410),
        S_TEST (test_put_beyond_the_parallel_limit_is_503_and_stores_nothing),
        S_TEST (test_put_slower_than_the_minimum_rate_is_408_and_can_be_redone),
        S_TEST (test_put_other_than_the_import_size_is_422_and_empty_400),
        S_TEST (test_empty_put_without_a_size_is_400),
        S_TEST (test_listening_beyond_loopback_without_public_url_warns),
        S_TEST (test_forwarded_https_makes_an_https_upload_url),
#undef S_TEST
    };
    rc = cmocka_run_group_tests_name (is_s3 ? "s3 depot" : "fs depot", tests,
                                      NULL, NULL);
    gw_testhttp_stop ();
    return rc;
}


int
main (void)
{
    int rc = s_run (false);
    if (rc == 0 && system ("command -v npm >/dev/null 2>&1") != 0) {
        fprintf (stderr, "npm is not installed: s3 depot tests skipped\n");
        return 77;
    }
    return rc ? rc : s_run (true);
}
