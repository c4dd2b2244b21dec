/*  wk_hello - the hello task handler.  */
#include "wk_hello.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <stdlib.h>

#define S_TEXT(x)  #x
#define S_XTEXT(x) S_TEXT (x) //  the text of a macro's value

static const wk_task_param_t s_params[] = {
    {{"message", EDGE_JSON_STRING, true, 0, 0, false},
     "hello task: \"message\" must be a string"},
    {{"maintenance", EDGE_JSON_BOOL, false, 0, 0, false},
     "hello task: \"maintenance\" must be a bool"},
    {{"sleepMs", EDGE_JSON_INT, false, 0, WK_HELLO_SLEEP_MAX_MS, false},
     "hello task: \"sleepMs\" must be an integer from 0 to " S_XTEXT (
         WK_HELLO_SLEEP_MAX_MS)},
    {{"fail", EDGE_JSON_BOOL, false, 0, 0, false},
     "hello task: \"fail\" must be a bool"},
};


static wk_job_rc_t
s_run (wk_job_t *job)
{
    edge_assert (job && job->params);
    const json_t *params = job->params;
    json_t *sleep_ms = json_object_get (params, "sleepMs");
    if (sleep_ms && !wk_job_sleep (job, json_integer_value (sleep_ms)))
        return WK_JOB_CANCELLED;
    if (wk_job_is_cancelled (job))
        return WK_JOB_CANCELLED;
    if (edge_json_bool (params, "fail", false))
        return wk_job_fail (job, "hello task asked to fail");

    json_t *result = json_object ();
    json_object_set_new (
        result, "reply",
        json_sprintf ("Hello, %s", edge_json_str (params, "message", "")));
    json_object_set_new (
        result, "maintenance",
        json_boolean (edge_json_bool (params, "maintenance", false)));
    json_object_set_new (result, "worker", json_string (job->worker));
    json_object_set_new (result, "version", json_string (EDGE_VERSION));
    job->result = json_dumps (result, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (result);
    return job->result ? WK_JOB_DONE
                       : wk_job_fail (job, "hello task: cannot encode result");
}


//  A hello that does not sleep is instant.
static bool
s_is_instant (const json_t *params)
{
    json_t *sleep_ms = json_object_get (params, "sleepMs");
    return !sleep_ms || (json_is_integer (sleep_ms)
                         && json_integer_value (sleep_ms) == 0);
}


const wk_task_t wk_hello_task = {"hello", s_run, 0, s_params,
                                 EDGE_COUNT (s_params), s_is_instant};
