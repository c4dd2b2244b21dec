/*  nt_metrics - the notifier's metrics: events consumed, delivery attempts
    by outcome, the latency from an event to its successful delivery, and
    gauges sampled from Redis now and then by the main loop (consumer lag,
    entries pending in the group, retries waiting) rather than at each
    scrape, so a scrape never waits for Redis nor for the loop.

    Every function but nt_metrics_new is NULL-safe: a notifier built
    without metrics (tests) passes NULL.  */
#ifndef NT_METRICS_H_INCLUDED
#define NT_METRICS_H_INCLUDED
#include "edge_metrics.h"
#include "edge_redis.h"
#include "nt_store.h"
#include <stddef.h>

typedef struct nt_metrics nt_metrics_t;

//  Declare the notifier's families in registry (borrowed: must outlive the
//  object), with every outcome at 0. Caller owns the result.
nt_metrics_t *nt_metrics_new (edge_metrics_t *registry);
//  Destroy and nullify; NULL-safe. The registry keeps the families.
void nt_metrics_destroy (nt_metrics_t **self_p);
//  One event was taken from the stream (counted and acknowledged by us).
void nt_metrics_consumed (nt_metrics_t *self);
//  One delivery attempt finished with outcome. On NT_STORE_SUCCEEDED,
//  event_id (the stream entry id, "<ms>-<seq>") gives the latency from
//  the event to now_ms.
void nt_metrics_delivered (nt_metrics_t *self,
                           nt_store_outcome_t outcome,
                           const char *event_id,
                           int64_t now_ms);
//  Read the consumer group's lag and pending count (XINFO GROUPS) and the
//  retries waiting (deliveries due in the future less the in_flight
//  attempts of this notifier), and set the gauges. One or two quick Redis
//  commands. Returns 0, or -1 when Redis failed (gauges left as they were).
int nt_metrics_sample (nt_metrics_t *self,
                       edge_redis_t *redis,
                       const char *group,
                       size_t in_flight,
                       int64_t now_ms);
#endif
