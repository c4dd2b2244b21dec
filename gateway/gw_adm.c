/*  gw_adm - admin handlers: ping, hello task, task details.  */
#include "gw_adm.h"
#include "edge_json.h"
#include "edge_log.h"
#include "edge_task.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_ident.h"
#include <jansson.h>
#include <stdlib.h>

//  The hello task's parameters (preamble: "The hello task").
static const edge_json_field_t s_hello_fields[] = {
    {"message", EDGE_JSON_STRING, true, 1, 4096, false},
    {"maintenance", EDGE_JSON_BOOL, true, 0, 0, false},
    {"sleepMs", EDGE_JSON_INT, false, 0, 600000, false},
    {"fail", EDGE_JSON_BOOL, false, 0, 0, false},
    {"orgName", EDGE_JSON_NAME, false, 0, 0, false},
};


void
gw_adm_ping (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    int64_t start = edge_mono_ms ();
    if (gw_thread_redis_ping (thread)) {
        gw_req_reply_redis_failed (req, NULL, NULL);
        return;
    }
    json_t *body =
        json_pack ("{s:b,s:s,s:I}", "pong", 1, "redis", "ok", "latencyMs",
                   (json_int_t) (edge_mono_ms () - start));
    gw_req_reply_json (req, 200, body);
}


void
gw_adm_hello (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    edge_json_err_t err;
    json_t *body = gw_req_json (req, &err);
    if (!body
        || edge_json_check (body, s_hello_fields, EDGE_COUNT (s_hello_fields),
                            &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *org = edge_json_str (body, "orgName", NULL);
    edge_err_t rc =
        org ? gw_ident_org_exists (gw_thread_redis (thread), org) : EDGE_ERR_OK;
    if (rc == EDGE_ERR_NOT_FOUND) {
        gw_call_fail (req, rc, "orgName", "organization '%s' not found", org);
        return;
    }
    if (rc != EDGE_ERR_OK) {
        gw_req_reply_redis_failed (req, NULL, NULL);
        return;
    }
    edge_task_spec_t spec = {
        .type = "hello",
        .org = org,
        .params = gw_req_adopt (req, edge_json_dumps (body)),
        .created_by = gw_req_identity (req),
    };
    char name[EDGE_TASK_NAME_MAX];
    if (edge_task_create (gw_thread_redis (thread), &spec, name)) {
        gw_req_reply_redis_failed (req, NULL, NULL);
        return;
    }
    //  Redis is the truth: a lost nudge only delays the task (the reaper
    //  re-sends queued tasks)
    if (gw_thread_send_job (thread, name, "hello"))
        edge_warn ("hello: broker not reachable, task %s waits for the "
                   "reaper",
                   name);
    gw_req_reply_header (req, "Location",
                         gw_req_sprintf (req, "/adm/v1/tasks/%s", name));
    gw_req_reply_json (
        req, 202, json_pack ("{s:s,s:s}", "taskName", name, "state", "queued"));
}


void
gw_adm_task_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const char *name = gw_req_param (req, "taskName");
    bool is_redis_error = false;
    json_t *task =
        edge_task_get (gw_thread_redis (thread), name, &is_redis_error);
    if (!task && is_redis_error) //  a read: retry once on a fresh connection
        task = edge_task_get (gw_thread_redis (thread), name, &is_redis_error);
    if (task)
        gw_req_reply_json (req, 200, task);
    else if (is_redis_error)
        gw_req_reply_redis_failed (req, NULL, NULL);
    else
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL, "task '%s' not found",
                      name);
}
