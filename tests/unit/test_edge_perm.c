/*  test_edge_perm - resources, maxima and bit letters.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "edge_perm.h"


static void
test_documented_resources_and_maxima (void **state)
{
    (void) state;
    assert_int_equal (edge_perm_max ((size_t) edge_perm_index ("apps")), 15);
    assert_int_equal (edge_perm_max ((size_t) edge_perm_index ("tasks")), 31);
    assert_int_equal (edge_perm_max ((size_t) edge_perm_index ("trainings")), 6);
    assert_int_equal (edge_perm_max ((size_t) edge_perm_index ("consumption")), 2);
    assert_int_equal (edge_perm_index ("users"), -1);
    assert_int_equal (edge_perm_index (NULL), -1);
    assert_null (edge_perm_name (EDGE_PERM_COUNT));
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++)
        assert_int_equal (edge_perm_index (edge_perm_name (i)), (int) i);
}


static void
test_values_outside_a_resources_bits_are_invalid (void **state)
{
    (void) state;
    size_t trainings = (size_t) edge_perm_index ("trainings");
    assert_true (edge_perm_is_valid (trainings, 6));
    assert_true (edge_perm_is_valid (trainings, 2));
    assert_true (edge_perm_is_valid (trainings, 0));
    assert_false (edge_perm_is_valid (trainings, 1));    //  no Create bit
    assert_false (edge_perm_is_valid (trainings, 7));
    assert_false (edge_perm_is_valid (trainings, -1));
    size_t tasks = (size_t) edge_perm_index ("tasks");
    assert_true (edge_perm_is_valid (tasks, 31));
    assert_false (edge_perm_is_valid (tasks, 32));
    assert_false (edge_perm_is_valid (EDGE_PERM_COUNT, 0));
}


static void
test_letters_spell_the_bits (void **state)
{
    (void) state;
    char buf[8];
    edge_perm_letters (31, buf, sizeof buf);
    assert_string_equal (buf, "CRUDX");
    edge_perm_letters (6, buf, sizeof buf);
    assert_string_equal (buf, "RU");
    edge_perm_letters (0, buf, sizeof buf);
    assert_string_equal (buf, "");
    assert_int_equal (edge_perm_letter (3), '?');
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_documented_resources_and_maxima),
        cmocka_unit_test (test_values_outside_a_resources_bits_are_invalid),
        cmocka_unit_test (test_letters_spell_the_bits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
