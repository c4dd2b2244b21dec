/*  bk_worker - the broker's table of live workers, keyed by ZeroMQ routing
    id, with the credit bookkeeping of proto.h.

    Credit: a worker reports `free` (idle slots) and `last_seq` (the seq of
    the last JOB it received) in every message; the broker counts `sent_seq`
    (the seq of the last JOB it sent it). Credit = free - (sent_seq -
    last_seq), never below 0. An unknown worker is registered by its first
    message of any type with sent_seq = its last_seq, so a restarted broker
    picks up every worker's state from its next message.

    Resynchronisation (jobs lost on the way, or a worker restarted under the
    same id): when a worker reports last_seq > sent_seq, sent_seq follows
    it. When it reports more jobs in flight than its capacity (known once a
    READY or HEARTBEAT told it), or still misses jobs lost_after_ms after
    the last one was sent, those jobs are taken as lost (Redis still holds
    them; the reaper re-sends them) and sent_seq is set back to its
    last_seq, with one warning.  */
#ifndef BK_WORKER_H_INCLUDED
#define BK_WORKER_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BK_WORKER_ROUTING_MAX 255 //  ZeroMQ routing ids are 1..255 bytes

//  One worker. Plain struct; the table owns it and its strings.
typedef struct {
    uint8_t routing[BK_WORKER_ROUTING_MAX]; //  ZeroMQ routing id
    size_t routing_size;
    char *id;          //  worker id from its messages
    char *version;     //  software version ("unknown" until READY)
    bool is_described; //  a READY or HEARTBEAT gave version and capacity
    uint32_t capacity; //  total slots (0 until described)
    uint32_t free;     //  idle slots it last reported
    uint64_t last_seq; //  seq of the last JOB it reported receiving
    uint64_t sent_seq; //  seq of the last JOB the broker sent it
    int64_t seen_ms;   //  monotonic time of its last message
    int64_t sent_ms;   //  monotonic time of the last JOB sent to it
    uint64_t lru;      //  smaller = used (or joined) longer ago
    uint32_t missed;   //  heartbeats missed since its last message
} bk_worker_t;

typedef struct bk_worker_table bk_worker_table_t;

//  Create an empty table. Caller owns the result.
bk_worker_table_t *bk_worker_table_new (void);
//  Destroy the table and its workers, null the caller's reference;
//  NULL-safe.
void bk_worker_table_destroy (bk_worker_table_t **self_p);
//  The worker with this routing id. Borrowed: valid until it is removed;
//  NULL when unknown.
bk_worker_t *bk_worker_table_lookup (bk_worker_table_t *self,
                                     const void *routing,
                                     size_t routing_size);
//  Register an unknown worker (routing_size 1..BK_WORKER_ROUTING_MAX) with
//  sent_seq = last_seq, capacity and free 0 and version "unknown"; copies
//  id. Returns the worker, borrowed as for lookup.
bk_worker_t *bk_worker_table_add (bk_worker_table_t *self,
                                  const void *routing,
                                  size_t routing_size,
                                  const char *id,
                                  uint64_t last_seq,
                                  int64_t now_ms);
//  Forget a worker and null the caller's reference.
void bk_worker_table_remove (bk_worker_table_t *self, bk_worker_t **worker_p);
//  Number of workers.
size_t bk_worker_table_size (const bk_worker_table_t *self);
//  Iterate (do not add or remove while iterating). Borrowed; NULL at end.
bk_worker_t *bk_worker_table_first (bk_worker_table_t *self);
bk_worker_t *bk_worker_table_next (bk_worker_table_t *self);
//  The worker with the most credit, ties going to the least recently used;
//  NULL when no worker has credit. Borrowed.
bk_worker_t *bk_worker_table_best (bk_worker_table_t *self);
//  Record that a JOB stamped seq was sent to worker at now_ms.
void bk_worker_table_mark_sent (bk_worker_table_t *self,
                                bk_worker_t *worker,
                                uint64_t seq,
                                int64_t now_ms);
//  Forget every worker whose last message is older than timeout_ms, logging
//  one line each. Returns how many were forgotten.
size_t bk_worker_table_expire (bk_worker_table_t *self,
                               int64_t now_ms,
                               int64_t timeout_ms);

//  Count heartbeats missed by now_ms: a worker silent for more than k
//  heartbeat intervals plus half a one (the grace for jitter) has missed k
//  of them, up to max - 1; one silent for more than max intervals (about
//  to be forgotten) has missed max. Returns how many were missed since the
//  last call (each counted once; a message starts the count again).
uint64_t bk_worker_table_missed (bk_worker_table_t *self,
                                 int64_t now_ms,
                                 int64_t heartbeat_ms,
                                 uint32_t max);

//  Apply a worker's message: free, last_seq and the time it arrived, then
//  the resynchronisation rules above.
void bk_worker_report (bk_worker_t *self,
                       uint32_t free,
                       uint64_t last_seq,
                       int64_t now_ms,
                       int64_t lost_after_ms);
//  Update version (copied) and capacity from a READY or HEARTBEAT.
void
bk_worker_describe (bk_worker_t *self, const char *version, uint32_t capacity);
//  Jobs the broker may send the worker now.
uint32_t bk_worker_credit (const bk_worker_t *self);
#endif
