/*  gw_apps - apps of an organization (/be/v1/apps): create, list,
    details (builds, patches, lock and error state), patch (label,
    maxBuilds, deployments; clears the lock and error) and delete. Builds
    and their files are the pipeline's.  */
#ifndef GW_APPS_H_INCLUDED
#define GW_APPS_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  POST /be/v1/apps {"name","label","maxBuilds"?,"deployments"?} -> 201;
//  an unknown deployment is 422 unknown_deployment.
void gw_apps_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/apps: offset, limit, order[], fields[].
void gw_apps_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/apps/{appName}: fields[].
void gw_apps_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  PATCH /be/v1/apps {"name","label"?,"maxBuilds"?,"deployments"?} -> 200.
void gw_apps_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  DELETE /be/v1/apps/{appName} -> 204.
void gw_apps_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
