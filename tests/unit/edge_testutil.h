/*  edge_testutil - helpers for unit tests: free loopback ports, a real
    redis-server on one of them, s3rver (an S3-compatible test server,
    scripts/s3rver.sh), and counting a store's objects.  */
#ifndef EDGE_TESTUTIL_H_INCLUDED
#define EDGE_TESTUTIL_H_INCLUDED
#include "edge_redis.h"
#include "edge_store.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

//  A TCP port on 127.0.0.1 that was free a moment ago.
int edge_testutil_free_port (void);

typedef struct {
    pid_t pid;          //  redis-server process
    int port;           //  its port on 127.0.0.1
    char url[64];       //  redis://127.0.0.1:<port>/0
    char dir[128];      //  its scratch directory
} edge_testutil_redis_t;

//  Start redis-server on a free loopback port (no persistence) and wait,
//  with a deadline, until it answers. Returns 0, -1 on failure, or 77 when
//  redis-server is not installed (the test should then exit 77: skipped).
int edge_testutil_redis_start (edge_testutil_redis_t *redis);
//  The same, as a replica of the server on 127.0.0.1:master_port.
int edge_testutil_redis_start_replica (edge_testutil_redis_t *redis,
                                       int master_port);
//  Start a Redis Sentinel (redis-server --sentinel) on a free loopback port
//  that monitors master_name at 127.0.0.1:master_port with quorum 2, judges
//  it down after down_ms and gives a failover 4 * down_ms. Same returns.
int edge_testutil_sentinel_start (edge_testutil_redis_t *sentinel,
                                  const char *master_name,
                                  int master_port,
                                  int down_ms);
//  Stop it (SIGTERM, then SIGKILL after a deadline) and remove its directory.
void edge_testutil_redis_stop (edge_testutil_redis_t *redis);
//  A unit test's Redis: start server (edge_testutil_redis_start) and, when
//  redis is not NULL, a handle on it (timeout_ms for connects and commands).
//  Returns 0, 77 when redis-server is not installed, or 1 when the server
//  did not start (said on stderr; what was started is stopped): a main ()
//  can return it as its exit status (77: skipped). Close both with
//  edge_testutil_redis_close.
int edge_testutil_redis_open (edge_testutil_redis_t *server,
                              edge_redis_t **redis,
                              int timeout_ms);
//  Destroy *redis (NULL-safe; nulls it; redis may be NULL) and stop server.
void edge_testutil_redis_close (edge_testutil_redis_t *server,
                                edge_redis_t **redis);
typedef struct {
    pid_t pid;         //  s3rver's process group (its leader)
    int port;          //  its port on 127.0.0.1
    char endpoint[64]; //  http://127.0.0.1:<port>
} edge_testutil_s3rver_t;

//  Run script (scripts/s3rver.sh) on a free loopback port with its data
//  in dir and bucket made, and wait until it answers (up to 180 s: the
//  first run installs it from npm). Returns 0, or -1 (said on stderr);
//  edge_testutil_s3rver_stop is safe either way.
int edge_testutil_s3rver_start (edge_testutil_s3rver_t *s3,
                                const char *script,
                                const char *dir,
                                const char *bucket);
//  Stop it (SIGTERM to its group, then SIGKILL after a deadline).
void edge_testutil_s3rver_stop (edge_testutil_s3rver_t *s3);
//  The number of objects of store under prefix, or -1 when listing
//  failed.
int edge_testutil_store_count (edge_store_t *store, const char *prefix);
//  True when text (e.g. Prometheus exposition text) holds exactly this
//  line.
bool edge_testutil_has_line (const char *text, const char *line);
//  Poll cond_fn(arg) every 10 ms until it returns true or timeout_ms passes.
bool edge_testutil_poll (bool (*cond_fn) (void *), void *arg, int64_t timeout_ms);
#endif
