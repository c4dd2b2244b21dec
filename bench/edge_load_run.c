/*  edge_load_run - the connections of edge-load: one thread, epoll,
    keep-alive, non-blocking sockets; the HTTP/1.1 answer parser; closed or
    open loop pacing (a timerfd wakes the loop when the next request is
    due and a connection is free for it).  */
#include "edge_load.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define S_NS        1000000000LL
#define S_BUF_SIZE  (64u << 10)      //  read buffer: bounds one header block
#define S_BODY_CAP  (16u << 10)      //  body bytes kept per answer for --names
#define S_RETRY_NS  (50 * 1000000LL) //  pause after a failed connect
#define S_TICK_MS   100              //  how often timeouts are checked
#define S_EVENTS    256
#define S_TIMER_TAG UINT32_MAX //  epoll tag of the pacing timer

typedef enum {
    S_DOWN,       //  no socket; connects again at retry_at
    S_CONNECTING, //  non-blocking connect in progress
    S_IDLE,       //  connected, no request
    S_BUSY        //  a request is being sent or answered
} s_state_t;

typedef enum {
    S_HEAD,        //  status line and headers
    S_LENGTH,      //  a Content-Length body
    S_CHUNK_SIZE,  //  a chunk-size line
    S_CHUNK_DATA,  //  chunk bytes
    S_CHUNK_END,   //  the CRLF after a chunk
    S_TRAILER,     //  trailer lines up to the empty one
    S_UNTIL_CLOSE, //  a body that ends when the server closes
    S_DONE
} s_phase_t;

typedef enum { S_MORE, S_PROGRESS, S_BAD } s_parse_t;

struct edge_load_conn {
    int fd;
    s_state_t state;
    uint32_t events;   //  epoll events registered
    bool is_idle_held; //  listed in the idle stack
    int64_t retry_at;  //  S_DOWN: when to connect again
    int64_t since;     //  S_CONNECTING/S_BUSY: start, for timeouts
    int64_t due;       //  S_BUSY: when the request was due
    size_t sent;       //  request bytes sent
    char *buf;         //  read buffer, S_BUF_SIZE bytes
    size_t pos, len;   //  unparsed bytes are buf[pos..len)
    s_phase_t phase;
    int status;
    bool is_close;     //  the answer ends the connection
    int64_t remaining; //  body or chunk bytes left
    char *body;        //  kept body bytes (--names), S_BODY_CAP
    size_t body_len;
};

static volatile sig_atomic_t s_signals;


static void
s_on_signal (int sig)
{
    (void) sig;
    s_signals++;
}


static int64_t
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * S_NS + ts.tv_nsec;
}


void *
edge_load_alloc (size_t size)
{
    void *p = calloc (1, size ? size : 1);
    if (!p) {
        fprintf (stderr, "edge-load: out of memory\n");
        exit (1);
    }
    return p;
}


static bool
s_is_ok (const edge_load_t *self, int status)
{
    if (self->n_expect == 0)
        return status >= 200 && status < 300;
    for (int i = 0; i < self->n_expect; i++)
        if (self->expect[i] == status)
            return true;
    return false;
}


static void
s_record (edge_load_t *self, int64_t latency_ns)
{
    if (self->n_lat == self->cap_lat) {
        self->cap_lat = self->cap_lat ? self->cap_lat * 2 : 65536;
        self->lat = realloc (self->lat, self->cap_lat * sizeof *self->lat);
        if (!self->lat) {
            fprintf (stderr, "edge-load: out of memory\n");
            exit (1);
        }
    }
    int64_t us = latency_ns > 0 ? latency_ns / 1000 : 0;
    self->lat[self->n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t) us;
}


//  The "taskName" string of a JSON body, written as one line.
static void
s_write_name (edge_load_t *self, const char *body, size_t len)
{
    static const char key[] = "\"taskName\"";
    size_t k = sizeof key - 1;
    for (size_t i = 0; i + k <= len; i++) {
        if (memcmp (body + i, key, k) != 0)
            continue;
        size_t p = i + k;
        while (p < len && (body[p] == ' ' || body[p] == ':'))
            p++;
        if (p >= len || body[p] != '"')
            return;
        size_t end = ++p;
        while (end < len && body[end] != '"' && body[end] != '\\')
            end++;
        if (end < len && body[end] == '"')
            fprintf (self->names, "%.*s\n", (int) (end - p), body + p);
        return;
    }
}


//  ----------------------------------------------------------------------
//  Connections

static void
s_want (edge_load_t *self, edge_load_conn_t *c, uint32_t events)
{
    if (c->events == events)
        return;
    struct epoll_event ev = {.events = events, .data.u32 = c - self->conn};
    if (epoll_ctl (self->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->events = events;
}


static void
s_push_idle (edge_load_t *self, edge_load_conn_t *c)
{
    c->state = S_IDLE;
    if (!c->is_idle_held) {
        c->is_idle_held = true;
        self->idle[self->n_idle++] = (uint32_t) (c - self->conn);
    }
}


//  Close the socket; connect again after retry_ns. A request in flight
//  fails as why.
static void
s_close (edge_load_t *self,
         edge_load_conn_t *c,
         int64_t now,
         int64_t retry_ns,
         edge_load_fail_t why)
{
    if (c->state == S_BUSY) {
        self->n_busy--;
        self->completed++;
        self->failed[why]++;
        self->last_done = now;
    }
    if (c->fd >= 0)
        close (c->fd);
    c->fd = -1;
    c->state = S_DOWN;
    c->retry_at = now + retry_ns;
    c->pos = c->len = 0;
    self->n_down++;
}


static void
s_connect_failed (edge_load_t *self, edge_load_conn_t *c, int64_t now, int err)
{
    self->connect_failures++;
    self->failures_in_row++;
    self->last_errno = err;
    s_close (self, c, now, S_RETRY_NS, EDGE_LOAD_FAIL_CONN);
}


static void
s_connect (edge_load_t *self, edge_load_conn_t *c, int64_t now)
{
    self->n_down--;
    c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->state = S_CONNECTING; //  s_close counts it down again
        s_connect_failed (self, c, now, errno);
        return;
    }
    int one = 1;
    setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = S_CONNECTING;
    c->since = now;
    c->events = EPOLLIN | EPOLLOUT;
    struct epoll_event ev = {.events = c->events, .data.u32 = c - self->conn};
    int rc =
        connect (c->fd, (struct sockaddr *) &self->addr, sizeof self->addr);
    if ((rc && errno != EINPROGRESS)
        || epoll_ctl (self->epfd, EPOLL_CTL_ADD, c->fd, &ev))
        s_connect_failed (self, c, now, errno);
}


static void
s_connected (edge_load_t *self, edge_load_conn_t *c, int64_t now)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
        s_connect_failed (self, c, now, err ? err : errno);
        return;
    }
    self->connects++;
    self->failures_in_row = 0;
    s_want (self, c, EPOLLIN);
    s_push_idle (self, c);
}


//  Send what is left of the request; wait for EPOLLOUT when the socket
//  is full.
static void
s_send (edge_load_t *self, edge_load_conn_t *c, int64_t now)
{
    while (c->sent < self->request_len) {
        ssize_t n = send (c->fd, self->request + c->sent,
                          self->request_len - c->sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->sent += (size_t) n;
            self->bytes_out += n;
        }
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s_want (self, c, EPOLLIN | EPOLLOUT);
            return;
        }
        else if (n < 0 && errno != EINTR) {
            s_close (self, c, now, 0, EDGE_LOAD_FAIL_CONN);
            return;
        }
    }
    s_want (self, c, EPOLLIN);
}


static void
s_assign (edge_load_t *self, edge_load_conn_t *c, int64_t due, int64_t now)
{
    c->state = S_BUSY;
    c->due = due;
    c->since = now;
    c->sent = 0;
    c->phase = S_HEAD;
    c->body_len = 0;
    self->n_busy++;
    self->issued++;
    s_send (self, c, now);
}


//  ----------------------------------------------------------------------
//  Answers

//  Offset just past the first CRLF (crlfcrlf: the first empty line) in
//  data, or 0.
static size_t
s_find (const char *data, size_t len, bool crlfcrlf)
{
    size_t need = crlfcrlf ? 4 : 2;
    for (size_t i = 0; i + need <= len; i++)
        if (data[i] == '\r' && data[i + 1] == '\n'
            && (!crlfcrlf || (data[i + 2] == '\r' && data[i + 3] == '\n')))
            return i + need;
    return 0;
}


//  True when the comma-separated value holds token (any case).
static bool
s_has_token (const char *value, size_t len, const char *token)
{
    size_t k = strlen (token);
    for (size_t i = 0; i + k <= len; i++)
        if (strncasecmp (value + i, token, k) == 0)
            return true;
    return false;
}


//  One header line: Content-Length, Transfer-Encoding, Connection.
static int
s_header (edge_load_conn_t *c,
          const char *line,
          size_t len,
          int64_t *length,
          bool *is_chunked)
{
    const char *colon = memchr (line, ':', len);
    if (!colon)
        return -1;
    size_t name_len = (size_t) (colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    size_t vlen = (size_t) (end - v);
    if (name_len == 14 && strncasecmp (line, "content-length", 14) == 0) {
        int64_t n = 0;
        size_t i = 0;
        for (; i < vlen && v[i] >= '0' && v[i] <= '9' && n < (1LL << 50); i++)
            n = n * 10 + (v[i] - '0');
        if (i == 0 || (i < vlen && v[i] != ' ' && v[i] != '\t')
            || (*length >= 0 && *length != n))
            return -1;
        *length = n;
    }
    else if (name_len == 17 && strncasecmp (line, "transfer-encoding", 17) == 0)
        *is_chunked = s_has_token (v, vlen, "chunked");
    else if (name_len == 10 && strncasecmp (line, "connection", 10) == 0) {
        if (s_has_token (v, vlen, "close"))
            c->is_close = true;
        else if (s_has_token (v, vlen, "keep-alive"))
            c->is_close = false;
    }
    return 0;
}


static s_parse_t
s_parse_head (edge_load_t *self, edge_load_conn_t *c)
{
    const char *p = c->buf + c->pos;
    size_t size = s_find (p, c->len - c->pos, true);
    if (size == 0)
        return c->len - c->pos == S_BUF_SIZE ? S_BAD : S_MORE;
    if (size < 16 || memcmp (p, "HTTP/1.", 7) != 0 || p[8] != ' ' || p[9] < '1'
        || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0'
        || p[11] > '9' || (p[12] != ' ' && p[12] != '\r'))
        return S_BAD;
    c->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    c->is_close = p[7] == '0';
    int64_t length = -1;
    bool is_chunked = false;
    size_t at = s_find (p, size, false);
    while (at + 2 < size) {
        size_t line = s_find (p + at, size - at, false);
        if (s_header (c, p + at, line - 2, &length, &is_chunked))
            return S_BAD;
        at += line;
    }
    c->pos += size;
    if (c->status < 200) //  100 Continue and the like: the answer follows
        return c->status == 101 ? S_BAD : S_PROGRESS;
    if (self->is_head || c->status == 204 || c->status == 304)
        c->phase = S_DONE;
    else if (is_chunked)
        c->phase = S_CHUNK_SIZE;
    else if (length >= 0) {
        c->remaining = length;
        c->phase = length ? S_LENGTH : S_DONE;
    }
    else {
        c->phase = S_UNTIL_CLOSE;
        c->is_close = true;
    }
    return S_PROGRESS;
}


//  Consume up to want body bytes (keeping them for --names).
static size_t
s_take (edge_load_t *self, edge_load_conn_t *c, int64_t want)
{
    size_t n = c->len - c->pos;
    if (want >= 0 && (int64_t) n > want)
        n = (size_t) want;
    if (self->names && c->body_len < S_BODY_CAP) {
        size_t keep =
            n < S_BODY_CAP - c->body_len ? n : S_BODY_CAP - c->body_len;
        memcpy (c->body + c->body_len, c->buf + c->pos, keep);
        c->body_len += keep;
    }
    c->pos += n;
    return n;
}


static s_parse_t
s_parse_chunked (edge_load_t *self, edge_load_conn_t *c)
{
    const char *p = c->buf + c->pos;
    size_t avail = c->len - c->pos;
    if (c->phase == S_CHUNK_DATA) {
        c->remaining -= (int64_t) s_take (self, c, c->remaining);
        if (c->remaining == 0)
            c->phase = S_CHUNK_END;
        return c->remaining ? S_MORE : S_PROGRESS;
    }
    size_t line = s_find (p, avail, false);
    if (line == 0)
        return avail >= 4096 ? S_BAD : S_MORE;
    if (c->phase == S_CHUNK_END) {
        if (line != 2)
            return S_BAD; //  chunk data longer than its size
        c->phase = S_CHUNK_SIZE;
    }
    else if (c->phase == S_TRAILER)
        c->phase = line == 2 ? S_DONE : S_TRAILER;
    else {
        int64_t size = 0;
        size_t i = 0;
        for (; i < line - 2 && isxdigit ((unsigned char) p[i])
               && size < (1LL << 50);
             i++)
            size = size * 16
                   + (p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
        if (i == 0 || (p[i] != ';' && p[i] != '\r' && p[i] != ' '))
            return S_BAD;
        c->remaining = size;
        c->phase = size ? S_CHUNK_DATA : S_TRAILER;
    }
    c->pos += line;
    return S_PROGRESS;
}


//  The answer is complete: count it, then keep the connection or close it.
static void
s_complete (edge_load_t *self, edge_load_conn_t *c, int64_t now)
{
    self->n_busy--;
    self->completed++;
    self->last_done = now;
    self->status[c->status]++;
    s_record (self, now - c->due);
    if (s_is_ok (self, c->status)) {
        self->ok++;
        if (self->names)
            s_write_name (self, c->body, c->body_len);
    }
    //  Leftover bytes or an unsent body put the stream out of step
    if (c->is_close || c->pos != c->len || c->sent < self->request_len) {
        c->state = S_IDLE; //  not in flight any more
        s_close (self, c, now, 0, EDGE_LOAD_FAIL_CONN);
    }
    else
        s_push_idle (self, c);
}


static void
s_parse (edge_load_t *self, edge_load_conn_t *c, int64_t now)
{
    for (;;) {
        s_parse_t rc;
        if (c->phase == S_HEAD)
            rc = s_parse_head (self, c);
        else if (c->phase == S_LENGTH) {
            c->remaining -= (int64_t) s_take (self, c, c->remaining);
            if (c->remaining == 0)
                c->phase = S_DONE;
            rc = c->remaining ? S_MORE : S_PROGRESS;
        }
        else if (c->phase == S_UNTIL_CLOSE) {
            s_take (self, c, -1);
            rc = S_MORE;
        }
        else
            rc = s_parse_chunked (self, c);
        if (rc == S_BAD) {
            s_close (self, c, now, 0, EDGE_LOAD_FAIL_PROTOCOL);
            return;
        }
        if (c->phase == S_DONE) {
            s_complete (self, c, now);
            return;
        }
        if (rc == S_MORE || c->pos == c->len)
            return;
    }
}


static void
s_read (edge_load_t *self, edge_load_conn_t *c, int64_t now)
{
    if (c->pos == c->len)
        c->pos = c->len = 0;
    else if (c->pos > 0) {
        memmove (c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    ssize_t n = recv (c->fd, c->buf + c->len, S_BUF_SIZE - c->len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    bool is_busy = c->state == S_BUSY;
    if (n == 0 && is_busy && c->phase == S_UNTIL_CLOSE) {
        c->phase = S_DONE;
        s_complete (self, c, now); //  closes: is_close is set
    }
    else if (n <= 0) //  an idle connection the server closed: no loss
        s_close (self, c, now, 0, EDGE_LOAD_FAIL_CONN);
    else if (!is_busy) //  bytes nobody asked for
        s_close (self, c, now, 0, EDGE_LOAD_FAIL_PROTOCOL);
    else {
        c->len += (size_t) n;
        self->bytes_in += n;
        s_parse (self, c, now);
    }
}


static void
s_on_event (edge_load_t *self, const struct epoll_event *ev, int64_t now)
{
    if (ev->data.u32 == S_TIMER_TAG) {
        uint64_t ticks; //  clear it; s_dispatch sends what is due
        ssize_t n = read (self->timerfd, &ticks, sizeof ticks);
        (void) n;
        return;
    }
    edge_load_conn_t *c = &self->conn[ev->data.u32];
    if (c->state == S_CONNECTING) {
        if (ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            s_connected (self, c, now);
        return;
    }
    if (c->state == S_BUSY && (ev->events & EPOLLOUT)
        && c->sent < self->request_len)
        s_send (self, c, now);
    if (c->fd >= 0 && (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        s_read (self, c, now);
}


//  ----------------------------------------------------------------------
//  The run

//  When request index is due (open loop).
static int64_t
s_due_at (const edge_load_t *self, int64_t index)
{
    return self->t0 + (int64_t) ((double) index * S_NS / self->rate);
}


//  Requests due now that no connection has taken yet. Counted with
//  s_due_at, the time the pacing timer is armed for.
static int64_t
s_pending (const edge_load_t *self, int64_t now)
{
    if (!self->is_started || self->is_stopping)
        return 0;
    if (self->rate <= 0)
        return self->total ? self->total - self->issued : INT64_MAX;
    int64_t due = (int64_t) ((double) (now - self->t0) * self->rate / S_NS) + 1;
    while (due < self->total && s_due_at (self, due) <= now)
        due++;
    while (due > 0 && s_due_at (self, due - 1) > now)
        due--;
    if (due > self->total)
        due = self->total;
    return due - self->issued;
}


static void
s_dispatch (edge_load_t *self, int64_t now)
{
    int64_t pending = s_pending (self, now);
    while (pending > 0 && self->n_idle > 0) {
        edge_load_conn_t *c = &self->conn[self->idle[--self->n_idle]];
        c->is_idle_held = false;
        if (c->state != S_IDLE)
            continue; //  closed while it waited
        int64_t due = self->rate > 0 ? s_due_at (self, self->issued) : now;
        s_assign (self, c, due, now);
        pending--;
    }
}


static bool
s_wants_more (const edge_load_t *self)
{
    return !self->is_stopping && (!self->total || self->issued < self->total);
}


static void
s_reconnect (edge_load_t *self, int64_t now)
{
    if (self->n_down == 0 || (self->is_started && !s_wants_more (self)))
        return;
    for (int i = 0; i < self->conns; i++)
        if (self->conn[i].state == S_DOWN && self->conn[i].retry_at <= now)
            s_connect (self, &self->conn[i], now);
}


static void
s_check_timeouts (edge_load_t *self, int64_t now)
{
    if (now - self->last_tick < S_TICK_MS * 1000000LL)
        return;
    self->last_tick = now;
    int64_t limit = (int64_t) (self->timeout * S_NS);
    for (int i = 0; i < self->conns; i++) {
        edge_load_conn_t *c = &self->conn[i];
        if (c->state == S_BUSY && now - c->since > limit)
            s_close (self, c, now, 0, EDGE_LOAD_FAIL_TIMEOUT);
        else if (c->state == S_CONNECTING && now - c->since > limit)
            s_connect_failed (self, c, now, ETIMEDOUT);
    }
}


//  Arm the pacing timer for the next due request when a connection is
//  free for it; returns the epoll timeout in ms.
static int
s_wait_ms (edge_load_t *self, int64_t now)
{
    int ms = S_TICK_MS;
    if (self->n_down > 0 && (!self->is_started || s_wants_more (self)))
        ms = 10;
    if (self->is_started && self->duration > 0 && !self->is_stopping) {
        int64_t left = (self->deadline - now) / 1000000 + 1;
        if (left < ms)
            ms = left > 0 ? (int) left : 0;
    }
    if (self->rate > 0 && self->n_idle > 0 && s_wants_more (self)
        && self->is_started) {
        int64_t at = s_due_at (self, self->issued);
        if (at != self->timer_at) {
            struct itimerspec its = {.it_value = {at / S_NS, at % S_NS}};
            timerfd_settime (self->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
            self->timer_at = at;
        }
    }
    return ms;
}

static void
s_start (edge_load_t *self, int64_t now)
{
    self->is_started = true;
    self->t0 = now;
    self->last_done = now;
    if (self->duration > 0) {
        self->deadline = now + (int64_t) (self->duration * S_NS);
        if (self->rate > 0)
            self->total = (int64_t) ceil (self->duration * self->rate);
    }
}


//  Connect every connection, start once they are up (or after 5 s with
//  some up), run until every request is answered or failed.
static void
s_run (edge_load_t *self)
{
    struct epoll_event events[S_EVENTS];
    int64_t begin = s_now ();
    int limit = self->conns * 3 > 10 ? self->conns * 3 : 10;
    for (;;) {
        int64_t now = s_now ();
        if (s_signals > 1 || (s_signals && !self->is_started))
            break;
        if (s_signals && self->is_started)
            self->is_stopping = true;
        if (!self->is_started
            && (self->n_idle == self->conns
                || (self->n_idle > 0 && now - begin > 5 * S_NS)))
            s_start (self, now);
        if (self->is_started && self->duration > 0 && now >= self->deadline
            && !self->is_stopping) {
            self->is_stopping = true;
            self->unsent = self->total ? self->total - self->issued : 0;
        }
        if (self->failures_in_row >= limit) {
            fprintf (stderr, "edge-load: cannot connect to %s: %s\n",
                     self->authority, strerror (self->last_errno));
            exit (1);
        }
        s_reconnect (self, now);
        s_dispatch (self, now);
        if (self->is_started && self->n_busy == 0 && !s_wants_more (self))
            break;
        int n =
            epoll_wait (self->epfd, events, S_EVENTS, s_wait_ms (self, now));
        now = s_now ();
        for (int i = 0; i < n; i++)
            s_on_event (self, &events[i], now);
        s_check_timeouts (self, now);
    }
}


static void
s_setup (edge_load_t *self)
{
    self->epfd = epoll_create1 (EPOLL_CLOEXEC);
    self->timerfd =
        timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = S_TIMER_TAG};
    if (self->epfd < 0 || self->timerfd < 0
        || epoll_ctl (self->epfd, EPOLL_CTL_ADD, self->timerfd, &ev)) {
        perror ("edge-load: epoll");
        exit (1);
    }
    self->conn = edge_load_alloc ((size_t) self->conns * sizeof *self->conn);
    self->idle = edge_load_alloc ((size_t) self->conns * sizeof *self->idle);
    for (int i = 0; i < self->conns; i++) {
        edge_load_conn_t *c = &self->conn[i];
        c->fd = -1;
        c->state = S_DOWN;
        c->buf = edge_load_alloc (S_BUF_SIZE);
        c->body = self->names ? edge_load_alloc (S_BODY_CAP) : NULL;
        self->n_down++;
    }
    struct sigaction sa = {.sa_handler = s_on_signal};
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
}


void
edge_load_run (edge_load_t *self)
{
    s_setup (self);
    s_run (self);
    self->elapsed_s =
        self->is_started ? (double) (self->last_done - self->t0) / S_NS : 0;
    for (int i = 0; i < self->conns; i++) {
        if (self->conn[i].fd >= 0)
            close (self->conn[i].fd);
        free (self->conn[i].buf);
        free (self->conn[i].body);
    }
    free (self->conn);
    free (self->idle);
    self->conn = NULL;
    self->idle = NULL;
    close (self->timerfd);
    close (self->epfd);
}
