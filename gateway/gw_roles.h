/*  gw_roles - roles and their permissions (/be/v1/roles).  */
#ifndef GW_ROLES_H_INCLUDED
#define GW_ROLES_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  GET /be/v1/roles.
void gw_roles_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/roles/{roleName}.
void gw_roles_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  POST /be/v1/roles.
void gw_roles_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  PATCH /be/v1/roles.
void gw_roles_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  DELETE /be/v1/roles/{roleName}.
void gw_roles_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
