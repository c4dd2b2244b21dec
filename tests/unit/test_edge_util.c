/*  test_edge_util - name, build name and request id rules at their edges,
    RFC 3339 formatting, task names, random ids, allocation helpers (edge_grow
    growth and overflow refusal), clocks and EDGE_COUNT.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_util.h"
#include <signal.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>


//  A string of len copies of c (static, len < 200).
static const char *
s_repeat (char c, size_t len)
{
    static char buf[200];
    assert_true (len < sizeof buf);
    memset (buf, c, len);
    buf[len] = 0;
    return buf;
}


static void
test_name_length_limits_are_2_to_50 (void **state)
{
    (void) state;
    assert_false (edge_name_is_valid (""));
    assert_false (edge_name_is_valid (s_repeat ('a', 1)));
    assert_true (edge_name_is_valid (s_repeat ('a', 2)));
    assert_true (edge_name_is_valid (s_repeat ('Z', 50)));
    assert_false (edge_name_is_valid (s_repeat ('Z', 51)));
    assert_false (edge_name_is_valid (s_repeat ('Z', 150)));
    assert_false (edge_name_is_valid (NULL));
}


static void
test_name_allows_only_ascii_letters_digits_underscore (void **state)
{
    (void) state;
    assert_true (edge_name_is_valid ("Az_09"));
    assert_true (edge_name_is_valid ("__"));
    assert_true (edge_name_is_valid ("42"));
    const char *bad[] = {"a-b",
                         "a b",
                         "a.b",
                         "a/b",
                         "ab\n",
                         "ab[0]",
                         "\xc3\xa9t\xc3\xa9",
                         "ab\xc3\xa9",
                         "\xff\xfe",
                         "a\tb",
                         "ab$"};
    for (size_t i = 0; i < EDGE_COUNT (bad); i++)
        if (edge_name_is_valid (bad[i]))
            fail_msg ("'%s' accepted", bad[i]);
}


static void
test_request_id_is_1_to_128_safe_characters (void **state)
{
    (void) state;
    assert_true (edge_request_id_is_valid ("a"));
    assert_true (edge_request_id_is_valid ("req-1.2:3_ABC"));
    assert_true (edge_request_id_is_valid (s_repeat ('x', 128)));
    assert_false (edge_request_id_is_valid (s_repeat ('x', 129)));
    assert_false (edge_request_id_is_valid (""));
    assert_false (edge_request_id_is_valid (NULL));
    const char *bad[] = {"a b", "a\r\nX-Evil: 1", "a\"b", "<script>",
                         "a/b", "\xc3\xa9",       "a;b",  "a%20b"};
    for (size_t i = 0; i < EDGE_COUNT (bad); i++)
        if (edge_request_id_is_valid (bad[i]))
            fail_msg ("'%s' accepted", bad[i]);
}


static void
test_rfc3339_has_milliseconds_in_utc (void **state)
{
    (void) state;
    char buf[32];
    edge_rfc3339 (0, buf, sizeof buf);
    assert_string_equal (buf, "1970-01-01T00:00:00.000Z");
    edge_rfc3339 (1700000000123, buf, sizeof buf);
    assert_string_equal (buf, "2023-11-14T22:13:20.123Z");
    edge_rfc3339 (951782400999, buf, sizeof buf); //  leap day 2000
    assert_string_equal (buf, "2000-02-29T00:00:00.999Z");
    edge_rfc3339 (4102444799001, buf, sizeof buf);
    assert_string_equal (buf, "2099-12-31T23:59:59.001Z");
    //  A short buffer is cut, never overrun
    char small[11];
    memset (small, 'x', sizeof small);
    edge_rfc3339 (0, small, sizeof small);
    assert_string_equal (small, "1970-01-01");
}


static void
test_task_names_match_the_name_pattern (void **state)
{
    (void) state;
    const char *types[] = {"dltar", "mkraw", "deploy", "hello"};
    for (size_t i = 0; i < 4; i++) {
        char a[64], b[64];
        edge_task_name_make (types[i], a, sizeof a);
        edge_task_name_make (types[i], b, sizeof b);
        assert_true (edge_name_is_valid (a));
        assert_int_equal (strlen (a), strlen (types[i]) + 1 + 14 + 1 + 10);
        assert_memory_equal (a, types[i], strlen (types[i]));
        assert_int_equal (a[strlen (types[i])], '_');
        assert_string_not_equal (a, b); //  40 random bits each
    }
}


static void
test_random_hex_has_the_requested_length (void **state)
{
    (void) state;
    char a[65], b[65];
    edge_random_hex (a, 32);
    edge_random_hex (b, 32);
    assert_int_equal (strlen (a), 64);
    assert_int_equal (strspn (a, "0123456789abcdef"), 64);
    assert_string_not_equal (a, b);
    edge_random_hex (a, 0);
    assert_string_equal (a, "");
}


static int
s_cmp_id (const void *a, const void *b)
{
    return strcmp (a, b);
}

static void *
s_one_id (void *arg)
{
    edge_id_hex (arg, 8);
    return NULL;
}

//  Ids are hex, never repeat in a thread, and differ between threads.
static void
test_id_hex_never_repeats (void **state)
{
    (void) state;
    enum { N = 20000 };
    char (*ids)[17] = edge_calloc (N, sizeof *ids);
    for (int i = 0; i < N; i++) {
        edge_id_hex (ids[i], 8);
        assert_int_equal (strspn (ids[i], "0123456789abcdef"), 16);
        assert_int_equal (strlen (ids[i]), 16);
    }
    qsort (ids, N, sizeof *ids, s_cmp_id);
    for (int i = 1; i < N; i++)
        assert_string_not_equal (ids[i - 1], ids[i]);
    //  Another thread's first id is not this thread's first (own seed)
    char theirs[17], ours[17];
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_one_id, theirs), 0);
    pthread_join (thread, NULL);
    edge_id_hex (ours, 8);
    assert_string_not_equal (theirs, ours);
    edge_id_hex (ours, 0);
    assert_string_equal (ours, "");
    free (ids);
}


static void
test_allocators_return_usable_memory (void **state)
{
    (void) state;
    char *p = edge_malloc (0);
    assert_non_null (p);
    free (p);
    int *zeros = edge_calloc (16, sizeof (int));
    for (int i = 0; i < 16; i++)
        assert_int_equal (zeros[i], 0);
    zeros = edge_realloc (zeros, 1024 * sizeof (int));
    zeros[1023] = 7;
    free (zeros);
    assert_null (edge_strdup (NULL));
    char *copy = edge_strdup ("text");
    assert_string_equal (copy, "text");
    free (copy);
    char *text = edge_sprintf ("%s-%d-%05.1f", "a", 42, 2.5);
    assert_string_equal (text, "a-42-002.5");
    free (text);
    text = edge_sprintf ("%s", s_repeat ('y', 150));
    assert_int_equal (strlen (text), 150);
    free (text);
}


static void
test_clocks_move_forward (void **state)
{
    (void) state;
    int64_t now = edge_now_ms ();
    assert_true (now > 1700000000000); //  after November 2023
    int64_t start = edge_mono_ms ();
    edge_sleep_ms (20, NULL);
    assert_true (edge_mono_ms () - start >= 20);
    //  A raised stop flag ends the sleep at once
    volatile int stop = 1;
    start = edge_mono_ms ();
    edge_sleep_ms (10000, &stop);
    assert_true (edge_mono_ms () - start < 1000);
}


static void
test_build_name_is_1_to_100_letters_digits_dot_dash_underscore (void **state)
{
    (void) state;
    assert_false (edge_build_name_is_valid (NULL));
    assert_false (edge_build_name_is_valid (""));
    assert_true (edge_build_name_is_valid ("x"));
    assert_true (edge_build_name_is_valid (s_repeat ('a', 100)));
    assert_false (edge_build_name_is_valid (s_repeat ('a', 101)));
    const char *good[] = {"v1.0.3", "rc-2_final", "...", ".x", "x..", "-", "_",
                          "A.b-C_9"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!edge_build_name_is_valid (good[i]))
            fail_msg ("refused \"%s\"", good[i]);
    const char *bad[] = {"v1 0",  "v1/0", "a\\b", "v1:0", "\xc3\xa9",
                         "v\n1", "v1+0", "%2e",  "a\"b", "v1\t"};
    for (size_t i = 0; i < EDGE_COUNT (bad); i++)
        if (edge_build_name_is_valid (bad[i]))
            fail_msg ("accepted \"%s\"", bad[i]);
}


static void
test_build_name_is_never_a_dot_or_dot_dot (void **state)
{
    (void) state;
    assert_false (edge_build_name_is_valid ("."));
    assert_false (edge_build_name_is_valid (".."));
    assert_true (edge_build_name_is_valid ("..."));
    assert_true (edge_build_name_is_valid ("._"));
}


static void
test_rfc3339_parses_back_what_it_formats (void **state)
{
    (void) state;
    int64_t samples[] = {0, 1, 999, 1000, 951782400000LL /* 2000-02-29 */,
                         1795771928123LL, 4102444799999LL};
    for (size_t i = 0; i < EDGE_COUNT (samples); i++) {
        char text[32];
        int64_t back = -1;
        edge_rfc3339 (samples[i], text, sizeof text);
        assert_int_equal (edge_rfc3339_parse (text, &back), 0);
        assert_int_equal (back, samples[i]);
    }
    int64_t ms = 0;
    assert_int_equal (edge_rfc3339_parse ("2026-11-27T09:12:08Z", &ms), 0);
    assert_int_equal (ms, 1795770728000LL);
    assert_int_equal (edge_rfc3339_parse ("2026-11-27T09:12:08.5Z", &ms), 0);
    assert_int_equal (ms, 1795770728500LL);
    const char *bad[] = {"", "2026-11-27", "2026-11-27T09:12:08",
                         "2026-11-27T09:12:08+01:00", "2026-13-01T00:00:00Z",
                         "2026-11-27T24:00:00Z", "2026-11-27T09:12:08.Z",
                         "2026-11-27T09:12:08Zjunk", "x026-11-27T09:12:08Z"};
    for (size_t i = 0; i < EDGE_COUNT (bad); i++)
        assert_int_equal (edge_rfc3339_parse (bad[i], &ms), -1);
}


static void
test_count_is_the_number_of_elements_at_compile_time (void **state)
{
    (void) state;
    static const char *const names[] = {"a", "b", "c"};
    uint64_t wide[7];
    char text[] = "four";
    _Static_assert(EDGE_COUNT (names) == 3, "usable in constant expressions");
    assert_int_equal (EDGE_COUNT (names), 3);
    assert_int_equal (EDGE_COUNT (wide), 7);
    assert_int_equal (EDGE_COUNT (text), 5);
    //  (EDGE_COUNT (pointer) does not compile: see edge_util.h)
}


static void
test_grow_doubles_from_first_until_need_fits (void **state)
{
    (void) state;
    size_t cap = 0;
    uint64_t *array = edge_grow (NULL, &cap, 1, 4, sizeof *array);
    assert_int_equal (cap, 4);
    for (size_t i = 0; i < 4; i++)
        array[i] = i;
    //  Room enough: the same block, cap untouched
    assert_ptr_equal (edge_grow (array, &cap, 4, 4, sizeof *array), array);
    assert_int_equal (cap, 4);
    array = edge_grow (array, &cap, 5, 4, sizeof *array);
    assert_int_equal (cap, 8);
    array = edge_grow (array, &cap, 33, 4, sizeof *array);
    assert_int_equal (cap, 64);
    array[63] = 63;
    for (size_t i = 0; i < 4; i++)
        assert_int_equal (array[i], i); //  contents kept
    free (array);
    //  A first allocation may need more than first
    cap = 0;
    char *text = edge_grow (NULL, &cap, 1000, 256, 1);
    assert_int_equal (cap, 1024);
    free (text);
    //  need 0 allocates nothing
    cap = 0;
    assert_null (edge_grow (NULL, &cap, 0, 8, 1));
    assert_int_equal (cap, 0);
}


//  True when fn (arg) aborts in a child process (SIGABRT).
static bool
s_aborts (void (*fn) (void))
{
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        struct rlimit none = {0, 0};
        setrlimit (RLIMIT_CORE, &none); //  no core file
        fn ();
        _exit (0);
    }
    int status = 0;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    return WIFSIGNALED (status) && WTERMSIG (status) == SIGABRT;
}


static void
s_grow_bytes_past_size_max (void)
{
    size_t cap = 0;
    edge_grow (NULL, &cap, SIZE_MAX / 2 + 1, 1, 2);
}


static void
s_grow_count_past_size_max (void)
{
    size_t cap = SIZE_MAX / 2 + 1;
    edge_grow (NULL, &cap, cap + 1, 1, 1);
}


static void
s_grow_within_limits (void)
{
    size_t cap = 0;
    free (edge_grow (NULL, &cap, 100, 1, 8));
}


static void
test_grow_refuses_sizes_that_overflow (void **state)
{
    (void) state;
    assert_false (s_aborts (s_grow_within_limits));
    assert_true (s_aborts (s_grow_bytes_past_size_max));
    assert_true (s_aborts (s_grow_count_past_size_max));
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_name_length_limits_are_2_to_50),
        cmocka_unit_test (test_rfc3339_parses_back_what_it_formats),
        cmocka_unit_test (
            test_name_allows_only_ascii_letters_digits_underscore),
        cmocka_unit_test (test_request_id_is_1_to_128_safe_characters),
        cmocka_unit_test (
            test_build_name_is_1_to_100_letters_digits_dot_dash_underscore),
        cmocka_unit_test (test_build_name_is_never_a_dot_or_dot_dot),
        cmocka_unit_test (test_rfc3339_has_milliseconds_in_utc),
        cmocka_unit_test (test_task_names_match_the_name_pattern),
        cmocka_unit_test (test_random_hex_has_the_requested_length),
        cmocka_unit_test (test_id_hex_never_repeats),
        cmocka_unit_test (test_allocators_return_usable_memory),
        cmocka_unit_test (test_clocks_move_forward),
        cmocka_unit_test (test_count_is_the_number_of_elements_at_compile_time),
        cmocka_unit_test (test_grow_doubles_from_first_until_need_fits),
        cmocka_unit_test (test_grow_refuses_sizes_that_overflow),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
