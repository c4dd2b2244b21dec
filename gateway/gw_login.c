/*  gw_login - login, auth token exchange and logout (/be/v1).  */
#include "gw_login.h"


void
gw_login_login (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_login_auth (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_login_logout (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}
