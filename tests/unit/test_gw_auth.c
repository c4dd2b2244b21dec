/*  test_gw_auth - admin tokens: accepted with a username, refused with a
    401 and a clear reason otherwise.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_jwt.h"
#include "gw_auth.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const unsigned char s_key[] = "0123456789abcdef0123456789abcdef";
#define S_KEYLEN 32


static char *
s_token (json_t *claims, const unsigned char *key)
{
    char *token = edge_jwt_sign (claims, key, S_KEYLEN);
    json_decref (claims);
    return token;
}


//  Expect a refusal whose message starts with prefix and never holds the
//  token.
static void
s_expect_refused (const char *token, const char *prefix)
{
    char username[GW_AUTH_USERNAME_MAX + 1] = "untouched";
    edge_json_err_t err;
    memset (&err, 0, sizeof err);
    assert_int_equal (
        gw_auth_admin (token, s_key, S_KEYLEN, username, sizeof username, &err),
        -1);
    assert_int_equal (err.status, 401);
    assert_string_equal (err.code, "unauthorized");
    assert_string_equal (err.field, "");
    if (strncmp (err.message, prefix, strlen (prefix)) != 0)
        fail_msg ("message '%s' does not start with '%s'", err.message, prefix);
    if (token && strlen (token) > 8)
        assert_null (strstr (err.message, token));
}


static void
test_valid_token_gives_the_username (void **state)
{
    (void) state;
    char *token = s_token (json_pack ("{s:s}", "username", "John Doe"), s_key);
    char username[GW_AUTH_USERNAME_MAX + 1];
    edge_json_err_t err;
    assert_int_equal (
        gw_auth_admin (token, s_key, S_KEYLEN, username, sizeof username, &err),
        0);
    assert_string_equal (username, "John Doe");
    free (token);
}


static void
test_missing_or_empty_header_is_refused (void **state)
{
    (void) state;
    s_expect_refused (NULL, "missing x-rockit-admin-token header");
    s_expect_refused ("", "missing x-rockit-admin-token header");
}


static void
test_token_signed_with_another_key_is_refused (void **state)
{
    (void) state;
    static const unsigned char other[] = "fedcba9876543210fedcba9876543210";
    char *token = s_token (json_pack ("{s:s}", "username", "mallory"), other);
    s_expect_refused (token, "invalid admin token: bad signature");
    free (token);
}


static void
test_tampered_or_garbage_tokens_are_refused (void **state)
{
    (void) state;
    char *token = s_token (json_pack ("{s:s}", "username", "alice"), s_key);
    //  Swap the payload for another user's, keep alice's signature
    char *other = s_token (json_pack ("{s:s}", "username", "root"), s_key);
    char *dot1 = strchr (token, '.'), *dot2 = strchr (dot1 + 1, '.');
    char *odot1 = strchr (other, '.'), *odot2 = strchr (odot1 + 1, '.');
    size_t plen = (size_t) (odot2 - odot1);
    char forged[1024];
    snprintf (forged, sizeof forged, "%.*s%.*s%s", (int) (dot1 - token), token,
              (int) plen, odot1, dot2);
    s_expect_refused (forged, "invalid admin token: bad signature");
    s_expect_refused ("abc", "invalid admin token: ");
    s_expect_refused ("a.b.c", "invalid admin token: ");
    s_expect_refused ("Bearer x", "invalid admin token: ");
    //  Truncations of a valid token are all refused
    size_t len = strlen (token);
    for (size_t cut = 1; cut < len; cut++) {
        char *prefix = strndup (token, cut);
        s_expect_refused (prefix, "invalid admin token: ");
        free (prefix);
    }
    free (other);
    free (token);
}


static void
test_username_claim_must_be_a_short_nonempty_string (void **state)
{
    (void) state;
    char long_name[GW_AUTH_USERNAME_MAX + 2];
    memset (long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    json_t *cases[] = {
        json_pack ("{}"),
        json_pack ("{s:s}", "username", ""),
        json_pack ("{s:i}", "username", 42),
        json_pack ("{s:n}", "username"),
        json_pack ("{s:s}", "user", "alice"),
        json_pack ("{s:s}", "username", long_name),
        json_pack ("{s:s#}", "username", "ali\0ce", (size_t) 6),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_non_null (cases[i]);
        char *token = s_token (cases[i], s_key);
        s_expect_refused (token, "invalid admin token: ");
        free (token);
    }
    //  Exactly the maximum is fine
    long_name[GW_AUTH_USERNAME_MAX] = 0;
    char *token = s_token (json_pack ("{s:s}", "username", long_name), s_key);
    char username[GW_AUTH_USERNAME_MAX + 1];
    edge_json_err_t err;
    assert_int_equal (
        gw_auth_admin (token, s_key, S_KEYLEN, username, sizeof username, &err),
        0);
    assert_int_equal (strlen (username), GW_AUTH_USERNAME_MAX);
    free (token);
}


static void
test_expired_token_is_refused (void **state)
{
    (void) state;
    json_t *claims = json_pack ("{s:s,s:I}", "username", "alice", "exp",
                                (json_int_t) time (NULL) - 60);
    char *token = s_token (claims, s_key);
    s_expect_refused (token, "invalid admin token: token expired");
    free (token);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_valid_token_gives_the_username),
        cmocka_unit_test (test_missing_or_empty_header_is_refused),
        cmocka_unit_test (test_token_signed_with_another_key_is_refused),
        cmocka_unit_test (test_tampered_or_garbage_tokens_are_refused),
        cmocka_unit_test (test_username_claim_must_be_a_short_nonempty_string),
        cmocka_unit_test (test_expired_token_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
