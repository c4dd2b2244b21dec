/*  test_wk_reorder - a reordered image holds the same chunks in the new
    order, copies the files section byte for byte, records places and the
    preload table, and edge-fetch rebuilds identical files from it (and
    says when the game could start); bad input and damaged chunks are
    refused; traces -> profile -> reorder end to end.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wk_image.h"
#include "wk_manifest.h"
#include "wk_profile.h"
#include "wk_reorder.h"
#include "wk_testtar.h"
#include "wk_trace.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define S_FILES     6
#define S_FILE_SIZE (300u * 1024)

static char *s_dir;            //  per-test temporary directory
static char *s_img;            //  the image built from the tar
static wk_image_info_t s_info; //  its figures


static char *
s_path (const char *name)
{
    return edge_sprintf ("%s/%s", s_dir, name);
}


static int
s_setup (void **state)
{
    (void) state;
    s_dir = wk_testtar_tmpdir ();
    char *tar_path = s_path ("a.tar");
    wk_testtar_t *tar = wk_testtar_new (tar_path, NULL);
    char name[16];
    for (int i = 0; i < S_FILES; i++) {
        snprintf (name, sizeof (name), "f%d", i);
        wk_testtar_random (tar, name, S_FILE_SIZE, (uint64_t) i + 1);
    }
    uint8_t *zeros = edge_calloc (1, 200000);
    wk_testtar_file (tar, "zeros", zeros, 200000, 0644);
    free (zeros);
    wk_testtar_destroy (&tar);
    s_img = s_path ("img");
    wk_image_opts_t opts = {.segment_max = 256 * 1024};
    wk_image_error_t error;
    int rc = wk_image_build (tar_path, s_img, &opts, &s_info, &error);
    free (tar_path);
    return rc;
}


static int
s_teardown (void **state)
{
    (void) state;
    wk_testtar_rmtree (s_dir);
    free (s_img);
    free (s_dir);
    return 0;
}


static wk_manifest_t *
s_load (const char *dir)
{
    char *path = edge_sprintf ("%s/%s", dir, WK_IMAGE_MANIFEST);
    char err[256];
    wk_manifest_t *m = wk_manifest_load (path, err, sizeof (err));
    if (!m)
        fprintf (stderr, "%s: %s\n", path, err);
    assert_non_null (m);
    free (path);
    return m;
}


//  Run edge-fetch with args; returns its exit status, stdout in *out.
static int
s_fetch (const char *args, char **out)
{
    char *log = s_path ("fetch.out");
    char *cmd = edge_sprintf ("%s %s >%s 2>&1", EDGE_FETCH_PATH, args, log);
    int status = system (cmd);
    FILE *file = fopen (log, "r");
    char buf[4096] = "";
    if (file) {
        size_t n = fread (buf, 1, sizeof (buf) - 1, file);
        buf[n] = '\0';
        fclose (file);
    }
    *out = edge_strdup (buf);
    free (cmd);
    free (log);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}


static void
s_check_files (const char *out_dir)
{
    char name[64];
    for (int i = 0; i < S_FILES; i++) {
        snprintf (name, sizeof (name), "%s/f%d", out_dir, i);
        assert_true (
            wk_testtar_check_random (name, S_FILE_SIZE, (uint64_t) i + 1));
    }
    uint8_t *zeros = edge_calloc (1, 200000);
    snprintf (name, sizeof (name), "%s/zeros", out_dir);
    assert_true (wk_testtar_check_bytes (name, zeros, 200000));
    free (zeros);
}


static const wk_manifest_preload_t s_table[] = {{10000000, 5000},
                                                {100000000, 1000}};


static int
s_reorder (const char *out, const uint32_t *order, size_t n, char *err)
{
    wk_reorder_opts_t opts = {.order = order,
                              .norder = n,
                              .preload = s_table,
                              .npreload = 2,
                              .percentile = 90,
                              .traces = 12,
                              .profile = "{\"traces\":12}",
                              .segment_max = 200 * 1024};
    wk_image_info_t info;
    char *dir = s_path (out);
    int rc = wk_reorder_build (s_img, dir, &opts, &info, err, 256);
    free (dir);
    return rc;
}


static void
test_reversed_image_rebuilds_the_same_files (void **state)
{
    (void) state;
    wk_manifest_t *old = s_load (s_img);
    size_t n = old->nchunks;
    assert_true (n > 20);
    uint32_t *order = edge_calloc (n, sizeof (uint32_t));
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t) (n - 1 - i);
    wk_reorder_opts_t opts = {.order = order,
                              .norder = n,
                              .preload = s_table,
                              .npreload = 2,
                              .percentile = 90,
                              .traces = 12,
                              .profile = "{\"traces\":12}"};
    wk_image_info_t info;
    char err[256];
    char *dir = s_path ("re");
    assert_int_equal (wk_reorder_build (s_img, dir, &opts, &info, err, 256), 0);
    assert_int_equal (strncmp (info.dxf_name, "dxf_", 4), 0);
    assert_string_not_equal (info.dxf_name, s_info.dxf_name);
    assert_int_equal (info.chunks, n);
    assert_int_equal (info.stored_bytes, s_info.stored_bytes);
    wk_manifest_t *m = s_load (dir);
    assert_int_equal (m->nchunks, n);
    assert_memory_equal (m->load_order, order, n * sizeof (uint32_t));
    for (size_t c = 0; c < n; c++) {
        assert_memory_equal (m->chunks[c].sha, old->chunks[c].sha, 32);
        assert_int_equal (m->chunks[c].stored, old->chunks[c].stored);
        assert_int_equal (m->chunks[c].is_zstd, old->chunks[c].is_zstd);
    }
    assert_int_equal (m->chunks[n - 1].segment, 0); //  first in the stream
    assert_int_equal (m->chunks[n - 1].offset, 0);
    assert_int_equal (m->npreload, 2);
    assert_int_equal (m->preload_percentile, 90);
    assert_int_equal (m->preload[1].bandwidth_bps, 100000000);
    assert_int_equal (m->preload[1].bytes, 1000);
    assert_int_equal (m->total_size, old->total_size);
    assert_int_equal (m->nfiles, old->nfiles);
    char *args = edge_sprintf ("%s %s/re_out", dir, s_dir);
    char *out = NULL;
    assert_int_equal (s_fetch (args, &out), 0);
    char *out_dir = s_path ("re_out");
    s_check_files (out_dir);
    free (out_dir);
    free (out);
    free (args);
    wk_manifest_destroy (&m);
    wk_manifest_destroy (&old);
    free (dir);
    free (order);
}


//  A root member of a manifest as text. Caller frees.
static char *
s_member (const char *dir, const char *key)
{
    char *path = edge_sprintf ("%s/%s", dir, WK_IMAGE_MANIFEST);
    char *text = NULL, err[256];
    size_t len = 0;
    FILE *mem = open_memstream (&text, &len);
    assert_int_equal (wk_manifest_copy_member (path, key, mem, err, 256), 0);
    fclose (mem);
    free (path);
    return text;
}


static void
test_the_files_section_is_copied_byte_for_byte (void **state)
{
    (void) state;
    uint32_t order[64];
    size_t n = s_info.chunks;
    assert_true (n <= 64);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t) i; //  the same order
    char err[256];
    assert_int_equal (s_reorder ("same", order, n, err), 0);
    char *dir = s_path ("same");
    const char *keys[] = {"files", "chunking", "totalSize"};
    for (int k = 0; k < 3; k++) {
        char *a = s_member (s_img, keys[k]);
        char *b = s_member (dir, keys[k]);
        assert_true (strlen (a) > 0);
        assert_string_equal (a, b);
        free (b);
        free (a);
    }
    char *path = edge_sprintf ("%s/%s", dir, WK_IMAGE_MANIFEST);
    FILE *mem = fopen ("/dev/null", "w");
    assert_int_equal (wk_manifest_copy_member (path, "nothere", mem, err, 256),
                      -1);
    assert_non_null (strstr (err, "nothere"));
    fclose (mem);
    free (path);
    free (dir);
}


static void
test_bad_orders_and_options_are_refused (void **state)
{
    (void) state;
    size_t n = s_info.chunks;
    uint32_t *order = edge_calloc (n, sizeof (uint32_t));
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t) i;
    char err[256];
    assert_int_equal (s_reorder ("bad", order, n - 1, err), -1);
    assert_non_null (strstr (err, "chunks"));
    order[3] = 2;
    assert_int_equal (s_reorder ("bad", order, n, err), -1);
    assert_non_null (strstr (err, "order[3]"));
    order[3] = (uint32_t) n;
    assert_int_equal (s_reorder ("bad", order, n, err), -1);
    order[3] = 3;
    wk_reorder_opts_t opts = {.order = order, .norder = n, .profile = "[1]"};
    wk_image_info_t info;
    char *dir = s_path ("bad");
    assert_int_equal (wk_reorder_build (s_img, dir, &opts, &info, err, 256),
                      -1);
    assert_non_null (strstr (err, "profile"));
    opts.profile = NULL;
    assert_int_equal (wk_reorder_build (s_img, s_img, &opts, &info, err, 256),
                      -1);
    wk_manifest_preload_t down[] = {{100, 1}, {10, 2}};
    opts.preload = down;
    opts.npreload = 2;
    assert_int_equal (wk_reorder_build (s_img, dir, &opts, &info, err, 256),
                      -1);
    assert_non_null (strstr (err, "increasing"));
    free (dir);
    free (order);
}


static void
test_a_damaged_chunk_is_not_copied (void **state)
{
    (void) state;
    char *seg = edge_sprintf ("%s/seg_00000.bin", s_img);
    FILE *file = fopen (seg, "r+b");
    assert_non_null (file);
    fseek (file, 1000, SEEK_SET);
    int c = fgetc (file);
    fseek (file, 1000, SEEK_SET);
    fputc (c ^ 0x20, file);
    fclose (file);
    size_t n = s_info.chunks;
    uint32_t *order = edge_calloc (n, sizeof (uint32_t));
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t) i;
    char err[256];
    assert_int_equal (s_reorder ("dmg", order, n, err), -1);
    assert_non_null (strstr (err, "damaged"));
    free (order);
    free (seg);
}


static void
test_manifest_places_and_preload_are_checked (void **state)
{
    (void) state;
    char *path = edge_sprintf ("%s/%s", s_img, WK_IMAGE_MANIFEST);
    FILE *file = fopen (path, "rb");
    char *text = edge_calloc (1, 1 << 20);
    size_t len = fread (text, 1, (1 << 20) - 1, file);
    fclose (file);
    char err[256];
    wk_manifest_t *m = wk_manifest_decode (text, len, err, sizeof (err));
    assert_non_null (m);
    assert_int_equal (m->npreload, 0); //  "preload": null
    wk_manifest_destroy (&m);
    char *at = strstr (text, "\"order\":1}");
    assert_non_null (at);
    at[8] = '2';
    assert_null (wk_manifest_decode (text, len, err, sizeof (err)));
    assert_non_null (strstr (err, "order"));
    at[8] = '1';
    char *preload = strstr (text, "\"preload\":null");
    assert_non_null (preload);
    char *bad = edge_sprintf (
        "%.*s\"preload\":{\"percentile\":90,\"table\":[{\"bandwidthBps\":0,"
        "\"bytes\":1}]}}",
        (int) (preload - text), text);
    assert_null (wk_manifest_decode (bad, strlen (bad), err, sizeof (err)));
    assert_non_null (strstr (err, "preload"));
    free (bad);
    free (text);
    free (path);
}


//  Traces that read the files backwards: f5 first ... f0 last.
static void
s_write_traces (const char *dir, const char *dxf, int n)
{
    const char *files[] = {"f0", "f1", "f2", "f3", "f4", "f5"};
    wk_trace_access_t accesses[S_FILES * 10];
    for (int t = 0; t < n; t++) {
        size_t k = 0;
        for (int f = S_FILES - 1; f >= 0; f--)
            for (uint64_t off = 0; off < S_FILE_SIZE; off += S_FILE_SIZE / 10)
                accesses[k++] = (wk_trace_access_t){
                    (uint64_t) ((S_FILES - 1 - f) * 400 + t % 3 + k),
                    (uint32_t) f, off, 4096};
        char id[32], *path;
        snprintf (id, sizeof (id), "tr_%02d", t);
        path = edge_sprintf ("%s/%s.tr", dir, id);
        wk_trace_header_t header = {id, dxf, 1, files, S_FILES};
        assert_int_equal (wk_trace_write (path, &header, accesses, k), 0);
        free (path);
    }
}


static void
test_traces_fit_and_reorder_end_to_end (void **state)
{
    (void) state;
    wk_manifest_t *m = s_load (s_img);
    s_write_traces (s_dir, s_info.dxf_name, 12);
    wk_trace_mapper_t *mapper = wk_trace_mapper_new (m);
    wk_profile_t *profile = wk_profile_new (m, NULL);
    for (int t = 0; t < 12; t++) {
        char *path = edge_sprintf ("%s/tr_%02d.tr", s_dir, t), err[256];
        wk_trace_t *trace = wk_trace_mapper_load (mapper, path, err, 256);
        assert_non_null (trace);
        assert_int_equal (wk_profile_add_trace (profile, trace), 0);
        wk_trace_destroy (&trace);
        free (path);
    }
    uint64_t bps = 8000000; //  1 MB/s: 1000 bytes per ms
    wk_profile_eval_t eval;
    assert_int_equal (
        wk_profile_evaluate (profile, m->load_order, m->nload, bps, &eval), 0);
    fprintf (stderr, "preload before %llu after %llu of %llu\n",
             (unsigned long long) eval.before.preload_bytes,
             (unsigned long long) eval.after.preload_bytes,
             (unsigned long long) wk_profile_stream_size (profile));
    assert_true (eval.after.preload_bytes < eval.before.preload_bytes / 2);
    assert_true (eval.is_better);
    uint32_t *order = wk_profile_fit (profile, NULL);
    uint64_t bands[WK_PROFILE_NBANDWIDTHS], bytes[WK_PROFILE_NBANDWIDTHS];
    wk_manifest_preload_t table[WK_PROFILE_NBANDWIDTHS];
    for (int b = 0; b < WK_PROFILE_NBANDWIDTHS; b++)
        bands[b] = wk_profile_bandwidths_mbit[b] * 1000000ull;
    wk_profile_preload_table (profile, order, m->nchunks, bands,
                              WK_PROFILE_NBANDWIDTHS, bytes);
    for (int b = 0; b < WK_PROFILE_NBANDWIDTHS; b++)
        table[b] = (wk_manifest_preload_t){bands[b], bytes[b]};
    wk_reorder_opts_t opts = {.order = order,
                              .norder = m->nchunks,
                              .preload = table,
                              .npreload = WK_PROFILE_NBANDWIDTHS,
                              .percentile = 90,
                              .traces = 12};
    wk_image_info_t info;
    char err[256], *dir = s_path ("fit");
    assert_int_equal (wk_reorder_build (s_img, dir, &opts, &info, err, 256), 0);
    //  the game could start once the 10 Mbit/s preload has arrived: at
    //  the end of the chunk that reaches it
    uint64_t at = 0, total = wk_profile_stream_size (profile);
    for (size_t i = 0; i < m->nchunks && at < bytes[0]; i++)
        at += m->chunks[order[i]].stored;
    char *args =
        edge_sprintf ("--start-after-preload 20 %s %s/fit_out", dir, s_dir);
    char *out = NULL, want[128];
    assert_int_equal (s_fetch (args, &out), 0);
    snprintf (want, sizeof (want), "start: after %llu of %llu stream bytes",
              (unsigned long long) at, (unsigned long long) total);
    if (!strstr (out, want))
        fprintf (stderr, "wanted \"%s\" in:\n%s", want, out);
    assert_non_null (strstr (out, want));
    assert_non_null (strstr (out, "preload row 10 Mbit/s"));
    char *out_dir = s_path ("fit_out");
    s_check_files (out_dir);
    free (out_dir);
    free (out);
    free (args);
    //  the new image's traces fit the same order: no further change
    wk_manifest_t *fitted = s_load (dir);
    assert_int_equal (wk_profile_evaluate (profile, fitted->load_order,
                                           fitted->nload, bps, &eval),
                      0);
    assert_false (eval.is_better);
    wk_manifest_destroy (&fitted);
    free (dir);
    free (order);
    wk_profile_destroy (&profile);
    wk_trace_mapper_destroy (&mapper);
    wk_manifest_destroy (&m);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_reversed_image_rebuilds_the_same_files, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_files_section_is_copied_byte_for_byte, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_bad_orders_and_options_are_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_damaged_chunk_is_not_copied,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_manifest_places_and_preload_are_checked, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_traces_fit_and_reorder_end_to_end,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
