/*  wk_mkraw - the mkraw task: make the DxF image of an imported build and
    its patches from the app's kept builds, in the internal depot.

    params {"appName","buildName","tarKey","mode":"build"}; the org is the
    claim's. Build mode:
    1. reads the tar at depot key tarKey (builds/<org>/<appName>/...);
    2. takes the task's buildId once (task hash field buildId, else INCR
       of e:{org}:app:<app>:buildids, which deleting the app keeps), so
       that every attempt of a task uses the same id; fails when the app
       hash no longer exists;
    3. builds the image (wk_image) into the staging directory
       dxf/<org>/<app>/<bid4>/.tmp-<task>/, then renames it to
       dxf/<org>/<app>/<bid4>/<dxfName>/ (an existing one, left by an
       earlier attempt, is replaced: it is the same image by construction);
    4. for each of the newest maxBuilds-1 entries of the app's "builds"
       (by buildId, this build left out) builds the patch from its image
       into pat/<org>/<app>/<bid4>/<from4>/, staged the same way; a kept
       build whose image is not in the depot is skipped with a warning.
    Build ids are zero-padded to 4 digits (1..9999). Staging directories of
    an earlier attempt are removed first, so a rerun of a task whose worker
    died gives the same image. The app hash's "processing" is "1" while the
    task runs and "0" at its end (best effort).

    Progress {doneBytes,totalBytes} counts tar bytes: 0 before the image,
    the whole tar after it (wk_image does not report bytes read).
    Cancellation stops the image build within a chunk (watched every
    S_WATCH_MS) and is checked between patches.

    Tar problems (not a plain tar, truncated or corrupt, unsafe path) fail
    the task with exception {"fileReadFailed":{"filename" (the tarKey),
    "typeExpected":"tar","typeDetected"}} and wk_image's message. Success
    records {"buildId","buildName","dxfName","sizeBytes" (all files of the
    image),"rawBytes","chunks","patches":[{"fromBuildId","sizeBytes"}],
    "buildChanged":true} and asks for the next task "deploy" with params
    {"appName","buildId","buildName","dxfName","sizeBytes","patches",
    "mode":"build"} and dxfName as its dxfName.

    Traces mode ("mode":"traces") lives in wk_mkraw_traces; the mkraw task
    hands the job over, and shares the helpers below.  */
#ifndef WK_MKRAW_H_INCLUDED
#define WK_MKRAW_H_INCLUDED
#include "wk_task.h"
#include <stdint.h>

//  The mkraw task type (wk_task): needs the depot and Redis; the segment
//  limit of images and patches is the job's env segment_max.
extern const wk_task_t wk_mkraw_task;

//  Record the job's progress {doneBytes: done, totalBytes: total} (best
//  effort: a lost lease shows up at the end); nothing without a Redis
//  connection or a worker.
void wk_mkraw_progress (wk_job_t *job, uint64_t done, uint64_t total);
//  Ask for the next task "deploy" of image dxf with params {"appName",
//  "buildId","buildName","dxfName","sizeBytes","patches" (borrowed),
//  "mode", "previousDxfName" (when previous_dxf is not NULL: the image a
//  reorder replaces)} and dxf as its dxfName.
void wk_mkraw_next_deploy (wk_job_t *job,
                           const char *app,
                           int build_id,
                           const char *build_name,
                           const char *dxf,
                           uint64_t size_bytes,
                           json_t *patches,
                           const char *mode,
                           const char *previous_dxf);
#endif
