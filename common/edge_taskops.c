/*  edge_taskops - organization-side task operations (list, acknowledge,
    expire, retry), each checked against the task's owning organization.
    The scripts are common/lua/taskops_*.lua.  */
#include "edge_taskops.h"
#include "edge_assert.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_lua.h"
#include "edge_task.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


json_t *
edge_taskops_get (edge_redis_t *redis,
                  const char *org,
                  const char *name,
                  edge_err_t *rc)
{
    edge_assert (redis && org && name && rc);
    bool is_redis_error = false;
    json_t *record = edge_task_get (redis, name, &is_redis_error);
    *rc = is_redis_error ? EDGE_ERR_REDIS : EDGE_ERR_NOT_FOUND;
    if (!record)
        return NULL;
    const char *owner = json_string_value (json_object_get (record, "orgName"));
    if (!owner || strcmp (owner, org) != 0) {
        json_decref (record); //  another org's task: exactly as absent
        return NULL;
    }
    *rc = EDGE_ERR_OK;
    return record;
}


//  Run an org-checked script on one task. Returns its reply (caller frees)
//  or NULL when Redis failed.
static redisReply *
s_eval (edge_redis_t *redis,
        edge_redis_script_t *script,
        const char *name,
        int nargs,
        const char **args)
{
    char *task_key = edge_key_task (name);
    const char *keys[] = {task_key, EDGE_KEY_TASKS_QUEUED,
                          EDGE_KEY_TASKS_LEASES, EDGE_KEY_EVENTS};
    redisReply *reply = edge_redis_eval (redis, script, 4, keys, nargs, args);
    free (task_key);
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        edge_warn ("task %s: script failed: %s", name, reply->str);
        freeReplyObject (reply);
        return NULL;
    }
    return reply;
}


//  Map an integer script answer: 1 OK, 0 not found, -1 conflict.
static edge_err_t
s_rc (redisReply *reply)
{
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1   ? EDGE_ERR_OK
             : reply->integer == 0 ? EDGE_ERR_NOT_FOUND
                                   : EDGE_ERR_CONFLICT;
    freeReplyObject (reply);
    return rc;
}


edge_err_t
edge_taskops_acknowledge (edge_redis_t *redis,
                          const char *org,
                          const char *name)
{
    edge_assert (redis && org && name);
    const char *args[] = {org};
    return s_rc (s_eval (redis, &edge_lua_taskops_acknowledge, name, 1, args));
}


edge_err_t
edge_taskops_expire (edge_redis_t *redis,
                     const char *org,
                     const char *name,
                     const char *by)
{
    edge_assert (redis && org && name && by);
    char now_iso[32];
    edge_rfc3339 (edge_now_ms (), now_iso, sizeof now_iso);
    char *message = edge_sprintf ("upload expired by %s", by);
    const char *args[] = {org, now_iso, message};
    edge_err_t rc =
        s_rc (s_eval (redis, &edge_lua_taskops_expire, name, 3, args));
    free (message);
    return rc;
}


edge_err_t
edge_taskops_retry (edge_redis_t *redis,
                    const char *org,
                    const char *name,
                    const char *by,
                    char *type,
                    size_t typelen)
{
    edge_assert (redis && org && name && by && type);
    int64_t now = edge_now_ms ();
    char now_iso[32], now_ms[24];
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    char *message = edge_sprintf ("retry requested by %s", by);
    const char *args[] = {org, now_iso, now_ms, message};
    redisReply *reply = s_eval (redis, &edge_lua_taskops_retry, name, 4, args);
    free (message);
    if (reply && reply->type == REDIS_REPLY_STRING) {
        snprintf (type, typelen, "%s", reply->str);
        freeReplyObject (reply);
        return EDGE_ERR_OK;
    }
    return s_rc (reply);
}


json_t *
edge_taskops_list (edge_redis_t *redis,
                   const edge_taskops_query_t *query,
                   int64_t *total)
{
    edge_assert (redis && query && query->org && total);
    char min[24] = "-inf", max[24] = "+inf", offset[24], limit[24], app[256];
    if (query->created_after_ms)
        snprintf (min, sizeof min, "(%lld",
                  (long long) query->created_after_ms);
    if (query->created_before_ms)
        snprintf (max, sizeof max, "(%lld",
                  (long long) query->created_before_ms);
    snprintf (offset, sizeof offset, "%lld", (long long) query->offset);
    snprintf (limit, sizeof limit, "%lld", (long long) query->limit);
    snprintf (app, sizeof app, "%s",
              query->app_contains ? query->app_contains : "");
    for (char *p = app; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char) (*p - 'A' + 'a');
    const char *byname = query->order == EDGE_TASKOPS_NAME_ASC    ? "1"
                         : query->order == EDGE_TASKOPS_NAME_DESC ? "2"
                                                                  : "0";
    const char *rev = query->order == EDGE_TASKOPS_OLDEST_FIRST ? "0" : "1";
    char *index = edge_key_org_tasks (query->org);
    const char *keys[] = {index};
    const char *args[] = {min,
                          max,
                          rev,
                          app,
                          query->type ? query->type : "",
                          query->state ? query->state : "",
                          query->group ? query->group : "",
                          offset,
                          limit,
                          byname};
    redisReply *reply =
        edge_redis_eval (redis, &edge_lua_taskops_list, 1, keys, 10, args);
    free (index);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            edge_warn ("tasks: list failed: %s", reply->str);
        freeReplyObject (reply);
        return NULL;
    }
    *total = reply->element[0]->integer;
    json_t *items = json_array ();
    for (size_t i = 1; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_ARRAY
            && reply->element[i]->elements > 0)
            json_array_append_new (items, edge_task_record (reply->element[i]));
    freeReplyObject (reply);
    return items;
}
