/*  nt_metrics - the notifier's series, and the Redis reads behind its
    gauges.  */
#include "nt_metrics.h"
#include "edge_assert.h"
#include "edge_keys.h"
#include "edge_util.h"
#include <stdlib.h>
#include <string.h>

#define S_OUTCOMES 4 //  nt_store_outcome_t values

static const double s_latency_bounds[] = {.005, .01, .025, .05,  .1,    .25,
                                          .5,   1,   2.5,  5,    10,    30,
                                          60,   300, 1800, 7200, 36000, 86400};

struct nt_metrics {
    edge_metrics_series_t *consumed;
    edge_metrics_series_t *outcomes[S_OUTCOMES]; //  by nt_store_outcome_t
    edge_metrics_series_t *latency;
    edge_metrics_series_t *lag;
    edge_metrics_series_t *pending;
    edge_metrics_series_t *retries;
    edge_metrics_series_t *in_flight;
};


nt_metrics_t *
nt_metrics_new (edge_metrics_t *registry)
{
    edge_assert (registry);
    nt_metrics_t *self = edge_calloc (1, sizeof *self);
    self->consumed = edge_metrics_series (edge_metrics_counter (
        registry, "edge_notifier_events_consumed_total", NULL,
        "Events taken from the stream and acknowledged by this notifier."));
    edge_metrics_family_t *outcomes = edge_metrics_counter (
        registry, "edge_notifier_deliveries_total", "outcome",
        "Delivery attempts finished, by outcome: succeeded (2xx), retry "
        "(failed, another attempt is scheduled), failed (failed, no attempt "
        "left), disabled (410 Gone: the subscription was disabled).");
    for (int o = 0; o < S_OUTCOMES; o++)
        self->outcomes[o] = edge_metrics_series (
            outcomes, nt_store_outcome_name ((nt_store_outcome_t) o));
    self->latency = edge_metrics_series (edge_metrics_histogram (
        registry, "edge_notifier_delivery_latency_seconds", NULL,
        "Time from an event (its stream entry) to its delivery's 2xx.",
        s_latency_bounds, EDGE_COUNT (s_latency_bounds)));
    self->lag = edge_metrics_series (edge_metrics_gauge (
        registry, "edge_notifier_consumer_lag", NULL,
        "Entries of the event stream not yet read by the consumer group "
        "(XINFO GROUPS lag, sampled every second)."));
    self->pending = edge_metrics_series (edge_metrics_gauge (
        registry, "edge_notifier_events_pending", NULL,
        "Entries read by the consumer group but not yet acknowledged "
        "(sampled every second)."));
    self->retries = edge_metrics_series (edge_metrics_gauge (
        registry, "edge_notifier_retries_pending", NULL,
        "Deliveries waiting for a later attempt: due in the future, less "
        "this notifier's attempts in flight (sampled every second)."));
    self->in_flight = edge_metrics_series (
        edge_metrics_gauge (registry, "edge_notifier_deliveries_in_flight",
                            NULL, "Delivery attempts in flight."));
    return self;
}


void
nt_metrics_destroy (nt_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}


void
nt_metrics_consumed (nt_metrics_t *self)
{
    if (self)
        edge_metrics_add (self->consumed, 1);
}


void
nt_metrics_delivered (nt_metrics_t *self,
                      nt_store_outcome_t outcome,
                      const char *event_id,
                      int64_t now_ms)
{
    if (!self || (int) outcome < 0 || (int) outcome >= S_OUTCOMES)
        return;
    edge_metrics_add (self->outcomes[outcome], 1);
    if (outcome != NT_STORE_SUCCEEDED || !event_id)
        return;
    char *end = NULL;
    long long event_ms = strtoll (event_id, &end, 10);
    if (end != event_id && event_ms > 0 && now_ms >= event_ms)
        edge_metrics_observe (self->latency,
                              (double) (now_ms - event_ms) / 1000.0);
}


//  Set lag and pending from our group's entry of an XINFO GROUPS reply.
static void
s_group_info (nt_metrics_t *self, const redisReply *info, const char *group)
{
    for (size_t g = 0; info && g < info->elements; g++) {
        const redisReply *fields = info->element[g];
        if (fields->type != REDIS_REPLY_ARRAY)
            continue;
        const redisReply *name = NULL, *lag = NULL, *pending = NULL;
        for (size_t i = 0; i + 1 < fields->elements; i += 2) {
            const redisReply *key = fields->element[i];
            if (key->type != REDIS_REPLY_STRING)
                continue;
            if (strcmp (key->str, "name") == 0)
                name = fields->element[i + 1];
            else if (strcmp (key->str, "lag") == 0)
                lag = fields->element[i + 1];
            else if (strcmp (key->str, "pending") == 0)
                pending = fields->element[i + 1];
        }
        if (!name || name->type != REDIS_REPLY_STRING
            || strcmp (name->str, group) != 0)
            continue;
        //  lag is nil when Redis cannot tell (entries deleted): keep the last
        if (lag && lag->type == REDIS_REPLY_INTEGER)
            edge_metrics_set (self->lag, (double) lag->integer);
        if (pending && pending->type == REDIS_REPLY_INTEGER)
            edge_metrics_set (self->pending, (double) pending->integer);
    }
}


int
nt_metrics_sample (nt_metrics_t *self,
                   edge_redis_t *redis,
                   const char *group,
                   size_t in_flight,
                   int64_t now_ms)
{
    if (!self)
        return 0;
    edge_assert (redis && group);
    edge_metrics_set (self->in_flight, (double) in_flight);
    redisReply *reply =
        edge_redis_command (redis, "XINFO GROUPS %s", EDGE_KEY_EVENTS);
    if (!reply)
        return -1;
    if (reply->type == REDIS_REPLY_ARRAY) //  an error: no stream yet
        s_group_info (self, reply, group);
    freeReplyObject (reply);
    reply = edge_redis_command (redis, "ZCOUNT %s (%lld +inf", EDGE_KEY_DELIVERIES_DUE,
                                (long long) now_ms);
    if (!reply)
        return -1;
    if (reply->type == REDIS_REPLY_INTEGER) {
        long long waiting = reply->integer - (long long) in_flight;
        edge_metrics_set (self->retries, (double) (waiting > 0 ? waiting : 0));
    }
    freeReplyObject (reply);
    return 0;
}
