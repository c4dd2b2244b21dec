/*  bk_broker - two ROUTER sockets, a job queue and a worker table, driven
    by bk_broker_run_once: poll, drain each socket (a bounded batch so one
    side cannot starve the other), dispatch, then look for silent workers.

    Envelopes: the ROUTER prepends the peer's routing id, so every message
    received is exactly [routing id, payload]; anything else is dropped.  */
#include "bk_broker.h"
#include "bk_queue.h"
#include "bk_worker.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include "proto_done.h"
#include "proto_job.h"
#include "proto_query.h"
#include "proto_ready.h"

#define S_BATCH             256   //  messages per socket per round
#define S_MISSED_HEARTBEATS 3     //  silent this long: forgotten
#define S_STATS_MS          10000 //  stats line (debug) period
#define S_MAXMSGSIZE        65536 //  larger inbound messages disconnect

struct bk_broker {
    zsock_t *frontend;          //  ROUTER bound for gateways and reapers
    zsock_t *backend;           //  ROUTER bound for workers (mandatory)
    bk_queue_t *queue;          //  jobs waiting for a worker
    bk_worker_table_t *workers; //  live workers
    int64_t heartbeat_ms;       //  the workers' heartbeat interval
    int64_t next_expire_ms;     //  next look for silent workers (monotonic)
    int64_t next_stats_ms;      //  next stats line (monotonic)
    uint64_t received;          //  counters since start, for the stats line
    uint64_t dispatched;
    uint64_t requeued;
    uint64_t duplicates;
    uint64_t dropped;
    uint64_t malformed;
    uint64_t missed; //  heartbeats missed by workers
    uint64_t lost;   //  workers forgotten for silence
    struct {
        edge_metrics_series_t *workers, *queued, *dispatched, *dropped, *missed,
            *lost, *malformed;
    } metrics; //  series, all NULL without a registry
};


static zsock_t *
s_router_new (const char *endpoint, const char *role, bool is_backend)
{
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    if (!sock) {
        edge_error ("cannot create the %s socket: %s", role,
                    zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (sock, 0);
    zsock_set_maxmsgsize (sock, S_MAXMSGSIZE);
    if (is_backend) {
        zsock_set_router_mandatory (sock, 1); //  vanished worker: send fails
        zsock_set_router_handover (sock, 1);  //  restarted worker: newest wins
    }
    if (zsock_bind (sock, "%s", endpoint) == -1) {
        edge_error ("cannot bind the %s socket to %s: %s", role, endpoint,
                    zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
        return NULL;
    }
    edge_info ("listening for %s on %s", role, endpoint);
    return sock;
}


//  Send [routing, payload] without blocking. Returns 0, or -1 (errno set).
static int
s_send (zsock_t *sock,
        const void *routing,
        size_t routing_size,
        const void *data,
        size_t size)
{
    void *handle = zsock_resolve (sock);
    if (zmq_send (handle, routing, routing_size, ZMQ_SNDMORE | ZMQ_DONTWAIT)
        == -1)
        return -1;
    return zmq_send (handle, data, size, ZMQ_DONTWAIT) == -1 ? -1 : 0;
}


//  Log a message that is not a well-formed message of the expected types.
static void
s_drop (bk_broker_t *self, const char *side, int type, size_t size)
{
    self->malformed++;
    if (type == -1)
        edge_warn ("%s: malformed message (%zu bytes), dropped", side, size);
    else
        edge_warn ("%s: message type %d not expected here, dropped", side,
                   type);
}


static void
s_submit (bk_broker_t *self, const void *data, size_t size)
{
    proto_job_t *job = proto_job_decode (data, size);
    if (!job) {
        self->malformed++;
        return;
    }
    job->seq = 0; //  stamped per worker at dispatch
    const char *task = job->task;
    bk_queue_result_t result = bk_queue_push (self->queue, &job);
    if (result == BK_QUEUE_ADDED)
        edge_debug ("job %s queued (%zu waiting)", task,
                    bk_queue_size (self->queue));
    else if (result == BK_QUEUE_DUPLICATE) {
        self->duplicates++;
        edge_debug ("job %s is already queued, ignored", task);
    }
    else {
        self->dropped++;
        edge_warn ("queue full (%zu jobs): job %s dropped (it stays queued in "
                   "Redis; the reaper re-sends it)",
                   bk_queue_size (self->queue), task);
    }
    proto_job_destroy (&job);
}


//  Add every live worker (up to the codec's cap) to answer.
static void
s_list_workers (bk_broker_t *self, proto_answer_t *answer)
{
    int64_t now = edge_mono_ms ();
    for (bk_worker_t *worker = bk_worker_table_first (self->workers);
         worker && answer->nworkers < PROTO_ANSWER_WORKERS_MAX;
         worker = bk_worker_table_next (self->workers))
        proto_answer_add (answer, worker->id, worker->version, worker->capacity,
                          bk_worker_credit (worker),
                          (uint64_t) (now - worker->seen_ms));
}


static void
s_answer (bk_broker_t *self, zframe_t *routing, const void *data, size_t size)
{
    proto_query_t query;
    if (proto_query_decode (data, size, &query)) {
        self->malformed++;
        return;
    }
    proto_answer_t *answer = proto_answer_new (query.req_id, EDGE_VERSION);
    answer->queued = bk_queue_size (self->queue);
    if (query.kind == PROTO_QUERY_VERSIONS)
        s_list_workers (self, answer);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_answer_encode (answer, &buf);
    if (s_send (self->frontend, zframe_data (routing), zframe_size (routing),
                buf.data, buf.size))
        edge_debug ("answer %llu not sent: %s",
                    (unsigned long long) query.req_id, zmq_strerror (errno));
    msgpack_sbuffer_destroy (&buf);
    proto_answer_destroy (&answer);
}


static void
s_handle_frontend (bk_broker_t *self, zframe_t *routing, zframe_t *payload)
{
    const void *data = zframe_data (payload);
    size_t size = zframe_size (payload);
    int type = proto_peek_type (data, size);
    if (type == PROTO_JOB)
        s_submit (self, data, size);
    else if (type == PROTO_QUERY)
        s_answer (self, routing, data, size);
    else
        s_drop (self, "frontend", type, size);
}


//  The worker behind routing, registered if unknown (proto.h: its first
//  message of any type, with sent_seq = its last_seq). Borrowed.
static bk_worker_t *
s_worker_seen (bk_broker_t *self,
               zframe_t *routing,
               const char *id,
               uint64_t last_seq,
               bool *is_new)
{
    bk_worker_t *worker = bk_worker_table_lookup (
        self->workers, zframe_data (routing), zframe_size (routing));
    *is_new = worker == NULL;
    if (!worker)
        worker = bk_worker_table_add (self->workers, zframe_data (routing),
                                      zframe_size (routing), id, last_seq,
                                      edge_mono_ms ());
    return worker;
}


static void
s_ready (bk_broker_t *self, zframe_t *routing, const void *data, size_t size)
{
    proto_ready_t *ready = proto_ready_decode (data, size);
    if (!ready) {
        self->malformed++;
        return;
    }
    bool is_new;
    bk_worker_t *worker =
        s_worker_seen (self, routing, ready->worker, ready->last_seq, &is_new);
    bk_worker_describe (worker, ready->version, ready->capacity);
    bk_worker_report (worker, ready->free, ready->last_seq, edge_mono_ms (),
                      S_MISSED_HEARTBEATS * self->heartbeat_ms);
    if (is_new)
        edge_info ("worker %s joined: version %s, capacity %u, free %u, "
                   "last seq %llu",
                   worker->id, worker->version, worker->capacity, worker->free,
                   (unsigned long long) worker->last_seq);
    else
        edge_debug ("worker %s %s: free %u, last seq %llu, credit %u",
                    worker->id, ready->is_heartbeat ? "heartbeat" : "ready",
                    ready->free, (unsigned long long) ready->last_seq,
                    bk_worker_credit (worker));
    proto_ready_destroy (&ready);
}


static void
s_done (bk_broker_t *self, zframe_t *routing, const void *data, size_t size)
{
    proto_done_t *done = proto_done_decode (data, size);
    if (!done) {
        self->malformed++;
        return;
    }
    bool is_new;
    bk_worker_t *worker =
        s_worker_seen (self, routing, done->worker, done->last_seq, &is_new);
    bk_worker_report (worker, done->free, done->last_seq, edge_mono_ms (),
                      S_MISSED_HEARTBEATS * self->heartbeat_ms);
    if (is_new)
        edge_info ("worker %s joined (by DONE): free %u, last seq %llu",
                   worker->id, worker->free,
                   (unsigned long long) worker->last_seq);
    edge_debug ("worker %s: task %s %s, free %u", worker->id, done->task,
                done->state, done->free);
    proto_done_destroy (&done);
}


static void
s_handle_backend (bk_broker_t *self, zframe_t *routing, zframe_t *payload)
{
    const void *data = zframe_data (payload);
    size_t size = zframe_size (payload);
    int type = proto_peek_type (data, size);
    if (type == PROTO_READY || type == PROTO_HEARTBEAT)
        s_ready (self, routing, data, size);
    else if (type == PROTO_DONE)
        s_done (self, routing, data, size);
    else
        s_drop (self, "backend", type, size);
}


//  Handle up to S_BATCH messages waiting on one socket.
static void
s_drain (bk_broker_t *self, zsock_t *sock)
{
    bool is_backend = sock == self->backend;
    const char *side = is_backend ? "backend" : "frontend";
    for (int i = 0; i < S_BATCH && (zsock_events (sock) & ZMQ_POLLIN); i++) {
        zmsg_t *msg = zmsg_recv (sock);
        if (!msg)
            return; //  interrupted
        self->received++;
        zframe_t *routing = zmsg_first (msg);
        zframe_t *payload = zmsg_next (msg);
        if (zmsg_size (msg) != 2 || zframe_size (routing) == 0
            || zframe_size (routing) > BK_WORKER_ROUTING_MAX) {
            self->malformed++;
            edge_warn ("%s: message of %zu frames (expected 2), dropped", side,
                       zmsg_size (msg));
        }
        else if (is_backend)
            s_handle_backend (self, routing, payload);
        else
            s_handle_frontend (self, routing, payload);
        zmsg_destroy (&msg);
    }
}


//  Send the head job to the best worker while both exist.
static void
s_dispatch (bk_broker_t *self)
{
    bk_worker_t *worker;
    while (bk_queue_size (self->queue) > 0
           && (worker = bk_worker_table_best (self->workers))) {
        proto_job_t *job = bk_queue_pop (self->queue);
        job->seq = worker->sent_seq + 1;
        msgpack_sbuffer buf;
        msgpack_sbuffer_init (&buf);
        proto_job_encode (job, &buf);
        if (s_send (self->backend, worker->routing, worker->routing_size,
                    buf.data, buf.size)
            == 0) {
            bk_worker_table_mark_sent (self->workers, worker, job->seq,
                                       edge_mono_ms ());
            self->dispatched++;
            edge_debug ("job %s (%s) sent to worker %s, seq %llu", job->task,
                        job->type, worker->id, (unsigned long long) job->seq);
            proto_job_destroy (&job);
        }
        else {
            self->requeued++;
            edge_warn ("worker %s unreachable (%s), forgotten; job %s put "
                       "back at the front of the queue",
                       worker->id, zmq_strerror (errno), job->task);
            bk_worker_table_remove (self->workers, &worker);
            bk_queue_push_front (self->queue, &job);
        }
        msgpack_sbuffer_destroy (&buf);
    }
}


static void
s_tick (bk_broker_t *self, int64_t now)
{
    if (now >= self->next_expire_ms) {
        self->missed += bk_worker_table_missed (
            self->workers, now, self->heartbeat_ms, S_MISSED_HEARTBEATS);
        self->lost += bk_worker_table_expire (
            self->workers, now, S_MISSED_HEARTBEATS * self->heartbeat_ms);
        int64_t period = self->heartbeat_ms / 4;
        self->next_expire_ms = now + (period > 0 ? period : 1);
    }
    if (now >= self->next_stats_ms) {
        edge_debug ("stats: %zu workers, %zu jobs waiting; %llu messages, "
                    "%llu jobs dispatched, %llu requeued, %llu duplicates, "
                    "%llu dropped, %llu malformed",
                    bk_worker_table_size (self->workers),
                    bk_queue_size (self->queue),
                    (unsigned long long) self->received,
                    (unsigned long long) self->dispatched,
                    (unsigned long long) self->requeued,
                    (unsigned long long) self->duplicates,
                    (unsigned long long) self->dropped,
                    (unsigned long long) self->malformed);
        self->next_stats_ms = now + S_STATS_MS;
    }
}


//  Declare the broker's families in registry and keep their series.
static void
s_metrics_new (bk_broker_t *self, edge_metrics_t *registry)
{
    self->metrics.workers = edge_metrics_series (edge_metrics_gauge (
        registry, "edge_broker_workers", NULL,
        "Workers the broker knows (alive: heard from within 3 heartbeats)."));
    self->metrics.queued = edge_metrics_series (
        edge_metrics_gauge (registry, "edge_broker_jobs_queued", NULL,
                            "Jobs waiting in the broker for a free worker."));
    self->metrics.dispatched = edge_metrics_series (
        edge_metrics_counter (registry, "edge_broker_jobs_dispatched_total",
                              NULL, "Jobs sent to a worker."));
    self->metrics.dropped = edge_metrics_series (edge_metrics_counter (
        registry, "edge_broker_jobs_dropped_total", NULL,
        "Jobs dropped because the queue was full (the reaper re-sends "
        "them)."));
    self->metrics.missed = edge_metrics_series (edge_metrics_counter (
        registry, "edge_broker_heartbeats_missed_total", NULL,
        "Heartbeats workers missed (silent for more than an interval and a "
        "half; 3 missed: the worker is forgotten)."));
    self->metrics.lost = edge_metrics_series (
        edge_metrics_counter (registry, "edge_broker_workers_lost_total", NULL,
                              "Workers forgotten after 3 missed heartbeats."));
    self->metrics.malformed = edge_metrics_series (edge_metrics_counter (
        registry, "edge_broker_messages_malformed_total", NULL,
        "Messages dropped because they were malformed or unexpected."));
}


//  Publish the round's figures (NULL series: no registry, no-ops).
static void
s_metrics_update (bk_broker_t *self)
{
    edge_metrics_set (self->metrics.workers,
                      (double) bk_worker_table_size (self->workers));
    edge_metrics_set (self->metrics.queued,
                      (double) bk_queue_size (self->queue));
    edge_metrics_set (self->metrics.dispatched, (double) self->dispatched);
    edge_metrics_set (self->metrics.dropped, (double) self->dropped);
    edge_metrics_set (self->metrics.missed, (double) self->missed);
    edge_metrics_set (self->metrics.lost, (double) self->lost);
    edge_metrics_set (self->metrics.malformed, (double) self->malformed);
}


bk_broker_t *
bk_broker_new (const bk_broker_config_t *config)
{
    edge_assert (config && config->frontend && config->backend);
    edge_assert (config->heartbeat_ms >= 1 && config->queue_max >= 1);
    bk_broker_t *self = edge_calloc (1, sizeof *self);
    self->frontend = s_router_new (config->frontend, "gateways", false);
    self->backend =
        self->frontend ? s_router_new (config->backend, "workers", true) : NULL;
    if (!self->backend) {
        bk_broker_destroy (&self);
        return NULL;
    }
    self->queue = bk_queue_new (config->queue_max);
    self->workers = bk_worker_table_new ();
    self->heartbeat_ms = config->heartbeat_ms;
    int64_t now = edge_mono_ms ();
    self->next_expire_ms = now + self->heartbeat_ms;
    self->next_stats_ms = now + S_STATS_MS;
    if (config->metrics) {
        s_metrics_new (self, config->metrics);
        s_metrics_update (self);
    }
    return self;
}


void
bk_broker_destroy (bk_broker_t **self_p)
{
    edge_assert (self_p);
    bk_broker_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->backend);
    zsock_destroy (&self->frontend);
    bk_worker_table_destroy (&self->workers);
    bk_queue_destroy (&self->queue);
    free (self);
    *self_p = NULL;
}


int
bk_broker_run_once (bk_broker_t *self, int timeout_ms)
{
    edge_assert (self);
    zmq_pollitem_t items[] = {
        {zsock_resolve (self->backend), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->frontend), 0, ZMQ_POLLIN, 0}};
    int64_t wait = self->next_expire_ms - edge_mono_ms ();
    if (wait > timeout_ms)
        wait = timeout_ms;
    if (zmq_poll (items, 2, (long) (wait > 0 ? wait : 0)) == -1)
        return zmq_errno () == ETERM ? -1 : 0;
    //  Workers first, so freed credit is known before new jobs are queued
    if (items[0].revents & ZMQ_POLLIN)
        s_drain (self, self->backend);
    if (items[1].revents & ZMQ_POLLIN)
        s_drain (self, self->frontend);
    s_dispatch (self);
    s_tick (self, edge_mono_ms ());
    s_metrics_update (self);
    return 0;
}


size_t
bk_broker_queued (const bk_broker_t *self)
{
    edge_assert (self);
    return bk_queue_size (self->queue);
}


size_t
bk_broker_workers (const bk_broker_t *self)
{
    edge_assert (self);
    return bk_worker_table_size (self->workers);
}


zsock_t *
bk_broker_backend (bk_broker_t *self)
{
    edge_assert (self);
    return self->backend;
}
