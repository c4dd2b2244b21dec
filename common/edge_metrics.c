/*  edge_metrics - families and their series behind one mutex, rendered in
    the Prometheus text exposition format 0.0.4: a HELP and a TYPE line per
    family, then one line per sample; histograms as cumulative _bucket
    lines (le="+Inf" last), _sum and _count.  */
#include "edge_metrics.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_redis.h"
#include "edge_util.h"
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_HOOKS_MAX 8

typedef enum { S_COUNTER, S_GAUGE, S_HISTOGRAM } s_kind_t;

struct edge_metrics_series {
    edge_metrics_family_t *family; //  owner
    char **values;                 //  label values, family->nlabels
    double value;                  //  counter or gauge value
    uint64_t *buckets;             //  histogram: nbounds + 1 (last: +Inf),
                                   //  not cumulative
    uint64_t count;                //  histogram: observations
    double sum;                    //  histogram: their sum
};

struct edge_metrics_family {
    edge_metrics_t *registry; //  owner
    s_kind_t kind;
    char *name;
    char *help;
    char *labels[EDGE_METRICS_LABELS_MAX]; //  label names
    size_t nlabels;
    double bounds[EDGE_METRICS_BUCKETS_MAX]; //  histogram upper bounds
    size_t nbounds;
    edge_metrics_series_t *series[EDGE_METRICS_SERIES_MAX];
    size_t nseries;
    bool is_full_logged; //  the "family is full" warning was given
    edge_metrics_family_t *next;
};

struct edge_metrics {
    pthread_mutex_t mutex;        //  guards families and series
    edge_metrics_family_t *first; //  families in declaration order
    edge_metrics_family_t *last;
    struct {
        edge_metrics_collect_fn *fn;
        void *arg;
    } hooks[S_HOOKS_MAX];
    size_t nhooks;
    edge_metrics_series_t *reconnects; //  edge_redis_reconnects_total
};

//  Append value escaped: backslash and newline always, '"' when is_label.
static void
s_escaped (edge_text_t *text, const char *value, bool is_label)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\')
            edge_text_printf (text, "\\\\");
        else if (*p == '\n')
            edge_text_printf (text, "\\n");
        else if (*p == '"' && is_label)
            edge_text_printf (text, "\\\"");
        else
            edge_text_printf (text, "%c", *p);
    }
}


//  The shortest %g form of a finite value that reads back exactly.
static void
s_shortest (double value, char *buf, size_t size)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf (buf, size, "%.*g", precision, value);
        if (strtod (buf, NULL) == value)
            return;
    }
}


//  A sample value: integers exactly, other numbers round-trip.
static void
s_number (edge_text_t *text, double value)
{
    if (isnan (value))
        edge_text_printf (text, "NaN");
    else if (isinf (value))
        edge_text_printf (text, value > 0 ? "+Inf" : "-Inf");
    else if (value == floor (value) && fabs (value) < 9007199254740992.0)
        edge_text_printf (text, "%.0f", value);
    else {
        char buf[64];
        s_shortest (value, buf, sizeof buf);
        edge_text_printf (text, "%s", buf);
    }
}


static bool
s_is_name (const char *name, bool is_metric)
{
    if (!name || !*name)
        return false;
    for (const char *p = name; *p; p++) {
        bool is_alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                        || *p == '_' || (is_metric && *p == ':');
        bool is_digit = *p >= '0' && *p <= '9';
        if (!is_alpha && !(is_digit && p > name))
            return false;
    }
    return is_metric || strncmp (name, "__", 2) != 0;
}


static bool
s_ends_with (const char *text, const char *tail)
{
    size_t n = strlen (text), m = strlen (tail);
    return n >= m && strcmp (text + n - m, tail) == 0;
}


//  Split labels ("a,b") into the family's label names (asserts on bugs).
static void
s_parse_labels (edge_metrics_family_t *family, const char *labels)
{
    if (!labels || !*labels)
        return;
    char *copy = edge_strdup (labels);
    char *save = NULL;
    for (char *name = strtok_r (copy, ",", &save); name;
         name = strtok_r (NULL, ",", &save)) {
        edge_assert (family->nlabels < EDGE_METRICS_LABELS_MAX);
        edge_assert (s_is_name (name, false));
        edge_assert (family->kind != S_HISTOGRAM || strcmp (name, "le") != 0);
        for (size_t i = 0; i < family->nlabels; i++)
            edge_assert (strcmp (family->labels[i], name) != 0);
        family->labels[family->nlabels++] = edge_strdup (name);
    }
    free (copy);
}


static edge_metrics_family_t *
s_family (edge_metrics_t *self,
          s_kind_t kind,
          const char *name,
          const char *labels,
          const char *help)
{
    edge_assert (self && help && s_is_name (name, true));
    edge_assert (kind != S_COUNTER || s_ends_with (name, "_total"));
    edge_metrics_family_t *family = edge_calloc (1, sizeof *family);
    family->registry = self;
    family->kind = kind;
    family->name = edge_strdup (name);
    family->help = edge_strdup (help);
    s_parse_labels (family, labels);
    pthread_mutex_lock (&self->mutex);
    for (edge_metrics_family_t *f = self->first; f; f = f->next)
        edge_assert (strcmp (f->name, name) != 0);
    if (self->last)
        self->last->next = family;
    else
        self->first = family;
    self->last = family;
    pthread_mutex_unlock (&self->mutex);
    return family;
}


static void
s_series_destroy (edge_metrics_series_t **self_p)
{
    edge_metrics_series_t *self = *self_p;
    for (size_t i = 0; i < self->family->nlabels; i++)
        free (self->values[i]);
    free (self->values);
    free (self->buckets);
    free (self);
    *self_p = NULL;
}


static void
s_family_destroy (edge_metrics_family_t **self_p)
{
    edge_metrics_family_t *self = *self_p;
    for (size_t i = 0; i < self->nseries; i++)
        s_series_destroy (&self->series[i]);
    for (size_t i = 0; i < self->nlabels; i++)
        free (self->labels[i]);
    free (self->name);
    free (self->help);
    free (self);
    *self_p = NULL;
}


edge_metrics_t *
edge_metrics_new (void)
{
    edge_metrics_t *self = edge_calloc (1, sizeof *self);
    pthread_mutex_init (&self->mutex, NULL);
    return self;
}


void
edge_metrics_destroy (edge_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    edge_metrics_t *self = *self_p;
    edge_metrics_family_t *family = self->first;
    while (family) {
        edge_metrics_family_t *next = family->next;
        s_family_destroy (&family);
        family = next;
    }
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}


edge_metrics_family_t *
edge_metrics_counter (edge_metrics_t *self,
                      const char *name,
                      const char *labels,
                      const char *help)
{
    return s_family (self, S_COUNTER, name, labels, help);
}


edge_metrics_family_t *
edge_metrics_gauge (edge_metrics_t *self,
                    const char *name,
                    const char *labels,
                    const char *help)
{
    return s_family (self, S_GAUGE, name, labels, help);
}


edge_metrics_family_t *
edge_metrics_histogram (edge_metrics_t *self,
                        const char *name,
                        const char *labels,
                        const char *help,
                        const double *bounds,
                        size_t nbounds)
{
    edge_assert (bounds && nbounds >= 1 && nbounds <= EDGE_METRICS_BUCKETS_MAX);
    for (size_t i = 0; i < nbounds; i++)
        edge_assert (isfinite (bounds[i])
                     && (i == 0 || bounds[i] > bounds[i - 1]));
    edge_metrics_family_t *family =
        s_family (self, S_HISTOGRAM, name, labels, help);
    memcpy (family->bounds, bounds, nbounds * sizeof bounds[0]);
    family->nbounds = nbounds; //  before any series: no lock needed
    return family;
}


void
edge_metrics_on_collect (edge_metrics_t *self,
                         edge_metrics_collect_fn *fn,
                         void *arg)
{
    edge_assert (self && fn);
    pthread_mutex_lock (&self->mutex);
    edge_assert (self->nhooks < S_HOOKS_MAX);
    self->hooks[self->nhooks].fn = fn;
    self->hooks[self->nhooks].arg = arg;
    self->nhooks++;
    pthread_mutex_unlock (&self->mutex);
}


static void
s_collect_reconnects (edge_metrics_t *self, void *arg)
{
    (void) arg;
    edge_metrics_set (self->reconnects, (double) edge_redis_reconnects ());
}


void
edge_metrics_add_process (edge_metrics_t *self, const char *version)
{
    edge_assert (self && version && !self->reconnects);
    edge_metrics_family_t *info = edge_metrics_gauge (
        self, "edge_build_info", "version", "Build of this process.");
    edge_metrics_set (edge_metrics_series (info, version), 1);
    edge_metrics_family_t *reconnects = edge_metrics_counter (
        self, "edge_redis_reconnects_total", NULL,
        "Redis connections made again after losing one or failing to "
        "connect.");
    self->reconnects = edge_metrics_series (reconnects);
    edge_metrics_on_collect (self, s_collect_reconnects, NULL);
}


//  The series with values, created when new. Mutex held.
static edge_metrics_series_t *
s_lookup (edge_metrics_family_t *family, const char **values)
{
    for (size_t i = 0; i < family->nseries; i++) {
        edge_metrics_series_t *series = family->series[i];
        size_t l = 0;
        while (l < family->nlabels
               && strcmp (series->values[l], values[l]) == 0)
            l++;
        if (l == family->nlabels)
            return series;
    }
    if (family->nseries == EDGE_METRICS_SERIES_MAX) {
        if (!family->is_full_logged)
            edge_warn ("metrics: %s has %d series already, updates of new "
                       "label values are dropped",
                       family->name, EDGE_METRICS_SERIES_MAX);
        family->is_full_logged = true;
        return NULL;
    }
    edge_metrics_series_t *series = edge_calloc (1, sizeof *series);
    series->family = family;
    series->values = edge_calloc (family->nlabels + 1, sizeof (char *));
    for (size_t l = 0; l < family->nlabels; l++)
        series->values[l] = edge_strdup (values[l]);
    if (family->kind == S_HISTOGRAM)
        series->buckets = edge_calloc (family->nbounds + 1, sizeof (uint64_t));
    family->series[family->nseries++] = series;
    return series;
}


edge_metrics_series_t *
edge_metrics_series (edge_metrics_family_t *family, ...)
{
    edge_assert (family);
    const char *values[EDGE_METRICS_LABELS_MAX + 1] = {NULL};
    va_list args;
    va_start (args, family);
    for (size_t l = 0; l < family->nlabels; l++) {
        values[l] = va_arg (args, const char *);
        edge_assert (values[l]);
    }
    va_end (args);
    pthread_mutex_lock (&family->registry->mutex);
    edge_metrics_series_t *series = s_lookup (family, values);
    pthread_mutex_unlock (&family->registry->mutex);
    return series;
}


void
edge_metrics_add (edge_metrics_series_t *series, double delta)
{
    if (!series)
        return;
    edge_assert (series->family->kind != S_HISTOGRAM);
    edge_assert (series->family->kind != S_COUNTER || !(delta < 0));
    pthread_mutex_t *mutex = &series->family->registry->mutex;
    pthread_mutex_lock (mutex);
    series->value += delta;
    pthread_mutex_unlock (mutex);
}


void
edge_metrics_set (edge_metrics_series_t *series, double value)
{
    if (!series)
        return;
    edge_assert (series->family->kind != S_HISTOGRAM);
    pthread_mutex_t *mutex = &series->family->registry->mutex;
    pthread_mutex_lock (mutex);
    series->value = value;
    pthread_mutex_unlock (mutex);
}


void
edge_metrics_observe (edge_metrics_series_t *series, double value)
{
    if (!series || isnan (value))
        return;
    const edge_metrics_family_t *family = series->family;
    edge_assert (family->kind == S_HISTOGRAM);
    size_t b = 0;
    while (b < family->nbounds && value > family->bounds[b])
        b++;
    pthread_mutex_lock (&family->registry->mutex);
    series->buckets[b]++;
    series->count++;
    series->sum += value;
    pthread_mutex_unlock (&family->registry->mutex);
}


double
edge_metrics_value (edge_metrics_series_t *series)
{
    if (!series)
        return 0;
    pthread_mutex_t *mutex = &series->family->registry->mutex;
    pthread_mutex_lock (mutex);
    double value = series->family->kind == S_HISTOGRAM ? (double) series->count
                                                       : series->value;
    pthread_mutex_unlock (mutex);
    return value;
}


//  name{labels[,le="bound"]} of one sample line (le NULL: none).
static void
s_sample_name (edge_text_t *text,
               const edge_metrics_series_t *series,
               const char *suffix,
               const char *le)
{
    const edge_metrics_family_t *family = series->family;
    edge_text_printf (text, "%s%s", family->name, suffix);
    if (family->nlabels == 0 && !le)
        return;
    edge_text_printf (text, "{");
    for (size_t l = 0; l < family->nlabels; l++) {
        edge_text_printf (text, "%s%s=\"", l ? "," : "", family->labels[l]);
        s_escaped (text, series->values[l], true);
        edge_text_printf (text, "\"");
    }
    if (le)
        edge_text_printf (text, "%sle=\"%s\"", family->nlabels ? "," : "", le);
    edge_text_printf (text, "}");
}


static void
s_render_histogram (edge_text_t *text, const edge_metrics_series_t *series)
{
    const edge_metrics_family_t *family = series->family;
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= family->nbounds; b++) {
        char le[64] = "+Inf";
        if (b < family->nbounds)
            s_shortest (family->bounds[b], le, sizeof le);
        cumulative += series->buckets[b];
        s_sample_name (text, series, "_bucket", le);
        edge_text_printf (text, " %llu\n", (unsigned long long) cumulative);
    }
    s_sample_name (text, series, "_sum", NULL);
    edge_text_printf (text, " ");
    s_number (text, series->sum);
    edge_text_printf (text, "\n");
    s_sample_name (text, series, "_count", NULL);
    edge_text_printf (text, " %llu\n", (unsigned long long) series->count);
}


//  One family's lines. Mutex held.
static void
s_render_family (edge_text_t *text, const edge_metrics_family_t *family)
{
    static const char *kinds[] = {"counter", "gauge", "histogram"};
    if (family->nseries == 0)
        return;
    edge_text_printf (text, "# HELP %s ", family->name);
    s_escaped (text, family->help, false);
    edge_text_printf (text, "\n# TYPE %s %s\n", family->name, kinds[family->kind]);
    for (size_t i = 0; i < family->nseries; i++) {
        const edge_metrics_series_t *series = family->series[i];
        if (family->kind == S_HISTOGRAM) {
            s_render_histogram (text, series);
            continue;
        }
        s_sample_name (text, series, "", NULL);
        edge_text_printf (text, " ");
        s_number (text, series->value);
        edge_text_printf (text, "\n");
    }
}


char *
edge_metrics_render (edge_metrics_t *self)
{
    edge_assert (self);
    pthread_mutex_lock (&self->mutex);
    size_t nhooks = self->nhooks;
    pthread_mutex_unlock (&self->mutex);
    for (size_t i = 0; i < nhooks; i++)
        self->hooks[i].fn (self, self->hooks[i].arg);
    edge_text_t text = {edge_malloc (4096), 0, 4096};
    text.data[0] = 0;
    pthread_mutex_lock (&self->mutex);
    for (const edge_metrics_family_t *f = self->first; f; f = f->next)
        s_render_family (&text, f);
    pthread_mutex_unlock (&self->mutex);
    return text.data;
}
