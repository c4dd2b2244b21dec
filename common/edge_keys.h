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

//  e:{<org>}:tasks: zset task name -> created ms, the org's tasks (the
//  records are common/edge_task.c's; the org's deletion removes them).
char *edge_key_org_tasks (const char *org);

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

#endif
