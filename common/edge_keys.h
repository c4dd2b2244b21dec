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
//  e:{<org>}:tasks: zset task name -> created ms, the tasks of an org
#define EDGE_KEY_ORG_TASKS_FMT "e:{%s}:tasks"
char *edge_key_org_tasks (const char *org);

//  ---- notifier ----
#define EDGE_KEY_DELIVERIES_DUE  "e:deliveries:due"  //  zset delivery id ->
                                                     //  due ms (chain heads)
#define EDGE_KEY_NOTIFIER_COUNTS "e:notifier:counts" //  hash counter -> n
//  + delivery id (<event id>-<subscription>): hash, one delivery (id, org,
//  sub, eventId, taskName, type, event, body, attempt, status, nextAt,
//  created, lastStatusCode, lastError); expires once finished
#define EDGE_KEY_DELIVERY_PREFIX "e:dlv:"
//  + task name: string, the seq of the task's last event taken (30 days)
#define EDGE_KEY_EVSEQ_PREFIX    "e:evseq:"
//  e:{<org>}:subs: zset subscription name -> created, an org's
//  subscriptions (the gateway's; the notifier reads it)
#define EDGE_KEY_SUBS_FMT        "e:{%s}:subs"
//  e:{<org>}:sub:<name>: hash, one subscription; + EDGE_KEY_SUB_...: its
//  delivery state
#define EDGE_KEY_SUB_FMT         "e:{%s}:sub:%s"
#define EDGE_KEY_SUB_PENDING     ":pending"  //  set of its open delivery ids
#define EDGE_KEY_SUB_FAILED      ":failed"   //  zset failed id -> ms
#define EDGE_KEY_SUB_CHAIN       ":chain:"   //  + task: list, deliveries of
                                             //  one task in order
#define EDGE_KEY_SUB_ATTEMPTS    ":attempts" //  list, the newest attempt
                                             //  records (JSON)

//  ---- worker and sweeps ----
//  zset JSON {"org","app"|"deployment","prefixes"} -> due ms: published
//  files to delete (deploy results, app and deployment DELETE)
#define EDGE_KEY_GC_DUE       "e:gc:due"
#define EDGE_KEY_UPLOADS_DUE  "e:uploads:due" //  zset task -> expiresMs
#define EDGE_KEY_REAPER_LOCK  "e:reaper:lock" //  string worker id, PX: who
                                              //  runs the reaper pass
//  + sha256 hex of an upload token: hash, an upload record (task, state,
//  touchedMs, expiresMs, tarKey, part), written by the gateway
#define EDGE_KEY_UPLOAD_PREFIX "e:upload:"
//  e:{<org>}:app:<app>: hash, an app (builds, patches, iCurBuild, dxfName,
//  locked, processing, ...); + EDGE_KEY_APP_...: its other keys
#define EDGE_KEY_APP_FMT         "e:{%s}:app:%s"
#define EDGE_KEY_APP_IMPORTS     ":imports"     //  hash buildName -> task
#define EDGE_KEY_APP_BUILDIDS    ":buildids"    //  counter, the last build id
#define EDGE_KEY_APP_DELETING    ":deleting"    //  string, the e:gc:due entry
                                                //  of a deleted app's files
#define EDGE_KEY_APP_TRACES      ":traces"      //  zset traceId -> created ms
#define EDGE_KEY_APP_TRACE       ":trace:"      //  + traceId: hash, a trace
#define EDGE_KEY_APP_TRACECOUNTS ":tracecounts" //  hash buildId -> traces
char *edge_key_app (const char *org, const char *app);
//  e:{<org>}:app:<app>:imports
char *edge_key_app_imports (const char *org, const char *app);
//  e:{<org>}:app:<app>:traces
char *edge_key_app_traces (const char *org, const char *app);
//  e:{<org>}:app:<app>:trace:<trace> (trace "": the prefix of them all)
char *edge_key_app_trace (const char *org, const char *app, const char *trace);
//  e:{<org>}:app:<app>:tracecounts
char *edge_key_app_tracecounts (const char *org, const char *app);
//  e:{<org>}:deployment:<name>: hash, a deployment (kind, originPrefix,
//  status, message, ...); + EDGE_KEY_DEPLOYMENT_DELETING: the same hash
//  renamed when the deployment is deleted, kept until its files are gone
#define EDGE_KEY_DEPLOYMENT_FMT      "e:{%s}:deployment:%s"
#define EDGE_KEY_DEPLOYMENTS_FMT     "e:{%s}:deployments" //  zset name ->
                                                         //  created ms
#define EDGE_KEY_DEPLOYMENT_DELETING ":deleting"
char *edge_key_deployment (const char *org, const char *name);
//  e:{<org>}:training:<app>: hash, an app's trace processing settings,
//  figures and reservation (processingTask, processingUntil)
#define EDGE_KEY_TRAINING_FMT "e:{%s}:training:%s"
char *edge_key_training (const char *org, const char *app);

//  ---- gateway: organisations, identity, sessions, tokens ----
//  An org's keys are e:{<org>}:<rest>: EDGE_KEY_ORG_OPEN, the org, then
//  EDGE_KEY_ORG_CLOSE (the braces are the org's Redis Cluster hash tag).
//  A script that derives an org's key from a stored value spells it with
//  these pieces: '@EDGE_KEY_ORG_OPEN@' .. org .. '@EDGE_KEY_ORG_CLOSE@'.
#define EDGE_KEY_ORG_OPEN     "e:{"
#define EDGE_KEY_ORG_CLOSE    "}:"
#define EDGE_KEY_ORG_ROLE     "role:"   //  org prefix + this + role name
#define EDGE_KEY_ORG_USER     "user:"   //  org prefix + this + username
#define EDGE_KEY_ORG_TOKENS   "tokens"  //  org prefix + this
#define EDGE_KEY_USER_TOKENS  ":tokens" //  user key + this
#define EDGE_KEY_ORGS         "e:orgs"  //  zset org name -> created ms
#define EDGE_KEY_TOKEN_PREFIX "e:tok:"  //  + token sha: hash, one token

//  e:{<org>}:info: hash, the organisation: name, email, adminUsername,
//  publicKey (optional), created, updated.
char *edge_key_org_info (const char *org);

//  e:{<org>}:roles: zset role name -> created ms.
char *edge_key_org_roles (const char *org);

//  e:{<org>}:role:<name>: hash, one role: name, label, permissions (JSON
//  object resource -> bits), created, updated. name "" gives the prefix of
//  the org's role keys.
char *edge_key_role (const char *org, const char *name);

//  e:{<org>}:users: zset username -> created ms.
char *edge_key_org_users (const char *org);

//  e:{<org>}:user:<name>: hash, one user: username, email, firstname,
//  surname, title, label, machine ("1"/"0"), roles (JSON array), pwhash
//  (argon2id; persons only), created, updated. name "" gives the prefix of
//  the org's user keys.
char *edge_key_user (const char *org, const char *name);

//  e:{<org>}:user:<name>:keys: set of the user's API key ids.
char *edge_key_user_keys (const char *org, const char *name);

//  e:{<org>}:user:<name>:tokens: set of the shas of the user's tokens
//  (members whose e:tok: hash expired are pruned as new tokens come).
char *edge_key_user_tokens (const char *org, const char *name);

//  e:{<org>}:keys: zset API key id -> created ms.
char *edge_key_org_keys (const char *org);

//  e:{<org>}:key:<id>: hash, one API key: keyId, username, sha256 (of the
//  secret), created. id "" gives the prefix of the org's key hashes.
char *edge_key_api_key (const char *org, const char *id);

//  e:{<org>}:tokens: set of the shas of every token of the org's users.
char *edge_key_org_tokens (const char *org);

//  e:{<org>}:*: the SCAN pattern of every key of the org.
char *edge_key_org_match (const char *org);

//  e:tok:<sha>: hash, one session or auth token by the SHA-256 of its text:
//  kind ("session"/"auth"), org, username, session (an auth token's
//  session sha), created, userCreated (its user's created: a user made
//  again does not inherit tokens). Expires with the token (PEXPIRE).
char *edge_key_token (const char *sha);

//  e:rl:user:{<org>}:<name>: string, failed logins of a user in the
//  current window (expires with it).
char *edge_key_login_user (const char *org, const char *name);

//  e:rl:ip:<addr>: string, failed logins from a client address in the
//  current window (expires with it).
char *edge_key_login_addr (const char *addr);

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
