/*  trace-scale-gen - writes many long synthetic play sessions (.tr, the
    pipeline contract's trace format) for a real DxF image, fast, for the
    trace scale bench (bench/trace_scale.py, issue #6).

    Usage: trace-scale-gen --manifest FILE --out DIR [--traces 1000]
             [--accesses 100000] [--first 0] [--seed 1] [--dxf NAME]
             [--build-id 1] [--reread-share 0.1]
    Writes DIR/session_NNNNNN.tr for sessions first .. first+traces-1,
    each with exactly --accesses accesses (fewer only when the session's
    plan reads fewer bytes than accesses). Exit status 0, 1 on failure, 2
    usage. Sessions depend on (manifest, seed, index) only, so several
    processes with disjoint --first ranges write the same set as one.

    Like bench/gamegen.py, a hidden structure is drawn once from the
    manifest's regular files (seeded, in an order unrelated to the tar's):
    boot files, menu files, shared asset pools, levels (each loading its
    own files and a part of 2..4 pools, and streaming more files while
    played) and files never loaded (about 17 %). Each file has one read
    pattern (whole file, or a pak's header, tail and a few members). A
    session follows the structure with noise: machine speed 0.5..2x,
    neighbouring loads swapped, 3 % of reads skipped, weighted level
    choice, 1..n levels played for 20..240 s each with streamed files at
    random times. Its planned bytes are cut into reads of about
    bytes / (accesses * (1 - reread-share)) each (time follows the bytes,
    so it does not depend on the read size), and the remaining accesses
    re-read earlier ranges at random times, so the distinct chunks a
    session touches do not depend on --accesses.  */
#include "wk_manifest.h"
#include "wk_trace.h"
#include "edge_util.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_KIB     1024.0
#define S_MIB     (1024.0 * 1024.0)
#define S_NO_FILE UINT32_MAX
#define S_PI      3.14159265358979323846

typedef struct {
    uint64_t s[4];
} s_rng_t;

typedef struct {
    uint64_t offset, length;
} s_range_t;

//  One file load of the hidden structure.
typedef struct {
    uint32_t file;     //  manifest file index
    s_range_t *ranges; //  reads of one load, in order
    size_t nranges;
    double ms_per_byte; //  CPU and I/O time per byte at speed 1
    double pause_ms;    //  work after the file at speed 1
} s_step_t;

typedef struct {
    uint32_t *items; //  step indices
    size_t n;
} s_list_t;

typedef struct {
    double weight;
    s_list_t load;   //  shared pool files, then its own
    s_list_t stream; //  streamed while played
} s_level_t;

typedef struct {
    const wk_manifest_t *m;
    s_step_t *steps;
    size_t nsteps;
    s_list_t boot, menu;
    s_level_t *levels;
    size_t nlevels;
} s_truth_t;

//  A planned read (file != S_NO_FILE) or wait (ms).
typedef struct {
    uint32_t file;
    uint64_t offset, length;
    double ms_per_byte; //  read: at this session's speed, jittered
    double ms;          //  wait
} s_op_t;

typedef struct {
    s_op_t *ops;
    size_t n, cap;
    double t_ms; //  planned session time
    uint64_t bytes;
} s_plan_t;

typedef struct {
    const char *manifest, *out, *dxf;
    uint64_t traces, accesses, first, seed;
    int64_t build_id;
    double reread_share;
} s_args_t;


//  --- random numbers: splitmix64 seeding xoshiro256** -------------------
static uint64_t
s_splitmix (uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}


static void
s_rng_seed (s_rng_t *rng, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ULL);
    for (int i = 0; i < 4; i++)
        rng->s[i] = s_splitmix (&x);
}


static uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}


static uint64_t
s_next (s_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = s_rotl (s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotl (s[3], 45);
    return result;
}


//  Uniform in [0, 1).
static double
s_unit (s_rng_t *rng)
{
    return (double) (s_next (rng) >> 11) * 0x1.0p-53;
}


static double
s_uniform (s_rng_t *rng, double lo, double hi)
{
    return lo + (hi - lo) * s_unit (rng);
}


//  Uniform in [0, n) (n > 0; the modulo bias is negligible here).
static uint64_t
s_below (s_rng_t *rng, uint64_t n)
{
    return s_next (rng) % n;
}


static double
s_lognormal (s_rng_t *rng, double sigma)
{
    double u = 1.0 - s_unit (rng), v = s_unit (rng);
    return exp (sigma * sqrt (-2.0 * log (u)) * cos (2.0 * S_PI * v));
}


static void
s_shuffle (s_rng_t *rng, uint32_t *items, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t) s_below (rng, i);
        uint32_t tmp = items[i - 1];
        items[i - 1] = items[j];
        items[j] = tmp;
    }
}


//  --- the hidden structure -------------------------------------------------
static void
s_list_push (s_list_t *list, uint32_t item)
{
    if ((list->n & (list->n - 1)) == 0) //  0, 1, 2, 4...: grow
        list->items = edge_realloc (list->items, (list->n ? list->n * 2 : 1)
                                                     * sizeof (uint32_t));
    list->items[list->n++] = item;
}


static void
s_range_push (s_step_t *step, uint64_t offset, uint64_t length)
{
    if ((step->nranges & (step->nranges - 1)) == 0)
        step->ranges =
            edge_realloc (step->ranges, (step->nranges ? step->nranges * 2 : 1)
                                            * sizeof (s_range_t));
    step->ranges[step->nranges++] = (s_range_t){offset, length};
}


static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return (x > y) - (x < y);
}


//  A pak's reads: a header, the index at the end, then 2..7 of 12 members.
static void
s_pak_ranges (s_rng_t *rng, s_step_t *step, uint64_t size)
{
    static const uint64_t headers[] = {4, 16, 64};
    uint64_t head = headers[s_below (rng, 3)] * 1024;
    s_range_push (step, 0, head < size ? head : size);
    uint64_t tail = size / 8 < 65536 ? size / 8 : 65536;
    s_range_push (step, size - tail, tail);
    uint64_t cuts[13];
    cuts[0] = 0;
    for (int i = 1; i < 12; i++)
        cuts[i] = size * (1 + s_below (rng, 63)) / 64;
    cuts[12] = size;
    qsort (cuts, 13, sizeof (uint64_t), s_cmp_u64);
    for (int i = 0; i < 12; i++)
        if (cuts[i + 1] > cuts[i] && s_unit (rng) < 4.5 / 12)
            s_range_push (step, cuts[i], cuts[i + 1] - cuts[i]);
}


static void
s_step_init (s_rng_t *rng, s_step_t *step, const wk_manifest_t *m, uint32_t f)
{
    uint64_t size = m->files[f].size;
    step->file = f;
    if (size <= 256 * 1024 || s_unit (rng) < 0.6)
        s_range_push (step, 0, size);
    else
        s_pak_ranges (rng, step, size);
    //  ~400 MB/s storage plus 2..40 ms of CPU per MiB
    step->ms_per_byte =
        1.0 / (400.0 * S_KIB) + s_uniform (rng, 2.0, 40.0) / S_MIB;
    step->pause_ms = s_uniform (rng, 0, 120);
}


//  Levels: own and streamed files from their slices, 2..4 pools each.
static void
s_truth_levels (s_truth_t *truth,
                s_rng_t *rng,
                const uint32_t *pool_of,
                size_t npools,
                size_t first_shared,
                size_t nshared,
                size_t first_own,
                size_t nown,
                size_t nstream)
{
    for (size_t lv = 0; lv < truth->nlevels; lv++) {
        s_level_t *level = &truth->levels[lv];
        level->weight = 1.0 / (double) (lv + 1);
        bool is_used[12] = {false};
        for (size_t k = 2 + s_below (rng, 3); k > 0; k--)
            is_used[s_below (rng, npools)] = true;
        double share[12];
        for (size_t p = 0; p < npools; p++)
            share[p] = s_uniform (rng, 0.4, 0.9);
        for (size_t i = 0; i < nshared; i++) {
            uint32_t p = pool_of[i];
            if (is_used[p] && s_unit (rng) < share[p])
                s_list_push (&level->load, (uint32_t) (first_shared + i));
        }
        size_t own = nown / truth->nlevels, str = nstream / truth->nlevels;
        for (size_t i = 0; i < own; i++)
            s_list_push (&level->load, (uint32_t) (first_own + lv * own + i));
        for (size_t i = 0; i < str; i++)
            s_list_push (&level->stream,
                         (uint32_t) (first_own + nown + lv * str + i));
    }
}


//  Draw the structure from the manifest's non-empty regular files. Steps
//  are numbered boot, menu, shared, own, stream; the rest is never loaded.
static int
s_truth_init (s_truth_t *truth, const wk_manifest_t *m, uint64_t seed)
{
    s_rng_t rng;
    s_rng_seed (&rng, seed, 0x7472757468ULL);
    uint32_t *files = edge_calloc (m->nfiles + 1, sizeof (uint32_t));
    size_t n = 0;
    for (size_t i = 0; i < m->nfiles; i++)
        if (m->files[i].type == 'f' && m->files[i].size > 0)
            files[n++] = (uint32_t) i;
    if (n < 40) {
        fprintf (stderr, "trace-scale-gen: %zu files: need at least 40\n", n);
        free (files);
        return -1;
    }
    s_shuffle (&rng, files, n);
    size_t nboot = n * 3 / 100 + 1, nmenu = n * 5 / 100 + 1;
    size_t nshared = n * 20 / 100, nown = n * 35 / 100;
    size_t nstream = n * 20 / 100;
    truth->m = m;
    truth->nsteps = nboot + nmenu + nshared + nown + nstream;
    truth->steps = edge_calloc (truth->nsteps, sizeof (s_step_t));
    for (size_t i = 0; i < truth->nsteps; i++)
        s_step_init (&rng, &truth->steps[i], m, files[i]);
    for (size_t i = 0; i < nboot; i++)
        s_list_push (&truth->boot, (uint32_t) i);
    for (size_t i = 0; i < nmenu; i++)
        s_list_push (&truth->menu, (uint32_t) (nboot + i));
    size_t nlevels = n / 110 < 3 ? 3 : n / 110 > 24 ? 24 : n / 110;
    size_t npools = nlevels / 2 + 1 > 12 ? 12 : nlevels / 2 + 1;
    uint32_t *pool_of = edge_calloc (nshared + 1, sizeof (uint32_t));
    for (size_t i = 0; i < nshared; i++)
        pool_of[i] = (uint32_t) (i % npools);
    truth->nlevels = nlevels;
    truth->levels = edge_calloc (nlevels, sizeof (s_level_t));
    s_truth_levels (truth, &rng, pool_of, npools, nboot + nmenu, nshared,
                    nboot + nmenu + nshared, nown, nstream);
    free (pool_of);
    free (files);
    return 0;
}


static void
s_truth_fini (s_truth_t *truth)
{
    for (size_t i = 0; i < truth->nsteps; i++)
        free (truth->steps[i].ranges);
    for (size_t i = 0; i < truth->nlevels; i++) {
        free (truth->levels[i].load.items);
        free (truth->levels[i].stream.items);
    }
    free (truth->levels);
    free (truth->steps);
    free (truth->boot.items);
    free (truth->menu.items);
}


//  --- one session's plan ----------------------------------------------------
static s_op_t *
s_plan_push (s_plan_t *plan)
{
    plan->ops =
        edge_grow (plan->ops, &plan->cap, plan->n + 1, 1024, sizeof (s_op_t));
    s_op_t *op = &plan->ops[plan->n++];
    memset (op, 0, sizeof (*op));
    return op;
}


static void
s_plan_wait (s_plan_t *plan, double ms)
{
    if (ms <= 0)
        return;
    s_op_t *op = s_plan_push (plan);
    op->file = S_NO_FILE;
    op->ms = ms;
    plan->t_ms += ms;
}


//  Load one file: its reads (each kept with probability keep), then work.
static void
s_plan_load (s_plan_t *plan,
             s_rng_t *rng,
             const s_step_t *step,
             double speed,
             double keep)
{
    double per_byte = step->ms_per_byte / speed * s_lognormal (rng, 0.3);
    for (size_t i = 0; i < step->nranges; i++) {
        if (keep < 1.0 && s_unit (rng) >= keep)
            continue;
        s_op_t *op = s_plan_push (plan);
        op->file = step->file;
        op->offset = step->ranges[i].offset;
        op->length = step->ranges[i].length;
        op->ms_per_byte = per_byte;
        plan->t_ms += (double) op->length * per_byte;
        plan->bytes += op->length;
    }
    s_plan_wait (plan, step->pause_ms / speed * s_lognormal (rng, 0.3));
}


//  Load a list in its order with neighbours swapped (15 % each), skipping
//  steps already loaded (is_loaded NULL: load all).
static void
s_plan_list (s_plan_t *plan,
             s_rng_t *rng,
             const s_truth_t *truth,
             const s_list_t *list,
             double speed,
             bool *is_loaded)
{
    uint32_t *order = edge_malloc ((list->n + 1) * sizeof (uint32_t));
    if (list->n)
        memcpy (order, list->items, list->n * sizeof (uint32_t));
    for (size_t i = 0; i + 1 < list->n; i++)
        if (s_unit (rng) < 0.15) {
            uint32_t tmp = order[i];
            order[i] = order[i + 1];
            order[i + 1] = tmp;
        }
    for (size_t i = 0; i < list->n; i++) {
        if (is_loaded && is_loaded[order[i]])
            continue;
        if (is_loaded)
            is_loaded[order[i]] = true;
        s_plan_load (plan, rng, &truth->steps[order[i]], speed,
                     is_loaded ? 0.97 : 1.0);
    }
    free (order);
}


static size_t
s_pick_level (s_rng_t *rng, const s_truth_t *truth)
{
    double total = 0;
    for (size_t i = 0; i < truth->nlevels; i++)
        total += truth->levels[i].weight;
    double x = s_unit (rng) * total;
    for (size_t i = 0; i < truth->nlevels; i++) {
        x -= truth->levels[i].weight;
        if (x < 0)
            return i;
    }
    return truth->nlevels - 1;
}


//  Play a level for 20..240 s, streaming 75 % of its files at random times.
static void
s_plan_play (s_plan_t *plan,
             s_rng_t *rng,
             const s_truth_t *truth,
             const s_level_t *level,
             double speed)
{
    double play_ms = s_uniform (rng, 20000, 240000), start = plan->t_ms;
    size_t n = level->stream.n;
    uint64_t *due = edge_calloc (n + 1, sizeof (uint64_t));
    size_t ndue = 0;
    for (size_t i = 0; i < n; i++)
        if (s_unit (rng) < 0.75) //  due time in ms (high bits), item (low)
            due[ndue++] = ((uint64_t) s_uniform (rng, 0, play_ms) << 24) | i;
    qsort (due, ndue, sizeof (uint64_t), s_cmp_u64);
    for (size_t k = 0; k < ndue; k++) {
        s_plan_wait (plan, start + (double) (due[k] >> 24) - plan->t_ms);
        uint32_t item = level->stream.items[due[k] & 0xFFFFFF];
        s_plan_load (plan, rng, &truth->steps[item], speed, 1.0);
    }
    s_plan_wait (plan, start + play_ms - plan->t_ms);
    free (due);
}


static void
s_plan_session (s_plan_t *plan, s_rng_t *rng, const s_truth_t *truth)
{
    plan->n = 0;
    plan->t_ms = 0;
    plan->bytes = 0;
    double speed = exp (s_uniform (rng, log (0.5), log (2.0)));
    s_plan_list (plan, rng, truth, &truth->boot, speed, NULL);
    s_plan_list (plan, rng, truth, &truth->menu, speed, NULL);
    bool *is_loaded = edge_calloc (truth->nsteps, sizeof (bool));
    size_t nplay = 1 + (size_t) (-log (1.0 - s_unit (rng)) * 1.5);
    if (nplay > truth->nlevels)
        nplay = truth->nlevels;
    bool *is_seen = edge_calloc (truth->nlevels, sizeof (bool));
    for (size_t k = 0; k < nplay; k++) {
        s_plan_wait (plan, s_uniform (rng, 1500, 15000)); //  in the menu
        size_t lv = s_pick_level (rng, truth);
        if (is_seen[lv] && s_unit (rng) < 0.7)
            lv = s_pick_level (rng, truth);
        is_seen[lv] = true;
        const s_level_t *level = &truth->levels[lv];
        s_plan_list (plan, rng, truth, &level->load, speed, is_loaded);
        s_plan_play (plan, rng, truth, level, speed);
    }
    free (is_seen);
    free (is_loaded);
}


//  --- accesses
//  ---------------------------------------------------------------- Cut the
//  plan's reads into pieces of about piece bytes, at most max.
static size_t
s_cut (const s_plan_t *plan,
       s_rng_t *rng,
       double piece,
       wk_trace_access_t *out,
       size_t max)
{
    double t = 0;
    size_t n = 0;
    for (size_t i = 0; i < plan->n && n < max; i++) {
        const s_op_t *op = &plan->ops[i];
        if (op->file == S_NO_FILE) {
            t += op->ms;
            continue;
        }
        uint64_t pos = op->offset, end = op->offset + op->length;
        while (pos < end && n < max) {
            uint64_t len = (uint64_t) (piece * s_uniform (rng, 0.5, 1.5));
            len = len < 1 ? 1 : len > end - pos ? end - pos : len;
            out[n++] = (wk_trace_access_t){(uint64_t) t, op->file, pos, len};
            t += (double) len * op->ms_per_byte;
            pos += len;
        }
    }
    return n;
}


//  Merge nfirst accesses with extra re-reads of earlier accesses at
//  uniformly spread times into out (nfirst + extra entries).
static void
s_merge_rereads (s_rng_t *rng,
                 const wk_trace_access_t *first,
                 size_t nfirst,
                 size_t extra,
                 wk_trace_access_t *out)
{
    double end = nfirst ? (double) first[nfirst - 1].t_ms : 0, t = 0;
    size_t i = 0, n = 0;
    for (size_t k = 0; k < extra; k++) {
        //  sorted uniform times: spacings end / (extra + 1) on average
        t += end / (double) extra * -log (1.0 - s_unit (rng));
        uint64_t at = t < end ? (uint64_t) t : (uint64_t) end;
        while (i < nfirst && first[i].t_ms <= at)
            out[n++] = first[i++];
        if (i == 0) //  nothing read yet: re-read the first access
            out[n++] = first[0];
        else {
            out[n] = first[s_below (rng, i)];
            out[n++].t_ms = at;
        }
    }
    while (i < nfirst)
        out[n++] = first[i++];
}


//  Number the files in first-access order; fills paths.
static size_t
s_number_files (const wk_manifest_t *m,
                wk_trace_access_t *acc,
                size_t n,
                uint32_t *index,
                const char **paths)
{
    size_t nfiles = 0;
    for (size_t i = 0; i < m->nfiles; i++)
        index[i] = S_NO_FILE;
    for (size_t i = 0; i < n; i++) {
        uint32_t f = acc[i].file;
        if (index[f] == S_NO_FILE) {
            index[f] = (uint32_t) nfiles;
            paths[nfiles++] = m->files[f].path;
        }
        acc[i].file = index[f];
    }
    return nfiles;
}


//  --- main
//  ----------------------------------------------------------------------
static int
s_write_session (const s_args_t *args,
                 const s_truth_t *truth,
                 uint64_t i,
                 s_plan_t *plan,
                 wk_trace_access_t *bufs[2])
{
    s_rng_t rng;
    s_rng_seed (&rng, args->seed, 0x5E55000000ULL + i);
    s_plan_session (plan, &rng, truth);
    double target = (double) args->accesses * (1.0 - args->reread_share);
    double piece = (double) plan->bytes / (target < 1 ? 1 : target);
    size_t nfirst =
        s_cut (plan, &rng, piece < 1 ? 1 : piece, bufs[0], args->accesses);
    size_t extra = nfirst ? args->accesses - nfirst : 0;
    s_merge_rereads (&rng, bufs[0], nfirst, extra, bufs[1]);
    const wk_manifest_t *m = truth->m;
    uint32_t *index = edge_calloc (m->nfiles + 1, sizeof (uint32_t));
    const char **paths = edge_calloc (m->nfiles + 1, sizeof (char *));
    size_t n = nfirst + extra;
    size_t nfiles = s_number_files (m, bufs[1], n, index, paths);
    uint64_t x = args->seed ^ (i * 0x9E3779B97F4A7C15ULL);
    uint64_t a = s_splitmix (&x), b = s_splitmix (&x);
    char id[32], name[32];
    snprintf (id, sizeof (id), "tr_%016llx%04llx", (unsigned long long) a,
              (unsigned long long) (b & 0xFFFF));
    snprintf (name, sizeof (name), "session_%06llu.tr", (unsigned long long) i);
    wk_trace_header_t header = {id, args->dxf, args->build_id, paths, nfiles};
    char *path = edge_sprintf ("%s/%s", args->out, name);
    int rc = wk_trace_write (path, &header, bufs[1], n);
    if (rc != 0)
        fprintf (stderr, "trace-scale-gen: cannot write %s\n", path);
    free (path);
    free (paths);
    free (index);
    return rc;
}


static int
s_parse (s_args_t *args, int argc, char *argv[])
{
    *args = (s_args_t){.dxf = "dxf_bench",
                       .traces = 1000,
                       .accesses = 100000,
                       .seed = 1,
                       .build_id = 1,
                       .reread_share = 0.1};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *key = argv[i], *value = argv[i + 1];
        if (strcmp (key, "--manifest") == 0)
            args->manifest = value;
        else if (strcmp (key, "--out") == 0)
            args->out = value;
        else if (strcmp (key, "--dxf") == 0)
            args->dxf = value;
        else if (strcmp (key, "--traces") == 0)
            args->traces = strtoull (value, NULL, 10);
        else if (strcmp (key, "--accesses") == 0)
            args->accesses = strtoull (value, NULL, 10);
        else if (strcmp (key, "--first") == 0)
            args->first = strtoull (value, NULL, 10);
        else if (strcmp (key, "--seed") == 0)
            args->seed = strtoull (value, NULL, 10);
        else if (strcmp (key, "--build-id") == 0)
            args->build_id = strtoll (value, NULL, 10);
        else if (strcmp (key, "--reread-share") == 0)
            args->reread_share = strtod (value, NULL);
        else
            return -1;
    }
    if (argc % 2 == 0 || !args->manifest || !args->out || args->accesses == 0
        || args->reread_share < 0 || args->reread_share >= 1)
        return -1;
    return 0;
}


static int
s_run (const s_args_t *args)
{
    char err[256];
    wk_manifest_t *m = wk_manifest_load (args->manifest, err, sizeof (err));
    if (!m) {
        fprintf (stderr, "trace-scale-gen: %s: %s\n", args->manifest, err);
        return 1;
    }
    s_truth_t truth = {0};
    s_plan_t plan = {0};
    wk_trace_access_t *bufs[2] = {
        edge_calloc (args->accesses, sizeof (wk_trace_access_t)),
        edge_calloc (args->accesses, sizeof (wk_trace_access_t))};
    int rc = 1;
    if (s_truth_init (&truth, m, args->seed) != 0)
        goto cleanup;
    if (mkdir (args->out, 0755) != 0 && errno != EEXIST) {
        fprintf (stderr, "trace-scale-gen: cannot create %s\n", args->out);
        goto cleanup;
    }
    for (uint64_t i = args->first; i < args->first + args->traces; i++)
        if (s_write_session (args, &truth, i, &plan, bufs) != 0)
            goto cleanup;
    rc = 0;
cleanup:
    free (bufs[1]);
    free (bufs[0]);
    free (plan.ops);
    s_truth_fini (&truth);
    wk_manifest_destroy (&m);
    return rc;
}


int
main (int argc, char *argv[])
{
    s_args_t args;
    if (s_parse (&args, argc, argv) != 0) {
        fprintf (stderr, "usage: trace-scale-gen --manifest FILE --out DIR "
                         "[--traces 1000] [--accesses 100000] [--first 0] "
                         "[--seed 1] [--dxf NAME] [--build-id 1] "
                         "[--reread-share 0.1]\n");
        return 2;
    }
    return s_run (&args);
}
