/*  test_edge_sigv4 - AWS Signature Version 4 against the four published S3
    examples (Amazon S3 API reference, "Signature Calculations for the
    Authorization Header: Transferring Payload in a Single Chunk"): GET
    Object (key test.txt, Range bytes=0-9), PUT Object (key test$file.text,
    body "Welcome to Amazon S3.", Date and x-amz-storage-class headers), GET
    Bucket Lifecycle (?lifecycle) and GET Bucket (?max-keys=2&prefix=J); all
    bucket examplebucket, 20130524T000000Z, us-east-1, access key
    AKIAIOSFODNN7EXAMPLE with its documented secret. The canonical request,
    string to sign, payload hash and signatures below are the document's;
    nothing here was computed by this code.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_sigv4.h"
#include "edge_util.h"
#include <stdlib.h>
#include <string.h>

static const edge_sigv4_creds_t s_creds = {
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "us-east-1", "s3"};

//  Given in a different order from the canonical one, mixed as a caller
//  would, to show that the signer sorts them.
static const edge_sigv4_header_t s_get_headers[] = {
    {"x-amz-date", "20130524T000000Z"},
    {"range", "bytes=0-9"},
    {"host", "examplebucket.s3.amazonaws.com"},
    {"x-amz-content-sha256", EDGE_SIGV4_EMPTY_SHA256},
};

static const edge_sigv4_request_t s_get = {"GET",
                                           "/test.txt",
                                           "",
                                           s_get_headers,
                                           4,
                                           EDGE_SIGV4_EMPTY_SHA256,
                                           "20130524T000000Z"};

static const char *s_doc_canonical =
    "GET\n"
    "/test.txt\n"
    "\n"
    "host:examplebucket.s3.amazonaws.com\n"
    "range:bytes=0-9\n"
    "x-amz-content-sha256:"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "x-amz-date:20130524T000000Z\n"
    "\n"
    "host;range;x-amz-content-sha256;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static const char *s_doc_string_to_sign =
    "AWS4-HMAC-SHA256\n"
    "20130524T000000Z\n"
    "20130524/us-east-1/s3/aws4_request\n"
    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972";

static const char *s_doc_authorization =
    "AWS4-HMAC-SHA256 "
    "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
    "Signature="
    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";


static void
test_canonical_request_matches_the_documented_get_object_example (void **state)
{
    (void) state;
    char *canonical = edge_sigv4_canonical_request (&s_get);
    assert_string_equal (canonical, s_doc_canonical);
    free (canonical);
}


static void
test_string_to_sign_matches_the_documented_get_object_example (void **state)
{
    (void) state;
    char *to_sign = edge_sigv4_string_to_sign (&s_creds, "20130524T000000Z",
                                               s_doc_canonical);
    assert_string_equal (to_sign, s_doc_string_to_sign);
    free (to_sign);
}


static void
test_authorization_matches_the_documented_get_object_example (void **state)
{
    (void) state;
    char *auth = edge_sigv4_authorization (&s_creds, &s_get);
    assert_string_equal (auth, s_doc_authorization);
    free (auth);
}


//  The other three documented examples: their signed headers and
//  signatures.
static const edge_sigv4_header_t s_put_headers[] = {
    {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
    {"date", "Fri, 24 May 2013 00:00:00 GMT"},
    {"host", "examplebucket.s3.amazonaws.com"},
    {"x-amz-date", "20130524T000000Z"},
    {"x-amz-content-sha256",
     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
};

static const edge_sigv4_header_t s_bucket_headers[] = {
    {"host", "examplebucket.s3.amazonaws.com"},
    {"x-amz-content-sha256", EDGE_SIGV4_EMPTY_SHA256},
    {"x-amz-date", "20130524T000000Z"},
};


static void
s_assert_signed (const edge_sigv4_request_t *req,
                 const char *signed_headers,
                 const char *signature)
{
    char *auth = edge_sigv4_authorization (&s_creds, req);
    char *want = edge_sprintf ("AWS4-HMAC-SHA256 Credential="
                               "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                               "aws4_request,SignedHeaders=%s,Signature=%s",
                               signed_headers, signature);
    assert_string_equal (auth, want);
    free (want);
    free (auth);
}


static void
test_authorization_matches_the_documented_put_object_example (void **state)
{
    (void) state;
    char *uri = edge_sigv4_uri_encode ("test$file.text", true);
    char *path = edge_sprintf ("/%s", uri);
    assert_string_equal (path, "/test%24file.text");
    edge_sigv4_request_t put = {
        "PUT",
        path,
        "",
        s_put_headers,
        sizeof s_put_headers / sizeof s_put_headers[0],
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        "20130524T000000Z"};
    s_assert_signed (
        &put, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    free (path);
    free (uri);
}


static void
test_authorization_matches_the_documented_bucket_examples (void **state)
{
    (void) state;
    edge_sigv4_request_t get = {"GET",
                                "/",
                                "lifecycle=",
                                s_bucket_headers,
                                3,
                                EDGE_SIGV4_EMPTY_SHA256,
                                "20130524T000000Z"};
    s_assert_signed (
        &get, "host;x-amz-content-sha256;x-amz-date",
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    get.canonical_query = "max-keys=2&prefix=J";
    s_assert_signed (
        &get, "host;x-amz-content-sha256;x-amz-date",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}


static void
test_authorization_never_contains_the_secret (void **state)
{
    (void) state;
    char *auth = edge_sigv4_authorization (&s_creds, &s_get);
    assert_null (strstr (auth, s_creds.secret_access_key));
    assert_null (strstr (auth, "EXAMPLEKEY"));
    free (auth);
}


static void
test_another_secret_or_date_changes_the_signature (void **state)
{
    (void) state;
    edge_sigv4_creds_t wrong = s_creds;
    wrong.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ";
    char *auth = edge_sigv4_authorization (&wrong, &s_get);
    assert_string_not_equal (auth, s_doc_authorization);
    free (auth);

    edge_sigv4_request_t later = s_get;
    later.amz_date = "20130525T000000Z";
    auth = edge_sigv4_authorization (&s_creds, &later);
    assert_non_null (strstr (auth, "/20130525/us-east-1/s3/aws4_request"));
    assert_null (strstr (auth, "f0e8bdb87c964420e857bd35b5d6ed31"));
    free (auth);
}


static void
test_uri_encoding_follows_the_s3_rules (void **state)
{
    (void) state;
    struct {
        const char *in;
        bool keep_slash;
        const char *out;
    } cases[] = {
        {"AZaz09-._~", true, "AZaz09-._~"},
        {"dxf/org/app/0001/x.seg", true, "dxf/org/app/0001/x.seg"},
        {"a/b", false, "a%2Fb"},
        {"a b+c=d&e", true, "a%20b%2Bc%3Dd%26e"},
        {"test$file.text", true, "test%24file.text"},
        {"*", true, "%2A"},
        {"\xc3\xa9", true, "%C3%A9"},
        {"", true, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = edge_sigv4_uri_encode (cases[i].in, cases[i].keep_slash);
        assert_string_equal (out, cases[i].out);
        free (out);
    }
}


static void
test_amz_date_is_the_basic_iso8601_utc_form (void **state)
{
    (void) state;
    char buf[17];
    edge_sigv4_amz_date (1369353600, buf, sizeof buf); //  2013-05-24
    assert_string_equal (buf, "20130524T000000Z");
    edge_sigv4_amz_date (0, buf, sizeof buf);
    assert_string_equal (buf, "19700101T000000Z");
}


static void
test_query_string_is_signed_in_the_canonical_request (void **state)
{
    (void) state;
    edge_sigv4_request_t list = s_get;
    list.canonical_uri = "/";
    list.canonical_query = "list-type=2&prefix=dxf%2F";
    char *canonical = edge_sigv4_canonical_request (&list);
    assert_non_null (strstr (canonical, "GET\n/\nlist-type=2&prefix=dxf%2F\n"));
    free (canonical);
    char *with_query = edge_sigv4_authorization (&s_creds, &list);
    list.canonical_query = "list-type=2&prefix=pat%2F";
    char *other_query = edge_sigv4_authorization (&s_creds, &list);
    assert_string_not_equal (with_query, other_query);
    free (with_query);
    free (other_query);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_canonical_request_matches_the_documented_get_object_example),
        cmocka_unit_test (
            test_string_to_sign_matches_the_documented_get_object_example),
        cmocka_unit_test (
            test_authorization_matches_the_documented_get_object_example),
        cmocka_unit_test (
            test_authorization_matches_the_documented_put_object_example),
        cmocka_unit_test (
            test_authorization_matches_the_documented_bucket_examples),
        cmocka_unit_test (test_authorization_never_contains_the_secret),
        cmocka_unit_test (test_another_secret_or_date_changes_the_signature),
        cmocka_unit_test (test_uri_encoding_follows_the_s3_rules),
        cmocka_unit_test (test_amz_date_is_the_basic_iso8601_utc_form),
        cmocka_unit_test (test_query_string_is_signed_in_the_canonical_request),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
