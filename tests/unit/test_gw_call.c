/*  test_gw_call - the handler kit against a real Redis: a call's keys and
    arguments reach the script in order (pairs with NULL left out), "ok"
    and success rows hand the reply back, a status word of the table sets
    its answer (status, code, field, message with {} / {org} / {n}),
    anything else is a Redis failure (503 unreachable, 500 unexpected);
    gw_hash_json renders each kind of row.  */
#include "edge_log.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_hash.h"
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static edge_testutil_redis_t s_server;
static gw_thread_t *s_thread;

//  Answers {word, KEYS..., '|', ARGV...}: word is ARGV[1].
static edge_redis_script_t s_echo = {
    .name = "test/echo",
    .source = "local out = {ARGV[1]}\n"
              "for _, k in ipairs(KEYS) do out[#out + 1] = k end\n"
              "out[#out + 1] = '|'\n"
              "for i = 2, #ARGV do out[#out + 1] = ARGV[i] end\n"
              "return out\n"};

static const gw_call_answer_t s_answers[] = {
    {"conflict", EDGE_ERR_CONFLICT, "name", "thing '{}' already exists"},
    {"no_org", EDGE_ERR_NOT_FOUND, NULL, "organization '{org}' not found"},
    {"in_use", EDGE_ERR_ROLE_IN_USE, NULL, "'{}' held by {3} user(s) {9}."},
    {"unchanged", EDGE_ERR_OK, NULL, NULL},
    {NULL}};


static gw_req_t *
s_req (void)
{
    gw_req_source_t source = {"POST", "/be/v1/things", NULL, -1,
                              NULL,   NULL,            NULL};
    gw_req_t *req = gw_req_new (&source);
    gw_principal_t principal = {0};
    snprintf (principal.org, sizeof principal.org, "acme");
    snprintf (principal.username, sizeof principal.username, "ann");
    gw_req_set_principal (req, &principal);
    return req;
}


//  Run s_echo with word and the standard call; returns the reply or NULL.
static redisReply *
s_run (gw_req_t *req, const char *word)
{
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key (&call, "k1");
    gw_call_key_take (&call, edge_sprintf ("k%d", 2));
    gw_call_arg (&call, word);
    gw_call_int (&call, -42);
    gw_call_argf (&call, "%s-%d", "x", 7);
    gw_call_pair (&call, "label", NULL);
    gw_call_pair (&call, "title", "boss");
    return gw_call_run (&call, s_thread, &s_echo, s_answers, "widget");
}


static const char *
s_error (gw_req_t *req, const char *member)
{
    size_t len;
    json_t *body = json_loads (gw_req_reply_body (req, &len), 0, NULL);
    assert_non_null (body);
    static char out[512];
    json_t *value = json_object_get (json_object_get (body, "error"), member);
    snprintf (out, sizeof out, "%s",
              json_is_string (value) ? json_string_value (value) : "(none)");
    json_decref (body);
    return out;
}


static void
test_ok_hands_back_the_reply_with_everything_in_order (void **state)
{
    (void) state;
    gw_req_t *req = s_req ();
    redisReply *reply = s_run (req, "ok");
    assert_non_null (reply);
    const char *want[] = {"ok", "k1", "k2", "|", "-42", "x-7", "title", "boss"};
    assert_int_equal (reply->elements, EDGE_COUNT (want));
    for (size_t i = 0; i < EDGE_COUNT (want); i++)
        assert_string_equal (reply->element[i]->str, want[i]);
    freeReplyObject (reply);
    reply = s_run (req, "unchanged"); //  a success row
    assert_non_null (reply);
    assert_true (edge_redis_script_is (reply, "unchanged"));
    freeReplyObject (reply);
    gw_req_destroy (&req);
}


static void
test_a_row_sets_its_answer (void **state)
{
    (void) state;
    gw_req_t *req = s_req ();
    assert_null (s_run (req, "conflict"));
    assert_int_equal (gw_req_status (req), 409);
    assert_string_equal (s_error (req, "code"), "conflict");
    assert_string_equal (s_error (req, "field"), "name");
    assert_string_equal (s_error (req, "message"),
                         "thing 'widget' already exists");
    gw_req_destroy (&req);

    req = s_req ();
    assert_null (s_run (req, "no_org"));
    assert_int_equal (gw_req_status (req), 404);
    assert_string_equal (s_error (req, "code"), "not_found");
    assert_string_equal (s_error (req, "field"), "(none)");
    assert_string_equal (s_error (req, "message"),
                         "organization 'acme' not found");
    gw_req_destroy (&req);

    //  {3} is the answer's element 3 after the word ("|"), {9} is past
    //  the end: empty.
    req = s_req ();
    assert_null (s_run (req, "in_use"));
    assert_int_equal (gw_req_status (req), 409);
    assert_string_equal (s_error (req, "code"), "role_in_use");
    assert_string_equal (s_error (req, "message"), "'widget' held by | user(s) .");
    gw_req_destroy (&req);
}


static void
test_anything_else_is_a_redis_failure (void **state)
{
    (void) state;
    gw_req_t *req = s_req ();
    assert_null (s_run (req, "surprise"));
    assert_int_equal (gw_req_status (req), 500);
    assert_string_equal (s_error (req, "code"), "internal");
    gw_req_destroy (&req);

    req = s_req ();
    redisReply *reply = gw_call_answer (req, NULL, s_answers, "w", "test");
    assert_null (reply);
    assert_int_equal (gw_req_status (req), 503);
    assert_string_equal (s_error (req, "code"), "redis_unavailable");
    gw_req_destroy (&req);
}


static void
test_fail_uses_the_vocabulary (void **state)
{
    (void) state;
    gw_req_t *req = s_req ();
    gw_call_fail (req, EDGE_ERR_APP_LOCKED, "appName", "app '%s' is locked",
                  "a");
    assert_int_equal (gw_req_status (req), 409);
    assert_string_equal (s_error (req, "code"), "app_locked");
    assert_string_equal (s_error (req, "field"), "appName");
    assert_string_equal (s_error (req, "message"), "app 'a' is locked");
    gw_req_destroy (&req);
}


//  Outside a request (gw_ident's calls): the call keeps what it took
//  until gw_call_fini (ASan's leak check holds it to that).
static void
test_a_call_without_a_request (void **state)
{
    (void) state;
    gw_call_t call;
    gw_call_init (&call, NULL);
    gw_call_key_take (&call, edge_sprintf ("k%d", 1));
    gw_call_arg (&call, "ok");
    gw_call_argf (&call, "%s", "x");
    gw_call_int (&call, 5);
    redisReply *reply =
        gw_call_eval_on (&call, gw_thread_redis (s_thread), &s_echo);
    assert_int_equal (call.nowned, 3); //  the key, "x" and "5"
    gw_call_fini (&call);
    assert_int_equal (call.nowned, 0);
    const char *want[] = {"ok", "k1", "|", "x", "5"};
    assert_non_null (reply);
    assert_int_equal (reply->elements, EDGE_COUNT (want));
    for (size_t i = 0; i < EDGE_COUNT (want); i++)
        assert_string_equal (reply->element[i]->str, want[i]);
    freeReplyObject (reply);
}


static void
test_hash_rows (void **state)
{
    (void) state;
    edge_redis_t *redis = gw_thread_redis (s_thread);
    freeReplyObject (edge_redis_command (
        redis, "HSET h name a n 12 b 1 f 0 arr [1,2] obj {\"x\":1} bad nope"));
    redisReply *hash = edge_redis_command (redis, "HGETALL h");
    static const gw_hash_row_t rows[] = {
        {"name", GW_HASH_TEXT, NULL, 0},
        {"label", GW_HASH_TEXT, NULL, 0},
        {"count", GW_HASH_INT, "n", 0},
        {"missing", GW_HASH_INT, NULL, 5},
        {"yes", GW_HASH_BOOL, "b", 0},
        {"no", GW_HASH_BOOL, "f", 0},
        {"list", GW_HASH_ARRAY, "arr", 0},
        {"noList", GW_HASH_ARRAY, "bad", 0},
        {"object", GW_HASH_OBJECT, "obj", 0},
        {"notObject", GW_HASH_OBJECT, "arr", 0},
        {"any", GW_HASH_JSON, "arr", 0},
    };
    json_t *obj = gw_hash_json (hash, rows, EDGE_COUNT (rows));
    char *text = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal (
        text, "{\"name\":\"a\",\"label\":null,\"count\":12,\"missing\":5,"
              "\"yes\":true,\"no\":false,\"list\":[1,2],\"noList\":[],"
              "\"object\":{\"x\":1},\"notObject\":null,\"any\":[1,2]}");
    free (text);
    json_decref (obj);
    freeReplyObject (hash);
}


static int
s_setup (void **state)
{
    (void) state;
    edge_log_init ("test");
    int rc = edge_testutil_redis_start (&s_server);
    if (rc)
        return rc;
    char broker[64];
    snprintf (broker, sizeof broker, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    s_thread = gw_thread_new (s_server.url, 5000, broker);
    return s_thread ? 0 : -1;
}


static int
s_teardown (void **state)
{
    (void) state;
    gw_thread_destroy (&s_thread);
    edge_testutil_redis_stop (&s_server);
    return 0;
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ok_hands_back_the_reply_with_everything_in_order),
        cmocka_unit_test (test_a_row_sets_its_answer),
        cmocka_unit_test (test_anything_else_is_a_redis_failure),
        cmocka_unit_test (test_fail_uses_the_vocabulary),
        cmocka_unit_test (test_a_call_without_a_request),
        cmocka_unit_test (test_hash_rows),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
