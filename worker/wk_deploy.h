/*  wk_deploy - the deploy task: publish a DxF image and its patches from
    the internal depot to the app's deployments (origins), then record the
    new build in the app.

    params {"appName", "buildId" (1..9999), "buildName" (name), "dxfName",
    "sizeBytes" (>= 0), "patches": [{"fromBuildId": 1..9999, "sizeBytes"}],
    "mode": "build" (default) | "reorder"}; the org is the claim's. The
    depot (EDGE_STORE, a file:// store) holds the image under
    dxf/<org>/<app>/<buildId>/<dxfName>/ (manifest.json and segments) and
    each patch under pat/<org>/<app>/<buildId>/<fromBuildId>/, build ids
    zero-padded to 4 digits: the origin layout of architecture §7. Every file is
    copied key for key to <originPrefix>/<same key> on each deployment.

    Deployments: the app hash's "deployments" (JSON array of names; absent
    or [] = every deployment in e:{O}:deployments). Each is opened as an
    edge_store from its hash (kind fs: path; s3: endpoint, region, bucket,
    accessKeyId, secretAccessKey). Copies are idempotent: an object already
    present with the same size is skipped (in "reorder" mode pat/ objects
    are always overwritten: a rebuilt patch can keep its size), any other
    is overwritten; each object is tried up to WK_DEPLOY_TRIES times.
    Segments go first and every manifest.json last (the image's very last),
    so that a reader never sees a manifest whose segments are missing. A
    deployment stops at its first object that fails for good; the others
    still run.

    Each deployment's hash gets status "ok"|"error" and a message (only if
    the hash still exists). On success one Lua script clears the app's lock
    and records the build (pipeline contract): "builds" gets or replaces
    the entry {"buildId","buildName","dxfName","sizeBytes","created"} (a
    replaced entry keeps its "created"), "iCurBuild" = buildId, "dxfName",
    "patches" = [{"fromBuildId","toBuildId","sizeBytes"}] of this deploy
    (only from builds that are kept), "sizeBytes" = the sum over the kept
    builds, "updated"; the builds are rotated: this build and the newest
    maxBuilds-1 others (by buildId) are kept. Every prefix that stops being
    current is put on e:gc:due at now + gc_delay_ms as {"org","app",
    "prefixes"}: dxf/../<id>/ and pat/../<id>/ of rotated builds, the
    previous image of this build when its dxfName changed, and each earlier
    patch that is not one of this deploy's. The import entry
    e:{O}:app:<a>:imports[buildName] is removed. The result is {"dxfName",
    "buildId","buildName","buildChanged":true,"deployments":[the names]}.
    An app deleted meanwhile fails the task and schedules what this deploy
    published for deletion at once.

    When any deployment failed the task fails with error {"deployment":
    {"failedDeployments":[...],"succeededDeployments":[...]}} and the app
    hash gets locked "1" and error = that JSON (architecture §4). A missing image
    or patch in the depot or bad params fail the task without locking the
    app (no deployment is to blame).  */
#ifndef WK_DEPLOY_H_INCLUDED
#define WK_DEPLOY_H_INCLUDED
#include "edge_store.h"
#include "wk_job.h"
#include <stdbool.h>
#include <stddef.h>

#define WK_DEPLOY_TRIES       3
#define WK_DEPLOY_GC_DELAY_MS 86400000 //  EDGE_GC_DELAY_MS default

//  Process-wide settings. Borrowed: wk_deploy_setup copies them.
typedef struct {
    const char *store_url; //  EDGE_STORE: file:///path (the depot)
    int64_t retry_ms;      //  pause before the 2nd try (doubles); 0: 200
    int64_t gc_delay_ms;   //  EDGE_GC_DELAY_MS; 0: WK_DEPLOY_GC_DELAY_MS
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

//  Shared with wk_gc (same thread rules as a job):
//  A store over the depot (caller owns), or NULL (logged) when there are
//  no settings or the depot is not file://.
edge_store_t *wk_deploy_depot (void);
//  The names of the deployments the app of org publishes to: its
//  "deployments" list, or every deployment of the org when that is absent
//  or empty, or when the app does not exist. Returns a JSON array (caller
//  owns), or NULL when Redis failed.
json_t *
wk_deploy_targets (edge_redis_t *redis, const char *org, const char *app);
//  Open deployment name of org as a store (caller owns) and set *prefix
//  (caller frees) to its normalized originPrefix ("" or "a/b/"). Returns
//  NULL with why set when it cannot be opened; *is_missing (may be NULL)
//  tells that the deployment does not exist.
edge_store_t *wk_deploy_open (edge_redis_t *redis,
                              const char *org,
                              const char *name,
                              char **prefix,
                              bool *is_missing,
                              char *why,
                              size_t len);
#endif
