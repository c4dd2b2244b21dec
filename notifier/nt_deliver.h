/*  nt_deliver - attempts deliveries over HTTP with libcurl multi.

    Each run takes the deliveries that are due (under a lease, so a notifier
    killed mid-attempt leaves them due again later), starts one transfer per
    delivery, drives the transfers that are in flight, and records each
    outcome: success on any 2xx (Slack: and "ok": true), 410 disables the
    subscription, anything else is retried per the schedule, honouring
    Retry-After. Every attempt re-checks the URL with the URL guard and pins
    the connection to the checked address; redirects are not followed and
    proxies from the environment are ignored. Single-threaded.  */
#ifndef NT_DELIVER_H_INCLUDED
#define NT_DELIVER_H_INCLUDED
#include "edge_redis.h"
#include "edge_urlguard.h"
#include "nt_metrics.h"
#include "nt_schedule.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const edge_urlguard_t *guard;  //  borrowed: outlives the engine
    const nt_schedule_t *schedule; //  retry delays (copied)
    int64_t timeout_ms;            //  one attempt, EDGE_WEBHOOK_TIMEOUT_MS
    int64_t lease_extra_ms;        //  lease = timeout_ms + this (5000)
    int concurrency;               //  attempts in flight at most
    const char *slack_api_url;     //  e.g. "https://slack.com/api"
    const char *slack_token;       //  bot token, "" or NULL when unset
} nt_deliver_opts_t;

typedef struct nt_deliver nt_deliver_t;

//  Create an engine over redis (borrowed: must outlive the engine); copies
//  opts' strings and schedule. libcurl must be initialised
//  (curl_global_init) before. Caller owns the result.
nt_deliver_t *nt_deliver_new (edge_redis_t *redis,
                              const nt_deliver_opts_t *opts);
//  Destroy and nullify; NULL-safe. Transfers still in flight are abandoned:
//  their deliveries come due again when their lease ends.
void nt_deliver_destroy (nt_deliver_t **self_p);
//  One round: when is_taking, take due deliveries up to the free slots and
//  start them; then drive the transfers, waiting up to wait_ms for activity
//  when some are in flight (returns at once otherwise), and record the
//  finished ones. Returns the number of attempts finished, or -1 when Redis
//  failed (unrecorded attempts come due again after their lease).
int nt_deliver_run (nt_deliver_t *self, int wait_ms, bool is_taking);
//  Count finished attempts in metrics (borrowed: must outlive the engine;
//  NULL, the default: not counted).
void nt_deliver_set_metrics (nt_deliver_t *self, nt_metrics_t *metrics);
//  Attempts in flight now.
size_t nt_deliver_in_flight (const nt_deliver_t *self);
//  True while attempts are in flight or more deliveries may be due at once
//  (the last take filled every free slot, or attempts just finished): the
//  caller must not block waiting for new events then.
bool nt_deliver_has_work (const nt_deliver_t *self);
#endif
