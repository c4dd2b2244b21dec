/*  gw_deployments_check - validation of a deployment's settings: kind,
    originPrefix, the S3 endpoint (shape and URL guard), bucket, region,
    key id, and the fs path.  */
#ifndef GW_DEPLOYMENTS_CHECK_H_INCLUDED
#define GW_DEPLOYMENTS_CHECK_H_INCLUDED
#include "edge_json.h"
#include "gw_ctx.h"
#include <stdbool.h>

//  A deployment's settings (borrowed strings; NULL = absent).
typedef struct {
    const char *name, *kind, *prefix;
    const char *endpoint, *region, *bucket, *key_id, *secret; //  s3
    const char *path;                                         //  fs
} gw_deployments_dep_t;

//  The merged settings are complete and valid. The endpoint goes through
//  the URL guard only when is_new_endpoint (create, or a patch giving it).
//  Returns 0, or -1 with err set naming the field ("s3.endpoint", ...).
int gw_deployments_check (const gw_ctx_t *ctx,
                          const gw_deployments_dep_t *dep,
                          bool is_new_endpoint,
                          edge_json_err_t *err);
#endif
