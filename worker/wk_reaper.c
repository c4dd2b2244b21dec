/*  wk_reaper - lock, edge_task_reap, and JOBs to the broker frontend.  */
#include "wk_reaper.h"
#include "edge_assert.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_task.h"
#include "edge_util.h"
#include "proto_job.h"
#include "wk_gc.h"
#include "wk_lua.h"
#include <stdlib.h>

struct wk_reaper {
    char *worker_id;     //  lock value: who holds the duty
    int64_t interval_ms; //  pass period and lock lifetime
    int max_attempts;    //  attempts before an orphaned task fails
    int64_t resend_ms;   //  re-send queued tasks older than this
    int64_t due_ms;      //  monotonic time of the next pass
    const wk_env_t *env; //  garbage collection's depot (borrowed)
};


wk_reaper_t *
wk_reaper_new (const char *worker_id,
               int64_t interval_ms,
               int max_attempts,
               int64_t resend_ms,
               const wk_env_t *env)
{
    edge_assert (worker_id && interval_ms > 0 && max_attempts > 0);
    wk_reaper_t *self = edge_calloc (1, sizeof *self);
    self->worker_id = edge_strdup (worker_id);
    self->interval_ms = interval_ms;
    self->max_attempts = max_attempts;
    self->resend_ms = resend_ms;
    self->due_ms = edge_mono_ms ();
    self->env = env;
    return self;
}


void
wk_reaper_destroy (wk_reaper_t **self_p)
{
    edge_assert (self_p);
    wk_reaper_t *self = *self_p;
    if (!self)
        return;
    free (self->worker_id);
    free (self);
    *self_p = NULL;
}


int64_t
wk_reaper_due_ms (const wk_reaper_t *self)
{
    edge_assert (self);
    return self->due_ms;
}


//  Take the reaper lock, or keep it when we already hold it
//  (worker/lua/reaper_lock.lua): 1 when we hold it, 0 when another worker
//  does, -1 on Redis failure.
static int
s_lock_duty (wk_reaper_t *self, edge_redis_t *redis)
{
    char px[24];
    snprintf (px, sizeof px, "%lld", (long long) self->interval_ms);
    const char *keys[] = {EDGE_KEY_REAPER_LOCK};
    const char *args[] = {self->worker_id, px};
    redisReply *reply =
        edge_redis_eval (redis, &wk_lua_reaper_lock, 1, keys, 2, args);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1 ? 1 : 0;
    else if (reply)
        edge_warn ("reaper: lock failed: %s", reply->type == REDIS_REPLY_ERROR
                                                  ? reply->str
                                                  : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


//  Send one JOB without blocking. Returns 0, or -1.
static int
s_send_job (zsock_t *frontend, const char *name, const char *type)
{
    proto_job_t *job = proto_job_new (name, type);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_job_encode (job, &buf);
    int rc =
        zmq_send (zsock_resolve (frontend), buf.data, buf.size, ZMQ_DONTWAIT);
    msgpack_sbuffer_destroy (&buf);
    proto_job_destroy (&job);
    return rc < 0 ? -1 : 0;
}


int
wk_reaper_tick (wk_reaper_t *self,
                edge_redis_t *redis,
                zsock_t *frontend,
                int64_t mono_ms)
{
    edge_assert (self && redis && frontend);
    if (mono_ms < self->due_ms)
        return 0;
    self->due_ms = mono_ms + self->interval_ms;
    int held = s_lock_duty (self, redis);
    if (held <= 0)
        return held;
    edge_task_list_t resend;
    if (edge_task_reap (redis, edge_now_ms (), self->max_attempts,
                        self->resend_ms, WK_REAPER_BATCH_MAX, &resend))
        return -1;
    int sent = 0;
    for (size_t i = 0; i < resend.count; i++)
        if (s_send_job (frontend, resend.names[i], resend.types[i]) == 0)
            sent++;
    if (sent < (int) resend.count)
        edge_warn ("reaper: broker frontend not reachable, %zu of %zu tasks "
                   "not re-sent (a later pass retries)",
                   resend.count - (size_t) sent, resend.count);
    if (sent > 0)
        edge_info ("reaper: re-sent %d tasks to the broker", sent);
    edge_task_list_fini (&resend);
    //  Still under the lock: garbage collection, bounded so that the
    //  worker's loop (heartbeats) is not held up
    int64_t budget = self->interval_ms / 2;
    if (budget > WK_REAPER_GC_BUDGET_MS)
        budget = WK_REAPER_GC_BUDGET_MS;
    wk_gc_pass (redis, self->env, edge_now_ms (), budget > 0 ? budget : 1, 0,
                NULL);
    return sent;
}
