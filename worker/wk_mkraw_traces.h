/*  wk_mkraw_traces - the mkraw task's traces mode (issue #6): judge the
    app's current image against a load order fitted on its build's traces,
    and write a reordered image when that is worth it.

    params {"appName","mode":"traces","buildId","dxfName"} (the build and
    image current when POST /be/v1/trigger ran); the org is the claim's.
    1. the app's iCurBuild and dxfName must still be params' (else the task
       fails: the build changed since the trigger); the app hash's
       "processing" is "1" while the task runs;
    2. settings from e:{O}:training:<app>: nTracesReliable (10),
       bandwidthBps (100000000), percentile (90, rounded to an integer),
       improvementThreshold (0.05);
    3. the image's manifest dxf/<org>/<app>/<bid4>/<dxf>/manifest.json is
       loaded; the traces of e:{O}:app:<app>:traces whose record
       (…:trace:<id>) has this buildId are read one at a time from their
       depot key (traces/<org>/<app>/…) and mapped (wk_trace); a trace
       that cannot be read or mapped, or whose file names another trace,
       is skipped with a warning and counted. Progress {doneBytes,
       totalBytes} counts traces (read / the build's trace count);
       cancellation is checked before each trace;
    4. fewer than max (2, nTracesReliable) usable traces fail the task;
    5. k-fold cross-validation (wk_profile_evaluate) of the image's load
       order against fitted orders at bandwidthBps. The image is changed
       when wk_profile_is_better by improvementThreshold and the order
       fitted on all traces differs from the image's (so a second run on
       the same traces never changes it again: the evaluation depends on
       the traces and settings only);
    6. changed: wk_reorder_build writes the new image, staged, into
       dxf/<org>/<app>/<bid4>/<newDxf>/ (with the preload table of the
       fitted order and the profile), and the patches from the app's kept
       builds are rebuilt for it (wk_mkraw_patches).
    At the end, in one script: the app must still have this build and
    image (else the task fails); the training hash gets lastProcessed
    (RFC 3339), lastTaskName, tracesUsed, tracesSkipped, before, after
    (JSON text {preloadBytes, preloadShare, quality, expectedTimeToPlayMs})
    and buildChanged ("true"/"false"); processingTask and processingUntil
    are removed when processingTask names this task (also when it fails,
    best effort; not when cancelled: the task runs again), so that a new
    trigger is accepted. triggerBuildId and tracesAtTrigger stay: they
    are the base of autoProcessEvery.

    Result {"buildChanged","dxfName" (the new image, or the current one),
    "previousDxfName" (when changed),"buildId","buildName","traces",
    "tracesSkipped","before","after","bandwidthBps","percentile","reason",
    and when changed "sizeBytes","patches":[{"fromBuildId","sizeBytes"}]}.
    Only when changed, the next task is "deploy" with params {"appName",
    "buildId","buildName","dxfName","sizeBytes","patches","mode":"reorder"}
    and the new dxfName.  */
#ifndef WK_MKRAW_TRACES_H_INCLUDED
#define WK_MKRAW_TRACES_H_INCLUDED
#include "wk_job.h"

//  Run a mkraw job in traces mode. Called by the mkraw task once the
//  depot (job->env) and job->redis are known to be there.
wk_job_rc_t wk_mkraw_traces_run (wk_job_t *job);
#endif
