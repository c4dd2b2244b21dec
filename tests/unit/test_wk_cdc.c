/*  test_wk_cdc - the chunker is deterministic whatever the feed sizes,
    respects its bounds, averages near its target, and resists shifts.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "wk_cdc.h"
#include "edge_crypto.h"
#include "edge_util.h"
#include <stdlib.h>
#include <string.h>

#define S_MAX_CUTS 4096


static void
s_random (uint8_t *buf, size_t size, uint64_t seed)
{
    uint64_t x = seed | 1;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t) (x >> 24);
    }
}


//  Chunk data feeding step bytes at a time (0: random steps); returns the
//  number of chunks and fills ends[] with each chunk's end offset.
static size_t
s_chunk (const uint8_t *data, size_t size, size_t step, size_t *ends)
{
    wk_cdc_t *cdc = wk_cdc_new ();
    size_t count = 0, pos = 0, fed = 0;
    uint64_t x = 12345;
    while (fed < size) {
        size_t want = step;
        if (step == 0) {
            x = x * 6364136223846793005ull + 1;
            want = 1 + (size_t) ((x >> 33) % 100000);
        }
        if (want > size - fed)
            want = size - fed;
        size_t off = 0;
        while (off < want) {
            bool is_cut;
            size_t used =
                wk_cdc_feed (cdc, data + fed + off, want - off, &is_cut);
            off += used;
            pos += used;
            if (is_cut)
                ends[count++] = pos;
        }
        fed += want;
    }
    if (count == 0 || ends[count - 1] != size)
        ends[count++] = size;
    wk_cdc_destroy (&cdc);
    return count;
}


static void
test_destroy_nulls_the_reference_and_accepts_null (void **state)
{
    (void) state;
    wk_cdc_t *cdc = wk_cdc_new ();
    assert_non_null (cdc);
    wk_cdc_destroy (&cdc);
    assert_null (cdc);
    wk_cdc_destroy (&cdc);
}


static void
test_cuts_do_not_depend_on_feed_sizes (void **state)
{
    (void) state;
    size_t size = 8u << 20;
    uint8_t *data = edge_malloc (size);
    s_random (data, size, 1);
    size_t *a = edge_calloc (S_MAX_CUTS, sizeof (size_t));
    size_t *b = edge_calloc (S_MAX_CUTS, sizeof (size_t));
    size_t n = s_chunk (data, size, size, a);
    size_t steps[] = {1 << 20, 4096, 0, 65537};
    for (size_t s = 0; s < sizeof (steps) / sizeof (steps[0]); s++) {
        assert_int_equal (s_chunk (data, size, steps[s], b), n);
        assert_memory_equal (a, b, n * sizeof (size_t));
    }
    free (b);
    free (a);
    free (data);
}


static void
test_chunks_respect_min_and_max_and_average_near_target (void **state)
{
    (void) state;
    size_t size = 32u << 20;
    uint8_t *data = edge_malloc (size);
    s_random (data, size, 2);
    size_t *ends = edge_calloc (S_MAX_CUTS, sizeof (size_t));
    size_t n = s_chunk (data, size, 1 << 20, ends);
    for (size_t i = 0; i < n; i++) {
        size_t len = ends[i] - (i ? ends[i - 1] : 0);
        assert_true (len <= WK_CDC_MAX);
        if (i + 1 < n)
            assert_true (len >= WK_CDC_MIN);
    }
    size_t average = size / n;
    assert_true (average > WK_CDC_AVG / 2 && average < WK_CDC_AVG * 2);
    //  Content without cut points is cut at max
    memset (data, 0, size);
    n = s_chunk (data, 1u << 20, 1 << 20, ends);
    for (size_t i = 0; i < n; i++) {
        size_t len = ends[i] - (i ? ends[i - 1] : 0);
        assert_true (len <= WK_CDC_MAX && (i + 1 == n || len >= WK_CDC_MIN));
    }
    free (ends);
    free (data);
}


//  Count chunks of b (by content) that are also chunks of a.
static size_t
s_shared (
    const uint8_t *a, size_t na, const uint8_t *b, size_t nb, size_t *count_b)
{
    size_t *ea = edge_calloc (S_MAX_CUTS, sizeof (size_t));
    size_t *eb = edge_calloc (S_MAX_CUTS, sizeof (size_t));
    size_t ca = s_chunk (a, na, 1 << 20, ea);
    size_t cb = s_chunk (b, nb, 1 << 20, eb);
    char (*ha)[65] = edge_calloc (ca, 65);
    for (size_t i = 0; i < ca; i++) {
        size_t start = i ? ea[i - 1] : 0;
        edge_sha256_hex (a + start, ea[i] - start, ha[i]);
    }
    size_t shared = 0;
    for (size_t j = 0; j < cb; j++) {
        size_t start = j ? eb[j - 1] : 0;
        char hex[65];
        edge_sha256_hex (b + start, eb[j] - start, hex);
        for (size_t i = 0; i < ca; i++)
            if (strcmp (hex, ha[i]) == 0) {
                shared++;
                break;
            }
    }
    *count_b = cb;
    free (ha);
    free (eb);
    free (ea);
    return shared;
}


static void
test_inserting_bytes_at_the_start_keeps_most_chunks (void **state)
{
    (void) state;
    size_t size = 16u << 20, insert = 1000;
    uint8_t *data = edge_malloc (size + insert);
    s_random (data, size + insert, 3);
    //  b = 1000 new bytes followed by a
    const uint8_t *a = data + insert;
    size_t count;
    size_t shared = s_shared (a, size, data, size + insert, &count);
    assert_true (count > 100);
    assert_true (shared * 100 >= count * 95);
    free (data);
}


static void
test_identical_content_gives_identical_chunks_across_instances (void **state)
{
    (void) state;
    size_t size = 2u << 20;
    uint8_t *data = edge_malloc (size);
    s_random (data, size, 4);
    wk_cdc_t *one = wk_cdc_new ();
    wk_cdc_t *two = wk_cdc_new ();
    bool cut1, cut2;
    size_t used1 = wk_cdc_feed (one, data, size, &cut1);
    size_t used2 = wk_cdc_feed (two, data, size, &cut2);
    assert_int_equal (used1, used2);
    assert_true (cut1 && cut2);
    wk_cdc_reset (one);
    assert_int_equal (wk_cdc_pending (one), 0);
    wk_cdc_destroy (&two);
    wk_cdc_destroy (&one);
    free (data);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_destroy_nulls_the_reference_and_accepts_null),
        cmocka_unit_test (test_cuts_do_not_depend_on_feed_sizes),
        cmocka_unit_test (
            test_chunks_respect_min_and_max_and_average_near_target),
        cmocka_unit_test (test_inserting_bytes_at_the_start_keeps_most_chunks),
        cmocka_unit_test (
            test_identical_content_gives_identical_chunks_across_instances),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
