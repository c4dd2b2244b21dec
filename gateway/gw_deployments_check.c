/*  gw_deployments_check - a deployment's settings, checked.  */
#include "gw_deployments_check.h"
#include "edge_store.h"
#include "edge_util.h"
#include "gw_deployments.h"
#include "gw_url.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


//  originPrefix: a relative key prefix: printable ASCII without '\', no
//  leading '/', no empty, '.' or '..' segment.
static int
s_check_prefix (const char *prefix, edge_json_err_t *err)
{
    bool is_ok = prefix[0] != '/';
    for (const char *p = prefix; *p && is_ok; p++)
        is_ok = *p > 0x20 && *p < 0x7f && *p != '\\';
    for (const char *seg = prefix; is_ok && *prefix;) {
        size_t len = strcspn (seg, "/");
        is_ok = len > 0 && !(len == 1 && seg[0] == '.')
                && !(len == 2 && seg[0] == '.' && seg[1] == '.');
        if (!seg[len] || (seg[len] == '/' && !seg[len + 1]))
            break; //  a trailing '/' is allowed
        seg += len + 1;
    }
    if (is_ok)
        return 0;
    return edge_json_err_set (err, 400, "invalid_field", "originPrefix",
                              "field 'originPrefix' must be a relative path "
                              "of printable characters without empty, '.' "
                              "or '..' segments");
}


//  fs.path: absolute, no '..' segment.
static int
s_check_path (const char *path, edge_json_err_t *err)
{
    bool is_ok = path[0] == '/';
    for (const char *p = path; *p && is_ok; p++)
        is_ok = (unsigned char) *p >= 0x20 && *p != 0x7f;
    for (const char *seg = path + 1; is_ok;) {
        size_t len = strcspn (seg, "/");
        is_ok = !(len == 2 && seg[0] == '.' && seg[1] == '.');
        if (!seg[len])
            break;
        seg += len + 1;
    }
    if (is_ok)
        return 0;
    return edge_json_err_set (err, 400, "invalid_field", "fs.path",
                              "field 'fs.path' must be an absolute path "
                              "without '..' segments");
}


//  The endpoint's shape: host[:port] (meaning https) or
//  http(s)://host[:port][/], no credentials, query, path or bucket
//  (virtual-hosted style); url is its URL form. Returns 0, or -1 with err
//  set.
static int
s_check_endpoint_shape (const char *url,
                        const char *bucket,
                        edge_json_err_t *err)
{
    const char *rest = NULL;
    if (strncmp (url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncmp (url, "https://", 8) == 0)
        rest = url + 8;
    if (!rest)
        return edge_json_err_set (err, 400, "invalid_field", "s3.endpoint",
                                  "field 's3.endpoint' must be host[:port] "
                                  "or an http or https URL");
    size_t authority = strcspn (rest, "/?#");
    const char *tail = rest + authority;
    if (!authority || memchr (rest, '@', authority)
        || (*tail && strcmp (tail, "/") != 0))
        return edge_json_err_set (err, 400, "invalid_field", "s3.endpoint",
                                  "field 's3.endpoint' must be "
                                  "[scheme://]host[:port] without "
                                  "credentials, path or query");
    size_t blen = bucket ? strlen (bucket) : 0;
    if (blen && authority > blen && strncasecmp (rest, bucket, blen) == 0
        && rest[blen] == '.')
        return edge_json_err_set (err, 400, "invalid_field", "s3.endpoint",
                                  "field 's3.endpoint' must not contain the "
                                  "bucket name");
    return 0;
}


//  The endpoint's URL form passes the URL guard (EDGE_URL_ALLOW).
static int
s_check_endpoint_guard (const gw_ctx_t *ctx,
                        const char *url,
                        edge_json_err_t *err)
{
    char why[256];
    edge_err_t rc = gw_url_guard (ctx->config->url_allow, url, why, sizeof why);
    if (rc == EDGE_ERR_OK)
        return 0;
    if (rc == EDGE_ERR_URL_BAD || rc == EDGE_ERR_URL_SCHEME)
        return edge_json_err_set (err, 400, "invalid_field", "s3.endpoint",
                                  "field 's3.endpoint' must be host[:port] "
                                  "or an http or https URL: %s",
                                  why);
    return edge_json_err_set (err, 422, "url_refused", "s3.endpoint",
                              "s3 endpoint refused: %s", why);
}


//  Bucket: [a-z0-9.-], starting and ending with a letter or digit; region:
//  [A-Za-z0-9-]; key id: printable ASCII. Lengths are checked by the JSON
//  table.
static int
s_check_s3_text (const gw_deployments_dep_t *dep, edge_json_err_t *err)
{
    const char *b = dep->bucket;
    size_t blen = strlen (b);
    if (b[strspn (b, "abcdefghijklmnopqrstuvwxyz0123456789.-")] || b[0] == '.'
        || b[0] == '-' || b[blen - 1] == '.' || b[blen - 1] == '-')
        return edge_json_err_set (err, 400, "invalid_field", "s3.bucket",
                                  "field 's3.bucket' must be an S3 bucket "
                                  "name (a-z, 0-9, '.', '-')");
    if (dep->region[strspn (dep->region, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "abcdefghijklmnopqrstuvwxyz"
                                         "0123456789-")])
        return edge_json_err_set (err, 400, "invalid_field", "s3.region",
                                  "field 's3.region' must be made of letters, "
                                  "digits and '-'");
    for (const char *p = dep->key_id; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return edge_json_err_set (err, 400, "invalid_field",
                                      "s3.accessKeyId",
                                      "field 's3.accessKeyId' must be "
                                      "printable ASCII without spaces");
    if (strcmp (dep->secret, GW_DEPLOYMENTS_MASK) == 0)
        return edge_json_err_set (err, 400, "invalid_field",
                                  "s3.secretAccessKey",
                                  "field 's3.secretAccessKey' is the mask "
                                  "shown on reads, not a secret");
    return 0;
}


//  The merged settings are complete and valid. The endpoint goes through
//  the URL guard only when is_new_endpoint (create, or a patch giving it).
int
gw_deployments_check (const gw_ctx_t *ctx,
                      const gw_deployments_dep_t *dep,
                      bool is_new_endpoint,
                      edge_json_err_t *err)
{
    if (s_check_prefix (dep->prefix, err))
        return -1;
    if (strcmp (dep->kind, "fs") == 0) {
        if (!dep->path)
            return edge_json_err_set (err, 400, "missing_field", "fs.path",
                                      "field 'fs.path' is required for kind "
                                      "'fs'");
        return s_check_path (dep->path, err);
    }
    const char *names[] = {"endpoint", "region", "bucket", "accessKeyId",
                           "secretAccessKey"};
    const char *values[] = {dep->endpoint, dep->region, dep->bucket,
                            dep->key_id, dep->secret};
    for (size_t i = 0; i < EDGE_COUNT (names); i++) {
        char field[32];
        snprintf (field, sizeof field, "s3.%s", names[i]);
        if (!values[i])
            return edge_json_err_set (err, 400, "missing_field", field,
                                      "field '%s' is required for kind 's3'",
                                      field);
    }
    if (s_check_s3_text (dep, err))
        return -1;
    char *url = edge_store_s3_endpoint_url (dep->endpoint);
    int rc = s_check_endpoint_shape (url, dep->bucket, err);
    if (rc == 0 && is_new_endpoint)
        rc = s_check_endpoint_guard (ctx, url, err);
    free (url);
    return rc;
}
