/*  gw_tasks - task list, details, acknowledge/expire, and the trigger.  */
#include "gw_tasks.h"
#include "edge_json.h"
#include "edge_log.h"
#include "edge_taskops.h"
#include "edge_util.h"
#include "gw_list.h"
#include "gw_trainings.h"
#include <civetweb.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The task record's top-level fields, for fields[].
static const char *const s_task_fields[] = {
    "name",     "type",       "group",     "orgName", "appName", "buildName",
    "dxfName",  "state",      "attempts",  "created", "started", "finished",
    "progress", "warnings",   "exception", "error",   "result",  "message",
    "worker",   "leaseUntil", NULL};
static const gw_list_spec_t s_spec = {s_task_fields, NULL};

//  Filters of GET /be/v1/tasks beyond the list parameters.
static const char *const s_filters[] = {
    "appName", "type", "state", "group", "createdAfter", "createdBefore"};

static const edge_json_field_t s_patch_fields[] = {
    {"name", EDGE_JSON_NAME, true, 0, 0, false},
    {"acknowledgeWarnings", EDGE_JSON_BOOL, false, 0, 0, false},
    {"expire", EDGE_JSON_BOOL, false, 0, 0, false},
};
static const edge_json_field_t s_trigger_fields[] = {
    {"taskName", EDGE_JSON_NAME, false, 0, 0, false},
    {"appName", EDGE_JSON_NAME, false, 0, 0, false},
};


static void
s_not_found (gw_req_t *req, const char *name)
{
    gw_req_reply_fail (req, 404, "not_found", NULL, "task '%s' not found",
                       name);
}


//  Fill query from the filters. Returns 0, or -1 with err set.
static int
s_filters_to_query (char **values,
                    edge_taskops_query_t *query,
                    edge_json_err_t *err)
{
    query->app_contains = values[0];
    query->type = values[1];
    query->state = values[2];
    query->group = values[3];
    int64_t *bounds[] = {&query->created_after_ms, &query->created_before_ms};
    for (size_t i = 4; i < 6; i++)
        if (values[i] && edge_rfc3339_parse (values[i], bounds[i - 4]))
            return edge_json_err_set (
                err, 400, "invalid_field", s_filters[i],
                "query parameter '%s' must be an RFC 3339 UTC time such as "
                "2026-11-27T09:12:08Z",
                s_filters[i]);
    for (size_t i = 0; i < 4; i++)
        if (values[i] && strlen (values[i]) > 256)
            return edge_json_err_set (err, 400, "invalid_field", s_filters[i],
                                      "query parameter '%s' is too long",
                                      s_filters[i]);
    return 0;
}


void
gw_tasks_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    char *values[EDGE_COUNT (s_filters)], *rest;
    gw_list_t list;
    edge_taskops_query_t query = {.org = gw_req_principal (req)->org};
    if (gw_list_split_query (req, s_filters, EDGE_COUNT (s_filters), values,
                             &rest, &err)
        || gw_list_parse (rest, &s_spec, &list, &err)
        || s_filters_to_query (values, &query, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    query.offset = list.offset;
    query.limit = list.limit;
    if (list.norder > 0) {
        bool is_desc = list.order[0].is_descending;
        query.order =
            list.order[0].key == GW_LIST_BY_NAME
                ? (is_desc ? EDGE_TASKOPS_NAME_DESC : EDGE_TASKOPS_NAME_ASC)
                : (is_desc ? EDGE_TASKOPS_NEWEST_FIRST
                           : EDGE_TASKOPS_OLDEST_FIRST);
    }
    int64_t total = 0;
    json_t *records =
        edge_taskops_list (gw_thread_redis (thread), &query, &total);
    if (!records) {
        gw_req_reply_redis_failed (req, NULL, NULL);
        return;
    }
    json_t *items = json_array ();
    size_t i;
    json_t *record;
    json_array_foreach (records, i, record) json_array_append_new (
        items, gw_list_project (&list, json_incref (record)));
    json_decref (records);
    gw_req_reply_json (req, 200, gw_list_answer (&list, (size_t) total, items));
}


void
gw_tasks_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    gw_list_t list;
    if (gw_list_parse_req (req, &s_spec, true, &list))
        return;
    const char *name = gw_req_param (req, "taskName");
    edge_err_t rc;
    json_t *record = edge_taskops_get (gw_thread_redis (thread),
                                       gw_req_principal (req)->org, name, &rc);
    if (!record) {
        if (rc == EDGE_ERR_REDIS)
            gw_req_reply_redis_failed (req, NULL, NULL);
        else
            s_not_found (req, name);
        return;
    }
    gw_req_reply_json (req, 200, gw_list_project (&list, record));
}


//  Answer the task's record after a change, or the error of rc.
static void
s_reply_after (gw_req_t *req,
               gw_thread_t *thread,
               const char *name,
               edge_err_t rc,
               const char *conflict)
{
    if (rc == EDGE_ERR_REDIS)
        gw_req_reply_redis_failed (req, NULL, NULL);
    else if (rc == EDGE_ERR_NOT_FOUND)
        s_not_found (req, name);
    else if (rc == EDGE_ERR_CONFLICT)
        gw_req_reply_fail (req, 409, "conflict", NULL, "%s", conflict);
    else {
        json_t *record = edge_taskops_get (
            gw_thread_redis (thread), gw_req_principal (req)->org, name, &rc);
        if (record)
            gw_req_reply_json (req, 200, record);
        else
            s_not_found (req, name);
    }
}


void
gw_tasks_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    json_t *body = gw_req_json (req, &err);
    if (!body || edge_json_check (body, s_patch_fields, 3, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    bool is_ack = edge_json_bool (body, "acknowledgeWarnings", false);
    bool is_expire = edge_json_bool (body, "expire", false);
    if (is_ack == is_expire) {
        gw_req_reply_fail (req, 400, "invalid_json", NULL,
                           "give exactly one of \"acknowledgeWarnings\": true "
                           "or \"expire\": true");
        return;
    }
    const char *name = edge_json_str (body, "name", "");
    const char *org = gw_req_principal (req)->org;
    edge_redis_t *redis = gw_thread_redis (thread);
    char conflict[160];
    edge_err_t rc;
    if (is_ack) {
        rc = edge_taskops_acknowledge (redis, org, name);
        snprintf (conflict, sizeof conflict,
                  "task '%s' has no warnings to acknowledge", name);
    }
    else {
        rc = edge_taskops_expire (redis, org, name, gw_req_identity (req));
        snprintf (conflict, sizeof conflict,
                  "task '%s' is not an upload waiting for its data", name);
    }
    s_reply_after (req, thread, name, rc, conflict);
}


//  Retry the failed task name and nudge the broker.
static void
s_retry (gw_req_t *req, gw_thread_t *thread, const char *name)
{
    const char *org = gw_req_principal (req)->org;
    edge_redis_t *redis = gw_thread_redis (thread);
    edge_err_t rc;
    json_t *record = edge_taskops_get (redis, org, name, &rc);
    char conflict[160];
    snprintf (conflict, sizeof conflict, "task '%s' is %s, not failed", name,
              record ? json_string_value (json_object_get (record, "state"))
                     : "gone");
    json_decref (record);
    char type[32] = "";
    if (rc == EDGE_ERR_OK)
        rc = edge_taskops_retry (redis, org, name, gw_req_identity (req), type,
                                 sizeof type);
    if (rc != EDGE_ERR_OK) {
        s_reply_after (req, thread, name, rc, conflict);
        return;
    }
    if (gw_thread_send_job (thread, name, type))
        edge_warn ("task %s: broker did not take the job; the reaper will",
                   name);
    gw_req_reply_header (req, "Location",
                         gw_req_sprintf (req, "/be/v1/tasks/%s", name));
    gw_req_reply_json (
        req, 202, json_pack ("{s:s,s:s}", "taskName", name, "state", "queued"));
}


//  Process the app's traces: an mkraw task (mode "traces") for its
//  current build once it has nTracesReliable traces (gw_trainings).
static void
s_process_traces (gw_req_t *req, gw_thread_t *thread, const char *app)
{
    gw_trainings_trigger (req, thread, app);
}


void
gw_tasks_trigger (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    json_t *body = gw_req_json (req, &err);
    if (!body || edge_json_check (body, s_trigger_fields, 2, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *task = edge_json_str (body, "taskName", NULL);
    const char *app = edge_json_str (body, "appName", NULL);
    if (!task == !app) {
        gw_req_reply_fail (req, 400, "invalid_json", NULL,
                           "give exactly one of \"taskName\" (retry a failed "
                           "task) or \"appName\" (process its traces)");
        return;
    }
    if (task)
        s_retry (req, thread, task);
    else
        s_process_traces (req, thread, app);
}
