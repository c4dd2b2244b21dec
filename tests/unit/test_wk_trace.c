/*  test_wk_trace - .tr files written by wk_trace_write map to the first
    touch of each chunk, through links too, whatever the key order; bad
    traces are refused with a reason; every truncation is refused; memory
    does not grow with the number of accesses.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wk_trace.h"
#include "wk_testtar.h"
#include "edge_util.h"
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char *s_dir;        //  per-test temporary directory
static wk_manifest_t *s_m; //  the build below
static wk_trace_mapper_t *s_mapper;

//  Chunks 0..3 of 100, 200, 300, 400 bytes; "a" = 0 1 2, "d/b" = 3 1.
static const char s_manifest[] =
    "{\"version\":1,\"files\":["
    "{\"path\":\"a\",\"type\":\"file\",\"mode\":420,\"mtime\":0,\"size\":600,"
    "\"chunks\":[[0,0,100],[1,100,200],[2,300,300]]},"
    "{\"path\":\"d\",\"type\":\"dir\",\"mode\":493,\"mtime\":0},"
    "{\"path\":\"d/b\",\"type\":\"file\",\"mode\":420,\"mtime\":0,\"size\":600,"
    "\"chunks\":[[3,0,400],[1,400,200]]},"
    "{\"path\":\"l\",\"type\":\"symlink\",\"mode\":511,\"mtime\":0,"
    "\"target\":\"a\"},"
    "{\"path\":\"d/l2\",\"type\":\"symlink\",\"mode\":511,\"mtime\":0,"
    "\"target\":\"./../a\"},"
    "{\"path\":\"h\",\"type\":\"hardlink\",\"mode\":420,\"mtime\":0,"
    "\"target\":\"d/b\"},"
    "{\"path\":\"d/bad\",\"type\":\"symlink\",\"mode\":511,\"mtime\":0,"
    "\"target\":\"../../a\"}],"
    "\"chunks\":["
    "{\"sha256\":\"01"
    "00000000000000000000000000000000000000000000000000000"
    "000000000\",\"size\":100,\"storedSize\":100,\"compression\":\"none\","
    "\"segment\":0,\"offset\":0},"
    "{\"sha256\":\"02"
    "00000000000000000000000000000000000000000000000000000"
    "000000000\",\"size\":200,\"storedSize\":200,\"compression\":\"none\","
    "\"segment\":0,\"offset\":100},"
    "{\"sha256\":\"03"
    "00000000000000000000000000000000000000000000000000000"
    "000000000\",\"size\":300,\"storedSize\":300,\"compression\":\"none\","
    "\"segment\":0,\"offset\":300},"
    "{\"sha256\":\"04"
    "00000000000000000000000000000000000000000000000000000"
    "000000000\",\"size\":400,\"storedSize\":400,\"compression\":\"none\","
    "\"segment\":0,\"offset\":600}],"
    "\"loadOrder\":[0,1,2,3],"
    "\"segments\":[{\"name\":\"seg_00000.bin\",\"size\":1000}]}";


static int
s_setup (void **state)
{
    (void) state;
    s_dir = wk_testtar_tmpdir ();
    char err[256];
    s_m =
        wk_manifest_decode (s_manifest, strlen (s_manifest), err, sizeof (err));
    if (!s_m)
        fprintf (stderr, "manifest: %s\n", err);
    s_mapper = s_m ? wk_trace_mapper_new (s_m) : NULL;
    return s_m ? 0 : -1;
}


static int
s_teardown (void **state)
{
    (void) state;
    wk_trace_mapper_destroy (&s_mapper);
    wk_manifest_destroy (&s_m);
    wk_testtar_rmtree (s_dir);
    free (s_dir);
    return 0;
}


static char *
s_write (const char *const *files,
         size_t nfiles,
         const wk_trace_access_t *accesses,
         size_t n)
{
    char *path = edge_sprintf ("%s/t.tr", s_dir);
    wk_trace_header_t header = {"tr_0123", "dxf_00112233aabbccdd", 7, files,
                                nfiles};
    assert_int_equal (wk_trace_write (path, &header, accesses, n), 0);
    return path;
}


//  Load path; NULL when refused, with the reason in err.
static wk_trace_t *
s_load (const char *path, char *err, size_t errsize)
{
    return wk_trace_mapper_load (s_mapper, path, err, errsize);
}


static void
s_expect_touches (const wk_trace_t *trace, const uint32_t (*want)[2], size_t n)
{
    assert_int_equal (trace->ntouches, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal (trace->touches[i].chunk, want[i][0]);
        assert_int_equal (trace->touches[i].t_ms, want[i][1]);
    }
}


static void
test_mapper_new_and_destroy_null_the_pointer (void **state)
{
    (void) state;
    wk_trace_mapper_t *mapper = wk_trace_mapper_new (s_m);
    assert_non_null (mapper);
    wk_trace_mapper_destroy (&mapper);
    assert_null (mapper);
    wk_trace_mapper_destroy (&mapper);
    wk_trace_t *trace = NULL;
    wk_trace_destroy (&trace);
}


static const char *const s_files[] = {"a", "d/b"};
static const wk_trace_access_t s_accesses[] = {
    {0, 0, 0, 1},    //  chunk 0
    {0, 0, 50, 100}, //  chunks 0 and 1
    {5, 1, 0, 0},    //  nothing
    {7, 1, 399, 2},  //  chunks 3 and 1 (already)
    {9, 0, 599, 1},  //  chunk 2
};
static const uint32_t s_touches[][2] = {{0, 0}, {1, 0}, {3, 7}, {2, 9}};


static void
test_accesses_map_to_first_touches_in_time_order (void **state)
{
    (void) state;
    char *path = s_write (s_files, 2, s_accesses, 5);
    char err[256];
    wk_trace_t *trace = s_load (path, err, sizeof (err));
    assert_non_null (trace);
    assert_string_equal (trace->trace_id, "tr_0123");
    assert_string_equal (trace->dxf_name, "dxf_00112233aabbccdd");
    assert_int_equal (trace->build_id, 7);
    assert_int_equal (trace->accesses, 5);
    assert_int_equal (trace->duration_ms, 9);
    s_expect_touches (trace, s_touches, 4);
    wk_trace_destroy (&trace);
    //  the mapper forgets the previous trace's touches
    trace = s_load (path, err, sizeof (err));
    assert_non_null (trace);
    s_expect_touches (trace, s_touches, 4);
    wk_trace_destroy (&trace);
    free (path);
}


static void
test_links_resolve_to_their_regular_files (void **state)
{
    (void) state;
    const char *files[] = {"l", "d/l2", "h"};
    wk_trace_access_t accesses[] = {{0, 0, 0, 1}, {1, 1, 100, 1}, {2, 2, 0, 1}};
    char *path = s_write (files, 3, accesses, 3);
    char err[256];
    wk_trace_t *trace = s_load (path, err, sizeof (err));
    assert_non_null (trace);
    s_expect_touches (trace, (const uint32_t[][2]){{0, 0}, {1, 1}, {3, 2}}, 3);
    wk_trace_destroy (&trace);
    free (path);
}


static void
s_pack_str (msgpack_packer *pk, const char *text)
{
    msgpack_pack_str (pk, strlen (text));
    msgpack_pack_str_body (pk, text, strlen (text));
}


static void
s_pack_accesses (msgpack_packer *pk, const wk_trace_access_t *acc, size_t n)
{
    s_pack_str (pk, "accesses");
    msgpack_pack_array (pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_array (pk, 4);
        msgpack_pack_uint64 (pk, acc[i].t_ms);
        msgpack_pack_uint32 (pk, acc[i].file);
        msgpack_pack_uint64 (pk, acc[i].offset);
        msgpack_pack_uint64 (pk, acc[i].length);
    }
}


//  Variants the writer cannot produce.
typedef enum {
    S_ACCESSES_FIRST, //  valid: accesses before files, an unknown key
    S_VERSION_2,
    S_NO_ACCESSES,
    S_TWICE,     //  "traceId" twice
    S_TRAILING,  //  a byte after the map
    S_NEGATIVE,  //  a negative time
    S_SHORT_ROW, //  an access of 3 items
    S_BUILD_STR  //  "buildId" is a string
} s_variant_t;


static char *
s_write_variant (s_variant_t variant)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, variant == S_NO_ACCESSES ? 6
                           : variant == S_TWICE     ? 8
                                                    : 7);
    if (variant != S_NO_ACCESSES) {
        if (variant == S_NEGATIVE || variant == S_SHORT_ROW) {
            s_pack_str (&pk, "accesses");
            msgpack_pack_array (&pk, 1);
            msgpack_pack_array (&pk, variant == S_SHORT_ROW ? 3 : 4);
            msgpack_pack_int64 (&pk, variant == S_NEGATIVE ? -1 : 0);
            msgpack_pack_uint32 (&pk, 0);
            msgpack_pack_uint32 (&pk, 0);
            if (variant == S_NEGATIVE)
                msgpack_pack_uint32 (&pk, 1);
        }
        else
            s_pack_accesses (&pk, s_accesses, 5);
    }
    s_pack_str (&pk, "extra");
    msgpack_pack_map (&pk, 1);
    s_pack_str (&pk, "nested");
    msgpack_pack_array (&pk, 2);
    msgpack_pack_double (&pk, 1.5);
    msgpack_pack_bin (&pk, 3);
    msgpack_pack_bin_body (&pk, "xyz", 3);
    s_pack_str (&pk, "v");
    msgpack_pack_uint32 (&pk, variant == S_VERSION_2 ? 2 : 1);
    s_pack_str (&pk, "traceId");
    s_pack_str (&pk, "tr_0123");
    if (variant == S_TWICE) {
        s_pack_str (&pk, "traceId");
        s_pack_str (&pk, "tr_4567");
    }
    s_pack_str (&pk, "dxfName");
    s_pack_str (&pk, "dxf_00112233aabbccdd");
    s_pack_str (&pk, "buildId");
    if (variant == S_BUILD_STR)
        s_pack_str (&pk, "7");
    else
        msgpack_pack_int64 (&pk, 7);
    s_pack_str (&pk, "files");
    msgpack_pack_array (&pk, 2);
    s_pack_str (&pk, "a");
    s_pack_str (&pk, "d/b");
    if (variant == S_TRAILING)
        msgpack_pack_nil (&pk);
    char *path = edge_sprintf ("%s/v.tr", s_dir);
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (buf.data, 1, buf.size, file), buf.size);
    assert_int_equal (fclose (file), 0);
    msgpack_sbuffer_destroy (&buf);
    return path;
}


static void
test_key_order_and_unknown_keys_do_not_matter (void **state)
{
    (void) state;
    char *path = s_write_variant (S_ACCESSES_FIRST);
    char err[256];
    wk_trace_t *trace = s_load (path, err, sizeof (err));
    if (!trace)
        fprintf (stderr, "refused: %s\n", err);
    assert_non_null (trace);
    s_expect_touches (trace, s_touches, 4);
    assert_int_equal (trace->duration_ms, 9);
    wk_trace_destroy (&trace);
    free (path);
}


static void
s_refused (const char *path, const char *reason)
{
    char err[256];
    wk_trace_t *trace = s_load (path, err, sizeof (err));
    if (trace || !strstr (err, reason))
        fprintf (stderr, "wanted \"%s\", got \"%s\"\n", reason,
                 trace ? "accepted" : err);
    assert_null (trace);
    assert_non_null (strstr (err, reason));
}


static void
test_malformed_traces_are_refused_with_a_reason (void **state)
{
    (void) state;
    struct {
        s_variant_t variant;
        const char *reason;
    } cases[] = {
        {S_VERSION_2, "version"},     {S_NO_ACCESSES, "missing"},
        {S_TWICE, "twice"},           {S_TRAILING, "after the trace"},
        {S_NEGATIVE, "non-negative"}, {S_SHORT_ROW, "[tMs,file,offset,length]"},
        {S_BUILD_STR, "buildId"}};
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        char *path = s_write_variant (cases[i].variant);
        s_refused (path, cases[i].reason);
        free (path);
    }
    char *missing = edge_sprintf ("%s/none.tr", s_dir);
    s_refused (missing, "cannot open");
    free (missing);
}


static void
test_accesses_are_validated_against_the_manifest (void **state)
{
    (void) state;
    struct {
        const char *file;         //  files[1]; files[0] is "d/b"
        wk_trace_access_t second; //  after {5, 0, 0, 1}
        const char *reason;
    } cases[] = {
        {"a", {4, 0, 0, 1}, "before the previous"},
        {"a", {6, 2, 0, 1}, "no file"},
        {"a", {6, 1, 600, 1}, "outside"},
        {"a", {6, 1, 0, 601}, "outside"},
        {"a", {6, 1, 1, UINT64_MAX}, "outside"},
        {"a", {1ull << 32, 0, 0, 1}, "too large"},
        {"zzz", {6, 0, 0, 1}, "not in the build"},
        {"d", {6, 0, 0, 1}, "not a regular file"},
        {"d/bad", {6, 0, 0, 1}, "not a regular file"},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        const char *files[] = {"d/b", cases[i].file};
        wk_trace_access_t accesses[] = {{5, 0, 0, 1}, cases[i].second};
        char *path = s_write (files, 2, accesses, 2);
        s_refused (path, cases[i].reason);
        free (path);
    }
    //  the last byte of a file is inside
    const char *files[] = {"a"};
    wk_trace_access_t last[] = {{0, 0, 599, 1}};
    char *path = s_write (files, 1, last, 1);
    char err[256];
    wk_trace_t *trace = s_load (path, err, sizeof (err));
    assert_non_null (trace);
    s_expect_touches (trace, (const uint32_t[][2]){{2, 0}}, 1);
    wk_trace_destroy (&trace);
    free (path);
}


static void
test_every_truncation_is_refused (void **state)
{
    (void) state;
    char *path = s_write (s_files, 2, s_accesses, 5);
    FILE *file = fopen (path, "rb");
    unsigned char bytes[512];
    size_t size = fread (bytes, 1, sizeof (bytes), file);
    fclose (file);
    assert_true (size > 50 && size < sizeof (bytes));
    char *cut = edge_sprintf ("%s/cut.tr", s_dir);
    for (size_t len = 0; len < size; len++) {
        file = fopen (cut, "wb");
        assert_int_equal (fwrite (bytes, 1, len, file), len);
        fclose (file);
        char err[256];
        wk_trace_t *trace = s_load (cut, err, sizeof (err));
        assert_null (trace);
        assert_true (err[0] != '\0');
    }
    free (cut);
    free (path);
}


static void
test_a_write_that_cannot_happen_fails (void **state)
{
    (void) state;
    char *path = edge_sprintf ("%s/no/such/dir/t.tr", s_dir);
    wk_trace_header_t header = {"tr_x", "dxf_x", 1, s_files, 2};
    assert_int_equal (wk_trace_write (path, &header, s_accesses, 5), -1);
    free (path);
}


#define S_MANY 2000000
#if defined(__SANITIZE_ADDRESS__)
#define S_GROWTH_KB (16 * 1024) //  ASan's shadow and quarantine
#else
#define S_GROWTH_KB 4096
#endif

static void
test_memory_does_not_grow_with_accesses (void **state)
{
    (void) state;
    wk_trace_access_t *accesses = edge_calloc (S_MANY, sizeof (*accesses));
    for (size_t i = 0; i < S_MANY; i++)
        accesses[i] = (wk_trace_access_t){i / 100, i % 2, (i * 37) % 590, 10};
    char *path = s_write (s_files, 2, accesses, S_MANY);
    free (accesses);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        struct rusage before, after;
        getrusage (RUSAGE_SELF, &before);
        char err[256];
        wk_trace_t *trace = s_load (path, err, sizeof (err));
        getrusage (RUSAGE_SELF, &after);
        long grown_kb = after.ru_maxrss - before.ru_maxrss;
        fprintf (stderr, "trace of %d accesses: peak RSS grew by %ld KiB\n",
                 S_MANY, grown_kb);
        bool is_ok = trace && trace->ntouches == 4 && trace->accesses == S_MANY
                     && grown_kb < S_GROWTH_KB;
        wk_trace_destroy (&trace);
        _exit (is_ok ? 0 : 1);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    free (path);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_mapper_new_and_destroy_null_the_pointer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_accesses_map_to_first_touches_in_time_order, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_links_resolve_to_their_regular_files, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_key_order_and_unknown_keys_do_not_matter, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_malformed_traces_are_refused_with_a_reason, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_accesses_are_validated_against_the_manifest, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_every_truncation_is_refused,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_write_that_cannot_happen_fails,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_memory_does_not_grow_with_accesses, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
