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


//  The message of the first parameter row params fails, or NULL. Each row
//  sees only its own member, so that members no row lists pass.
static const char *
s_bad_param (const wk_task_t *task, const json_t *params)
{
    for (size_t i = 0; i < task->nparams; i++) {
        const edge_json_field_t *field = &task->params[i].field;
        json_t *one = json_object ();
        json_t *value = json_object_get (params, field->name);
        if (value)
            json_object_set (one, field->name, value);
        int rc = edge_json_check (one, field, 1, NULL);
        json_decref (one);
        if (rc != 0)
            return task->params[i].message;
    }
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
