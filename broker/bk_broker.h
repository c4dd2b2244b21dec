/*  bk_broker - the ZeroMQ load-balancing broker.

    Frontend ROUTER (gateways and reapers, DEALER sockets sending one frame):
    JOB is queued (FIFO, bounded, deduplicated by task name; no reply);
    QUERY is answered with an ANSWER carrying the same req_id (ping: no
    workers; versions: every live worker and the queue length).
    Backend ROUTER (workers, DEALER sockets whose routing id is the worker
    id): READY, HEARTBEAT and DONE update the worker table (bk_worker.h).
    While jobs wait and a worker has credit, the head job goes to the worker
    with the most credit (ties: least recently used), stamped with that
    worker's next seq. A send that fails (ZMQ_ROUTER_MANDATORY: the worker
    is gone) puts the job back at the front and forgets the worker. Workers
    silent for 3 heartbeats are forgotten. Malformed messages are dropped
    with one warning each. No durable state: restart at any time.

    Metrics (when a registry is given): edge_broker_workers and
    edge_broker_jobs_queued (gauges, updated every round),
    edge_broker_jobs_dispatched_total, edge_broker_jobs_dropped_total,
    edge_broker_heartbeats_missed_total (bk_worker_table_missed),
    edge_broker_workers_lost_total and edge_broker_messages_malformed_total.  */
#ifndef BK_BROKER_H_INCLUDED
#define BK_BROKER_H_INCLUDED
#include "edge_metrics.h"
#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bk_broker bk_broker_t;

typedef struct {
    const char *frontend;    //  endpoint to bind for gateways and reapers
    const char *backend;     //  endpoint to bind for workers
    int64_t heartbeat_ms;    //  worker heartbeat interval (>= 1)
    size_t queue_max;        //  jobs that may wait (>= 1)
    edge_metrics_t *metrics; //  registry for the broker's metrics, or
                             //  NULL; borrowed: outlives the broker
} bk_broker_config_t;

//  Bind both sockets (strings are copied by ZeroMQ; config is borrowed for
//  the call only). Caller owns the result; NULL, with an error logged, when
//  a bind fails.
bk_broker_t *bk_broker_new (const bk_broker_config_t *config);
//  Close the sockets, drop queued jobs and workers, null the caller's
//  reference; NULL-safe.
void bk_broker_destroy (bk_broker_t **self_p);
//  Wait up to timeout_ms for messages, handle those that arrived, dispatch
//  what can be dispatched and forget silent workers. Returns 0, or -1 when
//  the ZeroMQ context was terminated. Returns early (0) on a signal: the
//  caller checks zsys_interrupted.
int bk_broker_run_once (bk_broker_t *self, int timeout_ms);
//  Jobs waiting.
size_t bk_broker_queued (const bk_broker_t *self);
//  Live workers.
size_t bk_broker_workers (const bk_broker_t *self);
//  The worker-facing socket, for monitoring in tests. Borrowed: valid until
//  the broker is destroyed.
zsock_t *bk_broker_backend (bk_broker_t *self);
#endif
