/*  wk_reaper - the reaper duty: every interval, under a short Redis lock
    so that one worker at a time does it, re-queue tasks whose lease expired
    (failing them after max attempts) and re-send queued tasks nobody
    claimed, as JOBs to the broker frontend; then a garbage collection
    pass (wk_gc: old published files, uploads never committed) of at most
    min(interval / 2, WK_REAPER_GC_BUDGET_MS).  */
#ifndef WK_REAPER_H_INCLUDED
#define WK_REAPER_H_INCLUDED
#include "edge_keys.h"
#include "edge_redis.h"
#include "wk_env.h"
#include <czmq.h>
#include <stdint.h>

#define WK_REAPER_BATCH_MAX    1000
#define WK_REAPER_GC_BUDGET_MS 1000

typedef struct wk_reaper wk_reaper_t;

//  A reaper for worker_id (copied); its garbage collection uses the depot
//  of env (borrowed, must outlive the reaper; NULL: no depot). The first
//  pass is due at once. Caller owns the result.
wk_reaper_t *wk_reaper_new (const char *worker_id,
                            int64_t interval_ms,
                            int max_attempts,
                            int64_t resend_ms,
                            const wk_env_t *env);
void wk_reaper_destroy (wk_reaper_t **self_p);
//  Monotonic time (edge_mono_ms) at which the next pass is due.
int64_t wk_reaper_due_ms (const wk_reaper_t *self);
//  Run a pass if one is due at mono_ms: take the lock, reap, send a JOB
//  for every listed task on frontend (a DEALER; never blocks). Returns the
//  number of JOBs sent, 0 when not due or another worker holds the lock,
//  or -1 when Redis failed (the next pass retries).
int wk_reaper_tick (wk_reaper_t *self,
                    edge_redis_t *redis,
                    zsock_t *frontend,
                    int64_t mono_ms);
#endif
