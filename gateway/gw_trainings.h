/*  gw_trainings - trace processing per app: the training settings and
    figures (GET/PATCH /be/v1/trainings, GET /be/v1/trainings/{appName})
    and starting trace processing, an mkraw task in mode "traces" for the
    app's current build (POST /be/v1/trigger {"appName"}, and
    automatically after every autoProcessEvery new traces).

    Redis (O = org, a = app; architecture §3):
    - e:{O}:training:<a>         hash: settings nTracesReliable (10),
                                 bandwidthBps (100000000), percentile (90),
                                 improvementThreshold (0.05),
                                 autoProcessEvery (0 = off), absent =
                                 default; figures written by mkraw
                                 (lastProcessed, lastTaskName, tracesUsed,
                                 before, after, buildChanged); and, written
                                 here, processingTask (the last processing
                                 task, or "reserved:<hex>" while one is
                                 being created, until processingUntil ms),
                                 triggerBuildId and tracesAtTrigger (the
                                 current build's trace count when it was
                                 started: auto processing counts new traces
                                 from there).
    - e:{O}:app:<a>:traces       zset traceId -> created ms (gw_traces)
    - e:{O}:app:<a>:tracecounts  hash buildId -> traces of that build
    Only one processing task of an app is queued or running at a time.  */
#ifndef GW_TRAININGS_H_INCLUDED
#define GW_TRAININGS_H_INCLUDED
#include "edge_err.h"
#include "edge_task.h"
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"
#include <stdbool.h>
#include <stdint.h>

#define GW_TRAININGS_DEFAULT_RELIABLE 10

//  What gw_trainings_process found out. A plain value.
typedef struct {
    char task[EDGE_TASK_NAME_MAX]; //  OK: the new task; PROCESSING_BUSY: the
                                   //  busy one
    int64_t build_id;              //  the current build
    int64_t traces;                //  traces of the current build
    int64_t needed;                //  nTracesReliable
} gw_trainings_outcome_t;

//  Start trace processing of app (org's) for its current build: checks
//  and reserves in one script, creates the mkraw task (params {"appName",
//  "mode":"traces","buildId","dxfName"}, buildName and dxfName of the
//  build), sends the job. With is_auto, only when autoProcessEvery new
//  traces of the current build arrived since the last start. identity is
//  the audit identity. Fills out. Returns EDGE_ERR_OK (the task was
//  created and sent), SKIPPED (is_auto: not due), NOT_FOUND (no such
//  app), NO_BUILD (no current build), APP_LOCKED (by a failed deploy),
//  NOT_ENOUGH_TRACES (fewer than nTracesReliable), PROCESSING_BUSY (a
//  processing task is queued or running) or REDIS.
edge_err_t gw_trainings_process (gw_thread_t *thread,
                                 const char *org,
                                 const char *app,
                                 const char *identity,
                                 bool is_auto,
                                 gw_trainings_outcome_t *out);
//  POST /be/v1/trigger {"appName"}: gw_trainings_process answered as
//  202 {"taskName","group"}, 404, 409 (no_build, app_locked,
//  not_enough_traces, processing_busy) or 503.
void gw_trainings_trigger (gw_req_t *req, gw_thread_t *thread, const char *app);

//  GET /be/v1/trainings: offset, limit, order[], fields[] over the org's
//  apps; items {"appName","iCurBuild","dxfName","traces",
//  "tracesCurrentBuild", the five settings, "lastProcessed",
//  "lastTaskName","tracesUsed","before","after","preloadBytes","quality",
//  "processingTask"}.
void
gw_trainings_list (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /be/v1/trainings/{appName}: one item; unknown app 404.
void gw_trainings_get (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  PATCH /be/v1/trainings {"appName", settings...}: each setting within
//  its bounds, null resets it to its default. 200 with the item.
void
gw_trainings_patch (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
