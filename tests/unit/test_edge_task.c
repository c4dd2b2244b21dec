/*  test_edge_task - the task store against a real redis-server: records,
    claims with fencing, results, release, the reaper, and the events every
    transition appends.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_task.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;


static int
s_flush (void **state)
{
    (void) state;
    redisReply *reply = edge_redis_command (s_redis, "FLUSHALL");
    int rc = reply && reply->type == REDIS_REPLY_STATUS ? 0 : -1;
    freeReplyObject (reply);
    return rc;
}


//  Create a hello task (admin, no org) into name.
static void
s_create_hello (char *name)
{
    edge_task_spec_t spec = {.type = "hello",
                             .params = "{\"message\":\"hi\"}",
                             .created_by = "tester"};
    assert_int_equal (edge_task_create (s_redis, &spec, name), 0);
}


//  Events of task name, oldest first, as JSON objects. Caller owns.
static json_t *
s_events (const char *name)
{
    redisReply *reply = edge_redis_command (s_redis, "XRANGE e:events - +");
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_ARRAY);
    json_t *events = json_array ();
    for (size_t i = 0; i < reply->elements; i++) {
        redisReply *fields = reply->element[i]->element[1];
        json_t *event = json_object ();
        for (size_t f = 0; f + 1 < fields->elements; f += 2)
            json_object_set_new (event, fields->element[f]->str,
                                 json_string (fields->element[f + 1]->str));
        if (strcmp (json_string_value (json_object_get (event, "taskName")),
                    name)
            == 0)
            json_array_append (events, event);
        json_decref (event);
    }
    freeReplyObject (reply);
    return events;
}


//  The field of the index-th event of name ("" when absent). Borrowed
//  from a static copy: valid until the next call.
static const char *
s_event_field (const char *name, size_t index, const char *field)
{
    static char value[512];
    json_t *events = s_events (name);
    const char *text = json_string_value (
        json_object_get (json_array_get (events, index), field));
    snprintf (value, sizeof value, "%s", text ? text : "");
    json_decref (events);
    return value;
}


static size_t
s_event_count (const char *name)
{
    json_t *events = s_events (name);
    size_t count = json_array_size (events);
    json_decref (events);
    return count;
}


//  Score of member in zset key, or -1 when absent.
static long long
s_score (const char *key, const char *member)
{
    redisReply *reply =
        edge_redis_command (s_redis, "ZSCORE %s %s", key, member);
    long long score =
        reply && reply->type == REDIS_REPLY_STRING ? atoll (reply->str) : -1;
    freeReplyObject (reply);
    return score;
}


static json_t *
s_get (const char *name)
{
    bool is_redis_error = true;
    json_t *task = edge_task_get (s_redis, name, &is_redis_error);
    assert_false (is_redis_error);
    assert_non_null (task);
    return task;
}


static const char *
s_str (json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}


//  "e:task:<name>" (static copy).
static const char *
s_task_key (const char *name)
{
    static char key[96];
    snprintf (key, sizeof key, "e:task:%s", name);
    return key;
}


static void
test_created_task_reads_back_with_the_public_shape (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create_hello (name);
    assert_true (edge_name_is_valid (name));
    assert_int_equal (strncmp (name, "hello_", 6), 0);
    json_t *task = s_get (name);
    assert_string_equal (s_str (task, "name"), name);
    assert_string_equal (s_str (task, "type"), "hello");
    assert_string_equal (s_str (task, "group"), name);
    assert_string_equal (s_str (task, "state"), "queued");
    assert_int_equal (json_integer_value (json_object_get (task, "attempts")),
                      0);
    assert_int_equal (strlen (s_str (task, "created")), 24);
    const char *nulls[] = {"orgName", "appName",  "buildName", "dxfName",
                           "started", "finished", "progress",  "exception",
                           "error",   "result",   "message",   "worker"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (!json_is_null (json_object_get (task, nulls[i])))
            fail_msg ("%s is not null", nulls[i]);
    assert_true (json_is_array (json_object_get (task, "warnings")));
    assert_int_equal (json_array_size (json_object_get (task, "warnings")), 0);
    assert_null (json_object_get (task, "leaseUntil"));
    assert_null (json_object_get (task, "params"));
    assert_null (json_object_get (task, "owner"));
    json_decref (task);
    assert_true (s_score ("e:tasks:queued", name) > 0);
    assert_int_equal (s_event_count (name), 1);
    assert_string_equal (s_event_field (name, 0, "event"), "submit");
}


static void
test_org_task_is_indexed_and_its_event_names_the_build (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    edge_task_spec_t spec = {.type = "dltar",
                             .org = "acme",
                             .group = "grp_1",
                             .app = "game",
                             .build = "b1",
                             .params = "{\"url\":\"http://x\"}"};
    assert_int_equal (edge_task_create (s_redis, &spec, name), 0);
    assert_true (s_score ("e:{acme}:tasks", name) > 0);
    json_t *task = s_get (name);
    assert_string_equal (s_str (task, "orgName"), "acme");
    assert_string_equal (s_str (task, "group"), "grp_1");
    assert_string_equal (s_str (task, "appName"), "game");
    assert_string_equal (s_str (task, "buildName"), "b1");
    json_decref (task);
    json_t *events = s_events (name);
    json_t *submit = json_array_get (events, 0);
    assert_string_equal (s_str (submit, "taskName"), name);
    assert_string_equal (s_str (submit, "type"), "dltar");
    assert_string_equal (s_str (submit, "event"), "submit");
    assert_string_equal (s_str (submit, "orgName"), "acme");
    assert_string_equal (s_str (submit, "appName"), "game");
    assert_string_equal (s_str (submit, "buildName"), "b1");
    assert_null (json_object_get (submit, "dxfName"));
    assert_int_equal (strlen (s_str (submit, "timestamp")), 24);
    assert_true (atoll (s_str (submit, "createdMs")) > 0);
    json_decref (events);
}


static void
test_missing_task_reads_as_absent_not_as_an_error (void **state)
{
    (void) state;
    bool is_redis_error = true;
    assert_null (edge_task_get (s_redis, "hello_nope", &is_redis_error));
    assert_false (is_redis_error);
    edge_task_claim_t claim;
    assert_int_equal (
        edge_task_claim (s_redis, "hello_nope", "w1", 1000, &claim),
        EDGE_ERR_GONE);
    edge_task_claim_fini (&claim);
    edge_task_claim_fini (NULL);
}


static void
test_a_task_is_claimed_once_and_the_second_claim_is_gone (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create_hello (name);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 30000, &claim),
                      EDGE_ERR_OK);
    assert_string_equal (claim.name, name);
    assert_string_equal (claim.type, "hello");
    assert_string_equal (claim.org, "");
    assert_string_equal (claim.params, "{\"message\":\"hi\"}");
    assert_int_equal (claim.attempt, 1);
    edge_task_claim_fini (&claim);
    assert_null (claim.name);
    assert_int_equal (edge_task_claim (s_redis, name, "w2", 30000, &claim),
                      EDGE_ERR_GONE);

    json_t *task = s_get (name);
    assert_string_equal (s_str (task, "state"), "running");
    assert_string_equal (s_str (task, "worker"), "w1");
    assert_non_null (s_str (task, "started"));
    assert_non_null (s_str (task, "leaseUntil"));
    json_decref (task);
    assert_int_equal (s_score ("e:tasks:queued", name), -1);
    assert_true (s_score ("e:tasks:leases", name) > edge_now_ms () + 20000);
    assert_int_equal (s_event_count (name), 2);
    assert_string_equal (s_event_field (name, 1, "event"), "begin");
    assert_string_equal (s_event_field (name, 1, "attempt"), "1");
}


static void
test_only_the_current_owner_and_attempt_record_one_result (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create_hello (name);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 30000, &claim),
                      EDGE_ERR_OK);
    const char *result = "{\"reply\":\"Hello, hi\",\"buildChanged\":true}";
    assert_int_equal (edge_task_succeed (s_redis, name, "w1", 2, result),
                      EDGE_ERR_GONE);
    assert_int_equal (edge_task_succeed (s_redis, name, "w2", 1, result),
                      EDGE_ERR_GONE);
    assert_int_equal (edge_task_fail (s_redis, name, "w1", 0, "x", NULL, NULL),
                      EDGE_ERR_GONE);
    assert_int_equal (edge_task_succeed (s_redis, name, "w1", 1, result),
                      EDGE_ERR_OK);
    assert_int_equal (edge_task_succeed (s_redis, name, "w1", 1, "{}"),
                      EDGE_ERR_GONE);
    assert_int_equal (
        edge_task_fail (s_redis, name, "w1", 1, "late", NULL, NULL),
        EDGE_ERR_GONE);
    assert_int_equal (edge_task_renew (s_redis, name, "w1", 1, 1000),
                      EDGE_ERR_GONE);
    assert_int_equal (edge_task_release (s_redis, name, "w1", 1),
                      EDGE_ERR_GONE);
    edge_task_claim_fini (&claim);

    json_t *task = s_get (name);
    assert_string_equal (s_str (task, "state"), "succeeded");
    assert_string_equal (s_str (json_object_get (task, "result"), "reply"),
                         "Hello, hi");
    assert_non_null (s_str (task, "finished"));
    assert_string_equal (s_str (task, "worker"), "w1");
    assert_null (json_object_get (task, "leaseUntil"));
    json_decref (task);
    assert_int_equal (s_score ("e:tasks:leases", name), -1);
    assert_int_equal (s_event_count (name), 3);
    assert_string_equal (s_event_field (name, 2, "event"), "end");
    assert_string_equal (s_event_field (name, 2, "attempt"), "1");
    assert_string_equal (s_event_field (name, 2, "buildChanged"), "true");
}


//  Claims and outcomes of several tasks in one round trip each: the same
//  answers and records as one by one, fencing included.
static void
test_many_claims_and_outcomes_go_in_one_round_trip (void **state)
{
    (void) state;
    char a[EDGE_TASK_NAME_MAX], b[EDGE_TASK_NAME_MAX], c[EDGE_TASK_NAME_MAX];
    s_create_hello (a);
    s_create_hello (b);
    s_create_hello (c);
    edge_task_claim_t taken;
    assert_int_equal (edge_task_claim (s_redis, b, "w0", 30000, &taken),
                      EDGE_ERR_OK); //  b is someone else's already
    const char *names[] = {a, b, c};
    edge_task_claim_t claims[3];
    edge_err_t rcs[3];
    edge_task_claim_many (s_redis, names, 3, "w1", 30000, claims, rcs);
    assert_int_equal (rcs[0], EDGE_ERR_OK);
    assert_int_equal (rcs[1], EDGE_ERR_GONE);
    assert_int_equal (rcs[2], EDGE_ERR_OK);
    assert_string_equal (claims[0].name, a);
    assert_string_equal (claims[0].type, "hello");
    assert_string_equal (claims[0].params, "{\"message\":\"hi\"}");
    assert_int_equal (claims[2].attempt, 1);
    edge_task_outcome_t outcomes[] = {
        {.name = a, .attempt = 1, .is_success = true,
         .result = "{\"reply\":\"Hello\",\"buildChanged\":false}"},
        {.name = b, .attempt = 1, .is_success = true}, //  w0's: fenced
        {.name = c, .attempt = 1, .message = "no luck"},
    };
    edge_task_finish_many (s_redis, "w1", outcomes, 3, rcs);
    assert_int_equal (rcs[0], EDGE_ERR_OK);
    assert_int_equal (rcs[1], EDGE_ERR_GONE);
    assert_int_equal (rcs[2], EDGE_ERR_OK);
    json_t *task = s_get (a);
    assert_string_equal (s_str (task, "state"), "succeeded");
    assert_string_equal (s_str (json_object_get (task, "result"), "reply"),
                         "Hello");
    json_decref (task);
    assert_string_equal (s_event_field (a, 2, "buildChanged"), "false");
    task = s_get (b);
    assert_string_equal (s_str (task, "state"), "running");
    json_decref (task);
    task = s_get (c);
    assert_string_equal (s_str (task, "state"), "failed");
    json_decref (task);
    assert_string_equal (s_event_field (c, 2, "event"), "error");
    for (int i = 0; i < 3; i++)
        edge_task_claim_fini (&claims[i]);
    edge_task_claim_fini (&taken);
    //  Redis gone: every answer says so
    edge_redis_t *dead = edge_redis_new ("redis://127.0.0.1:1/0", 200);
    edge_task_claim_many (dead, names, 3, "w1", 30000, claims, rcs);
    for (int i = 0; i < 3; i++)
        assert_int_equal (rcs[i], EDGE_ERR_REDIS);
    edge_task_finish_many (dead, "w1", outcomes, 3, rcs);
    for (int i = 0; i < 3; i++)
        assert_int_equal (rcs[i], EDGE_ERR_REDIS);
    edge_redis_destroy (&dead);
}


static void
test_failure_keeps_message_exception_and_error_objects (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create_hello (name);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 30000, &claim),
                      EDGE_ERR_OK);
    const char *exception = "{\"httpDownloadFailed\":{\"url\":\"http://x\","
                            "\"httpStatus\":404,\"exitCode\":0,"
                            "\"sizeBytes\":0}}";
    const char *error = "{\"deployment\":{\"failedDeployments\":[\"d1\"],"
                        "\"succeededDeployments\":[]}}";
    assert_int_equal (edge_task_fail (s_redis, name, "w1", 1, "download failed",
                                      exception, error),
                      EDGE_ERR_OK);
    edge_task_claim_fini (&claim);
    json_t *task = s_get (name);
    assert_string_equal (s_str (task, "state"), "failed");
    assert_string_equal (s_str (task, "message"), "download failed");
    json_t *http = json_object_get (json_object_get (task, "exception"),
                                    "httpDownloadFailed");
    assert_int_equal (json_integer_value (json_object_get (http, "httpStatus")),
                      404);
    assert_true (json_is_object (json_object_get (task, "error")));
    assert_true (json_is_null (json_object_get (task, "result")));
    json_decref (task);
    assert_int_equal (s_event_count (name), 3);
    assert_string_equal (s_event_field (name, 2, "event"), "error");
    assert_string_equal (s_event_field (name, 2, "message"), "download failed");
    assert_string_equal (s_event_field (name, 2, "exception"), exception);
    assert_string_equal (s_event_field (name, 2, "error"), error);
    assert_string_equal (s_event_field (name, 2, "attempt"), "1");
}


static void
test_progress_and_renewal_apply_while_running (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create_hello (name);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 1000, &claim),
                      EDGE_ERR_OK);
    long long first = s_score ("e:tasks:leases", name);
    assert_int_equal (edge_task_renew (s_redis, name, "w1", 1, 60000),
                      EDGE_ERR_OK);
    assert_true (s_score ("e:tasks:leases", name) >= first + 59000);
    assert_int_equal (edge_task_renew (s_redis, name, "w2", 1, 60000),
                      EDGE_ERR_GONE);
    assert_int_equal (edge_task_progress (s_redis, name, "w1", 1, 10, 100),
                      EDGE_ERR_OK);
    assert_int_equal (edge_task_progress (s_redis, name, "w1", 7, 10, 100),
                      EDGE_ERR_GONE);
    edge_task_claim_fini (&claim);
    json_t *task = s_get (name);
    json_t *progress = json_object_get (task, "progress");
    assert_int_equal (
        json_integer_value (json_object_get (progress, "doneBytes")), 10);
    assert_int_equal (
        json_integer_value (json_object_get (progress, "totalBytes")), 100);
    json_decref (task);
    //  Neither renewals nor progress are events
    assert_int_equal (s_event_count (name), 2);
}


static void
test_release_requeues_without_counting_the_attempt (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    s_create_hello (name);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 30000, &claim),
                      EDGE_ERR_OK);
    edge_task_claim_fini (&claim);
    assert_int_equal (edge_task_release (s_redis, name, "w2", 1),
                      EDGE_ERR_GONE);
    assert_int_equal (edge_task_release (s_redis, name, "w1", 1), EDGE_ERR_OK);
    json_t *task = s_get (name);
    assert_string_equal (s_str (task, "state"), "queued");
    assert_int_equal (json_integer_value (json_object_get (task, "attempts")),
                      0);
    assert_true (json_is_null (json_object_get (task, "worker")));
    assert_true (json_is_null (json_object_get (task, "started")));
    json_decref (task);
    assert_true (s_score ("e:tasks:queued", name) > 0);
    assert_int_equal (s_score ("e:tasks:leases", name), -1);
    assert_int_equal (s_event_count (name), 3);
    assert_string_equal (s_event_field (name, 2, "event"), "submit");
    assert_non_null (strstr (s_event_field (name, 2, "message"), "released"));
    //  The next worker runs it as attempt 1
    assert_int_equal (edge_task_claim (s_redis, name, "w2", 30000, &claim),
                      EDGE_ERR_OK);
    assert_int_equal (claim.attempt, 1);
    edge_task_claim_fini (&claim);
}


static void
test_reaper_requeues_an_expired_lease_then_fails_after_max_attempts (
    void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX], live[EDGE_TASK_NAME_MAX];
    s_create_hello (name);
    s_create_hello (live);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, live, "w9", 60000, &claim),
                      EDGE_ERR_OK);
    edge_task_claim_fini (&claim);
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 1000, &claim),
                      EDGE_ERR_OK);
    edge_task_claim_fini (&claim);

    edge_task_list_t resend;
    int64_t later = edge_now_ms () + 5000;
    assert_int_equal (edge_task_reap (s_redis, later, 2, 60000, 100, &resend),
                      0);
    assert_int_equal (resend.count, 1);
    assert_string_equal (resend.names[0], name);
    assert_string_equal (resend.types[0], "hello");
    edge_task_list_fini (&resend);
    assert_int_equal (resend.count, 0);
    json_t *task = s_get (name);
    assert_string_equal (s_str (task, "state"), "queued");
    assert_int_equal (json_integer_value (json_object_get (task, "attempts")),
                      1);
    assert_true (json_is_null (json_object_get (task, "worker")));
    json_decref (task);
    assert_int_equal (s_score ("e:tasks:queued", name), later);
    //  The lost worker cannot record anything any more
    assert_int_equal (edge_task_succeed (s_redis, name, "w1", 1, "{}"),
                      EDGE_ERR_GONE);

    assert_int_equal (edge_task_claim (s_redis, name, "w2", 1000, &claim),
                      EDGE_ERR_OK);
    assert_int_equal (claim.attempt, 2);
    edge_task_claim_fini (&claim);
    later = edge_now_ms () + 5000;
    assert_int_equal (edge_task_reap (s_redis, later, 2, 60000, 100, &resend),
                      0);
    assert_int_equal (resend.count, 0);
    edge_task_list_fini (&resend);
    task = s_get (name);
    assert_string_equal (s_str (task, "state"), "failed");
    assert_string_equal (s_str (task, "message"),
                         "task lease expired after 2 attempts (worker lost)");
    json_decref (task);
    assert_int_equal (s_score ("e:tasks:leases", name), -1);
    json_t *events = s_events (name);
    const char *expected[] = {"submit", "begin", "submit", "begin", "error"};
    assert_int_equal (json_array_size (events), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal (s_str (json_array_get (events, i), "event"),
                             expected[i]);
    assert_string_equal (s_str (json_array_get (events, 4), "attempt"), "2");
    json_decref (events);
    //  The task whose lease is still valid was left alone
    task = s_get (live);
    assert_string_equal (s_str (task, "state"), "running");
    json_decref (task);
}


static void
test_reaper_resends_only_tasks_queued_longer_than_the_delay (void **state)
{
    (void) state;
    char old[EDGE_TASK_NAME_MAX], young[EDGE_TASK_NAME_MAX];
    char gone[EDGE_TASK_NAME_MAX];
    s_create_hello (old);
    s_create_hello (young);
    s_create_hello (gone);
    int64_t now = edge_now_ms ();
    redisReply *reply = edge_redis_command (
        s_redis, "ZADD e:tasks:queued XX %lld %s %lld %s",
        (long long) now - 10000, old, (long long) now - 10000, gone);
    freeReplyObject (reply);
    //  A stale index entry of a task that is not queued is dropped
    reply =
        edge_redis_command (s_redis, "HSET e:task:%s state succeeded", gone);
    freeReplyObject (reply);

    edge_task_list_t resend;
    assert_int_equal (edge_task_reap (s_redis, now, 3, 5000, 100, &resend), 0);
    assert_int_equal (resend.count, 1);
    assert_string_equal (resend.names[0], old);
    assert_string_equal (resend.types[0], "hello");
    edge_task_list_fini (&resend);
    assert_int_equal (s_score ("e:tasks:queued", old), now);
    assert_int_equal (s_score ("e:tasks:queued", gone), -1);
    assert_true (s_score ("e:tasks:queued", young) > 0);
    //  Stamped now: not sent again before the delay passes
    assert_int_equal (
        edge_task_reap (s_redis, now + 1000, 3, 5000, 100, &resend), 0);
    assert_int_equal (resend.count, 0);
    edge_task_list_fini (&resend);
    //  The limit bounds one pass
    assert_int_equal (
        edge_task_reap (s_redis, now + 60000, 3, 5000, 1, &resend), 0);
    assert_int_equal (resend.count, 1);
    edge_task_list_fini (&resend);
    edge_task_list_fini (NULL);
    //  Resending is not a transition: no event
    assert_int_equal (s_event_count (old), 1);
}


//  A dltar task of org acme, app game, build b1, claimed by w1.
static void
s_create_claimed_dltar (char *name)
{
    edge_task_spec_t spec = {.type = "dltar",
                             .org = "acme",
                             .group = "grp_7",
                             .app = "game",
                             .build = "b1",
                             .created_by = "ci",
                             .is_build_changed = true};
    assert_int_equal (edge_task_create (s_redis, &spec, name), 0);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 30000, &claim),
                      EDGE_ERR_OK);
    edge_task_claim_fini (&claim);
}


//  HGET key field ("" when absent), static copy.
static const char *
s_hget (const char *key, const char *field)
{
    static char value[256];
    redisReply *reply = edge_redis_command (s_redis, "HGET %s %s", key, field);
    snprintf (value, sizeof value, "%s",
              reply && reply->type == REDIS_REPLY_STRING ? reply->str : "");
    freeReplyObject (reply);
    return value;
}


static void
test_success_with_a_next_step_creates_it_queued_in_the_same_script (
    void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX], next[EDGE_TASK_NAME_MAX];
    s_create_claimed_dltar (name);
    freeReplyObject (edge_redis_command (
        s_redis, "HSET e:{acme}:app:game:imports b1 %s", name));
    freeReplyObject (edge_redis_command (
        s_redis, "HSET e:{acme}:training:game processingTask %s", name));
    edge_task_next_t step = {"mkraw", "{\"mode\":\"build\"}", NULL};
    assert_int_equal (edge_task_succeed_next (s_redis, name, "w1", 1,
                                              "{\"key\":\"k\"}", &step, next),
                      EDGE_ERR_OK);
    assert_true (strncmp (next, "mkraw", 5) == 0);
    json_t *task = s_get (next);
    assert_string_equal (s_str (task, "state"), "queued");
    assert_string_equal (s_str (task, "type"), "mkraw");
    assert_string_equal (s_str (task, "group"), "grp_7");
    assert_string_equal (s_str (task, "orgName"), "acme");
    assert_string_equal (s_str (task, "appName"), "game");
    assert_string_equal (s_str (task, "buildName"), "b1");
    assert_true (json_is_true (json_object_get (task, "buildChanged")));
    json_decref (task);
    //  every event of an import's steps says buildChanged true
    assert_string_equal (s_event_field (name, 0, "buildChanged"), "true");
    assert_string_equal (s_event_field (name, 2, "buildChanged"), "true");
    assert_string_equal (s_event_field (next, 0, "buildChanged"), "true");
    assert_string_equal (s_hget (s_task_key (next), "params"),
                         "{\"mode\":\"build\"}");
    assert_string_equal (s_hget ("e:{acme}:app:game:imports", "b1"), next);
    assert_string_equal (
        s_hget ("e:{acme}:training:game", "processingTask"), next);
    assert_true (s_score ("e:tasks:queued", next) > 0);
    assert_true (s_score ("e:{acme}:tasks", next) > 0);
    //  This task's end comes before the next one's submit
    redisReply *reply = edge_redis_command (s_redis, "XRANGE e:events - +");
    assert_int_equal (reply->type, REDIS_REPLY_ARRAY);
    assert_true (reply->elements >= 4);
    redisReply *last = reply->element[reply->elements - 1]->element[1];
    redisReply *before = reply->element[reply->elements - 2]->element[1];
    assert_string_equal (last->element[1]->str, next);
    assert_string_equal (last->element[5]->str, "submit");
    assert_string_equal (before->element[1]->str, name);
    assert_string_equal (before->element[5]->str, "end");
    freeReplyObject (reply);
    //  A retried record finds the task no longer ours: nothing more
    char again[EDGE_TASK_NAME_MAX];
    assert_int_equal (
        edge_task_succeed_next (s_redis, name, "w1", 1, "{}", &step, again),
        EDGE_ERR_GONE);
    assert_string_equal (again, "");
}


static void
test_a_result_dxf_name_is_recorded_before_the_end_event (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX], next[EDGE_TASK_NAME_MAX];
    s_create_claimed_dltar (name);
    edge_task_next_t step = {"deploy", "{}", "dxf_0123456789abcdef"};
    assert_int_equal (
        edge_task_succeed_next (s_redis, name, "w1", 1,
                                "{\"dxfName\":\"dxf_0123456789abcdef\","
                                "\"buildChanged\":true}",
                                &step, next),
        EDGE_ERR_OK);
    json_t *task = s_get (name);
    assert_string_equal (s_str (task, "dxfName"), "dxf_0123456789abcdef");
    json_decref (task);
    assert_string_equal (s_event_field (name, 2, "event"), "end");
    assert_string_equal (s_event_field (name, 2, "dxfName"),
                         "dxf_0123456789abcdef");
    assert_string_equal (s_event_field (name, 2, "buildChanged"), "true");
    task = s_get (next);
    assert_string_equal (s_str (task, "dxfName"), "dxf_0123456789abcdef");
    json_decref (task);
}


static void
test_a_waiting_upload_is_not_queued_until_enqueued (void **state)
{
    (void) state;
    char name[EDGE_TASK_NAME_MAX];
    edge_task_spec_t spec = {.type = "dltar",
                             .org = "acme",
                             .app = "game",
                             .build = "b2",
                             .params = "{\"upload\":true}",
                             .message = "waiting for the client upload",
                             .is_waiting = true};
    assert_int_equal (edge_task_create (s_redis, &spec, name), 0);
    json_t *task = s_get (name);
    assert_string_equal (s_str (task, "state"), "waiting");
    json_decref (task);
    assert_int_equal (s_score ("e:tasks:queued", name), -1);
    assert_string_equal (s_event_field (name, 0, "event"), "submit");
    assert_string_equal (s_event_field (name, 0, "message"),
                         "waiting for the client upload");
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 30000, &claim),
                      EDGE_ERR_GONE);
    assert_int_equal (edge_task_enqueue (s_redis, name,
                                         "{\"upload\":true,\"size\":5}",
                                         "upload committed"),
                      EDGE_ERR_OK);
    assert_true (s_score ("e:tasks:queued", name) > 0);
    assert_string_equal (s_event_field (name, 1, "message"),
                         "upload committed");
    assert_int_equal (edge_task_enqueue (s_redis, name, NULL, "again"),
                      EDGE_ERR_GONE);
    assert_int_equal (edge_task_claim (s_redis, name, "w1", 30000, &claim),
                      EDGE_ERR_OK);
    assert_string_equal (claim.params, "{\"upload\":true,\"size\":5}");
    edge_task_claim_fini (&claim);
}


static void
test_unreachable_redis_is_reported_as_a_redis_failure (void **state)
{
    (void) state;
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0",
              edge_testutil_free_port ());
    edge_redis_t *down = edge_redis_new (url, 200);
    char name[EDGE_TASK_NAME_MAX];
    edge_task_spec_t spec = {.type = "hello"};
    assert_int_equal (edge_task_create (down, &spec, name), -1);
    bool is_redis_error = false;
    assert_null (edge_task_get (down, "hello_x", &is_redis_error));
    assert_true (is_redis_error);
    edge_task_claim_t claim;
    assert_int_equal (edge_task_claim (down, "hello_x", "w", 1000, &claim),
                      EDGE_ERR_REDIS);
    assert_int_equal (edge_task_succeed (down, "hello_x", "w", 1, "{}"),
                      EDGE_ERR_REDIS);
    edge_task_list_t resend;
    assert_int_equal (edge_task_reap (down, 0, 3, 1000, 10, &resend), -1);
    assert_int_equal (resend.count, 0);
    edge_redis_destroy (&down);
}


int
main (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 2000);
    if (rc)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (
            test_created_task_reads_back_with_the_public_shape, s_flush),
        cmocka_unit_test_setup (
            test_org_task_is_indexed_and_its_event_names_the_build, s_flush),
        cmocka_unit_test_setup (
            test_missing_task_reads_as_absent_not_as_an_error, s_flush),
        cmocka_unit_test_setup (
            test_a_task_is_claimed_once_and_the_second_claim_is_gone, s_flush),
        cmocka_unit_test_setup (
            test_only_the_current_owner_and_attempt_record_one_result, s_flush),
        cmocka_unit_test_setup (
            test_many_claims_and_outcomes_go_in_one_round_trip, s_flush),
        cmocka_unit_test_setup (
            test_failure_keeps_message_exception_and_error_objects, s_flush),
        cmocka_unit_test_setup (test_progress_and_renewal_apply_while_running,
                                s_flush),
        cmocka_unit_test_setup (
            test_release_requeues_without_counting_the_attempt, s_flush),
        cmocka_unit_test_setup (
            test_reaper_requeues_an_expired_lease_then_fails_after_max_attempts,
            s_flush),
        cmocka_unit_test_setup (
            test_reaper_resends_only_tasks_queued_longer_than_the_delay,
            s_flush),
        cmocka_unit_test_setup (
            test_success_with_a_next_step_creates_it_queued_in_the_same_script,
            s_flush),
        cmocka_unit_test_setup (
            test_a_result_dxf_name_is_recorded_before_the_end_event, s_flush),
        cmocka_unit_test_setup (
            test_a_waiting_upload_is_not_queued_until_enqueued, s_flush),
        cmocka_unit_test (
            test_unreachable_redis_is_reported_as_a_redis_failure),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    edge_testutil_redis_close (&s_server, &s_redis);
    return rc;
}
