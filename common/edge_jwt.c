/*  edge_jwt - compact JWS (RFC 7515) with HS256 only.

    Verification order matters: split, decode and check the header (the alg
    must be exactly HS256, so "none" and algorithm confusion are refused),
    then compare the signature in constant time, and only then decode and
    look at the payload.  */
#include "edge_jwt.h"
#include "edge_json.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_util.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  The only header we ever write; verification parses rather than compares
static const char s_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

//  Tokens longer than this are refused before any work (headers are small)
#define S_MAX_TOKEN 16384

//  One part of a token: a slice of the token text.
typedef struct {
    const char *text;
    size_t len;
} s_part_t;


//  Split token into exactly three non-empty parts. Returns 0 or -1.
static int
s_split (const char *token, s_part_t parts[3])
{
    size_t len = strnlen (token, S_MAX_TOKEN + 1);
    if (len > S_MAX_TOKEN)
        return -1;
    const char *start = token;
    const char *end = token + len;
    for (int i = 0; i < 3; i++) {
        const char *dot = memchr (start, '.', (size_t) (end - start));
        if ((i < 2) != (dot != NULL))
            return -1; //  fewer or more than two dots
        const char *stop = dot ? dot : end;
        parts[i].text = start;
        parts[i].len = (size_t) (stop - start);
        if (parts[i].len == 0)
            return -1;
        start = stop + 1;
    }
    return 0;
}


//  Decode a base64url part and parse it as a JSON object. Returns the
//  object (caller owns) or NULL.
static json_t *
s_decode_object (const s_part_t *part)
{
    unsigned char *raw = NULL;
    size_t rawlen = 0;
    if (edge_b64url_decode (part->text, part->len, &raw, &rawlen))
        return NULL;
    json_error_t error;
    json_t *value = NULL;
    if (edge_json_is_shallow ((const char *) raw, rawlen, EDGE_JSON_MAX_DEPTH))
        value = json_loadb ((const char *) raw, rawlen, JSON_REJECT_DUPLICATES,
                            &error);
    free (raw);
    if (value && !json_is_object (value)) {
        json_decref (value);
        value = NULL;
    }
    return value;
}


//  Check the header: alg exactly "HS256", no "crit" extensions we would
//  have to understand. Returns NULL when acceptable, else the reason.
static const char *
s_check_header (const s_part_t *part)
{
    json_t *header = s_decode_object (part);
    if (!header)
        return "malformed token";
    const char *why = NULL;
    json_t *alg = json_object_get (header, "alg");
    if (!json_is_string (alg) || strcmp (json_string_value (alg), "HS256") != 0)
        why = "unsupported algorithm";
    else if (json_object_get (header, "crit"))
        why = "unsupported header";
    json_decref (header);
    return why;
}


//  Compare the signature part with HMAC-SHA256 over "header.payload".
static bool
s_signature_ok (const char *token,
                const s_part_t parts[3],
                const void *key,
                size_t keylen)
{
    unsigned char *sig = NULL;
    size_t siglen = 0;
    if (edge_b64url_decode (parts[2].text, parts[2].len, &sig, &siglen))
        return false;
    unsigned char mac[EDGE_SHA256_LEN];
    size_t signed_len = parts[0].len + 1 + parts[1].len;
    edge_hmac_sha256 (key, keylen, token, signed_len, mac);
    bool is_ok = siglen == sizeof mac && edge_ct_equal (sig, mac, sizeof mac);
    free (sig);
    return is_ok;
}


//  Read a NumericDate claim. Returns 1 when present and numeric (in *secs),
//  0 when absent, -1 when present but not a number.
static int
s_numeric_date (const json_t *claims, const char *name, double *secs)
{
    json_t *value = json_object_get (claims, name);
    if (!value)
        return 0;
    if (json_is_integer (value))
        *secs = (double) json_integer_value (value);
    else if (json_is_real (value))
        *secs = json_real_value (value);
    else
        return -1;
    return 1;
}


//  Check exp and nbf against now. Returns NULL, or the reason.
static const char *
s_check_times (const json_t *claims)
{
    double now = (double) time (NULL);
    double exp = 0, nbf = 0;
    int has_exp = s_numeric_date (claims, "exp", &exp);
    int has_nbf = s_numeric_date (claims, "nbf", &nbf);
    if (has_exp < 0 || has_nbf < 0)
        return "invalid claims";
    if (has_exp && !(exp > now))
        return "token expired";
    if (has_nbf && !(nbf <= now))
        return "token not yet valid";
    return NULL;
}


char *
edge_jwt_sign (const json_t *claims, const void *key, size_t keylen)
{
    edge_assert (json_is_object (claims));
    char *payload = json_dumps (claims, JSON_COMPACT);
    edge_assert (payload);
    char *header64 = edge_b64url_encode ((const unsigned char *) s_header,
                                         strlen (s_header));
    char *payload64 =
        edge_b64url_encode ((const unsigned char *) payload, strlen (payload));
    char *input = edge_sprintf ("%s.%s", header64, payload64);
    unsigned char mac[EDGE_SHA256_LEN];
    edge_hmac_sha256 (key, keylen, input, strlen (input), mac);
    char *sig64 = edge_b64url_encode (mac, sizeof mac);
    char *token = edge_sprintf ("%s.%s", input, sig64);
    free (sig64);
    free (input);
    free (payload64);
    free (header64);
    free (payload);
    return token;
}


json_t *
edge_jwt_verify (const char *token,
                 const void *key,
                 size_t keylen,
                 const char **why)
{
    const char *reason = "malformed token";
    json_t *claims = NULL;
    s_part_t parts[3];
    if (!token || s_split (token, parts))
        goto refused;
    //  The signature first: nothing an unauthenticated sender wrote is
    //  parsed before it (we only ever verify HMAC-SHA256, so checking the
    //  header's alg afterwards loses nothing).
    if (!s_signature_ok (token, parts, key, keylen)) {
        reason = "bad signature";
        goto refused;
    }
    if ((reason = s_check_header (&parts[0])))
        goto refused;
    //  From here the payload is authentic: decode and check its claims
    claims = s_decode_object (&parts[1]);
    if (!claims) {
        reason = "malformed token";
        goto refused;
    }
    if ((reason = s_check_times (claims)))
        goto refused;
    if (why)
        *why = NULL;
    return claims;

refused:
    json_decref (claims);
    if (why)
        *why = reason;
    return NULL;
}
