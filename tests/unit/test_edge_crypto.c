/*  test_edge_crypto - digests against published vectors (FIPS 180-2,
    RFC 4231), base64 against RFC 4648, round trips and strict decoding.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_crypto.h"
#include <stdlib.h>
#include <string.h>


//  Deterministic bytes so that a failure can be replayed.
static void
s_fill (unsigned char *buf, size_t len, uint32_t *state)
{
    for (size_t i = 0; i < len; i++) {
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        buf[i] = (unsigned char) (*state >> 24);
    }
}


static void
s_assert_hex (const unsigned char *bin, size_t len, const char *expected)
{
    char hex[129];
    assert_true (len * 2 < sizeof hex);
    edge_hex (bin, len, hex);
    assert_string_equal (hex, expected);
}


static void
test_sha256_matches_published_vectors (void **state)
{
    (void) state;
    char hex[65];
    edge_sha256_hex ("abc", 3, hex);
    assert_string_equal (
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    edge_sha256_hex ("", 0, hex);
    assert_string_equal (
        hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    edge_sha256_hex (NULL, 0, hex);
    assert_string_equal (
        hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    unsigned char digest[EDGE_SHA256_LEN];
    edge_sha256 (two_blocks, strlen (two_blocks), digest);
    s_assert_hex (
        digest, sizeof digest,
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}


static void
test_hmac_sha256_matches_rfc4231 (void **state)
{
    (void) state;
    unsigned char mac[EDGE_SHA256_LEN];
    unsigned char key1[20];
    memset (key1, 0x0b, sizeof key1);
    edge_hmac_sha256 (key1, sizeof key1, "Hi There", 8, mac);
    s_assert_hex (
        mac, sizeof mac,
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

    const char *data2 = "what do ya want for nothing?";
    edge_hmac_sha256 ("Jefe", 4, data2, strlen (data2), mac);
    s_assert_hex (
        mac, sizeof mac,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

    //  Test case 6: a key longer than the block size is hashed first
    unsigned char key6[131];
    memset (key6, 0xaa, sizeof key6);
    const char *data6 =
        "Test Using Larger Than Block-Size Key - Hash Key First";
    edge_hmac_sha256 (key6, sizeof key6, data6, strlen (data6), mac);
    s_assert_hex (
        mac, sizeof mac,
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}


static void
test_hex_is_lowercase_and_terminated (void **state)
{
    (void) state;
    const unsigned char data[] = {0x00, 0x01, 0xab, 0xff};
    char hex[9];
    memset (hex, 'x', sizeof hex);
    edge_hex (data, sizeof data, hex);
    assert_string_equal (hex, "0001abff");
    edge_hex (data, 0, hex);
    assert_string_equal (hex, "");
}


static void
test_ct_equal_compares_every_byte (void **state)
{
    (void) state;
    unsigned char a[32], b[32];
    memset (a, 7, sizeof a);
    memcpy (b, a, sizeof b);
    assert_true (edge_ct_equal (a, b, sizeof a));
    for (size_t i = 0; i < sizeof a; i++) {
        b[i] ^= 1;
        assert_false (edge_ct_equal (a, b, sizeof a));
        b[i] ^= 1;
    }
    assert_true (edge_ct_equal (a, b, 0));
}


//  RFC 4648 §10: "" f fo foo foob fooba foobar.
static const char *s_plain[] = {"",     "f",     "fo",    "foo",
                                "foob", "fooba", "foobar"};
static const char *s_b64[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                              "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
static const char *s_b64url[] = {"",       "Zg",      "Zm8",     "Zm9v",
                                 "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};


static void
test_b64_encodes_rfc4648_vectors (void **state)
{
    (void) state;
    for (size_t i = 0; i < 7; i++) {
        const unsigned char *data = (const unsigned char *) s_plain[i];
        char *text = edge_b64_encode (data, strlen (s_plain[i]));
        assert_string_equal (text, s_b64[i]);
        free (text);
        text = edge_b64url_encode (data, strlen (s_plain[i]));
        assert_string_equal (text, s_b64url[i]);
        free (text);
    }
}


static void
s_assert_decodes (const char *text, bool is_url, const char *expected)
{
    unsigned char *out = NULL;
    size_t outlen = 99;
    int rc = is_url ? edge_b64url_decode (text, strlen (text), &out, &outlen)
                    : edge_b64_decode (text, &out, &outlen);
    assert_int_equal (rc, 0);
    assert_non_null (out);
    assert_int_equal (outlen, strlen (expected));
    assert_memory_equal (out, expected, outlen);
    free (out);
}


static void
test_b64_decodes_rfc4648_vectors_with_and_without_padding (void **state)
{
    (void) state;
    for (size_t i = 0; i < 7; i++) {
        s_assert_decodes (s_b64[i], false, s_plain[i]);
        s_assert_decodes (s_b64url[i], false, s_plain[i]);
        s_assert_decodes (s_b64url[i], true, s_plain[i]);
    }
}


static void
test_alphabets_differ_only_in_the_last_two_characters (void **state)
{
    (void) state;
    const unsigned char data[] = {0xfb, 0xff, 0xbf};
    char *text = edge_b64_encode (data, sizeof data);
    assert_string_equal (text, "+/+/");
    free (text);
    text = edge_b64url_encode (data, sizeof data);
    assert_string_equal (text, "-_-_");
    free (text);
    s_assert_decodes ("+/+/", false, "\xfb\xff\xbf");
    s_assert_decodes ("-_-_", true, "\xfb\xff\xbf");
}


static void
test_random_round_trips_of_lengths_0_to_64 (void **state)
{
    (void) state;
    uint32_t seed = 0x12345678;
    for (size_t len = 0; len <= 64; len++) {
        for (int round = 0; round < 8; round++) {
            unsigned char data[64];
            s_fill (data, len, &seed);
            unsigned char *out = NULL;
            size_t outlen = 0;

            char *text = edge_b64_encode (data, len);
            assert_int_equal (strlen (text), (len + 2) / 3 * 4);
            assert_int_equal (edge_b64_decode (text, &out, &outlen), 0);
            assert_int_equal (outlen, len);
            assert_memory_equal (out, data, len);
            free (out);
            //  The same text without its padding decodes the same
            char *bare = strtok (text, "=");
            assert_int_equal (edge_b64_decode (bare ? bare : "", &out, &outlen),
                              0);
            assert_int_equal (outlen, len);
            assert_memory_equal (out, data, len);
            free (out);
            free (text);

            text = edge_b64url_encode (data, len);
            assert_null (strchr (text, '='));
            assert_int_equal (
                edge_b64url_decode (text, strlen (text), &out, &outlen), 0);
            assert_int_equal (outlen, len);
            assert_memory_equal (out, data, len);
            free (out);
            free (text);
        }
    }
}


static void
s_assert_rejected (const char *text, size_t len, bool is_url)
{
    unsigned char *out = (unsigned char *) "untouched";
    size_t outlen = 99;
    int rc = is_url ? edge_b64url_decode (text, len, &out, &outlen)
                    : edge_b64_decode (text, &out, &outlen);
    if (rc != -1)
        fail_msg ("'%.*s' was accepted by the %s decoder", (int) len, text,
                  is_url ? "base64url" : "base64");
    assert_null (out);
    assert_int_equal (outlen, 0);
}


static void
test_b64_decoder_rejects_malformed_text (void **state)
{
    (void) state;
    const char *bad[] = {
        "Z",            //  6 bits: no encoder writes this
        "Zm9vY",        //  same after a full quantum
        "Zg=",          //  padding that does not complete the quantum
        "Zg===",        //  too much padding
        "Z===",         //  three padding characters
        "====",         //  padding only
        "=Zg=",         //  padding first
        "Zg=a",         //  padding in the middle
        "Zm9v=",        //  padding after a full quantum
        "Zm9vZg==Zg==", // padding inside
        "Zh==",         //  non-zero bits after the last byte
        "Zm9=",         //  same with two bytes
        "Zm 9v",        //  whitespace
        "Zm9v\n",       //  newline
        "Zm9-",         //  base64url character
        "Zm9_",         //  base64url character
        "Zm9v\x80",     //  non-ASCII
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_assert_rejected (bad[i], strlen (bad[i]), false);
    s_assert_rejected (NULL, 0, false);
}


static void
test_b64url_decoder_rejects_padding_and_bad_characters (void **state)
{
    (void) state;
    const char *bad[] = {"Zg==", "Zm8=", "Z",    "Zm9vY", "Zh",
                         "Zm9+", "Zm9/", "Zm 9", "Zm9v.", "Zm9v\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_assert_rejected (bad[i], strlen (bad[i]), true);
    //  An embedded NUL inside the given length is a bad character
    s_assert_rejected ("Zm\0v", 4, true);
    s_assert_rejected (NULL, 0, true);
}


static void
test_b64url_decoder_reads_only_the_given_length (void **state)
{
    (void) state;
    unsigned char *out = NULL;
    size_t outlen = 0;
    //  The '.' after the first part (as in a JWT) is not read
    assert_int_equal (edge_b64url_decode ("Zm9v.garbage", 4, &out, &outlen), 0);
    assert_int_equal (outlen, 3);
    assert_memory_equal (out, "foo", 3);
    free (out);
}


static void
test_every_truncation_of_an_encoding_is_handled (void **state)
{
    (void) state;
    unsigned char data[40];
    uint32_t seed = 99;
    s_fill (data, sizeof data, &seed);
    char *text = edge_b64_encode (data, sizeof data);
    char *url = edge_b64url_encode (data, sizeof data);
    size_t len = strlen (text);
    for (size_t cut = 0; cut <= len; cut++) {
        char *prefix = strndup (text, cut);
        unsigned char *out = NULL;
        size_t outlen = 0;
        int rc = edge_b64_decode (prefix, &out, &outlen);
        //  A prefix decodes to a prefix of the data, or is rejected
        if (rc == 0) {
            assert_true (outlen <= sizeof data);
            assert_memory_equal (out, data, outlen);
        }
        else
            assert_null (out);
        if (cut % 4 == 1)
            assert_int_equal (rc, -1);
        free (out);
        free (prefix);
    }
    for (size_t cut = 0; cut <= strlen (url); cut++) {
        unsigned char *out = NULL;
        size_t outlen = 0;
        int rc = edge_b64url_decode (url, cut, &out, &outlen);
        if (rc == 0)
            assert_memory_equal (out, data, outlen);
        if (cut % 4 == 1)
            assert_int_equal (rc, -1);
        free (out);
    }
    //  The full text always decodes
    unsigned char *out = NULL;
    size_t outlen = 0;
    assert_int_equal (edge_b64url_decode (url, strlen (url), &out, &outlen), 0);
    assert_int_equal (outlen, sizeof data);
    free (out);
    free (url);
    free (text);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sha256_matches_published_vectors),
        cmocka_unit_test (test_hmac_sha256_matches_rfc4231),
        cmocka_unit_test (test_hex_is_lowercase_and_terminated),
        cmocka_unit_test (test_ct_equal_compares_every_byte),
        cmocka_unit_test (test_b64_encodes_rfc4648_vectors),
        cmocka_unit_test (
            test_b64_decodes_rfc4648_vectors_with_and_without_padding),
        cmocka_unit_test (
            test_alphabets_differ_only_in_the_last_two_characters),
        cmocka_unit_test (test_random_round_trips_of_lengths_0_to_64),
        cmocka_unit_test (test_b64_decoder_rejects_malformed_text),
        cmocka_unit_test (
            test_b64url_decoder_rejects_padding_and_bad_characters),
        cmocka_unit_test (test_b64url_decoder_reads_only_the_given_length),
        cmocka_unit_test (test_every_truncation_of_an_encoding_is_handled),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
