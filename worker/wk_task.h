/*  wk_task - the task types as data, and the job runner.

    Each task type is one row (wk_task_t, defined by its handler's module
    beside the code that reads the parameters): its name, what it needs
    before it can run (Redis, the depot), its parameters as
    edge_json_field_t rows with the message a job fails with when one of
    them is bad, and its run function. wk_task_run checks all of that in
    one place, in this order, then calls the run function, which is left
    with the checks a field row cannot say (one parameter against another,
    against the task's org, or against the store).

    Members of params that no row lists are left alone (the run function
    may read them): a row is a check, not a schema.  */
#ifndef WK_TASK_H_INCLUDED
#define WK_TASK_H_INCLUDED
#include "edge_json.h"
#include "wk_job.h"
#include <stddef.h>

//  What a task needs (wk_task_t.needs), checked in this order. The
//  messages name the task type, e.g. "deploy: no Redis connection".
#define WK_TASK_DEPOT 1u //  a file:// or S3 depot in job->env
#define WK_TASK_REDIS 2u //  job->redis, the slot's connection

//  One parameter: its check, and the job's message when it fails it.
typedef struct {
    edge_json_field_t field;
    const char *message;
} wk_task_param_t;

//  One task type.
typedef struct {
    const char *type;              //  "hello", "dltar", ...
    wk_job_fn *run;                //  runs a job whose checks passed
    unsigned needs;                //  WK_TASK_* bits
    const wk_task_param_t *params; //  checked in this order
    size_t nparams;
    //  True when a job with these params finishes at once (no I/O, no
    //  Redis, no wait, no next step): the worker's main thread then runs
    //  it itself, claims and records such jobs in batches, and no slot
    //  thread is woken. NULL: never.
    bool (*is_instant) (const json_t *params);
} wk_task_t;

//  The row of a task type, or NULL when the type is unknown (or NULL).
//  Static.
const wk_task_t *wk_task_find (const char *type);
//  The index-th task type, or NULL past the end of the table. Static.
const char *wk_task_type (size_t index);
//  True when type's row says a job with params is instant.
bool wk_task_is_instant (const char *type, const json_t *params);
//  True when type's row has an is_instant test at all.
bool wk_task_may_be_instant (const char *type);
//  Run job: find its type's row, check that params is an object, the
//  needs and each parameter row, then run it. Returns the outcome; a
//  failed check fails the job with its message ("unknown task type 'x'",
//  "task parameters are not a JSON object", the need's or the row's).
wk_job_rc_t wk_task_run (wk_job_t *job);
#endif
