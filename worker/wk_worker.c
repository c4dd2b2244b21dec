/*  wk_worker - the worker's main loop.

    Credit: READY, HEARTBEAT and DONE carry `free` (idle slots less the
    backlog) and `last_seq` (seq of the last JOB received), from which the
    broker computes how many more jobs it may send us. Sends never block:
    a message the socket cannot take is dropped, and the next heartbeat
    carries the same figures.  */
#include "wk_worker.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_task.h"
#include "edge_util.h"
#include "proto_done.h"
#include "proto_job.h"
#include "proto_ready.h"
#include "wk_metrics.h"
#include "wk_reaper.h"
#include "wk_slot.h"
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define S_BACKEND_SNDHWM 100
#define S_BACKEND_LINGER 250
#define S_BACKEND_BATCH  256 //  messages taken from the broker per wake-up

struct wk_worker {
    const wk_config_t *config; //  borrowed
    zsock_t *backend;          //  DEALER to the broker backend
    zsock_t *frontend;         //  DEALER to the broker frontend (reaper)
    zsock_t *done;             //  PULL: slot completions
    zpoller_t *poller;
    edge_redis_t *redis; //  renewals and reaper
    edge_redis_t *tasks; //  the slots' claims and outcomes (shared handle)
    wk_reaper_t *reaper;
    wk_slot_t **slots;
    size_t nslots;
    proto_job_t *backlog[WK_WORKER_BACKLOG_MAX]; //  FIFO of waiting jobs
    size_t nbacklog;
    uint64_t last_seq;         //  seq of the last JOB received
    int64_t next_heartbeat_ms; //  monotonic
    int64_t next_renew_ms;     //  monotonic
    char done_endpoint[64];
};


//  Send an encoded message on sock without blocking. Returns 0 or -1.
static int
s_send (zsock_t *sock, const msgpack_sbuffer *buf)
{
    return zmq_send (zsock_resolve (sock), buf->data, buf->size, ZMQ_DONTWAIT)
                   < 0
               ? -1
               : 0;
}


//  Send READY or HEARTBEAT with our current credit.
static void
s_send_ready (wk_worker_t *self, bool is_heartbeat, bool is_closing)
{
    proto_ready_t *ready =
        proto_ready_new (self->config->worker_id, EDGE_VERSION);
    ready->is_heartbeat = is_heartbeat;
    ready->capacity = (uint32_t) self->nslots;
    ready->free = is_closing ? 0 : (uint32_t) wk_worker_free (self);
    ready->last_seq = self->last_seq;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_ready_encode (ready, &buf);
    if (s_send (self->backend, &buf))
        edge_debug ("worker: %s not sent (broker unreachable)",
                    is_heartbeat ? "HEARTBEAT" : "READY");
    msgpack_sbuffer_destroy (&buf);
    proto_ready_destroy (&ready);
}


static void
s_send_done (wk_worker_t *self, const char *task, const char *state)
{
    proto_done_t *done = proto_done_new (self->config->worker_id, task, state);
    done->free = (uint32_t) wk_worker_free (self);
    done->last_seq = self->last_seq;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_done_encode (done, &buf);
    if (s_send (self->backend, &buf))
        edge_debug ("worker: DONE of %s not sent (broker unreachable)", task);
    msgpack_sbuffer_destroy (&buf);
    proto_done_destroy (&done);
}


//  A DEALER connected to endpoint. NULL (logged) on failure.
static zsock_t *
s_dealer (const char *endpoint, const char *identity)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock) {
        edge_error ("worker: cannot create a ZeroMQ socket");
        return NULL;
    }
    if (identity) {
        zsock_set_identity (sock, identity);
        zsock_set_sndhwm (sock, S_BACKEND_SNDHWM);
        zsock_set_linger (sock, S_BACKEND_LINGER);
    }
    else {
        //  Reaper re-sends: fail at once when the broker is not connected
        zsock_set_immediate (sock, 1);
        zsock_set_linger (sock, 0);
    }
    if (zsock_connect (sock, "%s", endpoint)) {
        edge_error ("worker: cannot connect to %s", endpoint);
        zsock_destroy (&sock);
    }
    return sock;
}


//  Sockets and poller. Returns 0, or -1 (logged).
static int
s_open_sockets (wk_worker_t *self)
{
    snprintf (self->done_endpoint, sizeof self->done_endpoint,
              "inproc://wk-done-%p", (void *) self);
    self->done = zsock_new (ZMQ_PULL);
    if (!self->done || zsock_bind (self->done, "%s", self->done_endpoint)) {
        edge_error ("worker: cannot bind %s", self->done_endpoint);
        return -1;
    }
    self->backend = s_dealer (self->config->backend, self->config->worker_id);
    self->frontend = s_dealer (self->config->frontend, NULL);
    if (!self->backend || !self->frontend)
        return -1;
    self->poller =
        zpoller_new (self->backend, self->frontend, self->done, NULL);
    return self->poller ? 0 : -1;
}


//  Close sockets in reverse order (NULL-safe members).
static void
s_close_sockets (wk_worker_t *self)
{
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->frontend);
    zsock_destroy (&self->backend);
    zsock_destroy (&self->done);
}


wk_worker_t *
wk_worker_new (const wk_config_t *config, const wk_env_t *env)
{
    edge_assert (config && config->worker_id && config->capacity > 0);
    wk_worker_t *self = edge_calloc (1, sizeof *self);
    self->config = config;
    if (s_open_sockets (self)) {
        s_close_sockets (self);
        free (self);
        return NULL;
    }
    self->redis =
        edge_redis_new (config->redis_url, (int) config->redis_timeout_ms);
    edge_assert (self->redis); //  the URL was validated with the config
    self->tasks = edge_redis_new_shared (config->redis_url,
                                         (int) config->redis_timeout_ms);
    edge_assert (self->tasks);
    self->reaper = wk_reaper_new (config->worker_id, config->reaper_interval_ms,
                                  (int) config->max_attempts,
                                  config->reaper_resend_ms, env);
    self->nslots = (size_t) config->capacity;
    self->slots = edge_calloc (self->nslots, sizeof (wk_slot_t *));
    wk_slot_opts_t opts = {.worker_id = config->worker_id,
                           .redis_url = config->redis_url,
                           .redis_timeout_ms = (int) config->redis_timeout_ms,
                           .lease_ms = config->lease_ms,
                           .done_endpoint = self->done_endpoint,
                           .tasks = self->tasks,
                           .env = env};
    for (size_t i = 0; i < self->nslots; i++)
        self->slots[i] = wk_slot_new (&opts, (int) i);
    int64_t now = edge_mono_ms ();
    self->next_heartbeat_ms = now + config->heartbeat_ms;
    self->next_renew_ms = now + config->lease_ms / 3;
    s_send_ready (self, false, false);
    edge_info ("worker %s ready: %zu slots, backend %s", config->worker_id,
               self->nslots, config->backend);
    return self;
}


void
wk_worker_destroy (wk_worker_t **self_p)
{
    edge_assert (self_p);
    wk_worker_t *self = *self_p;
    if (!self)
        return;
    edge_info ("worker %s shutting down", self->config->worker_id);
    s_send_ready (self, true, true); //  free 0: send us nothing more
    size_t released = 0;
    for (size_t i = 0; i < self->nslots; i++)
        released += wk_slot_release (self->slots[i], self->redis) ? 1 : 0;
    for (size_t i = 0; i < self->nslots; i++)
        wk_slot_destroy (&self->slots[i]);
    if (self->nbacklog)
        edge_info ("worker: %zu waiting jobs dropped (they stay queued)",
                   self->nbacklog);
    for (size_t i = 0; i < self->nbacklog; i++)
        proto_job_destroy (&self->backlog[i]);
    free (self->slots);
    wk_reaper_destroy (&self->reaper);
    edge_redis_destroy (&self->redis);
    edge_redis_destroy (&self->tasks); //  the slots are gone
    s_close_sockets (self);
    edge_info ("worker stopped (%zu running tasks given back)", released);
    free (self);
    *self_p = NULL;
}


size_t
wk_worker_free (const wk_worker_t *self)
{
    edge_assert (self);
    size_t idle = 0;
    for (size_t i = 0; i < self->nslots; i++)
        idle += wk_slot_is_busy (self->slots[i]) ? 0 : 1;
    return idle > self->nbacklog ? idle - self->nbacklog : 0;
}


//  An idle slot, or NULL.
static wk_slot_t *
s_idle_slot (wk_worker_t *self)
{
    for (size_t i = 0; i < self->nslots; i++)
        if (!wk_slot_is_busy (self->slots[i]))
            return self->slots[i];
    return NULL;
}


//  Run job on an idle slot or keep it in the backlog. Takes ownership.
static void
s_dispatch (wk_worker_t *self, proto_job_t *job)
{
    wk_slot_t *slot = s_idle_slot (self);
    if (slot) {
        wk_slot_start (slot, job->task, job->type);
        proto_job_destroy (&job);
    }
    else if (self->nbacklog < WK_WORKER_BACKLOG_MAX)
        self->backlog[self->nbacklog++] = job;
    else {
        edge_warn ("worker: backlog full, job %s dropped (it stays queued)",
                   job->task);
        proto_job_destroy (&job);
    }
}


//  One message from the broker backend.
static void
s_on_backend (wk_worker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->backend);
    if (!msg)
        return;
    //  The payload is the last frame (a broker may add an empty delimiter)
    zframe_t *frame = zmsg_last (msg);
    proto_job_t *job = NULL;
    if (frame
        && proto_peek_type (zframe_data (frame), zframe_size (frame))
               == PROTO_JOB)
        job = proto_job_decode (zframe_data (frame), zframe_size (frame));
    else
        edge_warn ("worker: unexpected message from the broker, dropped");
    zmsg_destroy (&msg);
    if (!job)
        return;
    edge_debug ("worker: job %s (%s) seq %llu", job->task, job->type,
                (unsigned long long) job->seq);
    if (job->seq)
        self->last_seq = job->seq;
    s_dispatch (self, job);
}


//  Hand a pipeline's next task to the broker (the reaper resends it if
//  this send is lost).
static void
s_send_next (wk_worker_t *self, const char *name, const char *type)
{
    proto_job_t *job = proto_job_new (name, type);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_job_encode (job, &buf);
    if (s_send (self->frontend, &buf))
        edge_warn ("task %s: broker did not take the job; the reaper will "
                   "send it again",
                   name);
    msgpack_sbuffer_destroy (&buf);
    proto_job_destroy (&job);
}


//  One slot end message: the slot is idle again. Returns the ended task's name and state (caller owns both), or
//  false when the message was malformed.
static bool
s_take_done (wk_worker_t *self, char **task, char **state)
{
    char *index = NULL, *next_name = NULL, *next_type = NULL;
    *state = NULL;
    if (zstr_recvx (self->done, &index, state, &next_name, &next_type, NULL)
            < 4
        || !*state) {
        zstr_free (&index);
        zstr_free (state);
        zstr_free (&next_name);
        zstr_free (&next_type);
        return false;
    }
    if (*next_name)
        s_send_next (self, next_name, next_type);
    zstr_free (&next_name);
    zstr_free (&next_type);
    size_t i = (size_t) atoi (index);
    zstr_free (&index);
    edge_assert (i < self->nslots && wk_slot_is_busy (self->slots[i]));
    *task = edge_strdup (wk_slot_task (self->slots[i]));
    wk_slot_done (self->slots[i]);
    return true;
}


//  Slots finished jobs: take every end message waiting, then send one DONE
//  (of the last task) whose credit counts them all: the broker needs only
//  the credit, so completions that meet cost one message.
static void
s_on_done (wk_worker_t *self)
{
    char *task = NULL, *state = NULL;
    do {
        char *next_task, *next_state;
        if (s_take_done (self, &next_task, &next_state)) {
            free (task);
            zstr_free (&state);
            task = next_task;
            state = next_state;
        }
    } while (zsock_events (self->done) & ZMQ_POLLIN);
    if (task)
        s_send_done (self, task, state);
    free (task);
    zstr_free (&state);
    //  Then the idle slots take the oldest waiting jobs (after the DONE, so
    //  a DONE never stands for a job that started in this same round)
    while (self->nbacklog && s_idle_slot (self)) {
        proto_job_t *job = self->backlog[0];
        memmove (self->backlog, self->backlog + 1,
                 (self->nbacklog - 1) * sizeof self->backlog[0]);
        self->nbacklog--;
        s_dispatch (self, job);
    }
}


//  Drain whatever the frontend sends back (nothing is expected).
static void
s_on_frontend (wk_worker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->frontend);
    edge_debug ("worker: unexpected message on the frontend socket, dropped");
    zmsg_destroy (&msg);
}


//  Heartbeat, lease renewals and the reaper, each when due.
static void
s_timers (wk_worker_t *self)
{
    int64_t now = edge_mono_ms ();
    if (now >= self->next_heartbeat_ms) {
        s_send_ready (self, true, false);
        self->next_heartbeat_ms = now + self->config->heartbeat_ms;
    }
    if (now >= self->next_renew_ms) {
        for (size_t i = 0; i < self->nslots; i++)
            if (wk_slot_is_busy (self->slots[i]))
                wk_slot_renew (self->slots[i], self->redis,
                               self->config->lease_ms);
        self->next_renew_ms = now + self->config->lease_ms / 3;
    }
    wk_reaper_tick (self->reaper, self->redis, self->frontend, now);
}


//  Milliseconds until the next timer, at most timeout_ms, at least 0.
static int
s_wait_ms (const wk_worker_t *self, int timeout_ms)
{
    int64_t now = edge_mono_ms ();
    int64_t next = self->next_heartbeat_ms;
    if (self->next_renew_ms < next)
        next = self->next_renew_ms;
    if (wk_reaper_due_ms (self->reaper) < next)
        next = wk_reaper_due_ms (self->reaper);
    int64_t wait = next - now;
    if (wait > timeout_ms)
        wait = timeout_ms;
    return wait < 0 ? 0 : (int) wait;
}


int
wk_worker_poll (wk_worker_t *self, int timeout_ms)
{
    edge_assert (self);
    void *which = zpoller_wait (self->poller, s_wait_ms (self, timeout_ms));
    if (which == self->backend) {
        //  Every JOB already here, not one a wake-up (bounded: the done
        //  socket and the timers get their turn)
        int n = 0;
        do
            s_on_backend (self);
        while (++n < S_BACKEND_BATCH
               && (zsock_events (self->backend) & ZMQ_POLLIN));
    }
    else if (which == self->frontend)
        s_on_frontend (self);
    else if (which == self->done)
        s_on_done (self);
    else if (zpoller_terminated (self->poller))
        return -1;
    s_timers (self);
    size_t running = 0;
    for (size_t i = 0; i < self->nslots; i++)
        running += wk_slot_is_busy (self->slots[i]) ? 1 : 0;
    wk_metrics_slots (running, self->nslots - running, self->nbacklog);
    return 0;
}
