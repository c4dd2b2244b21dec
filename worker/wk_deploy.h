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
#include "wk_task.h"
#include <stdbool.h>
#include <stddef.h>

#define WK_DEPLOY_TRIES       3

//  The deploy task type (wk_task): needs the depot and Redis; the pause
//  between tries, the gc delay and the test hook are the job's env.
extern const wk_task_t wk_deploy_task;

//  Shared with wk_gc (same thread rules as a job):
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
