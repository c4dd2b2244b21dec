/*  test_gw_req - request scope: request ids, body limits (413), content
    types (415), JSON bodies, the error format and scope allocations.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_req.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

//  A fake client: headers as name/value pairs, a body handed out in
//  chunks, and a count of read calls.
typedef struct {
    const char *headers[8][2];
    const char *body;
    size_t body_len;
    size_t pos;
    size_t chunk; //  bytes per read (0 = all)
    int reads;
    bool is_failing;
} s_client_t;


static const char *
s_header (void *source, const char *name)
{
    s_client_t *client = source;
    for (int i = 0; i < 8 && client->headers[i][0]; i++)
        if (strcasecmp (client->headers[i][0], name) == 0)
            return client->headers[i][1];
    return NULL;
}


static int
s_read (void *source, void *buf, size_t len)
{
    s_client_t *client = source;
    client->reads++;
    if (client->is_failing)
        return -1;
    size_t left = client->body_len - client->pos;
    size_t n = left < len ? left : len;
    if (client->chunk && n > client->chunk)
        n = client->chunk;
    memcpy (buf, client->body + client->pos, n);
    client->pos += n;
    return (int) n;
}


static gw_req_t *
s_req (s_client_t *client, const char *method, long long content_length)
{
    gw_req_source_t source = {method,   "/adm/v1/hello", NULL,  content_length,
                              s_header, s_read,          client};
    return gw_req_new (&source);
}


static void
test_constructor_and_destroy_nulls (void **state)
{
    (void) state;
    s_client_t client = {0};
    gw_req_t *req = s_req (&client, "GET", -1);
    assert_non_null (req);
    assert_string_equal (gw_req_method (req), "GET");
    assert_string_equal (gw_req_path (req), "/adm/v1/hello");
    assert_int_equal (gw_req_status (req), 0);
    assert_null (gw_req_identity (req));
    gw_req_destroy (&req);
    assert_null (req);
    gw_req_destroy (&req);
    gw_req_destroy (NULL);
}


static bool
s_is_hex16 (const char *text)
{
    if (strlen (text) != 16)
        return false;
    for (const char *p = text; *p; p++)
        if (!strchr ("0123456789abcdef", *p))
            return false;
    return true;
}


static void
test_request_id_is_echoed_only_when_valid (void **state)
{
    (void) state;
    s_client_t client = {.headers = {{"X-Request-Id", "abc-123:x.y_z"}}};
    gw_req_t *req = s_req (&client, "GET", -1);
    assert_string_equal (gw_req_id (req), "abc-123:x.y_z");
    gw_req_destroy (&req);
    const char *bad[] = {"has space", "", "new\nline", "quote\"", NULL};
    for (size_t i = 0; i < 5; i++) {
        s_client_t other = {.headers = {{"x-request-id", bad[i]}}};
        if (!bad[i])
            other.headers[0][0] = NULL;
        req = s_req (&other, "GET", -1);
        assert_true (s_is_hex16 (gw_req_id (req)));
        gw_req_destroy (&req);
    }
    char long_id[200];
    memset (long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    s_client_t longer = {.headers = {{"x-request-id", long_id}}};
    req = s_req (&longer, "GET", -1);
    assert_true (s_is_hex16 (gw_req_id (req)));
    gw_req_destroy (&req);
}


static void
test_declared_body_over_limit_is_413_without_reading (void **state)
{
    (void) state;
    s_client_t client = {.headers = {{"Content-Type", "application/json"}},
                         .body = "{}",
                         .body_len = 2};
    gw_req_t *req = s_req (&client, "POST", 5000);
    edge_json_err_t err;
    assert_int_equal (gw_req_read_body (req, 4096, &err), -1);
    assert_int_equal (err.status, 413);
    assert_string_equal (err.code, "payload_too_large");
    assert_int_equal (client.reads, 0);
    assert_true (gw_req_must_close (req));
    gw_req_destroy (&req);
}


static void
test_body_within_limit_is_read_whole (void **state)
{
    (void) state;
    const char *json = "{\"message\":\"hi\",\"maintenance\":false}";
    s_client_t client = {
        .headers = {{"content-type", "application/json; charset=utf-8"}},
        .body = json,
        .body_len = strlen (json),
        .chunk = 3};
    gw_req_t *req = s_req (&client, "POST", (long long) strlen (json));
    edge_json_err_t err;
    assert_int_equal (gw_req_read_body (req, 1024, &err), 0);
    size_t len;
    assert_string_equal (gw_req_body (req, &len), json);
    assert_int_equal (len, strlen (json));
    assert_false (gw_req_must_close (req));
    //  Reading again is a no-op
    int reads = client.reads;
    assert_int_equal (gw_req_read_body (req, 1024, &err), 0);
    assert_int_equal (client.reads, reads);
    json_t *value = gw_req_json (req, &err);
    assert_non_null (value);
    assert_string_equal (json_string_value (json_object_get (value, "message")),
                         "hi");
    gw_req_destroy (&req);
}


static void
test_body_exactly_at_limit_is_accepted (void **state)
{
    (void) state;
    char body[1024];
    memset (body, ' ', sizeof body);
    body[0] = '1';
    s_client_t client = {.headers = {{"Content-Type", "application/json"}},
                         .body = body,
                         .body_len = sizeof body};
    gw_req_t *req = s_req (&client, "POST", sizeof body);
    edge_json_err_t err;
    assert_int_equal (gw_req_read_body (req, sizeof body, &err), 0);
    gw_req_destroy (&req);
    //  The same bytes chunked, no length declared
    s_client_t chunked = {.headers = {{"Content-Type", "application/json"},
                                      {"Transfer-Encoding", "chunked"}},
                          .body = body,
                          .body_len = sizeof body,
                          .chunk = 100};
    req = s_req (&chunked, "POST", -1);
    assert_int_equal (gw_req_read_body (req, sizeof body, &err), 0);
    size_t len;
    gw_req_body (req, &len);
    assert_int_equal (len, sizeof body);
    gw_req_destroy (&req);
}


static void
test_chunked_body_over_limit_is_413 (void **state)
{
    (void) state;
    static char body[100000];
    memset (body, 'x', sizeof body);
    s_client_t client = {.headers = {{"Content-Type", "application/json"},
                                     {"Transfer-Encoding", "chunked"}},
                         .body = body,
                         .body_len = sizeof body,
                         .chunk = 512};
    gw_req_t *req = s_req (&client, "POST", -1);
    edge_json_err_t err;
    assert_int_equal (gw_req_read_body (req, 2048, &err), -1);
    assert_int_equal (err.status, 413);
    assert_true (gw_req_must_close (req));
    //  It stopped soon after passing the limit
    assert_true (client.pos <= 2048 + 512);
    gw_req_destroy (&req);
}


static void
test_short_or_failing_body_is_400 (void **state)
{
    (void) state;
    s_client_t client = {.headers = {{"Content-Type", "application/json"}},
                         .body = "{\"a\":1}",
                         .body_len = 7};
    gw_req_t *req = s_req (&client, "POST", 100);
    edge_json_err_t err;
    assert_int_equal (gw_req_read_body (req, 1024, &err), -1);
    assert_int_equal (err.status, 400);
    assert_true (gw_req_must_close (req));
    gw_req_destroy (&req);
    s_client_t failing = {.headers = {{"Content-Type", "application/json"}},
                          .is_failing = true};
    req = s_req (&failing, "POST", 10);
    assert_int_equal (gw_req_read_body (req, 1024, &err), -1);
    assert_int_equal (err.status, 400);
    gw_req_destroy (&req);
}


static void
test_body_with_other_content_type_is_415 (void **state)
{
    (void) state;
    const char *types[] = {"text/plain", "application/jsonx",
                           "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x", NULL};
    for (size_t i = 0; i < 5; i++) {
        s_client_t client = {.headers = {{"Content-Type", types[i]}},
                             .body = "{}",
                             .body_len = 2};
        if (!types[i])
            client.headers[0][0] = NULL;
        gw_req_t *req = s_req (&client, "POST", 2);
        edge_json_err_t err;
        assert_int_equal (gw_req_read_body (req, 1024, &err), -1);
        assert_int_equal (err.status, 415);
        assert_string_equal (err.code, "unsupported_media_type");
        gw_req_destroy (&req);
    }
    const char *good[] = {"application/json", "Application/JSON",
                          "application/json;charset=UTF-8",
                          " application/json ; charset=utf-8"};
    for (size_t i = 0; i < 4; i++) {
        s_client_t client = {.headers = {{"Content-Type", good[i]}},
                             .body = "{}",
                             .body_len = 2};
        gw_req_t *req = s_req (&client, "POST", 2);
        edge_json_err_t err;
        assert_int_equal (gw_req_read_body (req, 1024, &err), 0);
        gw_req_destroy (&req);
    }
}


static void
test_no_body_needs_no_content_type (void **state)
{
    (void) state;
    s_client_t client = {.body = "ignored", .body_len = 7};
    gw_req_t *req = s_req (&client, "GET", -1);
    edge_json_err_t err;
    assert_int_equal (gw_req_read_body (req, 1024, &err), 0);
    assert_int_equal (client.reads, 0);
    size_t len;
    assert_string_equal (gw_req_body (req, &len), "");
    assert_int_equal (len, 0);
    assert_null (gw_req_json (req, &err));
    assert_int_equal (err.status, 400);
    assert_string_equal (err.code, "malformed_json");
    gw_req_destroy (&req);
    //  Content-Length: 0 is no body either
    req = s_req (&client, "POST", 0);
    assert_int_equal (gw_req_read_body (req, 1024, &err), 0);
    gw_req_destroy (&req);
}


static void
test_unread_body_means_the_connection_must_close (void **state)
{
    (void) state;
    s_client_t client = {.headers = {{"Content-Type", "application/json"}},
                         .body = "{}",
                         .body_len = 2};
    gw_req_t *req = s_req (&client, "POST", 2);
    assert_true (gw_req_must_close (req));
    edge_json_err_t err;
    assert_int_equal (gw_req_read_body (req, 1024, &err), 0);
    assert_false (gw_req_must_close (req));
    gw_req_destroy (&req);
    s_client_t chunked = {.headers = {{"Transfer-Encoding", "chunked"}}};
    req = s_req (&chunked, "POST", -1);
    assert_true (gw_req_must_close (req));
    gw_req_destroy (&req);
    s_client_t none = {0};
    req = s_req (&none, "GET", -1);
    assert_false (gw_req_must_close (req));
    gw_req_destroy (&req);
}


static void
test_malformed_json_body_is_400 (void **state)
{
    (void) state;
    s_client_t client = {.headers = {{"Content-Type", "application/json"}},
                         .body = "{\"a\":",
                         .body_len = 5};
    gw_req_t *req = s_req (&client, "POST", 5);
    edge_json_err_t err;
    assert_int_equal (gw_req_read_body (req, 1024, &err), 0);
    assert_null (gw_req_json (req, &err));
    assert_int_equal (err.status, 400);
    assert_string_equal (err.code, "malformed_json");
    gw_req_destroy (&req);
}


static void
test_error_reply_has_the_documented_shape (void **state)
{
    (void) state;
    s_client_t client = {0};
    gw_req_t *req = s_req (&client, "GET", -1);
    gw_req_reply_fail (req, 404, "not_found", NULL, "task '%s' not found",
                       "x_y");
    size_t len;
    assert_string_equal (gw_req_reply_body (req, &len),
                         "{\"error\":{\"status\":404,\"code\":\"not_found\","
                         "\"message\":\"task 'x_y' not found\"}}");
    assert_int_equal (gw_req_status (req), 404);
    assert_string_equal (gw_req_content_type (req),
                         "application/json; charset=utf-8");
    gw_req_reply_fail (req, 400, "invalid_field", "message", "bad \xff byte");
    assert_string_equal (
        gw_req_reply_body (req, &len),
        "{\"error\":{\"status\":400,\"code\":\"invalid_field\","
        "\"message\":\"bad ? byte\",\"field\":\"message\"}}");
    assert_int_equal (len, strlen (gw_req_reply_body (req, NULL)));
    gw_req_destroy (&req);
}


static void
test_scope_owns_allocations_params_and_headers (void **state)
{
    (void) state;
    s_client_t client = {0};
    gw_req_t *req = s_req (&client, "GET", -1);
    for (int i = 0; i < 100; i++) {
        char *text = gw_req_sprintf (req, "item %d", i);
        assert_string_equal (gw_req_strdup (req, text), text);
        gw_req_adopt_json (req, json_pack ("{s:i}", "i", i));
        gw_req_adopt (req, malloc (10));
    }
    assert_null (gw_req_strdup (req, NULL));
    assert_null (gw_req_adopt_json (req, NULL));
    gw_req_param_add (req, "taskName", "abcdef", 3);
    assert_string_equal (gw_req_param (req, "taskName"), "abc");
    gw_req_set_identity (req, "admin");
    assert_string_equal (gw_req_identity (req), "admin");
    gw_req_reply_header (req, "Location", "/adm/v1/tasks/abc");
    gw_req_reply_json (req, 202, json_pack ("{s:s}", "taskName", "abc"));
    assert_int_equal (gw_req_reply_header_count (req), 1);
    const char *name, *value;
    gw_req_reply_header_at (req, 0, &name, &value);
    assert_string_equal (name, "Location");
    assert_string_equal (value, "/adm/v1/tasks/abc");
    assert_string_equal (gw_req_reply_body (req, NULL),
                         "{\"taskName\":\"abc\"}");
    gw_req_destroy (&req); //  ASan checks everything was freed
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_constructor_and_destroy_nulls),
        cmocka_unit_test (test_request_id_is_echoed_only_when_valid),
        cmocka_unit_test (test_declared_body_over_limit_is_413_without_reading),
        cmocka_unit_test (test_body_within_limit_is_read_whole),
        cmocka_unit_test (test_body_exactly_at_limit_is_accepted),
        cmocka_unit_test (test_chunked_body_over_limit_is_413),
        cmocka_unit_test (test_short_or_failing_body_is_400),
        cmocka_unit_test (test_body_with_other_content_type_is_415),
        cmocka_unit_test (test_no_body_needs_no_content_type),
        cmocka_unit_test (test_unread_body_means_the_connection_must_close),
        cmocka_unit_test (test_malformed_json_body_is_400),
        cmocka_unit_test (test_error_reply_has_the_documented_shape),
        cmocka_unit_test (test_scope_owns_allocations_params_and_headers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
