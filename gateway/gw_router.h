/*  gw_router - the gateway's static route table and the matcher: method +
    path segments, "{param}" segments decoded (civetweb decodes the path)
    and validated. Unknown path: 404; known path, other method: 405 with an
    Allow header.  */
#ifndef GW_ROUTER_H_INCLUDED
#define GW_ROUTER_H_INCLUDED
#include "edge_err.h"
#include "edge_json.h"
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    GW_AUTH_NONE = 0, //  anyone
    GW_AUTH_ADMIN,    //  x-rockit-admin-token
    GW_AUTH_BACKEND   //  backend token or API key + permission (later issues)
} gw_auth_kind_t;

//  A handler answers through gw_req_reply_*; everything it allocates hangs
//  off req. ctx is shared (read-only); thread is this thread's own.
typedef void (gw_handler_fn) (gw_req_t *req,
                              const gw_ctx_t *ctx,
                              gw_thread_t *thread);

typedef struct {
    const char *method;  //  "GET", "POST", ...
    const char *pattern; //  "/adm/v1/tasks/{taskName}"
    gw_handler_fn *handler;
    gw_auth_kind_t auth;
    const char *resource; //  GW_AUTH_BACKEND: permission resource, or NULL
    int bit;              //  GW_AUTH_BACKEND: permission bit (C=1 R=2 ...)
    const char *name;     //  route name (metrics label, logs)
    bool is_self_ok;      //  GW_AUTH_BACKEND: a caller without the bit may
                          //  still act on itself (the handler checks)
} gw_route_t;

//  The route table (static). Sets *count.
const gw_route_t *gw_router_routes (size_t *count);
//  True when route may change who a credential authenticates as, or with
//  which rights: logout, any write on users, roles or API keys, org
//  deletion. The server empties the principal caches after such a route.
bool gw_router_changes_identity (const gw_route_t *route);
//  Match req's method and path against the table. Returns EDGE_ERR_OK
//  (*route set, path parameters added to req), EDGE_ERR_NOT_FOUND (err:
//  404) or EDGE_ERR_METHOD_NOT_ALLOWED (err: 405; an Allow header was
//  added to req).
edge_err_t
gw_router_match (gw_req_t *req, const gw_route_t **route, edge_json_err_t *err);
#endif
