/*  gw_req - request scope: inputs, body within a limit, scope allocations
    and the response, all freed by one gw_req_destroy.  */
#include "gw_req.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_PARAMS 8
#define S_READ_CHUNK 16384
#define S_JSON_TYPE  "application/json; charset=utf-8"

typedef struct {
    char *name;
    char *value;
} s_pair_t;

struct gw_req {
    gw_req_source_t source;        //  where headers and body come from
    char *method;                  //  copy of the request method
    char *path;                    //  copy of the decoded path
    char request_id[129];          //  echoed or generated x-request-id
    char *query;                   //  raw query string, "" when none
    char *identity;                //  audit identity, or NULL
    gw_principal_t *principal;     //  backend caller, or NULL
    s_pair_t params[S_MAX_PARAMS]; //  path parameters (scope strings)
    size_t nparams;
    void **ptrs; //  scope allocations, freed at destroy
    size_t nptrs, ptrs_cap;
    json_t **jsons; //  json references dropped at destroy
    size_t njsons, jsons_cap;
    bool is_body_read;  //  gw_req_read_body succeeded once, or the
                        //  streamed body was read to its end
    long long streamed; //  bytes read by gw_req_read_stream
    char *body;         //  NUL-terminated body (scope), or NULL
    const char *other_type; //  a media type accepted besides JSON, or NULL
    size_t body_len;
    json_t *json;             //  parsed body (in jsons), or NULL
    int status;               //  response status, 0 until set
    const char *content_type; //  response content type
    const char *reply;        //  response body (borrowed or scope)
    size_t reply_len;
    s_pair_t *headers; //  extra response headers (scope strings)
    size_t nheaders, headers_cap;
    bool must_close; //  body left unread: close the connection
};


//  Append ptr to a growable pointer array.
static void
s_push (void ***array, size_t *count, size_t *cap, void *ptr)
{
    *array = edge_grow (*array, cap, *count + 1, 8, sizeof (void *));
    (*array)[(*count)++] = ptr;
}


//  True when the media type (before any ';') is media (NULL: never).
static bool
s_is_type (const char *value, const char *media)
{
    while (*value == ' ' || *value == '\t')
        value++;
    size_t len = strcspn (value, "; \t");
    return media && len == strlen (media) && strncasecmp (value, media, len) == 0;
}


static bool
s_is_json_type (const char *value)
{
    return s_is_type (value, "application/json");
}


//  True when Transfer-Encoding names chunked.
static bool
s_is_chunked (const gw_req_t *self)
{
    const char *te = gw_req_header (self, "Transfer-Encoding");
    if (!te)
        return false;
    for (const char *p = te; *p; p++)
        if (strncasecmp (p, "chunked", 7) == 0)
            return true;
    return false;
}


//  A JSON string of text; messages may quote client input cut anywhere, so
//  bytes that are not valid UTF-8 become '?'.
static json_t *
s_json_text (const char *text)
{
    json_t *value = json_string (text);
    if (value)
        return value;
    char clean[256];
    snprintf (clean, sizeof clean, "%s", text);
    for (char *p = clean; *p; p++)
        if ((unsigned char) *p >= 0x80)
            *p = '?';
    return json_string (clean);
}


gw_req_t *
gw_req_new (const gw_req_source_t *source)
{
    edge_assert (source && source->method && source->path);
    gw_req_t *self = edge_calloc (1, sizeof *self);
    self->source = *source;
    self->method = edge_strdup (source->method);
    self->path = edge_strdup (source->path);
    self->query = edge_strdup (source->query ? source->query : "");
    const char *rid = gw_req_header (self, "x-request-id");
    if (rid && edge_request_id_is_valid (rid))
        snprintf (self->request_id, sizeof self->request_id, "%s", rid);
    else
        edge_id_hex (self->request_id, 8);
    return self;
}


void
gw_req_destroy (gw_req_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_req_t *self = *self_p;
    for (size_t i = self->njsons; i > 0; i--)
        json_decref (self->jsons[i - 1]);
    for (size_t i = self->nptrs; i > 0; i--)
        free (self->ptrs[i - 1]);
    free (self->jsons);
    free (self->ptrs);
    free (self->headers);
    free (self->query);
    free (self->path);
    free (self->method);
    free (self);
    *self_p = NULL;
}


const char *
gw_req_method (const gw_req_t *self)
{
    edge_assert (self);
    return self->method;
}


const char *
gw_req_path (const gw_req_t *self)
{
    edge_assert (self);
    return self->path;
}


const char *
gw_req_id (const gw_req_t *self)
{
    edge_assert (self);
    return self->request_id;
}


const char *
gw_req_header (const gw_req_t *self, const char *name)
{
    edge_assert (self);
    if (!self->source.header)
        return NULL;
    return self->source.header (self->source.source, name);
}


void
gw_req_param_add (gw_req_t *self,
                  const char *name,
                  const char *value,
                  size_t value_len)
{
    edge_assert (self);
    edge_assert (self->nparams < S_MAX_PARAMS);
    s_pair_t *pair = &self->params[self->nparams++];
    pair->name = gw_req_strdup (self, name);
    pair->value = gw_req_alloc (self, value_len + 1);
    memcpy (pair->value, value, value_len);
}


const char *
gw_req_param (const gw_req_t *self, const char *name)
{
    edge_assert (self);
    for (size_t i = 0; i < self->nparams; i++)
        if (strcmp (self->params[i].name, name) == 0)
            return self->params[i].value;
    return NULL;
}


void
gw_req_set_identity (gw_req_t *self, const char *identity)
{
    edge_assert (self);
    self->identity = gw_req_strdup (self, identity);
}


void
gw_req_set_principal (gw_req_t *self, const gw_principal_t *principal)
{
    edge_assert (self && principal);
    self->principal = gw_req_alloc (self, sizeof *principal);
    *self->principal = *principal;
    self->identity =
        gw_req_sprintf (self, "%s@%s", principal->username, principal->org);
}


const gw_principal_t *
gw_req_principal (const gw_req_t *self)
{
    edge_assert (self);
    return self->principal;
}


const gw_principal_t *
gw_req_caller (const gw_req_t *self)
{
    edge_assert (self && self->principal);
    return self->principal;
}


const char *
gw_req_org (const gw_req_t *self)
{
    return gw_req_caller (self)->org;
}


const char *
gw_req_query (const gw_req_t *self)
{
    edge_assert (self);
    return self->query;
}


const char *
gw_req_identity (const gw_req_t *self)
{
    edge_assert (self);
    return self->identity;
}


void *
gw_req_alloc (gw_req_t *self, size_t size)
{
    edge_assert (self);
    return gw_req_adopt (self, edge_calloc (1, size));
}


char *
gw_req_strdup (gw_req_t *self, const char *text)
{
    edge_assert (self);
    return text ? gw_req_adopt (self, edge_strdup (text)) : NULL;
}


char *
gw_req_sprintf (gw_req_t *self, const char *fmt, ...)
{
    edge_assert (self);
    va_list args;
    va_start (args, fmt);
    int len = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    edge_assert (len >= 0);
    char *text = gw_req_alloc (self, (size_t) len + 1);
    va_start (args, fmt);
    vsnprintf (text, (size_t) len + 1, fmt, args);
    va_end (args);
    return text;
}


void *
gw_req_adopt (gw_req_t *self, void *ptr)
{
    edge_assert (self);
    if (ptr)
        s_push (&self->ptrs, &self->nptrs, &self->ptrs_cap, ptr);
    return ptr;
}


json_t *
gw_req_adopt_json (gw_req_t *self, json_t *value)
{
    edge_assert (self);
    if (value)
        s_push ((void ***) &self->jsons, &self->njsons, &self->jsons_cap,
                value);
    return value;
}


//  Read the whole body into a scope buffer; at most max bytes.
static int
s_read_all (gw_req_t *self, size_t max, edge_json_err_t *err)
{
    long long declared = self->source.content_length;
    size_t cap = declared > 0             ? (size_t) declared + 1
                 : max + 2 < S_READ_CHUNK ? max + 2
                                          : S_READ_CHUNK;
    char *buf = edge_malloc (cap);
    size_t len = 0;
    while (true) {
        if (len + 1 == cap) {
            cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
            buf = edge_realloc (buf, cap);
        }
        int n = self->source.read ? self->source.read (self->source.source,
                                                       buf + len, cap - 1 - len)
                                  : 0;
        if (n < 0 || (n == 0 && declared > 0 && len < (size_t) declared))
            goto truncated;
        if (n == 0)
            break;
        len += (size_t) n;
        if (len > max)
            goto too_large;
    }
    buf[len] = 0;
    self->body = gw_req_adopt (self, buf);
    self->body_len = len;
    return 0;
truncated:
    free (buf);
    self->must_close = true;
    return edge_json_err_set (err, 400, "malformed_body", NULL,
                              "could not read the whole request body");
too_large:
    free (buf);
    self->must_close = true;
    return edge_json_err_set (err, 413, "payload_too_large", NULL,
                              "request body exceeds the limit of %zu bytes",
                              max);
}


int
gw_req_check_length (gw_req_t *self, size_t max, edge_json_err_t *err)
{
    edge_assert (self);
    long long declared = self->source.content_length;
    if (declared > 0 && (unsigned long long) declared > max) {
        self->must_close = true;
        return edge_json_err_set (
            err, 413, "payload_too_large", NULL,
            "request body of %lld bytes exceeds the limit of %zu bytes",
            declared, max);
    }
    return 0;
}


int
gw_req_read_body (gw_req_t *self, size_t max, edge_json_err_t *err)
{
    edge_assert (self);
    if (self->is_body_read)
        return 0;
    long long declared = self->source.content_length;
    if (gw_req_check_length (self, max, err))
        return -1;
    if (declared > 0 || (declared < 0 && s_is_chunked (self)))
        if (s_read_all (self, max, err))
            return -1;
    self->is_body_read = true;
    if (self->body_len > 0) {
        const char *type = gw_req_header (self, "Content-Type");
        if (!type
            || (!s_is_json_type (type) && !s_is_type (type, self->other_type)))
            return edge_json_err_set (
                err, 415, "unsupported_media_type", NULL,
                "request body must be application/json, not %.64s",
                type ? type : "(no Content-Type)");
    }
    return 0;
}


void
gw_req_allow_type (gw_req_t *self, const char *media_type)
{
    edge_assert (self);
    self->other_type = media_type;
}


int
gw_req_read_stream (gw_req_t *self, void *buf, size_t len)
{
    edge_assert (self && buf);
    int n = self->source.read
                ? self->source.read (self->source.source, buf, len)
                : 0;
    long long declared = self->source.content_length;
    if (n > 0)
        self->streamed += n;
    else if (n < 0 || (declared > 0 && self->streamed < declared))
        self->must_close = true;
    else
        self->is_body_read = true;
    return n;
}


long long
gw_req_content_length (const gw_req_t *self)
{
    edge_assert (self);
    return self->source.content_length;
}


const char *
gw_req_body (const gw_req_t *self, size_t *len)
{
    edge_assert (self);
    if (len)
        *len = self->body_len;
    return self->body ? self->body : "";
}


json_t *
gw_req_json (gw_req_t *self, edge_json_err_t *err)
{
    edge_assert (self);
    if (self->json)
        return self->json;
    if (self->body_len == 0) {
        edge_json_err_set (err, 400, "malformed_json", NULL,
                           "a JSON request body is required");
        return NULL;
    }
    self->json = edge_json_parse (self->body, self->body_len, err);
    return gw_req_adopt_json (self, self->json);
}


void
gw_req_reply_json (gw_req_t *self, int status, json_t *body)
{
    edge_assert (self && body);
    char *text = gw_req_adopt (self, edge_json_dumps (body));
    json_decref (body);
    edge_assert (text);
    gw_req_reply_data (self, status, S_JSON_TYPE, text, strlen (text));
}


void
gw_req_reply_error (gw_req_t *self, const edge_json_err_t *err)
{
    edge_assert (self && err);
    json_t *inner = json_object ();
    json_object_set_new (inner, "status", json_integer (err->status));
    json_object_set_new (inner, "code", json_string (err->code));
    json_object_set_new (inner, "message", s_json_text (err->message));
    if (err->field[0])
        json_object_set_new (inner, "field", s_json_text (err->field));
    json_t *body = json_object ();
    json_object_set_new (body, "error", inner);
    gw_req_reply_json (self, err->status, body);
}


void
gw_req_reply_fail (gw_req_t *self,
                   int status,
                   const char *code,
                   const char *field,
                   const char *fmt,
                   ...)
{
    va_list args;
    va_start (args, fmt);
    gw_req_reply_failv (self, status, code, field, fmt, args);
    va_end (args);
}


void
gw_req_reply_failv (gw_req_t *self,
                    int status,
                    const char *code,
                    const char *field,
                    const char *fmt,
                    va_list args)
{
    edge_assert (self);
    edge_json_err_t err;
    edge_json_err_set (&err, status, code, field, "%s", "");
    vsnprintf (err.message, sizeof err.message, fmt, args);
    gw_req_reply_error (self, &err);
}


void
gw_req_reply_redis_failed (gw_req_t *self,
                           const redisReply *reply,
                           const char *what)
{
    if (!reply) {
        gw_req_reply_fail (self, 503, "redis_unavailable", NULL,
                           "Redis is unavailable; try again later");
        return;
    }
    edge_error ("%s: unexpected Redis reply (type %d%s%.200s)",
                what ? what : gw_req_path (self), reply->type,
                reply->type == REDIS_REPLY_ERROR ? ": " : "",
                reply->type == REDIS_REPLY_ERROR ? reply->str : "");
    gw_req_reply_fail (self, 500, "internal", NULL, "internal error");
}


void
gw_req_reply_data (gw_req_t *self,
                   int status,
                   const char *content_type,
                   const char *data,
                   size_t len)
{
    edge_assert (self && status >= 100 && status <= 599);
    self->status = status;
    self->content_type = content_type;
    self->reply = data;
    self->reply_len = len;
}


void
gw_req_reply_reset (gw_req_t *self)
{
    edge_assert (self);
    self->status = 0;
    self->content_type = NULL;
    self->reply = NULL;
    self->reply_len = 0;
    self->nheaders = 0;
}


void
gw_req_reply_header (gw_req_t *self, const char *name, const char *value)
{
    edge_assert (self && name && value);
    self->headers = edge_grow (self->headers, &self->headers_cap,
                               self->nheaders + 1, 4, sizeof (s_pair_t));
    s_pair_t *pair = &self->headers[self->nheaders++];
    pair->name = gw_req_strdup (self, name);
    pair->value = gw_req_strdup (self, value);
}


int
gw_req_status (const gw_req_t *self)
{
    edge_assert (self);
    return self->status;
}


const char *
gw_req_content_type (const gw_req_t *self)
{
    edge_assert (self);
    return self->content_type;
}


const char *
gw_req_reply_body (const gw_req_t *self, size_t *len)
{
    edge_assert (self);
    if (len)
        *len = self->reply_len;
    return self->reply ? self->reply : "";
}


size_t
gw_req_reply_header_count (const gw_req_t *self)
{
    edge_assert (self);
    return self->nheaders;
}


void
gw_req_reply_header_at (const gw_req_t *self,
                        size_t index,
                        const char **name,
                        const char **value)
{
    edge_assert (self && index < self->nheaders);
    *name = self->headers[index].name;
    *value = self->headers[index].value;
}


bool
gw_req_must_close (const gw_req_t *self)
{
    edge_assert (self);
    bool has_body = self->source.content_length > 0 || s_is_chunked (self);
    return self->must_close || (has_body && !self->is_body_read);
}
