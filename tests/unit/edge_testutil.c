/*  edge_testutil - free ports, a real redis-server (and a handle on it),
    s3rver and small checks for unit tests.  */
#include "edge_testutil.h"
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static void
s_nap_ms (long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep (&ts, NULL);
}


static int64_t
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


int
edge_testutil_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr)
        || getsockname (fd, (struct sockaddr *) &addr, &len)) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    close (fd);
    return ntohs (addr.sin_port);
}


static bool
s_redis_answers (void *arg)
{
    edge_testutil_redis_t *redis = arg;
    struct timeval tv = {0, 200000};
    redisContext *ctx = redisConnectWithTimeout ("127.0.0.1", redis->port, tv);
    bool is_up = false;
    if (ctx && !ctx->err) {
        redisReply *reply = redisCommand (ctx, "PING");
        is_up = reply && reply->type == REDIS_REPLY_STATUS;
        freeReplyObject (reply);
    }
    redisFree (ctx);
    return is_up;
}


//  Make redis->dir and pick a port; the URL names it.
static int
s_prepare (edge_testutil_redis_t *redis)
{
    if (system ("command -v redis-server >/dev/null 2>&1") != 0)
        return 77;
    memset (redis, 0, sizeof *redis);
    snprintf (redis->dir, sizeof redis->dir, "/tmp/edge-test-redis-XXXXXX");
    if (!mkdtemp (redis->dir))
        return -1;
    redis->port = edge_testutil_free_port ();
    snprintf (redis->url, sizeof redis->url, "redis://127.0.0.1:%d/0",
              redis->port);
    return 0;
}


//  Fork redis-server with argv (NULL-terminated, argv[0] "redis-server"),
//  then wait until it answers PING.
static int
s_spawn (edge_testutil_redis_t *redis, char *const *argv)
{
    redis->pid = fork ();
    if (redis->pid == 0) {
        freopen ("/dev/null", "w", stdout);
        execvp ("redis-server", argv);
        _exit (127);
    }
    if (redis->pid < 0)
        return -1;
    return edge_testutil_poll (s_redis_answers, redis, 10000) ? 0 : -1;
}


//  A server on a fresh port, a replica of master_port when it is > 0.
static int
s_start_server (edge_testutil_redis_t *redis, int master_port)
{
    int rc = s_prepare (redis);
    if (rc)
        return rc;
    char port[16], master[16];
    snprintf (port, sizeof port, "%d", redis->port);
    snprintf (master, sizeof master, "%d", master_port);
    //  Replicas sync at once (no diskless-sync delay)
    char *argv[] = {"redis-server",
                    "--port",
                    port,
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    redis->dir,
                    "--repl-diskless-sync-delay",
                    "0",
                    master_port > 0 ? "--replicaof" : NULL,
                    "127.0.0.1",
                    master,
                    NULL};
    return s_spawn (redis, argv);
}


int
edge_testutil_redis_start (edge_testutil_redis_t *redis)
{
    return s_start_server (redis, 0);
}


int
edge_testutil_redis_start_replica (edge_testutil_redis_t *redis,
                                   int master_port)
{
    return s_start_server (redis, master_port);
}


int
edge_testutil_sentinel_start (edge_testutil_redis_t *sentinel,
                              const char *master_name,
                              int master_port,
                              int down_ms)
{
    int rc = s_prepare (sentinel);
    if (rc)
        return rc;
    char conf[200];
    snprintf (conf, sizeof conf, "%s/sentinel.conf", sentinel->dir);
    FILE *file = fopen (conf, "w");
    if (!file)
        return -1;
    fprintf (file,
             "port %d\nbind 127.0.0.1\ndir %s\n"
             "sentinel monitor %s 127.0.0.1 %d 2\n"
             "sentinel down-after-milliseconds %s %d\n"
             "sentinel failover-timeout %s %d\n",
             sentinel->port, sentinel->dir, master_name, master_port,
             master_name, down_ms, master_name, down_ms * 4);
    fclose (file);
    char *argv[] = {"redis-server", conf, "--sentinel", NULL};
    return s_spawn (sentinel, argv);
}


//  SIGTERM to target (a pid, or -pgid for a group), then SIGKILL when pid
//  has not exited within 5 s; reaps pid.
static void
s_terminate (pid_t pid, pid_t target)
{
    kill (target, SIGTERM);
    int64_t deadline = s_mono_ms () + 5000;
    while (waitpid (pid, NULL, WNOHANG) == 0) {
        if (s_mono_ms () > deadline) {
            kill (target, SIGKILL);
            waitpid (pid, NULL, 0);
            break;
        }
        s_nap_ms (10);
    }
}


void
edge_testutil_redis_stop (edge_testutil_redis_t *redis)
{
    if (redis->pid > 0) {
        s_terminate (redis->pid, redis->pid);
        redis->pid = 0;
    }
    if (redis->dir[0]) {
        char cmd[200];
        snprintf (cmd, sizeof cmd, "rm -rf '%s'", redis->dir);
        if (system (cmd) != 0)
            fprintf (stderr, "could not remove %s\n", redis->dir);
        redis->dir[0] = 0;
    }
}


int
edge_testutil_redis_open (edge_testutil_redis_t *server,
                          edge_redis_t **redis,
                          int timeout_ms)
{
    int rc = edge_testutil_redis_start (server);
    if (rc == 77)
        return 77;
    if (rc != 0) {
        fprintf (stderr, "cannot start redis-server\n");
        edge_testutil_redis_stop (server);
        return 1;
    }
    if (redis)
        *redis = edge_redis_new (server->url, timeout_ms);
    return 0;
}


void
edge_testutil_redis_close (edge_testutil_redis_t *server, edge_redis_t **redis)
{
    if (redis)
        edge_redis_destroy (redis);
    edge_testutil_redis_stop (server);
}


static bool
s_s3rver_answers (void *arg)
{
    edge_testutil_s3rver_t *s3 = arg;
    int status;
    if (waitpid (s3->pid, &status, WNOHANG) == s3->pid) {
        s3->pid = 0;
        return true; //  exited: stop polling, start fails
    }
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    addr.sin_port = htons ((uint16_t) s3->port);
    bool is_up = connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
    close (fd);
    return is_up;
}


int
edge_testutil_s3rver_start (edge_testutil_s3rver_t *s3,
                            const char *script,
                            const char *dir,
                            const char *bucket)
{
    memset (s3, 0, sizeof *s3);
    s3->port = edge_testutil_free_port ();
    snprintf (s3->endpoint, sizeof s3->endpoint, "http://127.0.0.1:%d",
              s3->port);
    char port[16];
    snprintf (port, sizeof port, "%d", s3->port);
    s3->pid = fork ();
    if (s3->pid == 0) {
        setpgid (0, 0);
        execl (script, script, port, dir, bucket, (char *) NULL);
        _exit (127);
    }
    //  The first run installs s3rver from npm: allow for that.
    bool is_up = edge_testutil_poll (s_s3rver_answers, s3, 180000);
    if (!is_up || s3->pid <= 0) {
        fprintf (stderr, "s3rver did not start (see scripts/s3rver.sh)\n");
        return -1;
    }
    return 0;
}


void
edge_testutil_s3rver_stop (edge_testutil_s3rver_t *s3)
{
    if (s3->pid > 0)
        s_terminate (s3->pid, -s3->pid);
    s3->pid = 0;
}


static int
s_on_object (const char *key, uint64_t size, void *arg)
{
    (void) key;
    (void) size;
    (*(int *) arg)++;
    return 0;
}


int
edge_testutil_store_count (edge_store_t *store, const char *prefix)
{
    int count = 0;
    return edge_store_list (store, prefix, s_on_object, &count) ? -1 : count;
}


bool
edge_testutil_poll (bool (*cond_fn) (void *), void *arg, int64_t timeout_ms)
{
    int64_t deadline = s_mono_ms () + timeout_ms;
    while (!cond_fn (arg)) {
        if (s_mono_ms () > deadline)
            return false;
        s_nap_ms (10);
    }
    return true;
}


bool
edge_testutil_has_line (const char *text, const char *line)
{
    size_t len = strlen (line);
    for (const char *p = text; (p = strstr (p, line)); p += len)
        if ((p == text || p[-1] == '\n') && p[len] == '\n')
            return true;
    return false;
}
