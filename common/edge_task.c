/*  edge_task - the task store: records, queue and lease indexes, events.

    Every state change is one Lua script that checks the state it expects,
    changes the record and its indexes, and XADDs the matching event to
    e:events, so a state never exists without its event. Scripts get the
    time as arguments (now in ms and as RFC 3339) instead of calling TIME.
    Changes to a running task are fenced by (owner, attempts): a worker whose
    lease was taken over gets GONE and cannot record anything.

    A queued task that goes back to the queue (release, expired lease) gets
    a `submit` event again, with a message saying why.

    The scripts are common/lua/task_*.lua; the fragments they share, and
    the ones other modules' scripts use to write task fields (only this
    module writes them), are lua/lib/task_*.lua.  */
#include "edge_task.h"
#include "edge_assert.h"
#include "edge_keys.h"
#include "edge_lua.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


//  Run a task script with the standard keys. Caller owns the reply.
static redisReply *
s_eval (edge_redis_t *redis,
        edge_redis_script_t *script,
        const char *name,
        const char *orgindex,
        int nargs,
        const char **args)
{
    char *task_key = edge_key_task (name);
    const char *keys[5] = {task_key, EDGE_KEY_TASKS_QUEUED,
                           EDGE_KEY_TASKS_LEASES, EDGE_KEY_EVENTS, orgindex};
    redisReply *reply =
        edge_redis_eval (redis, script, orgindex ? 5 : 4, keys, nargs, args);
    free (task_key);
    return reply;
}


//  Map a 1/0 script reply to OK/GONE; anything else is a Redis failure.
static edge_err_t
s_fenced_rc (redisReply *reply, const char *what, const char *name)
{
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1 ? EDGE_ERR_OK : EDGE_ERR_GONE;
    else if (reply)
        edge_warn ("task %s: %s failed: %s", name, what,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


//  Append name/value to the create argument list when value is non-empty.
static void
s_add_field (const char **args, int *nargs, const char *name, const char *value)
{
    if (value && *value) {
        args[(*nargs)++] = name;
        args[(*nargs)++] = value;
    }
}


//  One create attempt with the given name. Returns 1 created, 0 name
//  taken, -1 Redis failed.
static int
s_create_named (edge_redis_t *redis,
                const edge_task_spec_t *spec,
                const char *name)
{
    int64_t now = edge_now_ms ();
    char now_ms[24], now_iso[32];
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    const char *args[40];
    int nargs = 0;
    args[nargs++] = now_ms;
    args[nargs++] = now_iso;
    s_add_field (args, &nargs, "name", name);
    s_add_field (args, &nargs, "type", spec->type);
    s_add_field (args, &nargs, "group",
                 spec->group && *spec->group ? spec->group : name);
    s_add_field (args, &nargs, "orgName", spec->org);
    s_add_field (args, &nargs, "appName", spec->app);
    s_add_field (args, &nargs, "buildName", spec->build);
    s_add_field (args, &nargs, "dxfName", spec->dxf);
    s_add_field (args, &nargs, "attempts", "0");
    s_add_field (args, &nargs, "created", now_iso);
    s_add_field (args, &nargs, "createdMs", now_ms);
    s_add_field (args, &nargs, "params", spec->params ? spec->params : "{}");
    s_add_field (args, &nargs, "createdBy", spec->created_by);
    s_add_field (args, &nargs, "message", spec->message);
    s_add_field (args, &nargs, "buildChanged",
                 spec->is_build_changed ? "true" : NULL);
    s_add_field (args, &nargs, "state",
                 spec->is_waiting ? "waiting" : "queued");
    char *orgindex =
        spec->org && *spec->org ? edge_key_org_tasks (spec->org) : NULL;
    redisReply *reply =
        s_eval (redis, &edge_lua_task_create, name, orgindex, nargs, args);
    free (orgindex);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1 ? 1 : 0;
    else if (reply)
        edge_warn ("task %s: create failed: %s", name,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


int
edge_task_create (edge_redis_t *redis, const edge_task_spec_t *spec, char *name)
{
    edge_assert (redis && spec && spec->type && name);
    //  Names hold 40 random bits and a timestamp: a clash is near
    //  impossible, but a second try costs nothing
    for (int tries = 0; tries < 3; tries++) {
        edge_task_name_make (spec->type, name, EDGE_TASK_NAME_MAX);
        int rc = s_create_named (redis, spec, name);
        if (rc != 0)
            return rc == 1 ? 0 : -1;
    }
    edge_warn ("task: could not find a free name for a %s task", spec->type);
    return -1;
}


//  Set key to the string value, or null when absent.
static void
s_set_str (json_t *obj, const char *key, const char *value)
{
    json_object_set_new (obj, key, value ? json_string (value) : json_null ());
}


//  Set key to the parsed JSON text of value, dflt (or null) otherwise.
static void
s_set_json (json_t *obj, const char *key, const char *value, json_t *dflt)
{
    json_t *parsed = value ? json_loads (value, JSON_DECODE_ANY, NULL) : NULL;
    if (parsed) {
        json_decref (dflt);
        json_object_set_new (obj, key, parsed);
    }
    else
        json_object_set_new (obj, key, dflt ? dflt : json_null ());
}


json_t *
edge_task_record (const redisReply *reply)
{
    static const char *strings[] = {"name",    "type",    "group",
                                    "orgName", "appName", "buildName",
                                    "dxfName", "state"};
    json_t *obj = json_object ();
    for (size_t i = 0; i < EDGE_COUNT (strings); i++)
        s_set_str (obj, strings[i], edge_redis_hash_field (reply, strings[i]));
    const char *attempts = edge_redis_hash_field (reply, "attempts");
    json_object_set_new (obj, "attempts",
                         json_integer (attempts ? atoll (attempts) : 0));
    s_set_str (obj, "created", edge_redis_hash_field (reply, "created"));
    s_set_str (obj, "started", edge_redis_hash_field (reply, "started"));
    s_set_str (obj, "finished", edge_redis_hash_field (reply, "finished"));
    s_set_json (obj, "progress", edge_redis_hash_field (reply, "progress"),
                NULL);
    s_set_json (obj, "warnings", edge_redis_hash_field (reply, "warnings"),
                json_array ());
    s_set_json (obj, "exception", edge_redis_hash_field (reply, "exception"),
                NULL);
    s_set_json (obj, "error", edge_redis_hash_field (reply, "error"), NULL);
    s_set_json (obj, "result", edge_redis_hash_field (reply, "result"), NULL);
    s_set_str (obj, "message", edge_redis_hash_field (reply, "message"));
    const char *changed = edge_redis_hash_field (reply, "buildChanged");
    json_object_set_new (obj, "buildChanged",
                         changed ? json_boolean (strcmp (changed, "true") == 0)
                                 : json_null ());
    s_set_str (obj, "worker", edge_redis_hash_field (reply, "owner"));
    const char *state = edge_redis_hash_field (reply, "state");
    const char *lease = edge_redis_hash_field (reply, "leaseUntil");
    if (state && strcmp (state, "running") == 0 && lease) {
        char iso[32];
        edge_rfc3339 (atoll (lease), iso, sizeof iso);
        json_object_set_new (obj, "leaseUntil", json_string (iso));
    }
    return obj;
}


json_t *
edge_task_get (edge_redis_t *redis, const char *name, bool *is_redis_error)
{
    edge_assert (redis && name && is_redis_error);
    redisReply *reply =
        edge_redis_command (redis, "HGETALL " EDGE_KEY_TASK_PREFIX "%s", name);
    *is_redis_error = !reply || reply->type != REDIS_REPLY_ARRAY;
    if (reply && reply->type == REDIS_REPLY_ERROR)
        edge_warn ("task %s: read failed: %s", name, reply->str);
    json_t *record = NULL;
    if (!*is_redis_error && reply->elements > 0)
        record = edge_task_record (reply);
    freeReplyObject (reply);
    return record;
}


//  Copy a string element of an array reply, "" when not a string.
static char *
s_element_str (const redisReply *reply, size_t index)
{
    const redisReply *e = reply->element[index];
    return edge_strdup (e->type == REDIS_REPLY_STRING ? e->str : "");
}


//  The times a claim passes: now (ms), the lease's end (ms), now (RFC 3339).
typedef struct {
    char now_ms[24], until[24], now_iso[32];
} s_claim_args_t;

static void
s_claim_args (s_claim_args_t *self, int64_t lease_ms)
{
    int64_t now = edge_now_ms ();
    snprintf (self->now_ms, sizeof self->now_ms, "%lld", (long long) now);
    snprintf (self->until, sizeof self->until, "%lld",
              (long long) (now + lease_ms));
    edge_rfc3339 (now, self->now_iso, sizeof self->now_iso);
}


//  The claim script's reply (freed here) into claim.
static edge_err_t
s_claim_reply (redisReply *reply, const char *name, edge_task_claim_t *claim)
{
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_NIL)
        rc = EDGE_ERR_GONE;
    else if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 4
             && reply->element[0]->type == REDIS_REPLY_INTEGER) {
        claim->name = edge_strdup (name);
        claim->attempt = (int) reply->element[0]->integer;
        claim->type = s_element_str (reply, 1);
        claim->org = s_element_str (reply, 2);
        claim->params = s_element_str (reply, 3);
        rc = EDGE_ERR_OK;
    }
    else if (reply)
        edge_warn ("task %s: claim failed: %s", name,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


//  The standard keys of a task script (keys[0] is allocated: free it).
static void
s_keys (const char *name, const char *keys[4])
{
    keys[0] = edge_key_task (name);
    keys[1] = EDGE_KEY_TASKS_QUEUED;
    keys[2] = EDGE_KEY_TASKS_LEASES;
    keys[3] = EDGE_KEY_EVENTS;
}


//  Run calls[0..count) in one round trip into replies (NULL each when
//  Redis failed), then free every call's task key.
static void
s_pipeline (edge_redis_t *redis,
            edge_redis_call_t *calls,
            const char *(*keys)[4],
            size_t count,
            redisReply **replies)
{
    if (edge_redis_eval_pipeline (redis, calls, count, replies))
        for (size_t i = 0; i < count; i++)
            replies[i] = NULL;
    for (size_t i = 0; i < count; i++)
        free ((char *) keys[i][0]);
}


void
edge_task_claim_many (edge_redis_t *redis,
                      const char *const *names,
                      size_t count,
                      const char *owner,
                      int64_t lease_ms,
                      edge_task_claim_t *claims,
                      edge_err_t *rcs)
{
    edge_assert (redis && (names || count == 0) && owner);
    if (count == 0)
        return;
    s_claim_args_t t;
    s_claim_args (&t, lease_ms);
    const char *args[] = {owner, t.now_ms, t.until, t.now_iso};
    edge_redis_call_t *calls = edge_calloc (count, sizeof *calls);
    const char *(*keys)[4] = edge_calloc (count, sizeof *keys);
    redisReply **replies = edge_calloc (count, sizeof *replies);
    for (size_t i = 0; i < count; i++) {
        s_keys (names[i], keys[i]);
        calls[i] = (edge_redis_call_t) {&edge_lua_task_claim, 4, keys[i], 4,
                                        args};
    }
    s_pipeline (redis, calls, keys, count, replies);
    for (size_t i = 0; i < count; i++) {
        memset (&claims[i], 0, sizeof claims[i]);
        rcs[i] = s_claim_reply (replies[i], names[i], &claims[i]);
    }
    free (replies);
    free (keys);
    free (calls);
}


edge_err_t
edge_task_claim (edge_redis_t *redis,
                 const char *name,
                 const char *owner,
                 int64_t lease_ms,
                 edge_task_claim_t *claim)
{
    edge_assert (redis && name && owner && claim);
    memset (claim, 0, sizeof *claim);
    s_claim_args_t t;
    s_claim_args (&t, lease_ms);
    const char *args[] = {owner, t.now_ms, t.until, t.now_iso};
    return s_claim_reply (
        s_eval (redis, &edge_lua_task_claim, name, NULL, 4, args), name,
        claim);
}


void
edge_task_claim_fini (edge_task_claim_t *claim)
{
    if (!claim)
        return;
    free (claim->name);
    free (claim->type);
    free (claim->org);
    free (claim->params);
    memset (claim, 0, sizeof *claim);
}


edge_err_t
edge_task_renew (edge_redis_t *redis,
                 const char *name,
                 const char *owner,
                 int attempt,
                 int64_t lease_ms)
{
    edge_assert (redis && name && owner);
    char att[16], until[24];
    snprintf (att, sizeof att, "%d", attempt);
    snprintf (until, sizeof until, "%lld",
              (long long) (edge_now_ms () + lease_ms));
    const char *args[] = {owner, att, until};
    return s_fenced_rc (
        s_eval (redis, &edge_lua_task_renew, name, NULL, 3, args), "renew",
        name);
}


edge_err_t
edge_task_progress (edge_redis_t *redis,
                    const char *name,
                    const char *owner,
                    int attempt,
                    int64_t done_bytes,
                    int64_t total_bytes)
{
    edge_assert (redis && name && owner);
    char att[16], progress[80];
    snprintf (att, sizeof att, "%d", attempt);
    snprintf (progress, sizeof progress,
              "{\"doneBytes\":%lld,\"totalBytes\":%lld}",
              (long long) done_bytes, (long long) total_bytes);
    const char *args[] = {owner, att, progress};
    return s_fenced_rc (
        s_eval (redis, &edge_lua_task_progress, name, NULL, 3, args),
        "progress", name);
}


//  "true"/"false" when result holds a boolean buildChanged, else "".
static const char *
s_build_changed (const char *result)
{
    json_t *obj = json_loads (result, 0, NULL);
    json_t *value = json_object_get (obj, "buildChanged");
    const char *text = json_is_boolean (value)
                           ? (json_is_true (value) ? "true" : "false")
                           : "";
    json_decref (obj);
    return text;
}


edge_err_t
edge_task_succeed (edge_redis_t *redis,
                   const char *name,
                   const char *owner,
                   int attempt,
                   const char *result)
{
    edge_assert (redis && name && owner);
    if (!result)
        result = "{}";
    char att[16], now_iso[32];
    snprintf (att, sizeof att, "%d", attempt);
    edge_rfc3339 (edge_now_ms (), now_iso, sizeof now_iso);
    const char *args[] = {owner, att, now_iso, result,
                          s_build_changed (result)};
    return s_fenced_rc (
        s_eval (redis, &edge_lua_task_succeed, name, NULL, 5, args), "succeed",
        name);
}


//  One succeed-and-next attempt with next_name. Returns 1 done, 0 GONE,
//  -1 name taken, -2 Redis failed.
static int
s_succeed_next_named (edge_redis_t *redis,
                      const char *name,
                      const char **args,
                      const char *next_name,
                      const char *org)
{
    char *task_key = edge_key_task (name);
    char *next_key = edge_key_task (next_name);
    char *orgindex = org && *org ? edge_key_org_tasks (org) : NULL;
    const char *keys[6] = {task_key,
                           EDGE_KEY_TASKS_QUEUED,
                           EDGE_KEY_TASKS_LEASES,
                           EDGE_KEY_EVENTS,
                           next_key,
                           orgindex};
    redisReply *reply = edge_redis_eval (redis, &edge_lua_task_succeed_next,
                                         orgindex ? 6 : 5, keys, 10, args);
    int rc = -2;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = (int) reply->integer;
    else if (reply)
        edge_warn ("task %s: succeed failed: %s", name,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    free (task_key);
    free (next_key);
    free (orgindex);
    return rc;
}


//  The org of task name ("" when none), or NULL when Redis failed.
static char *
s_task_org (edge_redis_t *redis, const char *name)
{
    redisReply *reply = edge_redis_command (
        redis, "HGET " EDGE_KEY_TASK_PREFIX "%s orgName", name);
    char *org = NULL;
    if (reply && reply->type == REDIS_REPLY_STRING)
        org = edge_strdup (reply->str);
    else if (reply && reply->type == REDIS_REPLY_NIL)
        org = edge_strdup ("");
    freeReplyObject (reply);
    return org;
}


edge_err_t
edge_task_succeed_next (edge_redis_t *redis,
                        const char *name,
                        const char *owner,
                        int attempt,
                        const char *result,
                        const edge_task_next_t *next,
                        char *next_name)
{
    edge_assert (redis && name && owner && next && next->type && next_name);
    if (!result)
        result = "{}";
    char *org = s_task_org (redis, name);
    if (!org)
        return EDGE_ERR_REDIS;
    int64_t now = edge_now_ms ();
    char att[16], now_iso[32], now_ms[24];
    snprintf (att, sizeof att, "%d", attempt);
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    edge_err_t rc = EDGE_ERR_REDIS;
    for (int tries = 0; tries < 3; tries++) {
        edge_task_name_make (next->type, next_name, EDGE_TASK_NAME_MAX);
        const char *args[] = {owner,
                              att,
                              now_iso,
                              result,
                              s_build_changed (result),
                              now_ms,
                              next_name,
                              next->type,
                              next->params ? next->params : "{}",
                              next->dxf ? next->dxf : ""};
        int outcome = s_succeed_next_named (redis, name, args, next_name, org);
        if (outcome == -1)
            continue;
        rc = outcome == 1   ? EDGE_ERR_OK
             : outcome == 0 ? EDGE_ERR_GONE
                            : EDGE_ERR_REDIS;
        break;
    }
    free (org);
    if (rc != EDGE_ERR_OK)
        next_name[0] = 0;
    return rc;
}


edge_err_t
edge_task_enqueue (edge_redis_t *redis,
                   const char *name,
                   const char *params,
                   const char *message)
{
    edge_assert (redis && name);
    int64_t now = edge_now_ms ();
    char now_ms[24], now_iso[32];
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    const char *args[] = {now_ms, now_iso, params ? params : "",
                          message && *message ? message : "queued"};
    return s_fenced_rc (
        s_eval (redis, &edge_lua_task_enqueue, name, NULL, 4, args), "enqueue",
        name);
}


edge_err_t
edge_task_fail (edge_redis_t *redis,
                const char *name,
                const char *owner,
                int attempt,
                const char *message,
                const char *exception,
                const char *error)
{
    edge_assert (redis && name && owner);
    char att[16], now_iso[32];
    snprintf (att, sizeof att, "%d", attempt);
    edge_rfc3339 (edge_now_ms (), now_iso, sizeof now_iso);
    const char *args[] = {owner,
                          att,
                          now_iso,
                          message && *message ? message : "task failed",
                          exception ? exception : "",
                          error ? error : ""};
    return s_fenced_rc (
        s_eval (redis, &edge_lua_task_fail, name, NULL, 6, args), "fail", name);
}


void
edge_task_finish_many (edge_redis_t *redis,
                       const char *owner,
                       const edge_task_outcome_t *outcomes,
                       size_t count,
                       edge_err_t *rcs)
{
    edge_assert (redis && owner && (outcomes || count == 0));
    if (count == 0)
        return;
    char now_iso[32];
    edge_rfc3339 (edge_now_ms (), now_iso, sizeof now_iso);
    edge_redis_call_t *calls = edge_calloc (count, sizeof *calls);
    const char *(*keys)[4] = edge_calloc (count, sizeof *keys);
    const char *(*args)[6] = edge_calloc (count, sizeof *args);
    char (*atts)[16] = edge_calloc (count, sizeof *atts);
    redisReply **replies = edge_calloc (count, sizeof *replies);
    for (size_t i = 0; i < count; i++) {
        const edge_task_outcome_t *o = &outcomes[i];
        s_keys (o->name, keys[i]);
        snprintf (atts[i], sizeof atts[i], "%d", o->attempt);
        const char *result = o->result ? o->result : "{}";
        if (o->is_success) {
            const char *a[] = {owner, atts[i], now_iso, result,
                               s_build_changed (result)};
            memcpy (args[i], a, sizeof a);
            calls[i] = (edge_redis_call_t) {&edge_lua_task_succeed, 4, keys[i],
                                            5, args[i]};
        }
        else {
            const char *a[] = {
                owner,
                atts[i],
                now_iso,
                o->message && *o->message ? o->message : "task failed",
                o->exception ? o->exception : "",
                o->error ? o->error : ""};
            memcpy (args[i], a, sizeof a);
            calls[i] = (edge_redis_call_t) {&edge_lua_task_fail, 4, keys[i], 6,
                                            args[i]};
        }
    }
    s_pipeline (redis, calls, keys, count, replies);
    for (size_t i = 0; i < count; i++)
        rcs[i] = s_fenced_rc (replies[i],
                              outcomes[i].is_success ? "succeed" : "fail",
                              outcomes[i].name);
    free (replies);
    free (atts);
    free (args);
    free (keys);
    free (calls);
}


edge_err_t
edge_task_release (edge_redis_t *redis,
                   const char *name,
                   const char *owner,
                   int attempt)
{
    edge_assert (redis && name && owner);
    int64_t now = edge_now_ms ();
    char att[16], now_ms[24], now_iso[32];
    snprintf (att, sizeof att, "%d", attempt);
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    const char *args[] = {owner, att, now_ms, now_iso};
    return s_fenced_rc (
        s_eval (redis, &edge_lua_task_release, name, NULL, 4, args), "release",
        name);
}


//  Append a copy of name and type to list.
static void
s_list_add (edge_task_list_t *list, const char *name, const char *type)
{
    list->names =
        edge_realloc (list->names, sizeof (char *) * (list->count + 1));
    list->types =
        edge_realloc (list->types, sizeof (char *) * (list->count + 1));
    list->names[list->count] = edge_strdup (name);
    list->types[list->count] = edge_strdup (type);
    list->count++;
}


void
edge_task_list_fini (edge_task_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free (list->names[i]);
        free (list->types[i]);
    }
    free (list->names);
    free (list->types);
    memset (list, 0, sizeof *list);
}


//  Reap one task whose lease index entry expired. Returns 0, or -1 when
//  Redis failed. Tasks queued again are added to resend.
static int
s_reap_one (edge_redis_t *redis,
            const char *name,
            int64_t now_ms,
            int max_attempts,
            edge_task_list_t *resend)
{
    char now[24], now_iso[32], max[16];
    snprintf (now, sizeof now, "%lld", (long long) now_ms);
    edge_rfc3339 (now_ms, now_iso, sizeof now_iso);
    snprintf (max, sizeof max, "%d", max_attempts);
    const char *args[] = {name, now, now_iso, max};
    redisReply *reply =
        s_eval (redis, &edge_lua_task_reap, name, NULL, 4, args);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
        && reply->element[0]->type == REDIS_REPLY_INTEGER) {
        long long outcome = reply->element[0]->integer;
        if (outcome == 1 && reply->elements == 2) {
            edge_info ("reaper: task %s lost its worker, queued again", name);
            char *type = s_element_str (reply, 1);
            s_list_add (resend, name, type);
            free (type);
        }
        else if (outcome == 2)
            edge_warn ("reaper: task %s lost its worker %d times, failed", name,
                       max_attempts);
        rc = 0;
    }
    else if (reply)
        edge_warn ("reaper: task %s: %s", name,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


//  Re-queue or fail every task whose lease expired by now_ms.
static int
s_reap_leases (edge_redis_t *redis,
               int64_t now_ms,
               int max_attempts,
               size_t max,
               edge_task_list_t *resend)
{
    redisReply *reply = edge_redis_command (
        redis, "ZRANGEBYSCORE " EDGE_KEY_TASKS_LEASES " -inf %lld LIMIT 0 %lld",
        (long long) now_ms, (long long) max);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply)
            edge_warn ("reaper: reading leases failed: %s",
                       reply->type == REDIS_REPLY_ERROR ? reply->str
                                                        : "unexpected reply");
        freeReplyObject (reply);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < reply->elements && rc == 0; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING)
            rc = s_reap_one (redis, reply->element[i]->str, now_ms,
                             max_attempts, resend);
    freeReplyObject (reply);
    return rc;
}


//  List queued tasks last sent at or before now_ms - resend_ms.
static int
s_resend_queued (edge_redis_t *redis,
                 int64_t now_ms,
                 int64_t resend_ms,
                 size_t max,
                 edge_task_list_t *resend)
{
    char cutoff[24], now[24], count[24];
    snprintf (cutoff, sizeof cutoff, "%lld", (long long) (now_ms - resend_ms));
    snprintf (now, sizeof now, "%lld", (long long) now_ms);
    snprintf (count, sizeof count, "%zu", max);
    const char *keys[] = {EDGE_KEY_TASKS_QUEUED};
    const char *args[] = {cutoff, now, count, EDGE_KEY_TASK_PREFIX};
    redisReply *reply =
        edge_redis_eval (redis, &edge_lua_task_resend, 1, keys, 4, args);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            char *name = s_element_str (reply, i);
            char *type = s_element_str (reply, i + 1);
            s_list_add (resend, name, type);
            free (name);
            free (type);
        }
        rc = 0;
    }
    else if (reply)
        edge_warn ("reaper: resend pass failed: %s",
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


int
edge_task_reap (edge_redis_t *redis,
                int64_t now_ms,
                int max_attempts,
                int64_t resend_ms,
                size_t max,
                edge_task_list_t *resend)
{
    edge_assert (redis && resend && max_attempts >= 1);
    memset (resend, 0, sizeof *resend);
    if (max == 0)
        return 0;
    if (s_reap_leases (redis, now_ms, max_attempts, max, resend)
        || (resend->count < max
            && s_resend_queued (redis, now_ms, resend_ms, max - resend->count,
                                resend))) {
        edge_task_list_fini (resend);
        return -1;
    }
    return 0;
}
