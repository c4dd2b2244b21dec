/*  gw_metrics - request counters and latency histograms behind one mutex,
    rendered in the Prometheus text exposition format 0.0.4.  */
#include "gw_metrics.h"
#include "edge_redis.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double s_bounds[] = {.001, .005, .01, .025, .05, .1,
                                  .25,  .5,   1,   2.5,  5};
static const char *s_bound_labels[] = {
    ".001", ".005", ".01", ".025", ".05", ".1", ".25", ".5", "1", "2.5", "5"};

static const char *s_methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                  "PATCH", "DELETE", "OPTIONS", "OTHER"};

//  One counter series: route x method x status.
typedef struct {
    size_t route;
    size_t method;
    int status;
    uint64_t count;
} s_counter_t;

//  One route's latency histogram (non-cumulative buckets; +Inf = count).
typedef struct {
    uint64_t buckets[EDGE_COUNT (s_bounds)];
    uint64_t count;
    double sum;
} s_histogram_t;

struct gw_metrics {
    pthread_mutex_t mutex; //  guards everything below
    const char **routes;   //  route names (borrowed strings), unmatched last
    size_t nroutes;
    s_histogram_t *histograms; //  one per route
    s_counter_t *counters;     //  series seen so far, in first-seen order
    size_t ncounters, counters_cap;
};

static size_t
s_route_index (const gw_metrics_t *self, const char *route)
{
    for (size_t i = 0; route && i + 1 < self->nroutes; i++)
        if (strcmp (self->routes[i], route) == 0)
            return i;
    return self->nroutes - 1;
}


static size_t
s_method_index (const char *method)
{
    for (size_t i = 0; method && i + 1 < EDGE_COUNT (s_methods); i++)
        if (strcmp (s_methods[i], method) == 0)
            return i;
    return EDGE_COUNT (s_methods) - 1;
}


gw_metrics_t *
gw_metrics_new (const char *const *routes, size_t count)
{
    gw_metrics_t *self = edge_calloc (1, sizeof *self);
    pthread_mutex_init (&self->mutex, NULL);
    self->nroutes = count + 1;
    self->routes = edge_calloc (self->nroutes, sizeof (char *));
    for (size_t i = 0; i < count; i++)
        self->routes[i] = routes[i];
    self->routes[count] = GW_METRICS_UNMATCHED;
    self->histograms = edge_calloc (self->nroutes, sizeof (s_histogram_t));
    return self;
}


void
gw_metrics_destroy (gw_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_metrics_t *self = *self_p;
    free (self->counters);
    free (self->histograms);
    free (self->routes);
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}


//  The counter of one series, added on first sight. Mutex held.
static s_counter_t *
s_counter (gw_metrics_t *self, size_t route, size_t method, int status)
{
    for (size_t i = 0; i < self->ncounters; i++) {
        s_counter_t *c = &self->counters[i];
        if (c->route == route && c->method == method && c->status == status)
            return c;
    }
    self->counters = edge_grow (self->counters, &self->counters_cap,
                                self->ncounters + 1, 32, sizeof (s_counter_t));
    s_counter_t *c = &self->counters[self->ncounters++];
    *c = (s_counter_t){route, method, status, 0};
    return c;
}


void
gw_metrics_observe (gw_metrics_t *self,
                    const char *route,
                    const char *method,
                    int status,
                    double seconds)
{
    edge_assert (self);
    size_t r = s_route_index (self, route);
    size_t m = s_method_index (method);
    if (status < 100 || status > 599)
        status = 0;
    if (seconds < 0)
        seconds = 0;
    pthread_mutex_lock (&self->mutex);
    s_counter (self, r, m, status)->count++;
    s_histogram_t *h = &self->histograms[r];
    size_t b = 0;
    while (b < EDGE_COUNT (s_bounds) && seconds > s_bounds[b])
        b++;
    if (b < EDGE_COUNT (s_bounds))
        h->buckets[b]++;
    h->count++;
    h->sum += seconds;
    pthread_mutex_unlock (&self->mutex);
}


//  The histogram family. Mutex held.
static void
s_render_histograms (const gw_metrics_t *self, edge_text_t *text)
{
    const char *name = "edge_http_request_duration_seconds";
    edge_text_printf (text,
                   "# HELP %s Time to answer an HTTP request, by route.\n"
                   "# TYPE %s histogram\n",
                   name, name);
    for (size_t r = 0; r < self->nroutes; r++) {
        const s_histogram_t *h = &self->histograms[r];
        const char *route = self->routes[r];
        uint64_t cumulative = 0;
        for (size_t b = 0; b < EDGE_COUNT (s_bounds); b++) {
            cumulative += h->buckets[b];
            edge_text_printf (text, "%s_bucket{route=\"%s\",le=\"%s\"} %llu\n",
                           name, route, s_bound_labels[b],
                           (unsigned long long) cumulative);
        }
        edge_text_printf (text,
                       "%s_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                       "%s_sum{route=\"%s\"} %.6f\n"
                       "%s_count{route=\"%s\"} %llu\n",
                       name, route, (unsigned long long) h->count, name, route,
                       h->sum, name, route, (unsigned long long) h->count);
    }
}


char *
gw_metrics_render (gw_metrics_t *self, const char *version)
{
    edge_assert (self && version);
    edge_text_t text = {edge_malloc (4096), 0, 4096};
    text.data[0] = 0;
    pthread_mutex_lock (&self->mutex);
    edge_text_printf (&text,
                   "# HELP edge_http_requests_total HTTP requests answered, "
                   "by route, method and status.\n"
                   "# TYPE edge_http_requests_total counter\n");
    for (size_t i = 0; i < self->ncounters; i++) {
        const s_counter_t *c = &self->counters[i];
        edge_text_printf (&text,
                       "edge_http_requests_total{route=\"%s\",method=\"%s\","
                       "status=\"%d\"} %llu\n",
                       self->routes[c->route], s_methods[c->method], c->status,
                       (unsigned long long) c->count);
    }
    s_render_histograms (self, &text);
    pthread_mutex_unlock (&self->mutex);
    edge_text_printf (&text,
                   "# HELP edge_redis_reconnects_total Connections to Redis "
                   "made again after one was lost or failed.\n"
                   "# TYPE edge_redis_reconnects_total counter\n"
                   "edge_redis_reconnects_total %llu\n"
                   "# HELP edge_build_info Build of this process.\n"
                   "# TYPE edge_build_info gauge\n"
                   "edge_build_info{version=\"%s\"} 1\n",
                   edge_redis_reconnects (), version);
    return text.data;
}
