/*  wk_slot - a slot thread: claim, run the handler, record the outcome.

    The lock guards the hand-over (next task), the stop flag and the name
    and attempt of the claimed task, which the main thread reads to renew
    the lease. The slot forgets the claim (under the lock) as soon as the
    handler returns, before recording the outcome, so a renewal that answers
    GONE for a finished task never cancels the slot's next job.  */
#include "wk_slot.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include "wk_task.h"
#include "wk_metrics.h"
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    S_CANCEL_NONE = 0,    //  run on
    S_CANCEL_LOST = 1,    //  the lease was taken over: stop, record nothing
    S_CANCEL_SHUTDOWN = 2 //  the worker stops: stop, give the task back
} s_cancel_t;

#define S_RECORD_RETRY_MS 200

struct wk_slot {
    int index;       //  slot number, sent in end messages
    char *worker_id; //  owner id on claims
    char *redis_url; //  for the thread's connection
    int redis_timeout_ms;
    int64_t lease_ms;
    char *done_endpoint; //  owner's inproc PULL
    const wk_env_t *env; //  handed to every job (borrowed)
    edge_redis_t *tasks; //  claims and outcomes (shared, borrowed)
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    //  Under lock:
    char *next_task; //  handed over, not yet taken by the thread
    char *next_type;
    edge_task_claim_t next_claim; //  its claim when the owner made it
    bool has_next_claim;
    bool is_stopping;          //  take no more jobs; exit the thread
    char *claimed;             //  task claimed and running, or NULL
    int claimed_attempt;       //  its attempt (fencing token)
    bool is_released_by_owner; //  wk_slot_release gives the claim back
    //  Shared without the lock:
    atomic_int cancel; //  s_cancel_t for the running job
    //  Main thread only:
    char *task; //  task handed over, until wk_slot_done
};


//  Record the claim (or forget it with name NULL); the lock is held.
static void
s_set_claimed_locked (wk_slot_t *self, const char *name, int attempt)
{
    free (self->claimed);
    self->claimed = edge_strdup (name);
    self->claimed_attempt = attempt;
}


//  Record the claim (or forget it with name NULL) under the lock.
static void
s_set_claimed (wk_slot_t *self, const char *name, int attempt)
{
    pthread_mutex_lock (&self->lock);
    s_set_claimed_locked (self, name, attempt);
    pthread_mutex_unlock (&self->lock);
}


//  Record the outcome, retrying while Redis is unreachable (bounded by the
//  lease: past it the reaper gives the task to another worker anyway).
static edge_err_t
s_record (wk_slot_t *self,
          edge_redis_t *redis,
          const edge_task_claim_t *claim,
          wk_job_rc_t outcome,
          const wk_job_t *job,
          char *next_name)
{
    next_name[0] = 0;
    int64_t deadline = edge_mono_ms () + self->lease_ms;
    while (true) {
        edge_err_t rc;
        if (outcome == WK_JOB_DONE && job->next_type) {
            edge_task_next_t next = {job->next_type, job->next_params,
                                     job->next_dxf};
            rc = edge_task_succeed_next (redis, claim->name, self->worker_id,
                                         claim->attempt, job->result, &next,
                                         next_name);
        }
        else
            rc = outcome == WK_JOB_DONE
                ? edge_task_succeed (redis, claim->name, self->worker_id,
                                     claim->attempt, job->result)
                : edge_task_fail (redis, claim->name, self->worker_id,
                                  claim->attempt, job->message, job->exception,
                                  job->error);
        if (rc != EDGE_ERR_REDIS || edge_mono_ms () >= deadline
            || atomic_load (&self->cancel) == S_CANCEL_SHUTDOWN)
            return rc;
        edge_sleep_ms (S_RECORD_RETRY_MS, NULL);
    }
}


//  Log the outcome of a finished job; returns the end message's state.
static const char *
s_report (const edge_task_claim_t *claim,
          wk_job_rc_t outcome,
          const wk_job_t *job,
          edge_err_t rc,
          int64_t took_ms)
{
    if (rc == EDGE_ERR_GONE) {
        edge_warn ("task %s (%s) attempt %d: outcome not recorded, the task "
                   "is no longer ours",
                   claim->name, claim->type, claim->attempt);
        return "released";
    }
    if (rc == EDGE_ERR_REDIS) {
        edge_warn ("task %s (%s) attempt %d: outcome not recorded, Redis is "
                   "unavailable (the reaper will run it again)",
                   claim->name, claim->type, claim->attempt);
        return "released";
    }
    if (outcome == WK_JOB_DONE) {
        edge_info ("task %s (%s) attempt %d succeeded in %lld ms", claim->name,
                   claim->type, claim->attempt, (long long) took_ms);
        return "succeeded";
    }
    edge_warn ("task %s (%s) attempt %d failed: %s", claim->name, claim->type,
               claim->attempt, job->message);
    return "failed";
}


//  A job that stopped on cancellation; returns the end message's state.
static const char *
s_cancelled (wk_slot_t *self,
             edge_redis_t *redis,
             const edge_task_claim_t *claim)
{
    if (atomic_load (&self->cancel) == S_CANCEL_LOST) {
        edge_warn ("task %s (%s) attempt %d stopped: its lease was lost",
                   claim->name, claim->type, claim->attempt);
        return "released";
    }
    //  Shutdown: give the task back, unless the owner does it
    pthread_mutex_lock (&self->lock);
    bool is_owners_job = self->is_released_by_owner;
    pthread_mutex_unlock (&self->lock);
    if (!is_owners_job
        && edge_task_release (redis, claim->name, self->worker_id,
                              claim->attempt)
               == EDGE_ERR_OK)
        edge_info ("task %s (%s) attempt %d released at shutdown", claim->name,
                   claim->type, claim->attempt);
    return "released";
}


//  Run the handler of a claimed task and record its outcome.
static const char *
s_execute (wk_slot_t *self,
           edge_redis_t *redis,
           const edge_task_claim_t *claim,
           char *next_name,
           char *next_type,
           size_t next_type_size)
{
    edge_debug ("task %s (%s) attempt %d started", claim->name, claim->type,
                claim->attempt);
    int64_t start = edge_mono_ms ();
    wk_metrics_task_started (claim->type);
    json_t *params = json_loads (claim->params, 0, NULL);
    wk_job_t job = {.worker = self->worker_id,
                    .name = claim->name,
                    .type = claim->type,
                    .org = claim->org,
                    .params = params,
                    .attempt = claim->attempt,
                    .redis = redis,
                    .cancel = &self->cancel,
                    .env = self->env};
    wk_job_rc_t outcome = wk_task_run (&job);
    s_set_claimed (self, NULL, 0);
    const char *state;
    if (outcome == WK_JOB_CANCELLED)
        state = s_cancelled (self, self->tasks, claim);
    else {
        state = s_report (claim, outcome, &job,
                          s_record (self, self->tasks, claim, outcome, &job,
                                    next_name),
                          edge_mono_ms () - start);
        if (*next_name) {
            snprintf (next_type, next_type_size, "%s", job.next_type);
            edge_info ("task %s (%s) started the next step %s (%s)",
                       claim->name, claim->type, next_name, job.next_type);
        }
    }
    wk_metrics_task_ended (claim->type, state,
                           (double) (edge_mono_ms () - start) / 1000.0);
    wk_job_fini (&job);
    json_decref (params);
    return state;
}


//  Claim task and run it. Returns the end message's state.
static const char *
s_run (wk_slot_t *self,
       edge_redis_t *redis,
       const char *task,
       const char *type,
       edge_task_claim_t *claim_made, //  owner's claim (taken), or NULL
       char *next_name,
       char *next_type,
       size_t next_type_size)
{
    edge_task_claim_t claim;
    edge_err_t rc = EDGE_ERR_OK;
    if (claim_made) {
        claim = *claim_made;
        memset (claim_made, 0, sizeof *claim_made);
    }
    else
        rc = edge_task_claim (self->tasks, task, self->worker_id,
                              self->lease_ms, &claim);
    if (rc == EDGE_ERR_GONE) {
        edge_debug ("task %s (%s) is not queued (taken or finished), "
                    "skipped",
                    task, type);
        return "skipped";
    }
    if (rc == EDGE_ERR_REDIS) {
        edge_warn ("task %s (%s) not claimed: Redis is unavailable (it stays "
                   "queued)",
                   task, type);
        return "skipped";
    }
    s_set_claimed (self, claim.name, claim.attempt);
    const char *state = s_execute (self, redis, &claim, next_name, next_type,
                                   next_type_size);
    edge_task_claim_fini (&claim);
    return state;
}


//  Wait for the next job; false when the slot stops. Takes ownership of
//  the handed-over strings into *task and *type.
static bool
s_take (wk_slot_t *self,
        char **task,
        char **type,
        edge_task_claim_t *claim,
        bool *has_claim)
{
    pthread_mutex_lock (&self->lock);
    while (!self->next_task && !self->is_stopping)
        pthread_cond_wait (&self->cond, &self->lock);
    bool has_job = self->next_task && !self->is_stopping;
    *task = self->next_task;
    *type = self->next_type;
    self->next_task = self->next_type = NULL;
    *claim = self->next_claim;
    *has_claim = self->has_next_claim;
    memset (&self->next_claim, 0, sizeof self->next_claim);
    self->has_next_claim = false;
    if (*has_claim && has_job) //  renewals cover it from now on
        s_set_claimed_locked (self, claim->name, claim->attempt);
    atomic_store (&self->cancel,
                  self->is_stopping ? S_CANCEL_SHUTDOWN : S_CANCEL_NONE);
    pthread_mutex_unlock (&self->lock);
    if (!has_job) {
        free (*task);
        free (*type);
        //  Shutdown before it ran: the owner's claim goes back (it was
        //  never started; the task is queued again)
        if (*has_claim)
            edge_task_release (self->tasks, claim->name, self->worker_id,
                               claim->attempt);
        edge_task_claim_fini (claim);
        *has_claim = false;
    }
    return has_job;
}


static void *
s_thread (void *arg)
{
    wk_slot_t *self = arg;
    edge_redis_t *redis =
        edge_redis_new (self->redis_url, self->redis_timeout_ms);
    zsock_t *push = zsock_new (ZMQ_PUSH);
    edge_assert (redis && push);
    zsock_set_linger (push, 0);
    zsock_set_sndtimeo (push, 1000); //  never hang if the owner is gone
    if (zsock_connect (push, "%s", self->done_endpoint))
        edge_error ("slot %d: cannot connect to %s", self->index,
                    self->done_endpoint);
    char *task, *type;
    edge_task_claim_t claim;
    bool has_claim;
    while (s_take (self, &task, &type, &claim, &has_claim)) {
        char next_name[EDGE_TASK_NAME_MAX] = "", next_type[32] = "";
        const char *state =
            s_run (self, redis, task, type, has_claim ? &claim : NULL,
                   next_name, next_type, sizeof next_type);
        edge_task_claim_fini (&claim); //  NULL-safe members: s_run took it
        char index[16];
        snprintf (index, sizeof index, "%d", self->index);
        //  The owner sends the next step's job to the broker at once
        if (zstr_sendx (push, index, state, next_name, next_type, NULL))
            edge_warn ("slot %d: cannot report the end of task %s", self->index,
                       task);
        free (task);
        free (type);
    }
    zsock_destroy (&push);
    edge_redis_destroy (&redis);
    return NULL;
}


wk_slot_t *
wk_slot_new (const wk_slot_opts_t *opts, int index)
{
    edge_assert (opts && opts->worker_id && opts->redis_url
                 && opts->done_endpoint && opts->tasks);
    wk_slot_t *self = edge_calloc (1, sizeof *self);
    self->index = index;
    self->worker_id = edge_strdup (opts->worker_id);
    self->redis_url = edge_strdup (opts->redis_url);
    self->redis_timeout_ms = opts->redis_timeout_ms;
    self->lease_ms = opts->lease_ms;
    self->done_endpoint = edge_strdup (opts->done_endpoint);
    self->env = opts->env;
    self->tasks = opts->tasks;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->cond, NULL);
    atomic_init (&self->cancel, S_CANCEL_NONE);
    int rc = pthread_create (&self->thread, NULL, s_thread, self);
    edge_assert (rc == 0);
    return self;
}


void
wk_slot_destroy (wk_slot_t **self_p)
{
    edge_assert (self_p);
    wk_slot_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->is_stopping = true;
    atomic_store (&self->cancel, S_CANCEL_SHUTDOWN);
    pthread_cond_signal (&self->cond);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    pthread_cond_destroy (&self->cond);
    pthread_mutex_destroy (&self->lock);
    free (self->next_task);
    free (self->next_type);
    edge_task_claim_fini (&self->next_claim);
    free (self->claimed);
    free (self->task);
    free (self->done_endpoint);
    free (self->redis_url);
    free (self->worker_id);
    free (self);
    *self_p = NULL;
}


bool
wk_slot_is_busy (const wk_slot_t *self)
{
    edge_assert (self);
    return self->task != NULL;
}


const char *
wk_slot_task (const wk_slot_t *self)
{
    edge_assert (self);
    return self->task;
}


void
wk_slot_start (wk_slot_t *self, const char *task, const char *type)
{
    edge_assert (self && task && type && !self->task);
    self->task = edge_strdup (task);
    pthread_mutex_lock (&self->lock);
    self->next_task = edge_strdup (task);
    self->next_type = edge_strdup (type);
    pthread_cond_signal (&self->cond);
    pthread_mutex_unlock (&self->lock);
}


void
wk_slot_start_claimed (wk_slot_t *self, edge_task_claim_t *claim)
{
    edge_assert (self && claim && claim->name && !self->task);
    self->task = edge_strdup (claim->name);
    pthread_mutex_lock (&self->lock);
    self->next_task = edge_strdup (claim->name);
    self->next_type = edge_strdup (claim->type);
    self->next_claim = *claim;
    self->has_next_claim = true;
    memset (claim, 0, sizeof *claim);
    pthread_cond_signal (&self->cond);
    pthread_mutex_unlock (&self->lock);
}


void
wk_slot_done (wk_slot_t *self)
{
    edge_assert (self);
    free (self->task);
    self->task = NULL;
}


//  Copy the claimed task's name and attempt; false when none.
static bool
s_get_claimed (wk_slot_t *self, char *name, size_t size, int *attempt)
{
    pthread_mutex_lock (&self->lock);
    bool has_claim = self->claimed != NULL;
    if (has_claim) {
        snprintf (name, size, "%s", self->claimed);
        *attempt = self->claimed_attempt;
    }
    pthread_mutex_unlock (&self->lock);
    return has_claim;
}


edge_err_t
wk_slot_renew (wk_slot_t *self, edge_redis_t *redis, int64_t lease_ms)
{
    edge_assert (self && redis);
    char name[EDGE_TASK_NAME_MAX * 4];
    int attempt;
    if (!s_get_claimed (self, name, sizeof name, &attempt))
        return EDGE_ERR_OK;
    edge_err_t rc =
        edge_task_renew (redis, name, self->worker_id, attempt, lease_ms);
    if (rc != EDGE_ERR_GONE)
        return rc;
    //  Cancel only if the slot still runs that very claim
    pthread_mutex_lock (&self->lock);
    if (self->claimed && strcmp (self->claimed, name) == 0
        && self->claimed_attempt == attempt)
        atomic_store (&self->cancel, S_CANCEL_LOST); //  the slot logs it
    pthread_mutex_unlock (&self->lock);
    return rc;
}


bool
wk_slot_release (wk_slot_t *self, edge_redis_t *redis)
{
    edge_assert (self && redis);
    char name[EDGE_TASK_NAME_MAX * 4];
    int attempt = 0;
    pthread_mutex_lock (&self->lock);
    self->is_stopping = true;
    bool has_claim = self->claimed != NULL;
    if (has_claim) {
        snprintf (name, sizeof name, "%s", self->claimed);
        attempt = self->claimed_attempt;
        self->is_released_by_owner = true;
    }
    atomic_store (&self->cancel, S_CANCEL_SHUTDOWN);
    pthread_cond_signal (&self->cond);
    pthread_mutex_unlock (&self->lock);
    if (!has_claim
        || edge_task_release (redis, name, self->worker_id, attempt)
               != EDGE_ERR_OK)
        return false;
    edge_info ("task %s attempt %d released at shutdown", name, attempt);
    return true;
}
