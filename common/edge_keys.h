/*  edge_keys - the one owner of the Redis key schema.

    Every key the service reads or writes is built here: constants
    (EDGE_KEY_...) for the global keys and key prefixes, and one builder
    per family (edge_key_...; the result is malloc'd, the caller frees it,
    a gateway handler hands it to gw_req_adopt). A Lua script that must
    name a key itself writes its prefix as '@EDGE_KEY_...@' inside a string
    literal; the CMake embedding step (cmake/EdgeLua.cmake) splices in the
    macro, so no other file spells a key (test_edge_keys greps for one).

    The layout (docs/architecture.md §3 tells the story around it):
    - Global: the org index, tasks and their queue/leases, the event
      stream, the sweeps' agendas, upload records, notifier state.
    - Per organisation, everything under e:{<org>}: (one Redis Cluster hash
      tag per org, so an org's keys stay on one node and its scripts may
      touch several).  */
#ifndef EDGE_KEYS_H_INCLUDED
#define EDGE_KEYS_H_INCLUDED

//  ---- tasks and events (common/edge_task.c owns the task records) ----
#define EDGE_KEY_TASK_PREFIX  "e:task:"        //  + name: hash, one task
#define EDGE_KEY_TASKS_QUEUED "e:tasks:queued" //  zset name -> enqueue ms
#define EDGE_KEY_TASKS_LEASES "e:tasks:leases" //  zset name -> deadline ms
#define EDGE_KEY_EVENTS       "e:events"       //  stream of task events

//  e:task:<name>
char *edge_key_task (const char *name);

//  ---- notifier ----

//  ---- worker and sweeps ----

//  ---- gateway: organisations, identity, sessions, tokens ----

//  ---- gateway: apps, builds, deployments, trainings, subscriptions,
//  uploads, traces ----
//  (O = the organisation. A builder given "" as its last name returns the
//  family's prefix, for a script or a listing that appends names.)

//  Global keys this area writes; the worker's sweeps and the notifier own
//  them (the same macros may appear in their sections: one definition
//  stays when merged).
//  zset: gc entry (JSON: org, app or deployment, prefixes) -> due ms.
#define EDGE_KEY_GC_DUE "e:gc:due"
//  zset: task waiting for its upload -> the upload's expiresMs.
#define EDGE_KEY_UPLOADS_DUE "e:uploads:due"
//  + sha256 hex of the upload token: hash, the upload record (org, app,
//  build, task, group, tarKey, state, sizeBytes, expiresMs, size, ...).
#define EDGE_KEY_UPLOAD_PREFIX "e:upload:"
//  zset: delivery id -> when its next attempt is due (ms).
#define EDGE_KEY_DELIVERIES_DUE "e:deliveries:due"
//  + delivery id: hash, one webhook delivery (taskName, status, attempt,
//  nextAt, lastError, ...).
#define EDGE_KEY_DELIVERY_PREFIX "e:dlv:"

//  e:{O}:info: hash, the organisation's record (owned by the orgs section).
char *edge_key_org_info (const char *org);

//  e:{O}:apps: zset app name -> created ms.
char *edge_key_apps (const char *org);
//  e:{O}:app:<app>: hash name, label, maxBuilds, deployments (JSON array),
//  created, updated, and the pipeline's state (iCurBuild, dxfName, builds,
//  patches, processing, exporting, locked, error, sizeBytes); see gw_apps.c.
//  Beside it, kept by scripts as suffixes of this key: :deleting (string,
//  the gc entry while the deleted app's files are swept).
char *edge_key_app (const char *org, const char *app);
//  e:{O}:app:<app>:imports: hash buildName -> dltar task name, or
//  "<group>@<ms>" while an import is being reserved.
char *edge_key_app_imports (const char *org, const char *app);
//  e:{O}:app:<app>:traces: zset traceId -> created ms.
char *edge_key_app_traces (const char *org, const char *app);
//  e:{O}:app:<app>:trace:<id>: hash, one stored trace's record (traceId,
//  buildId, buildName, dxfName, key, accesses, durationMs, created,
//  createdBy).
char *edge_key_app_trace (const char *org, const char *app, const char *id);
//  e:{O}:app:<app>:tracecounts: hash buildId -> traces stored.
char *edge_key_app_tracecounts (const char *org, const char *app);
//  e:{O}:training:<app>: hash, the app's training settings (nTracesReliable,
//  bandwidthBps, percentile, improvementThreshold, autoProcessEvery), its
//  figures and processing state (processingTask, processingUntil,
//  triggerBuildId, tracesAtTrigger, ...).
char *edge_key_training (const char *org, const char *app);

//  e:{O}:deployments: zset deployment name -> created ms.
char *edge_key_deployments (const char *org);
//  e:{O}:deployment:<name>: hash name, kind, originPrefix, s3 or fs
//  settings, status, message, created, updated; while its files are swept
//  after a delete, the same hash renamed to <key>:deleting.
char *edge_key_deployment (const char *org, const char *name);
//  e:{O}:deployment:<name>:apps: set of the apps registered to it.
char *edge_key_deployment_apps (const char *org, const char *name);

//  e:{O}:subs: zset subscription name -> created ms.
char *edge_key_subs (const char *org);
//  e:{O}:sub:<name>: hash name, url or slackChannel, types, events, state,
//  secret, created, updated.
char *edge_key_sub (const char *org, const char *name);
//  e:{O}:sub:<name>:attempts: list of the last delivery attempts (JSON).
char *edge_key_sub_attempts (const char *org, const char *name);
//  e:{O}:sub:<name>:failed: zset delivery id -> failed ms.
char *edge_key_sub_failed (const char *org, const char *name);
//  e:{O}:sub:<name>:pending: set of its pending delivery ids.
char *edge_key_sub_pending (const char *org, const char *name);
//  e:{O}:sub:<name>:chain:<task>: list of delivery ids of one task, in
//  event order (its head is the one due).
char *edge_key_sub_chain (const char *org, const char *name, const char *task);

#endif
