/*  gw_deployments - publication targets of an organization
    (/be/v1/deployments): create, list (name and error filters), details,
    partial patch and delete (refused while an app is registered to it).
    Kinds "s3" and "fs" (architecture §7); secrets are write-only.  */
#ifndef GW_DEPLOYMENTS_H_INCLUDED
#define GW_DEPLOYMENTS_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"
#include <stdbool.h>

//  What reads show in place of a secret.
#define GW_DEPLOYMENTS_MASK "********"

//  True when name matches ^[A-Za-z0-9_\[\]]{2,50}$ (architecture §5: deployment
//  names also allow '[' and ']'). NULL is false.
bool gw_deployments_name_is_valid (const char *name);

//  POST /be/v1/deployments {"name","kind","originPrefix"?,"s3"|"fs"} -> 201.
void
gw_deployments_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/deployments: offset, limit, order[], fields[], name (part of
//  the name, case-insensitive), error (true|false).
void
gw_deployments_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/deployments/{deploymentName}: with the last publish's status
//  and message.
void
gw_deployments_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  PATCH /be/v1/deployments {"name", ...}: given fields only; null clears
//  originPrefix.
void
gw_deployments_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  DELETE /be/v1/deployments/{deploymentName}: 204; 409 deployment_in_use
//  while an app is registered to it.
void
gw_deployments_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
