/*  wk_job - what a task handler gets and gives back, and the helpers
    handlers share (the table of task types is wk_task's).

    A handler runs on a slot thread. It reads the job's inputs (borrowed for
    the call), checks wk_job_is_cancelled often enough to stop within a
    fraction of a second, and fills exactly one outcome: result on
    WK_JOB_DONE, message (and optionally exception / error) on
    WK_JOB_FAILED, nothing on WK_JOB_CANCELLED.  */
#ifndef WK_JOB_H_INCLUDED
#define WK_JOB_H_INCLUDED
#include "edge_redis.h"
#include "wk_env.h"
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    WK_JOB_DONE,     //  succeeded: result is set
    WK_JOB_FAILED,   //  failed for good: message is set
    WK_JOB_CANCELLED //  stopped because the job was cancelled
} wk_job_rc_t;

typedef struct {
    //  Inputs, borrowed for the handler call
    const char *worker;       //  worker id
    const char *name;         //  task name
    const char *type;         //  task type
    const char *org;          //  organization, "" for admin tasks
    const json_t *params;     //  the task's parameters (an object)
    int attempt;              //  fencing token for edge_task_progress
    edge_redis_t *redis;      //  the slot's connection (progress)
    const atomic_int *cancel; //  non-zero once the job must stop
    const wk_env_t *env;      //  what handlers share, or NULL (none)
    //  Outcome, owned by the job (freed by wk_job_fini)
    char *result;    //  JSON object text (WK_JOB_DONE)
    char *message;   //  why it failed (WK_JOB_FAILED)
    char *exception; //  optional JSON object text (webhook shape)
    char *error;     //  optional JSON object text (webhook shape)
    //  Optional on WK_JOB_DONE: the pipeline's next task, created queued
    //  in the same script as this task's success (edge_task_succeed_next)
    char *next_type;   //  task type, or NULL for none
    char *next_params; //  compact JSON object text, or NULL
    char *next_dxf;    //  dxfName of the next task, or NULL (inherited)
} wk_job_t;

typedef wk_job_rc_t (wk_job_fn) (wk_job_t *job);

//  True once the job must stop (lease lost or shutdown).
bool wk_job_is_cancelled (const wk_job_t *job);
//  Sleep ms milliseconds, waking early when cancelled. Returns true when
//  the whole time passed, false when cancelled.
bool wk_job_sleep (const wk_job_t *job, int64_t ms);
//  Set the failure message (printf format). Returns WK_JOB_FAILED.
wk_job_rc_t wk_job_fail (wk_job_t *job, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
//  Free the outcome strings.
void wk_job_fini (wk_job_t *job);
#endif
