/*  wk_deploy - the deploy task: publish a DxF image and its patches from
    the internal depot to the app's deployments (origins).

    params {"appName", "buildId" (1..9999), "dxfName", "patches":
    [{"fromBuildId": 1..9999}]}; the org is the claim's. The depot
    (EDGE_STORE, a file:// store) holds the image under
    dxf/<org>/<app>/<buildId>/<dxfName>/ (manifest.json and segments) and
    each patch under pat/<org>/<app>/<buildId>/<fromBuildId>/, build ids
    zero-padded to 4 digits: the origin layout of design §7. Every file is
    copied key for key to <originPrefix>/<same key> on each deployment.

    Deployments: the app hash's "deployments" (JSON array of names; absent
    or [] = every deployment in e:{O}:deployments). Each is opened as an
    edge_store from its hash (kind fs: path; s3: endpoint, region, bucket,
    accessKeyId, secretAccessKey). Copies are idempotent: an object already
    present with the same size is skipped, any other is overwritten; each
    object is tried up to WK_DEPLOY_TRIES times. Segments go first and every
    manifest.json last (the image's very last), so that a reader never sees
    a manifest whose segments are missing. A deployment stops at its first
    object that fails for good; the others still run.

    Each deployment's hash gets status "ok"|"error" and a message (only if
    the hash still exists). Success records {"dxfName","deployments":[the
    names]} and clears the app's lock (locked "0", no error). When any
    deployment failed the task fails with error {"deployment":
    {"failedDeployments":[...],"succeededDeployments":[...]}} and the app
    hash gets locked "1" and error = that JSON (design §4). A missing image
    or patch in the depot or bad params fail the task without locking the
    app (no deployment is to blame).  */
#ifndef WK_DEPLOY_H_INCLUDED
#define WK_DEPLOY_H_INCLUDED
#include "wk_job.h"

#define WK_DEPLOY_TRIES 3

//  Process-wide settings. Borrowed: wk_deploy_setup copies them.
typedef struct {
    const char *store_url; //  EDGE_STORE: file:///path (the depot)
    int64_t retry_ms;      //  pause before the 2nd try (doubles); 0: 200
} wk_deploy_opts_t;

//  Test hook: called after each object is written to a deployment (not
//  for skipped ones), on the slot thread. key is the origin key.
typedef void (wk_deploy_hook_fn) (const char *deployment,
                                  const char *key,
                                  void *arg);

//  Set the settings (replacing earlier ones). Call before any slot runs a
//  job, from one thread. A depot that is not file:// is accepted here but
//  its jobs fail with a clear message (as dltar's do).
void wk_deploy_setup (const wk_deploy_opts_t *opts);
//  Forget the settings and the hook; jobs run after this fail clearly.
void wk_deploy_cleanup (void);
//  Tests only: set (or with NULL clear) the write hook. Same rules as
//  wk_deploy_setup.
void wk_deploy_set_hook (wk_deploy_hook_fn *fn, void *arg);
//  Run a deploy job (a wk_job_fn).
wk_job_rc_t wk_deploy_run (wk_job_t *job);
#endif
