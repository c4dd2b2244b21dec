/*  wk_deploy - the deploy task handler: image and patches from the depot
    to every deployment of the app (see wk_deploy.h).  */
#include "wk_deploy.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_BUILD    9999
#define S_MAX_PATCHES  100
#define S_MANIFEST     "manifest.json"
#define S_MANIFEST_LEN (sizeof S_MANIFEST - 1)

//  The process-wide settings (written before slots run, then read-only).
static struct {
    bool is_set;
    char *store_url;
    int64_t retry_ms;
    wk_deploy_hook_fn *hook;
    void *hook_arg;
} s_conf;

//  One object of the depot to publish.
typedef struct {
    char *key;
    uint64_t size;
} s_obj_t;

//  One deploy run.
typedef struct {
    wk_job_t *job;
    const char *app;
    const char *dxf;
    int build;
    const char *depot_root; //  borrowed from s_conf.store_url
    s_obj_t *objs;          //  image first, then each patch, in list order
    size_t count, cap;
    json_t *failed;    //  names of failed deployments
    json_t *succeeded; //  names of succeeded deployments
} s_run_t;

//  What publishing to one deployment ended with.
typedef enum { S_OK, S_FAILED, S_CANCELLED } s_rc_t;

//  Redis scripts: record only on hashes that still exist.
//  KEYS: deployment hash. ARGV: status, message.
static edge_redis_script_t s_set_status = {
    .source = "if redis.call ('EXISTS', KEYS[1]) == 0 then return 0 end\n"
              "redis.call ('HSET', KEYS[1], 'status', ARGV[1], 'message', "
              "ARGV[2])\n"
              "return 1\n"};
//  KEYS: app hash. ARGV: error JSON, or "" to unlock.
static edge_redis_script_t s_set_lock = {
    .source =
        "if redis.call ('EXISTS', KEYS[1]) == 0 then return 0 end\n"
        "if ARGV[1] == '' then\n"
        "  redis.call ('HSET', KEYS[1], 'locked', '0')\n"
        "  redis.call ('HDEL', KEYS[1], 'error')\n"
        "else\n"
        "  redis.call ('HSET', KEYS[1], 'locked', '1', 'error', ARGV[1])\n"
        "end\n"
        "return 1\n"};


static bool
s_is_manifest (const char *key)
{
    size_t len = strlen (key);
    return len >= S_MANIFEST_LEN + 1
           && strcmp (key + len - S_MANIFEST_LEN, S_MANIFEST) == 0
           && key[len - S_MANIFEST_LEN - 1] == '/';
}


//  edge_store_list callback: append the object to the run.
static int
s_collect (const char *key, uint64_t size, void *arg)
{
    s_run_t *run = arg;
    if (run->count == run->cap) {
        run->cap = run->cap ? run->cap * 2 : 16;
        s_obj_t *objs = realloc (run->objs, run->cap * sizeof *objs);
        edge_assert (objs);
        run->objs = objs;
    }
    run->objs[run->count].key = edge_strdup (key);
    run->objs[run->count].size = size;
    run->count++;
    return 0;
}


//  List the depot directory prefix ("…/") into the run. Returns 0, or -1
//  with the job failed when it cannot be listed or has no manifest.
static int
s_list (s_run_t *run, edge_store_t *depot, const char *prefix, const char *what)
{
    size_t first = run->count;
    if (edge_store_list (depot, prefix, s_collect, run) != 0) {
        wk_job_fail (run->job, "deploy: cannot list the %s in the depot: %s",
                     what, edge_store_errstr (depot));
        return -1;
    }
    bool has_manifest = false;
    for (size_t i = first; i < run->count; i++)
        if (s_is_manifest (run->objs[i].key)
            && strlen (run->objs[i].key) == strlen (prefix) + S_MANIFEST_LEN)
            has_manifest = true;
    if (!has_manifest) {
        wk_job_fail (run->job, "deploy: the %s is not in the depot (no %s%s)",
                     what, prefix, S_MANIFEST);
        return -1;
    }
    return 0;
}


//  A build id parameter (1..9999), or -1.
static int
s_build_id (const json_t *value)
{
    if (!json_is_integer (value))
        return -1;
    json_int_t id = json_integer_value (value);
    return id >= 1 && id <= S_MAX_BUILD ? (int) id : -1;
}


//  Check the parameters and list the image and patches from the depot.
//  Returns 0, or -1 with the job failed.
static int
s_sources (s_run_t *run, edge_store_t *depot)
{
    wk_job_t *job = run->job;
    run->app = json_string_value (json_object_get (job->params, "appName"));
    run->dxf = json_string_value (json_object_get (job->params, "dxfName"));
    run->build = s_build_id (json_object_get (job->params, "buildId"));
    json_t *patches = json_object_get (job->params, "patches");
    if (!run->app || !edge_name_is_valid (run->app) || !run->dxf || !run->dxf[0]
        || strchr (run->dxf, '/') || run->build < 0
        || (patches && !json_is_array (patches))
        || json_array_size (patches) > S_MAX_PATCHES) {
        wk_job_fail (job, "deploy: \"appName\" (name), \"buildId\" (1..9999), "
                          "\"dxfName\" and \"patches\" (array) are required");
        return -1;
    }
    if (!job->org || !edge_name_is_valid (job->org)) {
        wk_job_fail (job, "deploy: the task needs an organization");
        return -1;
    }
    char *prefix = edge_sprintf ("dxf/%s/%s/%04d/%s/", job->org, run->app,
                                 run->build, run->dxf);
    int rc = s_list (run, depot, prefix, "image");
    free (prefix);
    size_t index;
    json_t *patch;
    json_array_foreach (patches, index, patch)
    {
        if (rc != 0)
            break;
        int from = s_build_id (json_object_get (patch, "fromBuildId"));
        if (from < 0 || from == run->build) {
            wk_job_fail (job,
                         "deploy: patches[%zu].fromBuildId must be "
                         "1..9999 and not the build itself",
                         index);
            return -1;
        }
        prefix = edge_sprintf ("pat/%s/%s/%04d/%04d/", job->org, run->app,
                               run->build, from);
        char what[64];
        snprintf (what, sizeof what, "patch from build %d", from);
        rc = s_list (run, depot, prefix, what);
        free (prefix);
    }
    return rc;
}


//  The deployment names: the app's list, or every deployment of the org.
//  Returns a JSON array (caller owns), or NULL with the job failed.
static json_t *
s_deployment_names (s_run_t *run)
{
    wk_job_t *job = run->job;
    redisReply *reply = edge_redis_command (
        job->redis, "HGET e:{%s}:app:%s deployments", job->org, run->app);
    json_t *names = NULL;
    if (reply && reply->type == REDIS_REPLY_STRING)
        names = json_loads (reply->str, 0, NULL);
    if (reply)
        freeReplyObject (reply);
    reply = edge_redis_command (job->redis, "EXISTS e:{%s}:app:%s", job->org,
                                run->app);
    bool is_app = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer;
    if (reply)
        freeReplyObject (reply);
    if (!is_app) {
        json_decref (names);
        wk_job_fail (job, "deploy: no such app %s (or Redis unreachable)",
                     run->app);
        return NULL;
    }
    if (names && !json_is_array (names))
        json_decref (names), names = NULL;
    if (names && json_array_size (names) > 0)
        return names;
    json_decref (names);
    reply = edge_redis_command (job->redis, "ZRANGE e:{%s}:deployments 0 -1",
                                job->org);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply)
            freeReplyObject (reply);
        wk_job_fail (job, "deploy: cannot read the deployments from Redis");
        return NULL;
    }
    names = json_array ();
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING)
            json_array_append_new (names, json_string (reply->element[i]->str));
    freeReplyObject (reply);
    return names;
}


//  Open the store of deployment name. Returns it (caller owns) with
//  *prefix set to its normalized originPrefix ("" or "a/b/"), or NULL with
//  why set.
static edge_store_t *
s_open (s_run_t *run, const char *name, char **prefix, char *why, size_t len)
{
    redisReply *reply = edge_redis_command (
        run->job->redis, "HGETALL e:{%s}:deployment:%s", run->job->org, name);
    edge_store_t *store = NULL;
    const char *kind = edge_redis_hash_field (reply, "kind");
    const char *origin = edge_redis_hash_field (reply, "originPrefix");
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        snprintf (why, len, "cannot read the deployment from Redis");
    else if (!kind)
        snprintf (why, len, "no such deployment");
    else if (strcmp (kind, "fs") == 0) {
        const char *path = edge_redis_hash_field (reply, "path");
        store = path ? edge_store_new_fs (path) : NULL;
        snprintf (why, len, "cannot open the fs origin %s", path ? path : "");
    }
    else if (strcmp (kind, "s3") == 0) {
        edge_store_s3_opts_t opts = {
            .endpoint = edge_redis_hash_field (reply, "endpoint"),
            .region = edge_redis_hash_field (reply, "region"),
            .bucket = edge_redis_hash_field (reply, "bucket"),
            .access_key_id = edge_redis_hash_field (reply, "accessKeyId"),
            .secret_access_key =
                edge_redis_hash_field (reply, "secretAccessKey")};
        store = edge_store_new_s3 (&opts);
        snprintf (why, len, "bad s3 origin settings");
    }
    else
        snprintf (why, len, "unknown deployment kind");
    //  "/a//b/" -> "a/b/": keys then have no empty segment
    const char *from = origin ? origin : "";
    *prefix = edge_calloc (1, strlen (from) + 2);
    for (char *to = *prefix; *from; from++)
        if (*from != '/' || (to > *prefix && to[-1] != '/'))
            *to++ = *from;
    size_t plen = strlen (*prefix);
    if (plen > 0 && (*prefix)[plen - 1] != '/')
        (*prefix)[plen] = '/';
    if (reply)
        freeReplyObject (reply);
    return store;
}


//  Copy one object to the store, skipping it when present with the same
//  size; up to WK_DEPLOY_TRIES tries. Returns S_OK (*copied set when
//  written), S_FAILED (why set) or S_CANCELLED.
static s_rc_t
s_copy (s_run_t *run,
        edge_store_t *store,
        const char *name,
        const char *key,
        const s_obj_t *obj,
        bool *copied,
        char *why,
        size_t len)
{
    char *src = edge_sprintf ("%s/%s", run->depot_root, obj->key);
    int64_t pause = s_conf.retry_ms;
    s_rc_t rc = S_FAILED;
    for (int attempt = 1; attempt <= WK_DEPLOY_TRIES; attempt++) {
        bool exists = false;
        uint64_t size = 0;
        if (edge_store_head (store, key, &exists, &size) == 0 && exists
            && size == obj->size) {
            *copied = false;
            rc = S_OK;
            break;
        }
        if (edge_store_put_file (store, key, src) == 0) {
            *copied = true;
            rc = S_OK;
            break;
        }
        snprintf (why, len, "cannot write %s: %s", key,
                  edge_store_errstr (store));
        edge_warn ("task %s: deployment %s: try %d of %d: %s", run->job->name,
                   name, attempt, WK_DEPLOY_TRIES, why);
        if (attempt < WK_DEPLOY_TRIES && !wk_job_sleep (run->job, pause)) {
            rc = S_CANCELLED;
            break;
        }
        pause *= 2;
    }
    free (src);
    if (rc == S_OK && *copied && s_conf.hook)
        s_conf.hook (name, key, s_conf.hook_arg);
    return rc;
}


//  Copy every object (segments first, manifests last, the image's very
//  last) under prefix. Returns S_OK, S_FAILED (why set) or S_CANCELLED.
static s_rc_t
s_publish (s_run_t *run,
           edge_store_t *store,
           const char *name,
           const char *prefix,
           char *why,
           size_t len)
{
    size_t copied = 0, skipped = 0;
    s_rc_t rc = S_OK;
    //  Pass 0: all but manifests, in order; pass 1: manifests, backwards
    for (size_t step = 0; step < 2 * run->count && rc == S_OK; step++) {
        bool is_pass1 = step >= run->count;
        const s_obj_t *obj =
            is_pass1 ? &run->objs[2 * run->count - 1 - step] : &run->objs[step];
        if (s_is_manifest (obj->key) != is_pass1)
            continue;
        if (wk_job_is_cancelled (run->job))
            return S_CANCELLED;
        char *key = edge_sprintf ("%s%s", prefix, obj->key);
        bool is_copied = false;
        rc = s_copy (run, store, name, key, obj, &is_copied, why, len);
        free (key);
        if (is_copied)
            copied++;
        else if (rc == S_OK)
            skipped++;
    }
    if (rc == S_OK)
        snprintf (why, len,
                  "published %s of build %04d: %zu files written, %zu "
                  "were already there",
                  run->dxf, run->build, copied, skipped);
    return rc;
}


//  Publish to deployment name and record its status. Returns S_OK (also
//  when it failed: then it is in run->failed) or S_CANCELLED.
static s_rc_t
s_deploy_one (s_run_t *run, const char *name)
{
    char why[512] = "";
    char *prefix = NULL;
    edge_store_t *store = s_open (run, name, &prefix, why, sizeof why);
    s_rc_t rc = store ? s_publish (run, store, name, prefix, why, sizeof why)
                      : S_FAILED;
    edge_store_destroy (&store);
    free (prefix);
    if (rc == S_CANCELLED)
        return rc;
    bool is_ok = rc == S_OK;
    json_array_append_new (is_ok ? run->succeeded : run->failed,
                           json_string (name));
    if (is_ok)
        edge_info ("task %s: deployment %s: %s", run->job->name, name, why);
    else
        edge_warn ("task %s: deployment %s failed: %s", run->job->name, name,
                   why);
    char *key = edge_sprintf ("e:{%s}:deployment:%s", run->job->org, name);
    const char *keys[] = {key};
    const char *args[] = {is_ok ? "ok" : "error", why};
    redisReply *reply =
        edge_redis_eval (run->job->redis, &s_set_status, 1, keys, 2, args);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        edge_warn ("task %s: cannot record the status of deployment %s",
                   run->job->name, name);
    if (reply)
        freeReplyObject (reply);
    free (key);
    return S_OK;
}


//  Lock the app with error (JSON text), or unlock it when error is "".
static void
s_lock (s_run_t *run, const char *error)
{
    char *key = edge_sprintf ("e:{%s}:app:%s", run->job->org, run->app);
    const char *keys[] = {key};
    const char *args[] = {error};
    redisReply *reply =
        edge_redis_eval (run->job->redis, &s_set_lock, 1, keys, 1, args);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        edge_warn ("task %s: cannot %s app %s", run->job->name,
                   error[0] ? "lock" : "unlock", run->app);
    if (reply)
        freeReplyObject (reply);
    free (key);
}


//  Fill the outcome from run->failed / run->succeeded.
static wk_job_rc_t
s_outcome (s_run_t *run, json_t *names)
{
    wk_job_t *job = run->job;
    if (json_array_size (run->failed) == 0) {
        s_lock (run, "");
        json_t *result =
            json_pack ("{s:s, s:O}", "dxfName", run->dxf, "deployments", names);
        job->result = json_dumps (result, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref (result);
        edge_info ("task %s: %s of app %s published to %zu deployments",
                   job->name, run->dxf, run->app, json_array_size (names));
        return WK_JOB_DONE;
    }
    json_t *error =
        json_pack ("{s:{s:O, s:O}}", "deployment", "failedDeployments",
                   run->failed, "succeededDeployments", run->succeeded);
    free (job->error);
    job->error = json_dumps (error, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (error);
    s_lock (run, job->error);
    return wk_job_fail (job, "deploy: %zu of %zu deployments failed",
                        json_array_size (run->failed), json_array_size (names));
}


void
wk_deploy_setup (const wk_deploy_opts_t *opts)
{
    edge_assert (opts && opts->store_url);
    free (s_conf.store_url);
    s_conf.store_url = edge_strdup (opts->store_url);
    s_conf.retry_ms = opts->retry_ms > 0 ? opts->retry_ms : 200;
    s_conf.is_set = true;
}


void
wk_deploy_cleanup (void)
{
    free (s_conf.store_url);
    memset (&s_conf, 0, sizeof s_conf);
}


void
wk_deploy_set_hook (wk_deploy_hook_fn *fn, void *arg)
{
    s_conf.hook = fn;
    s_conf.hook_arg = arg;
}


wk_job_rc_t
wk_deploy_run (wk_job_t *job)
{
    edge_assert (job && job->params);
    if (!s_conf.is_set)
        return wk_job_fail (job, "deploy: the worker has no depot settings");
    if (strncmp (s_conf.store_url, "file://", 7) != 0)
        return wk_job_fail (job, "deploy: the depot must be a file:// store");
    if (!job->redis)
        return wk_job_fail (job, "deploy: no Redis connection");
    s_run_t run = {.job = job, .depot_root = s_conf.store_url + 7};
    run.failed = json_array ();
    run.succeeded = json_array ();
    wk_job_rc_t rc = WK_JOB_FAILED;
    json_t *names = NULL;
    edge_store_t *depot = edge_store_new_fs (run.depot_root);
    if (!depot) {
        wk_job_fail (job, "deploy: cannot open the depot");
        goto cleanup;
    }
    if (s_sources (&run, depot) != 0 || !(names = s_deployment_names (&run)))
        goto cleanup;
    size_t index;
    json_t *name;
    json_array_foreach (names, index, name)
    {
        const char *text = json_string_value (name);
        if (text && s_deploy_one (&run, text) == S_CANCELLED) {
            edge_info ("task %s: deploy cancelled", job->name);
            rc = WK_JOB_CANCELLED;
            goto cleanup;
        }
    }
    rc = s_outcome (&run, names);
cleanup:
    edge_store_destroy (&depot);
    for (size_t i = 0; i < run.count; i++)
        free (run.objs[i].key);
    free (run.objs);
    json_decref (run.failed);
    json_decref (run.succeeded);
    json_decref (names);
    return rc;
}
