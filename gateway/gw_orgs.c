/*  gw_orgs - organizations: admin and backend create and delete. The store
    work (one Lua script to create, batched SCAN + UNLINK to delete) is in
    gw_ident.  */
#include "gw_orgs.h"
#include "edge_log.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_ident.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define S_PUBLIC_KEY_MAX 16384

static const edge_json_field_t s_create_fields[] = {
    {"orgName", EDGE_JSON_NAME, true, 0, 0, false},
    {"email", EDGE_JSON_STRING, true, 3, 254, false},
    {"adminUsername", EDGE_JSON_NAME, false, 0, 0, false},
    {"publicKey", EDGE_JSON_STRING, false, 1, S_PUBLIC_KEY_MAX, false},
};


//  An email: one '@' with text on both sides (length checked already).
static bool
s_email_is_valid (const char *email)
{
    const char *at = strchr (email, '@');
    return at && at != email && at[1] && !strchr (at + 1, '@');
}


//  Validate the body into org. Returns 0, or -1 with err set.
static int
s_parse_create (gw_req_t *req, gw_ident_org_t *org, edge_json_err_t *err)
{
    json_t *body = gw_req_json (req, err);
    if (!body
        || edge_json_check (body, s_create_fields, EDGE_COUNT (s_create_fields),
                            err))
        return -1;
    org->name = edge_json_str (body, "orgName", NULL);
    org->email = edge_json_str (body, "email", NULL);
    org->admin_username =
        edge_json_str (body, "adminUsername", "adminPrincipal");
    org->public_key = edge_json_str (body, "publicKey", NULL);
    if (!s_email_is_valid (org->email))
        return edge_json_err_set (err, 400, "invalid_field", "email",
                                  "email must hold exactly one '@' with text "
                                  "on both sides");
    return 0;
}


//  Create the org and answer 201 {"orgName","email","adminUsername",
//  "password","created"}; by is the audit identity.
static void
s_create (gw_req_t *req, gw_thread_t *thread, const char *by)
{
    edge_json_err_t err;
    gw_ident_org_t org;
    if (s_parse_create (req, &org, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    char password[GW_IDENT_PASSWORD_LEN + 1], pwhash[GW_IDENT_PWHASH_MAX];
    gw_ident_random_password (password);
    int64_t created = edge_now_ms ();
    edge_err_t rc = EDGE_ERR_REDIS;
    if (gw_ident_hash_password (password, pwhash) == 0)
        rc = gw_ident_org_create (gw_thread_redis (thread), &org, pwhash,
                                  created);
    if (rc == EDGE_ERR_OK) {
        edge_info ("organization %s created by %s", org.name, by);
        char iso[32];
        edge_rfc3339 (created, iso, sizeof iso);
        gw_req_reply_json (req, 201,
                           json_pack ("{s:s,s:s,s:s,s:s,s:s}", "orgName",
                                      org.name, "email", org.email,
                                      "adminUsername", org.admin_username,
                                      "password", password, "created", iso));
    }
    else if (rc == EDGE_ERR_CONFLICT)
        gw_call_fail (req, EDGE_ERR_CONFLICT, "orgName",
                      "organization '%s' already exists", org.name);
    else
        gw_req_reply_redis_failed (req, NULL, NULL);
    sodium_memzero (password, sizeof password);
    sodium_memzero (pwhash, sizeof pwhash);
}


//  The prune query parameter: absent, true or false. Returns 0, or -1
//  with err set.
static int
s_check_prune (const char *query, edge_json_err_t *err)
{
    for (const char *p = query; p && *p;) {
        size_t len = strcspn (p, "&");
        if (strncmp (p, "prune=", 6) == 0) {
            size_t vlen = len - 6;
            if (!(vlen == 4 && strncmp (p + 6, "true", 4) == 0)
                && !(vlen == 5 && strncmp (p + 6, "false", 5) == 0))
                return edge_json_err_set (err, 400, "invalid_field", "prune",
                                          "prune must be true or false");
        }
        p += len + (p[len] ? 1 : 0);
    }
    return 0;
}


//  Delete org and answer 204 (404 when it does not exist).
static void
s_delete (gw_req_t *req, gw_thread_t *thread, const char *org, const char *by)
{
    edge_json_err_t err;
    if (s_check_prune (gw_req_query (req), &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    edge_err_t rc = gw_ident_org_delete (gw_thread_redis (thread), org);
    if (rc == EDGE_ERR_OK) {
        edge_info ("organization %s deleted by %s", org, by);
        gw_req_reply_data (req, 204, "application/json", "", 0);
    }
    else if (rc == EDGE_ERR_NOT_FOUND)
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL,
                      "organization '%s' not found", org);
    else
        gw_req_reply_redis_failed (req, NULL, NULL);
}


void
gw_orgs_adm_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    char *by = gw_req_sprintf (req, "admin %s", gw_req_identity (req));
    s_create (req, thread, by);
}


void
gw_orgs_adm_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    char *by = gw_req_sprintf (req, "admin %s", gw_req_identity (req));
    s_delete (req, thread, gw_req_param (req, "orgName"), by);
}


void
gw_orgs_be_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    const gw_principal_t *principal = gw_req_caller (req);
    const char *operator_org = ctx->config->operator_org;
    if (!operator_org || !*operator_org
        || strcmp (principal->org, operator_org) != 0
        || !principal->is_administrator) {
        gw_call_fail (req, EDGE_ERR_FORBIDDEN, NULL,
                      "creating organizations through the backend API "
                      "is reserved to the operator organization");
        return;
    }
    char *by =
        gw_req_sprintf (req, "%s@%s", principal->username, principal->org);
    s_create (req, thread, by);
}


void
gw_orgs_be_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const gw_principal_t *principal = gw_req_caller (req);
    const char *org = gw_req_param (req, "orgName");
    if (strcmp (principal->org, org) != 0) {
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL,
                      "organization '%s' not found", org);
        return;
    }
    if (!principal->is_administrator) {
        gw_call_fail (
            req, EDGE_ERR_FORBIDDEN, NULL,
            "deleting an organization requires the " GW_IDENT_ADMIN_ROLE
            " role");
        return;
    }
    char *by =
        gw_req_sprintf (req, "%s@%s", principal->username, principal->org);
    s_delete (req, thread, org, by);
}
