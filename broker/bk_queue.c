/*  bk_queue - a FIFO of proto_job_t (a zlistx that owns the jobs) plus a
    set of the task names waiting in it (a zhashx of borrowed jobs).  */
#include "bk_queue.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <czmq.h>

struct bk_queue {
    zlistx_t *jobs;    //  proto_job_t *, front = next to dispatch; owned
    zhashx_t *waiting; //  task name -> its job in jobs (borrowed)
    size_t max;        //  push refuses beyond this
};


static void
s_job_destroy (void **item)
{
    proto_job_destroy ((proto_job_t **) item);
}


bk_queue_t *
bk_queue_new (size_t max)
{
    edge_assert (max >= 1);
    bk_queue_t *self = edge_calloc (1, sizeof *self);
    self->jobs = zlistx_new ();
    self->waiting = zhashx_new ();
    edge_assert (self->jobs && self->waiting);
    zlistx_set_destructor (self->jobs, s_job_destroy);
    self->max = max;
    return self;
}


void
bk_queue_destroy (bk_queue_t **self_p)
{
    edge_assert (self_p);
    bk_queue_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->waiting);
    zlistx_destroy (&self->jobs);
    free (self);
    *self_p = NULL;
}


bk_queue_result_t
bk_queue_push (bk_queue_t *self, proto_job_t **job_p)
{
    edge_assert (self && job_p && *job_p);
    proto_job_t *job = *job_p;
    if (zhashx_lookup (self->waiting, job->task))
        return BK_QUEUE_DUPLICATE;
    if (zlistx_size (self->jobs) >= self->max)
        return BK_QUEUE_FULL;
    zlistx_add_end (self->jobs, job);
    zhashx_insert (self->waiting, job->task, job);
    *job_p = NULL;
    return BK_QUEUE_ADDED;
}


bk_queue_result_t
bk_queue_push_front (bk_queue_t *self, proto_job_t **job_p)
{
    edge_assert (self && job_p && *job_p);
    proto_job_t *job = *job_p;
    *job_p = NULL;
    if (zhashx_lookup (self->waiting, job->task)) {
        proto_job_destroy (&job);
        return BK_QUEUE_DUPLICATE;
    }
    zlistx_add_start (self->jobs, job);
    zhashx_insert (self->waiting, job->task, job);
    return BK_QUEUE_ADDED;
}


proto_job_t *
bk_queue_pop (bk_queue_t *self)
{
    edge_assert (self);
    proto_job_t *job = zlistx_first (self->jobs);
    if (!job)
        return NULL;
    zhashx_delete (self->waiting, job->task);
    zlistx_detach_cur (self->jobs); //  detach: the caller owns it now
    return job;
}


size_t
bk_queue_size (const bk_queue_t *self)
{
    edge_assert (self);
    return zlistx_size (self->jobs);
}


bool
bk_queue_contains (const bk_queue_t *self, const char *task)
{
    edge_assert (self && task);
    return zhashx_lookup (self->waiting, task) != NULL;
}
