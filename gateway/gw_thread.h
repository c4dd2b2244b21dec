/*  gw_thread - what one civetweb request thread owns: a Redis connection,
    a DEALER socket to the broker's frontend and a store over the depot
    (opened on first use), and its cache of authenticated principals.
    Made in civetweb's
    init_thread, fetched with mg_get_thread_pointer, destroyed in
    exit_thread. Never shared between threads.  */
#ifndef GW_THREAD_H_INCLUDED
#define GW_THREAD_H_INCLUDED
#include "edge_depot.h"
#include "edge_redis.h"
#include "gw_pcache.h"
#include "proto_query.h"

typedef struct gw_thread gw_thread_t;

//  Create the thread's Redis handle (connects lazily) and its DEALER
//  connected to broker_endpoint (linger 0, bounded queues, immediate).
//  Returns NULL when the socket cannot be made. Caller owns.
gw_thread_t *gw_thread_new (const char *redis_url,
                            int redis_timeout_ms,
                            const char *broker_endpoint);
//  Close all it holds and nullify; NULL-safe.
void gw_thread_destroy (gw_thread_t **self_p);
//  Use redis, a shared handle (edge_redis_new_shared; borrowed: it must
//  outlive self), instead of the thread's own connection.
void gw_thread_share_redis (gw_thread_t *self, edge_redis_t *redis);
//  The depot this thread's store opens: cfg (borrowed: must outlive
//  self), with S3 parts of part_size bytes (0: EDGE_STORE_PART_SIZE).
void gw_thread_set_depot (gw_thread_t *self,
                          const edge_depot_cfg_t *cfg,
                          uint64_t part_size);
//  Give the thread a principal cache whose entries live ttl_ms (0: none).
void gw_thread_set_pcache (gw_thread_t *self, int64_t ttl_ms);
//  The thread's principal cache, or NULL when it has none. Borrowed:
//  valid while self lives.
gw_pcache_t *gw_thread_pcache (gw_thread_t *self);
//  The thread's store over the depot, opened on the first call. NULL
//  when no depot was set or it cannot be opened (logged). Borrowed:
//  valid while self lives.
edge_store_t *gw_thread_depot (gw_thread_t *self);

//  The thread's Redis handle. Borrowed: valid while self lives.
edge_redis_t *gw_thread_redis (gw_thread_t *self);
//  PING Redis (once more on a fresh connection when the held one was
//  lost). Returns 0 when it answered PONG, -1 otherwise.
int gw_thread_redis_ping (gw_thread_t *self);
//  Send a JOB (task, type) to the broker without waiting. Returns 0, or -1
//  when the broker is not connected or its queue is full.
int gw_thread_send_job (gw_thread_t *self, const char *task, const char *type);
//  Send a QUERY and wait up to timeout_ms, in all, for a connection to
//  send it on and for the ANSWER with the same request id; answers to
//  earlier queries are dropped. Returns the answer
//  (caller owns) or NULL when the broker did not answer in time.
proto_answer_t *
gw_thread_query (gw_thread_t *self, proto_query_kind_t kind, int timeout_ms);
#endif
