/*  test_edge_jwt - HS256 tokens: a vector computed here with OpenSSL (not
    with the module), round trips, and every way a token must be refused.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_crypto.h"
#include "edge_jwt.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  "secret-secret-secret-123456", as base64 (the EDGE_ADMIN_SECRET form)
static const char *s_secret_b64 = "c2VjcmV0LXNlY3JldC1zZWNyZXQtMTIzNDU2";
static const char *s_key = "secret-secret-secret-123456";
#define S_KEYLEN 27


//  base64url without padding, with OpenSSL's encoder (independent of ours).
static void
s_b64url (const unsigned char *data, size_t len, char *out, size_t size)
{
    assert_true ((len + 2) / 3 * 4 + 1 <= size);
    int n = EVP_EncodeBlock ((unsigned char *) out, data, (int) len);
    for (int i = 0; i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
        else if (out[i] == '=')
            out[i] = 0;
    }
    out[n] = 0;
}


//  Build a token from header and payload texts with OpenSSL's HMAC().
static char *
s_make_token (const char *header,
              const char *payload,
              const void *key,
              size_t keylen)
{
    static char token[2048];
    char h64[512], p64[1024], s64[64];
    s_b64url ((const unsigned char *) header, strlen (header), h64, sizeof h64);
    s_b64url ((const unsigned char *) payload, strlen (payload), p64,
              sizeof p64);
    char input[1600];
    snprintf (input, sizeof input, "%s.%s", h64, p64);
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC (EVP_sha256 (), key, (int) keylen, (const unsigned char *) input,
          strlen (input), mac, &maclen);
    assert_int_equal (maclen, 32);
    s_b64url (mac, maclen, s64, sizeof s64);
    snprintf (token, sizeof token, "%s.%s", input, s64);
    return token;
}


static const char *s_hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";


static void
s_assert_refused (const char *token, const char *reason)
{
    const char *why = NULL;
    json_t *claims = edge_jwt_verify (token, s_key, S_KEYLEN, &why);
    if (claims) {
        json_decref (claims);
        fail_msg ("token accepted: %s", token ? token : "(null)");
    }
    assert_non_null (why);
    if (reason)
        assert_string_equal (why, reason);
}


static void
test_secret_decodes_to_the_key (void **state)
{
    (void) state;
    unsigned char *key = NULL;
    size_t keylen = 0;
    assert_int_equal (edge_b64_decode (s_secret_b64, &key, &keylen), 0);
    assert_int_equal (keylen, S_KEYLEN);
    assert_memory_equal (key, s_key, S_KEYLEN);
    free (key);
}


static void
test_signing_matches_an_independent_hmac (void **state)
{
    (void) state;
    unsigned char *key = NULL;
    size_t keylen = 0;
    assert_int_equal (edge_b64_decode (s_secret_b64, &key, &keylen), 0);
    json_t *claims = json_pack ("{s:s}", "username", "admin");
    char *token = edge_jwt_sign (claims, key, keylen);
    const char *expected =
        s_make_token (s_hs256, "{\"username\":\"admin\"}", key, keylen);
    assert_string_equal (token, expected);
    //  The same token, computed once with Python's hmac module
    assert_string_equal (token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                                "eyJ1c2VybmFtZSI6ImFkbWluIn0."
                                "j6NBd4UtkRNddSf-4Zi0wbg3qn3kFMM2F9TsHC17j3I");
    free (token);
    json_decref (claims);
    free (key);
}


static void
test_signed_token_verifies_and_returns_the_claims (void **state)
{
    (void) state;
    json_t *claims = json_pack ("{s:s,s:I}", "username", "alice", "exp",
                                (json_int_t) time (NULL) + 60);
    char *token = edge_jwt_sign (claims, s_key, S_KEYLEN);
    const char *why = "unset";
    json_t *back = edge_jwt_verify (token, s_key, S_KEYLEN, &why);
    assert_non_null (back);
    assert_null (why);
    assert_true (json_equal (back, claims));
    //  The header is exactly the fixed one
    assert_memory_equal (token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37);
    json_decref (back);
    json_decref (claims);
    free (token);
}


static void
test_deeply_nested_parts_are_refused_without_parsing (void **state)
{
    (void) state;
    char deep[601];
    memset (deep, '[', 300);
    memset (deep + 300, ']', 300);
    deep[600] = 0;
    //  Correctly signed but nested 300 deep: refused, no recursion
    s_assert_refused (s_make_token (s_hs256, deep, s_key, S_KEYLEN),
                      "malformed token");
    //  A forged token's parts are never parsed: the signature fails first
    char forged[2048];
    snprintf (forged, sizeof forged, "%s",
              s_make_token ("{\"alg\":\"none\"}", deep, "other", 5));
    s_assert_refused (forged, "bad signature");
}


static void
test_independently_made_token_verifies (void **state)
{
    (void) state;
    //  Other header members and a real-valued exp are fine
    char payload[128];
    snprintf (payload, sizeof payload,
              "{\"sub\":\"x\",\"exp\":%lld.5,\"nbf\":%lld}",
              (long long) time (NULL) + 60, (long long) time (NULL) - 1);
    const char *token =
        s_make_token ("{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":\"1\"}",
                      payload, s_key, S_KEYLEN);
    json_t *claims = edge_jwt_verify (token, s_key, S_KEYLEN, NULL);
    assert_non_null (claims);
    assert_string_equal (json_string_value (json_object_get (claims, "sub")),
                         "x");
    json_decref (claims);
}


static void
test_tampered_payload_is_refused (void **state)
{
    (void) state;
    json_t *claims = json_pack ("{s:s}", "username", "alice");
    char *token = edge_jwt_sign (claims, s_key, S_KEYLEN);
    //  Swap in the payload of another user, keep the signature
    const char *forged =
        s_make_token (s_hs256, "{\"username\":\"root\"}", "other key", 9);
    char *dot1 = strchr (token, '.');
    char *dot2 = strchr (dot1 + 1, '.');
    const char *fdot1 = strchr (forged, '.');
    const char *fdot2 = strchr (fdot1 + 1, '.');
    char mixed[1024];
    snprintf (mixed, sizeof mixed, "%.*s%.*s%s", (int) (dot1 - token), token,
              (int) (fdot2 - fdot1), fdot1, dot2);
    s_assert_refused (mixed, "bad signature");
    json_decref (claims);
    free (token);
}


static void
test_tampered_signature_is_refused (void **state)
{
    (void) state;
    json_t *claims = json_pack ("{s:s}", "username", "alice");
    char *token = edge_jwt_sign (claims, s_key, S_KEYLEN);
    char *sig = strrchr (token, '.') + 1;
    for (size_t i = 0; sig[i]; i++) {
        char saved = sig[i];
        sig[i] = saved == 'A' ? 'B' : 'A';
        s_assert_refused (token, NULL);
        sig[i] = saved;
    }
    //  Padding on the signature is not base64url
    char *padded = malloc (strlen (token) + 2);
    sprintf (padded, "%s=", token);
    s_assert_refused (padded, NULL);
    free (padded);
    json_decref (claims);
    free (token);
}


static void
test_wrong_key_is_refused (void **state)
{
    (void) state;
    json_t *claims = json_pack ("{s:s}", "username", "alice");
    char *token = edge_jwt_sign (claims, "another-secret", 14);
    s_assert_refused (token, "bad signature");
    free (token);
    json_decref (claims);
}


static void
test_algorithms_other_than_hs256_are_refused (void **state)
{
    (void) state;
    const char *payload = "{\"username\":\"root\"}";
    //  alg none with an empty signature, as attackers send it
    char none[512];
    char h64[128], p64[128];
    const char *h = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    s_b64url ((const unsigned char *) h, strlen (h), h64, sizeof h64);
    s_b64url ((const unsigned char *) payload, strlen (payload), p64,
              sizeof p64);
    snprintf (none, sizeof none, "%s.%s.", h64, p64);
    s_assert_refused (none, "malformed token");
    //  Properly HMAC-signed, but under a header that does not say HS256
    const char *headers[] = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
        "{\"alg\":\"hs256\"}",
        "{\"alg\":\"RS256\"}",
        "{\"typ\":\"JWT\"}",
        "{\"alg\":256}",
        "{\"alg\":null}",
        "{\"alg\":[\"HS256\"]}",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        s_assert_refused (s_make_token (headers[i], payload, s_key, S_KEYLEN),
                          "unsupported algorithm");
    s_assert_refused (
        s_make_token ("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
                      payload, s_key, S_KEYLEN),
        "unsupported header");
}


static void
test_malformed_headers_and_payloads_are_refused (void **state)
{
    (void) state;
    const char *payload = "{\"username\":\"root\"}";
    const char *bad_headers[] = {"",
                                 "[]",
                                 "\"HS256\"",
                                 "{\"alg\":\"HS256\"",
                                 "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
                                 "{\"alg\":\"HS256\"} x"};
    for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++)
        s_assert_refused (
            s_make_token (bad_headers[i], payload, s_key, S_KEYLEN),
            "malformed token");
    //  Signed correctly, yet not an object (or not JSON at all)
    const char *bad_payloads[] = {"[1]", "42", "{\"a\":1", "not json",
                                  "{\"a\":1,\"a\":2}"};
    for (size_t i = 0; i < sizeof bad_payloads / sizeof bad_payloads[0]; i++)
        s_assert_refused (
            s_make_token (s_hs256, bad_payloads[i], s_key, S_KEYLEN),
            "malformed token");
}


static void
test_expired_and_premature_tokens_are_refused (void **state)
{
    (void) state;
    long long now = (long long) time (NULL);
    char payload[128];
    snprintf (payload, sizeof payload, "{\"exp\":%lld}", now - 10);
    s_assert_refused (s_make_token (s_hs256, payload, s_key, S_KEYLEN),
                      "token expired");
    snprintf (payload, sizeof payload, "{\"exp\":%lld}", now);
    s_assert_refused (s_make_token (s_hs256, payload, s_key, S_KEYLEN),
                      "token expired");
    snprintf (payload, sizeof payload, "{\"nbf\":%lld}", now + 60);
    s_assert_refused (s_make_token (s_hs256, payload, s_key, S_KEYLEN),
                      "token not yet valid");
    s_assert_refused (
        s_make_token (s_hs256, "{\"exp\":\"tomorrow\"}", s_key, S_KEYLEN),
        "invalid claims");
    s_assert_refused (s_make_token (s_hs256, "{\"nbf\":true}", s_key, S_KEYLEN),
                      "invalid claims");
    //  The claims are checked only after the signature
    snprintf (payload, sizeof payload, "{\"exp\":%lld}", now - 10);
    s_assert_refused (s_make_token (s_hs256, payload, "wrong", 5),
                      "bad signature");
}


static void
test_wrong_number_of_parts_is_refused (void **state)
{
    (void) state;
    json_t *claims = json_pack ("{s:s}", "username", "alice");
    char *token = edge_jwt_sign (claims, s_key, S_KEYLEN);
    char longer[1024];
    snprintf (longer, sizeof longer, "%s.e30", token);
    s_assert_refused (longer, "malformed token");
    *strrchr (token, '.') = 0;
    s_assert_refused (token, "malformed token");
    s_assert_refused ("", "malformed token");
    s_assert_refused ("..", "malformed token");
    s_assert_refused (NULL, "malformed token");
    json_decref (claims);
    free (token);
}


static void
test_every_truncation_of_a_valid_token_is_refused (void **state)
{
    (void) state;
    json_t *claims = json_pack ("{s:s,s:b}", "username", "alice", "admin", 1);
    char *token = edge_jwt_sign (claims, s_key, S_KEYLEN);
    size_t len = strlen (token);
    for (size_t cut = 0; cut < len; cut++) {
        char *prefix = strndup (token, cut);
        s_assert_refused (prefix, NULL);
        free (prefix);
    }
    json_t *back = edge_jwt_verify (token, s_key, S_KEYLEN, NULL);
    assert_non_null (back);
    json_decref (back);
    json_decref (claims);
    free (token);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_secret_decodes_to_the_key),
        cmocka_unit_test (test_signing_matches_an_independent_hmac),
        cmocka_unit_test (test_signed_token_verifies_and_returns_the_claims),
        cmocka_unit_test (test_independently_made_token_verifies),
        cmocka_unit_test (test_deeply_nested_parts_are_refused_without_parsing),
        cmocka_unit_test (test_tampered_payload_is_refused),
        cmocka_unit_test (test_tampered_signature_is_refused),
        cmocka_unit_test (test_wrong_key_is_refused),
        cmocka_unit_test (test_algorithms_other_than_hs256_are_refused),
        cmocka_unit_test (test_malformed_headers_and_payloads_are_refused),
        cmocka_unit_test (test_expired_and_premature_tokens_are_refused),
        cmocka_unit_test (test_wrong_number_of_parts_is_refused),
        cmocka_unit_test (test_every_truncation_of_a_valid_token_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
