/*  wk_gc - garbage collection of published files and of uploads that were
    never committed, run by the reaper pass (under its lock, so one worker
    at a time) with bounded work per pass.

    Published files: e:gc:due is a zset whose members are JSON {"org",
    "app","prefixes":[...]} scored by the ms they are due (written by the
    deploy task's success and by app DELETE). For a due entry every key
    under each prefix is deleted in every deployment of the app (or of the
    org when the app has none or no longer exists; a deployment that no
    longer exists is skipped), under its originPrefix, and in the depot;
    then the entry is removed. A prefix must be one of dxf/, pat/, traces/,
    builds/ followed by <org>/<app>/ of the entry: anything else is refused
    (logged), so that a bad entry can never delete another app's files.
    An entry that fails (a deployment unreachable, a delete refused) stays
    and is tried again WK_GC_RETRY_MS later; one cut short by the pass's
    budget stays due and goes on in the next pass (deleting is idempotent).

    Uploads: e:uploads:due is a zset task name -> expiresMs. A task still
    `waiting` past that time becomes `expired` (one Lua script,
    worker/lua/gc_expire.lua: state, finished, message "upload expired,
    never committed", an `error` event) and so does its upload record (the
    task hash's field "uploadKey", e:upload:<sha256 hex of the token>, as
    gw_builds writes it, when that record names this task); the tar (params
    "tarKey", else the record's) and the part files a PUT left beside it
    (<tarKey>.part-*, same directory) are deleted from the depot, then the
    entry is removed. A task expired earlier (PATCH /be/v1/tasks) is cleaned
    the same way; a task in any other state (the upload was committed) or
    gone only loses its entry. Put off by WK_GC_RETRY_MS instead (entry
    kept): a record still `receiving` whose touchedMs is less than
    WK_GC_RECEIVING_MS old (a PUT begun in time may finish; once it no
    longer receives, a later pass expires it), and a waiting task whose
    record is already `committed` (the gateway commits, then enqueues in a
    second call): when that is still so WK_GC_RETRY_MS past expiresMs, the
    second call never came and the pass enqueues the task itself
    (edge_task_enqueue).

    The depot is the one of the worker's wk_env; deployments are opened
    with wk_deploy_open.  */
#ifndef WK_GC_H_INCLUDED
#define WK_GC_H_INCLUDED
#include "edge_redis.h"
#include "wk_env.h"
#include <stddef.h>
#include <stdint.h>

#define WK_GC_ENTRIES_MAX  16     //  e:gc:due entries looked at per pass
#define WK_GC_UPLOADS_MAX  100    //  uploads looked at per pass
#define WK_GC_KEYS_MAX     1000   //  objects deleted per pass
#define WK_GC_RETRY_MS     60000  //  a failed entry is tried again this later
#define WK_GC_CONNECT_MS   1000   //  connect timeout towards S3 origins
#define WK_GC_REQUEST_MS   5000   //  a whole S3 request (list, delete)
#define WK_GC_RECEIVING_MS 120000 //  a PUT touched this recently may finish
#define WK_GC_MESSAGE      "upload expired, never committed"

//  What one pass did.
typedef struct {
    int collected; //  e:gc:due entries finished and removed
    int expired;   //  upload tasks this pass moved to expired
    int uploads;   //  e:uploads:due entries finished and removed
    int retried;   //  entries that failed and were put off
    int deferred;  //  uploads put off: still receiving, or committed
    int enqueued;  //  committed uploads the gateway never queued
    int deleted;   //  objects deleted (depot and deployments)
} wk_gc_stats_t;

//  One pass at now_ms (wall clock) over the depot of env (borrowed; NULL:
//  no depot), working at most about budget_ms and max_keys deletions (0:
//  WK_GC_KEYS_MAX). stats (may be NULL) gets what it did. Returns 0, or
//  -1 when Redis failed (the next pass goes on).
int wk_gc_pass (edge_redis_t *redis,
                const wk_env_t *env,
                int64_t now_ms,
                int64_t budget_ms,
                size_t max_keys,
                wk_gc_stats_t *stats);
#endif
