/*  nt_store - the delivery scripts (ingest, take, finish:
    notifier/lua/store_*.lua).

    Scripts get the time as arguments. They compute the keys of an org's
    subscriptions from the names they read, which is fine on one Redis
    server (not on a cluster).  */
#include "nt_store.h"
#include "edge_assert.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_util.h"
#include "nt_lua.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void
nt_store_dlv_destroy (nt_store_dlv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nt_store_dlv_t *self = *self_p;
    free (self->id);
    free (self->org);
    free (self->sub);
    free (self->task_name);
    free (self->event_id);
    free (self->type);
    free (self->event);
    free (self->body);
    free (self->url);
    free (self->slack_channel);
    free (self->secret);
    free (self);
    *self_p = NULL;
}


//  The Slack text of event as a JSON string literal. Caller owns.
static char *
s_slack_text_json (const nt_event_t *event)
{
    char *text = nt_body_slack_text (event);
    json_t *value = json_string (text);
    if (!value)
        value = json_string ("ROCKIT Edge: (event text is not valid UTF-8)");
    char *encoded = edge_json_dumps (value);
    json_decref (value);
    free (text);
    return encoded;
}


//  The strings one entry passes to the ingest script (S_INGEST_FIELDS,
//  in the script's order); the ones it allocates are freed by s_args_fini.
#define S_INGEST_FIELDS 10
typedef struct {
    char counter[80];
    char *body;  //  webhook body, or "" (owned)
    char *slack; //  Slack text as a JSON string (owned)
} s_ingest_args_t;


static void
s_ingest_args (s_ingest_args_t *self,
               const nt_store_entry_t *entry,
               const char **args)
{
    const nt_event_t *event = entry->event;
    snprintf (self->counter, sizeof self->counter, "%.30s.%.30s",
              *event->type ? event->type : "?",
              *event->event ? event->event : "?");
    bool has_org = *event->org && *event->task_name;
    self->body = has_org ? nt_body_webhook (event) : edge_strdup ("");
    self->slack = has_org ? s_slack_text_json (event) : edge_strdup ("\"\"");
    const char *fields[S_INGEST_FIELDS] = {
        event->id,        self->counter, event->org,   event->type,
        event->event,     event->task_name, self->body, self->slack,
        event->seq,       entry->is_forced ? "1" : "0"};
    memcpy (args, fields, sizeof fields);
}


int
nt_store_ingest (edge_redis_t *redis,
                 const char *group,
                 nt_store_entry_t *entries,
                 size_t count,
                 int64_t now_ms)
{
    edge_assert (redis && group && (entries || count == 0));
    edge_assert (count <= NT_STORE_INGEST_MAX);
    if (count == 0)
        return 0;
    char now[24];
    snprintf (now, sizeof now, "%lld", (long long) now_ms);
    s_ingest_args_t *owned = edge_calloc (count, sizeof *owned);
    size_t nargs = 2 + count * S_INGEST_FIELDS;
    const char **args = edge_calloc (nargs, sizeof *args);
    args[0] = group;
    args[1] = now;
    for (size_t i = 0; i < count; i++) {
        entries[i].acked = 0;
        entries[i].created = 0;
        s_ingest_args (&owned[i], &entries[i],
                       args + 2 + i * S_INGEST_FIELDS);
    }
    const char *keys[] = {EDGE_KEY_DELIVERIES_DUE, EDGE_KEY_EVENTS,
                          EDGE_KEY_NOTIFIER_COUNTS};
    redisReply *reply = edge_redis_eval (redis, &nt_lua_store_ingest, 3, keys,
                                         (int) nargs, args);
    for (size_t i = 0; i < count; i++) {
        free (owned[i].body);
        free (owned[i].slack);
    }
    free (owned);
    free (args);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY
        && reply->elements == 2 * count) {
        rc = 0;
        for (size_t i = 0; i < count; i++) {
            const redisReply *acked = reply->element[2 * i];
            const redisReply *created = reply->element[2 * i + 1];
            if (acked->type != REDIS_REPLY_INTEGER
                || created->type != REDIS_REPLY_INTEGER) {
                rc = -1;
                break;
            }
            entries[i].acked = (int) acked->integer;
            entries[i].created = (int) created->integer;
        }
    }
    if (rc)
        edge_warn ("notifier: handling %zu events from %s failed: %s", count,
                   entries[0].event->id,
                   reply && reply->type == REDIS_REPLY_ERROR ? reply->str
                                                             : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


//  Copy of a string reply, or "" for anything else. Caller owns.
static char *
s_copy (const redisReply *reply, size_t *len)
{
    if (reply->type != REDIS_REPLY_STRING) {
        if (len)
            *len = 0;
        return edge_strdup ("");
    }
    char *copy = edge_malloc (reply->len + 1);
    memcpy (copy, reply->str, reply->len);
    copy[reply->len] = 0;
    if (len)
        *len = reply->len;
    return copy;
}


//  One element of the take reply as a delivery, or NULL when malformed.
static nt_store_dlv_t *
s_dlv_decode (const redisReply *item)
{
    if (item->type != REDIS_REPLY_ARRAY || item->elements != 12)
        return NULL;
    redisReply **f = item->element;
    nt_store_dlv_t *self = edge_calloc (1, sizeof *self);
    self->id = s_copy (f[0], NULL);
    self->org = s_copy (f[1], NULL);
    self->sub = s_copy (f[2], NULL);
    self->task_name = s_copy (f[3], NULL);
    self->event_id = s_copy (f[4], NULL);
    self->type = s_copy (f[5], NULL);
    self->event = s_copy (f[6], NULL);
    self->body = s_copy (f[7], &self->body_len);
    self->attempt =
        f[8]->type == REDIS_REPLY_STRING ? strtoll (f[8]->str, NULL, 10) : 0;
    self->url = s_copy (f[9], NULL);
    self->slack_channel = s_copy (f[10], NULL);
    self->secret = s_copy (f[11], NULL);
    return self;
}


//  The take call's arguments (4 strings in buf, pointed to by args).
typedef struct {
    char now[24], until[24], limit[16], keep[24];
    const char *args[4];
} s_take_args_t;

static void
s_take_args (s_take_args_t *self, int64_t now_ms, int64_t until_ms, int max)
{
    snprintf (self->now, sizeof self->now, "%lld", (long long) now_ms);
    snprintf (self->until, sizeof self->until, "%lld", (long long) until_ms);
    snprintf (self->limit, sizeof self->limit, "%d", max);
    snprintf (self->keep, sizeof self->keep, "%lld",
              (long long) NT_STORE_KEEP_MS);
    self->args[0] = self->now;
    self->args[1] = self->until;
    self->args[2] = self->limit;
    self->args[3] = self->keep;
}


//  Decode the take reply into *dlvs and *count. Returns 0, or -1 when the
//  reply is not an array (logged).
static int
s_take_decode (const redisReply *reply, nt_store_dlv_t ***dlvs, size_t *count)
{
    *dlvs = NULL;
    *count = 0;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply)
            edge_warn ("notifier: taking due deliveries failed: %s",
                       reply->type == REDIS_REPLY_ERROR ? reply->str
                                                        : "unexpected reply");
        return -1;
    }
    if (reply->elements > 0)
        *dlvs = edge_calloc (reply->elements, sizeof (nt_store_dlv_t *));
    for (size_t i = 0; i < reply->elements; i++) {
        nt_store_dlv_t *dlv = s_dlv_decode (reply->element[i]);
        if (dlv)
            (*dlvs)[(*count)++] = dlv;
    }
    return 0;
}


int
nt_store_take (edge_redis_t *redis,
               int64_t now_ms,
               int64_t lease_until_ms,
               int max,
               nt_store_dlv_t ***dlvs,
               size_t *count)
{
    edge_assert (redis && dlvs && count && max > 0);
    s_take_args_t args;
    s_take_args (&args, now_ms, lease_until_ms, max);
    const char *keys[] = {EDGE_KEY_DELIVERIES_DUE};
    redisReply *reply =
        edge_redis_eval (redis, &nt_lua_store_take, 1, keys, 4, args.args);
    int rc = s_take_decode (reply, dlvs, count);
    freeReplyObject (reply);
    return rc;
}


const char *
nt_store_outcome_name (nt_store_outcome_t outcome)
{
    switch (outcome) {
        case NT_STORE_SUCCEEDED:
            return "succeeded";
        case NT_STORE_RETRY:
            return "retry";
        case NT_STORE_FAILED:
            return "failed";
        case NT_STORE_DISABLED:
            return "disabled";
    }
    return "?";
}


//  The attempt record pushed to e:{O}:sub:N:attempts. Caller owns.
static char *
s_record (const nt_store_dlv_t *dlv, const nt_store_result_t *result)
{
    char at[32];
    edge_rfc3339 (result->at_ms, at, sizeof at);
    json_t *record = json_object ();
    json_object_set_new (record, "deliveryId", json_string (dlv->id));
    json_object_set_new (record, "eventId", json_string (dlv->event_id));
    json_object_set_new (record, "taskName", json_string (dlv->task_name));
    json_object_set_new (record, "type", json_string (dlv->type));
    json_object_set_new (record, "event", json_string (dlv->event));
    json_object_set_new (record, "attempt", json_integer (dlv->attempt));
    json_object_set_new (record, "at", json_string (at));
    json_object_set_new (record, "statusCode",
                         result->status_code
                             ? json_integer (result->status_code)
                             : json_null ());
    json_object_set_new (record, "latencyMs",
                         json_integer (result->latency_ms));
    json_t *error = result->error ? json_string (result->error) : NULL;
    json_object_set_new (record, "error", error ? error : json_null ());
    json_object_set_new (record, "outcome",
                         json_string (nt_store_outcome_name (result->outcome)));
    char *text = edge_json_dumps (record);
    json_decref (record);
    return text;
}


//  The finish call's arguments for count attempts: 4 common ones, then 7
//  per attempt (store_finish.lua). Free with s_finish_args_fini.
typedef struct {
    char now[24], now_iso[32], keep[24];
    char (*numbers)[3][24]; //  per attempt: attempt, status, next_at
    char **records;         //  per attempt: the attempt record (owned)
    size_t count;
    const char **args; //  4 + 7 * count
    int nargs;
} s_finish_args_t;

static void
s_finish_args_init (s_finish_args_t *self,
                    const nt_store_dlv_t *const *dlvs,
                    const nt_store_result_t *results,
                    size_t count,
                    int64_t now_ms)
{
    snprintf (self->now, sizeof self->now, "%lld", (long long) now_ms);
    edge_rfc3339 (now_ms, self->now_iso, sizeof self->now_iso);
    snprintf (self->keep, sizeof self->keep, "%lld",
              (long long) NT_STORE_KEEP_MS);
    self->count = count;
    self->numbers = edge_calloc (count, sizeof *self->numbers);
    self->records = edge_calloc (count, sizeof (char *));
    self->nargs = (int) (4 + 7 * count);
    self->args = edge_calloc ((size_t) self->nargs, sizeof (char *));
    const char **a = self->args;
    a[0] = self->now;
    a[1] = self->now_iso;
    a[2] = self->keep;
    a[3] = NT_STORE_GONE_REASON;
    for (size_t i = 0; i < count; i++) {
        const nt_store_dlv_t *dlv = dlvs[i];
        const nt_store_result_t *result = &results[i];
        char (*n)[24] = self->numbers[i];
        snprintf (n[0], 24, "%lld", (long long) dlv->attempt);
        if (result->status_code)
            snprintf (n[1], 24, "%d", result->status_code);
        snprintf (n[2], 24, "%lld", (long long) result->next_at_ms);
        self->records[i] = s_record (dlv, result);
        const char **at = a + 4 + 7 * i;
        at[0] = dlv->id;
        at[1] = n[0];
        at[2] = nt_store_outcome_name (result->outcome);
        at[3] = n[1];
        at[4] = result->error ? result->error : "";
        at[5] = self->records[i];
        at[6] = n[2];
    }
}


static void
s_finish_args_fini (s_finish_args_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        free (self->records[i]);
    free (self->records);
    free (self->numbers);
    free (self->args);
}


//  Set rcs from the finish reply: 1 or 0 each. Returns 0, or -1 (every rc
//  -1, logged) when the reply is not one integer per attempt.
static int
s_finish_decode (const redisReply *reply,
                 const nt_store_dlv_t *const *dlvs,
                 size_t count,
                 int *rcs)
{
    bool is_ok =
        reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == count;
    for (size_t i = 0; is_ok && i < count; i++)
        is_ok = reply->element[i]->type == REDIS_REPLY_INTEGER;
    for (size_t i = 0; i < count; i++)
        rcs[i] = !is_ok ? -1 : reply->element[i]->integer == 1 ? 1 : 0;
    if (!is_ok && reply)
        edge_warn ("notifier: recording %zu attempts (the first: attempt "
                   "%lld of %s) failed: %s",
                   count, (long long) dlvs[0]->attempt, dlvs[0]->id,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    return is_ok ? 0 : -1;
}


int
nt_store_finish (edge_redis_t *redis,
                 const nt_store_dlv_t *dlv,
                 const nt_store_result_t *result)
{
    edge_assert (redis && dlv && result);
    int rc = -1;
    nt_store_round_t round = {.dlvs = &dlv,
                              .results = result,
                              .count = 1,
                              .now_ms = edge_now_ms (),
                              .rcs = &rc};
    nt_store_round (redis, &round);
    return rc;
}


int
nt_store_round (edge_redis_t *redis, nt_store_round_t *round)
{
    edge_assert (redis && round && (round->count == 0 || round->rcs));
    edge_assert (round->count == 0 || (round->dlvs && round->results));
    round->taken = NULL;
    round->ntaken = 0;
    const char *keys[] = {EDGE_KEY_DELIVERIES_DUE};
    edge_redis_call_t calls[2];
    size_t ncalls = 0;
    s_finish_args_t fargs;
    if (round->count > 0) {
        s_finish_args_init (&fargs, round->dlvs, round->results, round->count,
                            round->now_ms);
        calls[ncalls++] = (edge_redis_call_t){&nt_lua_store_finish, 1, keys,
                                              fargs.nargs, fargs.args};
    }
    s_take_args_t targs;
    if (round->max > 0) {
        s_take_args (&targs, round->now_ms, round->lease_until_ms, round->max);
        calls[ncalls++] =
            (edge_redis_call_t){&nt_lua_store_take, 1, keys, 4, targs.args};
    }
    redisReply *replies[2] = {NULL, NULL};
    int rc = edge_redis_eval_pipeline (redis, calls, ncalls, replies);
    size_t next = 0;
    if (round->count > 0) {
        if (s_finish_decode (replies[next++], round->dlvs, round->count,
                             round->rcs))
            rc = -1;
        s_finish_args_fini (&fargs);
    }
    if (round->max > 0
        && s_take_decode (replies[next], &round->taken, &round->ntaken))
        rc = -1;
    for (size_t i = 0; i < ncalls; i++)
        freeReplyObject (replies[i]);
    return rc;
}
