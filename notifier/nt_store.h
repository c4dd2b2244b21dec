/*  nt_store - deliveries in Redis: created from events, taken when due
    under a lease, and finished with an attempt record. Every step is one
    Lua script, so two notifiers never create, attempt or finish the same
    delivery twice.

    Layout (O = org, N = subscription name; braces literal):
      e:{O}:subs                 zset N -> created ms (written by the gateway)
      e:{O}:sub:N                hash name url|slackChannel types events
                                 secret state disabledReason created updated
      e:{O}:sub:N:attempts       list, last 50 attempt records, newest first
      e:{O}:sub:N:failed         zset delivery id -> failed-at ms
      e:{O}:sub:N:chain:<task>   list of delivery ids in event order; only
                                 the head is ever due
      e:{O}:sub:N:pending        set of the subscription's pending deliveries
      e:dlv:<id>                 hash id org sub eventId taskName type event
                                 body attempt status nextAt created
                                 lastStatusCode lastError
      e:deliveries:due           zset id -> next attempt ms (or lease end)
    A delivery id is "<stream entry id>-<subscription name>". Finished
    deliveries expire after NT_STORE_KEEP_MS.  */
#ifndef NT_STORE_H_INCLUDED
#define NT_STORE_H_INCLUDED
#include "edge_keys.h"
#include "edge_redis.h"
#include "nt_body.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Finished deliveries (and failed-set entries) are kept this long: longer
//  than the 7 days redeliver looks back.
#define NT_STORE_KEEP_MS (8LL * 24 * 3600 * 1000)
//  Attempt records kept per subscription.
#define NT_STORE_ATTEMPTS_KEPT 50
//  Why a subscription answered with 410 was disabled.
#define NT_STORE_GONE_REASON "receiver answered 410 Gone"

//  A delivery taken for one attempt, with what its subscription says.
//  Plain type; free with nt_store_dlv_destroy.
typedef struct {
    char *id;            //  "<event id>-<subscription name>"
    char *org;           //  orgName
    char *sub;           //  subscription name
    char *task_name;     //  task of the event
    char *event_id;      //  stream entry id
    char *type;          //  task type
    char *event;         //  submit | begin | end | error
    char *body;          //  exact JSON bytes to send
    size_t body_len;     //  bytes in body
    int64_t attempt;     //  this attempt's number, 1-based
    char *url;           //  webhook URL, or "" for Slack
    char *slack_channel; //  Slack channel, or ""
    char *secret;        //  "whsec_..." signing secret, or ""
} nt_store_dlv_t;

//  Free a taken delivery and nullify the reference; NULL-safe.
void nt_store_dlv_destroy (nt_store_dlv_t **self_p);

//  One stream entry for nt_store_ingest: the event (borrowed), whether to
//  take it even out of order, and what became of it.
typedef struct {
    const nt_event_t *event;
    bool is_forced;
    int acked;   //  out: 1 taken, 0 already handled, -1 deferred
    int created; //  out: deliveries created
} nt_store_entry_t;

//  Most entries nt_store_ingest takes in one script call.
#define NT_STORE_INGEST_MAX 256

//  For each of count entries (at most NT_STORE_INGEST_MAX), in order and
//  in one script call: acknowledge its event in group, count it in
//  e:notifier:counts, and create one delivery per enabled subscription of
//  its org whose types and events match. Only the XACK that removes the
//  entry from the pending list counts and creates, and an existing
//  delivery is never created again. A task's events are taken in their seq
//  order: one whose predecessor was not taken yet (in this batch or
//  before) is deferred (left pending, untouched) unless is_forced. Sets
//  each entry's acked and created. Returns 0, or -1 when Redis failed
//  (every entry stays pending).
int nt_store_ingest (edge_redis_t *redis,
                     const char *group,
                     nt_store_entry_t *entries,
                     size_t count,
                     int64_t now_ms);

//  Take up to max deliveries due at now_ms, pushing their due time to
//  lease_until_ms and counting the attempt. Deliveries of a deleted
//  subscription are dropped, those of a disabled one failed. Sets *dlvs (an
//  array the caller owns, with each element; free the elements with
//  nt_store_dlv_destroy and the array with free) and *count. Returns 0, or
//  -1 when Redis failed.
int nt_store_take (edge_redis_t *redis,
                   int64_t now_ms,
                   int64_t lease_until_ms,
                   int max,
                   nt_store_dlv_t ***dlvs,
                   size_t *count);

typedef enum {
    NT_STORE_SUCCEEDED, //  2xx (Slack: and "ok": true)
    NT_STORE_RETRY,     //  failed, another attempt at next_at_ms
    NT_STORE_FAILED,    //  failed for good (kept for redeliver)
    NT_STORE_DISABLED   //  410 Gone: the subscription is disabled
} nt_store_outcome_t;

typedef struct {
    nt_store_outcome_t outcome;
    int status_code;    //  HTTP status, 0 when there was no answer
    const char *error;  //  one line, or NULL on success
    int64_t at_ms;      //  when the attempt started
    int64_t latency_ms; //  how long it took
    int64_t next_at_ms; //  NT_STORE_RETRY: when the next attempt is due
} nt_store_result_t;

//  Record the outcome of an attempt: push the attempt record, then retry,
//  close (the next delivery of the chain becomes due at once) or disable.
//  Returns 1, 0 when the delivery is no longer ours (finished elsewhere,
//  lease taken over, subscription deleted), or -1 when Redis failed.
int nt_store_finish (edge_redis_t *redis,
                     const nt_store_dlv_t *dlv,
                     const nt_store_result_t *result);

//  One round of the delivery engine with Redis.
typedef struct {
    //  In: attempts to record, in order (borrowed), and their outcomes.
    const nt_store_dlv_t *const *dlvs;
    const nt_store_result_t *results;
    size_t count;
    //  In: take up to max due deliveries afterwards (0: take none), at
    //  now_ms, leased until lease_until_ms.
    int max;
    int64_t now_ms;
    int64_t lease_until_ms;
    //  Out: per attempt as nt_store_finish answers (caller's array of
    //  count), and what was taken as nt_store_take sets it.
    int *rcs;
    nt_store_dlv_t **taken;
    size_t ntaken;
} nt_store_round_t;
//  Record round->count outcomes in one script call, then take (one more
//  script call), both in one round trip. The take sees the chains the
//  finish advanced, except when Redis had not cached the finish script yet
//  (it runs after the take then: those deliveries wait for the next round).
//  Returns 0, or -1 when Redis failed (the rcs of a failed finish are -1;
//  deliveries taken are set even when the finish failed).
int nt_store_round (edge_redis_t *redis, nt_store_round_t *round);
//  "succeeded", "retry", "failed" or "disabled". Static.
const char *nt_store_outcome_name (nt_store_outcome_t outcome);
#endif
