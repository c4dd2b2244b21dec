/*  wk_profile - the load profile of a build over many traces: fits a load
    order, computes preloads, and judges a new order against the current
    one by k-fold cross-validation (architecture §8).

    Stream: the image's chunks laid out in a load order, each taking its
    stored (compressed) size; a chunk's end offset is where its last byte
    arrives. Preload of one trace at bandwidth B (bits per second):
      max over the trace's first touches (end offset of the chunk
      - floor (B * t / 8000)), at least 0   (t in ms, result in bytes)
    computed exactly in integers: the smallest prefix such that the rest,
    downloaded at B, never arrives after the game needs it.

    Fitted order (wk_profile_fit), over the n traces used:
    - a chunk touched by m traces is "reliable" when m >= S, where
      S = max (min_traces, ceil (min_share * n)); its key is its r-th
      earliest first-access time, r = clamp (ceil (quantile * m),
      min_traces, m). So at least min_traces traces (2 by default) must
      agree that the chunk is needed by then: one trace can never pull a
      chunk ahead, and with quantile = 1 - percentile/100 the chunk comes
      in time for that share of the traces that need it. A low quantile of
      the traces that touch the chunk (not of all traces) is used on
      purpose: a chunk that each of 20 player choices needs at 30 s must
      come before 30 s for every one of them, although each is touched by
      5 % of the traces only;
    - reliable chunks first, by key, then by more traces, then by chunk
      index (file order);
    - then chunks touched by fewer than S traces (too few to trust), by
      their earliest first access, then more traces, then chunk index;
    - then untraced chunks in file order (chunk index: chunks are numbered
      in tar order and a reorder keeps the numbers).

    Cross-validation (wk_profile_evaluate): k = min (5, n) folds; traces
    are ranked by the FNV-1a hash of their traceId (then the id, then the
    order added) and trace at rank i is in fold i % k, so the folds depend
    on the set of ids only. For each fold, an order (the current one, or
    one fitted on the other folds) gives the image's preload (the
    percentile-th preload of the other folds' traces) and each held-out
    trace's own preload. Pooled over the folds:
      preload_bytes  the percentile-th held-out preload
      quality        share of held-out traces whose preload is at most
                     their fold's image preload (they start without stall)
      expected_time_to_play_ms
                     mean over held-out traces of max (image preload, own
                     preload) / B: a launcher waits for the image preload,
                     and a trace needing more stalls for the difference.
    Results depend on the input only (no randomness, no float sums whose
    order varies).

    Memory: per trace its id and its first touches, delta-coded in varints
    (about 3 bytes a touch); per chunk a few words during a fit. Raw
    accesses are never held (see wk_trace).  */
#ifndef WK_PROFILE_H_INCLUDED
#define WK_PROFILE_H_INCLUDED
#include "wk_manifest.h"
#include "wk_trace.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WK_PROFILE_FOLDS_MAX   5
#define WK_PROFILE_NBANDWIDTHS 6
//  The manifest's preload table, in Mbit/s.
extern const uint32_t wk_profile_bandwidths_mbit[WK_PROFILE_NBANDWIDTHS];

typedef struct {
    uint32_t percentile; //  image preload percentile (90)
    double quantile;     //  key quantile (1 - percentile / 100)
    uint32_t min_traces; //  traces that must agree on a key (2)
    double min_share;    //  share of traces for a reliable chunk (0.01)
    double threshold;    //  improvement needed (0.05)
} wk_profile_opts_t;

//  Figures of one order over held-out traces.
typedef struct {
    uint64_t preload_bytes;          //  percentile-th held-out preload
    double preload_share;            //  preload_bytes / stream size
    double quality;                  //  share starting without stall
    double expected_time_to_play_ms; //  see above
} wk_profile_figures_t;

typedef struct {
    uint32_t folds;              //  k
    size_t traces;               //  traces judged (all, held out once)
    uint64_t bandwidth_bps;      //  B
    wk_profile_figures_t before; //  the current order
    wk_profile_figures_t after;  //  orders fitted on the other folds
    bool is_better;              //  wk_profile_is_better (before, after)
} wk_profile_eval_t;

typedef struct wk_profile wk_profile_t;

//  Fill opts with the defaults above.
void wk_profile_opts_defaults (wk_profile_opts_t *opts);
//  Create an empty profile for the chunks of manifest (stored sizes are
//  copied; the manifest may go). opts NULL means the defaults. Caller owns
//  the result.
wk_profile_t *wk_profile_new (const wk_manifest_t *manifest,
                              const wk_profile_opts_t *opts);
//  Destroy and nullify the caller's reference; NULL-safe.
void wk_profile_destroy (wk_profile_t **self_p);
//  Add a trace's first touches (copied, packed). Returns 0, or -1 when a
//  touch names no chunk of the build or touches are not in time order.
int wk_profile_add_trace (wk_profile_t *self, const wk_trace_t *trace);
//  Number of traces added; chunks of the build; bytes of the stream.
size_t wk_profile_count (const wk_profile_t *self);
size_t wk_profile_nchunks (const wk_profile_t *self);
uint64_t wk_profile_stream_size (const wk_profile_t *self);
//  Bytes held for the traces' touches.
uint64_t wk_profile_memory (const wk_profile_t *self);
//  Trace i's id, borrowed: valid until the profile is destroyed.
const char *wk_profile_trace_id (const wk_profile_t *self, size_t i);
//  Fit a load order on the traces i with is_used[i] (NULL: all). Returns
//  a permutation of the nchunks chunk indices. Caller owns the result.
uint32_t *wk_profile_fit (const wk_profile_t *self, const bool *is_used);
//  End offset of every chunk in the stream of order (norder indices; a
//  chunk missing from it follows, in index order, as edge-fetch reads it).
//  stored: the nchunks stored sizes. Caller owns the result.
uint64_t *wk_profile_stream_ends (const uint32_t *stored,
                                  size_t nchunks,
                                  const uint32_t *order,
                                  size_t norder);
//  The same with the profile's stored sizes. Caller owns the result.
uint64_t *wk_profile_ends (const wk_profile_t *self,
                           const uint32_t *order,
                           size_t norder);
//  Preload in bytes of a mapped trace with the stream ends.
uint64_t wk_profile_preload (const wk_trace_t *trace,
                             const uint64_t *ends,
                             uint64_t bandwidth_bps);
//  Preload of added trace i with the stream ends.
uint64_t wk_profile_trace_preload (const wk_profile_t *self,
                                   size_t i,
                                   const uint64_t *ends,
                                   uint64_t bandwidth_bps);
//  Preload of added trace i if the stream were its own first-touch order
//  (the oracle: no order does better for that trace).
uint64_t wk_profile_oracle_preload (const wk_profile_t *self,
                                    size_t i,
                                    uint64_t bandwidth_bps);
//  The p-th percentile (nearest rank: the ceil (p/100 * n)-th smallest,
//  the smallest when p is 0) of n values; sorts values. 0 when n is 0.
uint64_t wk_profile_percentile (uint64_t *values, size_t n, uint32_t p);
//  Fold of each added trace into folds (wk_profile_count entries) for k
//  folds (1 <= k).
void wk_profile_folds (const wk_profile_t *self, uint32_t k, uint32_t *folds);
//  For every bandwidth, the percentile-th preload over all traces with
//  order into bytes. Fills nothing when there are no traces.
void wk_profile_preload_table (const wk_profile_t *self,
                               const uint32_t *order,
                               size_t norder,
                               const uint64_t *bandwidths_bps,
                               size_t n,
                               uint64_t *bytes);
//  Cross-validate: the current order (norder indices) against fitted
//  orders at bandwidth_bps. Returns 0 and fills eval, or -1 when there
//  are fewer than 2 traces or bandwidth_bps is 0.
int wk_profile_evaluate (const wk_profile_t *self,
                         const uint32_t *current,
                         size_t norder,
                         uint64_t bandwidth_bps,
                         wk_profile_eval_t *eval);
//  True when after improves the preload (relative to before) or the
//  quality (absolute) by more than threshold, and the expected time to
//  play does not grow by more than threshold (relative).
bool wk_profile_is_better (const wk_profile_figures_t *before,
                           const wk_profile_figures_t *after,
                           double threshold);
#endif
