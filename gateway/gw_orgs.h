/*  gw_orgs - organizations: admin and backend create and delete.  */
#ifndef GW_ORGS_H_INCLUDED
#define GW_ORGS_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  POST /adm/v1/orgs: org, Administrators role, first admin user; 201 with the
//  password once.
void
gw_orgs_adm_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  DELETE /adm/v1/orgs/{orgName}: every key of the org, its tokens; 204.
void
gw_orgs_adm_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  POST /be/v1/orgs: as the admin variant, for administrators of the operator
//  org.
void
gw_orgs_be_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  DELETE /be/v1/orgs/{orgName}: the caller's own org, administrators only;
//  204.
void
gw_orgs_be_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
