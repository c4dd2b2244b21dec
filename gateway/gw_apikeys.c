/*  gw_apikeys - API keys of machine users (/be/v1/apikeys).  */
#include "gw_apikeys.h"


void
gw_apikeys_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_apikeys_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}
