/*  bk_queue - the broker's FIFO of jobs waiting for a worker: bounded, and
    deduplicated by task name (a task already waiting is not queued twice).
    The broker keeps no durable state: a job dropped here is still queued
    in Redis, and the reaper re-sends it.  */
#ifndef BK_QUEUE_H_INCLUDED
#define BK_QUEUE_H_INCLUDED
#include "proto_job.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct bk_queue bk_queue_t;

typedef enum {
    BK_QUEUE_ADDED,     //  queued; the queue owns the job now
    BK_QUEUE_DUPLICATE, //  a job with this task name is already waiting
    BK_QUEUE_FULL       //  max jobs are waiting
} bk_queue_result_t;

//  Create an empty queue holding at most max (>= 1) jobs. Caller owns the
//  result.
bk_queue_t *bk_queue_new (size_t max);
//  Destroy the queue and the jobs in it, and null the caller's reference;
//  NULL-safe.
void bk_queue_destroy (bk_queue_t **self_p);
//  Append *job_p at the back. On BK_QUEUE_ADDED takes ownership and nulls
//  *job_p; otherwise the caller still owns it.
bk_queue_result_t bk_queue_push (bk_queue_t *self, proto_job_t **job_p);
//  Put *job_p back at the front (its send failed), even when that makes
//  the queue hold more than max. Takes ownership and nulls *job_p; a job
//  whose task is already waiting is destroyed (BK_QUEUE_DUPLICATE).
bk_queue_result_t bk_queue_push_front (bk_queue_t *self, proto_job_t **job_p);
//  Remove the front job. Caller owns the result; NULL when empty.
proto_job_t *bk_queue_pop (bk_queue_t *self);
//  Number of jobs waiting.
size_t bk_queue_size (const bk_queue_t *self);
//  True when a job for task is waiting.
bool bk_queue_contains (const bk_queue_t *self, const char *task);
#endif
