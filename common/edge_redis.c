/*  edge_redis - one hiredis connection that reconnects by itself.

    The context is created lazily on the first command. After any I/O error
    (a NULL reply or ctx->err) it is freed at once and never reused; the next
    command reconnects. Failed attempts back off 100 ms, doubling to a 5 s
    cap; each failed attempt logs one warn, and the first success after a
    failure logs one info line. The password is never logged.

    Scripts are sent with EVALSHA. The SHA1 of a script is computed locally
    (OpenSSL) the first time the script is used, under one process-wide lock,
    so a script struct shared by threads that use different connections is
    race-free; a NOSCRIPT answer falls back to EVAL, which also loads the
    script into that server's cache.

    A shared handle (edge_redis_new_shared) serves many threads over its one
    connection by group commit: each caller formats its command and queues
    it; whoever finds the connection idle becomes the leader, writes every
    queued command in one go and reads their replies in order, while the
    others wait for theirs. Commands that arrive meanwhile make the next
    group, so under load one write and one read carry many commands and
    Redis spends its time on commands rather than on system calls.  */
#include "edge_redis.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_BACKOFF_FIRST_MS 100
//  A connection idle this long is checked before use: a server that went
//  away meanwhile (a killed master) has closed it, and a fresh one is made
//  before the command is sent rather than failing it.
#define S_IDLE_CHECK_MS 100
#define S_BACKOFF_MAX_MS   5000
#define S_DB_MAX           100000

struct edge_redis {
    edge_redis_url_t url;    //  parsed address and credentials
    int timeout_ms;          //  connect and command timeout
    redisContext *ctx;       //  live connection, or NULL
    int64_t backoff_ms;      //  delay after the last failed attempt, 0 = none
    int64_t next_attempt_ms; //  monotonic time of the next allowed attempt
    int64_t failed_ms;       //  monotonic time of the last failed attempt
    bool has_failed;         //  a failure was logged since the last connect
    size_t sentinel;         //  sentinel to ask first (the last that answered)
    //  Atomic: edge_redis_replicated reads them beside a shared handle's
    //  leader
    atomic_int replicas;            //  master's replicas as last seen by ROLE
    _Atomic int64_t replicas_at_ms; //  when replicas was read (monotonic),
                                    //  0 = never
    atomic_bool is_up;              //  ctx != NULL, readable by any thread
    int64_t used_ms;                //  monotonic time of the last command
    //  Shared handles only (is_shared): the queue of the next group
    bool is_shared;
    pthread_mutex_t lock; //  guards the members below
    pthread_cond_t cond;  //  a group ended or the connection is free
    bool is_busy;         //  a leader owns ctx (and every member above)
    struct s_call *head;  //  queued, oldest first
    struct s_call **tail;
    size_t queued;        //  calls in the queue
    uint64_t groups;      //  groups sent
    uint64_t commands;    //  commands sent in them
};

//  One queued command of a shared handle (on its caller's stack).
typedef struct s_call {
    char *cmd;          //  RESP text (hiredis format)
    long long len;      //  its length
    redisReply *reply;  //  the answer, or NULL when Redis failed
    bool is_done;       //  reply is set
    struct s_call *next;
} s_call_t;

//  Guards the lazy SHA1 of every edge_redis_script_t in the process.
static pthread_mutex_t s_sha_lock = PTHREAD_MUTEX_INITIALIZER;
//  Reconnections of every handle of this process (edge_redis_reconnects).
static atomic_ullong s_reconnects;
//  Monotonic time of the last successful connection of any handle.
static _Atomic int64_t s_connected_ms;


//  Decode %XX escapes of text[0..len) into a new string. Returns NULL when
//  an escape is malformed or decodes to NUL.
static char *
s_percent_decode (const char *text, size_t len)
{
    char *out = edge_malloc (len + 1);
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '%') {
            out[used++] = text[i];
            continue;
        }
        if (i + 2 >= len)
            goto malformed;
        if (!isxdigit ((unsigned char) text[i + 1])
            || !isxdigit ((unsigned char) text[i + 2]))
            goto malformed;
        char hex[3] = {text[i + 1], text[i + 2], 0};
        char c = (char) strtol (hex, NULL, 16);
        if (c == 0)
            goto malformed;
        out[used++] = c;
        i += 2;
    }
    out[used] = 0;
    return out;
malformed:
    free (out);
    return NULL;
}


//  Parse a decimal integer of text[0..len) within min..max into *value.
static int
s_parse_uint (const char *text, size_t len, long min, long max, int *value)
{
    if (len == 0 || len > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit ((unsigned char) text[i]))
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    if (v < min || v > max)
        return -1;
    *value = (int) v;
    return 0;
}


//  user:password before the last '@'. Returns 0 or -1 with why set.
static int
s_parse_userinfo (const char *text,
                  size_t len,
                  edge_redis_url_t *url,
                  char *why,
                  size_t whylen)
{
    const char *colon = memchr (text, ':', len);
    if (!colon) {
        snprintf (why, whylen, "expected [user]:password@ before the host");
        return -1;
    }
    size_t userlen = (size_t) (colon - text);
    if (userlen > 0) {
        url->username = s_percent_decode (text, userlen);
        if (!url->username) {
            snprintf (why, whylen, "malformed %%-escape in the user name");
            return -1;
        }
    }
    size_t passlen = len - userlen - 1;
    if (passlen > 0) {
        url->password = s_percent_decode (colon + 1, passlen);
        if (!url->password) {
            snprintf (why, whylen, "malformed %%-escape in the password");
            return -1;
        }
    }
    if (url->username && !url->password) {
        snprintf (why, whylen, "a user name needs a password");
        return -1;
    }
    return 0;
}


//  True when c may appear in a host name or IPv4 address.
static bool
s_is_host_char (char c)
{
    return isalnum ((unsigned char) c) || c == '.' || c == '-' || c == '_';
}


//  host[:port] or [v6]:port. Returns 0 or -1 with why set.
static int
s_parse_hostport (const char *text,
                  size_t len,
                  edge_redis_url_t *url,
                  char *why,
                  size_t whylen)
{
    const char *host = text, *end = text + len, *port = NULL;
    size_t hostlen;
    if (len > 0 && text[0] == '[') {
        const char *close = memchr (text, ']', len);
        if (!close || close == text + 1)
            goto bad_host;
        host = text + 1;
        hostlen = (size_t) (close - host);
        for (size_t i = 0; i < hostlen; i++)
            if (!isxdigit ((unsigned char) host[i]) && host[i] != ':'
                && host[i] != '.')
                goto bad_host;
        if (close + 1 < end && close[1] != ':')
            goto bad_host;
        port = close + 1 < end ? close + 2 : NULL;
    }
    else {
        const char *colon = memchr (text, ':', len);
        hostlen = colon ? (size_t) (colon - text) : len;
        port = colon ? colon + 1 : NULL;
        if (hostlen == 0) {
            snprintf (why, whylen, "missing host");
            return -1;
        }
        for (size_t i = 0; i < hostlen; i++)
            if (!s_is_host_char (host[i]))
                goto bad_host;
    }
    url->port = 6379;
    if (port
        && s_parse_uint (port, (size_t) (end - port), 1, 65535, &url->port)) {
        snprintf (why, whylen, "expected a port from 1 to 65535");
        return -1;
    }
    url->host = edge_malloc (hostlen + 1);
    memcpy (url->host, host, hostlen);
    url->host[hostlen] = 0;
    return 0;
bad_host:
    snprintf (why, whylen, "malformed host (IPv6 addresses need [brackets])");
    return -1;
}


//  "h1[:p1],h2[:p2],..." into url->sentinels (port 26379 by default).
//  Returns 0 or -1 with why set.
static int
s_parse_sentinels (const char *text,
                   size_t len,
                   edge_redis_url_t *url,
                   char *why,
                   size_t whylen)
{
    const char *end = text + len;
    while (text <= end) {
        const char *comma = memchr (text, ',', (size_t) (end - text));
        const char *stop = comma ? comma : end;
        if (url->nsentinels == EDGE_REDIS_SENTINELS_MAX) {
            snprintf (why, whylen, "at most %d sentinels",
                      EDGE_REDIS_SENTINELS_MAX);
            return -1;
        }
        edge_redis_url_t one = {0};
        if (s_parse_hostport (text, (size_t) (stop - text), &one, why, whylen))
            return -1;
        bool has_port = memchr (text, ':', (size_t) (stop - text))
                        && (text[0] != '[' || stop[-1] != ']');
        url->sentinels[url->nsentinels].host = one.host;
        url->sentinels[url->nsentinels].port = has_port ? one.port : 26379;
        url->nsentinels++;
        if (!comma)
            break;
        text = comma + 1;
    }
    return 0;
}


//  The master name at text (up to '/' or the end) into url->master_name.
//  Returns the '/' after it, the terminating NUL, or NULL with why set.
static const char *
s_parse_master (const char *text,
                edge_redis_url_t *url,
                char *why,
                size_t whylen)
{
    size_t len = strcspn (text, "/");
    for (size_t i = 0; i < len; i++)
        if (!s_is_host_char (text[i]))
            len = 0;
    if (len == 0 || len > 128) {
        snprintf (why, whylen,
                  "expected the master's name (letters, digits, '.', '-', "
                  "'_') after the sentinels");
        return NULL;
    }
    url->master_name = edge_malloc (len + 1);
    memcpy (url->master_name, text, len);
    url->master_name[len] = 0;
    return text + len;
}


//  Refuse schemes we recognise but do not support, with the reason.
static int
s_check_scheme (const char *text, char *why, size_t whylen)
{
    if (strncasecmp (text, "redis://", 8) == 0
        || strncasecmp (text, "redis-sentinel://", 17) == 0)
        return 0;
    if (strncasecmp (text, "rediss://", 9) == 0)
        snprintf (why, whylen,
                  "TLS (rediss://) is not supported: hiredis 0.14 has no "
                  "TLS; use redis:// through a TLS tunnel");
    else if (strncasecmp (text, "unix:", 5) == 0
             || strncasecmp (text, "redis+unix:", 11) == 0
             || strncasecmp (text, "redis-socket:", 13) == 0)
        snprintf (why, whylen,
                  "unix sockets are not supported; use redis://host:port");
    else
        snprintf (why, whylen,
                  "expected redis://[[user]:password@]host[:port][/db] or "
                  "redis-sentinel://[[user]:password@]host[:port][,...]/"
                  "master[/db]");
    return -1;
}


int
edge_redis_url_parse (const char *text,
                      edge_redis_url_t *url,
                      char *why,
                      size_t whylen)
{
    edge_assert (text && url && why);
    memset (url, 0, sizeof *url);
    if (s_check_scheme (text, why, whylen))
        return -1;
    bool is_sentinel = strncasecmp (text, "redis-sentinel://", 17) == 0;
    const char *rest = text + (is_sentinel ? 17 : 8);
    if (strpbrk (rest, "?#")) {
        snprintf (why, whylen, "query parameters are not supported");
        return -1;
    }
    //  The last '@' ends the user info: a password may hold '@' or '/'
    const char *at = strrchr (rest, '@');
    if (at && s_parse_userinfo (rest, (size_t) (at - rest), url, why, whylen))
        goto failed;
    const char *hostport = at ? at + 1 : rest;
    const char *slash = strchr (hostport, '/');
    size_t hplen = slash ? (size_t) (slash - hostport) : strlen (hostport);
    if (is_sentinel) {
        if (s_parse_sentinels (hostport, hplen, url, why, whylen))
            goto failed;
        if (!slash) {
            snprintf (why, whylen, "expected /master after the sentinels");
            goto failed;
        }
        slash = s_parse_master (slash + 1, url, why, whylen);
        if (!slash)
            goto failed;
        if (!*slash)
            slash = NULL;
    }
    else if (s_parse_hostport (hostport, hplen, url, why, whylen))
        goto failed;
    if (slash && slash[1]
        && s_parse_uint (slash + 1, strlen (slash + 1), 0, S_DB_MAX,
                         &url->db)) {
        snprintf (why, whylen, "expected a database number after '/'");
        goto failed;
    }
    return 0;
failed:
    edge_redis_url_fini (url);
    return -1;
}


void
edge_redis_url_fini (edge_redis_url_t *url)
{
    if (!url)
        return;
    free (url->host);
    url->host = NULL;
    if (url->password)
        memset (url->password, 0, strlen (url->password));
    free (url->password);
    url->password = NULL;
    free (url->username);
    url->username = NULL;
    for (size_t i = 0; i < url->nsentinels; i++)
        free (url->sentinels[i].host);
    url->nsentinels = 0;
    free (url->master_name);
    url->master_name = NULL;
}


edge_redis_t *
edge_redis_new (const char *url, int timeout_ms)
{
    edge_assert (url);
    edge_redis_t *self = edge_calloc (1, sizeof *self);
    char why[160];
    if (edge_redis_url_parse (url, &self->url, why, sizeof why)) {
        edge_error ("redis: bad URL: %s", why);
        free (self);
        return NULL;
    }
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    return self;
}


edge_redis_t *
edge_redis_new_shared (const char *url, int timeout_ms)
{
    edge_redis_t *self = edge_redis_new (url, timeout_ms);
    if (!self)
        return NULL;
    self->is_shared = true;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->cond, NULL);
    self->tail = &self->head;
    return self;
}


void
edge_redis_group_stats (edge_redis_t *self,
                        uint64_t *groups,
                        uint64_t *commands,
                        size_t *queued)
{
    edge_assert (self && groups && commands && queued);
    *groups = *commands = 0;
    *queued = 0;
    if (!self->is_shared)
        return;
    pthread_mutex_lock (&self->lock);
    *groups = self->groups;
    *commands = self->commands;
    *queued = self->queued;
    pthread_mutex_unlock (&self->lock);
}


void
edge_redis_destroy (edge_redis_t **self_p)
{
    edge_assert (self_p);
    edge_redis_t *self = *self_p;
    if (!self)
        return;
    if (self->is_shared) {
        edge_assert (!self->head && !self->is_busy);
        pthread_cond_destroy (&self->cond);
        pthread_mutex_destroy (&self->lock);
    }
    redisFree (self->ctx);
    edge_redis_url_fini (&self->url);
    free (self);
    *self_p = NULL;
}


//  Where this handle talks to, for logs: "host:port", or with sentinels
//  "master NAME at host:port" (before the first answer "master NAME").
static const char *
s_where (const edge_redis_t *self, char *buf, size_t size)
{
    if (!self->url.nsentinels)
        snprintf (buf, size, "%s:%d", self->url.host, self->url.port);
    else if (self->url.host)
        snprintf (buf, size, "master %s at %s:%d", self->url.master_name,
                  self->url.host, self->url.port);
    else
        snprintf (buf, size, "master %s", self->url.master_name);
    return buf;
}


//  Drop the context after an error; the next attempt may come at once.
static void
s_drop (edge_redis_t *self, const char *what, const char *why)
{
    char where[200];
    edge_warn ("redis: %s %s failed: %s; reconnecting", what,
               s_where (self, where, sizeof where),
               why                           ? why
               : self->ctx && self->ctx->err ? self->ctx->errstr
                                             : "connection lost");
    redisFree (self->ctx);
    self->ctx = NULL;
    atomic_store (&self->is_up, false);
    self->has_failed = true;
    self->next_attempt_ms = edge_mono_ms ();
}


//  Record a failed connection attempt and schedule the next one.
static void
s_backoff (edge_redis_t *self, const char *why)
{
    self->backoff_ms =
        self->backoff_ms ? self->backoff_ms * 2 : S_BACKOFF_FIRST_MS;
    if (self->backoff_ms > S_BACKOFF_MAX_MS)
        self->backoff_ms = S_BACKOFF_MAX_MS;
    self->failed_ms = edge_mono_ms ();
    self->next_attempt_ms = self->failed_ms + self->backoff_ms;
    self->has_failed = true;
    char where[200];
    edge_warn ("redis: cannot connect to %s: %s (next attempt in %lld ms)",
               s_where (self, where, sizeof where), why,
               (long long) self->backoff_ms);
}


//  Send one setup command on a fresh context. Returns 0, or -1 with why.
static int
s_setup_command (
    redisContext *ctx, int argc, const char **argv, char *why, size_t whylen)
{
    redisReply *reply = redisCommandArgv (ctx, argc, argv, NULL);
    int rc = 0;
    if (!reply || ctx->err) {
        snprintf (why, whylen, "%s: %s", argv[0],
                  ctx->err ? ctx->errstr : "no reply");
        rc = -1;
    }
    else if (reply->type == REDIS_REPLY_ERROR) {
        //  The server's message names no secret ("WRONGPASS invalid ...")
        snprintf (why, whylen, "%s refused: %.100s", argv[0], reply->str);
        rc = -1;
    }
    freeReplyObject (reply);
    return rc;
}


//  AUTH and SELECT on a fresh context. Returns 0, or -1 with why set.
static int
s_setup (edge_redis_t *self, redisContext *ctx, char *why, size_t whylen)
{
    if (self->url.password) {
        const char *argv[3] = {"AUTH", self->url.username, self->url.password};
        if (!self->url.username)
            argv[1] = self->url.password;
        if (s_setup_command (ctx, self->url.username ? 3 : 2, argv, why,
                             whylen))
            return -1;
    }
    if (self->url.db != 0) {
        char db[16];
        snprintf (db, sizeof db, "%d", self->url.db);
        const char *argv[2] = {"SELECT", db};
        if (s_setup_command (ctx, 2, argv, why, whylen))
            return -1;
    }
    return 0;
}


//  A context connected to host:port with timeout_ms on connect and on
//  every command, or NULL with why set.
static redisContext *
s_open (const char *host, int port, int timeout_ms, char *why, size_t whylen)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *ctx = redisConnectWithTimeout (host, port, tv);
    if (!ctx || ctx->err)
        snprintf (why, whylen, "%s", ctx ? ctx->errstr : "out of memory");
    else if (redisSetTimeout (ctx, tv) != REDIS_OK)
        snprintf (why, whylen, "cannot set the command timeout");
    else
        return ctx;
    redisFree (ctx);
    return NULL;
}


//  Ask the sentinels, in turn from the last one that answered, where the
//  master is; url.host and url.port become its address. Returns 0, or -1
//  with why set (naming every sentinel's failure, briefly).
static int
s_resolve_master (edge_redis_t *self, char *why, size_t whylen)
{
    size_t n = self->url.nsentinels, used = 0;
    why[0] = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = (self->sentinel + k) % n;
        const edge_redis_sentinel_t *sentinel = &self->url.sentinels[i];
        char one[96] = "";
        redisContext *ctx = s_open (sentinel->host, sentinel->port,
                                    self->timeout_ms, one, sizeof one);
        redisReply *reply =
            ctx ? redisCommand (ctx, "SENTINEL get-master-addr-by-name %s",
                                self->url.master_name)
                : NULL;
        if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
            && reply->element[0]->type == REDIS_REPLY_STRING
            && reply->element[1]->type == REDIS_REPLY_STRING) {
            int port = atoi (reply->element[1]->str);
            if (port > 0 && port < 65536) {
                free (self->url.host);
                self->url.host = edge_strdup (reply->element[0]->str);
                self->url.port = port;
                self->sentinel = i;
                freeReplyObject (reply);
                redisFree (ctx);
                return 0;
            }
        }
        if (ctx && !one[0])
            snprintf (one, sizeof one, "%.80s",
                      ctx->err                              ? ctx->errstr
                      : reply && reply->type == REDIS_REPLY_ERROR ? reply->str
                      : "does not know the master");
        freeReplyObject (reply);
        redisFree (ctx);
        int w = snprintf (why + used, whylen - used, "%ssentinel %s:%d: %.60s",
                          used ? "; " : "", sentinel->host, sentinel->port,
                          one);
        if (w > 0 && (size_t) w < whylen - used)
            used += (size_t) w;
    }
    return -1;
}


//  The node ctx reached is a master (ROLE): a sentinel may answer with a
//  master that was just demoted. Records its replica count. Returns 0, or
//  -1 with why set.
static int
s_check_master (edge_redis_t *self, redisContext *ctx, char *why, size_t whylen)
{
    redisReply *reply = redisCommand (ctx, "ROLE");
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 3
        && reply->element[0]->type == REDIS_REPLY_STRING
        && strcmp (reply->element[0]->str, "master") == 0) {
        self->replicas = reply->element[2]->type == REDIS_REPLY_ARRAY
                             ? (int) reply->element[2]->elements
                             : 0;
        self->replicas_at_ms = edge_mono_ms ();
        rc = 0;
    }
    else
        snprintf (why, whylen, "%s:%d is not the master (yet)",
                  self->url.host, self->url.port);
    freeReplyObject (reply);
    return rc;
}


static void s_own (edge_redis_t *self);
static void s_disown (edge_redis_t *self);


//  Connect unless connected (the caller owns the connection).
static int
s_connect (edge_redis_t *self)
{
    int64_t now = edge_mono_ms ();
    if (self->ctx && now - self->used_ms >= S_IDLE_CHECK_MS) {
        //  Nothing is owed to us on an idle connection: anything readable
        //  is the server's close (or garbage)
        struct pollfd pfd = {.fd = self->ctx->fd, .events = POLLIN};
        if (poll (&pfd, 1, 0) != 0)
            s_drop (self, "idle connection to", "closed by the server");
    }
    self->used_ms = now;
    if (self->ctx)
        return 0;
    //  Backing off, unless another handle of this process connected since
    //  our last failure: the server (or a new master) is back
    if (now < self->next_attempt_ms
        && atomic_load (&s_connected_ms) <= self->failed_ms)
        return -1;
    char why[200];
    redisContext *ctx = NULL;
    if (self->url.nsentinels && s_resolve_master (self, why, sizeof why))
        goto failed;
    ctx = s_open (self->url.host, self->url.port, self->timeout_ms, why,
                  sizeof why);
    if (!ctx || s_setup (self, ctx, why, sizeof why))
        goto failed;
    if (self->url.nsentinels && s_check_master (self, ctx, why, sizeof why))
        goto failed;
    self->ctx = ctx;
    atomic_store (&self->is_up, true);
    atomic_store (&s_connected_ms, edge_mono_ms ());
    self->backoff_ms = 0;
    char where[200];
    if (self->has_failed) {
        atomic_fetch_add (&s_reconnects, 1);
        edge_info ("redis: connected to %s",
                   s_where (self, where, sizeof where));
    }
    else
        edge_debug ("redis: connected to %s",
                    s_where (self, where, sizeof where));
    self->has_failed = false;
    return 0;
failed:
    redisFree (ctx);
    s_backoff (self, why);
    return -1;
}


int
edge_redis_connect (edge_redis_t *self)
{
    edge_assert (self);
    s_own (self);
    int rc = s_connect (self);
    s_disown (self);
    return rc;
}


//  The server's connected replicas (ROLE) into self->replicas. Returns 0,
//  or -1 when Redis failed.
static int
s_read_replicas (edge_redis_t *self)
{
    redisReply *reply = edge_redis_command (self, "ROLE");
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
        && reply->element[0]->type == REDIS_REPLY_STRING) {
        bool is_master = strcmp (reply->element[0]->str, "master") == 0;
        self->replicas = is_master && reply->elements >= 3
                                 && reply->element[2]->type
                                        == REDIS_REPLY_ARRAY
                             ? (int) reply->element[2]->elements
                             : 0;
        self->replicas_at_ms = edge_mono_ms ();
        rc = 0;
    }
    freeReplyObject (reply);
    return rc;
}


bool
edge_redis_is_connected (const edge_redis_t *self)
{
    edge_assert (self);
    return atomic_load (&self->is_up);
}


int
edge_redis_replicated (edge_redis_t *self, int timeout_ms)
{
    edge_assert (self);
    if (!edge_redis_is_connected (self))
        return -1; //  the write itself did not reach Redis
    int64_t now = edge_mono_ms ();
    if (!self->replicas_at_ms || now - self->replicas_at_ms >= 1000) {
        if (s_read_replicas (self))
            return -1;
    }
    if (self->replicas == 0)
        return 0;
    redisReply *reply = edge_redis_command (self, "WAIT 1 %d", timeout_ms);
    long long acked = reply && reply->type == REDIS_REPLY_INTEGER
                          ? reply->integer
                          : -1;
    freeReplyObject (reply);
    if (acked >= 1)
        return 0;
    //  None acknowledged: fine only if the master has no replica now
    if (acked < 0 || s_read_replicas (self))
        return -1;
    return self->replicas == 0 ? 0 : -1;
}


unsigned long long
edge_redis_reconnects (void)
{
    return atomic_load (&s_reconnects);
}


//  Check a reply for an I/O error; drops the context when there was one.
static redisReply *
s_checked (edge_redis_t *self, redisReply *reply)
{
    if (!reply || self->ctx->err) {
        freeReplyObject (reply);
        s_drop (self, "command to", NULL);
        return NULL;
    }
    //  A demoted master (a failover happened) refuses writes: find the new
    //  one. The command did not run; the caller sees "Redis unreachable".
    if (reply->type == REDIS_REPLY_ERROR
        && (strncmp (reply->str, "READONLY", 8) == 0
            || strstr (reply->str, "-READONLY"))) {
        freeReplyObject (reply);
        s_drop (self, "write to", "the node is a read-only replica now");
        return NULL;
    }
    return reply;
}


//  Shared handles: wait until no leader owns the connection and take it.
//  No-op for a plain handle.
static void
s_own (edge_redis_t *self)
{
    if (!self->is_shared)
        return;
    pthread_mutex_lock (&self->lock);
    while (self->is_busy)
        pthread_cond_wait (&self->cond, &self->lock);
    self->is_busy = true;
    pthread_mutex_unlock (&self->lock);
}


//  Give the connection back (after s_own) and wake every waiter.
static void
s_disown (edge_redis_t *self)
{
    if (!self->is_shared)
        return;
    pthread_mutex_lock (&self->lock);
    self->is_busy = false;
    pthread_cond_broadcast (&self->cond);
    pthread_mutex_unlock (&self->lock);
}


//  The leader's work: write every command of the group, then read their
//  replies in order. After an I/O error the rest get NULL; a READONLY
//  answer (the node was demoted) drops the connection once the group is
//  read, and its command gets NULL as with a plain handle.
static void
s_send_group (edge_redis_t *self, s_call_t *group)
{
    bool is_up = s_connect (self) == 0;
    for (s_call_t *call = group; is_up && call; call = call->next)
        if (redisAppendFormattedCommand (self->ctx, call->cmd,
                                         (size_t) call->len)
            != REDIS_OK)
            is_up = false;
    bool is_readonly = false;
    for (s_call_t *call = group; call; call = call->next) {
        void *reply = NULL;
        if (is_up && redisGetReply (self->ctx, &reply) != REDIS_OK) {
            freeReplyObject (reply);
            reply = NULL;
            is_up = false;
        }
        redisReply *r = reply;
        if (r && r->type == REDIS_REPLY_ERROR
            && (strncmp (r->str, "READONLY", 8) == 0
                || strstr (r->str, "-READONLY"))) {
            freeReplyObject (r);
            r = NULL;
            is_readonly = true;
        }
        call->reply = is_up ? r : NULL;
    }
    if (self->ctx && (!is_up || self->ctx->err))
        s_drop (self, "command to", NULL);
    else if (self->ctx && is_readonly)
        s_drop (self, "write to", "the node is a read-only replica now");
}


//  Queue a formatted command on a shared handle and return its reply,
//  leading the group when the connection is idle. Frees cmd.
//  Queue calls[0..n) (formatted) together on a shared handle and wait for
//  their replies, leading a group when the connection is idle. Calls queued
//  under one lock hold go out in the same group, in order.
static void
s_group_run (edge_redis_t *self, s_call_t *calls, size_t n)
{
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < n; i++) {
        *self->tail = &calls[i];
        self->tail = &calls[i].next;
    }
    self->queued += n;
    while (!calls[n - 1].is_done) {
        if (self->is_busy) {
            pthread_cond_wait (&self->cond, &self->lock);
            continue;
        }
        s_call_t *group = self->head; //  ours are in it
        self->groups++;
        self->commands += self->queued;
        self->head = NULL;
        self->tail = &self->head;
        self->queued = 0;
        self->is_busy = true;
        pthread_mutex_unlock (&self->lock);
        s_send_group (self, group);
        pthread_mutex_lock (&self->lock);
        for (s_call_t *done = group; done; done = done->next)
            done->is_done = true;
        self->is_busy = false;
        pthread_cond_broadcast (&self->cond);
    }
    pthread_mutex_unlock (&self->lock);
}


//  One formatted command on a shared handle: its reply. Frees cmd.
static redisReply *
s_group_call (edge_redis_t *self, char *cmd, long long len)
{
    if (len < 0)
        return NULL; //  hiredis could not format it (out of memory)
    s_call_t call = {.cmd = cmd, .len = len};
    s_group_run (self, &call, 1);
    redisFreeCommand (cmd);
    return call.reply;
}


redisReply *
edge_redis_command (edge_redis_t *self, const char *fmt, ...)
{
    edge_assert (self && fmt);
    va_list args;
    va_start (args, fmt);
    redisReply *reply = NULL;
    if (self->is_shared) {
        char *cmd = NULL;
        int len = redisvFormatCommand (&cmd, fmt, args);
        reply = s_group_call (self, cmd, len);
    }
    else if (s_connect (self) == 0)
        reply = s_checked (self, redisvCommand (self->ctx, fmt, args));
    va_end (args);
    return reply;
}


redisReply *
edge_redis_argv (edge_redis_t *self,
                 int argc,
                 const char **argv,
                 const size_t *argvlen)
{
    edge_assert (self && argc > 0 && argv);
    if (self->is_shared) {
        char *cmd = NULL;
        long long len = redisFormatCommandArgv (&cmd, argc, argv, argvlen);
        return s_group_call (self, cmd, len);
    }
    if (s_connect (self))
        return NULL;
    redisReply *reply = redisCommandArgv (self->ctx, argc, argv, argvlen);
    return s_checked (self, reply);
}


//  Copy the script's SHA1 into sha, computing it on first use.
static void
s_script_sha (edge_redis_script_t *script, char sha[41])
{
    pthread_mutex_lock (&s_sha_lock);
    if (!script->sha[0]) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        int rc = EVP_Digest (script->source, strlen (script->source), digest,
                             &len, EVP_sha1 (), NULL);
        edge_assert (rc == 1 && len == 20);
        for (unsigned int i = 0; i < len; i++)
            snprintf (script->sha + 2 * i, 3, "%02x", digest[i]);
    }
    memcpy (sha, script->sha, 41);
    pthread_mutex_unlock (&s_sha_lock);
}


//  EVALSHA or EVAL (first argument given) with keys and args.
static redisReply *
s_eval (edge_redis_t *self,
        const char *verb,
        const char *first,
        int nkeys,
        const char **keys,
        int nargs,
        const char **args)
{
    int argc = 3 + nkeys + nargs;
    const char **argv = edge_malloc (sizeof (char *) * (size_t) argc);
    char numkeys[16];
    snprintf (numkeys, sizeof numkeys, "%d", nkeys);
    argv[0] = verb;
    argv[1] = first;
    argv[2] = numkeys;
    for (int i = 0; i < nkeys; i++)
        argv[3 + i] = keys[i];
    for (int i = 0; i < nargs; i++)
        argv[3 + nkeys + i] = args[i];
    redisReply *reply = edge_redis_argv (self, argc, argv, NULL);
    free (argv);
    return reply;
}


redisReply *
edge_redis_eval (edge_redis_t *self,
                 edge_redis_script_t *script,
                 int nkeys,
                 const char **keys,
                 int nargs,
                 const char **args)
{
    edge_assert (self && script && script->source && nkeys >= 0 && nargs >= 0);
    char sha[41];
    s_script_sha (script, sha);
    redisReply *reply = s_eval (self, "EVALSHA", sha, nkeys, keys, nargs, args);
    if (reply && reply->type == REDIS_REPLY_ERROR
        && strncmp (reply->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject (reply);
        edge_debug ("redis: script %s (%.12s) not cached, sending it",
                    script->name ? script->name : "-", sha);
        reply = s_eval (self, "EVAL", script->source, nkeys, keys, nargs, args);
    }
    return reply;
}


//  EVALSHA (or EVAL with the source when is_source) of call, formatted
//  (RESP) into *cmd (redisFreeCommand it). Returns its length.
static long long
s_eval_format (const edge_redis_call_t *call,
               const char *sha,
               bool is_source,
               char **cmd)
{
    int argc = 3 + call->nkeys + call->nargs;
    const char **argv = edge_malloc (sizeof (char *) * (size_t) argc);
    char numkeys[16];
    snprintf (numkeys, sizeof numkeys, "%d", call->nkeys);
    argv[0] = is_source ? "EVAL" : "EVALSHA";
    argv[1] = is_source ? call->script->source : sha;
    argv[2] = numkeys;
    for (int i = 0; i < call->nkeys; i++)
        argv[3 + i] = call->keys[i];
    for (int i = 0; i < call->nargs; i++)
        argv[3 + call->nkeys + i] = call->args[i];
    long long len = redisFormatCommandArgv (cmd, argc, argv, NULL);
    //  Only fails on out-of-memory, which is fatal here
    edge_assert (len >= 0);
    free (argv);
    return len;
}


//  Append EVALSHA (or EVAL) of call to the context's output buffer.
static void
s_append_eval (redisContext *ctx,
               const edge_redis_call_t *call,
               const char *sha,
               bool is_source)
{
    char *cmd = NULL;
    long long len = s_eval_format (call, sha, is_source, &cmd);
    int rc = redisAppendFormattedCommand (ctx, cmd, (size_t) len);
    edge_assert (rc == REDIS_OK);
    redisFreeCommand (cmd);
}


//  A pipeline on a shared handle: the formatted commands cmds[0..count)
//  (freed here) go out together in one group. Returns 0, or -1 with every
//  reply NULL when any came back NULL (Redis failed on the way).
static int
s_group_pipeline (edge_redis_t *self,
                  char **cmds,
                  const long long *lens,
                  size_t count,
                  redisReply **replies)
{
    s_call_t *calls = edge_calloc (count, sizeof *calls);
    for (size_t i = 0; i < count; i++)
        calls[i] = (s_call_t) {.cmd = cmds[i], .len = lens[i]};
    s_group_run (self, calls, count);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        replies[i] = calls[i].reply;
        rc = replies[i] ? rc : -1;
        redisFreeCommand (cmds[i]);
    }
    free (calls);
    if (rc)
        for (size_t i = 0; i < count; i++) {
            freeReplyObject (replies[i]);
            replies[i] = NULL;
        }
    return rc;
}


//  edge_redis_eval_pipeline on a shared handle: EVALSHA each in one group,
//  then the NOSCRIPT ones again with EVAL in another.
static int
s_group_eval_pipeline (edge_redis_t *self,
                       const edge_redis_call_t *calls,
                       size_t count,
                       redisReply **replies)
{
    char **cmds = edge_calloc (count, sizeof *cmds);
    long long *lens = edge_calloc (count, sizeof *lens);
    for (size_t i = 0; i < count; i++) {
        char sha[41];
        s_script_sha (calls[i].script, sha);
        lens[i] = s_eval_format (&calls[i], sha, false, &cmds[i]);
    }
    int rc = s_group_pipeline (self, cmds, lens, count, replies);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (replies[i]->type != REDIS_REPLY_ERROR
            || strncmp (replies[i]->str, "NOSCRIPT", 8) != 0)
            continue;
        freeReplyObject (replies[i]);
        lens[0] = s_eval_format (&calls[i], NULL, true, &cmds[0]);
        if (s_group_pipeline (self, cmds, lens, 1, &replies[i])) {
            for (size_t j = 0; j < count; j++)
                if (j != i)
                    freeReplyObject (replies[j]);
            for (size_t j = 0; j < count; j++)
                replies[j] = NULL;
            rc = -1;
        }
    }
    free (lens);
    free (cmds);
    return rc;
}


//  Read count replies into replies; NOSCRIPT answers are sent again with
//  EVAL (one more round trip). Returns 0, or -1 after an I/O error or a
//  read-only answer (the context is dropped then).
static int
s_read_pipeline (edge_redis_t *self,
                 const edge_redis_call_t *calls,
                 size_t count,
                 redisReply **replies)
{
    size_t resent = 0;
    for (size_t i = 0; i < count; i++) {
        void *reply = NULL;
        if (redisGetReply (self->ctx, &reply) != REDIS_OK)
            return -1;
        replies[i] = s_checked (self, reply);
        if (!replies[i])
            return -1;
        if (replies[i]->type == REDIS_REPLY_ERROR
            && strncmp (replies[i]->str, "NOSCRIPT", 8) == 0) {
            freeReplyObject (replies[i]);
            replies[i] = NULL;
            s_append_eval (self->ctx, &calls[i], NULL, true);
            resent++;
        }
    }
    for (size_t i = 0; i < count && resent > 0; i++) {
        if (replies[i])
            continue;
        void *reply = NULL;
        if (redisGetReply (self->ctx, &reply) != REDIS_OK)
            return -1;
        replies[i] = s_checked (self, reply);
        if (!replies[i])
            return -1;
        resent--;
    }
    return 0;
}


//  End a plain handle's pipeline (after s_own): on failure (rc != 0) free and clear
//  every reply and drop the connection; give the connection back. Returns
//  rc.
static int
s_pipeline_end (edge_redis_t *self, int rc, size_t count, redisReply **replies)
{
    if (rc) {
        for (size_t i = 0; i < count; i++) {
            freeReplyObject (replies[i]);
            replies[i] = NULL;
        }
        if (self->ctx)
            s_drop (self, "pipeline to", NULL);
    }
    s_disown (self);
    return rc;
}


int
edge_redis_eval_pipeline (edge_redis_t *self,
                          const edge_redis_call_t *calls,
                          size_t count,
                          redisReply **replies)
{
    edge_assert (self && (calls || count == 0) && (replies || count == 0));
    for (size_t i = 0; i < count; i++) {
        edge_assert (calls[i].script && calls[i].script->source);
        edge_assert (calls[i].nkeys >= 0 && calls[i].nargs >= 0);
        replies[i] = NULL;
    }
    if (count == 0)
        return 0;
    if (self->is_shared)
        return s_group_eval_pipeline (self, calls, count, replies);
    s_own (self);
    int rc = s_connect (self);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char sha[41];
        s_script_sha (calls[i].script, sha);
        s_append_eval (self->ctx, &calls[i], sha, false);
    }
    if (rc == 0)
        rc = s_read_pipeline (self, calls, count, replies);
    return s_pipeline_end (self, rc, count, replies);
}


int
edge_redis_pipeline (edge_redis_t *self,
                     size_t count,
                     const int *argcs,
                     const char *const *const *argvs,
                     redisReply **replies)
{
    edge_assert (self && (count == 0 || (argcs && argvs && replies)));
    for (size_t i = 0; i < count; i++)
        replies[i] = NULL;
    if (count == 0)
        return 0;
    if (self->is_shared) {
        char **cmds = edge_calloc (count, sizeof *cmds);
        long long *lens = edge_calloc (count, sizeof *lens);
        for (size_t i = 0; i < count; i++) {
            lens[i] = redisFormatCommandArgv (&cmds[i], argcs[i],
                                              (const char **) argvs[i], NULL);
            edge_assert (lens[i] >= 0); //  out of memory only
        }
        int rc = s_group_pipeline (self, cmds, lens, count, replies);
        free (lens);
        free (cmds);
        return rc;
    }
    s_own (self);
    int rc = s_connect (self);
    for (size_t i = 0; rc == 0 && i < count; i++)
        if (redisAppendCommandArgv (self->ctx, argcs[i],
                                    (const char **) argvs[i], NULL)
            != REDIS_OK)
            rc = -1;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        void *reply = NULL;
        if (redisGetReply (self->ctx, &reply) != REDIS_OK)
            rc = -1;
        else if (!(replies[i] = s_checked (self, reply)))
            rc = -1;
    }
    return s_pipeline_end (self, rc, count, replies);
}


const char *
edge_redis_hash_field (const redisReply *reply, const char *name)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY || !name)
        return NULL;
    for (size_t i = 0; i + 1 < reply->elements; i += 2)
        if (reply->element[i]->type == REDIS_REPLY_STRING
            && reply->element[i + 1]->type == REDIS_REPLY_STRING
            && strcmp (reply->element[i]->str, name) == 0)
            return reply->element[i + 1]->str;
    return NULL;
}


const char *
edge_redis_script_status (const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_STRING)
        return NULL;
    return reply->element[0]->str;
}


bool
edge_redis_script_is (const redisReply *reply, const char *status)
{
    const char *text = edge_redis_script_status (reply);
    return text && status && strcmp (text, status) == 0;
}
