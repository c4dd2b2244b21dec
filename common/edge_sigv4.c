/*  edge_sigv4 - AWS Signature Version 4 for S3 (header-based). The steps
    follow the S3 documentation: canonical request -> string to sign ->
    signing key (HMAC-SHA256 chain over date, region, service,
    "aws4_request") -> signature. Header values are signed as given (the
    caller trims them); S3 canonical URIs are encoded once, never
    normalised.  */
#include "edge_sigv4.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

//  A growing string.
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} s_str_t;


static void
s_str_add (s_str_t *s, const char *text, size_t len)
{
    s->data = edge_grow (s->data, &s->cap, s->len + len + 1, 256, 1);
    memcpy (s->data + s->len, text, len);
    s->len += len;
    s->data[s->len] = '\0';
}


static void
s_str_cat (s_str_t *s, const char *text)
{
    s_str_add (s, text, strlen (text));
}


static int
s_header_cmp (const void *a, const void *b)
{
    const edge_sigv4_header_t *ha = a;
    const edge_sigv4_header_t *hb = b;
    return strcmp (ha->name, hb->name);
}


//  Copy of the headers sorted by name. Caller frees.
static edge_sigv4_header_t *
s_sorted_headers (const edge_sigv4_request_t *req)
{
    edge_sigv4_header_t *sorted =
        edge_calloc (req->nheaders ? req->nheaders : 1, sizeof *sorted);
    if (req->nheaders)
        memcpy (sorted, req->headers, req->nheaders * sizeof *sorted);
    qsort (sorted, req->nheaders, sizeof *sorted, s_header_cmp);
    return sorted;
}


static void
s_signed_headers (s_str_t *s, const edge_sigv4_header_t *sorted, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            s_str_cat (s, ";");
        s_str_cat (s, sorted[i].name);
    }
}


char *
edge_sigv4_uri_encode (const char *text, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    s_str_t s = {NULL, 0, 0};
    s_str_add (&s, "", 0);
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        unsigned char c = *p;
        bool is_plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                        || (c >= '0' && c <= '9') || c == '-' || c == '.'
                        || c == '_' || c == '~' || (c == '/' && keep_slash);
        if (is_plain)
            s_str_add (&s, (const char *) p, 1);
        else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            s_str_add (&s, esc, 3);
        }
    }
    return s.data;
}


void
edge_sigv4_amz_date (int64_t t, char *buf, size_t size)
{
    time_t secs = (time_t) t;
    struct tm tm;
    gmtime_r (&secs, &tm);
    strftime (buf, size, "%Y%m%dT%H%M%SZ", &tm);
}


char *
edge_sigv4_canonical_request (const edge_sigv4_request_t *req)
{
    edge_assert (req && req->method && req->canonical_uri);
    edge_assert (req->payload_hash);
    edge_sigv4_header_t *sorted = s_sorted_headers (req);
    s_str_t s = {NULL, 0, 0};
    s_str_cat (&s, req->method);
    s_str_cat (&s, "\n");
    s_str_cat (&s, req->canonical_uri);
    s_str_cat (&s, "\n");
    s_str_cat (&s, req->canonical_query ? req->canonical_query : "");
    s_str_cat (&s, "\n");
    for (size_t i = 0; i < req->nheaders; i++) {
        s_str_cat (&s, sorted[i].name);
        s_str_cat (&s, ":");
        s_str_cat (&s, sorted[i].value);
        s_str_cat (&s, "\n");
    }
    s_str_cat (&s, "\n");
    s_signed_headers (&s, sorted, req->nheaders);
    s_str_cat (&s, "\n");
    s_str_cat (&s, req->payload_hash);
    free (sorted);
    return s.data;
}


//  "<yyyymmdd>/<region>/<service>/aws4_request". Caller owns the result.
static char *
s_scope (const edge_sigv4_creds_t *creds, const char *amz_date)
{
    return edge_sprintf ("%.8s/%s/%s/aws4_request", amz_date, creds->region,
                         creds->service);
}


char *
edge_sigv4_string_to_sign (const edge_sigv4_creds_t *creds,
                           const char *amz_date,
                           const char *canonical_request)
{
    char hash[65];
    edge_sha256_hex (canonical_request, strlen (canonical_request), hash);
    char *scope = s_scope (creds, amz_date);
    char *result =
        edge_sprintf ("AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, hash);
    free (scope);
    return result;
}


void
edge_sigv4_signing_key (const edge_sigv4_creds_t *creds,
                        const char *amz_date,
                        unsigned char key[32])
{
    edge_assert (creds && creds->secret_access_key && amz_date);
    edge_assert (strlen (amz_date) >= 8);
    char *k_secret = edge_sprintf ("AWS4%s", creds->secret_access_key);
    unsigned char k_date[32], k_region[32], k_service[32];
    edge_hmac_sha256 (k_secret, strlen (k_secret), amz_date, 8, k_date);
    edge_hmac_sha256 (k_date, 32, creds->region, strlen (creds->region),
                      k_region);
    edge_hmac_sha256 (k_region, 32, creds->service, strlen (creds->service),
                      k_service);
    edge_hmac_sha256 (k_service, 32, "aws4_request", 12, key);
    //  Wipe the secret-derived intermediates before freeing.
    memset (k_secret, 0, strlen (k_secret));
    free (k_secret);
    memset (k_date, 0, sizeof k_date);
    memset (k_region, 0, sizeof k_region);
    memset (k_service, 0, sizeof k_service);
}


char *
edge_sigv4_authorization (const edge_sigv4_creds_t *creds,
                          const edge_sigv4_request_t *req)
{
    edge_assert (creds && creds->access_key_id && req && req->amz_date);
    char *canonical = edge_sigv4_canonical_request (req);
    char *to_sign = edge_sigv4_string_to_sign (creds, req->amz_date, canonical);
    unsigned char key[32], sig[32];
    edge_sigv4_signing_key (creds, req->amz_date, key);
    edge_hmac_sha256 (key, 32, to_sign, strlen (to_sign), sig);
    memset (key, 0, sizeof key);
    char sig_hex[65];
    edge_hex (sig, 32, sig_hex);

    edge_sigv4_header_t *sorted = s_sorted_headers (req);
    s_str_t names = {NULL, 0, 0};
    s_signed_headers (&names, sorted, req->nheaders);
    char *scope = s_scope (creds, req->amz_date);
    char *result = edge_sprintf (
        "AWS4-HMAC-SHA256 Credential=%s/%s,SignedHeaders=%s,Signature=%s",
        creds->access_key_id, scope, names.data ? names.data : "", sig_hex);
    free (scope);
    free (names.data);
    free (sorted);
    free (to_sign);
    free (canonical);
    return result;
}
