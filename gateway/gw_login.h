/*  gw_login - login, auth token exchange and logout (/be/v1).  */
#ifndef GW_LOGIN_H_INCLUDED
#define GW_LOGIN_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  POST /be/v1/login: password check (argon2id), rate limited; 200 session
//  token and permissions.
void gw_login_login (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  POST /be/v1/auth: session token -> auth token.
void gw_login_auth (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  POST /be/v1/logout: revokes the session and its auth tokens; 204.
void gw_login_logout (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
