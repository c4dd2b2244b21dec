/*  gw_server - civetweb wiring: thread resources, the per-request pipeline
    (route, authenticate, body, handler, send, metrics, log).  */
#include "gw_server.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_log.h"
#include "edge_redis.h"
#include "edge_util.h"
#include "gw_auth.h"
#include "gw_bauth.h"
#include "gw_ident.h"
#include "gw_openapi_data.h"
#include "gw_pcache.h"
#include "gw_req.h"
#include "gw_router.h"
#include "gw_thread.h"
#include "gw_trace.h"
#include "gw_traces.h"
#include "gw_upload.h"
#include <civetweb.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define S_REQUEST_TIMEOUT_MS "30000"
#define S_DRAIN_MAX_BYTES    (64 * 1024 * 1024)
#define S_DRAIN_MAX_MS       2000

struct gw_server {
    gw_ctx_t ctx;              //  what handlers see
    const gw_config_t *config; //  borrowed from main
    unsigned char *admin_key;  //  decoded EDGE_ADMIN_SECRET
    char *openapi_file;        //  EDGE_GATEWAY_OPENAPI contents, or NULL
    const char **route_names;  //  metrics labels (borrowed strings)
    gw_metrics_t *metrics;
    struct mg_context *mg; //  civetweb, NULL until started
    int port;              //  the bound port
    edge_redis_t **shared; //  EDGE_GATEWAY_REDIS_SHARED handles, or NULL
    atomic_uint next_shared; //  round robin over them, per new thread
};


static double
s_now_seconds (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


//  Copy text for a log line: control bytes become '?', at most size-1.
static void
s_printable (const char *text, char *out, size_t size)
{
    size_t i = 0;
    for (; text && text[i] && i + 1 < size; i++) {
        unsigned char c = (unsigned char) text[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char) c;
    }
    out[i] = 0;
}


//  The gw_req_source_t of a civetweb connection.
typedef struct {
    struct mg_connection *conn;
    bool has_read; //  the body was asked for (100 Continue sent if due)
} s_source_t;


static const char *
s_header (void *source, const char *name)
{
    struct mg_connection *conn = ((s_source_t *) source)->conn;
    if (strcmp (name, GW_SERVER_CLIENT_ADDR) == 0)
        return mg_get_request_info (conn)->remote_addr;
    return mg_get_header (conn, name);
}


//  civetweb does not answer "Expect: 100-continue" for callback handlers:
//  say it before the first read, so clients don't wait to send the body.
static int
s_read (void *source, void *buf, size_t len)
{
    s_source_t *self = source;
    if (!self->has_read) {
        self->has_read = true;
        const char *expect = mg_get_header (self->conn, "Expect");
        if (expect && strcasecmp (expect, "100-continue") == 0)
            mg_write (self->conn, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    }
    return mg_read (self->conn, buf, len);
}


//  Backend routes: authenticate from the headers (before the body is
//  read), then check the route's permission. Returns 0, or -1 with the
//  response set.
static int
s_authenticate_backend (gw_req_t *req,
                        const gw_route_t *route,
                        gw_thread_t *thread)
{
    edge_json_err_t err;
    gw_principal_t principal;
    if (gw_bauth_authenticate (req, gw_thread_redis (thread),
                               gw_thread_pcache (thread), &principal, &err)) {
        gw_req_reply_error (req, &err);
        return -1;
    }
    bool is_allowed = gw_bauth_authorize (route, &principal);
    gw_req_set_principal (req, &principal); //  the log line names the caller
    if (!is_allowed) {
        gw_bauth_reply_forbidden (req, route->resource, route->bit);
        return -1;
    }
    return 0;
}


static int
s_authenticate_admin (gw_server_t *self, gw_req_t *req, edge_json_err_t *err)
{
    char username[GW_AUTH_USERNAME_MAX + 1];
    if (gw_auth_admin (gw_req_header (req, GW_AUTH_ADMIN_HEADER),
                       self->ctx.admin_key, self->ctx.admin_key_len, username,
                       sizeof username, err))
        return -1;
    gw_req_set_identity (req, username);
    return 0;
}


//  A successful answer to a write promises that it is kept: send it only
//  once the write reached a replica, when the Redis master has replicas (a
//  failover then loses no accepted work). Otherwise 503: the client tries
//  again (every write is either idempotent or refused as a duplicate).
static void
s_check_replicated (gw_server_t *self, gw_req_t *req, gw_thread_t *thread)
{
    int status = gw_req_status (req);
    const char *method = gw_req_method (req);
    if (status < 200 || status > 299 || self->config->replica_wait_ms <= 0
        || strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0)
        return;
    if (edge_redis_replicated (gw_thread_redis (thread),
                               (int) self->config->replica_wait_ms)
        == 0)
        return;
    edge_warn ("%s %s: the write reached no replica within %lld ms; 503",
               method, gw_req_path (req),
               (long long) self->config->replica_wait_ms);
    gw_req_reply_reset (req);
    gw_req_reply_header (req, "Retry-After", "1");
    gw_req_reply_fail (req, 503, "not_replicated", NULL,
                       "the change is not yet safe on a replica; try again");
}


//  Route, authenticate, read the body and run the handler; every failure
//  becomes the request's error response.
static void
s_dispatch (gw_server_t *self,
            struct mg_connection *conn,
            gw_req_t *req,
            const gw_route_t **route)
{
    edge_json_err_t err;
    size_t max_body = (size_t) self->config->max_body;
    if (gw_router_match (req, route, &err) != EDGE_ERR_OK) {
        gw_req_reply_error (req, &err);
        return;
    }
    //  An upload streams its body itself, past EDGE_GATEWAY_MAX_BODY
    bool is_streamed = (*route)->handler == gw_upload_put;
    //  A trace upload has its own limit and may be msgpack
    if ((*route)->handler == gw_traces_upload) {
        max_body = (size_t) self->config->trace_max_bytes;
        gw_req_allow_type (req, GW_TRACE_MSGPACK_TYPE);
    }
    if ((!is_streamed && gw_req_check_length (req, max_body, &err))
        || ((*route)->auth == GW_AUTH_ADMIN
            && s_authenticate_admin (self, req, &err))) {
        gw_req_reply_error (req, &err);
        return;
    }
    gw_thread_t *thread = mg_get_thread_pointer (conn);
    if (!thread) {
        gw_req_reply_fail (req, 503, "unavailable", NULL,
                           "this request thread has no connections");
        return;
    }
    if ((*route)->auth == GW_AUTH_BACKEND
        && s_authenticate_backend (req, *route, thread))
        return;
    if (!is_streamed && gw_req_read_body (req, max_body, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    (*route)->handler (req, &self->ctx, thread);
    //  Before the answer leaves: this gateway enforces its own identity
    //  changes at once (other gateways within EDGE_AUTH_CACHE_MS)
    if (gw_router_changes_identity (*route))
        gw_pcache_invalidate_all ();
    if (gw_req_status (req) == 0) {
        edge_error ("route %s gave no response", (*route)->name);
        gw_req_reply_fail (req, 500, "internal", NULL, "internal error");
    }
    s_check_replicated (self, req, thread);
}


//  True when the comma-separated header value holds token.
static bool
s_has_token (const char *value, const char *token)
{
    size_t len = strlen (token);
    while (value && *value) {
        value += strspn (value, " \t,");
        size_t n = strcspn (value, " \t,");
        if (n == len && strncasecmp (value, token, len) == 0)
            return true;
        value += n;
    }
    return false;
}


//  True when the connection may serve another request: the body was read
//  and the client did not ask to close (HTTP/1.0 must ask to keep alive).
static bool
s_is_keep_alive (const struct mg_connection *conn, const gw_req_t *req)
{
    if (gw_req_must_close (req))
        return false;
    const char *version = mg_get_request_info (conn)->http_version;
    const char *option = mg_get_header (conn, "Connection");
    if (s_has_token (option, "close"))
        return false;
    return (version && strcmp (version, "1.1") == 0)
           || s_has_token (option, "keep-alive");
}


//  A response being assembled: a stack buffer, moved to the heap only
//  when an answer outgrows it.
typedef struct {
    char *data;
    size_t len, cap;
    bool is_heap;
} s_out_t;


static void
s_out_add (s_out_t *out, const void *bytes, size_t len)
{
    if (out->len + len > out->cap) {
        size_t cap = out->cap;
        while (cap < out->len + len)
            cap *= 2;
        char *data = edge_malloc (cap);
        memcpy (data, out->data, out->len);
        if (out->is_heap)
            free (out->data);
        out->data = data;
        out->cap = cap;
        out->is_heap = true;
    }
    memcpy (out->data + out->len, bytes, len);
    out->len += len;
}


static void
s_out_str (s_out_t *out, const char *text)
{
    s_out_add (out, text, strlen (text));
}


//  The Date header's value, formatted once a second per thread.
static const char *
s_http_date (void)
{
    static _Thread_local time_t s_when = 0;
    static _Thread_local char s_date[64];
    time_t now = time (NULL);
    if (now != s_when) {
        struct tm tm;
        gmtime_r (&now, &tm);
        strftime (s_date, sizeof s_date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        s_when = now;
    }
    return s_date;
}


//  Write the response head and body. The head is written here rather than
//  with mg_response_header_*, which refuse once a 100 Continue went out.
static void
s_send (struct mg_connection *conn, const gw_req_t *req)
{
    size_t len;
    const char *body = gw_req_reply_body (req, &len);
    int status = gw_req_status (req);
    bool is_keep_alive = s_is_keep_alive (conn, req);
    char stack[8192], line[160];
    s_out_t out = {stack, 0, sizeof stack, false};
    snprintf (line, sizeof line, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
              mg_get_response_code_text (conn, status), s_http_date ());
    s_out_str (&out, line);
    if (status == 204) //  no content: no Content-Length (RFC 9110 §8.6)
        len = 0;
    else {
        s_out_str (&out, "Content-Type: ");
        s_out_str (&out, gw_req_content_type (req));
        snprintf (line, sizeof line, "\r\nContent-Length: %zu\r\n", len);
        s_out_str (&out, line);
    }
    s_out_str (&out, "x-request-id: ");
    s_out_str (&out, gw_req_id (req));
    s_out_str (&out, "\r\nCache-Control: no-store\r\n");
    for (size_t i = 0; i < gw_req_reply_header_count (req); i++) {
        const char *name, *value;
        gw_req_reply_header_at (req, i, &name, &value);
        s_out_str (&out, name);
        s_out_str (&out, ": ");
        s_out_str (&out, value);
        s_out_str (&out, "\r\n");
    }
    s_out_str (&out, is_keep_alive ? "Connection: keep-alive\r\n\r\n"
                                   : "Connection: close\r\n\r\n");
    //  Head and body in one write: two small writes meet Nagle and the
    //  client's delayed ACK, which costs 40 ms a request.
    if (strcmp (gw_req_method (req), "HEAD") != 0)
        s_out_add (&out, body, len);
    if (!is_keep_alive)
        mg_disable_connection_keep_alive (conn);
    mg_write (conn, out.data, out.len);
    if (out.is_heap)
        free (out.data);
}


//  After a response that left the body unread (413), discard what the
//  client is still sending, within bounds, before closing: a client that
//  sends the whole body before reading then sees the 413, not a reset
//  (nginx's lingering close). A client waiting for 100 Continue that never
//  got it (has_read false) sends nothing more: nothing to drain.
static void
s_drain (struct mg_connection *conn, bool has_read)
{
    const char *expect = mg_get_header (conn, "Expect");
    if (!has_read && expect && strcasecmp (expect, "100-continue") == 0)
        return;
    char buf[16384];
    size_t total = 0;
    int64_t deadline = edge_mono_ms () + S_DRAIN_MAX_MS;
    while (total < S_DRAIN_MAX_BYTES && edge_mono_ms () < deadline) {
        int n = mg_read (conn, buf, sizeof buf);
        if (n <= 0)
            break;
        total += (size_t) n;
    }
}


static void
s_log (const gw_req_t *req, double ms)
{
    char method[17], path[257], who[GW_AUTH_USERNAME_MAX + 1];
    s_printable (gw_req_method (req), method, sizeof method);
    s_printable (gw_req_path (req), path, sizeof path);
    size_t upload_len = strlen (GW_UPLOAD_PATH); //  never log a token
    if (strncmp (path, GW_UPLOAD_PATH, upload_len) == 0)
        snprintf (path + upload_len, sizeof path - upload_len, "<token>");
    s_printable (gw_req_identity (req), who, sizeof who);
    const char *label = gw_req_principal (req) ? " user=" : " admin=";
    edge_info ("%s %s %d %.1fms rid=%s%s%s", method, path, gw_req_status (req),
               ms, gw_req_id (req), who[0] ? label : "", who);
}


static int
s_on_request (struct mg_connection *conn)
{
    gw_server_t *self = mg_get_user_data (mg_get_context (conn));
    const struct mg_request_info *info = mg_get_request_info (conn);
    double start = s_now_seconds ();
    s_source_t client = {conn, false};
    gw_req_source_t source = {
        .method = info->request_method,
        .path = info->local_uri ? info->local_uri : "/",
        .query = info->query_string,
        .content_length = info->content_length,
        .header = s_header,
        .read = s_read,
        .source = &client,
    };
    gw_req_t *req = gw_req_new (&source);
    const gw_route_t *route = NULL;
    s_dispatch (self, conn, req, &route);
    s_send (conn, req);
    double seconds = s_now_seconds () - start;
    int status = gw_req_status (req);
    gw_metrics_observe (self->metrics, route ? route->name : NULL,
                        gw_req_method (req), status, seconds);
    s_log (req, seconds * 1000);
    if (gw_req_must_close (req))
        s_drain (conn, client.has_read);
    gw_req_destroy (&req);
    return status;
}


static int
s_on_log (const struct mg_connection *conn, const char *message)
{
    (void) conn;
    edge_warn ("civetweb: %s", message);
    return 1;
}


//  Worker threads (type 1) get their own Redis handle, DEALER and depot
//  store.
static void *
s_on_thread_start (const struct mg_context *mg, int thread_type)
{
    if (thread_type != 1)
        return NULL;
    const gw_server_t *self = mg_get_user_data (mg);
    const gw_config_t *config = self->config;
    gw_thread_t *thread =
        gw_thread_new (config->redis_url, (int) config->redis_timeout_ms,
                       config->broker_frontend);
    if (thread && self->shared) {
        gw_server_t *server = (gw_server_t *) self; //  the counter only
        unsigned i = atomic_fetch_add (&server->next_shared, 1);
        gw_thread_share_redis (thread,
                               self->shared[i % config->redis_shared]);
    }
    if (thread) {
        gw_thread_set_depot (thread, &config->depot,
                             (uint64_t) config->upload_part_bytes);
        gw_thread_set_pcache (thread, config->auth_cache_ms);
    }
    return thread;
}


static void
s_on_thread_stop (const struct mg_context *mg, int thread_type, void *pointer)
{
    (void) mg;
    (void) thread_type;
    gw_thread_t *thread = pointer;
    gw_thread_destroy (&thread);
}


//  Read a whole file. Returns a NUL-terminated buffer (caller owns) or NULL.
static char *
s_read_file (const char *path, size_t *len)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    size_t cap = 65536, used = 0;
    char *data = edge_malloc (cap);
    size_t n;
    while ((n = fread (data + used, 1, cap - used - 1, file)) > 0) {
        used += n;
        data = edge_grow (data, &cap, used + 2, 65536, 1);
    }
    bool is_error = ferror (file);
    fclose (file);
    if (is_error) {
        free (data);
        return NULL;
    }
    data[used] = 0;
    *len = used;
    return data;
}


//  Decode the secret, load the OpenAPI document, set up the metrics.
static int
s_prepare (gw_server_t *self)
{
    const gw_config_t *config = self->config;
    if (gw_ident_init ())
        return -1;
    if (edge_b64_decode (config->admin_secret, &self->admin_key,
                         &self->ctx.admin_key_len)) {
        edge_error ("EDGE_ADMIN_SECRET is not valid base64");
        return -1;
    }
    self->ctx.admin_key = self->admin_key;
    if (config->openapi_path && *config->openapi_path) {
        self->openapi_file =
            s_read_file (config->openapi_path, &self->ctx.openapi_len);
        if (!self->openapi_file) {
            edge_error ("cannot read EDGE_GATEWAY_OPENAPI file %s",
                        config->openapi_path);
            return -1;
        }
        self->ctx.openapi = self->openapi_file;
    }
    else {
        self->ctx.openapi = (const char *) gw_openapi_data;
        self->ctx.openapi_len = gw_openapi_data_size;
    }
    size_t count;
    const gw_route_t *routes = gw_router_routes (&count);
    self->route_names = edge_calloc (count, sizeof (char *));
    for (size_t i = 0; i < count; i++)
        self->route_names[i] = routes[i].name;
    self->metrics = gw_metrics_new (self->route_names, count);
    self->ctx.metrics = self->metrics;
    self->ctx.config = config;
    return 0;
}


//  The civetweb listening_ports value: EDGE_HTTP_LISTEN, its port
//  replaced by PORT when that is set.
static void
s_listen_value (const gw_config_t *config, char *buf, size_t size)
{
    const char *colon = strrchr (config->listen, ':');
    edge_assert (colon);
    if (config->port > 0)
        snprintf (buf, size, "%.*s:%lld", (int) (colon - config->listen),
                  config->listen, (long long) config->port);
    else
        snprintf (buf, size, "%s", config->listen);
}


//  Upload URLs carry their token; without EDGE_PUBLIC_URL they are made
//  from the request's Host over http. Say so once when that can cross a
//  network (listening on anything but loopback).
static void
s_warn_plain_http (const gw_config_t *config)
{
    if (config->public_url && *config->public_url)
        return;
    const char *colon = strrchr (config->listen, ':');
    int len = colon ? (int) (colon - config->listen) : 0;
    char host[256];
    snprintf (host, sizeof host, "%.*s", len, config->listen);
    bool is_loopback =
        strncmp (host, "127.", 4) == 0 || strcmp (host, "localhost") == 0
        || strcmp (host, "[::1]") == 0 || strcmp (host, "::1") == 0;
    if (!is_loopback)
        edge_warn ("EDGE_PUBLIC_URL is empty and %s is not loopback: upload "
                   "URLs (their token is the credential) use the request's "
                   "Host over plain http; behind a TLS proxy set "
                   "EDGE_PUBLIC_URL",
                   config->listen);
}


static int
s_start (gw_server_t *self)
{
    char listen[300], threads[24];
    s_listen_value (self->config, listen, sizeof listen);
    snprintf (threads, sizeof threads, "%lld",
              (long long) self->config->threads);
    const char *options[] = {"listening_ports",
                             listen,
                             "num_threads",
                             threads,
                             "request_timeout_ms",
                             S_REQUEST_TIMEOUT_MS,
                             "enable_keep_alive",
                             "yes",
                             "tcp_nodelay",
                             "1",
                             NULL};
    struct mg_callbacks callbacks = {
        .begin_request = s_on_request,
        .log_message = s_on_log,
        .init_thread = s_on_thread_start,
        .exit_thread = s_on_thread_stop,
    };
    char why[256] = "";
    struct mg_init_data init = {&callbacks, self, options};
    struct mg_error_data error = {NULL, why, sizeof why};
    self->mg = mg_start2 (&init, &error);
    if (!self->mg) {
        edge_error ("cannot listen on %s: %s", listen, why);
        return -1;
    }
    struct mg_server_port port;
    if (mg_get_server_ports (self->mg, 1, &port) == 1)
        self->port = port.port;
    edge_info ("listening on %s (port %d, %s threads)", listen, self->port,
               threads);
    s_warn_plain_http (self->config);
    return 0;
}


//  civetweb's master thread sees mg_stop's flag only when its poll of the
//  listener times out (one to two seconds); knocking on our own port while
//  mg_stop runs wakes it at once.
typedef struct {
    char host[256]; //  where we listen (a wildcard becomes loopback)
    char port[8];
    atomic_int is_done; //  mg_stop returned
} s_knock_t;


static void *
s_knock_run (void *arg)
{
    s_knock_t *knock = arg;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *addr = NULL;
    if (getaddrinfo (knock->host, knock->port, &hints, &addr))
        return NULL;
    while (!atomic_load (&knock->is_done)) {
        int fd = socket (addr->ai_family, addr->ai_socktype, addr->ai_protocol);
        if (fd >= 0) {
            connect (fd, addr->ai_addr, addr->ai_addrlen);
            close (fd);
        }
        edge_sleep_ms (20, NULL);
    }
    freeaddrinfo (addr);
    return NULL;
}


//  mg_stop, with a knocker thread to make it quick.
static void
s_stop (gw_server_t *self)
{
    s_knock_t knock = {.is_done = 0};
    const char *listen = self->config->listen;
    const char *colon = strrchr (listen, ':');
    int len = (int) (colon - listen);
    if (len >= 2 && listen[0] == '[')
        snprintf (knock.host, sizeof knock.host, "%.*s", len - 2, listen + 1);
    else
        snprintf (knock.host, sizeof knock.host, "%.*s", len, listen);
    if (strcmp (knock.host, "0.0.0.0") == 0 || !knock.host[0])
        snprintf (knock.host, sizeof knock.host, "127.0.0.1");
    else if (strcmp (knock.host, "::") == 0)
        snprintf (knock.host, sizeof knock.host, "::1");
    snprintf (knock.port, sizeof knock.port, "%d", self->port);
    pthread_t thread;
    bool has_knocker = pthread_create (&thread, NULL, s_knock_run, &knock) == 0;
    mg_stop (self->mg);
    atomic_store (&knock.is_done, 1);
    if (has_knocker)
        pthread_join (thread, NULL);
}


gw_server_t *
gw_server_new (const gw_config_t *config)
{
    edge_assert (config);
    gw_server_t *self = edge_calloc (1, sizeof *self);
    self->config = config;
    if (config->redis_shared > 0) {
        self->shared = edge_calloc ((size_t) config->redis_shared,
                                    sizeof (edge_redis_t *));
        for (int64_t i = 0; i < config->redis_shared; i++) {
            self->shared[i] = edge_redis_new_shared (
                config->redis_url, (int) config->redis_timeout_ms);
            edge_assert (self->shared[i]); //  the URL was checked
        }
    }
    mg_init_library (0);
    if (s_prepare (self) || s_start (self))
        gw_server_destroy (&self);
    return self;
}


void
gw_server_destroy (gw_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_server_t *self = *self_p;
    if (self->mg)
        s_stop (self);
    mg_exit_library ();
    for (int64_t i = 0; self->shared && i < self->config->redis_shared; i++)
        edge_redis_destroy (&self->shared[i]); //  the threads are gone
    free (self->shared);
    gw_metrics_destroy (&self->metrics);
    free (self->route_names);
    free (self->openapi_file);
    if (self->admin_key)
        memset (self->admin_key, 0, self->ctx.admin_key_len);
    free (self->admin_key);
    free (self);
    *self_p = NULL;
}


int
gw_server_port (const gw_server_t *self)
{
    edge_assert (self);
    return self->port;
}
