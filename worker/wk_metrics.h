/*  wk_metrics - the worker's metrics, process-wide: tasks started and
    ended by type, task durations, bytes downloaded (dltar), built (mkraw)
    and published (deploy), and the slots. wk_metrics_setup declares the
    families once, before any slot thread starts; every other function may
    then be called from any thread (the registry is thread-safe) and is a
    no-op without a setup (tests).

    Task types outside the task table (wk_task) count as "other", so the
    label has a bounded set of values.  */
#ifndef WK_METRICS_H_INCLUDED
#define WK_METRICS_H_INCLUDED
#include "edge_metrics.h"
#include <stddef.h>
#include <stdint.h>

//  Declare the worker's families in registry (borrowed: must outlive every
//  call until wk_metrics_cleanup), with a series per known task type.
void wk_metrics_setup (edge_metrics_t *registry);
//  Forget the registry (functions are no-ops again).
void wk_metrics_cleanup (void);
//  A task of type was claimed and its handler starts.
void wk_metrics_task_started (const char *type);
//  A task of type ended after seconds with state "succeeded", "failed" or
//  "released" (stopped, or its outcome could not be recorded).
void
wk_metrics_task_ended (const char *type, const char *state, double seconds);
//  Bytes received from a build's URL and written to scratch (dltar).
void wk_metrics_downloaded (uint64_t bytes);
//  Bytes of images and patches written to the depot (mkraw).
void wk_metrics_built (uint64_t bytes);
//  Bytes copied to deployments (deploy; objects already there not counted).
void wk_metrics_published (uint64_t bytes);
//  Slots running a task, idle slots, and jobs waiting for a slot.
void wk_metrics_slots (size_t running, size_t free, size_t backlog);
#endif
