/*  test_nt_sign - webhook signatures verify with independent computations
    (OpenSSL directly, and the JWT verifier a receiver would use).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "edge_crypto.h"
#include "edge_jwt.h"
#include "nt_sign.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *s_body = "{\"type\":\"hello\",\"event\":\"end\"}";


static void
test_secret_is_decoded_from_whsec_base64 (void **state)
{
    (void) state;
    unsigned char raw[32];
    for (int i = 0; i < 32; i++)
        raw[i] = (unsigned char) (255 - i);
    unsigned char b64[64];
    EVP_EncodeBlock (b64, raw, 32);
    char secret[80];
    snprintf (secret, sizeof secret, "whsec_%s", (char *) b64);
    unsigned char *key = NULL;
    size_t keylen = 0;
    assert_int_equal (nt_sign_key (secret, &key, &keylen), 0);
    assert_int_equal (keylen, 32);
    assert_memory_equal (key, raw, 32);
    free (key);
    const char *bad[] = {(char *) b64, "whsec_",     "whsec_!!!!",
                         "whsec_a",    "WHSEC_AAAA", NULL};
    for (int i = 0; i < 5; i++) {
        assert_int_equal (nt_sign_key (bad[i], &key, &keylen), -1);
        assert_null (key);
    }
    assert_int_equal (nt_sign_key (NULL, &key, &keylen), -1);
}


static void
test_standard_webhooks_signature_verifies_independently (void **state)
{
    (void) state;
    unsigned char key[32];
    memset (key, 0x5a, sizeof key);
    nt_sign_t sign;
    assert_int_equal (nt_sign_init (&sign, key, sizeof key, "hook", "1-0-hook",
                                    1767225600, s_body, strlen (s_body)),
                      0);
    assert_string_equal (sign.id, "1-0-hook");
    assert_string_equal (sign.timestamp, "1767225600");
    char content[256];
    snprintf (content, sizeof content, "1-0-hook.1767225600.%s", s_body);
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC (EVP_sha256 (), key, sizeof key, (unsigned char *) content,
          strlen (content), mac, &maclen);
    unsigned char b64[64];
    EVP_EncodeBlock (b64, mac, (int) maclen);
    char want[80];
    snprintf (want, sizeof want, "v1,%s", (char *) b64);
    assert_string_equal (sign.signature, want);
    nt_sign_fini (&sign);
    assert_null (sign.jwt);
    nt_sign_fini (&sign); //  safe twice
}


static void
test_jwt_verifies_and_binds_the_body (void **state)
{
    (void) state;
    unsigned char key[32];
    memset (key, 0x21, sizeof key);
    time_t now = time (NULL);
    nt_sign_t sign;
    nt_sign_init (&sign, key, sizeof key, "hook", "9-1-hook", (int64_t) now,
                  s_body, strlen (s_body));
    const char *why = NULL;
    json_t *claims = edge_jwt_verify (sign.jwt, key, sizeof key, &why);
    assert_non_null (claims);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256 ((const unsigned char *) s_body, strlen (s_body), digest);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf (hex + 2 * i, 3, "%02x", digest[i]);
    assert_string_equal (
        json_string_value (json_object_get (claims, "bodySha256")), hex);
    assert_string_equal (json_string_value (json_object_get (claims, "iss")),
                         "rockit-edge");
    assert_string_equal (json_string_value (json_object_get (claims, "sub")),
                         "hook");
    assert_string_equal (json_string_value (json_object_get (claims, "jti")),
                         "9-1-hook");
    assert_int_equal (json_integer_value (json_object_get (claims, "iat")),
                      (json_int_t) now);
    assert_int_equal (json_integer_value (json_object_get (claims, "exp")),
                      (json_int_t) now + 300);
    assert_int_equal (json_object_size (claims), 6);
    json_decref (claims);
    //  The HS256 signature over "header.payload", computed with OpenSSL
    const char *last = strrchr (sign.jwt, '.');
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC (EVP_sha256 (), key, sizeof key, (const unsigned char *) sign.jwt,
          (size_t) (last - sign.jwt), mac, &maclen);
    char *mac64 = edge_b64url_encode (mac, maclen);
    assert_string_equal (last + 1, mac64);
    free (mac64);
    unsigned char other[32];
    memset (other, 0x22, sizeof other);
    assert_null (edge_jwt_verify (sign.jwt, other, sizeof other, &why));
    nt_sign_fini (&sign);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_secret_is_decoded_from_whsec_base64),
        cmocka_unit_test (
            test_standard_webhooks_signature_verifies_independently),
        cmocka_unit_test (test_jwt_verifies_and_binds_the_body),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
