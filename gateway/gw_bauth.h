/*  gw_bauth - authentication and authorization of backend (/be/v1) routes,
    in one place: the server calls it for every GW_AUTH_BACKEND route after
    routing and before the body is read (architecture §6).

    Credentials: an auth token in x-rockit-beauth-token or
    "Authorization: Bearer <token>", or the API-key triple x-rockit-orgname
    + x-rockit-username + x-rockit-api-key ("keyId.secret"). A token with
    any header of the triple: 400 ambiguous_credentials. Nothing, a partial
    triple, a bad token or key: 401 unauthorized saying which (never
    echoing a secret). Redis down: 503.  */
#ifndef GW_BAUTH_H_INCLUDED
#define GW_BAUTH_H_INCLUDED
#include "edge_json.h"
#include "edge_redis.h"
#include "gw_pcache.h"
#include "gw_principal.h"
#include "gw_req.h"
#include "gw_router.h"
#include <stdbool.h>

#define GW_BAUTH_TOKEN_HEADER   "x-rockit-beauth-token"
#define GW_BAUTH_SESSION_HEADER "x-rockit-besession-token"
#define GW_BAUTH_ORG_HEADER     "x-rockit-orgname"
#define GW_BAUTH_USER_HEADER    "x-rockit-username"
#define GW_BAUTH_KEY_HEADER     "x-rockit-api-key"

//  Authenticate req from its headers into principal. A credential that
//  cache (NULL: none) holds skips Redis; one Redis accepts is put there.
//  Returns 0, or -1 with err set (400, 401 or 503).
int gw_bauth_authenticate (gw_req_t *req,
                           edge_redis_t *redis,
                           gw_pcache_t *cache,
                           gw_principal_t *principal,
                           edge_json_err_t *err);
//  True when principal holds route's bit on route's resource (routes
//  without a resource: always). A self-service route (is_self_ok) passes
//  without the bit, with principal->lacks_route_bit set: its handler
//  decides. False: answer gw_bauth_reply_forbidden.
bool gw_bauth_authorize (const gw_route_t *route, gw_principal_t *principal);
//  True when principal holds bit on resource (a name of edge_perm).
bool
gw_bauth_has (const gw_principal_t *principal, const char *resource, int bit);
//  Answer 403 {"error":{"status":403,"code":"forbidden","message":
//  "permission U (4) on 'beUsers' is required","resource":"beUsers",
//  "bit":4}}.
void gw_bauth_reply_forbidden (gw_req_t *req, const char *resource, int bit);
//  True when req carries any of the three API-key headers (login, auth and
//  logout refuse them: 400 api_key_not_allowed).
bool gw_bauth_has_api_key_header (const gw_req_t *req);
//  The token of "Authorization: Bearer <token>" or x-rockit-beauth-token
//  (borrowed from req), or NULL. Both present and different: NULL with
//  *is_ambiguous set.
const char *gw_bauth_auth_token (const gw_req_t *req, bool *is_ambiguous);
#endif
