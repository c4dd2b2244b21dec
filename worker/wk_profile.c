/*  wk_profile - packed first-touch lists per trace, a k-way merge over
    them in time order for the fit, exact integer preloads, and k-fold
    cross-validation.  */
#include "wk_profile.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

const uint32_t wk_profile_bandwidths_mbit[WK_PROFILE_NBANDWIDTHS] = {
    10, 25, 50, 100, 250, 1000};

typedef struct {
    char *id;        //  traceId
    uint64_t hash;   //  FNV-1a of id
    uint8_t *packed; //  touches: varint zigzag chunk delta, varint t delta
    size_t size;     //  bytes in packed
    size_t ntouches; //  touches
} s_trace_t;

struct wk_profile {
    wk_profile_opts_t opts;
    uint32_t *stored; //  per chunk: stored size
    size_t nchunks;
    uint64_t stream_size; //  sum of stored
    s_trace_t *traces;
    size_t ntraces, traces_cap;
    uint64_t memory; //  bytes in packed lists
};

//  A reader over one trace's packed touches.
typedef struct {
    const uint8_t *p, *end;
    uint32_t chunk, t_ms;
} s_cursor_t;

//  A chunk's place in the fitted order.
typedef struct {
    uint32_t klass; //  0 reliable, 1 too few traces, 2 untraced
    uint32_t key;   //  time key
    uint32_t count; //  traces touching it
    uint32_t chunk; //  index
} s_rank_t;


static void
s_put_varint (uint8_t **p, uint64_t v)
{
    while (v >= 0x80) {
        *(*p)++ = (uint8_t) (v | 0x80);
        v >>= 7;
    }
    *(*p)++ = (uint8_t) v;
}


static uint64_t
s_get_varint (const uint8_t **p)
{
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
}


static void
s_cursor_init (s_cursor_t *cur, const s_trace_t *trace)
{
    *cur = (s_cursor_t){trace->packed, trace->packed + trace->size, 0, 0};
}


//  Advance to the next touch; false at the end.
static bool
s_cursor_next (s_cursor_t *cur)
{
    if (cur->p >= cur->end)
        return false;
    uint64_t z = s_get_varint (&cur->p);
    int64_t delta = (int64_t) (z >> 1) ^ -(int64_t) (z & 1);
    cur->chunk = (uint32_t) ((int64_t) cur->chunk + delta);
    cur->t_ms += (uint32_t) s_get_varint (&cur->p);
    return true;
}


//  Bytes downloaded at bps after t_ms: floor (bps * t / 8000), exactly.
static uint64_t
s_downloaded (uint64_t bps, uint32_t t_ms)
{
    uint64_t whole;
    if (__builtin_mul_overflow (bps / 8000, (uint64_t) t_ms, &whole))
        return UINT64_MAX; //  everything has arrived
    uint64_t part = bps % 8000 * t_ms / 8000;
    return whole > UINT64_MAX - part ? UINT64_MAX : whole + part;
}


static uint64_t
s_need (uint64_t end, uint64_t bps, uint32_t t_ms)
{
    uint64_t got = s_downloaded (bps, t_ms);
    return end > got ? end - got : 0;
}


void
wk_profile_opts_defaults (wk_profile_opts_t *opts)
{
    edge_assert (opts);
    *opts = (wk_profile_opts_t){.percentile = 90,
                                .quantile = 0.1,
                                .min_traces = 2,
                                .min_share = 0.01,
                                .threshold = 0.05};
}


wk_profile_t *
wk_profile_new (const wk_manifest_t *manifest, const wk_profile_opts_t *opts)
{
    edge_assert (manifest);
    wk_profile_t *self = edge_calloc (1, sizeof (*self));
    if (opts)
        self->opts = *opts;
    else
        wk_profile_opts_defaults (&self->opts);
    edge_assert (self->opts.percentile <= 100 && self->opts.quantile > 0
                 && self->opts.quantile <= 1 && self->opts.min_traces > 0);
    self->nchunks = manifest->nchunks;
    self->stored = edge_calloc (self->nchunks + 1, sizeof (uint32_t));
    for (size_t i = 0; i < self->nchunks; i++) {
        self->stored[i] = manifest->chunks[i].stored;
        self->stream_size += manifest->chunks[i].stored;
    }
    return self;
}


void
wk_profile_destroy (wk_profile_t **self_p)
{
    edge_assert (self_p);
    wk_profile_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->ntraces; i++) {
        free (self->traces[i].id);
        free (self->traces[i].packed);
    }
    free (self->traces);
    free (self->stored);
    free (self);
    *self_p = NULL;
}


static uint64_t
s_fnv1a (const char *text)
{
    uint64_t hash = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        hash = (hash ^ *p) * 1099511628211ull;
    return hash;
}


int
wk_profile_add_trace (wk_profile_t *self, const wk_trace_t *trace)
{
    edge_assert (self && trace && (trace->touches || !trace->ntouches));
    for (size_t i = 0; i < trace->ntouches; i++)
        if (trace->touches[i].chunk >= self->nchunks
            || (i && trace->touches[i].t_ms < trace->touches[i - 1].t_ms))
            return -1;
    uint8_t *packed = edge_malloc (trace->ntouches * 15 + 1), *p = packed;
    uint32_t chunk = 0, t_ms = 0;
    for (size_t i = 0; i < trace->ntouches; i++) {
        int64_t delta = (int64_t) trace->touches[i].chunk - chunk;
        s_put_varint (&p, ((uint64_t) delta << 1) ^ (uint64_t) (delta >> 63));
        s_put_varint (&p, trace->touches[i].t_ms - t_ms);
        chunk = trace->touches[i].chunk;
        t_ms = trace->touches[i].t_ms;
    }
    self->traces = edge_grow (self->traces, &self->traces_cap,
                              self->ntraces + 1, 64, sizeof (s_trace_t));
    size_t size = (size_t) (p - packed);
    const char *id = trace->trace_id ? trace->trace_id : "";
    self->traces[self->ntraces++] =
        (s_trace_t){edge_strdup (id), s_fnv1a (id),
                    edge_realloc (packed, size + 1), size, trace->ntouches};
    self->memory += size + 1 + strlen (id) + 1 + sizeof (s_trace_t);
    return 0;
}


size_t
wk_profile_count (const wk_profile_t *self)
{
    edge_assert (self);
    return self->ntraces;
}


size_t
wk_profile_nchunks (const wk_profile_t *self)
{
    edge_assert (self);
    return self->nchunks;
}


uint64_t
wk_profile_stream_size (const wk_profile_t *self)
{
    edge_assert (self);
    return self->stream_size;
}


uint64_t
wk_profile_memory (const wk_profile_t *self)
{
    edge_assert (self);
    return self->memory;
}


const char *
wk_profile_trace_id (const wk_profile_t *self, size_t i)
{
    edge_assert (self && i < self->ntraces);
    return self->traces[i].id;
}


//  The fit's merge: a binary min-heap of trace cursors by (time, trace).
typedef struct {
    s_cursor_t *curs; //  per trace
    uint32_t *heap;   //  trace indices
    size_t n;
} s_merge_t;


static bool
s_before (const s_merge_t *m, uint32_t a, uint32_t b)
{
    return m->curs[a].t_ms != m->curs[b].t_ms
               ? m->curs[a].t_ms < m->curs[b].t_ms
               : a < b;
}


static void
s_sift_down (s_merge_t *m, size_t i)
{
    while (true) {
        size_t least = i, l = 2 * i + 1, r = l + 1;
        if (l < m->n && s_before (m, m->heap[l], m->heap[least]))
            least = l;
        if (r < m->n && s_before (m, m->heap[r], m->heap[least]))
            least = r;
        if (least == i)
            return;
        uint32_t tmp = m->heap[i];
        m->heap[i] = m->heap[least];
        m->heap[least] = tmp;
        i = least;
    }
}


//  Count the used traces touching each chunk.
static size_t
s_count (const wk_profile_t *self, const bool *is_used, uint32_t *counts)
{
    size_t n = 0;
    for (size_t i = 0; i < self->ntraces; i++) {
        if (is_used && !is_used[i])
            continue;
        n++;
        s_cursor_t cur;
        s_cursor_init (&cur, &self->traces[i]);
        while (s_cursor_next (&cur))
            counts[cur.chunk]++;
    }
    return n;
}


//  Merge the used traces in time order: a chunk's first time goes into
//  first[], the time its count reaches rank[] into key[].
static void
s_merge (const wk_profile_t *self,
         const bool *is_used,
         const uint32_t *rank,
         uint32_t *first,
         uint32_t *key)
{
    s_merge_t m = {edge_calloc (self->ntraces + 1, sizeof (s_cursor_t)),
                   edge_calloc (self->ntraces + 1, sizeof (uint32_t)), 0};
    for (size_t i = 0; i < self->ntraces; i++) {
        s_cursor_init (&m.curs[i], &self->traces[i]);
        if ((!is_used || is_used[i]) && s_cursor_next (&m.curs[i]))
            m.heap[m.n++] = (uint32_t) i;
    }
    for (size_t i = m.n; i > 0; i--)
        s_sift_down (&m, i - 1);
    uint32_t *seen = edge_calloc (self->nchunks + 1, sizeof (uint32_t));
    while (m.n > 0) {
        s_cursor_t *cur = &m.curs[m.heap[0]];
        uint32_t c = cur->chunk;
        if (++seen[c] == 1)
            first[c] = cur->t_ms;
        if (seen[c] == rank[c])
            key[c] = cur->t_ms;
        if (!s_cursor_next (cur))
            m.heap[0] = m.heap[--m.n];
        s_sift_down (&m, 0);
    }
    free (seen);
    free (m.heap);
    free (m.curs);
}


static int
s_rank_cmp (const void *a, const void *b)
{
    const s_rank_t *x = a, *y = b;
    if (x->klass != y->klass)
        return x->klass < y->klass ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->chunk < y->chunk ? -1 : x->chunk > y->chunk;
}


uint32_t *
wk_profile_fit (const wk_profile_t *self, const bool *is_used)
{
    edge_assert (self);
    size_t nc = self->nchunks;
    uint32_t *counts = edge_calloc (nc + 1, sizeof (uint32_t));
    uint32_t *rank = edge_calloc (nc + 1, sizeof (uint32_t));
    uint32_t *first = edge_calloc (nc + 1, sizeof (uint32_t));
    uint32_t *key = edge_calloc (nc + 1, sizeof (uint32_t));
    size_t n = s_count (self, is_used, counts);
    const wk_profile_opts_t *o = &self->opts;
    double share = ceil (o->min_share * (double) n);
    uint32_t support = share > o->min_traces ? (uint32_t) share : o->min_traces;
    for (size_t c = 0; c < nc; c++) {
        double r = ceil (o->quantile * counts[c]);
        rank[c] = r < o->min_traces ? o->min_traces : (uint32_t) r;
        if (rank[c] > counts[c])
            rank[c] = counts[c];
    }
    s_merge (self, is_used, rank, first, key);
    s_rank_t *ranks = edge_calloc (nc + 1, sizeof (s_rank_t));
    for (size_t c = 0; c < nc; c++) {
        uint32_t klass = counts[c] == 0 ? 2 : counts[c] < support ? 1 : 0;
        ranks[c] = (s_rank_t){klass,
                              klass == 0   ? key[c]
                              : klass == 1 ? first[c]
                                           : 0,
                              counts[c], (uint32_t) c};
    }
    qsort (ranks, nc, sizeof (s_rank_t), s_rank_cmp);
    uint32_t *order = edge_calloc (nc + 1, sizeof (uint32_t));
    for (size_t i = 0; i < nc; i++)
        order[i] = ranks[i].chunk;
    free (ranks);
    free (key);
    free (first);
    free (rank);
    free (counts);
    return order;
}


uint64_t *
wk_profile_stream_ends (const uint32_t *stored,
                        size_t nchunks,
                        const uint32_t *order,
                        size_t norder)
{
    edge_assert (stored || nchunks == 0);
    edge_assert (order || norder == 0);
    uint64_t *ends = edge_calloc (nchunks + 1, sizeof (uint64_t));
    bool *is_placed = edge_calloc (nchunks + 1, sizeof (bool));
    uint64_t at = 0;
    for (size_t i = 0; i < norder + nchunks; i++) {
        size_t c = i < norder ? order[i] : i - norder;
        if (c >= nchunks || is_placed[c])
            continue;
        is_placed[c] = true;
        at += stored[c];
        ends[c] = at;
    }
    free (is_placed);
    return ends;
}


uint64_t *
wk_profile_ends (const wk_profile_t *self, const uint32_t *order, size_t norder)
{
    edge_assert (self);
    return wk_profile_stream_ends (self->stored, self->nchunks, order, norder);
}


uint64_t
wk_profile_preload (const wk_trace_t *trace,
                    const uint64_t *ends,
                    uint64_t bandwidth_bps)
{
    edge_assert (trace && ends);
    uint64_t preload = 0;
    for (size_t i = 0; i < trace->ntouches; i++) {
        uint64_t need = s_need (ends[trace->touches[i].chunk], bandwidth_bps,
                                trace->touches[i].t_ms);
        if (need > preload)
            preload = need;
    }
    return preload;
}


uint64_t
wk_profile_trace_preload (const wk_profile_t *self,
                          size_t i,
                          const uint64_t *ends,
                          uint64_t bandwidth_bps)
{
    edge_assert (self && i < self->ntraces && ends);
    uint64_t preload = 0;
    s_cursor_t cur;
    s_cursor_init (&cur, &self->traces[i]);
    while (s_cursor_next (&cur)) {
        uint64_t need = s_need (ends[cur.chunk], bandwidth_bps, cur.t_ms);
        if (need > preload)
            preload = need;
    }
    return preload;
}


uint64_t
wk_profile_oracle_preload (const wk_profile_t *self,
                           size_t i,
                           uint64_t bandwidth_bps)
{
    edge_assert (self && i < self->ntraces);
    uint64_t preload = 0, at = 0;
    s_cursor_t cur;
    s_cursor_init (&cur, &self->traces[i]);
    while (s_cursor_next (&cur)) {
        at += self->stored[cur.chunk];
        uint64_t need = s_need (at, bandwidth_bps, cur.t_ms);
        if (need > preload)
            preload = need;
    }
    return preload;
}


static int
s_u64_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}


uint64_t
wk_profile_percentile (uint64_t *values, size_t n, uint32_t p)
{
    edge_assert ((values || n == 0) && p <= 100);
    if (n == 0)
        return 0;
    qsort (values, n, sizeof (uint64_t), s_u64_cmp);
    size_t rank = (size_t) (((uint64_t) p * n + 99) / 100);
    return values[rank ? rank - 1 : 0];
}


typedef struct {
    const s_trace_t *trace;
    size_t index;
} s_fold_t;


static int
s_fold_cmp (const void *a, const void *b)
{
    const s_fold_t *x = a, *y = b;
    if (x->trace->hash != y->trace->hash)
        return x->trace->hash < y->trace->hash ? -1 : 1;
    int cmp = strcmp (x->trace->id, y->trace->id);
    if (cmp)
        return cmp;
    return x->index < y->index ? -1 : x->index > y->index;
}


void
wk_profile_folds (const wk_profile_t *self, uint32_t k, uint32_t *folds)
{
    edge_assert (self && k >= 1 && (folds || self->ntraces == 0));
    s_fold_t *ranked = edge_calloc (self->ntraces + 1, sizeof (s_fold_t));
    for (size_t i = 0; i < self->ntraces; i++)
        ranked[i] = (s_fold_t){&self->traces[i], i};
    qsort (ranked, self->ntraces, sizeof (s_fold_t), s_fold_cmp);
    for (size_t r = 0; r < self->ntraces; r++)
        folds[ranked[r].index] = (uint32_t) (r % k);
    free (ranked);
}


void
wk_profile_preload_table (const wk_profile_t *self,
                          const uint32_t *order,
                          size_t norder,
                          const uint64_t *bandwidths_bps,
                          size_t n,
                          uint64_t *bytes)
{
    edge_assert (self && (bandwidths_bps || n == 0) && (bytes || n == 0));
    if (self->ntraces == 0)
        return;
    uint64_t *ends = wk_profile_ends (self, order, norder);
    uint64_t *values = edge_calloc (self->ntraces, sizeof (uint64_t));
    for (size_t b = 0; b < n; b++) {
        for (size_t i = 0; i < self->ntraces; i++)
            values[i] =
                wk_profile_trace_preload (self, i, ends, bandwidths_bps[b]);
        bytes[b] = wk_profile_percentile (values, self->ntraces,
                                          self->opts.percentile);
    }
    free (values);
    free (ends);
}


//  Held-out figures of one way of choosing an order per fold: the fixed
//  order (norder indices), or when is_fitted one fitted per fold on the
//  other folds.
static void
s_judge (const wk_profile_t *self,
         const uint32_t *folds,
         uint32_t k,
         bool is_fitted,
         const uint32_t *order,
         size_t norder,
         uint64_t bps,
         wk_profile_figures_t *fig)
{
    size_t n = self->ntraces;
    uint64_t *own = edge_calloc (n, sizeof (uint64_t));
    uint64_t *image = edge_calloc (n, sizeof (uint64_t));
    uint64_t *train = edge_calloc (n, sizeof (uint64_t));
    bool *is_used = edge_calloc (n, sizeof (bool));
    for (uint32_t f = 0; f < k; f++) {
        for (size_t i = 0; i < n; i++)
            is_used[i] = folds[i] != f;
        uint32_t *fitted = is_fitted ? wk_profile_fit (self, is_used) : NULL;
        uint64_t *ends = fitted ? wk_profile_ends (self, fitted, self->nchunks)
                                : wk_profile_ends (self, order, norder);
        size_t ntrain = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t preload = wk_profile_trace_preload (self, i, ends, bps);
            if (is_used[i])
                train[ntrain++] = preload;
            else
                own[i] = preload;
        }
        uint64_t at =
            wk_profile_percentile (train, ntrain, self->opts.percentile);
        for (size_t i = 0; i < n; i++)
            if (!is_used[i])
                image[i] = at;
        free (ends);
        free (fitted);
    }
    uint64_t waited = 0; //  bytes; 2^64 is far away
    size_t on_time = 0;
    for (size_t i = 0; i < n; i++) {
        on_time += own[i] <= image[i];
        waited += own[i] > image[i] ? own[i] : image[i];
    }
    fig->quality = (double) on_time / (double) n;
    fig->expected_time_to_play_ms =
        (double) waited * 8000.0 / (double) bps / (double) n;
    fig->preload_bytes = wk_profile_percentile (own, n, self->opts.percentile);
    fig->preload_share = self->stream_size ? (double) fig->preload_bytes
                                                 / (double) self->stream_size
                                           : 0.0;
    free (is_used);
    free (train);
    free (image);
    free (own);
}


int
wk_profile_evaluate (const wk_profile_t *self,
                     const uint32_t *current,
                     size_t norder,
                     uint64_t bandwidth_bps,
                     wk_profile_eval_t *eval)
{
    edge_assert (self && (current || norder == 0) && eval);
    memset (eval, 0, sizeof (*eval));
    if (self->ntraces < 2 || bandwidth_bps == 0)
        return -1;
    uint32_t k = self->ntraces < WK_PROFILE_FOLDS_MAX ? (uint32_t) self->ntraces
                                                      : WK_PROFILE_FOLDS_MAX;
    uint32_t *folds = edge_calloc (self->ntraces, sizeof (uint32_t));
    wk_profile_folds (self, k, folds);
    s_judge (self, folds, k, false, current, norder, bandwidth_bps,
             &eval->before);
    s_judge (self, folds, k, true, NULL, 0, bandwidth_bps, &eval->after);
    free (folds);
    eval->folds = k;
    eval->traces = self->ntraces;
    eval->bandwidth_bps = bandwidth_bps;
    eval->is_better = wk_profile_is_better (&eval->before, &eval->after,
                                            self->opts.threshold);
    return 0;
}


bool
wk_profile_is_better (const wk_profile_figures_t *before,
                      const wk_profile_figures_t *after,
                      double threshold)
{
    edge_assert (before && after);
    double gain = 0.0; //  relative preload gain
    if (before->preload_bytes > 0)
        gain = ((double) before->preload_bytes - (double) after->preload_bytes)
               / (double) before->preload_bytes;
    else if (after->preload_bytes > 0)
        gain = -1.0;
    double quality = after->quality - before->quality;
    //  The guard is the expected time to play, which counts both the
    //  preload and the stalls: the share of held-out traces on time moves
    //  by 1/n per trace and would veto real gains on a dozen traces.
    double was = before->expected_time_to_play_ms;
    double now = after->expected_time_to_play_ms;
    bool is_slower = was > 0.0 ? (now - was) / was > threshold : now > 0.0;
    return (gain > threshold || quality > threshold) && !is_slower;
}
