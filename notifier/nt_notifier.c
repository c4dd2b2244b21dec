/*  nt_notifier - the event consumer: XREADGROUP, XAUTOCLAIM, then one
    script per entry that counts it, creates its deliveries and XACKs it.  */
#include "nt_notifier.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_keys.h"
#include "edge_util.h"
#include "nt_body.h"
#include "nt_store.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

//  How soon entries deferred for their task's earlier events are retried.
#define S_PENDING_RETRY_MS 50

struct nt_notifier {
    edge_redis_t *redis;     //  borrowed connection
    char *group;             //  consumer group
    char *consumer;          //  our consumer name
    int64_t claim_idle_ms;   //  XAUTOCLAIM min-idle-time
    int64_t batch;           //  COUNT
    int64_t order_wait_ms;   //  longest wait for a task's earlier events
    bool has_group;          //  group known to exist on this connection
    int64_t next_pending_ms; //  monotonic time to read our own pending
                             //  entries again (0: now; INT64_MAX: never)
    int deferred;            //  entries deferred in the current read
    int64_t next_claim_ms;   //  monotonic time of the next XAUTOCLAIM
    uint64_t handled;        //  entries handled since start
    uint64_t created;        //  deliveries they created
    nt_metrics_t *metrics;   //  borrowed, or NULL
};


nt_notifier_t *
nt_notifier_new (edge_redis_t *redis, const nt_notifier_opts_t *opts)
{
    edge_assert (redis && opts);
    nt_notifier_t *self = edge_calloc (1, sizeof *self);
    self->redis = redis;
    self->group = edge_strdup (opts->group);
    self->consumer = edge_strdup (opts->consumer);
    self->claim_idle_ms = opts->claim_idle_ms;
    self->batch = opts->batch;
    self->order_wait_ms = opts->order_wait_ms;
    return self;
}


void
nt_notifier_destroy (nt_notifier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nt_notifier_t *self = *self_p;
    free (self->group);
    free (self->consumer);
    free (self);
    *self_p = NULL;
}


uint64_t
nt_notifier_handled (const nt_notifier_t *self)
{
    return self->handled;
}


uint64_t
nt_notifier_created (const nt_notifier_t *self)
{
    return self->created;
}


void
nt_notifier_set_metrics (nt_notifier_t *self, nt_metrics_t *metrics)
{
    edge_assert (self);
    self->metrics = metrics;
}


//  What became of one taken entry: log it, count it.
static void
s_report (nt_notifier_t *self, const nt_store_entry_t *entry, int64_t age)
{
    const nt_event_t *event = entry->event;
    if (entry->acked < 0) {
        self->deferred++;
        edge_debug ("event %s of task %s waits for its earlier events",
                    event->id, event->task_name);
        return;
    }
    if (entry->is_forced && entry->acked == 1 && *event->seq)
        edge_warn ("event %s of task %s taken out of order after %lld ms",
                   event->id, event->task_name, (long long) age);
    if (entry->acked == 1) {
        nt_metrics_consumed (self->metrics);
        int64_t age_ms = -1;
        if (*event->created_ms)
            age_ms = edge_now_ms () - strtoll (event->created_ms, NULL, 10);
        edge_info ("event %s/%s task=%s org=%s id=%s age_ms=%lld "
                   "deliveries=%d",
                   *event->type ? event->type : "?",
                   *event->event ? event->event : "?",
                   *event->task_name ? event->task_name : "?",
                   *event->org ? event->org : "-", event->id,
                   (long long) age_ms, entry->created);
    }
    self->handled++;
    self->created += entry->acked == 1 && entry->created > 0
                         ? (uint64_t) entry->created
                         : 0;
}


//  Count, deliver, log and acknowledge up to NT_STORE_INGEST_MAX entries
//  [id, [field, value, ...]] in one script call. Returns 0, or -1 when
//  Redis failed (the entries stay pending).
static int
s_handle_chunk (nt_notifier_t *self, redisReply *const *items, size_t n)
{
    nt_event_t events[NT_STORE_INGEST_MAX];
    nt_store_entry_t entries[NT_STORE_INGEST_MAX];
    int64_t ages[NT_STORE_INGEST_MAX];
    size_t count = 0;
    int64_t now = edge_now_ms ();
    for (size_t i = 0; i < n; i++) {
        const redisReply *entry = items[i];
        if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2
            || entry->element[0]->type != REDIS_REPLY_STRING)
            continue; //  deleted entry: nothing to do
        nt_event_init (&events[count], entry->element[0]->str,
                       entry->element[1]);
        //  Stream ids start with their time: an event that waited too
        //  long for its task's earlier ones (trimmed away, say) goes anyway.
        ages[count] = now - strtoll (events[count].id, NULL, 10);
        entries[count] = (nt_store_entry_t) {
            .event = &events[count],
            .is_forced = ages[count] > self->order_wait_ms};
        count++;
    }
    if (nt_store_ingest (self->redis, self->group, entries, count, now))
        return -1;
    for (size_t i = 0; i < count; i++)
        s_report (self, &entries[i], ages[i]);
    return 0;
}


//  Handle every entry of an entries array. Returns the count or -1.
static int
s_handle_entries (nt_notifier_t *self, const redisReply *entries)
{
    if (!entries || entries->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t i = 0; i < entries->elements; i += NT_STORE_INGEST_MAX) {
        size_t n = entries->elements - i;
        if (n > NT_STORE_INGEST_MAX)
            n = NT_STORE_INGEST_MAX;
        if (s_handle_chunk (self, entries->element + i, n))
            return -1;
    }
    return (int) entries->elements;
}


static int
s_ensure_group (nt_notifier_t *self)
{
    if (self->has_group && edge_redis_is_connected (self->redis))
        return 0;
    //  From id 0: events written before the first notifier ever started are
    //  delivered too. BUSYGROUP means another notifier created it already.
    redisReply *reply =
        edge_redis_command (self->redis, "XGROUP CREATE %s %s 0 MKSTREAM",
                            EDGE_KEY_EVENTS, self->group);
    if (!reply)
        return -1;
    bool is_ok = reply->type != REDIS_REPLY_ERROR
                 || strncmp (reply->str, "BUSYGROUP", 9) == 0;
    if (!is_ok)
        edge_error ("notifier: XGROUP CREATE failed: %s", reply->str);
    else if (reply->type != REDIS_REPLY_ERROR)
        edge_info ("notifier: created consumer group %s", self->group);
    freeReplyObject (reply);
    if (!is_ok)
        return -1;
    self->has_group = true;
    self->next_pending_ms = 0;
    return 0;
}


//  XREADGROUP from start_id ("0": our own pending list; ">": new entries).
//  Returns entries handled, or -1.
static int
s_read (nt_notifier_t *self, const char *start_id, int64_t block_ms)
{
    redisReply *reply;
    if (block_ms > 0)
        reply = edge_redis_command (
            self->redis,
            "XREADGROUP GROUP %s %s COUNT %lld BLOCK %lld STREAMS %s %s",
            self->group, self->consumer, (long long) self->batch,
            (long long) block_ms, EDGE_KEY_EVENTS, start_id);
    else
        reply = edge_redis_command (
            self->redis, "XREADGROUP GROUP %s %s COUNT %lld STREAMS %s %s",
            self->group, self->consumer, (long long) self->batch,
            EDGE_KEY_EVENTS, start_id);
    if (!reply)
        return -1;
    int count = 0;
    if (reply->type == REDIS_REPLY_ERROR) {
        edge_warn ("notifier: XREADGROUP failed: %s", reply->str);
        if (strncmp (reply->str, "NOGROUP", 7) == 0)
            self->has_group = false; //  stream or group was deleted
        count = -1;
    }
    else if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        const redisReply *stream = reply->element[0];
        if (stream->type == REDIS_REPLY_ARRAY && stream->elements == 2)
            count = s_handle_entries (self, stream->element[1]);
    }
    freeReplyObject (reply);
    return count;
}


//  Read our own pending list from start to end (entries we read before a
//  restart, and those deferred for their task's earlier events).
//  Returns the entries handled, or -1.
static int
s_read_pending (nt_notifier_t *self)
{
    char cursor[64] = "0";
    int total = 0;
    while (true) {
        redisReply *reply = edge_redis_command (
            self->redis, "XREADGROUP GROUP %s %s COUNT %lld STREAMS %s %s",
            self->group, self->consumer, (long long) self->batch,
            EDGE_KEY_EVENTS, cursor);
        if (!reply || reply->type != REDIS_REPLY_ARRAY
            || reply->elements == 0) {
            bool is_error = !reply || reply->type == REDIS_REPLY_ERROR;
            freeReplyObject (reply);
            if (is_error)
                return -1;
            break;
        }
        const redisReply *entries = reply->element[0]->element[1];
        size_t n = entries->elements;
        if (n > 0)
            snprintf (cursor, sizeof cursor, "%s",
                      entries->element[n - 1]->element[0]->str);
        int count = s_handle_entries (self, entries);
        freeReplyObject (reply);
        if (count < 0)
            return -1;
        total += count;
        if ((int64_t) n < self->batch)
            break;
    }
    return total;
}


//  Claim entries other consumers left pending for claim_idle_ms.
static int
s_claim (nt_notifier_t *self)
{
    char cursor[64] = "0-0";
    int total = 0;
    do {
        redisReply *reply = edge_redis_command (
            self->redis, "XAUTOCLAIM %s %s %s %lld %s COUNT %lld",
            EDGE_KEY_EVENTS, self->group, self->consumer,
            (long long) self->claim_idle_ms, cursor, (long long) self->batch);
        if (!reply)
            return -1;
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2
            || reply->element[0]->type != REDIS_REPLY_STRING) {
            edge_warn ("notifier: XAUTOCLAIM failed: %s",
                       reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
            freeReplyObject (reply);
            return -1;
        }
        snprintf (cursor, sizeof cursor, "%s", reply->element[0]->str);
        int count = s_handle_entries (self, reply->element[1]);
        if (count > 0)
            edge_info ("notifier: claimed %d pending entries", count);
        freeReplyObject (reply);
        if (count < 0)
            return -1;
        total += count;
    } while (strcmp (cursor, "0-0") != 0);
    return total;
}


int
nt_notifier_poll (nt_notifier_t *self, int64_t block_ms)
{
    if (s_ensure_group (self))
        return -1;
    int total = 0;
    self->deferred = 0;
    if (edge_mono_ms () >= self->next_pending_ms) {
        self->next_pending_ms = INT64_MAX;
        int count = s_read_pending (self);
        if (count < 0) {
            self->next_pending_ms = 0;
            return -1;
        }
        total += count;
    }
    if (edge_mono_ms () >= self->next_claim_ms) {
        int count = s_claim (self);
        if (count < 0)
            return -1;
        total += count;
        int64_t every = self->claim_idle_ms / 2;
        self->next_claim_ms = edge_mono_ms () + (every > 100 ? every : 100);
    }
    int count = s_read (self, ">", self->deferred ? 0 : block_ms);
    if (count < 0) {
        self->next_pending_ms = 0;
        return -1;
    }
    if (self->deferred > 0)
        self->next_pending_ms = edge_mono_ms () + S_PENDING_RETRY_MS;
    return total + count;
}
