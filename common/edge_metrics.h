/*  edge_metrics - a thread-safe registry of Prometheus metrics (counters,
    gauges and histograms) and its text exposition, format 0.0.4.

    A family is declared once, at start, with a fixed list of label names.
    Its series are addressed by label values and created at 0 on first use
    (declare them up front with edge_metrics_series so that they render 0
    before anything happened). One mutex guards the registry: an update
    holds it for a few instructions, so any thread may update while another
    renders. Families without a series are not rendered.

    Label values must come from a bounded set (a task type, an outcome),
    never from user input: a family holds at most EDGE_METRICS_SERIES_MAX
    series, and edge_metrics_series returns NULL beyond (updates of a NULL
    series are dropped).  */
#ifndef EDGE_METRICS_H_INCLUDED
#define EDGE_METRICS_H_INCLUDED
#include <stddef.h>

#define EDGE_METRICS_LABELS_MAX  4  //  label names per family
#define EDGE_METRICS_SERIES_MAX  64 //  series per family
#define EDGE_METRICS_BUCKETS_MAX 32 //  histogram bounds (+Inf implied)

typedef struct edge_metrics edge_metrics_t;
typedef struct edge_metrics_family edge_metrics_family_t;
typedef struct edge_metrics_series edge_metrics_series_t;

//  Called at the start of every render, on the rendering thread, without
//  the registry's lock: it may update series (e.g. mirror a counter kept
//  elsewhere). It must be thread-safe.
typedef void (edge_metrics_collect_fn) (edge_metrics_t *self, void *arg);

//  Create an empty registry. Caller owns the result.
edge_metrics_t *edge_metrics_new (void);
//  Destroy the registry with its families and series, nullify the caller's
//  reference; NULL-safe.
void edge_metrics_destroy (edge_metrics_t **self_p);

//  Declare a counter family. name is a metric name ending in _total,
//  labels a comma-separated list of label names ("" or NULL for none), help
//  one line; all are copied. A malformed or duplicate name is a bug
//  (asserts). Returns the family. Borrowed: valid until the registry is
//  destroyed.
edge_metrics_family_t *edge_metrics_counter (edge_metrics_t *self,
                                             const char *name,
                                             const char *labels,
                                             const char *help);
//  Declare a gauge family, as edge_metrics_counter (any metric name).
edge_metrics_family_t *edge_metrics_gauge (edge_metrics_t *self,
                                           const char *name,
                                           const char *labels,
                                           const char *help);
//  Declare a histogram family, as edge_metrics_gauge, with nbounds
//  (1..EDGE_METRICS_BUCKETS_MAX) finite upper bounds in increasing order
//  (copied; +Inf is implied). "le" is not a valid label name here.
edge_metrics_family_t *edge_metrics_histogram (edge_metrics_t *self,
                                               const char *name,
                                               const char *labels,
                                               const char *help,
                                               const double *bounds,
                                               size_t nbounds);
//  Add a hook called at the start of every render (see above); arg is
//  borrowed. At most 8 hooks.
void edge_metrics_on_collect (edge_metrics_t *self,
                              edge_metrics_collect_fn *fn,
                              void *arg);
//  Declare the families of every rockit-edge process: edge_build_info
//  {version} (a gauge at 1) and edge_redis_reconnects_total (mirrors
//  edge_redis_reconnects () at each render). version is copied.
void edge_metrics_add_process (edge_metrics_t *self, const char *version);

//  The series of family with these label values: exactly as many const
//  char * arguments as the family has labels (none for none); values are
//  copied and may be any UTF-8 text. Created at 0 on first use. Returns
//  NULL when the family is full. Borrowed: valid until the registry is
//  destroyed.
edge_metrics_series_t *edge_metrics_series (edge_metrics_family_t *family, ...);
//  Add delta to a counter (delta >= 0) or a gauge. NULL-safe (no-op).
void edge_metrics_add (edge_metrics_series_t *series, double delta);
//  Set a gauge, or a counter mirrored from a monotonic count kept
//  elsewhere. NULL-safe (no-op).
void edge_metrics_set (edge_metrics_series_t *series, double value);
//  Count one observation in a histogram (NaN is ignored). NULL-safe.
void edge_metrics_observe (edge_metrics_series_t *series, double value);
//  The current value of a counter or gauge series (the count of a
//  histogram), 0 for NULL. For tests and logs.
double edge_metrics_value (edge_metrics_series_t *series);

//  The exposition text of every family with series, in declaration order
//  (series in creation order), after running the collect hooks. Caller
//  owns the result (free).
char *edge_metrics_render (edge_metrics_t *self);
#endif
