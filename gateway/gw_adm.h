/*  gw_adm - admin endpoints (/adm/v1, x-rockit-admin-token): ping, the
    hello smoke-test task and task details.  */
#ifndef GW_ADM_H_INCLUDED
#define GW_ADM_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  POST /adm/v1/ping: Redis PING; 200 {"pong":true,"redis":"ok",
//  "latencyMs":n}, 503 redis_unavailable.
void gw_adm_ping (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  POST /adm/v1/hello: validate {"message","maintenance","sleepMs"?,
//  "fail"?}, create a hello task, nudge the broker; 202 {"taskName",
//  "state":"queued"} with Location.
void gw_adm_hello (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /adm/v1/tasks/{taskName}: 200 the task record, 404 not_found.
void gw_adm_task_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
