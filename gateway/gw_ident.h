/*  gw_ident - the identity store (architecture §6): organizations,
    session and auth tokens, API keys, the principal of a request, password
    hashing and login rate limits. Every identity access to Redis that
    authentication depends on goes through here, as one Lua script or one
    command on the calling thread's edge_redis_t.

    Secrets never reach a log line; tokens and API-key secrets are stored
    only as SHA-256 hex and compared in constant time. Strings passed in are
    borrowed; strings written out go to caller-provided buffers.  */
#ifndef GW_IDENT_H_INCLUDED
#define GW_IDENT_H_INCLUDED
#include "edge_err.h"
#include "edge_redis.h"
#include "gw_principal.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define GW_IDENT_ADMIN_ROLE   "Administrators"
#define GW_IDENT_PASSWORD_LEN 24  //  generated passwords
#define GW_IDENT_PWHASH_MAX   128 //  crypto_pwhash_STRBYTES, NUL included
#define GW_IDENT_TOKEN_MAX    64  //  a token's text (43 chars) + NUL fits
#define GW_IDENT_KEY_ID_LEN   16  //  key ids: 16 lowercase hex characters
#define GW_IDENT_API_KEY_MAX  64  //  "keyId.secret" (60 chars) + NUL fits
#define GW_IDENT_SHA_HEX      65  //  SHA-256 hex + NUL

//  Results are edge_err_t: EDGE_ERR_OK, or NOT_FOUND (no such org, user,
//  key or token; or expired, revoked), CONFLICT (already exists),
//  WRONG_KIND (a token of the other kind, session vs auth), USER_GONE (the
//  token's or key's user no longer exists), MISMATCH (API key: wrong
//  secret), WRONG_USER (API key: the key of another user),
//  NOT_A_MACHINE_USER (API keys are for machines only), RATE_LIMITED
//  (login rate limit reached), REDIS (Redis failed or answered oddly).

typedef enum { GW_IDENT_SESSION = 0, GW_IDENT_AUTH } gw_ident_kind_t;

//  Initialize libsodium; call once at start before any other function.
//  Returns 0, or -1 when libsodium cannot be used.
int gw_ident_init (void);

//  ----------------------------------------------------------------------
//  Passwords (argon2id, OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE)

//  Hash password into hash (GW_IDENT_PWHASH_MAX bytes, a NUL-terminated
//  crypto_pwhash_str string). Returns 0, or -1 when hashing failed (out of
//  memory: answer 503).
int gw_ident_hash_password (const char *password, char *hash);
//  True when password matches hash. A NULL or empty hash verifies against
//  a dummy hash (same cost) and returns false: use it for unknown users.
bool gw_ident_verify_password (const char *hash, const char *password);
//  A new random password of GW_IDENT_PASSWORD_LEN characters from
//  [A-Za-z0-9] into password (GW_IDENT_PASSWORD_LEN + 1 bytes).
void gw_ident_random_password (char *password);

//  ----------------------------------------------------------------------
//  Organizations

typedef struct {
    const char *name;           //  orgName (valid name)
    const char *email;          //  the org's and its admin's email
    const char *admin_username; //  valid name
    const char *public_key;     //  PEM text or NULL
} gw_ident_org_t;

//  Create the org in one Lua script: its EDGE_KEY_ORGS entry, info hash,
//  role Administrators with every maximum, the admin user (roles
//  ["Administrators"], firstname "Admin", surname = org name, pwhash).
//  created_ms is the creation time. EDGE_ERR_CONFLICT when the org exists.
edge_err_t gw_ident_org_create (edge_redis_t *redis,
                                const gw_ident_org_t *org,
                                const char *pwhash,
                                int64_t created_ms);
//  Delete every key of the org (SCAN + UNLINK, batched), its tokens, its
//  task records, and its EDGE_KEY_ORGS entry; nothing else. EDGE_ERR_NOT_FOUND
//  when the org does not exist.
edge_err_t gw_ident_org_delete (edge_redis_t *redis, const char *org);
//  EDGE_ERR_OK when the org exists, EDGE_ERR_NOT_FOUND when not.
edge_err_t gw_ident_org_exists (edge_redis_t *redis, const char *org);

//  ----------------------------------------------------------------------
//  Tokens: 32 random bytes, base64url (43 characters), stored by sha with
//  a TTL (edge_key_token: kind, org, username, session for auth tokens).

//  SHA-256 hex of a token or key secret into sha (GW_IDENT_SHA_HEX).
void gw_ident_sha (const char *secret, char *sha);
//  Log in (the password was checked): a new session token for the user
//  into token (GW_IDENT_TOKEN_MAX), living ttl_s seconds; fills principal
//  (perms included).
//  EDGE_ERR_NOT_FOUND when the user does not exist.
edge_err_t gw_ident_session_new (edge_redis_t *redis,
                                 const char *org,
                                 const char *username,
                                 int64_t ttl_s,
                                 char *token,
                                 gw_principal_t *principal);
//  A new auth token from a session token, living ttl_s seconds but never
//  past its session; *expires_in_s says how long. EDGE_ERR_NOT_FOUND
//  (unknown, expired, revoked), EDGE_ERR_WRONG_KIND (not a session token),
//  EDGE_ERR_USER_GONE.
edge_err_t gw_ident_auth_new (edge_redis_t *redis,
                              const char *session_token,
                              int64_t ttl_s,
                              char *token,
                              int64_t *expires_in_s);
//  The principal of a token of the given kind, in one round trip: org,
//  username, machine flag, OR of the roles' permissions, Administrators.
//  Same failures as gw_ident_auth_new.
edge_err_t gw_ident_principal_by_token (edge_redis_t *redis,
                                        const char *token,
                                        gw_ident_kind_t kind,
                                        gw_principal_t *principal);
//  Log out with a session token or an auth token: the session and every
//  auth token made from it stop working. EDGE_ERR_NOT_FOUND when the token
//  is unknown.
edge_err_t gw_ident_logout (edge_redis_t *redis, const char *token);
//  Revoke every token of a user (after deleting it, for instance). OK also
//  when there were none.
edge_err_t gw_ident_revoke_user_tokens (edge_redis_t *redis,
                                        const char *org,
                                        const char *username);

//  ----------------------------------------------------------------------
//  API keys: "keyId.secret"; edge_key_api_key holds keyId, username,
//  sha256 of the secret, created; indexed in edge_key_org_keys and
//  edge_key_user_keys.

//  Make new key material without storing it: key_id (GW_IDENT_KEY_ID_LEN +
//  1), api_key "keyId.secret" (GW_IDENT_API_KEY_MAX), sha of the secret
//  (GW_IDENT_SHA_HEX). For callers that store the key in their own script.
void gw_ident_api_key_make (char *key_id, char *api_key, char *sha);
//  Make and store a key for the machine user org/username. Fills key_id and
//  api_key (shown once). EDGE_ERR_NOT_FOUND (no such user),
//  EDGE_ERR_NOT_A_MACHINE_USER (a person).
edge_err_t gw_ident_api_key_new (edge_redis_t *redis,
                                 const char *org,
                                 const char *username,
                                 char *key_id,
                                 char *api_key);
//  Delete a key of org/username. EDGE_ERR_NOT_FOUND when the user has no
//  such key.
edge_err_t gw_ident_api_key_delete (edge_redis_t *redis,
                                    const char *org,
                                    const char *username,
                                    const char *key_id);
//  The principal of an API-key triple. EDGE_ERR_NOT_FOUND (no such key in
//  that org, malformed key text, or org/username not valid names),
//  EDGE_ERR_MISMATCH (wrong secret),
//  EDGE_ERR_WRONG_USER (the key of another user), EDGE_ERR_USER_GONE.
edge_err_t gw_ident_principal_by_key (edge_redis_t *redis,
                                      const char *org,
                                      const char *username,
                                      const char *api_key,
                                      gw_principal_t *principal);

//  ----------------------------------------------------------------------
//  Login support

//  The user's password hash (GW_IDENT_PWHASH_MAX; "" for machine users)
//  and machine flag. EDGE_ERR_NOT_FOUND when no such org or user.
edge_err_t gw_ident_user_pwhash (edge_redis_t *redis,
                                 const char *org,
                                 const char *username,
                                 char *pwhash,
                                 bool *is_machine);
//  Before any password work: check the failed-login counters of (org,
//  username) and of the client address (NULL or "" = not counted) and, in
//  the same step, count this attempt as a failure, so that concurrent
//  attempts cannot overrun a limit. EDGE_ERR_RATE_LIMITED with *retry_after_s
//  (>= 1) when either counter reached its maximum within its window (a
//  window of window_s starts at a counter's first failure); else
//  EDGE_ERR_OK, the attempt counted.
edge_err_t gw_ident_login_begin (edge_redis_t *redis,
                                 const char *org,
                                 const char *username,
                                 const char *addr,
                                 int64_t max_user,
                                 int64_t max_addr,
                                 int64_t window_s,
                                 int64_t *retry_after_s);
//  The attempt counted by gw_ident_login_begin succeeded: clear the user's
//  counter and take the attempt back from the address's counter.
edge_err_t gw_ident_login_succeeded (edge_redis_t *redis,
                                     const char *org,
                                     const char *username,
                                     const char *addr);

//  ----------------------------------------------------------------------
//  Permissions

//  {"apps":n,...} with every resource, from perms (EDGE_PERM_COUNT values).
//  Caller owns the result.
json_t *gw_ident_perms_json (const int *perms);
#endif
