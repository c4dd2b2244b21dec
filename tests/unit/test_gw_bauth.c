/*  test_gw_bauth - backend authentication from header combinations (401,
    400, 503 or a principal) and the route permission check (403 shape,
    self-service routes), against a real redis-server.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_perm.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "gw_bauth.h"
#include "gw_ident.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;
static char s_session[GW_IDENT_TOKEN_MAX]; //  boss@acme (Administrators)
static char s_auth[GW_IDENT_TOKEN_MAX];
static char s_key[GW_IDENT_API_KEY_MAX]; //  ci@acme (machine, role "reader")

//  Headers of a test request: NULL-terminated name, value pairs.
typedef struct {
    const char *pairs[16];
} s_headers_t;


static const char *
s_header (void *source, const char *name)
{
    const s_headers_t *headers = source;
    for (size_t i = 0; headers->pairs[i]; i += 2)
        if (strcasecmp (headers->pairs[i], name) == 0)
            return headers->pairs[i + 1];
    return NULL;
}


static gw_req_t *
s_req (s_headers_t *headers)
{
    gw_req_source_t source = {.method = "GET",
                              .path = "/be/v1/users",
                              .content_length = -1,
                              .header = s_header,
                              .source = headers};
    return gw_req_new (&source);
}


//  Authenticate a request with headers; returns the status (0 = passed)
//  and fills principal and err.
static int
s_auth_cached (s_headers_t headers,
               gw_pcache_t *cache,
               gw_principal_t *principal,
               edge_json_err_t *err)
{
    gw_req_t *req = s_req (&headers);
    memset (err, 0, sizeof *err);
    int rc = gw_bauth_authenticate (req, s_redis, cache, principal, err);
    gw_req_destroy (&req);
    return rc == 0 ? 0 : err->status;
}


static int
s_auth_status (s_headers_t headers,
               gw_principal_t *principal,
               edge_json_err_t *err)
{
    return s_auth_cached (headers, NULL, principal, err);
}


static void
s_cmd (const char *command, const char *a, const char *b, const char *c)
{
    const char *argv[6] = {command, a, b, c};
    redisReply *reply = edge_redis_argv (s_redis, 4, argv, NULL);
    assert_non_null (reply);
    assert_int_not_equal (reply->type, REDIS_REPLY_ERROR);
    freeReplyObject (reply);
}


static int
s_setup (void **state)
{
    (void) state;
    char pwhash[GW_IDENT_PWHASH_MAX];
    if (gw_ident_hash_password ("irrelevant-password", pwhash))
        return -1;
    gw_ident_org_t org = {"acme", "owner@example.com", "boss", NULL};
    gw_ident_org_t other = {"other", "owner@example.com", "boss", NULL};
    gw_principal_t p;
    int64_t ttl;
    if (gw_ident_org_create (s_redis, &org, pwhash, 1)
        || gw_ident_org_create (s_redis, &other, pwhash, 1)
        || gw_ident_session_new (s_redis, "acme", "boss", 600, s_session, &p)
        || gw_ident_auth_new (s_redis, s_session, 600, s_auth, &ttl))
        return -1;
    s_cmd ("HSET", "e:{acme}:role:reader", "permissions",
           "{\"beUsers\":2,\"keys\":1}");
    const char *argv[] = {"HSET",  "e:{acme}:user:ci", "username",
                          "ci",    "machine",          "1",
                          "roles", "[\"reader\"]"};
    redisReply *reply = edge_redis_argv (s_redis, 8, argv, NULL);
    freeReplyObject (reply);
    char key_id[GW_IDENT_KEY_ID_LEN + 1];
    return gw_ident_api_key_new (s_redis, "acme", "ci", key_id, s_key) ? -1 : 0;
}


static void
test_an_auth_token_authenticates_in_either_header (void **state)
{
    (void) state;
    gw_principal_t p;
    edge_json_err_t err;
    assert_int_equal (
        s_auth_status ((s_headers_t){{"x-rockit-beauth-token", s_auth}}, &p,
                       &err),
        0);
    assert_string_equal (p.org, "acme");
    assert_string_equal (p.username, "boss");
    assert_true (p.is_administrator);
    assert_false (p.is_api_key);
    char bearer[128];
    snprintf (bearer, sizeof bearer, "bearer  %s", s_auth);
    assert_int_equal (
        s_auth_status ((s_headers_t){{"Authorization", bearer}}, &p, &err), 0);
    assert_string_equal (p.username, "boss");
    //  the same token in both is fine, different ones are not
    snprintf (bearer, sizeof bearer, "Bearer %s", s_auth);
    assert_int_equal (
        s_auth_status ((s_headers_t){{"Authorization", bearer,
                                      "x-rockit-beauth-token", s_auth}},
                       &p, &err),
        0);
    assert_int_equal (
        s_auth_status ((s_headers_t){{"Authorization", "Bearer abc",
                                      "x-rockit-beauth-token", s_auth}},
                       &p, &err),
        400);
    assert_string_equal (err.code, "ambiguous_credentials");
}


static void
test_an_api_key_triple_authenticates_the_machine_user (void **state)
{
    (void) state;
    gw_principal_t p;
    edge_json_err_t err;
    assert_int_equal (s_auth_status ((s_headers_t){{"x-rockit-orgname", "acme",
                                                    "x-rockit-username", "ci",
                                                    "x-rockit-api-key", s_key}},
                                     &p, &err),
                      0);
    assert_true (p.is_api_key && p.is_machine);
    assert_false (p.is_administrator);
    assert_int_equal (p.perms[edge_perm_index ("beUsers")], 2);
    assert_int_equal (p.perms[edge_perm_index ("keys")], 1);
}


//  Expect 401 unauthorized whose message holds what and never the secret.
static void
s_expect_401 (s_headers_t headers, const char *what, const char *secret)
{
    gw_principal_t p;
    edge_json_err_t err;
    assert_int_equal (s_auth_status (headers, &p, &err), 401);
    assert_string_equal (err.code, "unauthorized");
    if (!strstr (err.message, what))
        fail_msg ("'%s' does not say '%s'", err.message, what);
    if (secret && *secret)
        assert_null (strstr (err.message, secret));
}


static void
test_missing_partial_or_bad_credentials_are_401_saying_which (void **state)
{
    (void) state;
    s_expect_401 ((s_headers_t){{NULL}}, "missing credentials", NULL);
    s_expect_401 ((s_headers_t){{"x-rockit-orgname", "acme"}},
                  "missing x-rockit-username, x-rockit-api-key", NULL);
    s_expect_401 (
        (s_headers_t){{"x-rockit-api-key", s_key, "x-rockit-username", "ci"}},
        "missing x-rockit-orgname", s_key);
    s_expect_401 ((s_headers_t){{"x-rockit-beauth-token", "nope"}},
                  "unknown, expired or revoked auth token", "nope");
    s_expect_401 ((s_headers_t){{"x-rockit-beauth-token", ""}},
                  "unknown, expired or revoked auth token", NULL);
    s_expect_401 ((s_headers_t){{"x-rockit-beauth-token", s_session}},
                  "session token", s_session);
    s_expect_401 ((s_headers_t){{"x-rockit-besession-token", s_session}},
                  "session token", s_session);
    s_expect_401 ((s_headers_t){{"Authorization", "Basic dXNlcjpwYXNz"}},
                  "Bearer", "dXNlcjpwYXNz");
    char wrong[GW_IDENT_API_KEY_MAX];
    snprintf (wrong, sizeof wrong, "%s", s_key);
    wrong[strlen (wrong) - 1] ^= 1;
    s_expect_401 (
        (s_headers_t){{"x-rockit-orgname", "acme", "x-rockit-username", "ci",
                       "x-rockit-api-key", wrong}},
        "wrong API key", wrong);
    s_expect_401 (
        (s_headers_t){{"x-rockit-orgname", "acme", "x-rockit-username", "boss",
                       "x-rockit-api-key", s_key}},
        "another user", s_key);
    s_expect_401 (
        (s_headers_t){{"x-rockit-orgname", "other", "x-rockit-username", "ci",
                       "x-rockit-api-key", s_key}},
        "unknown API key", s_key);
    s_expect_401 (
        (s_headers_t){{"x-rockit-orgname", "ac}me", "x-rockit-username", "ci",
                       "x-rockit-api-key", s_key}},
        "invalid x-rockit-orgname", s_key);
    s_expect_401 (
        (s_headers_t){{"x-rockit-orgname", "acme", "x-rockit-username", "c",
                       "x-rockit-api-key", s_key}},
        "invalid x-rockit-username", s_key);
}


static void
test_a_token_with_any_api_key_header_is_ambiguous (void **state)
{
    (void) state;
    const char *names[] = {"x-rockit-orgname", "x-rockit-username",
                           "x-rockit-api-key"};
    for (size_t i = 0; i < 3; i++) {
        gw_principal_t p;
        edge_json_err_t err;
        assert_int_equal (s_auth_status ((s_headers_t){{"x-rockit-beauth-token",
                                                        s_auth, names[i], "x"}},
                                         &p, &err),
                          400);
        assert_string_equal (err.code, "ambiguous_credentials");
    }
}


static void
test_an_unreachable_redis_is_503 (void **state)
{
    (void) state;
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0",
              edge_testutil_free_port ());
    edge_redis_t *up = s_redis;
    s_redis = edge_redis_new (url, 200);
    gw_principal_t p;
    edge_json_err_t err;
    assert_int_equal (
        s_auth_status ((s_headers_t){{"x-rockit-beauth-token", s_auth}}, &p,
                       &err),
        503);
    edge_redis_destroy (&s_redis);
    s_redis = up;
}


static void
test_route_bits_pass_or_answer_403_with_resource_and_bit (void **state)
{
    (void) state;
    gw_principal_t p = {0};
    p.perms[edge_perm_index ("beUsers")] = EDGE_PERM_R | EDGE_PERM_C;
    gw_route_t read = {"GET",     "/be/v1/users", NULL, GW_AUTH_BACKEND,
                       "beUsers", EDGE_PERM_R,    "r",  false};
    gw_route_t update = {"PATCH",   "/be/v1/users", NULL, GW_AUTH_BACKEND,
                         "beUsers", EDGE_PERM_U,    "u",  false};
    gw_route_t open = {"POST", "/be/v1/orgs", NULL, GW_AUTH_BACKEND, NULL,
                       0,      "o",           false};
    assert_true (gw_bauth_authorize (&read, &p));
    assert_false (p.lacks_route_bit);
    assert_false (gw_bauth_authorize (&update, &p));
    assert_true (gw_bauth_authorize (&open, &p));
    assert_true (gw_bauth_has (&p, "beUsers", EDGE_PERM_C));
    assert_false (gw_bauth_has (&p, "roles", EDGE_PERM_R));

    s_headers_t none = {{NULL}};
    gw_req_t *req = s_req (&none);
    gw_bauth_reply_forbidden (req, "beUsers", EDGE_PERM_U);
    assert_int_equal (gw_req_status (req), 403);
    size_t len;
    json_t *body = json_loads (gw_req_reply_body (req, &len), 0, NULL);
    json_t *error = json_object_get (body, "error");
    assert_int_equal (json_integer_value (json_object_get (error, "status")),
                      403);
    assert_string_equal (json_string_value (json_object_get (error, "code")),
                         "forbidden");
    assert_string_equal (json_string_value (json_object_get (error, "message")),
                         "permission U (4) on 'beUsers' is required");
    assert_string_equal (
        json_string_value (json_object_get (error, "resource")), "beUsers");
    assert_int_equal (json_integer_value (json_object_get (error, "bit")), 4);
    json_decref (body);
    gw_req_destroy (&req);
}


static void
test_a_self_service_route_passes_without_its_bit_flagged (void **state)
{
    (void) state;
    gw_route_t patch = {"PATCH",   "/be/v1/users", NULL, GW_AUTH_BACKEND,
                        "beUsers", EDGE_PERM_U,    "p",  true};
    gw_principal_t p = {0};
    assert_true (gw_bauth_authorize (&patch, &p));
    assert_true (p.lacks_route_bit);
    p.perms[edge_perm_index ("beUsers")] = 15;
    assert_true (gw_bauth_authorize (&patch, &p));
    assert_false (p.lacks_route_bit);
}


static void
test_api_key_headers_and_tokens_are_found_for_login_routes (void **state)
{
    (void) state;
    s_headers_t with_key = {{"X-Rockit-Api-Key", "x"}};
    s_headers_t bearer = {{"Authorization", "Bearer tok"}};
    gw_req_t *req = s_req (&with_key);
    bool is_ambiguous = true;
    assert_true (gw_bauth_has_api_key_header (req));
    assert_null (gw_bauth_auth_token (req, &is_ambiguous));
    assert_false (is_ambiguous);
    gw_req_destroy (&req);
    req = s_req (&bearer);
    assert_false (gw_bauth_has_api_key_header (req));
    assert_string_equal (gw_bauth_auth_token (req, &is_ambiguous), "tok");
    gw_req_destroy (&req);
}


//  A token or key Redis accepted is served from the cache (even once
//  Redis forgot it) until the cache is invalidated; a wrong secret is
//  never served from it; failures are not cached.
static void
test_a_cached_credential_skips_redis_until_invalidated (void **state)
{
    (void) state;
    gw_pcache_t *cache = gw_pcache_new (16, 1000);
    char session[GW_IDENT_TOKEN_MAX], auth[GW_IDENT_TOKEN_MAX];
    char key_id[GW_IDENT_KEY_ID_LEN + 1], key[GW_IDENT_API_KEY_MAX];
    gw_principal_t p;
    edge_json_err_t err;
    int64_t ttl;
    assert_int_equal (
        gw_ident_session_new (s_redis, "acme", "boss", 600, session, &p), 0);
    assert_int_equal (gw_ident_auth_new (s_redis, session, 600, auth, &ttl), 0);
    assert_int_equal (gw_ident_api_key_new (s_redis, "acme", "ci", key_id, key),
                      0);
    s_headers_t by_token = {{"x-rockit-beauth-token", auth}};
    s_headers_t by_key = {{"x-rockit-orgname", "acme", "x-rockit-username",
                           "ci", "x-rockit-api-key", key}};
    assert_int_equal (s_auth_cached (by_token, cache, &p, &err), 0);
    assert_int_equal (s_auth_cached (by_key, cache, &p, &err), 0);
    assert_int_equal (gw_pcache_size (cache), 2);
    //  revoked in Redis: the cache still answers, Redis does not
    assert_int_equal (gw_ident_logout (s_redis, session), 0);
    assert_int_equal (gw_ident_api_key_delete (s_redis, "acme", "ci", key_id),
                      0);
    assert_int_equal (s_auth_cached (by_token, cache, &p, &err), 0);
    assert_string_equal (p.username, "boss");
    assert_false (p.is_api_key);
    assert_int_equal (s_auth_cached (by_key, cache, &p, &err), 0);
    assert_string_equal (p.username, "ci");
    assert_true (p.is_api_key);
    assert_int_equal (s_auth_status (by_token, &p, &err), 401);
    assert_int_equal (s_auth_status (by_key, &p, &err), 401);
    //  another secret of the same key id is not the cached credential
    char wrong[GW_IDENT_API_KEY_MAX];
    snprintf (wrong, sizeof wrong, "%s", key);
    wrong[strlen (wrong) - 1] = wrong[strlen (wrong) - 1] == 'A' ? 'B' : 'A';
    s_headers_t by_wrong = {{"x-rockit-orgname", "acme", "x-rockit-username",
                             "ci", "x-rockit-api-key", wrong}};
    assert_int_equal (s_auth_cached (by_wrong, cache, &p, &err), 401);
    //  an invalidation (this gateway's own identity write) ends it at once
    gw_pcache_invalidate_all ();
    assert_int_equal (s_auth_cached (by_token, cache, &p, &err), 401);
    assert_int_equal (s_auth_cached (by_key, cache, &p, &err), 401);
    gw_pcache_destroy (&cache);
}


int
main (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 2000);
    if (rc)
        return rc;
    if (gw_ident_init ()) {
        fprintf (stderr, "cannot start libsodium\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_an_auth_token_authenticates_in_either_header),
        cmocka_unit_test (
            test_an_api_key_triple_authenticates_the_machine_user),
        cmocka_unit_test (
            test_missing_partial_or_bad_credentials_are_401_saying_which),
        cmocka_unit_test (test_a_token_with_any_api_key_header_is_ambiguous),
        cmocka_unit_test (test_an_unreachable_redis_is_503),
        cmocka_unit_test (
            test_route_bits_pass_or_answer_403_with_resource_and_bit),
        cmocka_unit_test (
            test_a_self_service_route_passes_without_its_bit_flagged),
        cmocka_unit_test (
            test_api_key_headers_and_tokens_are_found_for_login_routes),
        cmocka_unit_test (
            test_a_cached_credential_skips_redis_until_invalidated),
    };
    rc = cmocka_run_group_tests (tests, s_setup, NULL);
    edge_testutil_redis_close (&s_server, &s_redis);
    return rc;
}
