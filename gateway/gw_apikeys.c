/*  gw_apikeys - API keys of machine users (/be/v1/apikeys): create (the
    key "keyId.secret" is shown once) and delete (the next request with it
    fails). The store is gw_ident's: it keeps only the secret's SHA-256.
    Every lookup is under the caller's org, so another org's user or key
    is a 404.  */
#include "gw_apikeys.h"
#include "edge_log.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_ident.h"
#include <sodium.h>
#include <string.h>

static const edge_json_field_t s_create_fields[] = {
    {"username", EDGE_JSON_NAME, false, 0, 0, false},
};
static const edge_json_field_t s_delete_fields[] = {
    {"username", EDGE_JSON_NAME, true, 0, 0, false},
    {"keyId", EDGE_JSON_STRING, true, 1, 64, false},
};


//  True when key_id has the form gw_ident makes: 16 lowercase hex.
static bool
s_key_id_is_valid (const char *key_id)
{
    return strlen (key_id) == GW_IDENT_KEY_ID_LEN
           && strspn (key_id, "0123456789abcdef") == GW_IDENT_KEY_ID_LEN;
}


void
gw_apikeys_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const gw_principal_t *principal = gw_req_caller (req);
    edge_json_err_t err;
    //  No body: a key for the caller
    const char *username = principal->username;
    size_t len;
    gw_req_body (req, &len);
    if (len > 0) {
        json_t *body = gw_req_json (req, &err);
        if (!body
            || edge_json_check (body, s_create_fields,
                                EDGE_COUNT (s_create_fields), &err)) {
            gw_req_reply_error (req, &err);
            return;
        }
        username = edge_json_str (body, "username", username);
    }
    char key_id[GW_IDENT_KEY_ID_LEN + 1], api_key[GW_IDENT_API_KEY_MAX];
    edge_err_t rc = gw_ident_api_key_new (
        gw_thread_redis (thread), principal->org, username, key_id, api_key);
    if (rc == EDGE_ERR_OK) {
        edge_info ("API key %s for %s of %s made by %s", key_id, username,
                   principal->org, principal->username);
        json_t *answer = json_pack ("{s:s,s:s,s:s}", "username", username,
                                    "keyId", key_id, "apiKey", api_key);
        gw_req_reply_json (req, 201, answer);
    }
    else if (rc == EDGE_ERR_NOT_FOUND)
        gw_call_fail (req, rc, NULL, "user '%s' not found", username);
    else if (rc == EDGE_ERR_NOT_A_MACHINE_USER)
        gw_call_fail (req, rc, "username",
                      "user '%s' is not a machine user; API keys are for "
                      "machine users only",
                      username);
    else if (rc == EDGE_ERR_REDIS)
        gw_req_reply_redis_failed (req, NULL, NULL);
    else //  a key id collided (64 random bits): a retry will do
        gw_call_fail (req, EDGE_ERR_INTERNAL, NULL,
                      "internal error; try again");
    sodium_memzero (api_key, sizeof api_key);
}


void
gw_apikeys_delete (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    const gw_principal_t *principal = gw_req_caller (req);
    edge_json_err_t err;
    json_t *body = gw_req_json (req, &err);
    if (!body
        || edge_json_check (body, s_delete_fields, EDGE_COUNT (s_delete_fields),
                            &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    const char *username = edge_json_str (body, "username", NULL);
    const char *key_id = edge_json_str (body, "keyId", NULL);
    edge_err_t rc = EDGE_ERR_NOT_FOUND;
    if (s_key_id_is_valid (key_id))
        rc = gw_ident_api_key_delete (gw_thread_redis (thread), principal->org,
                                      username, key_id);
    if (rc == EDGE_ERR_OK) {
        edge_info ("API key %s of %s in %s deleted by %s", key_id, username,
                   principal->org, principal->username);
        gw_req_reply_data (req, 204, "application/json", "", 0);
    }
    else if (rc == EDGE_ERR_NOT_FOUND)
        gw_call_fail (req, rc, NULL, "API key '%s' of user '%s' not found",
                      s_key_id_is_valid (key_id) ? key_id : "?", username);
    else
        gw_req_reply_redis_failed (req, NULL, NULL);
}
