/*  test_gw_pathtab - the keyed string table, and the cap on the distinct
    paths of one trace it indexes.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_util.h"
#include "gw_pathtab.h"
#include "gw_trace.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_new_table_is_empty_and_destroy_nulls_the_pointer (void **state)
{
    (void) state;
    gw_pathtab_t *table = gw_pathtab_new ();
    assert_non_null (table);
    assert_int_equal (gw_pathtab_count (table), 0);
    assert_int_equal (gw_pathtab_find (table, "a", 1), -1);
    gw_pathtab_destroy (&table);
    assert_null (table);
    gw_pathtab_destroy (&table);
    gw_pathtab_destroy (NULL);
}


static void
test_strings_are_numbered_by_first_appearance (void **state)
{
    (void) state;
    gw_pathtab_t *table = gw_pathtab_new ();
    char path[32];
    for (int i = 0; i < 5000; i++) {
        snprintf (path, sizeof path, "data/file%d.pak", i);
        assert_int_equal (gw_pathtab_intern (table, path, strlen (path)), i);
    }
    for (int i = 4999; i >= 0; i--) {
        snprintf (path, sizeof path, "data/file%d.pak", i);
        assert_int_equal (gw_pathtab_intern (table, path, strlen (path)), i);
        assert_int_equal (gw_pathtab_find (table, path, strlen (path)), i);
        size_t len;
        assert_string_equal (gw_pathtab_at (table, (size_t) i, &len), path);
        assert_int_equal (len, strlen (path));
    }
    assert_int_equal (gw_pathtab_count (table), 5000);
    //  a prefix or a longer string is another entry
    assert_int_equal (gw_pathtab_find (table, "data/file1.pa", 13), -1);
    assert_int_equal (gw_pathtab_find (table, "data/file1.pakx", 15), -1);
    assert_true (gw_pathtab_bytes (table) > 5000 * 14);
    gw_pathtab_destroy (&table);
}


//  A JSON trace body of n accesses, each to its own path.
static char *
s_trace_body (size_t n)
{
    size_t cap = 64 + n * 48;
    char *body = edge_malloc (cap);
    size_t len = (size_t) snprintf (
        body, cap, "{\"appName\":\"game\",\"buildName\":\"v1\",\"accesses\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t) snprintf (body + len, cap - len,
                                  "%s[%zu,\"p/%zu\",0,1]", i ? "," : "", i, i);
    snprintf (body + len, cap - len, "]}");
    return body;
}


static void
test_trace_over_65536_distinct_paths_is_400 (void **state)
{
    (void) state;
    edge_json_err_t err;
    char *body = s_trace_body (65536);
    gw_trace_t *trace = gw_trace_decode_json (body, strlen (body), &err);
    free (body);
    assert_non_null (trace);
    assert_int_equal (gw_pathtab_count (trace->paths), 65536);
    gw_trace_destroy (&trace);
    body = s_trace_body (65537);
    trace = gw_trace_decode_json (body, strlen (body), &err);
    free (body);
    assert_null (trace);
    assert_int_equal (err.status, 400);
    assert_string_equal (err.code, "invalid_field");
    assert_string_equal (err.field, "accesses");
    assert_non_null (strstr (err.message, "65536"));
}


static void
test_repeated_paths_do_not_count_against_the_cap (void **state)
{
    (void) state;
    size_t n = 70000;
    size_t cap = 64 + n * 24;
    char *body = edge_malloc (cap);
    size_t len = (size_t) snprintf (
        body, cap, "{\"appName\":\"game\",\"dxfName\":\"d1\",\"accesses\":[");
    for (size_t i = 0; i < n; i++)
        len +=
            (size_t) snprintf (body + len, cap - len, "%s[%zu,\"p/%zu\",0,1]",
                               i ? "," : "", i, i % 100);
    snprintf (body + len, cap - len, "]}");
    edge_json_err_t err;
    gw_trace_t *trace = gw_trace_decode_json (body, strlen (body), &err);
    free (body);
    assert_non_null (trace);
    assert_int_equal (gw_pathtab_count (trace->paths), 100);
    assert_int_equal (trace->count, n);
    gw_trace_destroy (&trace);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_new_table_is_empty_and_destroy_nulls_the_pointer),
        cmocka_unit_test (test_strings_are_numbered_by_first_appearance),
        cmocka_unit_test (test_trace_over_65536_distinct_paths_is_400),
        cmocka_unit_test (test_repeated_paths_do_not_count_against_the_cap),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
