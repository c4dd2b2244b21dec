/*  bk_worker - live workers in a zhashx keyed by the hex of their routing
    id, each a bk_worker_t the table owns; credit and resynchronisation as
    the header describes.  */
#include "bk_worker.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <czmq.h>

#define S_KEY_SIZE (2 * BK_WORKER_ROUTING_MAX + 1)

struct bk_worker_table {
    zhashx_t *workers; //  hex routing id -> bk_worker_t (owned)
    uint64_t clock;    //  source of bk_worker_t.lru values
};


static void
s_key (const void *routing, size_t size, char key[S_KEY_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *bytes = routing;
    for (size_t i = 0; i < size; i++) {
        key[2 * i] = hex[bytes[i] >> 4];
        key[2 * i + 1] = hex[bytes[i] & 15];
    }
    key[2 * size] = '\0';
}


static void
s_worker_destroy (void **item)
{
    bk_worker_t *worker = *item;
    if (!worker)
        return;
    free (worker->id);
    free (worker->version);
    free (worker);
    *item = NULL;
}


bk_worker_table_t *
bk_worker_table_new (void)
{
    bk_worker_table_t *self = edge_calloc (1, sizeof *self);
    self->workers = zhashx_new ();
    edge_assert (self->workers);
    zhashx_set_destructor (self->workers, s_worker_destroy);
    return self;
}


void
bk_worker_table_destroy (bk_worker_table_t **self_p)
{
    edge_assert (self_p);
    bk_worker_table_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->workers);
    free (self);
    *self_p = NULL;
}


bk_worker_t *
bk_worker_table_lookup (bk_worker_table_t *self,
                        const void *routing,
                        size_t routing_size)
{
    edge_assert (self && routing);
    if (routing_size == 0 || routing_size > BK_WORKER_ROUTING_MAX)
        return NULL;
    char key[S_KEY_SIZE];
    s_key (routing, routing_size, key);
    return zhashx_lookup (self->workers, key);
}


bk_worker_t *
bk_worker_table_add (bk_worker_table_t *self,
                     const void *routing,
                     size_t routing_size,
                     const char *id,
                     uint64_t last_seq,
                     int64_t now_ms)
{
    edge_assert (self && routing && id);
    edge_assert (routing_size >= 1 && routing_size <= BK_WORKER_ROUTING_MAX);
    edge_assert (!bk_worker_table_lookup (self, routing, routing_size));
    bk_worker_t *worker = edge_calloc (1, sizeof *worker);
    memcpy (worker->routing, routing, routing_size);
    worker->routing_size = routing_size;
    worker->id = edge_strdup (id);
    worker->version = edge_strdup ("unknown");
    worker->last_seq = worker->sent_seq = last_seq;
    worker->seen_ms = worker->sent_ms = now_ms;
    worker->lru = ++self->clock;
    char key[S_KEY_SIZE];
    s_key (routing, routing_size, key);
    zhashx_insert (self->workers, key, worker);
    return worker;
}


void
bk_worker_table_remove (bk_worker_table_t *self, bk_worker_t **worker_p)
{
    edge_assert (self && worker_p && *worker_p);
    char key[S_KEY_SIZE];
    s_key ((*worker_p)->routing, (*worker_p)->routing_size, key);
    zhashx_delete (self->workers, key); //  frees the worker
    *worker_p = NULL;
}


size_t
bk_worker_table_size (const bk_worker_table_t *self)
{
    edge_assert (self);
    return zhashx_size (self->workers);
}


bk_worker_t *
bk_worker_table_first (bk_worker_table_t *self)
{
    edge_assert (self);
    return zhashx_first (self->workers);
}


bk_worker_t *
bk_worker_table_next (bk_worker_table_t *self)
{
    edge_assert (self);
    return zhashx_next (self->workers);
}


bk_worker_t *
bk_worker_table_best (bk_worker_table_t *self)
{
    edge_assert (self);
    bk_worker_t *best = NULL;
    uint32_t best_credit = 0;
    for (bk_worker_t *worker = zhashx_first (self->workers); worker;
         worker = zhashx_next (self->workers)) {
        uint32_t credit = bk_worker_credit (worker);
        if (credit > best_credit
            || (credit > 0 && credit == best_credit
                && worker->lru < best->lru)) {
            best = worker;
            best_credit = credit;
        }
    }
    return best;
}


void
bk_worker_table_mark_sent (bk_worker_table_t *self,
                           bk_worker_t *worker,
                           uint64_t seq,
                           int64_t now_ms)
{
    edge_assert (self && worker);
    worker->sent_seq = seq;
    worker->sent_ms = now_ms;
    worker->lru = ++self->clock;
}


size_t
bk_worker_table_expire (bk_worker_table_t *self,
                        int64_t now_ms,
                        int64_t timeout_ms)
{
    edge_assert (self);
    size_t count = 0, size = zhashx_size (self->workers);
    bk_worker_t **expired = edge_calloc (size ? size : 1, sizeof *expired);
    for (bk_worker_t *worker = zhashx_first (self->workers); worker;
         worker = zhashx_next (self->workers))
        if (now_ms - worker->seen_ms > timeout_ms)
            expired[count++] = worker;
    for (size_t i = 0; i < count; i++) {
        edge_warn ("worker %s lost: no message for %lld ms, forgotten",
                   expired[i]->id, (long long) (now_ms - expired[i]->seen_ms));
        bk_worker_table_remove (self, &expired[i]);
    }
    free (expired);
    return count;
}


uint64_t
bk_worker_table_missed (bk_worker_table_t *self,
                        int64_t now_ms,
                        int64_t heartbeat_ms,
                        uint32_t max)
{
    edge_assert (self && heartbeat_ms >= 1 && max >= 1);
    uint64_t total = 0;
    for (bk_worker_t *worker = zhashx_first (self->workers); worker;
         worker = zhashx_next (self->workers)) {
        int64_t silent = now_ms - worker->seen_ms;
        int64_t missed = (silent - heartbeat_ms / 2) / heartbeat_ms;
        if (missed < 0)
            missed = 0;
        if (missed > (int64_t) max - 1)
            missed = (int64_t) max - 1;
        if (silent > (int64_t) max * heartbeat_ms)
            missed = max;
        if (missed > (int64_t) worker->missed) {
            total += (uint64_t) missed - worker->missed;
            worker->missed = (uint32_t) missed;
        }
    }
    return total;
}


void
bk_worker_report (bk_worker_t *self,
                  uint32_t free,
                  uint64_t last_seq,
                  int64_t now_ms,
                  int64_t lost_after_ms)
{
    edge_assert (self);
    self->free = free;
    self->last_seq = last_seq;
    self->seen_ms = now_ms;
    self->missed = 0;
    if (last_seq > self->sent_seq) {
        edge_debug ("worker %s reports seq %llu beyond %llu sent, adopted",
                    self->id, (unsigned long long) last_seq,
                    (unsigned long long) self->sent_seq);
        self->sent_seq = last_seq;
    }
    uint64_t in_flight = self->sent_seq - last_seq;
    if (in_flight > 0
        && ((self->is_described && in_flight > self->capacity)
            || now_ms - self->sent_ms >= lost_after_ms)) {
        edge_warn ("worker %s never got %llu job(s) up to seq %llu: taken as "
                   "lost, credit restored",
                   self->id, (unsigned long long) in_flight,
                   (unsigned long long) self->sent_seq);
        self->sent_seq = last_seq;
    }
}


void
bk_worker_describe (bk_worker_t *self, const char *version, uint32_t capacity)
{
    edge_assert (self && version);
    if (strcmp (self->version, version) != 0) {
        free (self->version);
        self->version = edge_strdup (version);
    }
    self->capacity = capacity;
    self->is_described = true;
}


uint32_t
bk_worker_credit (const bk_worker_t *self)
{
    edge_assert (self);
    uint64_t in_flight = self->sent_seq - self->last_seq;
    return self->free > in_flight ? (uint32_t) (self->free - in_flight) : 0;
}
