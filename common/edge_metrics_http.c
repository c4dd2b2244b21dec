/*  edge_metrics_http - a listening socket, a thread that polls it together
    with a stop pipe, and one request served at a time: read the head
    (bounded in size and time), answer, close. The stop pipe wakes the
    thread at once, also while it waits for a slow client.  */
#include "edge_metrics_http.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_HEAD_MAX     8192 //  request head bytes read at most
#define S_CLIENT_MS    2000 //  a request (and its answer) within this
#define S_ERROR_PAUSE  100  //  after a failed accept, ms
#define S_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct edge_metrics_http {
    edge_metrics_t *registry; //  borrowed
    int fd;                   //  listening socket
    int stop[2];              //  pipe: a byte (or EOF) stops the thread
    int port;                 //  port bound
    pthread_t thread;
    atomic_ulong scrapes; //  200 answers to GET /metrics
};


//  Split "host:port" into host (NULL for "*") and port text, and resolve
//  it for a passive TCP socket. Returns the addresses (freeaddrinfo), or
//  NULL with why set.
static struct addrinfo *
s_resolve (const char *value, bool is_port0_ok, char *why, size_t whylen)
{
    const char *colon = strrchr (value, ':');
    if (!colon || colon == value) {
        snprintf (why, whylen,
                  "expected host:port (host \"*\" for every "
                  "address)");
        return NULL;
    }
    char *end = NULL;
    long port = strtol (colon + 1, &end, 10);
    if (!colon[1] || *end || port < (is_port0_ok ? 0 : 1) || port > 65535) {
        snprintf (why, whylen, "expected host:port with port 1..65535");
        return NULL;
    }
    char host[256];
    size_t len = (size_t) (colon - value);
    if (value[0] == '[' && len >= 2 && value[len - 1] == ']')
        snprintf (host, sizeof host, "%.*s", (int) len - 2, value + 1);
    else
        snprintf (host, sizeof host, "%.*s", (int) len, value);
    char service[8];
    snprintf (service, sizeof service, "%ld", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *addrs = NULL;
    bool is_any = strcmp (host, "*") == 0;
    if (!is_any && strcmp (host, "localhost") != 0)
        hints.ai_flags |= AI_NUMERICHOST; //  no DNS lookup at start
    int rc = getaddrinfo (is_any ? NULL : host, service, &hints, &addrs);
    if (rc != 0) {
        snprintf (why, whylen,
                  "host \"%s\" is not an IP address, [IPv6 address], "
                  "localhost or *",
                  host);
        return NULL;
    }
    return addrs;
}


int
edge_metrics_http_check (const char *value, char *why, size_t whylen)
{
    if (!value || !*value)
        return 0;
    struct addrinfo *addrs = s_resolve (value, false, why, whylen);
    if (!addrs)
        return -1;
    freeaddrinfo (addrs);
    return 0;
}


//  Wait until fd is ready for events or the stop pipe fires, at most
//  deadline (monotonic ms). Returns 1 ready, 0 timed out, -1 stopping.
static int
s_wait (edge_metrics_http_t *self, int fd, short events, int64_t deadline)
{
    while (true) {
        int64_t left = deadline - edge_mono_ms ();
        if (left <= 0)
            return 0;
        struct pollfd fds[2] = {{fd, events, 0}, {self->stop[0], POLLIN, 0}};
        int rc = poll (fds, 2, (int) left);
        if (rc < 0 && errno != EINTR)
            return -1;
        if (rc > 0 && fds[1].revents)
            return -1;
        if (rc > 0)
            return 1;
    }
}


//  Send all of data before the deadline. Returns 0 or -1.
static int
s_send_all (edge_metrics_http_t *self,
            int fd,
            const char *data,
            size_t len,
            int64_t deadline)
{
    while (len > 0) {
        if (s_wait (self, fd, POLLOUT, deadline) != 1)
            return -1;
        ssize_t n = send (fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0
            && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t) n;
    }
    return 0;
}


//  Read the request head into buf (NUL-terminated). Returns 0 once the
//  blank line arrived, -1 otherwise (timeout, too long, closed, stopping).
static int
s_read_head (
    edge_metrics_http_t *self, int fd, char *buf, size_t size, int64_t deadline)
{
    size_t len = 0;
    buf[0] = 0;
    while (!strstr (buf, "\r\n\r\n") && !strstr (buf, "\n\n")) {
        if (len + 1 >= size || s_wait (self, fd, POLLIN, deadline) != 1)
            return -1;
        ssize_t n = recv (fd, buf + len, size - 1 - len, MSG_DONTWAIT);
        if (n < 0
            && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n <= 0)
            return -1;
        len += (size_t) n;
        buf[len] = 0;
    }
    return 0;
}


//  Answer one request head.
static void
s_answer (edge_metrics_http_t *self, int fd, char *head, int64_t deadline)
{
    char *save = NULL;
    const char *method = strtok_r (head, " \r\n", &save);
    char *target = strtok_r (NULL, " \r\n", &save);
    int status = 200;
    const char *reason = "OK", *type = S_CONTENT_TYPE;
    char *body = NULL;
    if (target)
        target[strcspn (target, "?")] = 0;
    bool is_head = method && strcmp (method, "HEAD") == 0;
    if (!method || !target || target[0] != '/')
        status = 400, reason = "Bad Request";
    else if (strcmp (target, "/metrics") != 0)
        status = 404, reason = "Not Found";
    else if (strcmp (method, "GET") != 0 && !is_head)
        status = 405, reason = "Method Not Allowed";
    if (status == 200) {
        body = edge_metrics_render (self->registry);
        atomic_fetch_add (&self->scrapes, 1);
    }
    else {
        body = edge_sprintf ("%d %s\n", status, reason);
        type = "text/plain; charset=utf-8";
    }
    size_t len = strlen (body);
    char *response = edge_sprintf (
        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
        "%sConnection: close\r\n\r\n",
        status, reason, type, len, status == 405 ? "Allow: GET, HEAD\r\n" : "");
    if (s_send_all (self, fd, response, strlen (response), deadline) == 0
        && !is_head)
        s_send_all (self, fd, body, len, deadline);
    free (response);
    free (body);
}


//  Serve one accepted connection, then close it.
static void
s_serve (edge_metrics_http_t *self, int fd)
{
    int64_t deadline = edge_mono_ms () + S_CLIENT_MS;
    char head[S_HEAD_MAX + 1];
    if (s_read_head (self, fd, head, sizeof head, deadline) == 0)
        s_answer (self, fd, head, deadline);
    shutdown (fd, SHUT_WR);
    close (fd);
}


static void *
s_thread (void *arg)
{
    edge_metrics_http_t *self = arg;
    while (true) {
        struct pollfd fds[2] = {{self->fd, POLLIN, 0},
                                {self->stop[0], POLLIN, 0}};
        int rc = poll (fds, 2, -1);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 || fds[1].revents)
            break;
        int fd = accept (self->fd, NULL, NULL);
        if (fd >= 0) {
            s_serve (self, fd);
            continue;
        }
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK
            && errno != ECONNABORTED) {
            edge_warn ("metrics: accept failed: %s", strerror (errno));
            if (s_wait (self, self->stop[0], POLLIN,
                        edge_mono_ms () + S_ERROR_PAUSE)
                != 0)
                break;
        }
    }
    return NULL;
}


//  A listening socket on the first address that binds. Returns the fd, or
//  -1 with why set.
static int
s_listen (const struct addrinfo *addrs, char *why, size_t whylen)
{
    int err = 0;
    for (const struct addrinfo *a = addrs; a; a = a->ai_next) {
        int fd = socket (a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int on = 1;
        setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (bind (fd, a->ai_addr, a->ai_addrlen) == 0 && listen (fd, 16) == 0)
            return fd;
        err = errno;
        close (fd);
    }
    snprintf (why, whylen, "%s", strerror (err));
    return -1;
}


static int
s_bound_port (int fd)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname (fd, (struct sockaddr *) &addr, &len) != 0)
        return 0;
    if (addr.ss_family == AF_INET6)
        return ntohs (((struct sockaddr_in6 *) &addr)->sin6_port);
    return ntohs (((struct sockaddr_in *) &addr)->sin_port);
}


edge_metrics_http_t *
edge_metrics_http_new (edge_metrics_t *registry, const char *listen)
{
    edge_assert (registry && listen);
    char why[300];
    struct addrinfo *addrs = s_resolve (listen, true, why, sizeof why);
    int fd = addrs ? s_listen (addrs, why, sizeof why) : -1;
    if (addrs)
        freeaddrinfo (addrs);
    if (fd < 0) {
        edge_error ("metrics: cannot listen on %s: %s", listen, why);
        return NULL;
    }
    edge_metrics_http_t *self = edge_calloc (1, sizeof *self);
    self->registry = registry;
    self->fd = fd;
    self->port = s_bound_port (fd);
    atomic_init (&self->scrapes, 0);
    int rc = pipe (self->stop);
    edge_assert (rc == 0);
    //  The thread inherits a mask without the process's stop signals
    sigset_t block, old;
    sigemptyset (&block);
    sigaddset (&block, SIGINT);
    sigaddset (&block, SIGTERM);
    sigaddset (&block, SIGPIPE);
    pthread_sigmask (SIG_BLOCK, &block, &old);
    rc = pthread_create (&self->thread, NULL, s_thread, self);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    edge_assert (rc == 0);
    edge_info ("metrics: serving GET /metrics on %s (port %d)", listen,
               self->port);
    return self;
}


void
edge_metrics_http_destroy (edge_metrics_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    edge_metrics_http_t *self = *self_p;
    close (self->stop[1]); //  EOF on the pipe wakes the thread
    pthread_join (self->thread, NULL);
    close (self->stop[0]);
    close (self->fd);
    free (self);
    *self_p = NULL;
}


int
edge_metrics_http_port (const edge_metrics_http_t *self)
{
    edge_assert (self);
    return self->port;
}


unsigned long
edge_metrics_http_scrapes (const edge_metrics_http_t *self)
{
    edge_assert (self);
    return atomic_load (&((edge_metrics_http_t *) self)->scrapes);
}
