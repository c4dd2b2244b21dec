/*  edge_store_s3 - the S3 side of edge_store: one libcurl easy handle per
    store (connections are reused), every request signed with edge_sigv4
    on a path-style URL (endpoint/bucket/key). Puts from files stream with
    UNSIGNED-PAYLOAD; above the threshold as a multipart upload that is
    aborted if any step fails. Gets stream into a temporary file renamed
    into place. Answers are read with a few bounded substring searches
    for <Tag>text</Tag>, never a general XML parser.  */
#include "edge_store_int.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_log.h"
#include "edge_sigv4.h"
#include "edge_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define S_ERR_BODY_MAX (64u << 10) //  kept of an error answer
#define S_XML_BODY_MAX (32u << 20) //  kept of an XML answer

//  One S3 request and its answer.
typedef struct {
    edge_store_t *store;
    const char *method;       //  "GET", "PUT", ...
    const char *key;          //  for messages ("" for bucket requests)
    char *path;               //  encoded "/bucket/key"; owned
    const char *query;        //  canonical query or ""
    const char *payload_hash; //  hex or UNSIGNED-PAYLOAD
    bool has_body;            //  send a body (PUT/POST)
    const char *body_mem;     //  body from memory, or
    int body_fd;              //  body from this file at body_off
    uint64_t body_off;
    uint64_t body_left;    //  bytes still to send
    bool is_read_failed;   //  reading the body file failed
    int out_fd;            //  2xx body goes here if >= 0, else to resp
    bool is_write_failed;  //  writing out_fd failed
    edge_store_buf_t resp; //  answer body (bounded)
    size_t resp_max;
    char etag[160]; //  ETag response header
    long status;    //  HTTP status
} s_req_t;


void
edge_store_buf_add (edge_store_buf_t *b, const char *data, size_t len)
{
    b->data = edge_grow (b->data, &b->cap, b->len + len + 1, 1024, 1);
    memcpy (b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}


static void
s_buf_cat (edge_store_buf_t *b, const char *text)
{
    edge_store_buf_add (b, text, strlen (text));
}


//  ---------------------------------------------------------------------
//  Minimal XML reading: bounded search for <tag>...</tag>

static const char *
s_find (const char *from, const char *end, const char *needle)
{
    size_t n = strlen (needle);
    for (const char *p = from; p && (size_t) (end - p) >= n; p++) {
        p = memchr (p, needle[0], (size_t) (end - p));
        if (!p || (size_t) (end - p) < n)
            return NULL;
        if (memcmp (p, needle, n) == 0)
            return p;
    }
    return NULL;
}


//  Find <tag>inner</tag> in [from, end). Sets *inner/*inner_end and
//  returns the position after the closing tag, or NULL.
static const char *
s_xml_element (const char *from,
               const char *end,
               const char *tag,
               const char **inner,
               const char **inner_end)
{
    char open[64], close[64];
    snprintf (open, sizeof open, "<%s>", tag);
    snprintf (close, sizeof close, "</%s>", tag);
    const char *start = s_find (from, end, open);
    if (!start)
        return NULL;
    *inner = start + strlen (open);
    *inner_end = s_find (*inner, end, close);
    if (!*inner_end)
        return NULL;
    return *inner_end + strlen (close);
}


//  Decode XML text (the five entities and numeric references) into a new
//  string, or NULL when malformed. Caller owns the result.
static char *
s_xml_decode (const char *p, const char *end)
{
    static const char *names[] = {"amp;", "lt;", "gt;", "quot;", "apos;"};
    static const char chars[] = "&<>\"'";
    edge_store_buf_t out = {NULL, 0, 0};
    edge_store_buf_add (&out, "", 0);
    while (p < end) {
        if (*p != '&') {
            edge_store_buf_add (&out, p++, 1);
            continue;
        }
        const char *semi = memchr (p, ';', (size_t) (end - p));
        size_t n = semi ? (size_t) (semi - p) : 0;
        int i = 0;
        for (; i < 5; i++)
            if (n == strlen (names[i]) && memcmp (p + 1, names[i], n) == 0)
                break;
        if (i < 5)
            edge_store_buf_add (&out, &chars[i], 1);
        else if (n >= 3 && n <= 8 && p[1] == '#') {
            bool is_hex = p[2] == 'x';
            char num[8] = "";
            memcpy (num, p + 2 + is_hex, n - 2 - is_hex);
            char *stop;
            unsigned long c = strtoul (num, &stop, is_hex ? 16 : 10);
            if (*stop || !num[0] || c == 0 || c > 0x7f)
                goto malformed; //  our keys are ASCII
            char ch = (char) c;
            edge_store_buf_add (&out, &ch, 1);
        }
        else
            goto malformed;
        p = semi + 1;
    }
    return out.data;
malformed:
    free (out.data);
    return NULL;
}


//  Decoded text of the first <tag> in [from, end), or NULL. Caller owns.
static char *
s_xml_text (const char *from, const char *end, const char *tag)
{
    const char *inner, *inner_end;
    if (!s_xml_element (from, end, tag, &inner, &inner_end))
        return NULL;
    return s_xml_decode (inner, inner_end);
}


//  ---------------------------------------------------------------------
//  S3 requests

static size_t
s_read_cb (char *buf, size_t size, size_t nitems, void *arg)
{
    s_req_t *req = arg;
    size_t want = size * nitems;
    if (want > req->body_left)
        want = (size_t) req->body_left;
    if (want == 0)
        return 0;
    if (req->body_mem) {
        memcpy (buf, req->body_mem + req->body_off, want);
        req->body_off += want;
        req->body_left -= want;
        return want;
    }
    ssize_t n;
    do
        n = pread (req->body_fd, buf, want, (off_t) req->body_off);
    while (n == -1 && errno == EINTR);
    if (n <= 0) {
        req->is_read_failed = true;
        return CURL_READFUNC_ABORT;
    }
    req->body_off += (uint64_t) n;
    req->body_left -= (uint64_t) n;
    return (size_t) n;
}


static size_t
s_write_cb (char *data, size_t size, size_t nmemb, void *arg)
{
    s_req_t *req = arg;
    size_t len = size * nmemb;
    long status = 0;
    curl_easy_getinfo (req->store->curl, CURLINFO_RESPONSE_CODE, &status);
    if (req->out_fd >= 0 && status >= 200 && status < 300) {
        if (edge_store_write_all (req->out_fd, data, len) == -1) {
            req->is_write_failed = true;
            return 0;
        }
        return len;
    }
    if (req->resp.len + len > req->resp_max)
        return 0; //  larger than any answer we expect
    edge_store_buf_add (&req->resp, data, len);
    return len;
}


static size_t
s_header_cb (char *data, size_t size, size_t nitems, void *arg)
{
    s_req_t *req = arg;
    size_t len = size * nitems;
    if (len > 5 && strncasecmp (data, "etag:", 5) == 0) {
        const char *v = data + 5;
        size_t n = len - 5;
        while (n && (*v == ' ' || *v == '\t'))
            v++, n--;
        while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
            n--;
        if (n < sizeof req->etag) {
            memcpy (req->etag, v, n);
            req->etag[n] = '\0';
        }
    }
    return len;
}


//  Signed headers for req, as a curl list. Caller frees.
static struct curl_slist *
s_s3_headers (edge_store_t *self, s_req_t *req)
{
    char amz_date[20];
    edge_sigv4_amz_date ((int64_t) time (NULL), amz_date, sizeof amz_date);
    edge_sigv4_header_t signed_headers[] = {
        {"host", self->host},
        {"x-amz-content-sha256", req->payload_hash},
        {"x-amz-date", amz_date},
    };
    edge_sigv4_creds_t creds = {self->access_key_id, self->secret, self->region,
                                "s3"};
    edge_sigv4_request_t sreq = {req->method,    req->path, req->query,
                                 signed_headers, 3,         req->payload_hash,
                                 amz_date};
    char *auth = edge_sigv4_authorization (&creds, &sreq);
    struct curl_slist *list = NULL;
    char *lines[] = {
        edge_sprintf ("Host: %s", self->host),
        edge_sprintf ("x-amz-content-sha256: %s", req->payload_hash),
        edge_sprintf ("x-amz-date: %s", amz_date),
        edge_sprintf ("Authorization: %s", auth),
        edge_strdup ("Expect:"),
        edge_strdup (req->has_body ? "Content-Type: application/octet-stream"
                                   : "Content-Type:"),
    };
    for (size_t i = 0; i < EDGE_COUNT (lines); i++) {
        list = curl_slist_append (list, lines[i]);
        edge_assert (list);
        free (lines[i]);
    }
    free (auth);
    return list;
}


static void
s_s3_setopts (edge_store_t *self, s_req_t *req, char *url, char *errbuf)
{
    CURL *c = self->curl;
    curl_easy_reset (c);
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS,
                      (long) self->connect_timeout_ms);
    curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1L); //  stalled for
    curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME, 60L); //  60 s: give up
    if (self->timeout_ms > 0)
        curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_write_cb);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, req);
    curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, s_header_cb);
    curl_easy_setopt (c, CURLOPT_HEADERDATA, req);
    if (strcmp (req->method, "HEAD") == 0)
        curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
    else if (req->has_body) {
        curl_easy_setopt (c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt (c, CURLOPT_READFUNCTION, s_read_cb);
        curl_easy_setopt (c, CURLOPT_READDATA, req);
        curl_easy_setopt (c, CURLOPT_INFILESIZE_LARGE,
                          (curl_off_t) req->body_left);
        curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, req->method);
    }
    else if (strcmp (req->method, "GET") != 0)
        curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, req->method);
}


//  Turn a non-2xx answer into err/errstr, with S3's <Code> and <Message>.
static int
s_s3_http_error (edge_store_t *self, s_req_t *req)
{
    const char *end = req->resp.data ? req->resp.data + req->resp.len : NULL;
    char *code = end ? s_xml_text (req->resp.data, end, "Code") : NULL;
    char *message = end ? s_xml_text (req->resp.data, end, "Message") : NULL;
    //  A missing bucket is a deployment error, not a missing object.
    bool is_missing =
        req->status == 404 && (!code || strcmp (code, "NoSuchKey") == 0);
    edge_err_t err = is_missing ? EDGE_ERR_NOT_FOUND : EDGE_ERR_STORE_HTTP;
    edge_store_fail (self, err, (int) req->status,
                     "s3 %s \"%.64s\": HTTP %ld%s%.40s%s%.100s", req->method,
                     req->key, req->status, code ? " " : "", code ? code : "",
                     message ? ": " : "", message ? message : "");
    free (code);
    free (message);
    return -1;
}


//  Send req. Returns 0 on a 2xx answer, else -1 with the error set.
static int
s_s3_perform (edge_store_t *self, s_req_t *req)
{
    req->store = self;
    if (!req->resp_max)
        req->resp_max = S_ERR_BODY_MAX;
    char *url = edge_sprintf ("%s%s%s%s", self->endpoint, req->path,
                              req->query[0] ? "?" : "", req->query);
    char errbuf[CURL_ERROR_SIZE] = "";
    s_s3_setopts (self, req, url, errbuf);
    struct curl_slist *headers = s_s3_headers (self, req);
    curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform (self->curl);
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &req->status);
    curl_slist_free_all (headers);
    free (url);
    edge_debug ("store: s3 %s %s%s%s -> %ld", req->method, req->path,
                req->query[0] ? "?" : "", req->query, req->status);
    if (req->is_read_failed || req->is_write_failed)
        return edge_store_fail (
            self, EDGE_ERR_STORE_IO, 0, "s3 %s \"%.64s\": local %s failed",
            req->method, req->key, req->is_read_failed ? "read" : "write");
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && req->status >= 300))
        return edge_store_fail (self, EDGE_ERR_STORE_CONNECT, 0,
                                "s3 %s \"%.64s\": %.120s", req->method,
                                req->key,
                                errbuf[0] ? errbuf : curl_easy_strerror (rc));
    if (req->status < 200 || req->status >= 300)
        return s_s3_http_error (self, req);
    return 0;
}


//  Set up req for key ("" for the bucket itself).
static void
s_s3_req_init (edge_store_t *self,
               s_req_t *req,
               const char *method,
               const char *key,
               const char *query)
{
    memset (req, 0, sizeof *req);
    req->method = method;
    req->key = key;
    req->query = query ? query : "";
    req->payload_hash = EDGE_SIGV4_EMPTY_SHA256;
    req->body_fd = -1;
    req->out_fd = -1;
    if (key[0]) {
        char *full = edge_sprintf ("%s%s", self->prefix, key);
        char *enc = edge_sigv4_uri_encode (full, true);
        req->path = edge_sprintf ("/%s/%s", self->bucket, enc);
        free (enc);
        free (full);
    }
    else
        req->path = edge_sprintf ("/%s", self->bucket);
}


static void
s_s3_req_fini (s_req_t *req)
{
    free (req->path);
    free (req->resp.data);
}


//  PUT the body (fd range or memory) as one object or part.
int
edge_store_s3_put_body (edge_store_t *self,
                        const char *key,
                        const char *query,
                        int fd,
                        uint64_t off,
                        const void *data,
                        uint64_t len,
                        char *etag_out,
                        size_t etag_size)
{
    s_req_t req;
    s_s3_req_init (self, &req, "PUT", key, query);
    req.has_body = true;
    req.body_fd = fd;
    req.body_mem = data;
    req.body_off = data ? 0 : off;
    req.body_left = len;
    char hash[65];
    if (data) {
        edge_sha256_hex (data, len, hash);
        req.payload_hash = hash;
    }
    else
        req.payload_hash = EDGE_SIGV4_UNSIGNED_PAYLOAD;
    int rc = s_s3_perform (self, &req);
    if (rc == 0 && etag_out)
        snprintf (etag_out, etag_size, "%s", req.etag);
    s_s3_req_fini (&req);
    return rc;
}


//  POST to key with query and an in-memory body; the answer stays in
//  req (caller finishes it). Returns 0 or -1.
static int
s_s3_post (edge_store_t *self,
           s_req_t *req,
           const char *key,
           const char *query,
           const char *body)
{
    s_s3_req_init (self, req, "POST", key, query);
    char hash[65];
    edge_sha256_hex (body, strlen (body), hash);
    req->payload_hash = hash;
    req->has_body = true;
    req->body_mem = body;
    req->body_left = strlen (body);
    req->resp_max = S_XML_BODY_MAX;
    int rc = s_s3_perform (self, req);
    req->payload_hash = NULL;
    //  CompleteMultipartUpload may answer 200 with an <Error> inside.
    if (rc == 0 && req->resp.data
        && s_find (req->resp.data, req->resp.data + req->resp.len, "<Error>"))
        rc = s_s3_http_error (self, req);
    return rc;
}


//  "uploadId=<encoded id>", with "partNumber=<part>&" before it when
//  part > 0. Caller frees.
static char *
s_upload_query (const char *upload_id, int part)
{
    char *enc_id = edge_sigv4_uri_encode (upload_id, false);
    char *query = part > 0
                      ? edge_sprintf ("partNumber=%d&uploadId=%s", part, enc_id)
                      : edge_sprintf ("uploadId=%s", enc_id);
    free (enc_id);
    return query;
}


uint64_t
edge_store_s3_part_size (edge_store_t *self, const char *key, uint64_t size)
{
    uint64_t part_size = edge_store_part_size (size, self->part_size);
    if (part_size == 0)
        edge_store_fail (self, EDGE_ERR_STORE_PROTOCOL, 0,
                         "s3 PUT \"%.64s\": %llu bytes is more than one S3 "
                         "object can hold",
                         key, (unsigned long long) size);
    return part_size;
}


char *
edge_store_s3_mp_create (edge_store_t *self, const char *key)
{
    s_req_t req;
    int rc = s_s3_post (self, &req, key, "uploads=", "");
    char *upload_id = NULL;
    if (rc == 0) {
        upload_id = s_xml_text (req.resp.data, req.resp.data + req.resp.len,
                                "UploadId");
        if (!upload_id || !upload_id[0]) {
            edge_store_fail (self, EDGE_ERR_STORE_PROTOCOL, (int) req.status,
                             "s3 POST \"%.64s\": no UploadId in the answer",
                             key);
            free (upload_id);
            upload_id = NULL;
        }
    }
    s_s3_req_fini (&req);
    return upload_id;
}


int
edge_store_s3_mp_part (edge_store_t *self,
                       const char *key,
                       const char *upload_id,
                       int part,
                       int fd,
                       uint64_t off,
                       const void *data,
                       uint64_t len,
                       edge_store_buf_t *parts)
{
    char *query = s_upload_query (upload_id, part);
    char etag[160] = "";
    int rc = edge_store_s3_put_body (self, key, query, fd, off, data, len, etag,
                                     sizeof etag);
    free (query);
    if (rc == -1)
        return -1;
    if (!etag[0] || strpbrk (etag, "<>&"))
        return edge_store_fail (self, EDGE_ERR_STORE_PROTOCOL, 0,
                                "s3 PUT \"%.64s\" part %d: no usable ETag", key,
                                part);
    char *entry = edge_sprintf (
        "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", part, etag);
    s_buf_cat (parts, entry);
    free (entry);
    return 0;
}


int
edge_store_s3_mp_complete (edge_store_t *self,
                           const char *key,
                           const char *upload_id,
                           const edge_store_buf_t *parts)
{
    char *query = s_upload_query (upload_id, 0);
    char *xml =
        edge_sprintf ("<CompleteMultipartUpload>%s</CompleteMultipartUpload>",
                      parts->data ? parts->data : "");
    s_req_t req;
    int rc = s_s3_post (self, &req, key, query, xml);
    s_s3_req_fini (&req);
    free (xml);
    free (query);
    return rc;
}


int
edge_store_s3_mp_abort (edge_store_t *self,
                        const char *key,
                        const char *upload_id)
{
    char *query = s_upload_query (upload_id, 0);
    s_req_t req;
    s_s3_req_init (self, &req, "DELETE", key, query);
    int rc = s_s3_perform (self, &req);
    bool is_gone = req.status == 404 && req.resp.data
                   && strstr (req.resp.data, "NoSuchUpload");
    //  s3rver 3.x answers 405 MethodNotAllowed: it cannot abort uploads.
    bool is_unsupported = req.status == 405 || req.status == 501;
    if (rc == -1 && is_unsupported)
        edge_warn ("store: the server cannot abort the multipart upload of "
                   "%.200s (HTTP %ld): its parts stay until a bucket "
                   "lifecycle rule removes them",
                   key, req.status);
    if (rc == -1 && (is_gone || is_unsupported)) {
        edge_store_reset (self);
        rc = 0;
    }
    s_s3_req_fini (&req);
    free (query);
    return rc;
}


void
edge_store_s3_mp_discard (edge_store_t *self,
                          const char *key,
                          const char *upload_id)
{
    //  Keep the error that made us abort, not the abort's own.
    edge_err_t err = self->err;
    int status = self->http_status;
    char errstr[sizeof self->errstr];
    memcpy (errstr, self->errstr, sizeof errstr);
    if (edge_store_s3_mp_abort (self, key, upload_id) == -1)
        edge_warn ("store: could not abort multipart upload of %s: %s", key,
                   self->errstr);
    self->err = err;
    self->http_status = status;
    memcpy (self->errstr, errstr, sizeof errstr);
}


static int
s_s3_put_multipart (edge_store_t *self,
                    const char *key,
                    int fd,
                    uint64_t size,
                    uint64_t part_size)
{
    char *upload_id = edge_store_s3_mp_create (self, key);
    if (!upload_id)
        return -1;
    edge_store_buf_t parts = {NULL, 0, 0};
    uint64_t off = 0;
    int rc = 0;
    for (int part = 1; rc == 0 && off < size; part++) {
        uint64_t len = size - off < part_size ? size - off : part_size;
        rc = edge_store_s3_mp_part (self, key, upload_id, part, fd, off, NULL,
                                    len, &parts);
        off += len;
    }
    if (rc == 0)
        rc = edge_store_s3_mp_complete (self, key, upload_id, &parts);
    if (rc == -1)
        edge_store_s3_mp_discard (self, key, upload_id);
    free (parts.data);
    free (upload_id);
    return rc;
}


int
edge_store_s3_put_file (edge_store_t *self,
                        const char *key,
                        int fd,
                        uint64_t size)
{
    if (size > self->threshold) {
        uint64_t part_size = edge_store_s3_part_size (self, key, size);
        return part_size ? s_s3_put_multipart (self, key, fd, size, part_size)
                         : -1;
    }
    return edge_store_s3_put_body (self, key, "", fd, 0, NULL, size, NULL, 0);
}


int
edge_store_s3_get_file (edge_store_t *self, const char *key, const char *dest)
{
    char *tmp = NULL;
    int fd = edge_store_tmp_open (self, dest, &tmp);
    if (fd == -1)
        return -1;
    s_req_t req;
    s_s3_req_init (self, &req, "GET", key, "");
    req.out_fd = fd;
    int rc = s_s3_perform (self, &req);
    s_s3_req_fini (&req);
    if (rc == -1) {
        edge_store_tmp_abort (fd, tmp);
        return -1;
    }
    return edge_store_tmp_commit (self, fd, tmp, dest);
}


int
edge_store_s3_head (edge_store_t *self,
                    const char *key,
                    bool *exists,
                    uint64_t *size)
{
    s_req_t req;
    s_s3_req_init (self, &req, "HEAD", key, "");
    int rc = s_s3_perform (self, &req);
    curl_off_t length = -1;
    curl_easy_getinfo (self->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    *exists = rc == 0;
    if (rc == -1 && req.status == 404) {
        edge_store_reset (self);
        rc = 0;
    }
    else if (rc == 0 && length < 0)
        rc = edge_store_fail (self, EDGE_ERR_STORE_PROTOCOL, (int) req.status,
                              "s3 HEAD \"%.64s\": no Content-Length", key);
    if (size)
        *size = *exists && length > 0 ? (uint64_t) length : 0;
    s_s3_req_fini (&req);
    return rc;
}


int
edge_store_s3_delete (edge_store_t *self, const char *key)
{
    s_req_t req;
    s_s3_req_init (self, &req, "DELETE", key, "");
    int rc = s_s3_perform (self, &req);
    if (rc == -1 && req.status == 404 && self->err == EDGE_ERR_NOT_FOUND
        && req.resp.data && strstr (req.resp.data, "NoSuchKey")) {
        edge_store_reset (self);
        rc = 0;
    }
    s_s3_req_fini (&req);
    return rc;
}


//  Report the <Contents> of one ListObjectsV2 page. Returns 0 or -1.
static int
s_s3_list_page (edge_store_t *self,
                const char *p,
                const char *end,
                edge_store_list_fn *fn,
                void *arg)
{
    const char *inner, *inner_end;
    size_t plen = strlen (self->prefix);
    int rc = 0;
    while (rc == 0
           && (p = s_xml_element (p, end, "Contents", &inner, &inner_end))) {
        char *key = s_xml_text (inner, inner_end, "Key");
        char *size = s_xml_text (inner, inner_end, "Size");
        char *stop = NULL;
        unsigned long long n = size ? strtoull (size, &stop, 10) : 0;
        if (!key || !size || !size[0] || *stop)
            rc = edge_store_fail (self, EDGE_ERR_STORE_PROTOCOL, 200,
                                  "s3 list: malformed <Contents>");
        else if (strncmp (key, self->prefix, plen) == 0 && key[plen])
            rc = fn (key + plen, (uint64_t) n, arg);
        free (key);
        free (size);
    }
    return rc;
}


int
edge_store_s3_list (edge_store_t *self,
                    const char *prefix,
                    edge_store_list_fn *fn,
                    void *arg)
{
    char *full = edge_sprintf ("%s%s", self->prefix, prefix);
    char *enc_prefix = edge_sigv4_uri_encode (full, false);
    char *token = NULL;
    int rc = 0;
    do {
        char *enc_token = token ? edge_sigv4_uri_encode (token, false) : NULL;
        char *query = edge_sprintf ("%s%s%slist-type=2&max-keys=%d&prefix=%s",
                                    token ? "continuation-token=" : "",
                                    token ? enc_token : "", token ? "&" : "",
                                    self->list_page, enc_prefix);
        free (enc_token);
        free (token);
        token = NULL;
        s_req_t req;
        s_s3_req_init (self, &req, "GET", "", query);
        req.resp_max = S_XML_BODY_MAX;
        rc = s_s3_perform (self, &req);
        const char *body = req.resp.data, *end = body + req.resp.len;
        if (rc == 0 && !body)
            rc = edge_store_fail (self, EDGE_ERR_STORE_PROTOCOL, 200,
                                  "s3 list: empty answer");
        if (rc == 0)
            rc = s_s3_list_page (self, body, end, fn, arg);
        if (rc == 0) {
            char *truncated = s_xml_text (body, end, "IsTruncated");
            if (truncated && strcmp (truncated, "true") == 0) {
                token = s_xml_text (body, end, "NextContinuationToken");
                if (!token || !token[0])
                    rc = edge_store_fail (self, EDGE_ERR_STORE_PROTOCOL, 200,
                                          "s3 list: truncated without a token");
            }
            free (truncated);
        }
        s_s3_req_fini (&req);
        free (query);
    } while (rc == 0 && token);
    free (token);
    free (enc_prefix);
    free (full);
    return rc;
}
