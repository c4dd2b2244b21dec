/*  test_edge_err - the outcome vocabulary: every code has one API code and
    a real HTTP status, and the lookups round trip.  */
#include "edge_err.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>


static void
test_every_code_has_its_status_and_api_code (void **state)
{
    (void) state;
    assert_int_equal (edge_err_status (EDGE_ERR_OK), 200);
    assert_int_equal (edge_err_status (EDGE_ERR_NOT_FOUND), 404);
    assert_string_equal (edge_err_code (EDGE_ERR_NOT_FOUND), "not_found");
    assert_int_equal (edge_err_status (EDGE_ERR_REDIS), 503);
    assert_string_equal (edge_err_code (EDGE_ERR_REDIS), "redis_unavailable");
    assert_int_equal (edge_err_from_code ("unauthorized"), EDGE_ERR_UNAUTHORIZED);
    assert_int_equal (edge_err_status (EDGE_ERR_MISMATCH), 401);
    for (int i = 0; i < EDGE_ERR_COUNT_; i++) {
        int status = edge_err_status ((edge_err_t) i);
        assert_true (status >= 200 && status <= 599);
        const char *code = edge_err_code ((edge_err_t) i);
        assert_true (strlen (code) > 1);
        assert_int_equal (code[strspn (code, "abcdefghijklmnopqrstuvwxyz_")],
                          '\0');
        //  the first name with this code carries it too
        assert_string_equal (edge_err_code (edge_err_from_code (code)), code);
        assert_true ((int) edge_err_from_code (code) <= i);
    }
}


static void
test_outside_the_table (void **state)
{
    (void) state;
    assert_int_equal (edge_err_status (EDGE_ERR_COUNT_), 500);
    assert_string_equal (edge_err_code ((edge_err_t) -1), "internal");
    assert_int_equal (edge_err_from_code ("no_such_code"), EDGE_ERR_COUNT_);
    assert_int_equal (edge_err_from_code (NULL), EDGE_ERR_COUNT_);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_code_has_its_status_and_api_code),
        cmocka_unit_test (test_outside_the_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
