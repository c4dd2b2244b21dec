/*  test_nt_deliver - webhook and Slack delivery against a real redis-server
    and a real HTTP receiver (civetweb) on loopback.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "edge_crypto.h"
#include "edge_jwt.h"
#include "edge_redis.h"
#include "edge_testutil.h"
#include "edge_urlguard.h"
#include "edge_util.h"
#include "nt_deliver.h"
#include "nt_notifier.h"
#include "nt_store.h"
#include "edge_keys.h"
#include <civetweb.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define S_ORG       "acme"
#define S_KEY_BYTES 32
#define S_MAX_REQS  64
#define S_MAX_RULES 4

static edge_testutil_redis_t s_server;

//  -------------------------------------------------------------------------
//  The receiver: records every request, answers per rules, else 200.

typedef struct {
    char *path;
    char *body;
    int nheaders;
    char *names[32];
    char *values[32];
    int64_t at_mono; //  arrival, monotonic ms
} s_req_t;

//  Requests whose body holds match[0] and match[1] (when set) are answered
//  with status (count times), Retry-After / Location when set, and body.
typedef struct {
    const char *match[2];
    int count;
    int status;
    const char *retry_after;
    const char *location;
    const char *body;
    int delay_ms;
} s_rule_t;

typedef struct {
    struct mg_context *ctx;
    int port;
    pthread_mutex_t lock;
    s_req_t reqs[S_MAX_REQS];
    int count;
    s_rule_t rules[S_MAX_RULES];
    int nrules;
    const char *ok_body; //  body of the default 200
} s_receiver_t;

static s_receiver_t *s_receiver; //  one for all tests, reset by each


static bool
s_rule_matches (const s_rule_t *rule, const char *body)
{
    for (int i = 0; i < 2; i++)
        if (rule->match[i] && !strstr (body, rule->match[i]))
            return false;
    return rule->count > 0;
}


static char *
s_read_body (struct mg_connection *conn)
{
    size_t len = 0, size = 1024;
    char *body = edge_malloc (size);
    int got;
    while ((got = mg_read (conn, body + len, size - len - 1)) > 0) {
        len += (size_t) got;
        if (size - len < 512)
            body = edge_realloc (body, size *= 2);
    }
    body[len] = 0;
    return body;
}


static int
s_on_request (struct mg_connection *conn, void *arg)
{
    s_receiver_t *self = arg;
    const struct mg_request_info *info = mg_get_request_info (conn);
    char *body = s_read_body (conn);
    s_rule_t answer = {.status = 200, .body = self->ok_body};
    pthread_mutex_lock (&self->lock);
    if (self->count < S_MAX_REQS) {
        s_req_t *req = &self->reqs[self->count++];
        req->path = edge_strdup (info->local_uri);
        req->body = edge_strdup (body);
        req->at_mono = edge_mono_ms ();
        for (int i = 0; i < info->num_headers && i < 32; i++) {
            req->names[i] = edge_strdup (info->http_headers[i].name);
            req->values[i] = edge_strdup (info->http_headers[i].value);
            req->nheaders = i + 1;
        }
    }
    for (int i = 0; i < self->nrules; i++)
        if (s_rule_matches (&self->rules[i], body)) {
            self->rules[i].count--;
            answer = self->rules[i];
            break;
        }
    pthread_mutex_unlock (&self->lock);
    free (body);
    if (answer.delay_ms) //  a slow receiver, not synchronisation
        edge_sleep_ms (answer.delay_ms, NULL);
    const char *text = answer.body ? answer.body : "";
    mg_printf (conn,
               "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
               "Content-Length: %zu\r\nConnection: close\r\n",
               answer.status, strlen (text));
    if (answer.retry_after)
        mg_printf (conn, "Retry-After: %s\r\n", answer.retry_after);
    if (answer.location)
        mg_printf (conn, "Location: %s\r\n", answer.location);
    mg_printf (conn, "\r\n%s", text);
    return answer.status;
}


static s_receiver_t *
s_receiver_start (void)
{
    s_receiver_t *self = edge_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    self->ok_body = "{\"ok\":true}";
    char ports[32];
    for (int tries = 0; tries < 5 && !self->ctx; tries++) {
        self->port = edge_testutil_free_port ();
        snprintf (ports, sizeof ports, "127.0.0.1:%d", self->port);
        const char *options[] = {"listening_ports", ports, "num_threads", "8",
                                 NULL};
        self->ctx = mg_start (NULL, NULL, options);
    }
    assert_non_null (self->ctx);
    mg_set_request_handler (self->ctx, "/", s_on_request, self);
    return self;
}


//  Forget requests and rules (between tests).
static void
s_receiver_reset (s_receiver_t *self)
{
    pthread_mutex_lock (&self->lock);
    for (int i = 0; i < self->count; i++) {
        free (self->reqs[i].path);
        free (self->reqs[i].body);
        for (int h = 0; h < self->reqs[i].nheaders; h++) {
            free (self->reqs[i].names[h]);
            free (self->reqs[i].values[h]);
        }
    }
    memset (self->reqs, 0, sizeof self->reqs);
    self->count = 0;
    self->nrules = 0;
    pthread_mutex_unlock (&self->lock);
}


static void
s_receiver_stop (s_receiver_t **self_p)
{
    s_receiver_t *self = *self_p;
    mg_stop (self->ctx);
    s_receiver_reset (self);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}


static void
s_receiver_rule (s_receiver_t *self, s_rule_t rule)
{
    pthread_mutex_lock (&self->lock);
    assert_true (self->nrules < S_MAX_RULES);
    self->rules[self->nrules++] = rule;
    pthread_mutex_unlock (&self->lock);
}


static int
s_received (s_receiver_t *self)
{
    pthread_mutex_lock (&self->lock);
    int count = self->count;
    pthread_mutex_unlock (&self->lock);
    return count;
}


//  Header value of request i (case-insensitive name), or NULL.
static const char *
s_header (s_receiver_t *self, int i, const char *name)
{
    const s_req_t *req = &self->reqs[i];
    for (int h = 0; h < req->nheaders; h++)
        if (strcasecmp (req->names[h], name) == 0)
            return req->values[h];
    return NULL;
}


//  Index of the first request whose webhook-id is id (from start), or -1.
static int
s_find (s_receiver_t *self, const char *id, int start)
{
    for (int i = start; i < s_received (self); i++) {
        const char *value = s_header (self, i, "webhook-id");
        if (value && strcmp (value, id) == 0)
            return i;
    }
    return -1;
}


static int
s_count_of (s_receiver_t *self, const char *id)
{
    int count = 0;
    for (int i = s_find (self, id, 0); i >= 0; i = s_find (self, id, i + 1))
        count++;
    return count;
}

//  -------------------------------------------------------------------------
//  Fixture: redis, a receiver, a notifier and a delivery engine.

typedef struct {
    edge_redis_t *redis;
    s_receiver_t *receiver;
    edge_urlguard_t *guard;
    nt_schedule_t schedule;
    nt_notifier_t *notifier;
    nt_deliver_t *deliver;
    unsigned char key[S_KEY_BYTES];
    char url[128];
} fixture_t;


static nt_deliver_t *
s_engine (fixture_t *fx,
          const edge_urlguard_t *guard,
          int64_t timeout_ms,
          int64_t lease_extra_ms)
{
    char slack[96];
    snprintf (slack, sizeof slack, "http://127.0.0.1:%d/api/",
              fx->receiver->port);
    nt_deliver_opts_t opts = {
        guard, &fx->schedule, timeout_ms,       lease_extra_ms,
        8,     slack,         "xoxb-test-token"};
    return nt_deliver_new (fx->redis, &opts);
}


static int
s_setup (void **state)
{
    fixture_t *fx = edge_calloc (1, sizeof *fx);
    fx->redis = edge_redis_new (s_server.url, 3000);
    redisReply *reply = edge_redis_command (fx->redis, "FLUSHALL");
    assert_non_null (reply);
    freeReplyObject (reply);
    fx->receiver = s_receiver;
    s_receiver_reset (s_receiver);
    snprintf (fx->url, sizeof fx->url, "http://127.0.0.1:%d/hooks/build",
              fx->receiver->port);
    fx->guard = edge_urlguard_new ("127.0.0.0/8", NULL, 0);
    char why[128];
    assert_int_equal (
        nt_schedule_parse ("100ms,200ms,300ms", &fx->schedule, why, sizeof why),
        0);
    nt_notifier_opts_t opts = {"notifiers", "n1", 60000, 100, 60000};
    fx->notifier = nt_notifier_new (fx->redis, &opts);
    fx->deliver = s_engine (fx, fx->guard, 2000, 5000);
    for (int i = 0; i < S_KEY_BYTES; i++)
        fx->key[i] = (unsigned char) (i * 7 + 3);
    *state = fx;
    return 0;
}


static int
s_teardown (void **state)
{
    fixture_t *fx = *state;
    nt_deliver_destroy (&fx->deliver);
    assert_null (fx->deliver);
    nt_deliver_destroy (&fx->deliver); //  NULL-safe
    nt_notifier_destroy (&fx->notifier);
    edge_urlguard_destroy (&fx->guard);
    edge_redis_destroy (&fx->redis);
    free (fx);
    return 0;
}


static void
s_ok (redisReply *reply)
{
    assert_non_null (reply);
    assert_int_not_equal (reply->type, REDIS_REPLY_ERROR);
    freeReplyObject (reply);
}


//  Write subscription name as the gateway would. url or channel is NULL.
static void
s_subscribe (fixture_t *fx,
             const char *name,
             const char *url,
             const char *channel,
             const char *types,
             const char *events)
{
    char *b64 = edge_b64_encode (fx->key, S_KEY_BYTES);
    char *secret = edge_sprintf ("whsec_%s", b64);
    s_ok (edge_redis_command (fx->redis, "ZADD e:{%s}:subs 1 %s", S_ORG, name));
    s_ok (edge_redis_command (
        fx->redis,
        "HSET e:{%s}:sub:%s name %s types %s events %s secret %s state "
        "enabled created 2026-01-01T00:00:00.000Z updated "
        "2026-01-01T00:00:00.000Z",
        S_ORG, name, name, types, events, secret));
    if (url)
        s_ok (edge_redis_command (fx->redis, "HSET e:{%s}:sub:%s url %s", S_ORG,
                                  name, url));
    if (channel)
        s_ok (edge_redis_command (fx->redis,
                                  "HSET e:{%s}:sub:%s slackChannel %s", S_ORG,
                                  name, channel));
    free (secret);
    free (b64);
}


static void
s_subscribe_all (fixture_t *fx, const char *name)
{
    s_subscribe (fx, name, fx->url, NULL,
                 "[\"dltar\",\"mkraw\",\"deploy\",\"hello\"]",
                 "[\"submit\",\"begin\",\"end\",\"error\"]");
}


//  XADD an event of task (type hello) with extra "field value" pairs.
//  Returns its id (static buffer per call site is the caller's).
static void
s_event (fixture_t *fx,
         const char *task,
         const char *event,
         char *id,
         size_t idlen,
         const char *extra_field,
         const char *extra_value)
{
    redisReply *reply;
    if (extra_field)
        reply = edge_redis_command (
            fx->redis,
            "XADD e:events * taskName %s type hello event %s orgName %s "
            "appName shooter buildName b42 timestamp 2026-01-01T00:00:00.000Z "
            "createdMs 1 %s %s",
            task, event, S_ORG, extra_field, extra_value);
    else
        reply = edge_redis_command (
            fx->redis,
            "XADD e:events * taskName %s type hello event %s orgName %s "
            "appName shooter buildName b42 timestamp 2026-01-01T00:00:00.000Z "
            "createdMs 1",
            task, event, S_ORG);
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    snprintf (id, idlen, "%s", reply->str);
    freeReplyObject (reply);
}


static char *
s_hget (fixture_t *fx, const char *key, const char *field)
{
    redisReply *reply =
        edge_redis_command (fx->redis, "HGET %s %s", key, field);
    assert_non_null (reply);
    char *value =
        reply->type == REDIS_REPLY_STRING ? edge_strdup (reply->str) : NULL;
    freeReplyObject (reply);
    return value;
}


static long long
s_int (fixture_t *fx, const char *fmt, const char *arg)
{
    redisReply *reply = edge_redis_command (fx->redis, fmt, arg);
    assert_non_null (reply);
    long long value = -1;
    if (reply->type == REDIS_REPLY_INTEGER)
        value = reply->integer;
    else if (reply->type == REDIS_REPLY_STRING)
        value = atoll (reply->str);
    freeReplyObject (reply);
    return value;
}


//  Delivery status of id, compared with want.
static bool
s_status_is (fixture_t *fx, const char *id, const char *want)
{
    char key[256];
    snprintf (key, sizeof key, "e:dlv:%s", id);
    char *status = s_hget (fx, key, "status");
    bool is_it = status && strcmp (status, want) == 0;
    free (status);
    return is_it;
}


typedef bool (s_cond_fn) (fixture_t *fx, const void *arg);

//  Drive the notifier and the engine until cond holds or timeout_ms passes.
static bool
s_pump (fixture_t *fx, s_cond_fn *cond, const void *arg, int64_t timeout_ms)
{
    int64_t deadline = edge_mono_ms () + timeout_ms;
    while (edge_mono_ms () < deadline) {
        assert_true (nt_notifier_poll (fx->notifier, 0) >= 0);
        assert_true (nt_deliver_run (fx->deliver, 20, true) >= 0);
        if (cond (fx, arg))
            return true;
    }
    return cond (fx, arg);
}


static bool
s_is_succeeded (fixture_t *fx, const void *arg)
{
    return s_status_is (fx, arg, "succeeded");
}


static bool
s_is_failed (fixture_t *fx, const void *arg)
{
    return s_status_is (fx, arg, "failed");
}


static bool
s_has_attempts (fixture_t *fx, const void *arg)
{
    char key[128];
    snprintf (key, sizeof key, "e:{%s}:sub:%s:attempts", S_ORG,
              (const char *) arg);
    return s_int (fx, "LLEN %s", key) > 0;
}


//  Attempt record i (0 = newest) of subscription sub. Caller owns.
static json_t *
s_attempt (fixture_t *fx, const char *sub, int i)
{
    redisReply *reply = edge_redis_command (
        fx->redis, "LINDEX e:{%s}:sub:%s:attempts %d", S_ORG, sub, i);
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    json_t *record = json_loads (reply->str, 0, NULL);
    freeReplyObject (reply);
    assert_non_null (record);
    return record;
}


static void
s_dlv_id (char *buf, size_t size, const char *event_id, const char *sub)
{
    snprintf (buf, size, "%s-%s", event_id, sub);
}

//  -------------------------------------------------------------------------
//  Tests


static void
test_webhook_request_has_the_body_and_signatures_that_verify (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    char eid[64], id[128];
    s_event (fx, "hello_sig", "error", eid, sizeof eid, "exception",
             "{\"fileReadFailed\":{\"filename\":\"a.pak\",\"typeExpected\":"
             "\"pak\",\"typeDetected\":\"zip\"}}");
    s_dlv_id (id, sizeof id, eid, "hook");
    assert_true (s_pump (fx, s_is_succeeded, id, 5000));
    s_receiver_t *rx = fx->receiver;
    assert_int_equal (s_received (rx), 1);
    assert_string_equal (rx->reqs[0].path, "/hooks/build");
    assert_string_equal (s_header (rx, 0, "content-type"), "application/json");
    assert_string_equal (s_header (rx, 0, "user-agent"),
                         "rockit-edge/" EDGE_VERSION);
    assert_string_equal (s_header (rx, 0, "webhook-id"), id);
    const char *body = rx->reqs[0].body;
    char key[160];
    snprintf (key, sizeof key, "e:dlv:%s", id);
    char *stored = s_hget (fx, key, "body");
    assert_string_equal (body, stored);
    free (stored);
    json_t *doc = json_loads (body, 0, NULL);
    assert_string_equal (json_string_value (json_object_get (doc, "taskName")),
                         "hello_sig");
    assert_non_null (
        json_object_get (json_object_get (doc, "exception"), "fileReadFailed"));
    json_decref (doc);

    //  Standard Webhooks: base64 HMAC-SHA256(key, id.timestamp.body)
    const char *ts = s_header (rx, 0, "webhook-timestamp");
    long long when = atoll (ts);
    assert_true (llabs (when - (long long) time (NULL)) < 30);
    char *content = edge_sprintf ("%s.%s.%s", id, ts, body);
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC (EVP_sha256 (), fx->key, S_KEY_BYTES, (unsigned char *) content,
          strlen (content), mac, &maclen);
    free (content);
    unsigned char mac64[64];
    EVP_EncodeBlock (mac64, mac, (int) maclen);
    char *want = edge_sprintf ("v1,%s", (char *) mac64);
    assert_string_equal (s_header (rx, 0, "webhook-signature"), want);
    free (want);

    //  JWT: verifies with the decoded secret, bodySha256 = sha256(body)
    const char *why = NULL;
    json_t *claims = edge_jwt_verify (
        s_header (rx, 0, "x-rockit-subscriptions"), fx->key, S_KEY_BYTES, &why);
    assert_non_null (claims);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256 ((const unsigned char *) body, strlen (body), digest);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf (hex + 2 * i, 3, "%02x", digest[i]);
    assert_string_equal (
        json_string_value (json_object_get (claims, "bodySha256")), hex);
    assert_string_equal (json_string_value (json_object_get (claims, "iss")),
                         "rockit-edge");
    assert_string_equal (json_string_value (json_object_get (claims, "sub")),
                         "hook");
    assert_string_equal (json_string_value (json_object_get (claims, "jti")),
                         id);
    assert_int_equal (
        json_integer_value (json_object_get (claims, "exp"))
            - json_integer_value (json_object_get (claims, "iat")),
        300);
    json_decref (claims);
    unsigned char wrong[S_KEY_BYTES] = {0};
    assert_null (edge_jwt_verify (s_header (rx, 0, "x-rockit-subscriptions"),
                                  wrong, sizeof wrong, &why));

    //  One record, nothing left pending
    json_t *record = s_attempt (fx, "hook", 0);
    assert_string_equal (
        json_string_value (json_object_get (record, "outcome")), "succeeded");
    assert_int_equal (
        json_integer_value (json_object_get (record, "statusCode")), 200);
    assert_true (json_is_null (json_object_get (record, "error")));
    assert_string_equal (
        json_string_value (json_object_get (record, "deliveryId")), id);
    assert_string_equal (
        json_string_value (json_object_get (record, "eventId")), eid);
    json_decref (record);
    assert_int_equal (s_int (fx, "ZCARD %s", EDGE_KEY_DELIVERIES_DUE), 0);
    assert_int_equal (s_int (fx, "EXISTS %s", "e:{acme}:sub:hook:pending"), 0);
    assert_int_equal (
        s_int (fx, "EXISTS %s", "e:{acme}:sub:hook:chain:hello_sig"), 0);
    assert_true (s_int (fx, "PTTL %s", key) > 0);
}


static void
test_500_three_times_then_200_makes_four_attempts (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    s_receiver_rule (fx->receiver, (s_rule_t){.count = 3, .status = 500});
    char eid[64], id[128];
    s_event (fx, "hello_retry", "end", eid, sizeof eid, NULL, NULL);
    s_dlv_id (id, sizeof id, eid, "hook");
    assert_true (s_pump (fx, s_is_succeeded, id, 8000));
    assert_int_equal (s_received (fx->receiver), 4);
    assert_int_equal (s_int (fx, "LLEN %s", "e:{acme}:sub:hook:attempts"), 4);
    const char *outcomes[] = {"succeeded", "retry", "retry", "retry"};
    for (int i = 0; i < 4; i++) {
        json_t *record = s_attempt (fx, "hook", i);
        assert_string_equal (
            json_string_value (json_object_get (record, "outcome")),
            outcomes[i]);
        assert_int_equal (
            json_integer_value (json_object_get (record, "attempt")), 4 - i);
        assert_int_equal (
            json_integer_value (json_object_get (record, "statusCode")),
            i == 0 ? 200 : 500);
        if (i > 0)
            assert_string_equal (
                json_string_value (json_object_get (record, "error")),
                "HTTP 500");
        json_decref (record);
    }
    //  The schedule is kept between attempts: 100, 200, 300 ms
    const int64_t delays[] = {100, 200, 300};
    for (int i = 0; i < 3; i++)
        assert_true (fx->receiver->reqs[i + 1].at_mono
                         - fx->receiver->reqs[i].at_mono
                     >= delays[i] - 2);
    char key[160];
    snprintf (key, sizeof key, "e:dlv:%s", id);
    char *attempt = s_hget (fx, key, "attempt");
    assert_string_equal (attempt, "4");
    free (attempt);
}


static void
test_retry_after_is_honoured_when_later_than_the_schedule (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    s_receiver_rule (fx->receiver,
                     (s_rule_t){.count = 1, .status = 503, .retry_after = "1"});
    char eid[64], id[128];
    s_event (fx, "hello_ra", "end", eid, sizeof eid, NULL, NULL);
    s_dlv_id (id, sizeof id, eid, "hook");
    assert_true (s_pump (fx, s_is_succeeded, id, 8000));
    assert_int_equal (s_received (fx->receiver), 2);
    int64_t gap = fx->receiver->reqs[1].at_mono - fx->receiver->reqs[0].at_mono;
    assert_true (gap >= 998); //  not the schedule's 100 ms
    json_t *record = s_attempt (fx, "hook", 1);
    assert_string_equal (json_string_value (json_object_get (record, "error")),
                         "HTTP 503");
    json_decref (record);
}


static void
test_410_disables_the_subscription_and_fails_its_pending (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    s_receiver_rule (fx->receiver, (s_rule_t){.count = 100, .status = 410});
    char e1[64], e2[64], e3[64], id1[128], id2[128], id3[128];
    s_event (fx, "hello_g1", "submit", e1, sizeof e1, NULL, NULL);
    s_event (fx, "hello_g1", "begin", e2, sizeof e2, NULL, NULL);
    s_event (fx, "hello_g2", "submit", e3, sizeof e3, NULL, NULL);
    s_dlv_id (id1, sizeof id1, e1, "hook");
    s_dlv_id (id2, sizeof id2, e2, "hook");
    s_dlv_id (id3, sizeof id3, e3, "hook");
    assert_true (s_pump (fx, s_is_failed, id1, 5000));
    assert_true (s_pump (fx, s_is_failed, id3, 5000));
    assert_true (s_is_failed (fx, id2));
    char *state_now = s_hget (fx, "e:{acme}:sub:hook", "state");
    char *reason = s_hget (fx, "e:{acme}:sub:hook", "disabledReason");
    assert_string_equal (state_now, "disabled");
    assert_string_equal (reason, "receiver answered 410 Gone");
    free (state_now);
    free (reason);
    assert_int_equal (s_count_of (fx->receiver, id2), 0); //  never sent
    assert_int_equal (s_int (fx, "ZCARD %s", "e:{acme}:sub:hook:failed"), 3);
    assert_int_equal (s_int (fx, "ZCARD %s", EDGE_KEY_DELIVERIES_DUE), 0);
    assert_int_equal (s_int (fx, "EXISTS %s", "e:{acme}:sub:hook:pending"), 0);
    json_t *record = s_attempt (fx, "hook", 0);
    assert_string_equal (
        json_string_value (json_object_get (record, "outcome")), "disabled");
    json_decref (record);
    //  Nothing more is created for it
    int before = s_received (fx->receiver);
    char e4[64];
    s_event (fx, "hello_g3", "submit", e4, sizeof e4, NULL, NULL);
    assert_int_equal (nt_notifier_poll (fx->notifier, 0), 1);
    assert_int_equal (s_int (fx, "ZCARD %s", EDGE_KEY_DELIVERIES_DUE), 0);
    assert_int_equal (nt_deliver_run (fx->deliver, 0, true), 0);
    assert_int_equal (s_received (fx->receiver), before);
}


static void
test_final_failure_keeps_the_delivery_and_advances_the_chain (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    s_receiver_rule (fx->receiver, (s_rule_t){.match = {"\"event\":\"submit\""},
                                              .count = 100,
                                              .status = 500});
    char e1[64], e2[64], id1[128], id2[128];
    s_event (fx, "hello_ff", "submit", e1, sizeof e1, NULL, NULL);
    s_event (fx, "hello_ff", "begin", e2, sizeof e2, NULL, NULL);
    s_dlv_id (id1, sizeof id1, e1, "hook");
    s_dlv_id (id2, sizeof id2, e2, "hook");
    assert_true (s_pump (fx, s_is_succeeded, id2, 8000));
    assert_true (s_is_failed (fx, id1));
    assert_int_equal (s_count_of (fx->receiver, id1), 4); //  1 + 3 retries
    int last1 = s_find (fx->receiver, id1, 0);
    for (int i = 0; i < 3; i++)
        last1 = s_find (fx->receiver, id1, last1 + 1);
    assert_true (s_find (fx->receiver, id2, 0) > last1);
    redisReply *reply = edge_redis_command (
        fx->redis, "ZSCORE e:{acme}:sub:hook:failed %s", id1);
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    assert_true (llabs (atoll (reply->str) - edge_now_ms ()) < 60000);
    freeReplyObject (reply);
    json_t *record = s_attempt (fx, "hook", 1);
    assert_string_equal (
        json_string_value (json_object_get (record, "outcome")), "failed");
    assert_int_equal (json_integer_value (json_object_get (record, "attempt")),
                      4);
    json_decref (record);
    char key[160];
    snprintf (key, sizeof key, "e:dlv:%s", id1);
    char *error = s_hget (fx, key, "lastError");
    char *code = s_hget (fx, key, "lastStatusCode");
    assert_string_equal (error, "HTTP 500");
    assert_string_equal (code, "500");
    free (error);
    free (code);
}


static void
test_a_task_waits_for_its_earlier_event_but_others_do_not (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    s_receiver_rule (fx->receiver,
                     (s_rule_t){.match = {"\"event\":\"submit\"",
                                          "\"taskName\":\"hello_A\""},
                                .count = 2,
                                .status = 500});
    char a1[64], a2[64], b1[64], ida1[128], ida2[128], idb1[128];
    s_event (fx, "hello_A", "submit", a1, sizeof a1, NULL, NULL);
    s_event (fx, "hello_A", "begin", a2, sizeof a2, NULL, NULL);
    s_event (fx, "hello_B", "submit", b1, sizeof b1, NULL, NULL);
    s_dlv_id (ida1, sizeof ida1, a1, "hook");
    s_dlv_id (ida2, sizeof ida2, a2, "hook");
    s_dlv_id (idb1, sizeof idb1, b1, "hook");
    assert_true (s_pump (fx, s_is_succeeded, ida2, 8000));
    assert_true (s_is_succeeded (fx, idb1));
    s_receiver_t *rx = fx->receiver;
    int first_a1 = s_find (rx, ida1, 0);
    int second_a1 = s_find (rx, ida1, first_a1 + 1);
    int last_a1 = s_find (rx, ida1, second_a1 + 1);
    assert_true (first_a1 >= 0 && second_a1 > first_a1 && last_a1 > second_a1);
    //  B was not blocked by A's retries; A's second event waited for A's
    //  first to succeed
    assert_true (s_find (rx, idb1, 0) < second_a1);
    assert_int_equal (s_count_of (rx, ida2), 1);
    assert_true (s_find (rx, ida2, 0) > last_a1);
    assert_true (rx->reqs[s_find (rx, ida2, 0)].at_mono
                 >= rx->reqs[last_a1].at_mono);
}


static void
test_url_guard_refuses_loopback_unless_allowed (void **state)
{
    fixture_t *fx = *state;
    edge_urlguard_t *strict = edge_urlguard_new ("", NULL, 0);
    nt_deliver_destroy (&fx->deliver);
    fx->deliver = s_engine (fx, strict, 2000, 5000);
    s_subscribe_all (fx, "hook");
    char eid[64];
    s_event (fx, "hello_guard", "end", eid, sizeof eid, NULL, NULL);
    assert_true (s_pump (fx, s_has_attempts, "hook", 5000));
    json_t *record = s_attempt (fx, "hook", 0);
    const char *error = json_string_value (json_object_get (record, "error"));
    assert_non_null (error);
    assert_true (strncmp (error, "refused by URL guard: ", 22) == 0);
    assert_non_null (strstr (error, "127.0.0.1"));
    assert_true (json_is_null (json_object_get (record, "statusCode")));
    assert_string_equal (
        json_string_value (json_object_get (record, "outcome")), "retry");
    json_decref (record);
    assert_int_equal (s_received (fx->receiver), 0);
    nt_deliver_destroy (&fx->deliver);
    edge_urlguard_destroy (&strict);
}


static void
test_the_same_event_handled_twice_creates_one_delivery (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    char eid[64];
    s_event (fx, "hello_twice", "end", eid, sizeof eid, NULL, NULL);
    assert_int_equal (nt_notifier_poll (fx->notifier, 0), 1);
    //  The entry comes back to the pending list (as after a crash between
    //  reading and a racing notifier's XACK) and is handled again.
    s_ok (edge_redis_command (fx->redis,
                              "XCLAIM e:events notifiers n2 0 %s FORCE", eid));
    nt_notifier_opts_t opts = {"notifiers", "n2", 60000, 100, 60000};
    nt_notifier_t *again = nt_notifier_new (fx->redis, &opts);
    assert_int_equal (nt_notifier_poll (again, 0), 1);
    nt_notifier_destroy (&again);
    redisReply *reply = edge_redis_command (fx->redis, "KEYS e:dlv:*");
    assert_non_null (reply);
    assert_int_equal (reply->elements, 1);
    freeReplyObject (reply);
    assert_int_equal (
        s_int (fx, "LLEN %s", "e:{acme}:sub:hook:chain:hello_twice"), 1);
    assert_int_equal (s_int (fx, "ZCARD %s", EDGE_KEY_DELIVERIES_DUE), 1);
    //  And through the store directly: a second ingest is not acked
    nt_event_t event = {.id = eid,
                        .task_name = "hello_twice",
                        .type = "hello",
                        .event = "end",
                        .org = S_ORG,
                        .app = "",
                        .build = "",
                        .dxf = "",
                        .build_changed = "",
                        .timestamp = "",
                        .created_ms = "",
                        .exception = "",
                        .error = "",
                        .message = "",
                        .seq = ""};
    nt_store_entry_t entry = {.event = &event, .acked = 1, .created = -1};
    assert_int_equal (
        nt_store_ingest (fx->redis, "notifiers", &entry, 1, edge_now_ms ()),
        0);
    assert_int_equal (entry.acked, 0);
    assert_int_equal (entry.created, 0);
}


static bool
s_has_request (fixture_t *fx, const void *arg)
{
    (void) arg;
    return s_received (fx->receiver) > 0;
}


static void
test_attempts_of_a_killed_notifier_come_due_after_the_lease (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    char eid[64], id[128];
    s_event (fx, "hello_lease", "end", eid, sizeof eid, NULL, NULL);
    s_dlv_id (id, sizeof id, eid, "hook");
    assert_int_equal (nt_notifier_poll (fx->notifier, 0), 1);
    //  A notifier takes it under a 500 ms lease and dies
    int64_t now = edge_now_ms ();
    nt_store_dlv_t **dlvs = NULL;
    size_t count = 0;
    assert_int_equal (
        nt_store_take (fx->redis, now, now + 500, 10, &dlvs, &count), 0);
    assert_int_equal (count, 1);
    assert_string_equal (dlvs[0]->id, id);
    assert_int_equal (dlvs[0]->attempt, 1);
    nt_store_dlv_destroy (&dlvs[0]);
    assert_null (dlvs[0]);
    nt_store_dlv_destroy (&dlvs[0]);
    free (dlvs);
    //  Nobody attempts it while the lease lasts
    assert_int_equal (nt_deliver_run (fx->deliver, 0, true), 0);
    assert_int_equal (nt_deliver_in_flight (fx->deliver), 0);
    assert_int_equal (s_received (fx->receiver), 0);
    assert_true (s_pump (fx, s_is_succeeded, id, 5000));
    assert_true (edge_now_ms () >= now + 500);
    char key[160];
    snprintf (key, sizeof key, "e:dlv:%s", id);
    char *attempt = s_hget (fx, key, "attempt");
    assert_string_equal (attempt, "2");
    free (attempt);
    assert_int_equal (s_received (fx->receiver), 1);
}


static void
test_attempts_in_flight_of_a_destroyed_engine_come_due_again (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    s_receiver_rule (fx->receiver,
                     (s_rule_t){.count = 1, .status = 200, .delay_ms = 300});
    char eid[64], id[128];
    s_event (fx, "hello_dead", "end", eid, sizeof eid, NULL, NULL);
    s_dlv_id (id, sizeof id, eid, "hook");
    nt_deliver_destroy (&fx->deliver);
    fx->deliver = s_engine (fx, fx->guard, 1000, 100); //  lease 1.1 s
    assert_true (s_pump (fx, s_has_request, NULL, 5000));
    nt_deliver_destroy (&fx->deliver); //  killed mid-attempt
    fx->deliver = s_engine (fx, fx->guard, 2000, 5000);
    assert_true (s_pump (fx, s_is_succeeded, id, 5000));
    assert_int_equal (s_count_of (fx->receiver, id), 2);
    json_t *record = s_attempt (fx, "hook", 0);
    assert_int_equal (json_integer_value (json_object_get (record, "attempt")),
                      2);
    json_decref (record);
    assert_int_equal (s_int (fx, "LLEN %s", "e:{acme}:sub:hook:attempts"), 1);
}


static void
test_slow_receivers_time_out_and_redirects_are_not_followed (void **state)
{
    fixture_t *fx = *state;
    nt_deliver_destroy (&fx->deliver);
    fx->deliver = s_engine (fx, fx->guard, 200, 5000);
    s_subscribe_all (fx, "hook");
    s_receiver_rule (fx->receiver,
                     (s_rule_t){.count = 1, .status = 200, .delay_ms = 600});
    s_receiver_rule (
        fx->receiver,
        (s_rule_t){.count = 1, .status = 302, .location = "/elsewhere"});
    char eid[64], id[128];
    s_event (fx, "hello_slow", "end", eid, sizeof eid, NULL, NULL);
    s_dlv_id (id, sizeof id, eid, "hook");
    assert_true (s_pump (fx, s_is_succeeded, id, 5000));
    json_t *first = s_attempt (fx, "hook", 2);
    assert_string_equal (json_string_value (json_object_get (first, "error")),
                         "no answer within 200 ms");
    assert_true (json_is_null (json_object_get (first, "statusCode")));
    json_decref (first);
    json_t *second = s_attempt (fx, "hook", 1);
    assert_string_equal (json_string_value (json_object_get (second, "error")),
                         "HTTP 302");
    json_decref (second);
    for (int i = 0; i < s_received (fx->receiver); i++)
        assert_string_equal (fx->receiver->reqs[i].path, "/hooks/build");
}


static void
test_a_deleted_subscription_drops_its_deliveries (void **state)
{
    fixture_t *fx = *state;
    s_subscribe_all (fx, "hook");
    char eid[64], id[128];
    s_event (fx, "hello_del", "end", eid, sizeof eid, NULL, NULL);
    s_dlv_id (id, sizeof id, eid, "hook");
    assert_int_equal (nt_notifier_poll (fx->notifier, 0), 1);
    s_ok (edge_redis_command (fx->redis, "DEL e:{acme}:sub:hook"));
    assert_int_equal (nt_deliver_run (fx->deliver, 0, true), 0);
    char key[160];
    snprintf (key, sizeof key, "e:dlv:%s", id);
    assert_int_equal (s_int (fx, "EXISTS %s", key), 0);
    assert_int_equal (s_int (fx, "ZCARD %s", EDGE_KEY_DELIVERIES_DUE), 0);
    assert_int_equal (s_received (fx->receiver), 0);
}


static void
test_slack_message_is_posted_with_channel_and_readable_text (void **state)
{
    fixture_t *fx = *state;
    s_subscribe (fx, "chat", NULL, "#builds", "[\"hello\"]", "[\"error\"]");
    char eid[64], id[128];
    s_event (fx, "hello_slack", "error", eid, sizeof eid, "error",
             "{\"deployment\":{\"failedDeployments\":[\"eu\"],"
             "\"succeededDeployments\":[\"us\"]}}");
    s_dlv_id (id, sizeof id, eid, "chat");
    assert_true (s_pump (fx, s_is_succeeded, id, 5000));
    s_receiver_t *rx = fx->receiver;
    assert_int_equal (s_received (rx), 1);
    assert_string_equal (rx->reqs[0].path, "/api/chat.postMessage");
    assert_string_equal (s_header (rx, 0, "authorization"),
                         "Bearer xoxb-test-token");
    assert_string_equal (s_header (rx, 0, "content-type"), "application/json");
    assert_null (s_header (rx, 0, "webhook-signature"));
    json_t *doc = json_loads (rx->reqs[0].body, 0, NULL);
    assert_non_null (doc);
    assert_int_equal (json_object_size (doc), 2);
    assert_string_equal (json_string_value (json_object_get (doc, "channel")),
                         "#builds");
    const char *text = json_string_value (json_object_get (doc, "text"));
    assert_non_null (text);
    const char *words[] = {"acme",  "shooter",     "b42", "hello",
                           "error", "hello_slack", "eu",  "us"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        assert_non_null (strstr (text, words[i]));
    assert_null (strchr (text, '\n'));
    json_decref (doc);
}


static void
test_slack_ok_false_is_a_failed_attempt (void **state)
{
    fixture_t *fx = *state;
    s_subscribe (fx, "chat", NULL, "#nowhere", "[\"hello\"]", "[\"end\"]");
    s_receiver_rule (fx->receiver,
                     (s_rule_t){.count = 1,
                                .status = 200,
                                .body = "{\"ok\":false,\"error\":"
                                        "\"channel_not_found\"}"});
    char eid[64], id[128];
    s_event (fx, "hello_nok", "end", eid, sizeof eid, NULL, NULL);
    s_dlv_id (id, sizeof id, eid, "chat");
    assert_true (s_pump (fx, s_is_succeeded, id, 5000));
    assert_int_equal (s_received (fx->receiver), 2);
    json_t *record = s_attempt (fx, "chat", 1);
    assert_string_equal (
        json_string_value (json_object_get (record, "outcome")), "retry");
    assert_int_equal (
        json_integer_value (json_object_get (record, "statusCode")), 200);
    assert_non_null (
        strstr (json_string_value (json_object_get (record, "error")),
                "channel_not_found"));
    json_decref (record);
}


int
main (void)
{
    int rc = edge_testutil_redis_open (&s_server, NULL, 0);
    if (rc)
        return rc;
    curl_global_init (CURL_GLOBAL_DEFAULT);
    s_receiver = s_receiver_start ();
    const struct CMUnitTest tests[] = {
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        S_TEST (test_webhook_request_has_the_body_and_signatures_that_verify),
        S_TEST (test_500_three_times_then_200_makes_four_attempts),
        S_TEST (test_retry_after_is_honoured_when_later_than_the_schedule),
        S_TEST (test_410_disables_the_subscription_and_fails_its_pending),
        S_TEST (test_final_failure_keeps_the_delivery_and_advances_the_chain),
        S_TEST (test_a_task_waits_for_its_earlier_event_but_others_do_not),
        S_TEST (test_url_guard_refuses_loopback_unless_allowed),
        S_TEST (test_the_same_event_handled_twice_creates_one_delivery),
        S_TEST (test_attempts_of_a_killed_notifier_come_due_after_the_lease),
        S_TEST (test_attempts_in_flight_of_a_destroyed_engine_come_due_again),
        S_TEST (test_slow_receivers_time_out_and_redirects_are_not_followed),
        S_TEST (test_a_deleted_subscription_drops_its_deliveries),
        S_TEST (test_slack_message_is_posted_with_channel_and_readable_text),
        S_TEST (test_slack_ok_false_is_a_failed_attempt),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    s_receiver_stop (&s_receiver);
    curl_global_cleanup ();
    edge_testutil_redis_close (&s_server, NULL);
    return rc;
}
