/*  wk_task - the table of task types and the job runner; see wk_task.h. */
#include "wk_task.h"
#include "edge_assert.h"
#include "edge_util.h"
#include "wk_deploy.h"
#include "wk_depot.h"
#include "wk_dltar.h"
#include "wk_hello.h"
#include "wk_mkraw.h"
#include <string.h>

static const wk_task_t *const s_tasks[] = {
    &wk_hello_task,
    &wk_dltar_task,
    &wk_deploy_task,
    &wk_mkraw_task,
};


//  Fail job when it lacks what task needs. Returns 0, or -1 (failed).
static int
s_check_needs (const wk_task_t *task, wk_job_t *job)
{
    const char *type = task->type;
    if (task->needs & WK_TASK_DEPOT) {
        if (!wk_depot_is_set (job->env))
            return wk_job_fail (job, "%s: the worker has no depot settings",
                                type),
                   -1;
        if (!wk_depot_fs_root (job->env) && !wk_depot_is_s3 (job->env))
            return wk_job_fail (job,
                                "%s: the depot must be a file:// store or "
                                "a set-up S3 depot",
                                type),
                   -1;
    }
    if ((task->needs & WK_TASK_REDIS) && !job->redis)
        return wk_job_fail (job, "%s: no Redis connection", type), -1;
    return 0;
}


//  The message of the first parameter row params fails, or NULL. Members
//  no row lists pass.
static const char *
s_bad_param (const wk_task_t *task, const json_t *params)
{
    for (size_t i = 0; i < task->nparams; i++)
        if (edge_json_check_field (params, &task->params[i].field, NULL))
            return task->params[i].message;
    return NULL;
}


const wk_task_t *
wk_task_find (const char *type)
{
    for (size_t i = 0; type && i < EDGE_COUNT (s_tasks); i++)
        if (strcmp (s_tasks[i]->type, type) == 0)
            return s_tasks[i];
    return NULL;
}


const char *
wk_task_type (size_t index)
{
    return index < EDGE_COUNT (s_tasks) ? s_tasks[index]->type : NULL;
}


bool
wk_task_may_be_instant (const char *type)
{
    const wk_task_t *task = wk_task_find (type);
    return task && task->is_instant;
}


bool
wk_task_is_instant (const char *type, const json_t *params)
{
    const wk_task_t *task = wk_task_find (type);
    return task && task->is_instant && json_is_object (params)
           && task->is_instant (params);
}


wk_job_rc_t
wk_task_run (wk_job_t *job)
{
    edge_assert (job);
    const wk_task_t *task = wk_task_find (job->type);
    if (!task)
        return wk_job_fail (job, "unknown task type '%s'",
                            job->type ? job->type : "");
    if (!json_is_object (job->params))
        return wk_job_fail (job, "task parameters are not a JSON object");
    if (s_check_needs (task, job) != 0)
        return WK_JOB_FAILED;
    const char *bad = s_bad_param (task, job->params);
    if (bad)
        return wk_job_fail (job, "%s", bad);
    return task->run (job);
}
