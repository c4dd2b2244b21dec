/*  gw_subs - webhook and Slack subscriptions (/be/v1/subscriptions):
    create (secret shown once), list, details with recent deliveries,
    delete, and redelivery of failed deliveries.  */
#ifndef GW_SUBS_H_INCLUDED
#define GW_SUBS_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  POST /be/v1/subscriptions {"name","url"|"slackChannel","types","events"}
//  -> 201 with "secret" once; the URL passes the URL guard.
void gw_subs_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/subscriptions: offset, limit, order[], fields[].
void gw_subs_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/subscriptions/{name}: settings, state, the last 50 attempts.
void gw_subs_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  DELETE /be/v1/subscriptions/{name}: 204; nothing more is delivered.
void gw_subs_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  POST /be/v1/subscriptions/{name}/redeliver: re-sends the deliveries that
//  failed in the last 7 days; 200 {"redelivered": n}.
void
gw_subs_redeliver (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
