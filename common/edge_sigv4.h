/*  edge_sigv4 - AWS Signature Version 4 for S3 requests (header-based
    authorization): S3 URI encoding, canonical request, string to sign,
    signing key and the Authorization header value. Pure functions; the
    caller sends the same headers it signed (edge_store does, with
    libcurl).  */
#ifndef EDGE_SIGV4_H_INCLUDED
#define EDGE_SIGV4_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  x-amz-content-sha256 value for a body that is not hashed (streaming).
#define EDGE_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
//  SHA-256 of the empty body, for GET/HEAD/DELETE.
#define EDGE_SIGV4_EMPTY_SHA256                                                \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

//  One header to sign. name in lower case; value already trimmed.
typedef struct {
    const char *name;
    const char *value;
} edge_sigv4_header_t;

//  Who signs, and for which scope. Borrowed strings.
typedef struct {
    const char *access_key_id;
    const char *secret_access_key; //  never logged, never copied out
    const char *region;            //  "us-east-1"
    const char *service;           //  "s3"
} edge_sigv4_creds_t;

//  One request to sign. Borrowed strings.
typedef struct {
    const char *method;                 //  "GET", "PUT", ...
    const char *canonical_uri;          //  already URI-encoded path, "/b/k"
    const char *canonical_query;        //  sorted, encoded "a=1&b=2" or ""
    const edge_sigv4_header_t *headers; //  any order; must include host
    size_t nheaders;
    const char *payload_hash; //  hex SHA-256 or UNSIGNED-PAYLOAD
    const char *amz_date;     //  "20130524T000000Z"
} edge_sigv4_request_t;

//  URI-encode text the S3 way: A-Z a-z 0-9 - . _ ~ stay, every other byte
//  becomes %XY (upper-case hex); '/' stays when keep_slash (object key
//  paths) and becomes %2F otherwise (query values). Caller owns the result.
char *edge_sigv4_uri_encode (const char *text, bool keep_slash);
//  Format t (seconds since the epoch, UTC) as "YYYYMMDDTHHMMSSZ" into
//  buf (at least 17 bytes).
void edge_sigv4_amz_date (int64_t t, char *buf, size_t size);
//  The canonical request (headers sorted by name). Caller owns the result.
char *edge_sigv4_canonical_request (const edge_sigv4_request_t *req);
//  The string to sign for a canonical request. Caller owns the result.
char *edge_sigv4_string_to_sign (const edge_sigv4_creds_t *creds,
                                 const char *amz_date,
                                 const char *canonical_request);
//  The signing key HMAC chain for the date part (first 8 characters) of
//  amz_date into key[32].
void edge_sigv4_signing_key (const edge_sigv4_creds_t *creds,
                             const char *amz_date,
                             unsigned char key[32]);
//  The full Authorization header value ("AWS4-HMAC-SHA256 Credential=...,
//  SignedHeaders=...,Signature=..."). Caller owns the result.
char *edge_sigv4_authorization (const edge_sigv4_creds_t *creds,
                                const edge_sigv4_request_t *req);
#endif
