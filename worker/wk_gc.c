/*  wk_gc - e:gc:due and e:uploads:due sweeps of the reaper pass (see
    wk_gc.h).  */
#include "wk_gc.h"
#include "edge_assert.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_task.h"
#include "edge_util.h"
#include "wk_deploy.h"
#include "wk_depot.h"
#include "wk_lua.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_WHY       512
#define S_PARTS_MAX 64 //  part files of one tar deleted per pass

//  What sweeping one target (or one entry) ended with.
typedef enum {
    S_DONE,  //  nothing left under the prefixes
    S_MORE,  //  the budget ran out: go on in the next pass
    S_FAILED //  something could not be listed or deleted: why is set
} s_rc_t;

//  One pass.
typedef struct {
    edge_redis_t *redis;
    const wk_env_t *env; //  the depot's settings, or NULL
    int64_t now;      //  wall clock ms of the pass
    int64_t deadline; //  monotonic ms the pass should end by
    size_t keys_left; //  deletions left in this pass
    edge_store_t *depot;
    char **keys; //  one listing's keys
    size_t count, cap, limit;
    int deleted;          //  objects deleted for the current entry
    wk_gc_stats_t *stats; //  never NULL
} s_pass_t;


static bool
s_is_late (const s_pass_t *pass)
{
    return pass->keys_left == 0 || edge_mono_ms () >= pass->deadline;
}


//  The depot, opened once per pass. Borrowed, or NULL (logged).
static edge_store_t *
s_depot (s_pass_t *pass)
{
    if (!pass->depot)
        pass->depot = wk_depot_store (pass->env);
    return pass->depot;
}


//  Members of zset key due at pass->now, at most max. Returns the reply
//  (an array; caller frees) or NULL when Redis failed.
static redisReply *
s_due (s_pass_t *pass, const char *key, int max)
{
    redisReply *reply = edge_redis_command (
        pass->redis, "ZRANGE %s -inf %lld BYSCORE LIMIT 0 %d", key,
        (long long) pass->now, max);
    if (reply && reply->type == REDIS_REPLY_ARRAY)
        return reply;
    if (reply)
        edge_warn ("gc: cannot read %s: %s", key,
                   reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
    freeReplyObject (reply);
    return NULL;
}


//  Finish (is_done: ZREM and the deleted app's or deployment's marker,
//  worker/lua/gc_done.lua) or put off until now + WK_GC_RETRY_MS (only if
//  it is still there) the entry member of key, and count it in *count.
static void
s_settle (s_pass_t *pass,
          const char *key,
          const char *member,
          bool is_done,
          int *count)
{
    const char *keys[] = {key};
    const char *args[] = {member};
    redisReply *reply =
        is_done
            ? edge_redis_eval (pass->redis, &wk_lua_gc_done, 1, keys, 1, args)
            : edge_redis_command (pass->redis, "ZADD %s XX %lld %s", key,
                                  (long long) (pass->now + WK_GC_RETRY_MS),
                                  member);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        edge_warn ("gc: cannot update %s (the next pass does it again)", key);
    freeReplyObject (reply);
    (*count)++;
}


//  Fold the outcome rc of one sweep (failure: its why) into *worst, which
//  keeps the first failure in why. Returns true when rc is S_MORE.
static bool
s_fold (s_rc_t rc, const char *failure, s_rc_t *worst, char *why)
{
    if (rc == S_FAILED && *worst == S_DONE) {
        snprintf (why, S_WHY, "%s", failure);
        *worst = S_FAILED;
    }
    return rc == S_MORE;
}


//  edge_store_list callback: collect keys up to pass->limit.
static int
s_collect (const char *key, uint64_t size, void *arg)
{
    (void) size;
    s_pass_t *pass = arg;
    pass->keys = edge_grow (pass->keys, &pass->cap, pass->count + 1, 64,
                            sizeof *pass->keys);
    pass->keys[pass->count++] = edge_strdup (key);
    return pass->count < pass->limit ? 0 : -1;
}


//  Delete every key under prefix in store (where names it in why).
static s_rc_t
s_sweep (s_pass_t *pass,
         edge_store_t *store,
         const char *prefix,
         const char *where,
         char *why)
{
    if (s_is_late (pass))
        return S_MORE;
    pass->count = 0;
    pass->limit = pass->keys_left;
    bool is_partial = false; //  the listing stopped at the limit
    s_rc_t rc = S_DONE;
    if (edge_store_list (store, prefix, s_collect, pass) != 0) {
        is_partial = edge_store_err (store) == EDGE_ERR_OK;
        if (!is_partial) {
            snprintf (why, S_WHY, "%s: cannot list %s: %s", where, prefix,
                      edge_store_errstr (store));
            rc = S_FAILED;
        }
    }
    for (size_t i = 0; i < pass->count && rc == S_DONE; i++) {
        if (i > 0 && s_is_late (pass)) {
            is_partial = true;
            break;
        }
        if (edge_store_delete (store, pass->keys[i]) != 0) {
            snprintf (why, S_WHY, "%s: cannot delete %s: %s", where,
                      pass->keys[i], edge_store_errstr (store));
            rc = S_FAILED;
            break;
        }
        pass->keys_left--;
        pass->deleted++;
    }
    for (size_t i = 0; i < pass->count; i++)
        free (pass->keys[i]);
    pass->count = 0;
    return rc == S_DONE && is_partial ? S_MORE : rc;
}


//  True when prefix is <kind>/<org>/<app>/... with a known kind, ends with
//  '/' and makes valid store keys.
static bool
s_prefix_is_valid (const char *prefix, const char *org, const char *app)
{
    static const char *const kinds[] = {"dxf", "pat", "traces", "builds"};
    size_t len = strlen (prefix);
    if (len == 0 || prefix[len - 1] != '/')
        return false;
    char *probe = edge_sprintf ("%sx", prefix);
    bool is_valid = edge_store_key_is_valid (probe);
    free (probe);
    bool is_known = false;
    for (size_t i = 0; i < EDGE_COUNT (kinds) && is_valid; i++) {
        char *base = edge_sprintf ("%s/%s/%s/", kinds[i], org, app);
        is_known = is_known || strncmp (prefix, base, strlen (base)) == 0;
        free (base);
    }
    return is_valid && is_known;
}


//  Sweep every prefix in store; remembers the first failure.
static s_rc_t
s_sweep_all (s_pass_t *pass,
             edge_store_t *store,
             const char *origin,
             const json_t *prefixes,
             const char *where,
             char *why)
{
    s_rc_t worst = S_DONE;
    size_t index;
    const json_t *prefix;
    json_array_foreach (prefixes, index, prefix)
    {
        char *full = edge_sprintf ("%s%s", origin, json_string_value (prefix));
        char failure[S_WHY];
        s_rc_t rc = s_sweep (pass, store, full, where, failure);
        free (full);
        if (s_fold (rc, failure, &worst, why))
            return S_MORE;
    }
    return worst;
}


//  Sweep the prefixes in deployment name of org (skipped when it no longer
//  exists).
static s_rc_t
s_sweep_deployment (s_pass_t *pass,
                    const char *org,
                    const char *name,
                    const json_t *prefixes,
                    char *why)
{
    char *origin = NULL, where[128], failure[256];
    bool is_missing = false;
    snprintf (where, sizeof where, "deployment %s", name);
    edge_store_t *store = wk_deploy_open (pass->redis, org, name, &origin,
                                          &is_missing, failure, sizeof failure);
    s_rc_t rc = S_DONE;
    if (store) {
        if (strcmp (edge_store_kind (store), "s3") == 0) {
            edge_store_set_connect_timeout (store, WK_GC_CONNECT_MS);
            edge_store_set_timeout (store, WK_GC_REQUEST_MS);
        }
        rc = s_sweep_all (pass, store, origin, prefixes, where, why);
    }
    else if (!is_missing) {
        snprintf (why, S_WHY, "%s: %s", where, failure);
        rc = S_FAILED;
    }
    edge_store_destroy (&store);
    free (origin);
    return rc;
}


//  Sweep the prefixes in every deployment of org/app, then in the depot.
static s_rc_t
s_sweep_targets (s_pass_t *pass,
                 const char *org,
                 const char *app,
                 const json_t *prefixes,
                 char *why)
{
    json_t *names = wk_deploy_targets (pass->redis, org, app);
    if (!names) {
        snprintf (why, S_WHY, "cannot read the deployments from Redis");
        return S_FAILED;
    }
    s_rc_t worst = S_DONE, rc = S_DONE;
    char failure[S_WHY];
    size_t index;
    json_t *name;
    json_array_foreach (names, index, name)
    {
        if (!json_is_string (name))
            continue;
        rc = s_sweep_deployment (pass, org, json_string_value (name), prefixes,
                                 failure);
        if (s_fold (rc, failure, &worst, why))
            break;
    }
    json_decref (names);
    if (rc == S_MORE)
        return S_MORE;
    edge_store_t *depot = s_depot (pass);
    snprintf (failure, sizeof failure, "no depot");
    rc = depot ? s_sweep_all (pass, depot, "", prefixes, "depot", failure)
               : S_FAILED;
    return s_fold (rc, failure, &worst, why) ? S_MORE : worst;
}


//  A deployment name: 2..50 of [A-Za-z0-9_[]] (architecture §5).
static bool
s_deployment_is_valid (const char *name)
{
    size_t len = strlen (name);
    return len >= 2 && len <= 50
           && strspn (name,
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789_[]")
                  == len;
}


//  A deleted deployment's prefix: exactly dxf/<org>/ or pat/<org>/.
static bool
s_org_prefix_is_valid (const char *prefix, const char *org)
{
    char *dxf = edge_sprintf ("dxf/%s/", org),
         *pat = edge_sprintf ("pat/%s/", org);
    bool is_valid = strcmp (prefix, dxf) == 0 || strcmp (prefix, pat) == 0;
    free (dxf);
    free (pat);
    return is_valid;
}


//  One e:gc:due entry: {"org","app","prefixes"} (files of an app: the
//  depot and every deployment of the app), or {"org","deployment",
//  "prefixes"} (a deleted deployment: the org's files on that origin,
//  whose settings wait in e:{org}:deployment:<name>:deleting). A
//  malformed one is dropped (S_DONE, logged).
static s_rc_t
s_entry (s_pass_t *pass, const char *member, char *why)
{
    json_t *doc = json_loads (member, 0, NULL);
    const char *org = json_string_value (json_object_get (doc, "org"));
    const char *app = json_string_value (json_object_get (doc, "app"));
    const char *dep = json_string_value (json_object_get (doc, "deployment"));
    json_t *given = json_object_get (doc, "prefixes");
    json_t *prefixes = json_array ();
    s_rc_t rc = S_DONE;
    if (!org || !edge_name_is_valid (org) || !json_is_array (given)
        || !app == !dep || (app && !edge_name_is_valid (app))
        || (dep && !s_deployment_is_valid (dep))) {
        edge_warn ("gc: malformed entry dropped: %.200s", member);
        goto cleanup;
    }
    const char *target = app ? app : dep;
    size_t index;
    json_t *prefix;
    json_array_foreach (given, index, prefix)
    {
        const char *text = json_string_value (prefix);
        if (text
            && (app ? s_prefix_is_valid (text, org, app)
                    : s_org_prefix_is_valid (text, org)))
            json_array_append (prefixes, prefix);
        else
            edge_warn ("gc: %s/%s: refused prefix %.200s", org, target,
                       text ? text : "(not a string)");
    }
    pass->deleted = 0;
    if (app)
        rc = s_sweep_targets (pass, org, app, prefixes, why);
    else {
        //  wk_deploy_open reads e:{org}:deployment:<name>: the settings
        //  wait under <name>:deleting
        char *held = edge_sprintf ("%s:deleting", dep);
        rc = s_sweep_deployment (pass, org, held, prefixes, why);
        free (held);
    }
    pass->stats->deleted += pass->deleted;
    if (rc == S_DONE)
        edge_info ("gc: %s/%s: %zu prefixes collected, %d objects deleted", org,
                   target, json_array_size (prefixes), pass->deleted);
    else if (rc == S_FAILED)
        edge_warn ("gc: %s/%s: %s; tried again in %d s", org, target, why,
                   WK_GC_RETRY_MS / 1000);
cleanup:
    json_decref (prefixes);
    json_decref (doc);
    return rc;
}


//  The e:gc:due sweep. Returns 0, or -1 when Redis failed.
static int
s_collect_due (s_pass_t *pass)
{
    redisReply *due = s_due (pass, EDGE_KEY_GC_DUE, WK_GC_ENTRIES_MAX);
    if (!due)
        return -1;
    for (size_t i = 0; i < due->elements && !s_is_late (pass); i++) {
        if (due->element[i]->type != REDIS_REPLY_STRING)
            continue;
        const char *member = due->element[i]->str;
        char why[S_WHY] = "";
        s_rc_t rc = s_entry (pass, member, why);
        if (rc == S_MORE) {
            edge_info ("gc: pass budget used up, %d objects deleted; the "
                       "next pass goes on",
                       pass->deleted);
            break; //  stays due: the next pass goes on
        }
        s_settle (pass, EDGE_KEY_GC_DUE, member, rc == S_DONE,
                  rc == S_DONE ? &pass->stats->collected
                               : &pass->stats->retried);
    }
    freeReplyObject (due);
    return 0;
}


//  Delete the part files a PUT left beside the tar (the gateway writes
//  <tarKey>.part-<attempt> in the depot): every name in the tar's
//  directory that starts with exactly "<tar>.part-". Returns 0, or -1
//  with why set.
static int
s_delete_parts (s_pass_t *pass, edge_store_t *depot, const char *tar, char *why)
{
    char *prefix = edge_sprintf ("%s.part-", tar);
    size_t len = strlen (prefix);
    pass->count = 0;
    pass->limit = S_PARTS_MAX;
    int rc = edge_store_list (depot, prefix, s_collect, pass) != 0
                     && edge_store_err (depot) != EDGE_ERR_OK
                 ? -1
                 : 0;
    if (rc != 0)
        snprintf (why, S_WHY, "cannot list %s*: %s", prefix,
                  edge_store_errstr (depot));
    for (size_t i = 0; i < pass->count && rc == 0; i++) {
        const char *key = pass->keys[i];
        if (strncmp (key, prefix, len) != 0 || strchr (key + len, '/'))
            continue; //  not in the tar's directory
        if (edge_store_delete (depot, key) != 0) {
            snprintf (why, S_WHY, "cannot delete %s: %s", key,
                      edge_store_errstr (depot));
            rc = -1;
        }
        else
            pass->stats->deleted++;
    }
    for (size_t i = 0; i < pass->count; i++)
        free (pass->keys[i]);
    pass->count = 0;
    free (prefix);
    return rc;
}


//  Delete the expired upload's tar, its unfinished write (part: an S3
//  multipart upload's id or an fs part name, may be "") and its part
//  files. Returns S_DONE or S_FAILED (why set).
static s_rc_t
s_delete_tar (s_pass_t *pass,
              const char *task,
              const char *org,
              const char *tar,
              const char *part,
              char *why)
{
    char *base = edge_sprintf ("builds/%s/", org);
    bool is_ours = tar[0] && edge_name_is_valid (org)
                   && strncmp (tar, base, strlen (base)) == 0
                   && edge_store_key_is_valid (tar);
    free (base);
    if (!tar[0])
        return S_DONE;
    if (!is_ours) {
        edge_warn ("gc: upload task %s: tar key %.200s refused", task, tar);
        return S_DONE;
    }
    edge_store_t *depot = s_depot (pass);
    if (!depot || edge_store_delete (depot, tar) != 0) {
        snprintf (why, S_WHY, "cannot delete %s: %s", tar,
                  depot ? edge_store_errstr (depot) : "no depot");
        return S_FAILED;
    }
    pass->stats->deleted++;
    if (part[0] && edge_store_upload_abort (depot, tar, part) == 0)
        pass->stats->deleted++;
    else if (part[0])
        edge_warn ("gc: upload task %s: cannot abort the unfinished write of "
                   "%s: %s",
                   task, tar, edge_store_errstr (depot));
    return s_delete_parts (pass, depot, tar, why) == 0 ? S_DONE : S_FAILED;
}


//  A waiting task whose upload record is committed, past its expiresMs:
//  the gateway commits, then enqueues in a second call. Within
//  WK_GC_RETRY_MS of expiresMs that call may still be on its way: put off.
//  Later it never came (the gateway died in between, or Redis failed it):
//  enqueue the task as it would have, since the client can no longer
//  commit again. Returns S_DONE (entry finished), S_MORE (put off) or
//  S_FAILED (Redis failed).
static s_rc_t
s_committed (s_pass_t *pass, const char *task, const char *expires)
{
    long long expires_ms = expires ? strtoll (expires, NULL, 10) : 0;
    if (pass->now < expires_ms + WK_GC_RETRY_MS)
        return S_MORE;
    edge_err_t rc = edge_task_enqueue (
        pass->redis, task, NULL, "upload committed; queued by the reaper");
    if (rc == EDGE_ERR_OK) {
        pass->stats->enqueued++;
        edge_warn ("gc: upload task %s was committed but never queued: "
                   "queued now",
                   task);
    }
    return rc == EDGE_ERR_OK || rc == EDGE_ERR_GONE ? S_DONE : S_FAILED;
}


//  One e:uploads:due task. Returns 0, or -1 when Redis failed.
static int
s_upload (s_pass_t *pass, const char *task)
{
    char now_iso[32], now_ms[24], receiving_ms[24];
    edge_rfc3339 (pass->now, now_iso, sizeof now_iso);
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) pass->now);
    snprintf (receiving_ms, sizeof receiving_ms, "%d", WK_GC_RECEIVING_MS);
    char *task_key = edge_key_task (task);
    const char *keys[] = {task_key, EDGE_KEY_TASKS_QUEUED,
                          EDGE_KEY_TASKS_LEASES, EDGE_KEY_EVENTS};
    const char *args[] = {now_iso, WK_GC_MESSAGE, task, now_ms, receiving_ms};
    redisReply *reply =
        edge_redis_eval (pass->redis, &wk_lua_gc_expire, 4, keys, 5, args);
    free (task_key);
    const char *status = edge_redis_script_status (reply);
    if (!status) {
        edge_warn ("gc: cannot expire upload task %s: %s", task,
                   reply && reply->type == REDIS_REPLY_ERROR ? reply->str
                                                             : "no answer");
        freeReplyObject (reply);
        return -1;
    }
    s_rc_t rc = S_DONE;
    char why[S_WHY] = "";
    if (strcmp (status, "expired") == 0 && reply->elements == 5) {
        const char *tar = reply->element[1]->str;
        const char *org = reply->element[2]->str;
        const char *part = reply->element[4]->str;
        bool is_fresh = strcmp (reply->element[3]->str, "1") == 0;
        rc = s_delete_tar (pass, task, org ? org : "", tar ? tar : "",
                           part ? part : "", why);
        if (is_fresh)
            pass->stats->expired++;
        if (is_fresh)
            edge_info ("gc: upload task %s expired, never committed", task);
    }
    else if (strcmp (status, "receiving") == 0)
        rc = S_MORE; //  a PUT begun in time is still receiving
    else if (strcmp (status, "committed") == 0 && reply->elements == 2)
        rc = s_committed (pass, task, reply->element[1]->str);
    if (rc == S_FAILED && why[0])
        edge_warn ("gc: upload task %s: %s; tried again in %d s", task, why,
                   WK_GC_RETRY_MS / 1000);
    s_settle (pass, EDGE_KEY_UPLOADS_DUE, task, rc == S_DONE,
              rc == S_DONE   ? &pass->stats->uploads
              : rc == S_MORE ? &pass->stats->deferred
                             : &pass->stats->retried);
    freeReplyObject (reply);
    return 0;
}


//  The e:uploads:due sweep. Returns 0, or -1 when Redis failed.
static int
s_expire_due (s_pass_t *pass)
{
    redisReply *due = s_due (pass, EDGE_KEY_UPLOADS_DUE, WK_GC_UPLOADS_MAX);
    if (!due)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < due->elements && rc == 0 && !s_is_late (pass); i++)
        if (due->element[i]->type == REDIS_REPLY_STRING)
            rc = s_upload (pass, due->element[i]->str);
    freeReplyObject (due);
    return rc;
}


int
wk_gc_pass (edge_redis_t *redis,
            const wk_env_t *env,
            int64_t now_ms,
            int64_t budget_ms,
            size_t max_keys,
            wk_gc_stats_t *stats)
{
    edge_assert (redis && budget_ms > 0);
    wk_gc_stats_t ignored;
    s_pass_t pass = {.redis = redis,
                     .env = env,
                     .now = now_ms,
                     .deadline = edge_mono_ms () + budget_ms,
                     .keys_left = max_keys ? max_keys : WK_GC_KEYS_MAX,
                     .stats = stats ? stats : &ignored};
    memset (pass.stats, 0, sizeof *pass.stats);
    int rc = s_expire_due (&pass);
    if (rc == 0)
        rc = s_collect_due (&pass);
    edge_store_destroy (&pass.depot);
    free (pass.keys);
    return rc;
}
