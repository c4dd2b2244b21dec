/*  wk_metrics - the worker's families, kept in one static struct that is
    written by wk_metrics_setup before the slot threads start and only read
    afterwards.  */
#include "wk_metrics.h"
#include "edge_assert.h"
#include "edge_util.h"
#include "wk_task.h"
#include <string.h>

static const double s_duration_bounds[] = {.005, .01, .025, .05, .1,   .25,
                                           .5,   1,   2.5,  5,   10,   30,
                                           60,   120, 300,  600, 1800, 3600};

static struct {
    edge_metrics_family_t *started;   //  {type}
    edge_metrics_family_t *succeeded; //  {type}
    edge_metrics_family_t *failed;    //  {type}
    edge_metrics_family_t *released;  //  {type}
    edge_metrics_family_t *duration;  //  {type}
    edge_metrics_series_t *downloaded;
    edge_metrics_series_t *built;
    edge_metrics_series_t *published;
    edge_metrics_series_t *running;
    edge_metrics_series_t *free;
    edge_metrics_series_t *backlog;
} s_metrics;


//  The label value of a task type: itself when it is a task type.
static const char *
s_type (const char *type)
{
    return wk_task_find (type) ? type : "other";
}


static edge_metrics_family_t *
s_by_type (edge_metrics_t *registry, const char *name, const char *help)
{
    return edge_metrics_counter (registry, name, "type", help);
}


void
wk_metrics_setup (edge_metrics_t *registry)
{
    edge_assert (registry);
    s_metrics.started = s_by_type (registry, "edge_worker_tasks_started_total",
                                   "Tasks claimed whose handler started.");
    s_metrics.succeeded =
        s_by_type (registry, "edge_worker_tasks_succeeded_total",
                   "Tasks that succeeded (outcome recorded).");
    s_metrics.failed = s_by_type (registry, "edge_worker_tasks_failed_total",
                                  "Task attempts that failed (outcome "
                                  "recorded).");
    s_metrics.released = s_by_type (
        registry, "edge_worker_tasks_released_total",
        "Tasks stopped (lease lost, shutdown) or whose outcome could not be "
        "recorded: they run again.");
    s_metrics.duration = edge_metrics_histogram (
        registry, "edge_worker_task_duration_seconds", "type",
        "Time from a task's claim to its recorded outcome.", s_duration_bounds,
        EDGE_COUNT (s_duration_bounds));
    for (size_t i = 0; wk_task_type (i); i++) {
        const char *type = wk_task_type (i);
        edge_metrics_series (s_metrics.started, type);
        edge_metrics_series (s_metrics.succeeded, type);
        edge_metrics_series (s_metrics.failed, type);
        edge_metrics_series (s_metrics.released, type);
        edge_metrics_series (s_metrics.duration, type);
    }
    s_metrics.downloaded = edge_metrics_series (edge_metrics_counter (
        registry, "edge_worker_bytes_downloaded_total", NULL,
        "Bytes of builds downloaded from their URL (dltar)."));
    s_metrics.built = edge_metrics_series (edge_metrics_counter (
        registry, "edge_worker_bytes_built_total", NULL,
        "Bytes of images and patches written to the depot (mkraw)."));
    s_metrics.published = edge_metrics_series (
        edge_metrics_counter (registry, "edge_worker_bytes_published_total",
                              NULL, "Bytes copied to deployments (deploy)."));
    s_metrics.running = edge_metrics_series (edge_metrics_gauge (
        registry, "edge_worker_slots_running", NULL, "Slots running a task."));
    s_metrics.free = edge_metrics_series (edge_metrics_gauge (
        registry, "edge_worker_slots_free", NULL, "Idle slots."));
    s_metrics.backlog = edge_metrics_series (
        edge_metrics_gauge (registry, "edge_worker_backlog_jobs", NULL,
                            "Jobs received while every slot was busy."));
}


void
wk_metrics_cleanup (void)
{
    memset (&s_metrics, 0, sizeof s_metrics);
}


void
wk_metrics_task_started (const char *type)
{
    if (s_metrics.started)
        edge_metrics_add (
            edge_metrics_series (s_metrics.started, s_type (type)), 1);
}


void
wk_metrics_task_ended (const char *type, const char *state, double seconds)
{
    if (!s_metrics.started)
        return;
    edge_metrics_family_t *family = NULL;
    if (strcmp (state, "succeeded") == 0)
        family = s_metrics.succeeded;
    else if (strcmp (state, "failed") == 0)
        family = s_metrics.failed;
    else if (strcmp (state, "released") == 0)
        family = s_metrics.released;
    if (family)
        edge_metrics_add (edge_metrics_series (family, s_type (type)), 1);
    edge_metrics_observe (
        edge_metrics_series (s_metrics.duration, s_type (type)), seconds);
}


void
wk_metrics_downloaded (uint64_t bytes)
{
    edge_metrics_add (s_metrics.downloaded, (double) bytes);
}


void
wk_metrics_built (uint64_t bytes)
{
    edge_metrics_add (s_metrics.built, (double) bytes);
}


void
wk_metrics_published (uint64_t bytes)
{
    edge_metrics_add (s_metrics.published, (double) bytes);
}


void
wk_metrics_slots (size_t running, size_t free, size_t backlog)
{
    edge_metrics_set (s_metrics.running, (double) running);
    edge_metrics_set (s_metrics.free, (double) free);
    edge_metrics_set (s_metrics.backlog, (double) backlog);
}
