/*  nt_sign - the signature headers of a webhook request.

    x-rockit-subscriptions: a JWT (HS256, keyed with the decoded subscription
    secret) with claims iss "rockit-edge", sub (subscription name), iat, exp
    (iat + 300), jti (delivery id) and bodySha256 (lowercase hex SHA-256 of
    the exact body). Standard Webhooks: webhook-id (delivery id),
    webhook-timestamp (unix seconds), webhook-signature "v1,<base64
    HMAC-SHA256(key, id.timestamp.body)>".  */
#ifndef NT_SIGN_H_INCLUDED
#define NT_SIGN_H_INCLUDED
#include <stddef.h>
#include <stdint.h>

#define NT_SIGN_JWT_TTL_S 300

//  Header values for one attempt. Plain value type; release with
//  nt_sign_fini.
typedef struct {
    char *jwt;          //  x-rockit-subscriptions
    char *id;           //  webhook-id
    char timestamp[24]; //  webhook-timestamp
    char *signature;    //  webhook-signature
} nt_sign_t;

//  Decode a subscription secret "whsec_<base64>" into its key bytes.
//  Returns 0 and a buffer the caller owns, or -1 when malformed.
int nt_sign_key (const char *secret, unsigned char **key, size_t *keylen);
//  Compute the headers for body (len bytes) sent for delivery id of
//  subscription sub at now_s (unix seconds) with key. Returns 0.
int nt_sign_init (nt_sign_t *sign,
                  const unsigned char *key,
                  size_t keylen,
                  const char *sub,
                  const char *id,
                  int64_t now_s,
                  const char *body,
                  size_t len);
//  Free the header values; safe on a zeroed or finished struct.
void nt_sign_fini (nt_sign_t *sign);
#endif
