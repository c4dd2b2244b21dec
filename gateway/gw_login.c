/*  gw_login - login, auth token exchange and logout (/be/v1). These routes
    take no backend authentication from the router: login takes a password,
    auth a session token, logout either token. API-key headers are refused
    on all three (400 api_key_not_allowed).  */
#include "gw_login.h"
#include "edge_log.h"
#include "gw_bauth.h"
#include "gw_call.h"
#include "gw_ident.h"
#include "gw_server.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define S_PASSWORD_MAX 1024
#define S_TOKEN_MAX    256

static const edge_json_field_t s_login_fields[] = {
    {"orgName", EDGE_JSON_NAME, true, 0, 0, false},
    {"username", EDGE_JSON_NAME, true, 0, 0, false},
    {"password", EDGE_JSON_STRING, true, 1, S_PASSWORD_MAX, false},
};


//  400 when the request carries API-key headers. Returns true when it did.
static bool
s_refuse_api_key (gw_req_t *req, const char *what)
{
    if (!gw_bauth_has_api_key_header (req))
        return false;
    gw_call_fail (req, EDGE_ERR_API_KEY_NOT_ALLOWED, NULL,
                  "API-key authentication cannot be used to %s", what);
    return true;
}


//  429 with Retry-After.
static void
s_reply_limited (gw_req_t *req, int64_t retry_after_s)
{
    char value[24];
    snprintf (value, sizeof value, "%lld", (long long) retry_after_s);
    gw_req_reply_header (req, "Retry-After", value);
    gw_call_fail (req, EDGE_ERR_RATE_LIMITED, NULL,
                  "too many failed logins; retry in %lld seconds",
                  (long long) retry_after_s);
}


//  Check the password (against a dummy hash when the user is unknown or a
//  machine, so the time spent does not tell). Returns OK, NOT_FOUND
//  (invalid credentials) or REDIS.
static edge_err_t
s_check_password (edge_redis_t *redis,
                  const char *org,
                  const char *username,
                  const char *password)
{
    char pwhash[GW_IDENT_PWHASH_MAX];
    bool is_machine;
    edge_err_t rc =
        gw_ident_user_pwhash (redis, org, username, pwhash, &is_machine);
    if (rc == EDGE_ERR_REDIS)
        return rc;
    bool is_usable = rc == EDGE_ERR_OK && !is_machine && pwhash[0];
    bool is_match =
        gw_ident_verify_password (is_usable ? pwhash : NULL, password);
    sodium_memzero (pwhash, sizeof pwhash);
    return is_usable && is_match ? EDGE_ERR_OK : EDGE_ERR_NOT_FOUND;
}


//  200 {"sessionToken","expiresIn","permissions"}.
static void
s_reply_session (gw_req_t *req,
                 const char *token,
                 int64_t ttl_s,
                 const gw_principal_t *principal)
{
    json_t *body = json_object ();
    json_object_set_new (body, "sessionToken", json_string (token));
    json_object_set_new (body, "expiresIn", json_integer (ttl_s));
    json_object_set_new (body, "permissions",
                         gw_ident_perms_json (principal->perms));
    gw_req_reply_json (req, 200, body);
}


//  Count the attempt before any password work; answers 429 (or 503) and
//  returns false when the login must stop here.
static bool
s_begin (gw_req_t *req,
         edge_redis_t *redis,
         const gw_config_t *config,
         const char *org,
         const char *username)
{
    const char *addr = gw_req_header (req, GW_SERVER_CLIENT_ADDR);
    int64_t retry_after_s;
    edge_err_t rc = gw_ident_login_begin (
        redis, org, username, addr, config->login_max_failures,
        config->login_max_failures_ip, config->login_window_s, &retry_after_s);
    if (rc == EDGE_ERR_RATE_LIMITED) {
        edge_info ("login of %s@%s from %s refused: rate limited", username,
                   org, addr ? addr : "?");
        s_reply_limited (req, retry_after_s);
    }
    else if (rc != EDGE_ERR_OK)
        gw_req_reply_redis_failed (req, NULL, NULL);
    return rc == EDGE_ERR_OK;
}


void
gw_login_login (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    if (s_refuse_api_key (req, "log in"))
        return;
    edge_json_err_t err;
    json_t *body = gw_req_json (req, &err);
    if (!body || edge_json_check (body, s_login_fields, 3, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *org = edge_json_str (body, "orgName", "");
    const char *username = edge_json_str (body, "username", "");
    const char *password = edge_json_str (body, "password", "");
    edge_redis_t *redis = gw_thread_redis (thread);
    const gw_config_t *config = ctx->config;
    if (!s_begin (req, redis, config, org, username))
        return;
    char token[GW_IDENT_TOKEN_MAX];
    gw_principal_t principal;
    edge_err_t rc = s_check_password (redis, org, username, password);
    if (rc == EDGE_ERR_OK)
        rc = gw_ident_session_new (redis, org, username, config->session_ttl_s,
                                   token, &principal);
    if (rc == EDGE_ERR_OK) {
        const char *addr = gw_req_header (req, GW_SERVER_CLIENT_ADDR);
        gw_ident_login_succeeded (redis, org, username, addr);
        s_reply_session (req, token, config->session_ttl_s, &principal);
        sodium_memzero (token, sizeof token);
    }
    else if (rc == EDGE_ERR_NOT_FOUND) { //  the attempt stays counted
        const char *addr = gw_req_header (req, GW_SERVER_CLIENT_ADDR);
        edge_info ("login of %s@%s from %s failed", username, org,
                   addr ? addr : "?");
        gw_call_fail (req, EDGE_ERR_UNAUTHORIZED, NULL, "invalid credentials");
    }
    else
        gw_req_reply_redis_failed (req, NULL, NULL);
}


void
gw_login_auth (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    if (s_refuse_api_key (req, "get an auth token"))
        return;
    const char *session = gw_req_header (req, GW_BAUTH_SESSION_HEADER);
    if (!session || !*session) {
        gw_call_fail (req, EDGE_ERR_UNAUTHORIZED, NULL,
                      "missing " GW_BAUTH_SESSION_HEADER " header");
        return;
    }
    char token[GW_IDENT_TOKEN_MAX];
    int64_t expires_in_s = 0;
    edge_err_t rc = EDGE_ERR_NOT_FOUND;
    if (strlen (session) <= S_TOKEN_MAX)
        rc = gw_ident_auth_new (gw_thread_redis (thread), session,
                                ctx->config->auth_ttl_s, token, &expires_in_s);
    if (rc == EDGE_ERR_OK) {
        json_t *body = json_object ();
        json_object_set_new (body, "authToken", json_string (token));
        json_object_set_new (body, "expiresIn", json_integer (expires_in_s));
        gw_req_reply_json (req, 200, body);
    }
    else if (rc == EDGE_ERR_WRONG_KIND)
        gw_call_fail (req, EDGE_ERR_UNAUTHORIZED, NULL,
                      "not a session token: send the token of POST "
                      "/be/v1/login");
    else if (rc == EDGE_ERR_USER_GONE)
        gw_call_fail (req, EDGE_ERR_UNAUTHORIZED, NULL,
                      "the session's user no longer exists");
    else if (rc == EDGE_ERR_REDIS)
        gw_req_reply_redis_failed (req, NULL, NULL);
    else
        gw_call_fail (req, EDGE_ERR_UNAUTHORIZED, NULL,
                      "unknown, expired or revoked session token");
    sodium_memzero (token, sizeof token);
}


void
gw_login_logout (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    if (s_refuse_api_key (req, "log out"))
        return;
    bool is_ambiguous;
    const char *token = gw_req_header (req, GW_BAUTH_SESSION_HEADER);
    if (!token)
        token = gw_bauth_auth_token (req, &is_ambiguous);
    if (!token || !*token) {
        gw_call_fail (req, EDGE_ERR_UNAUTHORIZED, NULL,
                      "missing " GW_BAUTH_SESSION_HEADER
                      " (or " GW_BAUTH_TOKEN_HEADER ") header");
        return;
    }
    edge_err_t rc = EDGE_ERR_NOT_FOUND;
    if (strlen (token) <= S_TOKEN_MAX)
        rc = gw_ident_logout (gw_thread_redis (thread), token);
    if (rc == EDGE_ERR_OK)
        gw_req_reply_data (req, 204, "application/json", "", 0);
    else if (rc == EDGE_ERR_REDIS)
        gw_req_reply_redis_failed (req, NULL, NULL);
    else
        gw_call_fail (req, EDGE_ERR_UNAUTHORIZED, NULL,
                      "unknown, expired or revoked token");
}
