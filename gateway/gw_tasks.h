/*  gw_tasks - an organization's tasks and the trigger (/be/v1/tasks,
    /be/v1/trigger): list with filters, details, acknowledge warnings,
    expire an upload, retry a failed task, process traces.  */
#ifndef GW_TASKS_H_INCLUDED
#define GW_TASKS_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  GET /be/v1/tasks: offset, limit, order[], fields[], appName (partial),
//  type, state, group, createdAfter, createdBefore (RFC 3339).
void gw_tasks_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/tasks/{taskName}: the record; another org's task is 404.
void gw_tasks_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  PATCH /be/v1/tasks {"name", "acknowledgeWarnings": true | "expire": true}.
void gw_tasks_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  POST /be/v1/trigger {"taskName"} (retry a failed task) or {"appName"}
//  (process the app's traces).
void gw_tasks_trigger (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
