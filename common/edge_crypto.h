/*  edge_crypto - SHA-256, HMAC-SHA256, base64/base64url, hex, constant-time
    comparison (OpenSSL libcrypto).  */
#ifndef EDGE_CRYPTO_H_INCLUDED
#define EDGE_CRYPTO_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>

#define EDGE_SHA256_LEN 32

//  SHA-256 of data into out[32].
void edge_sha256 (const void *data, size_t len, unsigned char out[32]);
//  Lowercase hex SHA-256 of data into hex[65].
void edge_sha256_hex (const void *data, size_t len, char hex[65]);
//  HMAC-SHA256 of data with key into out[32].
void edge_hmac_sha256 (const void *key, size_t keylen, const void *data,
                       size_t len, unsigned char out[32]);
//  Lowercase hex of len bytes into hex (2*len+1 bytes).
void edge_hex (const unsigned char *data, size_t len, char *hex);
//  Constant-time comparison of two buffers of equal length.
bool edge_ct_equal (const void *a, const void *b, size_t len);

//  Standard base64 with padding. Caller owns the result.
char *edge_b64_encode (const unsigned char *data, size_t len);
//  Decode standard base64 (padding optional, no whitespace). Returns 0 and a
//  buffer the caller owns, or -1 on malformed input.
int edge_b64_decode (const char *text, unsigned char **out, size_t *outlen);
//  base64url without padding (RFC 4648 §5). Caller owns the result.
char *edge_b64url_encode (const unsigned char *data, size_t len);
//  Decode base64url without padding. Returns 0 and a buffer the caller owns,
//  or -1 on malformed input (padding, bad characters, bad length).
int edge_b64url_decode (const char *text, size_t textlen, unsigned char **out,
                        size_t *outlen);
#endif
