/*  trace-fit - fits a load order on some traces of a build and prints, for
    the other (held-out) traces, the preload as a share of the build's
    stream for the file order, the fitted order and the oracle order (each
    held-out trace's own first-touch order), at each bandwidth.

    Usage: trace-fit --manifest FILE --traces DIR --train N
                     [--bandwidths 25,100,1000] [--percentile 90]
                     [--quantile Q] [--min-share S] [--cv MBIT]
    The .tr files of DIR are read in name order; the first N train, the
    rest are held out. Per bandwidth and order it prints p50, p90 and mean
    held-out preload share, and the quality (share of held-out traces whose
    preload is at most the training traces' percentile-th preload). With
    --cv, it also runs the k-fold cross-validation of all traces (file
    order against fitted orders) at MBIT Mbit/s, as mkraw does. Timings:
    load_ms and fit_ms (on the "traces" line), report_ms (the table, with
    the stream ends), cv_ms (the cross-validation) and peak_rss_kib.
    Exit status: 0, 1 on failure, 2 usage.  */
#include "wk_manifest.h"
#include "wk_profile.h"
#include "wk_trace.h"
#include "edge_util.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define S_MAX_BANDWIDTHS 16

typedef struct {
    const char *manifest, *traces;
    size_t train;
    uint64_t bps[S_MAX_BANDWIDTHS];
    size_t nbps;
    uint64_t cv_bps; //  0: no cross-validation
    wk_profile_opts_t opts;
} s_args_t;


static int
s_usage (void)
{
    fprintf (stderr, "usage: trace-fit --manifest FILE --traces DIR --train N "
                     "[--bandwidths 25,100,1000] [--percentile 90] "
                     "[--quantile Q] [--min-share S] [--cv MBIT]\n");
    return 2;
}


static int
s_parse_bandwidths (s_args_t *args, const char *text)
{
    args->nbps = 0;
    char *copy = edge_strdup (text), *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item;
         item = strtok_r (NULL, ",", &save)) {
        double mbit = strtod (item, NULL);
        if (mbit <= 0 || args->nbps == S_MAX_BANDWIDTHS) {
            free (copy);
            return -1;
        }
        args->bps[args->nbps++] = (uint64_t) (mbit * 1e6);
    }
    free (copy);
    return args->nbps ? 0 : -1;
}


static int
s_parse (s_args_t *args, int argc, char *argv[])
{
    wk_profile_opts_defaults (&args->opts);
    s_parse_bandwidths (args, "25,100,1000");
    bool has_train = false, is_quantile = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *key = argv[i], *value = argv[i + 1];
        if (strcmp (key, "--manifest") == 0)
            args->manifest = value;
        else if (strcmp (key, "--traces") == 0)
            args->traces = value;
        else if (strcmp (key, "--train") == 0) {
            args->train = strtoul (value, NULL, 10);
            has_train = true;
        }
        else if (strcmp (key, "--bandwidths") == 0) {
            if (s_parse_bandwidths (args, value) != 0)
                return -1;
        }
        else if (strcmp (key, "--percentile") == 0)
            args->opts.percentile = (uint32_t) strtoul (value, NULL, 10);
        else if (strcmp (key, "--quantile") == 0) {
            args->opts.quantile = strtod (value, NULL);
            is_quantile = true;
        }
        else if (strcmp (key, "--cv") == 0)
            args->cv_bps = (uint64_t) (strtod (value, NULL) * 1e6);
        else if (strcmp (key, "--min-share") == 0)
            args->opts.min_share = strtod (value, NULL);
        else
            return -1;
    }
    if (!is_quantile)
        args->opts.quantile = 1.0 - args->opts.percentile / 100.0;
    if (argc % 2 == 0 || !args->manifest || !args->traces || !has_train
        || args->opts.percentile > 100 || args->opts.quantile <= 0
        || args->opts.quantile > 1)
        return -1;
    return 0;
}


static int
s_is_trace (const struct dirent *entry)
{
    size_t len = strlen (entry->d_name);
    return len > 3 && strcmp (entry->d_name + len - 3, ".tr") == 0;
}


//  Map and add every trace of dir in name order. Returns traces added.
static size_t
s_load_traces (const s_args_t *args,
               const wk_manifest_t *m,
               wk_profile_t *profile)
{
    struct dirent **names = NULL;
    int n = scandir (args->traces, &names, s_is_trace, alphasort);
    if (n < 0) {
        fprintf (stderr, "trace-fit: cannot list %s\n", args->traces);
        return 0;
    }
    wk_trace_mapper_t *mapper = wk_trace_mapper_new (m);
    uint64_t accesses = 0, touches = 0;
    for (int i = 0; i < n; i++) {
        char *path = edge_sprintf ("%s/%s", args->traces, names[i]->d_name);
        char err[256];
        wk_trace_t *trace =
            wk_trace_mapper_load (mapper, path, err, sizeof (err));
        if (!trace)
            fprintf (stderr, "trace-fit: %s: %s (skipped)\n", path, err);
        else if (wk_profile_add_trace (profile, trace) == 0) {
            accesses += trace->accesses;
            touches += trace->ntouches;
        }
        wk_trace_destroy (&trace);
        free (path);
        free (names[i]);
    }
    free (names);
    wk_trace_mapper_destroy (&mapper);
    printf ("accesses %llu first_touches %llu profile_bytes %llu\n",
            (unsigned long long) accesses, (unsigned long long) touches,
            (unsigned long long) wk_profile_memory (profile));
    return wk_profile_count (profile);
}


//  One line: the held-out preload shares of one order at one bandwidth.
static void
s_report (const wk_profile_t *profile,
          const s_args_t *args,
          const char *name,
          const uint64_t *ends,
          uint64_t bps)
{
    size_t n = wk_profile_count (profile), held = n - args->train;
    uint64_t *train = edge_calloc (args->train + 1, sizeof (uint64_t));
    uint64_t *own = edge_calloc (held + 1, sizeof (uint64_t));
    for (size_t i = 0; i < n; i++) {
        uint64_t preload =
            ends ? wk_profile_trace_preload (profile, i, ends, bps)
                 : wk_profile_oracle_preload (profile, i, bps);
        if (i < args->train)
            train[i] = preload;
        else
            own[i - args->train] = preload;
    }
    uint64_t image =
        wk_profile_percentile (train, args->train, args->opts.percentile);
    double total = (double) wk_profile_stream_size (profile), sum = 0;
    size_t on_time = 0;
    for (size_t i = 0; i < held; i++) {
        sum += (double) own[i];
        on_time += own[i] <= image;
    }
    uint64_t p50 = wk_profile_percentile (own, held, 50);
    uint64_t p90 = wk_profile_percentile (own, held, args->opts.percentile);
    printf ("%10.1f %-7s %9.4f %9.4f %9.4f %8.3f\n", (double) bps / 1e6, name,
            (double) p50 / total, (double) p90 / total, sum / held / total,
            ends ? (double) on_time / held : 1.0);
    free (own);
    free (train);
}


static void
s_cross_validate (const wk_profile_t *profile, uint64_t bps)
{
    int64_t start = edge_mono_ms ();
    wk_profile_eval_t eval;
    if (wk_profile_evaluate (profile, NULL, 0, bps, &eval) != 0) {
        fprintf (stderr, "trace-fit: cannot cross-validate\n");
        return;
    }
    const wk_profile_figures_t *fig[2] = {&eval.before, &eval.after};
    for (int i = 0; i < 2; i++)
        printf ("cv %s folds %u preload_bytes %llu share %.4f quality %.3f "
                "expected_time_to_play_ms %.1f\n",
                i ? "fitted" : "file", eval.folds,
                (unsigned long long) fig[i]->preload_bytes,
                fig[i]->preload_share, fig[i]->quality,
                fig[i]->expected_time_to_play_ms);
    printf ("cv is_better %s cv_ms %lld\n", eval.is_better ? "true" : "false",
            (long long) (edge_mono_ms () - start));
}


static int
s_run (const s_args_t *args)
{
    char err[256];
    wk_manifest_t *m = wk_manifest_load (args->manifest, err, sizeof (err));
    if (!m) {
        fprintf (stderr, "trace-fit: %s: %s\n", args->manifest, err);
        return 1;
    }
    wk_profile_t *profile = wk_profile_new (m, &args->opts);
    int64_t start = edge_mono_ms ();
    size_t n = s_load_traces (args, m, profile);
    int64_t loaded = edge_mono_ms ();
    int rc = 1;
    if (n <= args->train || args->train == 0) {
        fprintf (stderr, "trace-fit: %zu traces: need more than --train %zu\n",
                 n, args->train);
        goto cleanup;
    }
    bool *is_used = edge_calloc (n, sizeof (bool));
    for (size_t i = 0; i < args->train; i++)
        is_used[i] = true;
    uint32_t *order = wk_profile_fit (profile, is_used);
    int64_t fitted = edge_mono_ms ();
    uint64_t *file_ends = wk_profile_ends (profile, NULL, 0);
    uint64_t *fit_ends = wk_profile_ends (profile, order, m->nchunks);
    printf ("traces %zu train %zu heldout %zu chunks %zu stream_bytes %llu "
            "load_ms %lld fit_ms %lld\n",
            n, args->train, n - args->train, m->nchunks,
            (unsigned long long) wk_profile_stream_size (profile),
            (long long) (loaded - start), (long long) (fitted - loaded));
    printf ("%10s %-7s %9s %9s %9s %8s\n", "mbit/s", "order", "p50", "p90",
            "mean", "quality");
    for (size_t b = 0; b < args->nbps; b++) {
        s_report (profile, args, "file", file_ends, args->bps[b]);
        s_report (profile, args, "fitted", fit_ends, args->bps[b]);
        s_report (profile, args, "oracle", NULL, args->bps[b]);
    }
    printf ("report_ms %lld\n", (long long) (edge_mono_ms () - fitted));
    if (args->cv_bps)
        s_cross_validate (profile, args->cv_bps);
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    printf ("peak_rss_kib %ld\n", usage.ru_maxrss);
    free (fit_ends);
    free (file_ends);
    free (order);
    free (is_used);
    rc = 0;
cleanup:
    wk_profile_destroy (&profile);
    wk_manifest_destroy (&m);
    return rc;
}


int
main (int argc, char *argv[])
{
    s_args_t args = {0};
    if (s_parse (&args, argc, argv) != 0)
        return s_usage ();
    return s_run (&args);
}
