/*  wk_worker - the worker's main loop: a DEALER to the broker backend
    (routing id = worker id) for jobs, READY, HEARTBEAT and DONE; a DEALER
    to the broker frontend for the reaper's re-sends; an inproc PULL for
    slot completions. Runs EDGE_WORKER_CAPACITY slots, renews their leases,
    keeps a small backlog of jobs that arrived while every slot was busy,
    and runs the reaper duty. Single-threaded: every call from the thread
    that created it.  */
#ifndef WK_WORKER_H_INCLUDED
#define WK_WORKER_H_INCLUDED
#include "wk_config.h"
#include "wk_env.h"
#include <stddef.h>

//  Jobs kept while every slot is busy; more are dropped (they stay queued
//  in Redis and the reaper re-sends them).
#define WK_WORKER_BACKLOG_MAX 16

typedef struct wk_worker wk_worker_t;

//  Start slots, connect the sockets and send READY. config and env (the
//  jobs' and the reaper's environment, may be NULL) are borrowed and must
//  outlive the worker. Returns NULL when a socket cannot be set up
//  (exit 1). Redis being down is not an error. Caller owns the result.
wk_worker_t *wk_worker_new (const wk_config_t *config, const wk_env_t *env);
//  Shut down: tell the broker we take nothing more, cancel running jobs
//  and release their tasks to the queue, join the slots, close; nullify.
//  NULL-safe.
void wk_worker_destroy (wk_worker_t **self_p);
//  Wait at most timeout_ms for one event and handle it, then run whatever
//  timer is due (heartbeat, lease renewals, reaper). Returns 0, or -1 when
//  interrupted (zsys_interrupted).
int wk_worker_poll (wk_worker_t *self, int timeout_ms);
//  Idle slots not promised to backlog jobs (the free count we announce).
size_t wk_worker_free (const wk_worker_t *self);
#endif
