/*  gw_builds - build imports and upload commits: one Lua script checks
    and reserves, edge_task creates the dltar task, a second script names
    it in the import entry (and opens the upload record).  */
#include "gw_builds.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_task.h"
#include "edge_taskops.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_lua.h"
#include "gw_upload.h"
#include "gw_url.h"
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


static const edge_json_field_t s_create_fields[] = {
    {"appName", EDGE_JSON_NAME, true, 0, 0, false},
    {"buildName", EDGE_JSON_STRING, true, 1, 100, false},
    {"url", EDGE_JSON_STRING, false, 1, 2048, false},
    {"size", EDGE_JSON_INT, false, 0, INT64_MAX, false},
};
static const edge_json_field_t s_commit_fields[] = {
    {"appName", EDGE_JSON_NAME, true, 0, 0, false},
    {"buildName", EDGE_JSON_STRING, true, 1, 100, false},
};

//  The reserve script's refusal that names only the app ({}); those that
//  name the build too are s_reserve_refused's.
static const gw_call_answer_t s_reserve_answers[] = {
    {"not_found", EDGE_ERR_NOT_FOUND, NULL, "app '{}' not found"}, {NULL}};
//  The commit script's refusals ({} = the build, {1} = its task or the
//  upload's state); "not_found" names the app too (gw_builds_commit).
static const gw_call_answer_t s_commit_answers[] = {
    {"not_upload", EDGE_ERR_NOT_AN_UPLOAD, NULL,
     "build '{}' is imported from a URL (task {1}): there is nothing to "
     "commit"},
    {"committed", EDGE_ERR_ALREADY_COMMITTED, NULL,
     "the upload of build '{}' was already committed (task {1})"},
    {"expired", EDGE_ERR_UPLOAD_EXPIRED, NULL,
     "the upload of build '{}' has expired; import it again"},
    {"incomplete", EDGE_ERR_UPLOAD_INCOMPLETE, NULL,
     "the upload of build '{}' is {1}, not received: PUT the tar to its "
     "uploadUrl first"},
    {NULL}};

//  One import being created.
typedef struct {
    gw_req_t *req;
    const gw_ctx_t *ctx;
    gw_thread_t *thread;
    edge_redis_t *redis;
    const char *org, *app, *build, *url;
    const json_t *size;                  //  the body's size, or NULL
    char group[EDGE_TASK_NAME_MAX];      //  "import_<time>_<hex>"
    char task[EDGE_TASK_NAME_MAX];       //  the dltar task
    const char *tar_key;                 //  builds/<org>/<app>/<group>.tar
    const char *reservation;             //  "<group>@<ms>"
    const char *imports;                 //  e:{O}:app:<a>:imports
    char token[GW_UPLOAD_TOKEN_LEN + 1]; //  upload mode: the token
    char upload_key[GW_UPLOAD_KEY_MAX];  //  upload mode: its record
    int64_t expires_ms;                  //  upload mode: URL expiry
} s_import_t;


//  Validate the body against fields and the buildName pattern. Returns
//  the body (borrowed), or NULL with the response set.
static json_t *
s_body (gw_req_t *req, const edge_json_field_t *fields, size_t count)
{
    edge_json_err_t err;
    json_t *body = gw_req_json (req, &err);
    if (!body || edge_json_check (body, fields, count, &err)) {
        gw_req_reply_error (req, &err);
        return NULL;
    }
    if (!edge_build_name_is_valid (edge_json_str (body, "buildName", NULL))) {
        gw_call_fail (req, EDGE_ERR_INVALID_FIELD, "buildName",
                      "field 'buildName' must match ^[A-Za-z0-9_.-]{1,100}$ "
                      "(not \".\" or \"..\")");
        return NULL;
    }
    return body;
}


//  A download URL the guard lets through. Returns 0, or -1 with the
//  response set (400 not http(s), 422 refused address).
static int
s_check_url (gw_req_t *req, const gw_ctx_t *ctx, const char *url)
{
    edge_json_err_t err;
    if (gw_url_check (ctx->config->url_allow, url, "download", &err) == 0)
        return 0;
    gw_req_reply_error (req, &err);
    return -1;
}


//  Answer the reserve script's refusals that name the build. Returns true
//  when reply was one (then freed).
static bool
s_reserve_refused (s_import_t *imp, redisReply *reply)
{
    const char *word = edge_redis_script_status (reply);
    const redisReply *more =
        word && reply->elements == 2 ? reply->element[1] : NULL;
    if (word && strcmp (word, "exists") == 0)
        gw_call_fail (imp->req, EDGE_ERR_BUILD_EXISTS, "buildName",
                      "app '%s' already has a build '%s'", imp->app,
                      imp->build);
    else if (more && strcmp (word, "locked") == 0)
        gw_call_fail (imp->req, EDGE_ERR_APP_LOCKED, NULL,
                      "app '%s' is locked after a failed deploy (error: "
                      "%.150s); retry the failed task or patch the app",
                      imp->app, more->len ? more->str : "none");
    else if (more && strcmp (word, "importing") == 0)
        gw_call_fail (imp->req, EDGE_ERR_BUILD_IMPORTING, "buildName",
                      "build '%s' of app '%s' is being imported%s%s",
                      imp->build, imp->app, more->len ? " by task " : "",
                      more->str);
    else
        return false;
    freeReplyObject (reply);
    return true;
}


//  Check the app and reserve the import entry. Returns 0, or -1 with the
//  response set.
static int
s_reserve_entry (s_import_t *imp)
{
    int64_t now_ms = edge_now_ms ();
    imp->reservation =
        gw_req_sprintf (imp->req, "%s@%lld", imp->group, (long long) now_ms);
    gw_call_t call;
    gw_call_init (&call, imp->req);
    gw_call_key_take (&call, edge_key_app (imp->org, imp->app));
    gw_call_key (&call, imp->imports);
    gw_call_arg (&call, imp->build);
    gw_call_arg (&call, imp->reservation);
    gw_call_int (&call, now_ms);
    gw_call_int (&call, GW_BUILDS_RESERVE_STALE_MS);
    redisReply *reply =
        gw_call_eval (&call, imp->thread, &gw_lua_builds_reserve);
    if (s_reserve_refused (imp, reply))
        return -1;
    reply = gw_call_answer (imp->req, reply, s_reserve_answers, imp->app,
                            "builds: reserve");
    if (!reply)
        return -1;
    freeReplyObject (reply);
    return 0;
}


//  Undo the reservation (best effort: Redis may be what failed).
static void
s_unreserve_entry (s_import_t *imp)
{
    gw_call_t call;
    gw_call_init (&call, imp->req);
    gw_call_key (&call, imp->imports);
    gw_call_arg (&call, imp->build);
    gw_call_arg (&call, imp->reservation);
    freeReplyObject (
        gw_call_eval (&call, imp->thread, &gw_lua_builds_unreserve));
}


//  The dltar task's params (pipeline contract). Request scope.
static const char *
s_params (s_import_t *imp)
{
    json_t *params =
        json_pack ("{s:s,s:s,s:s}", "appName", imp->app, "buildName",
                   imp->build, "tarKey", imp->tar_key);
    if (imp->url)
        json_object_set_new (params, "url", json_string (imp->url));
    if (imp->size)
        json_object_set (params, "size", (json_t *) imp->size);
    if (!imp->url)
        json_object_set_new (params, "upload", json_true ());
    char *text = gw_req_adopt (imp->req, edge_json_dumps (params));
    json_decref (params);
    return text;
}


//  The upload record's field/value pairs.
static void
s_record_pairs (s_import_t *imp, gw_call_t *call)
{
    gw_call_pair (call, "org", imp->org);
    gw_call_pair (call, "app", imp->app);
    gw_call_pair (call, "build", imp->build);
    gw_call_pair (call, "task", imp->task);
    gw_call_pair (call, "group", imp->group);
    gw_call_pair (call, "tarKey", imp->tar_key);
    gw_call_pair (call, "state", "open");
    gw_call_pair (call, "sizeBytes", "0");
    gw_call_arg (call, "expiresMs");
    gw_call_int (call, imp->expires_ms);
    if (imp->size) { //  the PUT must match it
        gw_call_arg (call, "size");
        gw_call_int (call, json_integer_value (imp->size));
    }
}


//  Name the task in the import entry; an upload also gets its record and
//  its e:uploads:due entry. Returns 0, or -1 when Redis failed.
static int
s_finish_entry (s_import_t *imp)
{
    gw_call_t call;
    gw_call_init (&call, imp->req);
    gw_call_key (&call, imp->imports);
    gw_call_key_take (&call, edge_key_task (imp->task));
    gw_call_arg (&call, imp->build);
    gw_call_arg (&call, imp->reservation);
    gw_call_arg (&call, imp->task);
    gw_call_int (&call, imp->expires_ms);
    gw_call_int (&call, imp->ctx->config->upload_expiry_ms + GW_UPLOAD_KEEP_MS);
    if (!imp->url) { //  an upload: its record
        gw_call_key (&call, imp->upload_key);
        gw_call_key (&call, EDGE_KEY_UPLOADS_DUE);
        s_record_pairs (imp, &call);
    }
    redisReply *reply =
        gw_call_eval (&call, imp->thread, &gw_lua_builds_finish);
    int rc = edge_redis_script_is (reply, "ok") ? 0 : -1;
    if (edge_redis_script_is (reply, "lost"))
        edge_warn ("builds: import entry of %s/%s was replaced before task %s "
                   "was named in it",
                   imp->app, imp->build, imp->task);
    else if (rc)
        edge_error ("builds: could not record task %s of %s/%s (%s)", imp->task,
                    imp->app, imp->build,
                    reply ? "unexpected reply" : "Redis unavailable");
    freeReplyObject (reply);
    return rc;
}


//  Create the dltar task waiting, name it in the entry, then (download)
//  queue it: a task the entry does not name never runs. Returns 0, or -1
//  with the response set (503), the reservation undone and the task
//  expired (or, when Redis is down, left waiting: it never runs).
static int
s_create_task (s_import_t *imp)
{
    edge_task_spec_t spec = {
        .type = "dltar",
        .org = imp->org,
        .group = imp->group,
        .app = imp->app,
        .build = imp->build,
        .params = s_params (imp),
        .created_by = gw_req_identity (imp->req),
        .is_waiting = true,       //  queued below once the entry names it
        .is_build_changed = true, //  every step of an import: a new build
        .message = imp->url ? "import recorded, queued next"
                            : "waiting for the client upload",
    };
    if (edge_task_create (imp->redis, &spec, imp->task)) {
        s_unreserve_entry (imp);
        gw_req_reply_redis_failed (imp->req, NULL, NULL);
        return -1;
    }
    bool is_named = s_finish_entry (imp) == 0;
    if (is_named
        && (!imp->url
            || edge_task_enqueue (imp->redis, imp->task, NULL,
                                  "download queued")
                   == EDGE_ERR_OK))
        return 0;
    if (is_named) //  expired below, the task no longer holds the entry
        edge_error ("builds: could not queue task %s of %s/%s", imp->task,
                    imp->app, imp->build);
    else
        s_unreserve_entry (imp);
    edge_taskops_expire (imp->redis, imp->org, imp->task, "gateway");
    gw_req_reply_redis_failed (imp->req, NULL, NULL);
    return -1;
}


//  Scheme and authority of the upload URL: EDGE_PUBLIC_URL, else the
//  request's Host (https when a TLS proxy said X-Forwarded-Proto: https;
//  the answer goes only to this client, so a forged header misleads no
//  one else), else the listen address. Request scope.
static const char *
s_base_url (gw_req_t *req, const gw_config_t *config)
{
    if (config->public_url && *config->public_url) {
        size_t len = strlen (config->public_url);
        while (len > 0 && config->public_url[len - 1] == '/')
            len--;
        return gw_req_sprintf (req, "%.*s", (int) len, config->public_url);
    }
    const char *host = gw_req_header (req, "Host");
    size_t len = host ? strlen (host) : 0;
    bool is_ok = len > 0 && len < 256
                 && strspn (host, "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
                        == len;
    const char *proto = gw_req_header (req, "X-Forwarded-Proto");
    bool is_https = proto && strcasecmp (proto, "https") == 0;
    if (is_ok)
        return gw_req_sprintf (req, "%s://%s", is_https ? "https" : "http",
                               host);
    const char *colon = strrchr (config->listen, ':');
    if (config->port > 0 && colon)
        return gw_req_sprintf (req, "http://%.*s:%lld",
                               (int) (colon - config->listen), config->listen,
                               (long long) config->port);
    return gw_req_sprintf (req, "http://%s", config->listen);
}


//  202 with the group, the task and, for an upload, where to PUT.
static void
s_reply_accepted (s_import_t *imp, gw_thread_t *thread)
{
    gw_req_reply_header (
        imp->req, "Location",
        gw_req_sprintf (imp->req, "/be/v1/tasks/%s", imp->task));
    json_t *body =
        json_pack ("{s:s,s:s}", "group", imp->group, "taskName", imp->task);
    if (imp->url) {
        if (gw_thread_send_job (thread, imp->task, "dltar"))
            edge_warn ("builds: broker did not take task %s; the reaper "
                       "will send it",
                       imp->task);
    }
    else {
        char expires[32];
        edge_rfc3339 (imp->expires_ms, expires, sizeof expires);
        json_object_set_new (
            body, "uploadUrl",
            json_string (gw_req_sprintf (
                imp->req, "%s%s%s", s_base_url (imp->req, imp->ctx->config),
                GW_UPLOAD_PATH, imp->token)));
        json_object_set_new (body, "uploadExpires", json_string (expires));
    }
    edge_info ("build %s of app %s: import %s (task %s, %s) by %s", imp->build,
               imp->app, imp->group, imp->task,
               imp->url ? "download" : "client upload",
               gw_req_identity (imp->req));
    gw_req_reply_json (imp->req, 202, body);
}


void
gw_builds_create (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    json_t *body = s_body (req, s_create_fields, EDGE_COUNT (s_create_fields));
    if (!body)
        return;
    s_import_t imp = {
        .req = req,
        .ctx = ctx,
        .thread = thread,
        .redis = gw_thread_redis (thread),
        .org = gw_req_org (req),
        .app = edge_json_str (body, "appName", NULL),
        .build = edge_json_str (body, "buildName", NULL),
        .url = edge_json_str (body, "url", NULL),
        .size = json_object_get (body, "size"),
    };
    if (imp.url && s_check_url (req, ctx, imp.url))
        return;
    if (!imp.url && imp.size
        && json_integer_value (imp.size) > ctx->config->upload_max_bytes) {
        gw_call_fail (req, EDGE_ERR_UPLOAD_TOO_LARGE, "size",
                      "uploads are limited to %lld bytes",
                      (long long) ctx->config->upload_max_bytes);
        return;
    }
    edge_task_name_make ("import", imp.group, sizeof imp.group);
    imp.tar_key = gw_req_sprintf (req, "builds/%s/%s/%s.tar", imp.org, imp.app,
                                  imp.group);
    imp.imports = gw_req_adopt (req, edge_key_app_imports (imp.org, imp.app));
    if (!imp.url) {
        gw_upload_token_new (imp.token, imp.upload_key);
        imp.expires_ms = edge_now_ms () + ctx->config->upload_expiry_ms;
    }
    if (s_reserve_entry (&imp) == 0 && s_create_task (&imp) == 0)
        s_reply_accepted (&imp, thread);
    memset (imp.token, 0, sizeof imp.token);
}


//  Mark the upload of build (app's) committed. Returns the script's
//  {'ok', task, group, sizeBytes} (caller frees), or NULL with the answer
//  set.
static redisReply *
s_commit_entry (gw_req_t *req,
                gw_thread_t *thread,
                const char *app,
                const char *build)
{
    gw_call_t call;
    gw_call_init (&call, req);
    gw_call_key_take (&call, edge_key_app_imports (gw_req_org (req), app));
    gw_call_arg (&call, build);
    gw_call_int (&call, edge_now_ms ());
    redisReply *reply = gw_call_eval (&call, thread, &gw_lua_builds_commit);
    if (edge_redis_script_is (reply, "not_found")) {
        freeReplyObject (reply);
        gw_call_fail (req, EDGE_ERR_NOT_FOUND, NULL,
                      "no import of build '%s' in app '%s'", build, app);
        return NULL;
    }
    reply =
        gw_call_answer (req, reply, s_commit_answers, build, "builds: commit");
    if (reply && reply->elements != 4) {
        gw_req_reply_redis_failed (req, reply, "builds: commit");
        freeReplyObject (reply);
        reply = NULL;
    }
    return reply;
}


void
gw_builds_commit (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    (void) ctx;
    json_t *body = s_body (req, s_commit_fields, EDGE_COUNT (s_commit_fields));
    if (!body)
        return;
    const char *app = edge_json_str (body, "appName", NULL);
    const char *build = edge_json_str (body, "buildName", NULL);
    edge_redis_t *redis = gw_thread_redis (thread);
    redisReply *reply = s_commit_entry (req, thread, app, build);
    if (!reply)
        return;
    const char *task = gw_req_strdup (req, reply->element[1]->str);
    const char *group = gw_req_strdup (req, reply->element[2]->str);
    const char *message = gw_req_sprintf (req, "upload committed (%s bytes)",
                                          reply->element[3]->str);
    freeReplyObject (reply);
    edge_err_t rc = edge_task_enqueue (redis, task, NULL, message);
    if (rc == EDGE_ERR_REDIS) {
        gw_req_reply_redis_failed (req, NULL, NULL);
        return;
    }
    if (rc == EDGE_ERR_GONE) {
        gw_req_reply_fail (req, 409, "already_committed", NULL,
                           "the upload of build '%s' was already committed "
                           "(task %s)",
                           build, task);
        return;
    }
    freeReplyObject (
        edge_redis_command (redis, "ZREM %s %s", EDGE_KEY_UPLOADS_DUE, task));
    if (gw_thread_send_job (thread, task, "dltar"))
        edge_warn ("builds: broker did not take task %s; the reaper will "
                   "send it",
                   task);
    edge_info ("build %s of app %s: upload committed, task %s queued by %s",
               build, app, task, gw_req_identity (req));
    gw_req_reply_header (req, "Location",
                         gw_req_sprintf (req, "/be/v1/tasks/%s", task));
    gw_req_reply_json (
        req, 202, json_pack ("{s:s,s:s}", "group", group, "taskName", task));
}
