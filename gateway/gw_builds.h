/*  gw_builds - importing native builds into an app (POST /be/v1/builds)
    and committing a client upload (POST /be/v1/commit); pipeline
    contract "Task params" and "Redis additions".

    An import is a group of tasks named "import_<time>_<hex>" (a new name,
    made before the first task, so the depot key of its tar,
    builds/<org>/<app>/<group>.tar, is known up front); its first task is a
    dltar. e:{O}:app:<a>:imports maps the buildName to the import's current
    task; while the gateway creates the dltar task the entry holds a
    reservation "<group>@<ms>" (never a task name), which a later import
    may replace once GW_BUILDS_RESERVE_STALE_MS passed (a gateway that died
    in between). The dltar task of an upload also carries the field
    uploadKey = e:upload:<sha256 of the token> in its record, so the
    reaper finds the upload of a task on e:uploads:due.  */
#ifndef GW_BUILDS_H_INCLUDED
#define GW_BUILDS_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"
#include <stdbool.h>

#define GW_BUILDS_RESERVE_STALE_MS 60000

//  POST /be/v1/builds {"appName","buildName","url"?,"size"?} -> 202
//  {"group","taskName"} (download: url given) or {"group","taskName",
//  "uploadUrl","uploadExpires"} (client upload: PUT the tar to uploadUrl,
//  then POST /be/v1/commit). 404 no such app; 409 app_locked,
//  build_exists, build_importing; 400/422 for a URL the guard refuses.
void gw_builds_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  POST /be/v1/commit {"appName","buildName"} -> 202 {"group","taskName"}:
//  the received upload goes to the workers. 404 no such import; 409
//  upload_incomplete, already_committed, not_an_upload; 410 expired.
void gw_builds_commit (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
