/*  nt_sign - JWT and Standard Webhooks signatures of webhook requests.  */
#include "nt_sign.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_jwt.h"
#include "edge_util.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SECRET_PREFIX "whsec_"


int
nt_sign_key (const char *secret, unsigned char **key, size_t *keylen)
{
    edge_assert (key && keylen);
    *key = NULL;
    *keylen = 0;
    size_t prefix = strlen (S_SECRET_PREFIX);
    if (!secret || strncmp (secret, S_SECRET_PREFIX, prefix) != 0)
        return -1;
    if (edge_b64_decode (secret + prefix, key, keylen))
        return -1;
    if (*keylen == 0) {
        free (*key);
        *key = NULL;
        return -1;
    }
    return 0;
}


int
nt_sign_init (nt_sign_t *sign,
              const unsigned char *key,
              size_t keylen,
              const char *sub,
              const char *id,
              int64_t now_s,
              const char *body,
              size_t len)
{
    edge_assert (sign && key && sub && id && body);
    memset (sign, 0, sizeof *sign);
    char sha[65];
    edge_sha256_hex (body, len, sha);
    json_t *claims = json_pack (
        "{s:s, s:s, s:I, s:I, s:s, s:s}", "iss", "rockit-edge", "sub", sub,
        "iat", (json_int_t) now_s, "exp",
        (json_int_t) (now_s + NT_SIGN_JWT_TTL_S), "jti", id, "bodySha256", sha);
    edge_assert (claims);
    sign->jwt = edge_jwt_sign (claims, key, keylen);
    json_decref (claims);
    sign->id = edge_strdup (id);
    snprintf (sign->timestamp, sizeof sign->timestamp, "%lld",
              (long long) now_s);
    //  Signed content: "<id>.<timestamp>.<body>"
    size_t idlen = strlen (id), tslen = strlen (sign->timestamp);
    size_t total = idlen + 1 + tslen + 1 + len;
    char *content = edge_malloc (total);
    memcpy (content, id, idlen);
    content[idlen] = '.';
    memcpy (content + idlen + 1, sign->timestamp, tslen);
    content[idlen + 1 + tslen] = '.';
    memcpy (content + idlen + 2 + tslen, body, len);
    unsigned char mac[EDGE_SHA256_LEN];
    edge_hmac_sha256 (key, keylen, content, total, mac);
    free (content);
    char *mac64 = edge_b64_encode (mac, sizeof mac);
    sign->signature = edge_sprintf ("v1,%s", mac64);
    free (mac64);
    return 0;
}


void
nt_sign_fini (nt_sign_t *sign)
{
    if (!sign)
        return;
    free (sign->jwt);
    free (sign->id);
    free (sign->signature);
    sign->jwt = sign->id = sign->signature = NULL;
}
