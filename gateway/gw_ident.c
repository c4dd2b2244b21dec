/*  gw_ident - the identity store. Scripts live in gateway/lua/ident_*.lua;
    this file builds their keys and arguments and reads their replies. Each
    request-path lookup (principal by token or key) is one EVALSHA.
    Organizations are in gw_ident_org.c.  */
#include "gw_ident.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_perm.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_lua.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TOKEN_BYTES  32
#define S_SECRET_BYTES 32
#define S_MAX_ARGS     (8 + EDGE_PERM_COUNT)

_Static_assert(GW_IDENT_PWHASH_MAX == crypto_pwhash_STRBYTES,
               "GW_IDENT_PWHASH_MAX must be crypto_pwhash_STRBYTES");

//  A hash of a random password, verified when the user is unknown so that
//  a failed login costs the same whether the user exists or not.
static char s_dummy_hash[crypto_pwhash_STRBYTES];


int
gw_ident_init (void)
{
    if (sodium_init () < 0) {
        edge_error ("libsodium cannot be initialized");
        return -1;
    }
    if (s_dummy_hash[0])
        return 0;
    char password[GW_IDENT_PASSWORD_LEN + 1];
    gw_ident_random_password (password);
    int rc = gw_ident_hash_password (password, s_dummy_hash);
    sodium_memzero (password, sizeof password);
    return rc;
}


int
gw_ident_hash_password (const char *password, char *hash)
{
    edge_assert (password && hash);
    if (crypto_pwhash_str (hash, password, strlen (password),
                           crypto_pwhash_OPSLIMIT_INTERACTIVE,
                           crypto_pwhash_MEMLIMIT_INTERACTIVE)
        != 0) {
        edge_error ("argon2id hashing failed (out of memory?)");
        return -1;
    }
    return 0;
}


bool
gw_ident_verify_password (const char *hash, const char *password)
{
    edge_assert (password && s_dummy_hash[0]);
    bool is_real = hash && *hash;
    int rc = crypto_pwhash_str_verify (is_real ? hash : s_dummy_hash, password,
                                       strlen (password));
    return is_real && rc == 0;
}


void
gw_ident_random_password (char *password)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < GW_IDENT_PASSWORD_LEN; i++)
        password[i] = alphabet[randombytes_uniform (sizeof alphabet - 1)];
    password[GW_IDENT_PASSWORD_LEN] = 0;
}


void
gw_ident_sha (const char *secret, char *sha)
{
    edge_assert (secret && sha);
    edge_sha256_hex (secret, strlen (secret), sha);
}


//  A new random token (base64url of 32 bytes) and its sha.
static void
s_token_make (char *token, char *sha)
{
    unsigned char raw[S_TOKEN_BYTES];
    randombytes_buf (raw, sizeof raw);
    char *text = edge_b64url_encode (raw, sizeof raw);
    sodium_memzero (raw, sizeof raw);
    snprintf (token, GW_IDENT_TOKEN_MAX, "%s", text);
    sodium_memzero (text, strlen (text));
    free (text);
    gw_ident_sha (token, sha);
}


//  Log a script failure once; NULL replies were logged by edge_redis.
static void
s_warn_reply (const redisReply *reply, const char *what)
{
    if (reply)
        edge_warn ("identity: %s failed: %s", what,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
}


//  The resource names, appended to args from *nargs.
static void
s_add_resources (const char **args, int *nargs)
{
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++)
        args[(*nargs)++] = edge_perm_name (i);
}


//  Element i of an array reply as a string, or "" when not a string.
static const char *
s_str_at (const redisReply *reply, size_t i)
{
    if (i >= reply->elements || reply->element[i]->type != REDIS_REPLY_STRING)
        return "";
    return reply->element[i]->str;
}


//  Map a failure word ({'none'}, {'kind'}, {'gone'}, {'user'}) to its rc.
static edge_err_t
s_failure_rc (const redisReply *reply, const char *what)
{
    const char *word = s_str_at (reply, 0);
    if (strcmp (word, "none") == 0)
        return EDGE_ERR_NOT_FOUND;
    if (strcmp (word, "kind") == 0)
        return EDGE_ERR_WRONG_KIND;
    if (strcmp (word, "gone") == 0)
        return EDGE_ERR_USER_GONE;
    if (strcmp (word, "user") == 0)
        return EDGE_ERR_WRONG_USER;
    s_warn_reply (reply, what);
    return EDGE_ERR_REDIS;
}


//  Fill principal's machine flag, Administrators flag and permissions from
//  reply elements first.. (machine, admin, perms...). Returns 0 or -1.
static int
s_read_rights (const redisReply *reply, size_t first, gw_principal_t *p)
{
    if (reply->elements != first + 2 + EDGE_PERM_COUNT)
        return -1;
    p->is_machine = strcmp (s_str_at (reply, first), "1") == 0;
    for (size_t i = 0; i < 1 + EDGE_PERM_COUNT; i++)
        if (reply->element[first + 1 + i]->type != REDIS_REPLY_INTEGER)
            return -1;
    p->is_administrator = reply->element[first + 1]->integer == 1;
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++)
        p->perms[i] = (int) reply->element[first + 2 + i]->integer;
    return 0;
}


//  Read {'ok', org, user, [pttl,] machine, admin, perms...} into
//  principal; has_ttl: the reply holds the token's pttl (else -1).
static edge_err_t
s_read_principal (const redisReply *reply,
                  bool has_ttl,
                  gw_principal_t *principal,
                  const char *what)
{
    memset (principal, 0, sizeof *principal);
    snprintf (principal->org, sizeof principal->org, "%s", s_str_at (reply, 1));
    snprintf (principal->username, sizeof principal->username, "%s",
              s_str_at (reply, 2));
    principal->ttl_ms = -1;
    if (has_ttl && reply->elements > 3
        && reply->element[3]->type == REDIS_REPLY_INTEGER)
        principal->ttl_ms = reply->element[3]->integer;
    else if (has_ttl)
        principal->ttl_ms = -2; //  malformed: refused below
    if (!principal->org[0] || !principal->username[0] || principal->ttl_ms < -1
        || s_read_rights (reply, has_ttl ? 4 : 3, principal)) {
        s_warn_reply (reply, what);
        return EDGE_ERR_REDIS;
    }
    return EDGE_ERR_OK;
}


//  True when reply is an array whose first element is the string "ok".
static bool
s_is_ok (const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ARRAY
           && strcmp (s_str_at (reply, 0), "ok") == 0;
}


//  Map an array script reply with a failure word to an rc (NULL: Redis).
static edge_err_t
s_array_failure (const redisReply *reply, const char *what)
{
    if (!reply)
        return EDGE_ERR_REDIS;
    if (reply->type != REDIS_REPLY_ARRAY) {
        s_warn_reply (reply, what);
        return EDGE_ERR_REDIS;
    }
    return s_failure_rc (reply, what);
}


//  ----------------------------------------------------------------------
//  Tokens

edge_err_t
gw_ident_session_new (edge_redis_t *redis,
                      const char *org,
                      const char *username,
                      int64_t ttl_s,
                      char *token,
                      gw_principal_t *principal)
{
    edge_assert (redis && org && username && ttl_s > 0 && token && principal);
    char sha[GW_IDENT_SHA_HEX], ttl[24], iso[32];
    s_token_make (token, sha);
    snprintf (ttl, sizeof ttl, "%lld", (long long) ttl_s * 1000);
    edge_rfc3339 (edge_now_ms (), iso, sizeof iso);
    char *key = edge_key_token (sha);
    const char *keys[1] = {key};
    const char *args[S_MAX_ARGS] = {org, username, ttl, iso, sha};
    int nargs = 5;
    s_add_resources (args, &nargs);
    redisReply *reply = edge_redis_eval (redis, &gw_lua_ident_session_new, 1,
                                         keys, nargs, args);
    edge_err_t rc;
    if (s_is_ok (reply)) {
        rc = s_read_principal (reply, false, principal, "session");
        snprintf (principal->token_sha, sizeof principal->token_sha, "%s", sha);
    }
    else {
        rc = s_array_failure (reply, "session");
        rc = rc == EDGE_ERR_USER_GONE ? EDGE_ERR_NOT_FOUND : rc;
    }
    if (rc != EDGE_ERR_OK)
        sodium_memzero (token, GW_IDENT_TOKEN_MAX);
    freeReplyObject (reply);
    free (key);
    return rc;
}


edge_err_t
gw_ident_auth_new (edge_redis_t *redis,
                   const char *session_token,
                   int64_t ttl_s,
                   char *token,
                   int64_t *expires_in_s)
{
    edge_assert (redis && session_token && ttl_s > 0 && token && expires_in_s);
    char session_sha[GW_IDENT_SHA_HEX], sha[GW_IDENT_SHA_HEX], ttl[24], iso[32];
    gw_ident_sha (session_token, session_sha);
    s_token_make (token, sha);
    snprintf (ttl, sizeof ttl, "%lld", (long long) ttl_s * 1000);
    edge_rfc3339 (edge_now_ms (), iso, sizeof iso);
    char *session_key = edge_key_token (session_sha);
    char *key = edge_key_token (sha);
    const char *keys[2] = {session_key, key};
    const char *args[5] = {"session", ttl, iso, session_sha, sha};
    redisReply *reply =
        edge_redis_eval (redis, &gw_lua_ident_auth_new, 2, keys, 5, args);
    edge_err_t rc;
    if (s_is_ok (reply) && reply->elements == 2
        && reply->element[1]->type == REDIS_REPLY_INTEGER) {
        *expires_in_s = (reply->element[1]->integer + 999) / 1000;
        rc = EDGE_ERR_OK;
    }
    else
        rc = s_array_failure (reply, "auth token");
    if (rc != EDGE_ERR_OK)
        sodium_memzero (token, GW_IDENT_TOKEN_MAX);
    freeReplyObject (reply);
    free (key);
    free (session_key);
    return rc;
}


edge_err_t
gw_ident_principal_by_token (edge_redis_t *redis,
                             const char *token,
                             gw_ident_kind_t kind,
                             gw_principal_t *principal)
{
    edge_assert (redis && token && principal);
    char sha[GW_IDENT_SHA_HEX];
    gw_ident_sha (token, sha);
    char *key = edge_key_token (sha);
    const char *keys[1] = {key};
    const char *args[S_MAX_ARGS] = {kind == GW_IDENT_AUTH ? "auth" : "session"};
    int nargs = 1;
    s_add_resources (args, &nargs);
    redisReply *reply =
        edge_redis_eval (redis, &gw_lua_ident_principal, 1, keys, nargs, args);
    edge_err_t rc;
    if (s_is_ok (reply)) {
        rc = s_read_principal (reply, true, principal, "token lookup");
        snprintf (principal->token_sha, sizeof principal->token_sha, "%s", sha);
    }
    else
        rc = s_array_failure (reply, "token lookup");
    freeReplyObject (reply);
    free (key);
    return rc;
}


edge_err_t
gw_ident_logout (edge_redis_t *redis, const char *token)
{
    edge_assert (redis && token);
    char sha[GW_IDENT_SHA_HEX];
    gw_ident_sha (token, sha);
    char *key = edge_key_token (sha);
    const char *keys[1] = {key};
    const char *args[1] = {sha};
    redisReply *reply =
        edge_redis_eval (redis, &gw_lua_ident_logout, 1, keys, 1, args);
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1 ? EDGE_ERR_OK : EDGE_ERR_NOT_FOUND;
    else
        s_warn_reply (reply, "logout");
    freeReplyObject (reply);
    free (key);
    return rc;
}


edge_err_t
gw_ident_revoke_user_tokens (edge_redis_t *redis,
                             const char *org,
                             const char *username)
{
    edge_assert (redis && org && username);
    char *user_tokens = edge_key_user_tokens (org, username);
    char *org_tokens = edge_key_org_tokens (org);
    const char *keys[2] = {user_tokens, org_tokens};
    redisReply *reply =
        edge_redis_eval (redis, &gw_lua_ident_revoke_user, 2, keys, 0, NULL);
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = EDGE_ERR_OK;
    else
        s_warn_reply (reply, "token revocation");
    freeReplyObject (reply);
    free (org_tokens);
    free (user_tokens);
    return rc;
}


//  ----------------------------------------------------------------------
//  API keys

void
gw_ident_api_key_make (char *key_id, char *api_key, char *sha)
{
    edge_assert (key_id && api_key && sha);
    unsigned char id[GW_IDENT_KEY_ID_LEN / 2], secret[S_SECRET_BYTES];
    randombytes_buf (id, sizeof id);
    randombytes_buf (secret, sizeof secret);
    edge_hex (id, sizeof id, key_id);
    char *text = edge_b64url_encode (secret, sizeof secret);
    sodium_memzero (secret, sizeof secret);
    gw_ident_sha (text, sha);
    snprintf (api_key, GW_IDENT_API_KEY_MAX, "%s.%s", key_id, text);
    sodium_memzero (text, strlen (text));
    free (text);
}


edge_err_t
gw_ident_api_key_new (edge_redis_t *redis,
                      const char *org,
                      const char *username,
                      char *key_id,
                      char *api_key)
{
    edge_assert (redis && org && username && key_id && api_key);
    char sha[GW_IDENT_SHA_HEX], ms[24], iso[32];
    gw_ident_api_key_make (key_id, api_key, sha);
    int64_t now = edge_now_ms ();
    snprintf (ms, sizeof ms, "%lld", (long long) now);
    edge_rfc3339 (now, iso, sizeof iso);
    gw_call_t call;
    gw_call_init (&call, NULL);
    gw_call_key_take (&call, edge_key_user (org, username));
    gw_call_key_take (&call, edge_key_org_keys (org));
    gw_call_key_take (&call, edge_key_api_key (org, key_id));
    gw_call_key_take (&call, edge_key_user_keys (org, username));
    gw_call_arg (&call, key_id);
    gw_call_arg (&call, username);
    gw_call_arg (&call, sha);
    gw_call_arg (&call, ms);
    gw_call_arg (&call, iso);
    redisReply *reply = gw_call_eval_on (&call, redis, &gw_lua_ident_key_new);
    gw_call_fini (&call);
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_STRING) {
        if (strcmp (reply->str, "ok") == 0)
            rc = EDGE_ERR_OK;
        else if (strcmp (reply->str, "none") == 0)
            rc = EDGE_ERR_NOT_FOUND;
        else if (strcmp (reply->str, "person") == 0)
            rc = EDGE_ERR_NOT_A_MACHINE_USER;
        else
            rc = EDGE_ERR_CONFLICT; //  64 random bits collided
    }
    else
        s_warn_reply (reply, "API key create");
    if (rc != EDGE_ERR_OK)
        sodium_memzero (api_key, GW_IDENT_API_KEY_MAX);
    freeReplyObject (reply);
    return rc;
}


edge_err_t
gw_ident_api_key_delete (edge_redis_t *redis,
                         const char *org,
                         const char *username,
                         const char *key_id)
{
    edge_assert (redis && org && username && key_id);
    gw_call_t call;
    gw_call_init (&call, NULL);
    gw_call_key_take (&call, edge_key_api_key (org, key_id));
    gw_call_key_take (&call, edge_key_org_keys (org));
    gw_call_key_take (&call, edge_key_user_keys (org, username));
    gw_call_arg (&call, key_id);
    gw_call_arg (&call, username);
    redisReply *reply =
        gw_call_eval_on (&call, redis, &gw_lua_ident_key_delete);
    gw_call_fini (&call);
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1 ? EDGE_ERR_OK : EDGE_ERR_NOT_FOUND;
    else
        s_warn_reply (reply, "API key delete");
    freeReplyObject (reply);
    return rc;
}


//  Split "keyId.secret": key_id must be GW_IDENT_KEY_ID_LEN lowercase hex.
//  Returns the secret (borrowed from api_key) or NULL when malformed.
static const char *
s_key_split (const char *api_key, char *key_id)
{
    const char *dot = strchr (api_key, '.');
    if (!dot || dot - api_key != GW_IDENT_KEY_ID_LEN || !dot[1])
        return NULL;
    for (const char *p = api_key; p < dot; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return NULL;
    memcpy (key_id, api_key, GW_IDENT_KEY_ID_LEN);
    key_id[GW_IDENT_KEY_ID_LEN] = 0;
    return dot + 1;
}


//  Compare the stored sha (reply element 1) with the secret's, in
//  constant time, then read the rights.
static edge_err_t
s_key_check (const redisReply *reply,
             const char *secret,
             gw_principal_t *principal)
{
    char sha[GW_IDENT_SHA_HEX];
    gw_ident_sha (secret, sha);
    const char *stored = s_str_at (reply, 1);
    if (strlen (stored) != GW_IDENT_SHA_HEX - 1) {
        s_warn_reply (reply, "API key lookup");
        return EDGE_ERR_REDIS;
    }
    if (!edge_ct_equal (stored, sha, GW_IDENT_SHA_HEX - 1))
        return EDGE_ERR_MISMATCH;
    if (s_read_rights (reply, 2, principal)) {
        s_warn_reply (reply, "API key lookup");
        return EDGE_ERR_REDIS;
    }
    return EDGE_ERR_OK;
}


edge_err_t
gw_ident_principal_by_key (edge_redis_t *redis,
                           const char *org,
                           const char *username,
                           const char *api_key,
                           gw_principal_t *principal)
{
    edge_assert (redis && org && username && api_key && principal);
    memset (principal, 0, sizeof *principal);
    char key_id[GW_IDENT_KEY_ID_LEN + 1];
    const char *secret = s_key_split (api_key, key_id);
    if (!secret || !edge_name_is_valid (org) || !edge_name_is_valid (username))
        return EDGE_ERR_NOT_FOUND; //  names become key names: never unchecked
    gw_call_t call;
    gw_call_init (&call, NULL);
    gw_call_key_take (&call, edge_key_api_key (org, key_id));
    gw_call_key_take (&call, edge_key_user (org, username));
    gw_call_key_take (&call, edge_key_user_keys (org, username));
    gw_call_arg (&call, org);
    gw_call_arg (&call, username);
    gw_call_arg (&call, key_id);
    s_add_resources (call.args, &call.nargs);
    redisReply *reply =
        gw_call_eval_on (&call, redis, &gw_lua_ident_key_principal);
    gw_call_fini (&call);
    edge_err_t rc;
    if (s_is_ok (reply))
        rc = s_key_check (reply, secret, principal);
    else
        rc = s_array_failure (reply, "API key lookup");
    if (rc == EDGE_ERR_OK) {
        snprintf (principal->org, sizeof principal->org, "%s", org);
        snprintf (principal->username, sizeof principal->username, "%s",
                  username);
        principal->is_api_key = true;
        principal->ttl_ms = -1;
    }
    else
        memset (principal, 0, sizeof *principal);
    freeReplyObject (reply);
    return rc;
}


//  ----------------------------------------------------------------------
//  Login support

edge_err_t
gw_ident_user_pwhash (edge_redis_t *redis,
                      const char *org,
                      const char *username,
                      char *pwhash,
                      bool *is_machine)
{
    edge_assert (redis && org && username && pwhash && is_machine);
    pwhash[0] = 0;
    *is_machine = false;
    char *key = edge_key_user (org, username);
    redisReply *reply =
        edge_redis_command (redis, "HMGET %s username machine pwhash", key);
    free (key);
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
        rc = reply->element[0]->type == REDIS_REPLY_STRING ? EDGE_ERR_OK
                                                           : EDGE_ERR_NOT_FOUND;
        *is_machine = strcmp (s_str_at (reply, 1), "1") == 0;
        const char *hash = s_str_at (reply, 2);
        if (strlen (hash) < GW_IDENT_PWHASH_MAX)
            snprintf (pwhash, GW_IDENT_PWHASH_MAX, "%s", hash);
    }
    else
        s_warn_reply (reply, "user lookup");
    freeReplyObject (reply);
    return rc;
}


//  The counter keys of a login: user, and address when given.
static int
s_login_keys (const char *org,
              const char *username,
              const char *addr,
              char **keys)
{
    keys[0] = edge_key_login_user (org, username);
    keys[1] = addr && *addr ? edge_key_login_addr (addr) : NULL;
    return keys[1] ? 2 : 1;
}


edge_err_t
gw_ident_login_begin (edge_redis_t *redis,
                      const char *org,
                      const char *username,
                      const char *addr,
                      int64_t max_user,
                      int64_t max_addr,
                      int64_t window_s,
                      int64_t *retry_after_s)
{
    edge_assert (redis && org && username && window_s > 0 && retry_after_s);
    char *keys[2];
    int nkeys = s_login_keys (org, username, addr, keys);
    char args_text[3][24];
    snprintf (args_text[0], sizeof args_text[0], "%lld", (long long) max_user);
    snprintf (args_text[1], sizeof args_text[1], "%lld", (long long) max_addr);
    snprintf (args_text[2], sizeof args_text[2], "%lld", (long long) window_s);
    const char *args[3] = {args_text[0], args_text[1], args_text[2]};
    redisReply *reply = edge_redis_eval (redis, &gw_lua_ident_login_begin,
                                         nkeys, (const char **) keys, 3, args);
    edge_err_t rc = EDGE_ERR_REDIS;
    *retry_after_s = 0;
    if (reply && reply->type == REDIS_REPLY_INTEGER) {
        rc = reply->integer > 0 ? EDGE_ERR_RATE_LIMITED : EDGE_ERR_OK;
        *retry_after_s = (reply->integer + 999) / 1000;
    }
    else
        s_warn_reply (reply, "login rate check");
    freeReplyObject (reply);
    free (keys[0]);
    free (keys[1]);
    return rc;
}


edge_err_t
gw_ident_login_succeeded (edge_redis_t *redis,
                          const char *org,
                          const char *username,
                          const char *addr)
{
    edge_assert (redis && org && username);
    char *keys[2];
    int nkeys = s_login_keys (org, username, addr, keys);
    redisReply *reply = edge_redis_eval (redis, &gw_lua_ident_login_succeeded,
                                         nkeys, (const char **) keys, 0, NULL);
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = EDGE_ERR_OK;
    else
        s_warn_reply (reply, "login success count");
    freeReplyObject (reply);
    free (keys[0]);
    free (keys[1]);
    return rc;
}


//  ----------------------------------------------------------------------
//  Permissions

json_t *
gw_ident_perms_json (const int *perms)
{
    edge_assert (perms);
    json_t *object = json_object ();
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++)
        json_object_set_new (object, edge_perm_name (i),
                             json_integer (perms[i]));
    return object;
}
