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

    Traces mode ("mode":"traces") lives in wk_mkraw_traces; wk_mkraw_run
    checks the settings and the connection, then hands the job over. It
    shares the depot settings and the patch builder below.  */
#ifndef WK_MKRAW_H_INCLUDED
#define WK_MKRAW_H_INCLUDED
#include "wk_job.h"
#include <stdint.h>

//  Process-wide settings. Borrowed: wk_mkraw_setup copies them.
typedef struct {
    const char *store_url; //  EDGE_STORE: file:///path (the depot)
    uint64_t segment_max;  //  image and patch segments; 0: 64 MiB
} wk_mkraw_opts_t;

//  Set the settings (replacing earlier ones). Call before any slot runs a
//  job, from one thread. A depot that is not file:// is accepted here but
//  its jobs fail with a clear message (as deploy's do).
void wk_mkraw_setup (const wk_mkraw_opts_t *opts);
//  Forget the settings; jobs run after this fail with a clear message.
void wk_mkraw_cleanup (void);
//  Run a mkraw job (a wk_job_fn).
wk_job_rc_t wk_mkraw_run (wk_job_t *job);

//  The depot directory (the file:// store's path), or NULL before setup or
//  when the store is not file://. Borrowed: valid until the next
//  wk_mkraw_setup or wk_mkraw_cleanup.
const char *wk_mkraw_depot (void);
//  The local directory that holds the depot's files for job: the file://
//  depot itself, or (S3 depot) the task's private copy root. NULL when no
//  depot is set up. Caller owns the result; release with
//  wk_depot_release.
char *wk_mkraw_local_root (const wk_job_t *job);
//  Segment limit for images and patches (0: the default).
uint64_t wk_mkraw_segment_max (void);
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
//  Build the patches to the image in image_dir (build build_id of app,
//  the job's org) from each of the newest maxBuilds-1 entries of the
//  app's "builds" (build_id left out), as build mode does: staged, into
//  pat/<org>/<app>/<bid4>/<from4>/, replacing what is there. Appends
//  {"fromBuildId","sizeBytes"} to patches (borrowed) for each one built;
//  checks cancellation between patches. Returns WK_JOB_DONE to go on, else
//  the job's outcome (its message set on WK_JOB_FAILED). Needs the depot.
wk_job_rc_t wk_mkraw_patches (wk_job_t *job,
                              const char *app,
                              int build_id,
                              const char *image_dir,
                              json_t *patches);
#endif
