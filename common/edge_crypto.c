/*  edge_crypto - digests and MACs through OpenSSL EVP, constant-time
    comparison, and strict base64 / base64url codecs written here.

    Decoders are strict: any character outside the alphabet, a length that
    cannot come from an encoder, misplaced or missing-but-required padding,
    and non-zero bits left over in the last character are all rejected, so
    every accepted text has exactly one decoding and one encoding.  */
#include "edge_crypto.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char s_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char s_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


//  Value 0..63 of c in the chosen alphabet, or -1.
static int
s_b64_value (unsigned char c, bool is_url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (is_url ? '-' : '+'))
        return 62;
    if (c == (is_url ? '_' : '/'))
        return 63;
    return -1;
}


//  Encode len bytes with alphabet, padding with '=' when is_padded.
static char *
s_b64_encode (const unsigned char *data,
              size_t len,
              const char *alphabet,
              bool is_padded)
{
    edge_assert (len <= (SIZE_MAX - 4) / 4 * 3);
    char *text = edge_malloc ((len + 2) / 3 * 4 + 1);
    size_t used = 0;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t) data[i] << 16 | (uint32_t) data[i + 1] << 8
                     | data[i + 2];
        text[used++] = alphabet[v >> 18];
        text[used++] = alphabet[(v >> 12) & 63];
        text[used++] = alphabet[(v >> 6) & 63];
        text[used++] = alphabet[v & 63];
    }
    size_t rest = len - i;
    if (rest) {
        uint32_t v = (uint32_t) data[i] << 16;
        if (rest == 2)
            v |= (uint32_t) data[i + 1] << 8;
        text[used++] = alphabet[v >> 18];
        text[used++] = alphabet[(v >> 12) & 63];
        if (rest == 2)
            text[used++] = alphabet[(v >> 6) & 63];
        if (is_padded) {
            text[used++] = '=';
            if (rest == 1)
                text[used++] = '=';
        }
    }
    text[used] = 0;
    return text;
}


//  Decode len characters (no padding left in them). Returns 0 or -1.
static int
s_b64_decode_bare (const char *text,
                   size_t len,
                   bool is_url,
                   unsigned char **out,
                   size_t *outlen)
{
    if (len % 4 == 1)
        return -1; //  one character holds only 6 bits: never encoded
    unsigned char *buf = edge_malloc (len / 4 * 3 + 2);
    size_t used = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = s_b64_value ((unsigned char) text[i], is_url);
        if (v < 0)
            goto malformed;
        acc = (acc << 6) | (uint32_t) v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[used++] = (unsigned char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        goto malformed; //  leftover bits must be zero (canonical form)
    *out = buf;
    *outlen = used;
    return 0;

malformed:
    free (buf);
    return -1;
}


void
edge_sha256 (const void *data, size_t len, unsigned char out[32])
{
    int rc = EVP_Digest (data ? data : "", len, out, NULL, EVP_sha256 (), NULL);
    edge_assert (rc == 1);
}


void
edge_sha256_hex (const void *data, size_t len, char hex[65])
{
    unsigned char digest[EDGE_SHA256_LEN];
    edge_sha256 (data, len, digest);
    edge_hex (digest, sizeof digest, hex);
}


void
edge_hmac_sha256 (const void *key,
                  size_t keylen,
                  const void *data,
                  size_t len,
                  unsigned char out[32])
{
    static const unsigned char s_empty[1] = {0};
    unsigned int outlen = 0;
    edge_assert (keylen <= INT32_MAX);
    unsigned char *mac = HMAC (EVP_sha256 (), key ? key : s_empty, (int) keylen,
                               data ? data : s_empty, len, out, &outlen);
    edge_assert (mac && outlen == EDGE_SHA256_LEN);
}


void
edge_hex (const unsigned char *data, size_t len, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[data[i] >> 4];
        hex[2 * i + 1] = digits[data[i] & 15];
    }
    hex[2 * len] = 0;
}


bool
edge_ct_equal (const void *a, const void *b, size_t len)
{
    if (len == 0)
        return true;
    return CRYPTO_memcmp (a, b, len) == 0;
}


char *
edge_b64_encode (const unsigned char *data, size_t len)
{
    return s_b64_encode (data, len, s_b64_alphabet, true);
}


int
edge_b64_decode (const char *text, unsigned char **out, size_t *outlen)
{
    edge_assert (out && outlen);
    *out = NULL;
    *outlen = 0;
    if (!text)
        return -1;
    size_t len = strlen (text);
    size_t pad = 0;
    while (pad < len && pad < 3 && text[len - 1 - pad] == '=')
        pad++;
    //  Padding is optional, but when present it must complete a quantum
    if (pad > 2 || (pad && len % 4 != 0))
        return -1;
    return s_b64_decode_bare (text, len - pad, false, out, outlen);
}


char *
edge_b64url_encode (const unsigned char *data, size_t len)
{
    return s_b64_encode (data, len, s_b64url_alphabet, false);
}


int
edge_b64url_decode (const char *text,
                    size_t textlen,
                    unsigned char **out,
                    size_t *outlen)
{
    edge_assert (out && outlen);
    *out = NULL;
    *outlen = 0;
    if (!text)
        return -1;
    //  '=' is outside the url alphabet, so padding fails like any bad char
    return s_b64_decode_bare (text, textlen, true, out, outlen);
}
