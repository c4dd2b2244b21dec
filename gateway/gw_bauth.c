/*  gw_bauth - backend authentication (token or API key) and the route's
    permission check.  */
#include "gw_bauth.h"
#include "edge_assert.h"
#include "edge_perm.h"
#include "edge_util.h"
#include "gw_ident.h"
#include "gw_pcache.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

//  Longer credentials are not ours: refused without a lookup.
#define S_SECRET_MAX 256

#define S_KEY_HEADERS                                                          \
    GW_BAUTH_ORG_HEADER ", " GW_BAUTH_USER_HEADER " and " GW_BAUTH_KEY_HEADER


bool
gw_bauth_has_api_key_header (const gw_req_t *req)
{
    edge_assert (req);
    return gw_req_header (req, GW_BAUTH_ORG_HEADER)
           || gw_req_header (req, GW_BAUTH_USER_HEADER)
           || gw_req_header (req, GW_BAUTH_KEY_HEADER);
}


//  The token of an "Authorization: Bearer <token>" value, or NULL when the
//  scheme is another.
static const char *
s_bearer (const char *value)
{
    if (!value || strncasecmp (value, "Bearer", 6) != 0
        || (value[6] != ' ' && value[6] != '\t'))
        return NULL;
    value += 6;
    return value + strspn (value, " \t");
}


const char *
gw_bauth_auth_token (const gw_req_t *req, bool *is_ambiguous)
{
    edge_assert (req && is_ambiguous);
    *is_ambiguous = false;
    const char *header = gw_req_header (req, GW_BAUTH_TOKEN_HEADER);
    const char *bearer = s_bearer (gw_req_header (req, "Authorization"));
    if (header && bearer && strcmp (header, bearer) != 0) {
        *is_ambiguous = true;
        return NULL;
    }
    return header ? header : bearer;
}


static int
s_token_failure (edge_err_t rc, edge_json_err_t *err)
{
    switch (rc) {
        case EDGE_ERR_WRONG_KIND:
            return edge_json_err_set (
                err, 401, "unauthorized", NULL,
                "a session token cannot authenticate requests: exchange it "
                "for an auth token at POST /be/v1/auth");
        case EDGE_ERR_USER_GONE:
            return edge_json_err_set (err, 401, "unauthorized", NULL,
                                      "the auth token's user no longer "
                                      "exists");
        case EDGE_ERR_REDIS:
            return edge_json_err_set (err, 503, "redis_unavailable", NULL,
                                      "Redis is unavailable; try again later");
        default:
            return edge_json_err_set (err, 401, "unauthorized", NULL,
                                      "unknown, expired or revoked auth "
                                      "token");
    }
}


static int
s_by_token (edge_redis_t *redis,
            gw_pcache_t *cache,
            const char *token,
            gw_principal_t *principal,
            edge_json_err_t *err)
{
    if (!*token || strlen (token) > S_SECRET_MAX)
        return s_token_failure (EDGE_ERR_NOT_FOUND, err);
    gw_pcache_key_t key;
    int64_t born_ms = edge_mono_ms ();
    uint64_t epoch = gw_pcache_epoch ();
    if (cache) {
        gw_pcache_key_token (token, &key);
        if (gw_pcache_get (cache, &key, born_ms, principal))
            return 0;
    }
    edge_err_t rc =
        gw_ident_principal_by_token (redis, token, GW_IDENT_AUTH, principal);
    if (rc != EDGE_ERR_OK)
        return s_token_failure (rc, err);
    if (cache)
        gw_pcache_put (cache, &key, born_ms, epoch, principal->ttl_ms,
                       principal);
    return 0;
}


static int
s_key_failure (edge_err_t rc, edge_json_err_t *err)
{
    switch (rc) {
        case EDGE_ERR_MISMATCH:
            return edge_json_err_set (err, 401, "unauthorized", NULL,
                                      "wrong API key");
        case EDGE_ERR_WRONG_USER:
            return edge_json_err_set (err, 401, "unauthorized", NULL,
                                      "the API key belongs to another user");
        case EDGE_ERR_USER_GONE:
            return edge_json_err_set (err, 401, "unauthorized", NULL,
                                      "the API key's user no longer exists");
        case EDGE_ERR_REDIS:
            return edge_json_err_set (err, 503, "redis_unavailable", NULL,
                                      "Redis is unavailable; try again later");
        default:
            return edge_json_err_set (err, 401, "unauthorized", NULL,
                                      "unknown API key for this organization "
                                      "(expected keyId.secret)");
    }
}


//  The triple is complete here.
static int
s_by_key (gw_req_t *req,
          edge_redis_t *redis,
          gw_pcache_t *cache,
          gw_principal_t *principal,
          edge_json_err_t *err)
{
    const char *org = gw_req_header (req, GW_BAUTH_ORG_HEADER);
    const char *user = gw_req_header (req, GW_BAUTH_USER_HEADER);
    const char *key = gw_req_header (req, GW_BAUTH_KEY_HEADER);
    if (!edge_name_is_valid (org))
        return edge_json_err_set (err, 401, "unauthorized", NULL,
                                  "invalid " GW_BAUTH_ORG_HEADER
                                  " (expected ^[A-Za-z0-9_]{2,50}$)");
    if (!edge_name_is_valid (user))
        return edge_json_err_set (err, 401, "unauthorized", NULL,
                                  "invalid " GW_BAUTH_USER_HEADER
                                  " (expected ^[A-Za-z0-9_]{2,50}$)");
    if (strlen (key) > S_SECRET_MAX)
        return s_key_failure (EDGE_ERR_NOT_FOUND, err);
    gw_pcache_key_t digest;
    int64_t born_ms = edge_mono_ms ();
    uint64_t epoch = gw_pcache_epoch ();
    if (cache) {
        gw_pcache_key_api_key (org, user, key, &digest);
        if (gw_pcache_get (cache, &digest, born_ms, principal))
            return 0;
    }
    edge_err_t rc =
        gw_ident_principal_by_key (redis, org, user, key, principal);
    if (rc != EDGE_ERR_OK)
        return s_key_failure (rc, err);
    if (cache)
        gw_pcache_put (cache, &digest, born_ms, epoch, -1, principal);
    return 0;
}


//  401 naming the API-key headers that are missing.
static int
s_partial_triple (const gw_req_t *req, edge_json_err_t *err)
{
    const char *names[3] = {GW_BAUTH_ORG_HEADER, GW_BAUTH_USER_HEADER,
                            GW_BAUTH_KEY_HEADER};
    char missing[128] = "";
    for (size_t i = 0; i < 3; i++)
        if (!gw_req_header (req, names[i])) {
            size_t len = strlen (missing);
            snprintf (missing + len, sizeof missing - len, "%s%s",
                      len ? ", " : "", names[i]);
        }
    return edge_json_err_set (err, 401, "unauthorized", NULL,
                              "incomplete API-key credentials: missing %s",
                              missing);
}


int
gw_bauth_authenticate (gw_req_t *req,
                       edge_redis_t *redis,
                       gw_pcache_t *cache,
                       gw_principal_t *principal,
                       edge_json_err_t *err)
{
    edge_assert (req && redis && principal && err);
    memset (principal, 0, sizeof *principal);
    bool is_ambiguous;
    const char *token = gw_bauth_auth_token (req, &is_ambiguous);
    bool has_key = gw_bauth_has_api_key_header (req);
    if (is_ambiguous)
        return edge_json_err_set (err, 400, "ambiguous_credentials", NULL,
                                  "x-rockit-beauth-token and Authorization "
                                  "carry different tokens");
    if (token && has_key)
        return edge_json_err_set (err, 400, "ambiguous_credentials", NULL,
                                  "send either an auth token or the API-key "
                                  "headers " S_KEY_HEADERS ", not both");
    if (token)
        return s_by_token (redis, cache, token, principal, err);
    if (gw_req_header (req, GW_BAUTH_ORG_HEADER)
        && gw_req_header (req, GW_BAUTH_USER_HEADER)
        && gw_req_header (req, GW_BAUTH_KEY_HEADER))
        return s_by_key (req, redis, cache, principal, err);
    if (has_key)
        return s_partial_triple (req, err);
    if (gw_req_header (req, "Authorization"))
        return edge_json_err_set (err, 401, "unauthorized", NULL,
                                  "Authorization: only the Bearer scheme is "
                                  "accepted");
    if (gw_req_header (req, GW_BAUTH_SESSION_HEADER))
        return edge_json_err_set (err, 401, "unauthorized", NULL,
                                  "a session token cannot authenticate "
                                  "requests: exchange it for an auth token "
                                  "at POST /be/v1/auth");
    return edge_json_err_set (err, 401, "unauthorized", NULL,
                              "missing credentials: send "
                              "x-rockit-beauth-token (or Authorization: "
                              "Bearer) or the API-key headers " S_KEY_HEADERS);
}


bool
gw_bauth_has (const gw_principal_t *principal, const char *resource, int bit)
{
    edge_assert (principal && resource);
    int index = edge_perm_index (resource);
    edge_assert (index >= 0); //  route tables name known resources
    return (principal->perms[index] & bit) == bit;
}


bool
gw_bauth_authorize (const gw_route_t *route, gw_principal_t *principal)
{
    edge_assert (route && principal);
    principal->lacks_route_bit = false;
    if (!route->resource
        || gw_bauth_has (principal, route->resource, route->bit))
        return true;
    if (route->is_self_ok) {
        principal->lacks_route_bit = true;
        return true;
    }
    return false;
}


void
gw_bauth_reply_forbidden (gw_req_t *req, const char *resource, int bit)
{
    edge_assert (req && resource);
    char letters[8];
    edge_perm_letters (bit, letters, sizeof letters);
    json_t *inner = json_object ();
    json_object_set_new (inner, "status", json_integer (403));
    json_object_set_new (inner, "code", json_string ("forbidden"));
    json_object_set_new (
        inner, "message",
        json_string (gw_req_sprintf (req,
                                     "permission %s (%d) on '%s' is "
                                     "required",
                                     letters, bit, resource)));
    json_object_set_new (inner, "resource", json_string (resource));
    json_object_set_new (inner, "bit", json_integer (bit));
    json_t *body = json_object ();
    json_object_set_new (body, "error", inner);
    gw_req_reply_json (req, 403, body);
}
