/*  edge_jwt - compact JWS tokens signed with HS256 (admin tokens, webhooks).  */
#ifndef EDGE_JWT_H_INCLUDED
#define EDGE_JWT_H_INCLUDED
#include <jansson.h>
#include <stddef.h>

//  Sign claims with HMAC-SHA256 under header {"alg":"HS256","typ":"JWT"}.
//  Caller owns the result.
char *edge_jwt_sign (const json_t *claims, const void *key, size_t keylen);
//  Verify token: three base64url parts, header alg exactly HS256, signature
//  compared in constant time, payload a JSON object, "exp" (if present) in
//  the future. Returns the claims (caller owns, json_decref), or NULL with
//  *why set to a static reason.
json_t *edge_jwt_verify (const char *token, const void *key, size_t keylen,
                         const char **why);
#endif
