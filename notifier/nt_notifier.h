/*  nt_notifier - consumes task events from the Redis stream e:events through
    a consumer group: counts and logs each one, creates its webhook and Slack
    deliveries (nt_store), and acknowledges it.

    Entries left pending by a notifier that died are claimed (XAUTOCLAIM)
    once idle for claim_idle_ms, so nothing is lost; counting, creating the
    deliveries and XACK happen in one Lua script, so an entry is counted and
    delivered exactly once even when two notifiers race for it.  */
#ifndef NT_NOTIFIER_H_INCLUDED
#define NT_NOTIFIER_H_INCLUDED
#include "edge_redis.h"
#include "nt_metrics.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *group;     //  consumer group name
    const char *consumer;  //  this notifier's consumer name
    int64_t claim_idle_ms; //  claim others' pending entries idle this long
    int64_t batch;         //  entries per read
    int64_t order_wait_ms; //  an event waits at most this long for its
                           //  task's earlier events, then goes anyway
} nt_notifier_opts_t;

typedef struct nt_notifier nt_notifier_t;

//  Create a notifier over redis (borrowed: must outlive the notifier).
//  Copies opts' strings. Caller owns the result.
nt_notifier_t *nt_notifier_new (edge_redis_t *redis,
                                const nt_notifier_opts_t *opts);
void nt_notifier_destroy (nt_notifier_t **self_p);
//  One round: (re)create the group if needed, process own pending entries
//  after (re)connecting and while some wait for their task's earlier
//  events (every 50 ms), claim idle entries of others when due, then
//  read new entries, waiting up to block_ms for them (0: do not wait).
//  Returns the number of entries handled, or -1 when Redis failed (the
//  caller backs off and calls again).
int nt_notifier_poll (nt_notifier_t *self, int64_t block_ms);
//  Entries handled since start.
uint64_t nt_notifier_handled (const nt_notifier_t *self);
//  Deliveries the handled entries created since start.
uint64_t nt_notifier_created (const nt_notifier_t *self);
//  Count the events taken in metrics (borrowed: must outlive the notifier;
//  NULL, the default: not counted).
void nt_notifier_set_metrics (nt_notifier_t *self, nt_metrics_t *metrics);
#endif
