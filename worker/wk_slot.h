/*  wk_slot - one task slot: a thread that claims a task, runs its handler
    (which gets the slot's own Redis connection), and records the outcome.
    Claims and outcomes go through the worker's shared connection (group
    commit: the slots' claims and results that meet go to Redis together).

    The worker's main thread owns the slot: it hands it a job
    (wk_slot_start), renews the lease of the task it runs (wk_slot_renew),
    and learns that the job ended from a message on its inproc PULL socket:
    two frames, the slot index and the outcome ("succeeded", "failed",
    "released" or "skipped"); it then calls wk_slot_done. A renewal that
    answers GONE cancels the handler; so does shutdown (wk_slot_release).  */
#ifndef WK_SLOT_H_INCLUDED
#define WK_SLOT_H_INCLUDED
#include "edge_task.h"
#include "wk_env.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *worker_id; //  owner written on claims
    const char *redis_url; //  for the slot's own connection (the handler's)
    int redis_timeout_ms;
    edge_redis_t *tasks; //  shared handle for claims and outcomes
                         //  (borrowed; outlives the slot)
    int64_t lease_ms;          //  lease taken at claim and each renewal
    const char *done_endpoint; //  inproc endpoint of the owner's PULL
    const wk_env_t *env; //  jobs' environment (borrowed; outlives the slot)
} wk_slot_opts_t;

typedef struct wk_slot wk_slot_t;

//  Start slot number index (copies opts' strings). Caller owns the result.
wk_slot_t *wk_slot_new (const wk_slot_opts_t *opts, int index);
//  Cancel any job, stop and join the thread, nullify; NULL-safe.
void wk_slot_destroy (wk_slot_t **self_p);
//  True from wk_slot_start until wk_slot_done.
bool wk_slot_is_busy (const wk_slot_t *self);
//  Name of the task handed to the slot, or NULL when idle. Borrowed: valid
//  until wk_slot_done.
const char *wk_slot_task (const wk_slot_t *self);
//  Hand an idle slot a task (copies task and type).
void wk_slot_start (wk_slot_t *self, const char *task, const char *type);
//  Hand an idle slot a task the owner claimed already (takes the claim's
//  contents, leaving it empty): the slot runs it without claiming.
void wk_slot_start_claimed (wk_slot_t *self, edge_task_claim_t *claim);
//  The owner received the slot's end message: the slot is idle again.
void wk_slot_done (wk_slot_t *self);
//  Renew the lease of the task the slot runs, if any (with the owner's
//  connection). GONE cancels the job. Returns the renewal's outcome, OK
//  when there was nothing to renew.
edge_err_t
wk_slot_renew (wk_slot_t *self, edge_redis_t *redis, int64_t lease_ms);
//  Shutdown: cancel the job, take no other, and give its task back to the
//  queue (with the owner's connection). Returns true when a task was
//  released.
bool wk_slot_release (wk_slot_t *self, edge_redis_t *redis);
#endif
