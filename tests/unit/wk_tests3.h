/*  wk_tests3 - the fixture of the worker tests that publish to origins
    (test_wk_deploy, test_wk_gc): a real redis-server with two
    connections, a scratch directory and, when npm is installed, s3rver
    (scripts/s3rver.sh, path in EDGE_S3RVER_SCRIPT) serving one bucket;
    plus the stores of the test origins, Redis assertions and small
    helpers. test_wk_mkraw* use it without s3rver (wk_testmkraw). Test-only;
    cmocka asserts on failures inside tests; not thread-safe.  */
#ifndef WK_TESTS3_H_INCLUDED
#define WK_TESTS3_H_INCLUDED
#include "edge_redis.h"
#include "edge_store.h"
#include "edge_testutil.h"
#include "wk_job.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#define WK_TESTS3_BUCKET "edge-test"

typedef struct {
    edge_testutil_redis_t redis; //  the redis-server
    edge_redis_t *conn;          //  the connection of the code under test
    edge_redis_t *check;         //  the test's own connection
    char dir[64];                //  scratch directory
    bool has_s3;                 //  s3rver runs
    edge_testutil_s3rver_t s3;   //  s3rver
    char endpoint[64];           //  http://127.0.0.1:<port>
} wk_tests3_t;

//  Run a command on conn; it must not fail (cmocka assertion).
#define WK_TESTS3_REDIS(conn, ...)                                             \
    do {                                                                       \
        redisReply *reply_ = edge_redis_command ((conn), __VA_ARGS__);         \
        assert_non_null (reply_);                                              \
        assert_int_not_equal (reply_->type, REDIS_REPLY_ERROR);                \
        freeReplyObject (reply_);                                              \
    } while (0)

//  Start redis-server, make /tmp/<name>_XXXXXX, connect, and start s3rver
//  unless no_npm is NULL (no s3rver wanted) or npm is missing (then no_npm
//  is said on stderr); has_s3 says whether it runs. Returns 0, 77 when
//  redis-server is missing (skip the test) or 1; on 1 and 77
//  wk_tests3_stop is still safe.
int wk_tests3_start (wk_tests3_t *self, const char *name, const char *no_npm);
//  Stop s3rver and redis-server, disconnect, remove the directory.
void wk_tests3_stop (wk_tests3_t *self);

//  The store of a test origin: "s3C" on s3rver (prefix "pre/"), any other
//  name the directory <dir>/<name> ("fsA" with prefix "cdn/a/", others
//  none). Caller owns; *prefix is borrowed.
edge_store_t *wk_tests3_origin (const wk_tests3_t *self,
                                const char *name,
                                const char **prefix);
//  A hash field (caller frees), or NULL when absent.
char *wk_tests3_hget (edge_redis_t *conn, const char *key, const char *field);
//  Assert that the hash field is want (absent when want is NULL).
void wk_tests3_assert_field (edge_redis_t *conn,
                             const char *key,
                             const char *field,
                             const char *want);
//  Run a job of type named name (wk_task_run), org acme, worker w1, with
//  params text on the handler's connection conn and env (borrowed, may be
//  NULL); the caller calls wk_job_fini.
wk_job_rc_t wk_tests3_run (const wk_tests3_t *self,
                           const wk_env_t *env,
                           const char *type,
                           const char *name,
                           int attempt,
                           const char *params_text,
                           atomic_int *cancel,
                           wk_job_t *job);
//  FLUSHALL on the test's connection. Returns 0, or -1 (for a cmocka
//  setup).
int wk_tests3_flush (wk_tests3_t *self);
//  The count strings of lines sorted (lines is reordered), each followed
//  by "\n". Caller frees.
char *wk_tests3_sorted_lines (const char **lines, size_t count);
#endif
