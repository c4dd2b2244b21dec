/*  wk_job - the helpers handlers share.  */
#include "wk_job.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_SLEEP_STEP_MS 20


bool
wk_job_is_cancelled (const wk_job_t *job)
{
    edge_assert (job);
    return job->cancel && atomic_load (job->cancel) != 0;
}


bool
wk_job_sleep (const wk_job_t *job, int64_t ms)
{
    int64_t deadline = edge_mono_ms () + ms;
    while (!wk_job_is_cancelled (job)) {
        int64_t left = deadline - edge_mono_ms ();
        if (left <= 0)
            return true;
        if (left > S_SLEEP_STEP_MS)
            left = S_SLEEP_STEP_MS;
        struct timespec ts = {0, (long) left * 1000000};
        nanosleep (&ts, NULL);
    }
    return false;
}


wk_job_rc_t
wk_job_fail (wk_job_t *job, const char *fmt, ...)
{
    edge_assert (job && fmt);
    va_list args;
    va_start (args, fmt);
    int len = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    edge_assert (len >= 0);
    free (job->message);
    job->message = edge_malloc ((size_t) len + 1);
    va_start (args, fmt);
    vsnprintf (job->message, (size_t) len + 1, fmt, args);
    va_end (args);
    return WK_JOB_FAILED;
}


void
wk_job_fini (wk_job_t *job)
{
    if (!job)
        return;
    free (job->result);
    free (job->message);
    free (job->exception);
    free (job->error);
    free (job->next_type);
    free (job->next_params);
    free (job->next_dxf);
    job->result = job->message = job->exception = job->error = NULL;
    job->next_type = job->next_params = job->next_dxf = NULL;
}
