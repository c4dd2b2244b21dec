/*  gw_apikeys - API keys of machine users (/be/v1/apikeys).  */
#ifndef GW_APIKEYS_H_INCLUDED
#define GW_APIKEYS_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  POST /be/v1/apikeys: a new key, shown once.
void
gw_apikeys_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  DELETE /be/v1/apikeys: revokes a key at once.
void
gw_apikeys_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
