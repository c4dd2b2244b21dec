/*  gw_users - backend users and machine users (/be/v1/users).  */
#include "gw_users.h"


void
gw_users_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_users_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_users_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_users_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_users_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}
