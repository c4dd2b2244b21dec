/*  mkraw-bench - times an image build (and optionally a patch) and prints
    figures as "key value" lines for bench/mkraw_bench.py.

    Usage: mkraw-bench TAR OUTDIR [TAR_B]
    Builds OUTDIR/a from TAR; with TAR_B also OUTDIR/b and the patch
    OUTDIR/p from a to b.  */
#include "wk_image.h"
#include "wk_patch.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>


static int
s_build (const char *tar, const char *out, const char *tag)
{
    wk_image_info_t info;
    wk_image_error_t error;
    int64_t start = edge_mono_ms ();
    if (wk_image_build (tar, out, NULL, &info, &error) != 0) {
        fprintf (stderr, "mkraw-bench: %s\n", error.message);
        return -1;
    }
    double secs = (double) (edge_mono_ms () - start) / 1000.0;
    printf ("%s_seconds %.3f\n", tag, secs);
    printf ("%s_mb_per_s %.1f\n", tag, (double) info.raw_bytes / 1e6 / secs);
    printf ("%s_raw_bytes %llu\n", tag, (unsigned long long) info.raw_bytes);
    printf ("%s_image_bytes %llu\n", tag,
            (unsigned long long) info.stored_bytes);
    printf ("%s_chunks %llu\n", tag, (unsigned long long) info.chunks);
    printf ("%s_segments %llu\n", tag, (unsigned long long) info.segments);
    return 0;
}


int
main (int argc, char *argv[])
{
    if (argc != 3 && argc != 4) {
        fprintf (stderr, "usage: mkraw-bench TAR OUTDIR [TAR_B]\n");
        return 2;
    }
    edge_log_init ("mkraw-bench");
    edge_log_threshold = EDGE_LOG_WARN;
    char *a = edge_sprintf ("%s/a", argv[2]);
    char *b = edge_sprintf ("%s/b", argv[2]);
    char *p = edge_sprintf ("%s/p", argv[2]);
    int rc = s_build (argv[1], a, "a");
    if (rc == 0 && argc == 4)
        rc = s_build (argv[3], b, "b");
    if (rc == 0 && argc == 4) {
        wk_patch_info_t info;
        char err[256];
        int64_t start = edge_mono_ms ();
        rc = wk_patch_build (a, b, p, 0, &info, err, sizeof (err));
        if (rc == 0) {
            printf ("patch_seconds %.3f\n",
                    (double) (edge_mono_ms () - start) / 1000.0);
            printf ("patch_bytes %llu\n",
                    (unsigned long long) info.total_bytes);
        }
        else
            fprintf (stderr, "mkraw-bench: %s\n", err);
    }
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    printf ("peak_rss_kib %ld\n", usage.ru_maxrss);
    free (p);
    free (b);
    free (a);
    return rc == 0 ? 0 : 1;
}
