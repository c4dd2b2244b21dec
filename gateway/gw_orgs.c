/*  gw_orgs - organizations: admin and backend create and delete.  */
#include "gw_orgs.h"


void
gw_orgs_adm_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_orgs_adm_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_orgs_be_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}


void
gw_orgs_be_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    (void) thread;
    gw_req_reply_fail (req, 501, "not_implemented", NULL, "being written");
}
