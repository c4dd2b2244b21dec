/*  edge_keys - the one owner of the Redis key schema.

    Every key the service reads or writes is named here: a constant
    (EDGE_KEY_...) for each global key and key prefix, a format
    (EDGE_KEY_..._FMT) and a builder (edge_key_..., malloc'd: the caller
    frees it; a gateway handler hands it to gw_req_adopt or
    gw_call_key_take) for each family. A Lua script that must name a key
    itself splices the constant into a string literal, '@EDGE_KEY_...@'
    (string.format('@EDGE_KEY_APP_FMT@', org, app) for a family); the CMake
    embedding step (cmake/EdgeLua.cmake) replaces it with the macro, so no
    other file spells a key (test_edge_keys scans the sources for one).

    The layout (docs/architecture.md §3 tells the story around it):
    - Global keys: the org index, task records and their queue and leases,
      the event stream, the sweeps' agendas, upload records, tokens, login
      counters and the notifier's deliveries.
    - Per organisation, every key starts with e:{<org>}: (EDGE_KEY_ORG_FMT).
      The braces are a Redis Cluster hash tag: an org's keys stay on one
      node, so one script may touch several of them.
    A builder's name argument "" gives the family's prefix (for scripts
    that derive keys from stored names).  */
#ifndef EDGE_KEYS_H_INCLUDED
#define EDGE_KEYS_H_INCLUDED

//  ---- global ----------------------------------------------------------

#define EDGE_KEY_ORGS         "e:orgs"         //  zset org name -> created ms
//  + task name: hash, one task (common/edge_task.c alone writes its fields;
//  other modules' scripts go through lua/lib/task_*.lua)
#define EDGE_KEY_TASK_PREFIX  "e:task:"
#define EDGE_KEY_TASKS_QUEUED "e:tasks:queued" //  zset name -> enqueue ms
#define EDGE_KEY_TASKS_LEASES "e:tasks:leases" //  zset name -> deadline ms
#define EDGE_KEY_EVENTS       "e:events"       //  stream of task events
//  zset JSON {"org","app"|"deployment","prefixes"} -> due ms: published
//  files to delete (deploy results, app and deployment DELETE)
#define EDGE_KEY_GC_DUE       "e:gc:due"
#define EDGE_KEY_UPLOADS_DUE  "e:uploads:due"  //  zset task -> expiresMs
#define EDGE_KEY_REAPER_LOCK  "e:reaper:lock"  //  string worker id (PX):
                                               //  who runs the reaper pass
//  + sha256 hex of an upload token: hash, an upload record (task, state,
//  touchedMs, expiresMs, tarKey, part), written by the gateway
#define EDGE_KEY_UPLOAD_PREFIX "e:upload:"
//  + sha256 hex of a token: hash, one session or auth token: kind
//  ("session"/"auth"), org, username, session (an auth token's session
//  sha), created, userCreated (a user made again inherits no token).
//  Expires with the token.
#define EDGE_KEY_TOKEN_PREFIX "e:tok:"
//  e:rl:user:{<org>}:<name> and e:rl:ip:<address>: strings, failed logins
//  of a user or from an address in the current window (expire with it)
#define EDGE_KEY_LOGIN_USER_FMT "e:rl:user:{%s}:%s"
#define EDGE_KEY_LOGIN_ADDR_FMT "e:rl:ip:%s"
//  The notifier: zset delivery id -> due ms (chain heads); hash counter ->
//  n; + delivery id (<event id>-<subscription>): hash, one delivery (id,
//  org, sub, eventId, taskName, type, event, body, attempt, status,
//  nextAt, created, lastStatusCode, lastError), expires once finished;
//  + task name: string, the seq of the task's last event taken (30 days)
#define EDGE_KEY_DELIVERIES_DUE  "e:deliveries:due"
#define EDGE_KEY_NOTIFIER_COUNTS "e:notifier:counts"
#define EDGE_KEY_DELIVERY_PREFIX "e:dlv:"
#define EDGE_KEY_EVSEQ_PREFIX    "e:evseq:"

//  e:task:<name>
char *edge_key_task (const char *name);
//  e:tok:<sha>
char *edge_key_token (const char *sha);
char *edge_key_login_user (const char *org, const char *name);
char *edge_key_login_addr (const char *addr);

//  ---- per organisation: e:{<org>}:... ----------------------------------

#define EDGE_KEY_ORG_FMT "e:{%s}:"

//  The organisation and its identities.
//  info: hash, the organisation (name, email, adminUsername, publicKey,
//  created, updated). roles, users, keys: zsets name/id -> created ms.
//  role:<name>: hash (name, label, permissions: JSON resource -> bits,
//  created, updated). user:<name>: hash (username, email, firstname,
//  surname, title, label, machine "1"/"0", roles: JSON array, pwhash
//  (argon2id, persons only), created, updated); + :keys: set of its API
//  key ids; + :tokens: set of its tokens' shas. key:<id>: hash, an API key
//  (keyId, username, sha256 of the secret, created). tokens: set of the
//  shas of every token of the org's users. tasks: zset task name ->
//  created ms (the records are e:task:<name>).
#define EDGE_KEY_ORG_ROLE    "role:"   //  org prefix + this + role name
#define EDGE_KEY_ORG_USER    "user:"   //  org prefix + this + username
#define EDGE_KEY_ORG_TOKENS  "tokens"  //  org prefix + this
#define EDGE_KEY_USER_TOKENS ":tokens" //  user key + this
#define EDGE_KEY_ORG_TASKS_FMT EDGE_KEY_ORG_FMT "tasks"
char *edge_key_org_info (const char *org);
char *edge_key_org_roles (const char *org);
char *edge_key_org_users (const char *org);
char *edge_key_org_keys (const char *org);
char *edge_key_org_tokens (const char *org);
char *edge_key_org_tasks (const char *org);
//  e:{<org>}:*: the SCAN pattern of every key of the org
char *edge_key_org_match (const char *org);
char *edge_key_role (const char *org, const char *name);
char *edge_key_user (const char *org, const char *name);
char *edge_key_user_keys (const char *org, const char *name);
char *edge_key_user_tokens (const char *org, const char *name);
char *edge_key_api_key (const char *org, const char *id);

//  Apps. apps: zset name -> created ms. app:<app>: hash, an app (name,
//  label, maxBuilds, deployments, builds, patches, iCurBuild, dxfName,
//  locked, processing, exporting, error, sizeBytes, created, updated);
//  + :imports: hash buildName -> task; + :buildids: counter, the last
//  build id; + :deleting: string, the e:gc:due entry of a deleted app's
//  files; + :traces: zset traceId -> created ms; + :trace:<id>: hash, a
//  trace's record; + :tracecounts: hash buildId -> traces.
//  training:<app>: hash, the app's trace processing settings, figures and
//  reservation (processingTask, processingUntil).
#define EDGE_KEY_APP_FMT         EDGE_KEY_ORG_FMT "app:%s"
#define EDGE_KEY_APP_IMPORTS     ":imports"
#define EDGE_KEY_APP_BUILDIDS    ":buildids"
#define EDGE_KEY_APP_DELETING    ":deleting"
#define EDGE_KEY_APP_TRACES      ":traces"
#define EDGE_KEY_APP_TRACE       ":trace:"
#define EDGE_KEY_APP_TRACECOUNTS ":tracecounts"
#define EDGE_KEY_TRAINING_FMT    EDGE_KEY_ORG_FMT "training:%s"
char *edge_key_apps (const char *org);
char *edge_key_app (const char *org, const char *app);
char *edge_key_app_imports (const char *org, const char *app);
char *edge_key_app_traces (const char *org, const char *app);
char *edge_key_app_trace (const char *org, const char *app, const char *id);
char *edge_key_app_tracecounts (const char *org, const char *app);
char *edge_key_training (const char *org, const char *app);

//  Deployments. deployments: zset name -> created ms. deployment:<name>:
//  hash, a deployment (kind, originPrefix, status, message, ...; its
//  secret fields are never read back); + :apps: set of the apps that
//  publish to it; + :deleting: the same hash renamed when the deployment
//  is deleted, kept until its files are gone.
#define EDGE_KEY_DEPLOYMENTS_FMT     EDGE_KEY_ORG_FMT "deployments"
#define EDGE_KEY_DEPLOYMENT_FMT      EDGE_KEY_ORG_FMT "deployment:%s"
#define EDGE_KEY_DEPLOYMENT_APPS     ":apps"
#define EDGE_KEY_DEPLOYMENT_DELETING ":deleting"
char *edge_key_deployments (const char *org);
char *edge_key_deployment (const char *org, const char *name);
char *edge_key_deployment_apps (const char *org, const char *name);

//  Subscriptions (the gateway writes them, the notifier delivers).
//  subs: zset name -> created ms. sub:<name>: hash, a subscription;
//  + :pending: set of its open delivery ids; + :failed: zset failed
//  delivery id -> ms; + :chain:<task>: list, the deliveries of one task in
//  order; + :attempts: list, the newest attempt records (JSON).
#define EDGE_KEY_SUBS_FMT     EDGE_KEY_ORG_FMT "subs"
#define EDGE_KEY_SUB_FMT      EDGE_KEY_ORG_FMT "sub:%s"
#define EDGE_KEY_SUB_PENDING  ":pending"
#define EDGE_KEY_SUB_FAILED   ":failed"
#define EDGE_KEY_SUB_CHAIN    ":chain:"
#define EDGE_KEY_SUB_ATTEMPTS ":attempts"
char *edge_key_subs (const char *org);
char *edge_key_sub (const char *org, const char *name);
char *edge_key_sub_pending (const char *org, const char *name);
char *edge_key_sub_failed (const char *org, const char *name);
char *edge_key_sub_chain (const char *org, const char *name, const char *task);
char *edge_key_sub_attempts (const char *org, const char *name);
#endif
