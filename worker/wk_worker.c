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
#include "wk_task.h"
#include <stdatomic.h>
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
    const wk_env_t *env; //  what instant jobs run with (borrowed)
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
    self->env = env;
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


//  Keep job in the backlog (or drop it when full: it stays queued in
//  Redis). Takes ownership.
static void
s_backlog_push (wk_worker_t *self, proto_job_t *job)
{
    if (self->nbacklog < WK_WORKER_BACKLOG_MAX)
        self->backlog[self->nbacklog++] = job;
    else {
        edge_warn ("worker: backlog full, job %s dropped (it stays queued)",
                   job->task);
        proto_job_destroy (&job);
    }
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
    else
        s_backlog_push (self, job);
}


//  One message from the broker backend: its job (caller owns), or NULL.
static proto_job_t *
s_recv_job (wk_worker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->backend);
    if (!msg)
        return NULL;
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
        return NULL;
    edge_debug ("worker: job %s (%s) seq %llu", job->task, job->type,
                (unsigned long long) job->seq);
    if (job->seq)
        self->last_seq = job->seq;
    return job;
}


//  Run an instant job (claimed) here; fill its outcome. The strings in
//  *outcome point into *job (wk_job_fini frees them).
static void
s_run_instant (wk_worker_t *self,
               const edge_task_claim_t *claim,
               json_t *params,
               wk_job_t *job,
               edge_task_outcome_t *outcome)
{
    static const atomic_int no_cancel = 0;
    *job = (wk_job_t) {.worker = self->config->worker_id,
                       .name = claim->name,
                       .type = claim->type,
                       .org = claim->org,
                       .params = params,
                       .attempt = claim->attempt,
                       .cancel = &no_cancel,
                       .env = self->env};
    wk_metrics_task_started (claim->type);
    wk_job_rc_t rc = wk_task_run (job);
    *outcome = (edge_task_outcome_t) {.name = claim->name,
                                      .attempt = claim->attempt,
                                      .is_success = rc == WK_JOB_DONE,
                                      .result = job->result,
                                      .message = job->message,
                                      .exception = job->exception,
                                      .error = job->error};
}


//  Log and count the outcome of an instant job; returns its end state.
static const char *
s_instant_report (const edge_task_claim_t *claim,
                  const edge_task_outcome_t *outcome,
                  edge_err_t rc,
                  int64_t took_ms)
{
    const char *state = "released";
    if (rc == EDGE_ERR_GONE)
        edge_warn ("task %s (%s) attempt %d: outcome not recorded, the task "
                   "is no longer ours",
                   claim->name, claim->type, claim->attempt);
    else if (rc != EDGE_ERR_OK)
        edge_warn ("task %s (%s) attempt %d: outcome not recorded, Redis is "
                   "unavailable (the reaper will run it again)",
                   claim->name, claim->type, claim->attempt);
    else if (outcome->is_success) {
        state = "succeeded";
        edge_info ("task %s (%s) attempt %d succeeded in %lld ms",
                   claim->name, claim->type, claim->attempt,
                   (long long) took_ms);
    }
    else {
        state = "failed";
        edge_warn ("task %s (%s) attempt %d failed: %s", claim->name,
                   claim->type, claim->attempt,
                   outcome->message ? outcome->message : "task failed");
    }
    wk_metrics_task_ended (claim->type, state, (double) took_ms / 1000.0);
    return state;
}


//  Jobs of types that may be instant, one per idle slot: claim them all in
//  one round trip; run the instant ones here and record their outcomes in
//  one more; hand the others, claimed, to idle slots. Then one DONE gives
//  the broker the credit back. Takes ownership of jobs[0..n).
static void
s_run_batch (wk_worker_t *self, proto_job_t **jobs, size_t n)
{
    int64_t start = edge_mono_ms ();
    const char **names = edge_calloc (n, sizeof *names);
    edge_task_claim_t *claims = edge_calloc (n, sizeof *claims);
    edge_err_t *rcs = edge_calloc (n, sizeof *rcs);
    json_t **params = edge_calloc (n, sizeof *params);
    wk_job_t *runs = edge_calloc (n, sizeof *runs);
    edge_task_outcome_t *outcomes = edge_calloc (n, sizeof *outcomes);
    size_t *which = edge_calloc (n, sizeof *which); //  outcome -> claim
    for (size_t i = 0; i < n; i++)
        names[i] = jobs[i]->task;
    edge_task_claim_many (self->redis, names, n, self->config->worker_id,
                          self->config->lease_ms, claims, rcs);
    size_t ran = 0;
    const char *last_task = NULL, *last_state = NULL;
    for (size_t i = 0; i < n; i++) {
        if (rcs[i] != EDGE_ERR_OK) {
            edge_debug ("task %s (%s) not claimed (%s), skipped",
                        jobs[i]->task, jobs[i]->type,
                        rcs[i] == EDGE_ERR_GONE ? "not queued"
                                                : "Redis unavailable");
            last_task = jobs[i]->task;
            last_state = "skipped";
            continue;
        }
        params[i] = json_loads (claims[i].params, 0, NULL);
        if (wk_task_is_instant (claims[i].type, params[i])) {
            s_run_instant (self, &claims[i], params[i], &runs[ran],
                           &outcomes[ran]);
            which[ran++] = i;
        }
        else {
            //  Slow after all (a hello that sleeps): a slot runs it
            wk_slot_t *slot = s_idle_slot (self);
            edge_assert (slot); //  one idle slot per job was counted
            wk_slot_start_claimed (slot, &claims[i]);
        }
    }
    edge_err_t *recorded = edge_calloc (ran ? ran : 1, sizeof *recorded);
    edge_task_finish_many (self->redis, self->config->worker_id, outcomes,
                           ran, recorded);
    int64_t took = edge_mono_ms () - start;
    for (size_t k = 0; k < ran; k++) {
        const edge_task_claim_t *claim = &claims[which[k]];
        last_state = s_instant_report (claim, &outcomes[k], recorded[k], took);
        last_task = claim->name;
    }
    if (last_task) //  credit for what ended here
        s_send_done (self, last_task, last_state);
    for (size_t k = 0; k < ran; k++) {
        edge_assert (!runs[k].next_type); //  instant jobs start no next step
        wk_job_fini (&runs[k]);
    }
    for (size_t i = 0; i < n; i++) {
        json_decref (params[i]);
        edge_task_claim_fini (&claims[i]);
        proto_job_destroy (&jobs[i]);
    }
    free (recorded);
    free (which);
    free (outcomes);
    free (runs);
    free (params);
    free (rcs);
    free (claims);
    free (names);
}


//  Every JOB waiting (up to S_BACKEND_BATCH): jobs of types that may be
//  instant and for which a slot is idle go to s_run_batch, the others to
//  slots (or the backlog) as they come.
static void
s_on_backend (wk_worker_t *self)
{
    proto_job_t *batch[S_BACKEND_BATCH];
    size_t nbatch = 0, idle = 0;
    for (size_t i = 0; i < self->nslots; i++)
        idle += wk_slot_is_busy (self->slots[i]) ? 0 : 1;
    int n = 0;
    do {
        proto_job_t *job = s_recv_job (self);
        if (!job)
            continue;
        if (idle > 0 && self->nbacklog == 0
            && wk_task_may_be_instant (job->type)) {
            batch[nbatch++] = job; //  keeps an idle slot in reserve
            idle--;
        }
        else if (idle > 0 && self->nbacklog == 0) {
            s_dispatch (self, job); //  takes an idle slot
            idle--;
        }
        else
            s_backlog_push (self, job);
    } while (++n < S_BACKEND_BATCH
             && (zsock_events (self->backend) & ZMQ_POLLIN));
    if (nbatch)
        s_run_batch (self, batch, nbatch);
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
    if (which == self->backend)
        s_on_backend (self);
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
