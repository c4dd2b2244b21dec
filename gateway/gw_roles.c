/*  gw_roles - roles and their permissions (/be/v1/roles).  */
#include "gw_roles.h"


void
gw_roles_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_roles_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_roles_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_roles_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_roles_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}
