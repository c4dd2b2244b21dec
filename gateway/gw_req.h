/*  gw_req - the scope of one HTTP request: what the client sent, the body
    read within a limit, every allocation a handler makes, and the response
    the handler sets. gw_req_destroy frees all of it at one place (the
    server, after the response went out).

    The request reads its headers and body through a gw_req_source_t, so
    the server feeds it from civetweb and tests from plain arrays.  */
#ifndef GW_REQ_H_INCLUDED
#define GW_REQ_H_INCLUDED
#include "edge_json.h"
#include "gw_principal.h"
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct gw_req gw_req_t;

//  A header's value, or NULL when absent. Borrowed from the source.
typedef const char *(gw_req_header_fn) (void *source, const char *name);
//  Read up to len body bytes: returns the count, 0 at the end, -1 on error.
typedef int (gw_req_read_fn) (void *source, void *buf, size_t len);

typedef struct {
    const char *method;       //  "GET", "POST", ...
    const char *path;         //  decoded path, no query string
    const char *query;        //  raw query string (no '?'), or NULL
    long long content_length; //  -1 when the client sent none
    gw_req_header_fn *header; //  may be NULL (no headers)
    gw_req_read_fn *read;     //  may be NULL (no body)
    void *source;             //  passed to header and read
} gw_req_source_t;

//  Create the request; copies method and path; takes x-request-id from the
//  client when edge_request_id_is_valid, else makes 16 hex characters.
//  The source must stay valid while the request lives. Caller owns.
gw_req_t *gw_req_new (const gw_req_source_t *source);
//  Free the request and everything hanging off it; nullify; NULL-safe.
void gw_req_destroy (gw_req_t **self_p);

//  Borrowed: valid while the request lives.
const char *gw_req_method (const gw_req_t *self);
const char *gw_req_path (const gw_req_t *self);
const char *gw_req_id (const gw_req_t *self);
//  The raw query string without '?' ("" when none). Borrowed.
const char *gw_req_query (const gw_req_t *self);
//  A request header (case-insensitive name), or NULL. Borrowed.
const char *gw_req_header (const gw_req_t *self, const char *name);

//  Add a decoded path parameter (copies name and value).
void gw_req_param_add (gw_req_t *self,
                       const char *name,
                       const char *value,
                       size_t value_len);
//  A path parameter's value, or NULL. Borrowed.
const char *gw_req_param (const gw_req_t *self, const char *name);

//  The authenticated identity (admin username) for logs; copies it.
void gw_req_set_identity (gw_req_t *self, const char *identity);
//  The identity, or NULL when the request is anonymous. Borrowed.
const char *gw_req_identity (const gw_req_t *self);
//  The backend principal (copied), also set as the identity "user@org".
void gw_req_set_principal (gw_req_t *self, const gw_principal_t *principal);
//  The backend principal, or NULL when none was set. Borrowed.
const gw_principal_t *gw_req_principal (const gw_req_t *self);
//  The principal of a route that requires one: the router authenticates
//  before the handler runs, so a missing principal is a wiring bug
//  (asserted). Borrowed.
const gw_principal_t *gw_req_caller (const gw_req_t *self);
//  The caller's organization (gw_req_caller's org). Borrowed.
const char *gw_req_org (const gw_req_t *self);

//  Scope allocations: zeroed memory, a copy, a formatted string. Freed by
//  gw_req_destroy; never free them yourself.
void *gw_req_alloc (gw_req_t *self, size_t size);
char *gw_req_strdup (gw_req_t *self, const char *text);
char *gw_req_sprintf (gw_req_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
//  Takes ownership of ptr (from malloc) and frees it with the request.
//  Returns ptr, borrowed from then on.
void *gw_req_adopt (gw_req_t *self, void *ptr);
//  Takes ownership of a json reference (NULL-safe) and drops it with the
//  request. Returns value, borrowed from then on.
json_t *gw_req_adopt_json (gw_req_t *self, json_t *value);

//  Refuse a declared Content-Length over max (413, connection to close)
//  without reading anything. Returns 0, or -1 with err set.
int gw_req_check_length (gw_req_t *self, size_t max, edge_json_err_t *err);
//  Read the body, at most max bytes. Content-Length over max: 413 at once,
//  without reading. A body of unknown length (chunked) is read until it
//  ends or passes max (413). A body whose Content-Type is not
//  application/json (parameters allowed): 415. Reading twice is a no-op.
//  Returns 0, or -1 with err set; after a 413 or read error the connection
//  must close (gw_req_must_close).
int gw_req_read_body (gw_req_t *self, size_t max, edge_json_err_t *err);
//  A route whose handler streams the body (the server then skips
//  gw_req_read_body for it) reads up to len bytes here: returns the count,
//  0 at the end of the body, -1 on a read error. A body not read to its
//  end (or a short one) closes the connection after the response.
int gw_req_read_stream (gw_req_t *self, void *buf, size_t len);
//  The declared Content-Length, or -1 when the client sent none.
long long gw_req_content_length (const gw_req_t *self);
//  Accept media_type (static) for the body besides application/json.
void gw_req_allow_type (gw_req_t *self, const char *media_type);
//  The body read so far (NUL-terminated) and its length; "" when none.
//  Borrowed.
const char *gw_req_body (const gw_req_t *self, size_t *len);
//  Parse the body as JSON. Returns the value (borrowed, freed with the
//  request) or NULL with err set (400 when there is no body or it is
//  malformed).
json_t *gw_req_json (gw_req_t *self, edge_json_err_t *err);

//  Responses. The last one set wins. reply_json takes ownership of body.
void gw_req_reply_json (gw_req_t *self, int status, json_t *body);
//  {"error":{"status","code","message","field"?}} from err.
void gw_req_reply_error (gw_req_t *self, const edge_json_err_t *err);
//  Same, built in place: field may be NULL.
//  Forget the answer given so far (status, body and extra headers), so
//  that another can replace it.
void gw_req_reply_reset (gw_req_t *self);
void gw_req_reply_fail (gw_req_t *self,
                        int status,
                        const char *code,
                        const char *field,
                        const char *fmt,
                        ...) __attribute__ ((format (printf, 5, 6)));
//  The same with a va_list, which it uses up.
void gw_req_reply_failv (gw_req_t *self,
                         int status,
                         const char *code,
                         const char *field,
                         const char *fmt,
                         va_list args) __attribute__ ((format (printf, 5, 0)));
//  A Redis failure: reply NULL (Redis not reached) is 503
//  redis_unavailable; any other reply is unexpected: logged once here with
//  what (e.g. "roles: list") and answered 500 internal.
void gw_req_reply_redis_failed (gw_req_t *self,
                                const redisReply *reply,
                                const char *what);
//  Raw bytes with a content type. Borrowed: data must stay valid while the
//  request lives (static, or from the scope allocators).
void gw_req_reply_data (gw_req_t *self,
                        int status,
                        const char *content_type,
                        const char *data,
                        size_t len);
//  Add a response header (copies both).
void gw_req_reply_header (gw_req_t *self, const char *name, const char *value);

//  The response: status (0 while none was set), content type, body and
//  extra headers. Borrowed.
int gw_req_status (const gw_req_t *self);
const char *gw_req_content_type (const gw_req_t *self);
const char *gw_req_reply_body (const gw_req_t *self, size_t *len);
size_t gw_req_reply_header_count (const gw_req_t *self);
void gw_req_reply_header_at (const gw_req_t *self,
                             size_t index,
                             const char **name,
                             const char **value);
//  True when the connection should close after the response: the client
//  sent a body that was not read completely (answered before reading it,
//  413, or a read error).
bool gw_req_must_close (const gw_req_t *self);
#endif
