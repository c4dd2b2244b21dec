/*  edge_redis - one Redis connection with reconnect and capped backoff.

    Nothing outside this module sees a dead redisContext: after an I/O error
    the context is dropped, and the next command reconnects once the backoff
    has passed (one warn per failed attempt, one info when it comes back).
    Not thread-safe: one edge_redis_t per thread.  */
#ifndef EDGE_REDIS_H_INCLUDED
#define EDGE_REDIS_H_INCLUDED
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  One Redis Sentinel of a sentinel URL.
typedef struct {
    char *host; //  host name or address
    int port;   //  default 26379
} edge_redis_sentinel_t;

//  The maximum number of sentinels a URL may name.
#define EDGE_REDIS_SENTINELS_MAX 16

typedef struct {
    char *host;     //  host name or address (sentinel mode: the master as
                    //  last resolved, NULL before)
    int port;       //  default 6379
    int db;         //  /N path, default 0
    char *password; //  from redis://:password@host or user:password@
    char *username; //  Redis 6 ACL user, or NULL
    //  Sentinel mode (redis-sentinel://): the sentinels and the master's
    //  name; nsentinels is 0 for a plain redis:// URL.
    edge_redis_sentinel_t sentinels[EDGE_REDIS_SENTINELS_MAX];
    size_t nsentinels;
    char *master_name;
} edge_redis_url_t;

//  Parse redis://[[user]:password@]host[:port][/db], or
//  redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/master[/db]
//  (sentinels on port 26379 by default; the credentials and database are
//  the data nodes'; the sentinels themselves take no password). Returns 0,
//  or -1 with why set. Call edge_redis_url_fini after success.
int edge_redis_url_parse (const char *text,
                          edge_redis_url_t *url,
                          char *why,
                          size_t whylen);
void edge_redis_url_fini (edge_redis_url_t *url);

typedef struct edge_redis edge_redis_t;

//  Create a handle for url (already validated); connects lazily.
//  timeout_ms bounds connect and every command. With a sentinel URL every
//  connection asks the sentinels (in turn, starting with the last one that
//  answered) for the master's address, connects there and checks with ROLE
//  that it is the master; a lost connection, a timeout or a -READONLY
//  answer (the node was demoted) drops the connection, and the next command
//  resolves the master again: a failover is followed by itself. Caller owns
//  the result.
edge_redis_t *edge_redis_new (const char *url, int timeout_ms);
//  Same, for many threads at once: commands that threads send while
//  another's are on the wire go out together as the next group, in one
//  write, and each caller gets its own reply (group commit). Any call may
//  come from any thread; there is no per-thread state (no MULTI, WATCH,
//  SELECT or blocking reads on it). Caller owns the result.
edge_redis_t *edge_redis_new_shared (const char *url, int timeout_ms);
//  A shared handle's group commits so far and the commands waiting for
//  the next one (0 for a plain handle); for metrics and tests.
void edge_redis_group_stats (edge_redis_t *self,
                             uint64_t *groups,
                             uint64_t *commands,
                             size_t *queued);
//  Close and nullify; NULL-safe. No thread may be using it.
void edge_redis_destroy (edge_redis_t **self_p);
//  Try to connect now if not connected (respecting backoff). Returns 0 when
//  connected, -1 otherwise.
int edge_redis_connect (edge_redis_t *self);
//  True when a live connection is held.
bool edge_redis_is_connected (const edge_redis_t *self);
//  The answer that just reached Redis is on at least one replica, when
//  the server has replicas (WAIT 1 timeout_ms; the replica count is asked
//  with ROLE at most once a second and after a WAIT that fell short).
//  Returns 0 when replicated or when the server has none, -1 when replicas
//  exist and none acknowledged in time or Redis failed.
int edge_redis_replicated (edge_redis_t *self, int timeout_ms);
//  Connections this process made again after losing one or failing to
//  connect, over every handle (for the redis reconnects metric).
//  Thread-safe.
unsigned long long edge_redis_reconnects (void);

//  Run one command (hiredis format). Returns the reply (caller owns,
//  freeReplyObject; may be REDIS_REPLY_ERROR) or NULL when Redis could not
//  be reached (the connection is dropped and retried later).
redisReply *edge_redis_command (edge_redis_t *self, const char *fmt, ...);
//  Same with an argument vector (binary safe; argvlen may be NULL).
redisReply *edge_redis_argv (edge_redis_t *self,
                             int argc,
                             const char **argv,
                             const size_t *argvlen);

//  The string value of field name in an HGETALL reply (flat field, value
//  pairs), or NULL when absent or the reply is not such an array.
//  Borrowed: valid while reply lives.
const char *edge_redis_hash_field (const redisReply *reply, const char *name);

//  The status word of a script's answer {'status', ...} (its first
//  element, a string), or NULL. Borrowed: valid while reply lives.
const char *edge_redis_script_status (const redisReply *reply);
//  True when that status word is status.
bool edge_redis_script_is (const redisReply *reply, const char *status);

//  A Lua script; sha is filled lazily. Scripts live in <folder>/lua/*.lua
//  and are embedded by CMake (cmake/EdgeLua.cmake) as <prefix>_lua_<name>,
//  declared in the generated <prefix>_lua.h.
typedef struct {
    const char *name;   //  "<prefix>/<file name>", for logs
    const char *source;
    char sha[41];
} edge_redis_script_t;
//  EVALSHA, loading the script on NOSCRIPT. keys and args are strings.
//  Returns the reply as edge_redis_command does.
redisReply *edge_redis_eval (edge_redis_t *self,
                             edge_redis_script_t *script,
                             int nkeys,
                             const char **keys,
                             int nargs,
                             const char **args);

//  Run count commands (argument vectors, binary safe with argvlens; NULL
//  argvlens: strings) in one round trip; replies[i] answers argvs[i]
//  (caller owns each). Not atomic: other clients' commands may run in
//  between. Returns 0, or -1 when Redis could not be reached or the
//  connection failed on the way (every replies[i] NULL then).
int edge_redis_pipeline (edge_redis_t *self,
                         size_t count,
                         const int *argcs,
                         const char *const *const *argvs,
                         redisReply **replies);

//  One script call of a pipeline (edge_redis_eval_pipeline). Borrowed
//  pointers: valid during the call.
typedef struct {
    edge_redis_script_t *script;
    int nkeys;
    const char **keys;
    int nargs;
    const char **args;
} edge_redis_call_t;
//  Run count script calls in one round trip (EVALSHA each, sent together;
//  Redis runs them in order; one that answers NOSCRIPT is sent again with
//  EVAL after the others). Sets replies[i] to the answer of calls[i] (caller
//  owns each, freeReplyObject; may be REDIS_REPLY_ERROR). Returns 0, or -1
//  when Redis could not be reached or the connection failed on the way
//  (every replies[i] NULL then; some calls may have run).
int edge_redis_eval_pipeline (edge_redis_t *self,
                              const edge_redis_call_t *calls,
                              size_t count,
                              redisReply **replies);
#endif
