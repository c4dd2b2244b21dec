/*  wk_hello - the hello task handler.  */
#include "wk_hello.h"
#include "edge_assert.h"
#include <stdlib.h>


wk_job_rc_t
wk_hello_run (wk_job_t *job)
{
    edge_assert (job && job->params);
    json_t *message = json_object_get (job->params, "message");
    json_t *maintenance = json_object_get (job->params, "maintenance");
    json_t *sleep_ms = json_object_get (job->params, "sleepMs");
    json_t *fail = json_object_get (job->params, "fail");
    if (!json_is_string (message))
        return wk_job_fail (job, "hello task: \"message\" must be a string");
    if (maintenance && !json_is_boolean (maintenance))
        return wk_job_fail (job, "hello task: \"maintenance\" must be a bool");
    if (sleep_ms
        && (!json_is_integer (sleep_ms) || json_integer_value (sleep_ms) < 0
            || json_integer_value (sleep_ms) > WK_HELLO_SLEEP_MAX_MS))
        return wk_job_fail (job,
                            "hello task: \"sleepMs\" must be an integer "
                            "from 0 to %d",
                            WK_HELLO_SLEEP_MAX_MS);
    if (fail && !json_is_boolean (fail))
        return wk_job_fail (job, "hello task: \"fail\" must be a bool");

    if (sleep_ms && !wk_job_sleep (job, json_integer_value (sleep_ms)))
        return WK_JOB_CANCELLED;
    if (wk_job_is_cancelled (job))
        return WK_JOB_CANCELLED;
    if (json_is_true (fail))
        return wk_job_fail (job, "hello task asked to fail");

    json_t *result = json_object ();
    json_object_set_new (
        result, "reply",
        json_sprintf ("Hello, %s", json_string_value (message)));
    json_object_set_new (result, "maintenance",
                         json_boolean (json_is_true (maintenance)));
    json_object_set_new (result, "worker", json_string (job->worker));
    json_object_set_new (result, "version", json_string (EDGE_VERSION));
    job->result = json_dumps (result, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (result);
    return job->result ? WK_JOB_DONE
                       : wk_job_fail (job, "hello task: cannot encode result");
}
