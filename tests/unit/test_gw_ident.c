/*  test_gw_ident - the identity store against a real redis-server:
    passwords, org creation and isolated deletion, tokens (lookup, kinds,
    expiry, logout, revocation), permissions over roles, API keys and the
    login counters.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_perm.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "gw_ident.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;
static char s_pwhash[GW_IDENT_PWHASH_MAX]; //  of "correct horse battery"


static int
s_flush (void **state)
{
    (void) state;
    redisReply *reply = edge_redis_command (s_redis, "FLUSHALL");
    int rc = reply && reply->type == REDIS_REPLY_STATUS ? 0 : -1;
    freeReplyObject (reply);
    return rc;
}


//  Run a command that must succeed; arguments are split on spaces (test
//  commands hold none inside an argument). Returns the reply (caller
//  frees).
static redisReply *
s_cmd (const char *fmt, ...)
{
    char command[1024];
    va_list args;
    va_start (args, fmt);
    int len = vsnprintf (command, sizeof command, fmt, args);
    va_end (args);
    assert_true (len > 0 && (size_t) len < sizeof command);
    const char *argv[32];
    int argc = 0;
    for (char *p = strtok (command, " "); p && argc < 32;
         p = strtok (NULL, " "))
        argv[argc++] = p;
    redisReply *reply = edge_redis_argv (s_redis, argc, argv, NULL);
    assert_non_null (reply);
    assert_int_not_equal (reply->type, REDIS_REPLY_ERROR);
    return reply;
}


static bool
s_exists (const char *key)
{
    redisReply *reply = s_cmd ("EXISTS %s", key);
    bool exists = reply->integer == 1;
    freeReplyObject (reply);
    return exists;
}


static long long
s_dbsize (void)
{
    redisReply *reply = s_cmd ("DBSIZE");
    long long n = reply->integer;
    freeReplyObject (reply);
    return n;
}


static void
s_create_org (const char *name)
{
    gw_ident_org_t org = {name, "owner@example.com", "boss", NULL};
    assert_int_equal (gw_ident_org_create (s_redis, &org, s_pwhash, 1000),
                      EDGE_ERR_OK);
}


//  A user hash written directly (h6's module writes users for real).
static void
s_create_user (const char *org,
               const char *user,
               const char *roles,
               bool is_machine)
{
    freeReplyObject (s_cmd ("HSET e:{%s}:user:%s username %s machine %s "
                            "roles %s created 2026-01-01T00:00:00.000Z",
                            org, user, user, is_machine ? "1" : "0", roles));
    freeReplyObject (s_cmd ("ZADD e:{%s}:users 1 %s", org, user));
}


static void
test_password_hash_verifies_only_the_password (void **state)
{
    (void) state;
    char hash[GW_IDENT_PWHASH_MAX];
    assert_int_equal (gw_ident_hash_password ("s3cret-passw0rd", hash), 0);
    assert_non_null (strstr (hash, "$argon2id$"));
    assert_true (gw_ident_verify_password (hash, "s3cret-passw0rd"));
    assert_false (gw_ident_verify_password (hash, "s3cret-passw0rD"));
    assert_false (gw_ident_verify_password (hash, ""));
    //  unknown users verify against the dummy hash and always fail
    assert_false (gw_ident_verify_password (NULL, "s3cret-passw0rd"));
    assert_false (gw_ident_verify_password ("", ""));
}


static void
test_random_passwords_are_24_alphanumerics_and_differ (void **state)
{
    (void) state;
    char a[GW_IDENT_PASSWORD_LEN + 1], b[GW_IDENT_PASSWORD_LEN + 1];
    gw_ident_random_password (a);
    gw_ident_random_password (b);
    assert_int_equal (strlen (a), 24);
    for (size_t i = 0; i < 24; i++)
        assert_true (isalnum ((unsigned char) a[i]));
    assert_string_not_equal (a, b);
}


static void
test_org_creation_writes_info_administrators_and_admin_user (void **state)
{
    (void) state;
    gw_ident_org_t org = {"acme", "owner@example.com", "boss",
                          "-----BEGIN PUBLIC KEY-----"};
    assert_int_equal (gw_ident_org_create (s_redis, &org, s_pwhash, 1234),
                      EDGE_ERR_OK);
    redisReply *r = s_cmd ("ZSCORE e:orgs acme");
    assert_string_equal (r->str, "1234");
    freeReplyObject (r);
    r = s_cmd ("HMGET e:{acme}:info name email adminUsername publicKey "
               "created");
    assert_string_equal (r->element[0]->str, "acme");
    assert_string_equal (r->element[1]->str, "owner@example.com");
    assert_string_equal (r->element[2]->str, "boss");
    assert_string_equal (r->element[3]->str, "-----BEGIN PUBLIC KEY-----");
    assert_string_equal (r->element[4]->str, "1970-01-01T00:00:01.234Z");
    freeReplyObject (r);
    r = s_cmd ("HGET e:{acme}:role:Administrators permissions");
    json_t *perms = json_loads (r->str, 0, NULL);
    freeReplyObject (r);
    assert_int_equal (json_object_size (perms), EDGE_PERM_COUNT);
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++)
        assert_int_equal (
            json_integer_value (json_object_get (perms, edge_perm_name (i))),
            edge_perm_max (i));
    json_decref (perms);
    r = s_cmd ("HMGET e:{acme}:user:boss username email firstname surname "
               "machine roles pwhash");
    assert_string_equal (r->element[0]->str, "boss");
    assert_string_equal (r->element[1]->str, "owner@example.com");
    assert_string_equal (r->element[2]->str, "Admin");
    assert_string_equal (r->element[3]->str, "acme");
    assert_string_equal (r->element[4]->str, "0");
    assert_string_equal (r->element[5]->str, "[\"Administrators\"]");
    assert_true (
        gw_ident_verify_password (r->element[6]->str, "correct horse battery"));
    freeReplyObject (r);
    assert_true (s_exists ("e:{acme}:users") && s_exists ("e:{acme}:roles"));
    assert_int_equal (gw_ident_org_exists (s_redis, "acme"), EDGE_ERR_OK);
    assert_int_equal (gw_ident_org_exists (s_redis, "nope"),
                      EDGE_ERR_NOT_FOUND);
}


static void
test_creating_an_existing_org_conflicts_and_changes_nothing (void **state)
{
    (void) state;
    s_create_org ("acme");
    long long before = s_dbsize ();
    gw_ident_org_t org = {"acme", "other@example.com", "other", NULL};
    assert_int_equal (gw_ident_org_create (s_redis, &org, s_pwhash, 5),
                      EDGE_ERR_CONFLICT);
    assert_int_equal (s_dbsize (), before);
    assert_false (s_exists ("e:{acme}:user:other"));
}


//  Keys of org plus a session token and a task record listed in its index.
static void
s_populate (const char *org, const char *task)
{
    s_create_org (org);
    char token[GW_IDENT_TOKEN_MAX];
    gw_principal_t p;
    assert_int_equal (
        gw_ident_session_new (s_redis, org, "boss", 600, token, &p),
        EDGE_ERR_OK);
    freeReplyObject (s_cmd ("HSET e:task:%s name %s", task, task));
    freeReplyObject (s_cmd ("ZADD e:{%s}:tasks 1 %s", org, task));
}


static void
test_org_deletion_removes_only_that_orgs_keys (void **state)
{
    (void) state;
    //  orgs named like global key families must not reach them
    s_populate ("tasks", "t_tasks");
    s_populate ("tok", "t_tok");
    s_populate ("acme", "t_acme");
    s_populate ("acme_2", "t_acme_2");
    freeReplyObject (s_cmd ("ZADD e:tasks:queued 1 t_other"));
    freeReplyObject (s_cmd ("ZADD e:tasks:leases 1 t_other"));
    freeReplyObject (s_cmd ("HSET e:task:t_other name t_other"));
    freeReplyObject (s_cmd ("HSET e:tok:unrelated kind auth"));
    freeReplyObject (s_cmd ("XADD e:events * a b"));
    freeReplyObject (s_cmd ("SET e:tasks:x 1"));
    freeReplyObject (s_cmd ("SET e:tok 1"));
    long long all = s_dbsize ();
    redisReply *r = s_cmd ("KEYS e:{acme_2}:*");
    size_t acme2_keys = r->elements;
    freeReplyObject (r);

    assert_int_equal (gw_ident_org_delete (s_redis, "tasks"), EDGE_ERR_OK);
    assert_int_equal (gw_ident_org_delete (s_redis, "tok"), EDGE_ERR_OK);
    assert_int_equal (gw_ident_org_delete (s_redis, "acme"), EDGE_ERR_OK);
    const char *kept[] = {
        "e:tasks:queued",  "e:tasks:leases",  "e:task:t_other",
        "e:tok:unrelated", "e:events",        "e:tasks:x",
        "e:tok",           "e:task:t_acme_2", "e:{acme_2}:info"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (!s_exists (kept[i]))
            fail_msg ("%s was removed", kept[i]);
    const char *gone[] = {"e:task:t_tasks", "e:task:t_tok",   "e:task:t_acme",
                          "e:{acme}:info",  "e:{tasks}:info", "e:{tok}:info"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (s_exists (gone[i]))
            fail_msg ("%s was kept", gone[i]);
    r = s_cmd ("KEYS e:{acme_2}:*");
    assert_int_equal (r->elements, acme2_keys);
    freeReplyObject (r);
    r = s_cmd ("KEYS e:tok:*"); //  acme_2's session and the unrelated key
    assert_int_equal (r->elements, 2);
    freeReplyObject (r);
    r = s_cmd ("ZRANGE e:orgs 0 -1");
    assert_int_equal (r->elements, 1);
    assert_string_equal (r->element[0]->str, "acme_2");
    freeReplyObject (r);
    assert_true (s_dbsize () < all);
    assert_int_equal (gw_ident_org_delete (s_redis, "acme"),
                      EDGE_ERR_NOT_FOUND);
}


static void
test_org_deletion_unlinks_keys_in_batches (void **state)
{
    (void) state;
    s_create_org ("big");
    for (int i = 0; i < 1300; i++)
        freeReplyObject (s_cmd ("SET e:{big}:x:%d v", i));
    for (int i = 0; i < 700; i++) {
        freeReplyObject (s_cmd ("HSET e:task:big_%d name x", i));
        freeReplyObject (s_cmd ("ZADD e:{big}:tasks %d big_%d", i, i));
    }
    freeReplyObject (s_cmd ("SET e:{bigger}:x 1"));
    assert_int_equal (gw_ident_org_delete (s_redis, "big"), EDGE_ERR_OK);
    assert_int_equal (s_dbsize (), 1);
    assert_true (s_exists ("e:{bigger}:x"));
}


static void
test_session_and_auth_tokens_resolve_to_the_principal (void **state)
{
    (void) state;
    s_create_org ("acme");
    char session[GW_IDENT_TOKEN_MAX], auth[GW_IDENT_TOKEN_MAX];
    gw_principal_t p;
    assert_int_equal (
        gw_ident_session_new (s_redis, "acme", "boss", 600, session, &p),
        EDGE_ERR_OK);
    assert_int_equal (strlen (session), 43);
    assert_string_equal (p.org, "acme");
    assert_string_equal (p.username, "boss");
    assert_true (p.is_administrator);
    assert_int_equal (p.perms[edge_perm_index ("tasks")], 31);
    //  stored only as its sha, in the user's and the org's token sets
    char sha[GW_IDENT_SHA_HEX];
    gw_ident_sha (session, sha);
    assert_string_equal (p.token_sha, sha);
    char *key = edge_sprintf ("e:tok:%s", sha);
    assert_true (s_exists (key));
    free (key);
    redisReply *r = s_cmd ("SISMEMBER e:{acme}:user:boss:tokens %s", sha);
    assert_int_equal (r->integer, 1);
    freeReplyObject (r);
    r = s_cmd ("SISMEMBER e:{acme}:tokens %s", sha);
    assert_int_equal (r->integer, 1);
    freeReplyObject (r);
    int64_t expires_in = 0;
    assert_int_equal (
        gw_ident_auth_new (s_redis, session, 300, auth, &expires_in),
        EDGE_ERR_OK);
    assert_int_equal (expires_in, 300);
    assert_string_not_equal (session, auth);
    gw_principal_t q;
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, auth, GW_IDENT_AUTH, &q),
        EDGE_ERR_OK);
    assert_string_equal (q.username, "boss");
    assert_false (q.is_machine || q.is_api_key);
    assert_memory_equal (q.perms, p.perms, sizeof p.perms);
    //  the lifetime it has left (bounds a cached copy)
    assert_true (q.ttl_ms > 290000 && q.ttl_ms <= 300000);
    //  each kind only where it belongs
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, session, GW_IDENT_AUTH, &q),
        EDGE_ERR_WRONG_KIND);
    assert_int_equal (gw_ident_auth_new (s_redis, auth, 300, auth, &expires_in),
                      EDGE_ERR_WRONG_KIND);
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, "nope", GW_IDENT_AUTH, &q),
        EDGE_ERR_NOT_FOUND);
    assert_int_equal (
        gw_ident_session_new (s_redis, "acme", "ghost", 600, session, &p),
        EDGE_ERR_NOT_FOUND);
}


static bool
s_token_is_gone (void *arg)
{
    gw_principal_t p;
    return gw_ident_principal_by_token (s_redis, arg, GW_IDENT_SESSION, &p)
           == EDGE_ERR_NOT_FOUND;
}


static void
test_tokens_expire_and_auth_tokens_never_outlive_their_session (void **state)
{
    (void) state;
    s_create_org ("acme");
    char session[GW_IDENT_TOKEN_MAX], auth[GW_IDENT_TOKEN_MAX];
    gw_principal_t p;
    assert_int_equal (
        gw_ident_session_new (s_redis, "acme", "boss", 1, session, &p),
        EDGE_ERR_OK);
    int64_t expires_in = 0;
    assert_int_equal (
        gw_ident_auth_new (s_redis, session, 300, auth, &expires_in),
        EDGE_ERR_OK);
    assert_true (expires_in >= 0 && expires_in <= 1);
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, session, GW_IDENT_SESSION, &p),
        EDGE_ERR_OK);
    assert_true (edge_testutil_poll (s_token_is_gone, session, 5000));
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, auth, GW_IDENT_AUTH, &p),
        EDGE_ERR_NOT_FOUND);
    assert_int_equal (
        gw_ident_auth_new (s_redis, session, 300, auth, &expires_in),
        EDGE_ERR_NOT_FOUND);
}


static void
test_logout_revokes_the_session_and_its_auth_tokens_only (void **state)
{
    (void) state;
    s_create_org ("acme");
    char a[GW_IDENT_TOKEN_MAX], a1[GW_IDENT_TOKEN_MAX], a2[GW_IDENT_TOKEN_MAX];
    char b[GW_IDENT_TOKEN_MAX], b1[GW_IDENT_TOKEN_MAX];
    gw_principal_t p;
    int64_t ttl;
    assert_int_equal (gw_ident_session_new (s_redis, "acme", "boss", 60, a, &p),
                      EDGE_ERR_OK);
    assert_int_equal (gw_ident_session_new (s_redis, "acme", "boss", 60, b, &p),
                      EDGE_ERR_OK);
    assert_int_equal (gw_ident_auth_new (s_redis, a, 60, a1, &ttl),
                      EDGE_ERR_OK);
    assert_int_equal (gw_ident_auth_new (s_redis, a, 60, a2, &ttl),
                      EDGE_ERR_OK);
    assert_int_equal (gw_ident_auth_new (s_redis, b, 60, b1, &ttl),
                      EDGE_ERR_OK);
    //  logging out with an auth token ends its whole session
    assert_int_equal (gw_ident_logout (s_redis, a2), EDGE_ERR_OK);
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, a, GW_IDENT_SESSION, &p),
        EDGE_ERR_NOT_FOUND);
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, a1, GW_IDENT_AUTH, &p),
        EDGE_ERR_NOT_FOUND);
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, b1, GW_IDENT_AUTH, &p),
        EDGE_ERR_OK);
    assert_int_equal (gw_ident_logout (s_redis, a), EDGE_ERR_NOT_FOUND);
    redisReply *r = s_cmd ("SCARD e:{acme}:user:boss:tokens");
    assert_int_equal (r->integer, 2);
    freeReplyObject (r);
    assert_int_equal (gw_ident_logout (s_redis, b), EDGE_ERR_OK);
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, b1, GW_IDENT_AUTH, &p),
        EDGE_ERR_NOT_FOUND);
}


static void
test_revoking_a_user_ends_all_its_tokens (void **state)
{
    (void) state;
    s_create_org ("acme");
    s_create_user ("acme", "other", "[\"Administrators\"]", false);
    char s1[GW_IDENT_TOKEN_MAX], a1[GW_IDENT_TOKEN_MAX];
    char s2[GW_IDENT_TOKEN_MAX];
    gw_principal_t p;
    int64_t ttl;
    assert_int_equal (
        gw_ident_session_new (s_redis, "acme", "boss", 60, s1, &p),
        EDGE_ERR_OK);
    assert_int_equal (gw_ident_auth_new (s_redis, s1, 60, a1, &ttl),
                      EDGE_ERR_OK);
    assert_int_equal (
        gw_ident_session_new (s_redis, "acme", "other", 60, s2, &p),
        EDGE_ERR_OK);
    assert_int_equal (gw_ident_revoke_user_tokens (s_redis, "acme", "boss"),
                      EDGE_ERR_OK);
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, s1, GW_IDENT_SESSION, &p),
        EDGE_ERR_NOT_FOUND);
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, a1, GW_IDENT_AUTH, &p),
        EDGE_ERR_NOT_FOUND);
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, s2, GW_IDENT_SESSION, &p),
        EDGE_ERR_OK);
    assert_false (s_exists ("e:{acme}:user:boss:tokens"));
    assert_int_equal (gw_ident_revoke_user_tokens (s_redis, "acme", "nobody"),
                      EDGE_ERR_OK);
}


static void
test_a_deleted_or_recreated_user_loses_its_tokens (void **state)
{
    (void) state;
    s_create_org ("acme");
    s_create_user ("acme", "ann", "[\"Administrators\"]", false);
    char session[GW_IDENT_TOKEN_MAX];
    gw_principal_t p;
    assert_int_equal (
        gw_ident_session_new (s_redis, "acme", "ann", 60, session, &p),
        EDGE_ERR_OK);
    freeReplyObject (s_cmd ("HSET e:{acme}:user:ann created "
                            "2026-02-02T00:00:00.000Z"));
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, session, GW_IDENT_SESSION, &p),
        EDGE_ERR_USER_GONE);
    freeReplyObject (s_cmd ("DEL e:{acme}:user:ann"));
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, session, GW_IDENT_SESSION, &p),
        EDGE_ERR_USER_GONE);
}


static void
test_rights_are_the_or_of_the_roles_that_exist (void **state)
{
    (void) state;
    s_create_org ("acme");
    freeReplyObject (s_cmd ("HSET e:{acme}:role:r1 name r1 permissions "
                            "{\"apps\":1,\"tasks\":0}"));
    freeReplyObject (s_cmd ("HSET e:{acme}:role:r2 name r2 permissions "
                            "{\"apps\":6,\"tasks\":16,\"keys\":8}"));
    s_create_user ("acme", "ann", "[\"r1\",\"r2\",\"gone\"]", false);
    char session[GW_IDENT_TOKEN_MAX];
    gw_principal_t p;
    assert_int_equal (
        gw_ident_session_new (s_redis, "acme", "ann", 60, session, &p),
        EDGE_ERR_OK);
    assert_false (p.is_administrator);
    int expected[EDGE_PERM_COUNT] = {0};
    expected[edge_perm_index ("apps")] = 7;
    expected[edge_perm_index ("tasks")] = 16;
    expected[edge_perm_index ("keys")] = 8;
    assert_memory_equal (p.perms, expected, sizeof expected);
    //  a role change shows on the next lookup
    freeReplyObject (s_cmd ("DEL e:{acme}:role:r2"));
    assert_int_equal (
        gw_ident_principal_by_token (s_redis, session, GW_IDENT_SESSION, &p),
        EDGE_ERR_OK);
    assert_int_equal (p.perms[edge_perm_index ("apps")], 1);
    assert_int_equal (p.perms[edge_perm_index ("tasks")], 0);
    json_t *json = gw_ident_perms_json (expected);
    assert_int_equal (json_object_size (json), EDGE_PERM_COUNT);
    assert_int_equal (json_integer_value (json_object_get (json, "apps")), 7);
    json_decref (json);
}


static void
test_api_keys_verify_only_for_their_org_user_and_secret (void **state)
{
    (void) state;
    s_create_org ("acme");
    s_create_org ("other");
    s_create_user ("acme", "ci", "[\"Administrators\"]", true);
    s_create_user ("acme", "ci2", "[]", true);
    s_create_user ("other", "ci", "[\"Administrators\"]", true);
    char key_id[GW_IDENT_KEY_ID_LEN + 1], api_key[GW_IDENT_API_KEY_MAX];
    assert_int_equal (
        gw_ident_api_key_new (s_redis, "acme", "ci", key_id, api_key),
        EDGE_ERR_OK);
    assert_int_equal (strlen (key_id), GW_IDENT_KEY_ID_LEN);
    assert_int_equal (strncmp (api_key, key_id, GW_IDENT_KEY_ID_LEN), 0);
    assert_int_equal (api_key[GW_IDENT_KEY_ID_LEN], '.');
    char *key = edge_sprintf ("e:{acme}:key:%s", key_id);
    redisReply *r = edge_redis_command (s_redis, "HGETALL %s", key);
    for (size_t i = 0; i < r->elements; i++) //  the secret is not stored
        assert_null (
            strstr (r->element[i]->str, api_key + GW_IDENT_KEY_ID_LEN + 1));
    freeReplyObject (r);
    gw_principal_t p;
    assert_int_equal (
        gw_ident_principal_by_key (s_redis, "acme", "ci", api_key, &p),
        EDGE_ERR_OK);
    assert_true (p.is_api_key && p.is_machine && p.is_administrator);
    assert_string_equal (p.org, "acme");
    assert_string_equal (p.username, "ci");
    assert_int_equal (p.ttl_ms, -1); //  keys do not expire
    char wrong[GW_IDENT_API_KEY_MAX];
    snprintf (wrong, sizeof wrong, "%s", api_key);
    wrong[strlen (wrong) - 1] ^= 1;
    assert_int_equal (
        gw_ident_principal_by_key (s_redis, "acme", "ci", wrong, &p),
        EDGE_ERR_MISMATCH);
    assert_int_equal (
        gw_ident_principal_by_key (s_redis, "acme", "ci2", api_key, &p),
        EDGE_ERR_WRONG_USER);
    assert_int_equal (
        gw_ident_principal_by_key (s_redis, "other", "ci", api_key, &p),
        EDGE_ERR_NOT_FOUND);
    const char *malformed[] = {
        "",      "nodot", ".secret", "0123456789abcdef.", "0123456789ABCDEF.x",
        "0123.x"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        assert_int_equal (
            gw_ident_principal_by_key (s_redis, "acme", "ci", malformed[i], &p),
            EDGE_ERR_NOT_FOUND);
    //  deleting the key ends it on the very next lookup
    assert_int_equal (gw_ident_api_key_delete (s_redis, "acme", "ci2", key_id),
                      EDGE_ERR_NOT_FOUND);
    assert_int_equal (gw_ident_api_key_delete (s_redis, "acme", "ci", key_id),
                      EDGE_ERR_OK);
    assert_false (s_exists (key));
    assert_int_equal (
        gw_ident_principal_by_key (s_redis, "acme", "ci", api_key, &p),
        EDGE_ERR_NOT_FOUND);
    free (key);
}


static void
test_api_keys_are_for_existing_machine_users_only (void **state)
{
    (void) state;
    s_create_org ("acme");
    s_create_user ("acme", "ci", "[]", true);
    char key_id[GW_IDENT_KEY_ID_LEN + 1], api_key[GW_IDENT_API_KEY_MAX];
    assert_int_equal (
        gw_ident_api_key_new (s_redis, "acme", "boss", key_id, api_key),
        EDGE_ERR_NOT_A_MACHINE_USER);
    assert_int_equal (
        gw_ident_api_key_new (s_redis, "acme", "ghost", key_id, api_key),
        EDGE_ERR_NOT_FOUND);
    assert_int_equal (
        gw_ident_api_key_new (s_redis, "acme", "ci", key_id, api_key),
        EDGE_ERR_OK);
    redisReply *r = s_cmd ("SISMEMBER e:{acme}:user:ci:keys %s", key_id);
    assert_int_equal (r->integer, 1);
    freeReplyObject (r);
    r = s_cmd ("ZSCORE e:{acme}:keys %s", key_id);
    assert_int_equal (r->type, REDIS_REPLY_STRING);
    freeReplyObject (r);
    //  the user deleted: its key stops working
    freeReplyObject (s_cmd ("DEL e:{acme}:user:ci"));
    gw_principal_t p;
    assert_int_equal (
        gw_ident_principal_by_key (s_redis, "acme", "ci", api_key, &p),
        EDGE_ERR_USER_GONE);
}


//  One counted attempt (gw_ident_login_begin) with limits 3 per user and
//  5 per address; returns the rc.
static edge_err_t
s_begin (const char *user, const char *addr, int64_t window_s, int64_t *retry)
{
    return gw_ident_login_begin (s_redis, "acme", user, addr, 3, 5, window_s,
                                 retry);
}


static long long
s_counter (const char *key)
{
    redisReply *r = s_cmd ("GET %s", key);
    long long n = r->type == REDIS_REPLY_STRING ? atoll (r->str) : 0;
    freeReplyObject (r);
    return n;
}


static void
test_login_attempts_count_before_the_check_per_user_and_address (void **state)
{
    (void) state;
    int64_t retry = -1;
    //  each attempt is counted as it passes: no race can overrun a limit
    for (int i = 0; i < 3; i++) {
        assert_int_equal (s_begin ("boss", "10.0.0.1", 900, &retry),
                          EDGE_ERR_OK);
        assert_int_equal (retry, 0);
    }
    assert_int_equal (s_counter ("e:rl:user:{acme}:boss"), 3);
    assert_int_equal (s_begin ("boss", "10.0.0.2", 900, &retry),
                      EDGE_ERR_RATE_LIMITED);
    assert_true (retry >= 899 && retry <= 900);
    assert_int_equal (s_counter ("e:rl:user:{acme}:boss"), 3);
    assert_int_equal (s_counter ("e:rl:ip:10.0.0.2"), 0);
    redisReply *r = s_cmd ("TTL e:rl:user:{acme}:boss");
    assert_true (r->integer > 0 && r->integer <= 900);
    freeReplyObject (r);
    //  other users from the same address: the address has 3 of 5
    assert_int_equal (s_begin ("ann", "10.0.0.1", 60, &retry), EDGE_ERR_OK);
    assert_int_equal (s_begin ("ann", "10.0.0.1", 60, &retry), EDGE_ERR_OK);
    assert_int_equal (s_begin ("carl", "10.0.0.1", 60, &retry),
                      EDGE_ERR_RATE_LIMITED);
    assert_true (retry >= 899); //  the longest full window
    assert_int_equal (s_begin ("carl", NULL, 60, &retry), EDGE_ERR_OK);
}


static void
test_a_successful_login_clears_the_user_and_returns_the_address_count (
    void **state)
{
    (void) state;
    int64_t retry;
    assert_int_equal (s_begin ("boss", "10.0.0.1", 900, &retry), EDGE_ERR_OK);
    assert_int_equal (s_begin ("boss", "10.0.0.1", 900, &retry), EDGE_ERR_OK);
    assert_int_equal (s_begin ("ann", "10.0.0.1", 900, &retry), EDGE_ERR_OK);
    assert_int_equal (
        gw_ident_login_succeeded (s_redis, "acme", "boss", "10.0.0.1"),
        EDGE_ERR_OK);
    assert_false (s_exists ("e:rl:user:{acme}:boss"));
    assert_int_equal (s_counter ("e:rl:ip:10.0.0.1"), 2);
    assert_int_equal (s_counter ("e:rl:user:{acme}:ann"), 1);
    //  never below zero
    assert_int_equal (
        gw_ident_login_succeeded (s_redis, "acme", "x", "10.9.9.9"),
        EDGE_ERR_OK);
    assert_int_equal (s_counter ("e:rl:ip:10.9.9.9"), 0);
    assert_int_equal (gw_ident_login_succeeded (s_redis, "acme", "x", NULL),
                      EDGE_ERR_OK);
}


static void
test_an_unreachable_redis_is_reported_not_taken_for_absence (void **state)
{
    (void) state;
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0",
              edge_testutil_free_port ());
    edge_redis_t *down = edge_redis_new (url, 200);
    gw_principal_t p;
    char token[GW_IDENT_TOKEN_MAX];
    int64_t n;
    assert_int_equal (
        gw_ident_principal_by_token (down, "x", GW_IDENT_AUTH, &p),
        EDGE_ERR_REDIS);
    assert_int_equal (gw_ident_principal_by_key (down, "acme", "ci",
                                                 "0123456789abcdef.x", &p),
                      EDGE_ERR_REDIS);
    assert_int_equal (gw_ident_auth_new (down, "x", 5, token, &n),
                      EDGE_ERR_REDIS);
    assert_int_equal (gw_ident_org_delete (down, "acme"), EDGE_ERR_REDIS);
    assert_int_equal (gw_ident_login_begin (down, "a", "b", NULL, 1, 1, 9, &n),
                      EDGE_ERR_REDIS);
    edge_redis_destroy (&down);
    assert_null (down);
}


int
main (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 2000);
    if (rc)
        return rc;
    if (gw_ident_init ()
        || gw_ident_hash_password ("correct horse battery", s_pwhash)) {
        fprintf (stderr, "cannot start libsodium\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_password_hash_verifies_only_the_password),
        cmocka_unit_test (
            test_random_passwords_are_24_alphanumerics_and_differ),
        cmocka_unit_test_setup (
            test_org_creation_writes_info_administrators_and_admin_user,
            s_flush),
        cmocka_unit_test_setup (
            test_creating_an_existing_org_conflicts_and_changes_nothing,
            s_flush),
        cmocka_unit_test_setup (test_org_deletion_removes_only_that_orgs_keys,
                                s_flush),
        cmocka_unit_test_setup (test_org_deletion_unlinks_keys_in_batches,
                                s_flush),
        cmocka_unit_test_setup (
            test_session_and_auth_tokens_resolve_to_the_principal, s_flush),
        cmocka_unit_test_setup (
            test_tokens_expire_and_auth_tokens_never_outlive_their_session,
            s_flush),
        cmocka_unit_test_setup (
            test_logout_revokes_the_session_and_its_auth_tokens_only, s_flush),
        cmocka_unit_test_setup (test_revoking_a_user_ends_all_its_tokens,
                                s_flush),
        cmocka_unit_test_setup (
            test_a_deleted_or_recreated_user_loses_its_tokens, s_flush),
        cmocka_unit_test_setup (test_rights_are_the_or_of_the_roles_that_exist,
                                s_flush),
        cmocka_unit_test_setup (
            test_api_keys_verify_only_for_their_org_user_and_secret, s_flush),
        cmocka_unit_test_setup (
            test_api_keys_are_for_existing_machine_users_only, s_flush),
        cmocka_unit_test_setup (
            test_login_attempts_count_before_the_check_per_user_and_address,
            s_flush),
        cmocka_unit_test_setup (
            test_a_successful_login_clears_the_user_and_returns_the_address_count,
            s_flush),
        cmocka_unit_test (
            test_an_unreachable_redis_is_reported_not_taken_for_absence),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    edge_testutil_redis_close (&s_server, &s_redis);
    return rc;
}
