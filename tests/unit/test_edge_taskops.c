/*  test_edge_taskops - organization-side task operations on real Redis.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "edge_task.h"
#include "edge_taskops.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include <stdlib.h>
#include <string.h>

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;


static void
s_command (const char *fmt, const char *a, const char *b)
{
    redisReply *reply = edge_redis_command (s_redis, fmt, a, b);
    assert_non_null (reply);
    assert_int_not_equal (reply->type, REDIS_REPLY_ERROR);
    freeReplyObject (reply);
}


static void
s_create (const char *org, const char *type, const char *app, char *name)
{
    edge_task_spec_t spec = {.type = type, .org = org, .app = app};
    assert_int_equal (edge_task_create (s_redis, &spec, name), 0);
}


//  Number of events of kind event for task name.
static int
s_events (const char *name, const char *event)
{
    redisReply *reply = edge_redis_command (s_redis, "XRANGE e:events - +");
    assert_non_null (reply);
    int count = 0;
    for (size_t i = 0; i < reply->elements; i++) {
        redisReply *fields = reply->element[i]->element[1];
        bool is_task = false, is_event = false;
        for (size_t j = 0; j + 1 < fields->elements; j += 2) {
            const char *k = fields->element[j]->str;
            const char *v = fields->element[j + 1]->str;
            is_task |= strcmp (k, "taskName") == 0 && strcmp (v, name) == 0;
            is_event |= strcmp (k, "event") == 0 && strcmp (v, event) == 0;
        }
        count += is_task && is_event;
    }
    freeReplyObject (reply);
    return count;
}


static int
s_setup (void **state)
{
    (void) state;
    redisReply *reply = edge_redis_command (s_redis, "FLUSHALL");
    assert_non_null (reply);
    freeReplyObject (reply);
    return 0;
}


static void
test_another_orgs_task_is_not_found (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create ("acme", "hello", NULL, name);
    edge_err_t rc;
    json_t *record = edge_taskops_get (s_redis, "acme", name, &rc);
    assert_non_null (record);
    assert_int_equal (rc, EDGE_ERR_OK);
    json_decref (record);
    assert_null (edge_taskops_get (s_redis, "other", name, &rc));
    assert_int_equal (rc, EDGE_ERR_NOT_FOUND);
    assert_null (edge_taskops_get (s_redis, "acme", "hello_nope", &rc));
    assert_int_equal (rc, EDGE_ERR_NOT_FOUND);
    char type[32];
    assert_int_equal (
        edge_taskops_retry (s_redis, "other", name, "x", type, sizeof type),
        EDGE_ERR_NOT_FOUND);
    assert_int_equal (edge_taskops_acknowledge (s_redis, "other", name),
                      EDGE_ERR_NOT_FOUND);
}


static void
test_only_a_failed_task_is_retried_and_emits_submit (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX], type[32];
    s_create ("acme", "hello", NULL, name);
    assert_int_equal (
        edge_taskops_retry (s_redis, "acme", name, "bob", type, sizeof type),
        EDGE_ERR_CONFLICT);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 10000, &claim),
                      EDGE_ERR_OK);
    assert_int_equal (
        edge_task_fail (s_redis, name, "w1", claim.attempt, "boom", NULL, NULL),
        EDGE_ERR_OK);
    edge_task_claim_fini (&claim);
    assert_int_equal (
        edge_taskops_retry (s_redis, "acme", name, "bob", type, sizeof type),
        EDGE_ERR_OK);
    assert_string_equal (type, "hello");
    edge_err_t rc;
    json_t *record = edge_taskops_get (s_redis, "acme", name, &rc);
    assert_string_equal (json_string_value (json_object_get (record, "state")),
                         "queued");
    assert_int_equal (json_integer_value (json_object_get (record, "attempts")),
                      0);
    assert_true (json_is_null (json_object_get (record, "finished")));
    json_decref (record);
    assert_int_equal (s_events (name, "submit"), 2);
    //  It runs again from attempt 1.
    assert_int_equal (edge_task_claim (s_redis, name, "w2", 10000, &claim),
                      EDGE_ERR_OK);
    assert_int_equal (claim.attempt, 1);
    edge_task_claim_fini (&claim);
}


static void
test_warnings_are_acknowledged_and_stay_visible (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create ("acme", "hello", NULL, name);
    assert_int_equal (edge_taskops_acknowledge (s_redis, "acme", name),
                      EDGE_ERR_CONFLICT);
    char key[96];
    snprintf (key, sizeof key, "e:task:%s", name);
    s_command ("HSET %s warnings %s", key,
               "[{\"code\":\"w1\",\"message\":\"m\",\"acknowledged\":false}]");
    assert_int_equal (edge_taskops_acknowledge (s_redis, "acme", name),
                      EDGE_ERR_OK);
    edge_err_t rc;
    json_t *record = edge_taskops_get (s_redis, "acme", name, &rc);
    json_t *warning = json_array_get (json_object_get (record, "warnings"), 0);
    assert_non_null (warning);
    assert_true (json_is_true (json_object_get (warning, "acknowledged")));
    assert_string_equal (json_string_value (json_object_get (warning, "code")),
                         "w1");
    json_decref (record);
}


static void
test_only_a_waiting_upload_expires (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create ("acme", "dltar", "game", name);
    assert_int_equal (edge_taskops_expire (s_redis, "acme", name, "bob"),
                      EDGE_ERR_CONFLICT);
    char key[96];
    snprintf (key, sizeof key, "e:task:%s", name);
    s_command ("HSET %s state %s", key, "waiting");
    assert_int_equal (edge_taskops_expire (s_redis, "acme", name, "bob"),
                      EDGE_ERR_OK);
    assert_int_equal (s_events (name, "error"), 1);
    edge_err_t rc;
    json_t *record = edge_taskops_get (s_redis, "acme", name, &rc);
    assert_string_equal (json_string_value (json_object_get (record, "state")),
                         "expired");
    json_decref (record);
    assert_int_equal (edge_taskops_expire (s_redis, "acme", name, "bob"),
                      EDGE_ERR_CONFLICT);
}


static void
test_list_filters_pages_and_orders (void **state)
{
    (void) state;
    char names[6][EDGE_TASK_NAME_MAX], other[EDGE_TASK_NAME_MAX];
    const char *apps[] = {"SpaceGame", "spacegame2", "Racer",
                          NULL,        "Racer",      "space"};
    for (int i = 0; i < 6; i++) {
        s_create ("acme", i < 3 ? "dltar" : "hello", apps[i], names[i]);
        char score[24];
        snprintf (score, sizeof score, "%d", 1000 + i); //  distinct times
        s_command ("ZADD e:{acme}:tasks %s %s", score, names[i]);
    }
    s_create ("zeta", "dltar", "SpaceGame", other);
    edge_taskops_query_t query = {.org = "acme", .limit = 10};
    int64_t total = 0;
    json_t *items = edge_taskops_list (s_redis, &query, &total);
    assert_int_equal (total, 6);
    assert_int_equal (json_array_size (items), 6);
    const char *first =
        json_string_value (json_object_get (json_array_get (items, 0), "name"));
    assert_string_equal (first, names[5]); //  newest first
    json_decref (items);

    query.app_contains = "SPACE";
    items = edge_taskops_list (s_redis, &query, &total);
    assert_int_equal (total, 3); //  SpaceGame, spacegame2, space
    json_decref (items);
    query.type = "dltar";
    items = edge_taskops_list (s_redis, &query, &total);
    assert_int_equal (total, 2);
    json_decref (items);

    edge_taskops_query_t page = {.org = "acme",
                                 .offset = 4,
                                 .limit = 10,
                                 .order = EDGE_TASKOPS_OLDEST_FIRST};
    items = edge_taskops_list (s_redis, &page, &total);
    assert_int_equal (total, 6);
    assert_int_equal (json_array_size (items), 2);
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (items, 0), "name")),
        names[4]);
    json_decref (items);

    edge_taskops_query_t window = {.org = "acme",
                                   .limit = 10,
                                   .created_after_ms = 1001,
                                   .created_before_ms = 1004};
    items = edge_taskops_list (s_redis, &window, &total);
    assert_int_equal (total, 2); //  1002 and 1003
    json_decref (items);
    edge_taskops_query_t none = {.org = "nobody", .limit = 10};
    items = edge_taskops_list (s_redis, &none, &total);
    assert_int_equal (total, 0);
    json_decref (items);
}


int
main (void)
{
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 3000);
    if (rc)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_another_orgs_task_is_not_found, s_setup),
        cmocka_unit_test_setup (
            test_only_a_failed_task_is_retried_and_emits_submit, s_setup),
        cmocka_unit_test_setup (test_warnings_are_acknowledged_and_stay_visible,
                                s_setup),
        cmocka_unit_test_setup (test_only_a_waiting_upload_expires, s_setup),
        cmocka_unit_test_setup (test_list_filters_pages_and_orders, s_setup),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    edge_testutil_redis_close (&s_server, &s_redis);
    return rc;
}
