/*  gw_users - backend users and machine users (/be/v1/users).  */
#ifndef GW_USERS_H_INCLUDED
#define GW_USERS_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  GET /be/v1/users: list with offset, limit, order[], fields[].
void gw_users_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/users/{username}.
void gw_users_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  POST /be/v1/users: a person or a machine user (API key shown once).
void gw_users_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  PATCH /be/v1/users: profile, roles, password (self-service allowed).
void gw_users_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  DELETE /be/v1/users/{username}: revokes tokens and keys.
void gw_users_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
