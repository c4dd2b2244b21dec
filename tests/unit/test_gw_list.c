/*  test_gw_list - list queries: parsing offset/limit/order[]/fields[]
    (defaults, encodings, every bad value naming its parameter), the
    stable sort, paging, projection, the answer's shape, and reading a
    page of a real Redis index.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_testutil.h"
#include "gw_list.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_fields[] = {"username", "email", "created", NULL};
static const gw_list_spec_t s_spec = {s_fields, "username"};


static void
s_parse_fails (const char *query, const char *code, const char *field)
{
    gw_list_t list;
    edge_json_err_t err;
    assert_int_equal (gw_list_parse (query, &s_spec, &list, &err), -1);
    assert_int_equal (err.status, 400);
    assert_string_equal (err.code, code);
    assert_string_equal (err.field, field);
}


static void
test_empty_query_gives_the_defaults (void **state)
{
    (void) state;
    gw_list_t list;
    edge_json_err_t err;
    assert_int_equal (gw_list_parse ("", &s_spec, &list, &err), 0);
    assert_int_equal (list.offset, 0);
    assert_int_equal (list.limit, GW_LIST_DEFAULT_LIMIT);
    assert_int_equal (list.norder, 0);
    assert_int_equal (list.nfields, 0);
    assert_int_equal (gw_list_parse (NULL, &s_spec, &list, &err), 0);
    assert_int_equal (gw_list_parse ("&&", &s_spec, &list, &err), 0);
}


static void
test_all_parameters_parse_in_every_spelling (void **state)
{
    (void) state;
    gw_list_t list;
    edge_json_err_t err;
    assert_int_equal (
        gw_list_parse ("offset=5&limit=1000&order%5B%5D=-created"
                       "&order[]=%2Busername&fields[]=email,username"
                       "&fields=email",
                       &s_spec, &list, &err),
        0);
    assert_int_equal (list.offset, 5);
    assert_int_equal (list.limit, 1000);
    assert_int_equal (list.norder, 2);
    assert_int_equal (list.order[0].key, GW_LIST_BY_CREATED);
    assert_true (list.order[0].is_descending);
    assert_int_equal (list.order[1].key, GW_LIST_BY_NAME);
    assert_false (list.order[1].is_descending);
    assert_int_equal (list.nfields, 2); //  the repeated "email" is dropped
    assert_string_equal (list.fields[0], "email");
    assert_string_equal (list.fields[1], "username");
    //  "+name" and "name" are the same key: the first wins
    assert_int_equal (
        gw_list_parse ("order=-name&order=+name", &s_spec, &list, &err), 0);
    assert_int_equal (list.norder, 1);
    assert_true (list.order[0].is_descending);
}


static void
test_bad_values_are_400_naming_the_parameter (void **state)
{
    (void) state;
    s_parse_fails ("offset=-1", "invalid_field", "offset");
    s_parse_fails ("offset=x", "invalid_field", "offset");
    s_parse_fails ("offset=", "invalid_field", "offset");
    s_parse_fails ("offset=1&offset=2", "invalid_field", "offset");
    s_parse_fails ("offset=99999999999", "invalid_field", "offset");
    s_parse_fails ("limit=0", "invalid_field", "limit");
    s_parse_fails ("limit=1001", "invalid_field", "limit");
    s_parse_fails ("limit=1.5", "invalid_field", "limit");
    s_parse_fails ("order[]=size", "invalid_field", "order[]");
    s_parse_fails ("order[]=", "invalid_field", "order[]");
    s_parse_fails ("order[]=name,,created", "invalid_field", "order[]");
    s_parse_fails ("fields[]=pwhash", "invalid_field", "fields[]");
    s_parse_fails ("fields[]=", "invalid_field", "fields[]");
    s_parse_fails ("sort=name", "unknown_field", "sort");
    s_parse_fails ("limit%zz=1", "malformed_query", "");
    s_parse_fails ("limit=%00", "malformed_query", "");
    s_parse_fails ("limit=1%2", "malformed_query", "");
}


static void
test_error_texts_stay_printable_ascii (void **state)
{
    (void) state;
    gw_list_t list;
    edge_json_err_t err;
    assert_int_equal (gw_list_parse ("%C3%A9%FF=1", &s_spec, &list, &err), -1);
    for (const char *p = err.message; *p; p++)
        assert_true (*p >= 0x20 && *p < 0x7f);
    for (const char *p = err.field; *p; p++)
        assert_true (*p >= 0x20 && *p < 0x7f);
}


static void
test_single_get_accepts_only_fields (void **state)
{
    (void) state;
    gw_list_t list;
    edge_json_err_t err;
    assert_int_equal (
        gw_list_parse_fields ("fields[]=email", &s_spec, &list, &err), 0);
    assert_int_equal (list.nfields, 1);
    assert_int_equal (gw_list_parse_fields ("limit=2", &s_spec, &list, &err),
                      -1);
    assert_string_equal (err.code, "unknown_field");
    assert_string_equal (err.field, "limit");
}


static void
test_sort_orders_by_keys_with_name_breaking_ties (void **state)
{
    (void) state;
    gw_list_entry_t entries[] = {
        {"carol", 200}, {"alice", 300}, {"bob", 200}, {"dave", 100}};
    gw_list_t list;
    edge_json_err_t err;
    assert_int_equal (gw_list_parse ("", &s_spec, &list, &err), 0);
    gw_list_sort (&list, entries, 4);
    assert_string_equal (entries[0].name, "alice");
    assert_string_equal (entries[3].name, "dave");
    assert_int_equal (gw_list_parse ("order[]=-name", &s_spec, &list, &err), 0);
    gw_list_sort (&list, entries, 4);
    assert_string_equal (entries[0].name, "dave");
    assert_string_equal (entries[3].name, "alice");
    assert_int_equal (gw_list_parse ("order[]=-created", &s_spec, &list, &err),
                      0);
    gw_list_sort (&list, entries, 4);
    assert_string_equal (entries[0].name, "alice");
    assert_string_equal (entries[1].name, "bob"); //  200, tie by name
    assert_string_equal (entries[2].name, "carol");
    assert_string_equal (entries[3].name, "dave");
    assert_int_equal (
        gw_list_parse ("order[]=created,-name", &s_spec, &list, &err), 0);
    gw_list_sort (&list, entries, 4);
    assert_string_equal (entries[1].name, "carol");
    assert_string_equal (entries[2].name, "bob");
    gw_list_sort (&list, NULL, 0);
}


static void
test_bounds_cut_the_page_and_past_the_end_is_empty (void **state)
{
    (void) state;
    gw_list_t list;
    edge_json_err_t err;
    size_t first;
    assert_int_equal (gw_list_parse ("offset=3&limit=5", &s_spec, &list, &err),
                      0);
    assert_int_equal (gw_list_bounds (&list, 10, &first), 5);
    assert_int_equal (first, 3);
    assert_int_equal (gw_list_bounds (&list, 6, &first), 3);
    assert_int_equal (gw_list_bounds (&list, 3, &first), 0);
    assert_int_equal (gw_list_bounds (&list, 0, &first), 0);
}


static void
test_projection_keeps_the_asked_fields_and_the_answer_has_its_shape (
    void **state)
{
    (void) state;
    gw_list_t list;
    edge_json_err_t err;
    assert_int_equal (gw_list_parse ("fields[]=email&fields[]=created&limit=3",
                                     &s_spec, &list, &err),
                      0);
    json_t *item = json_pack ("{s:s,s:s,s:n}", "username", "u1", "email", "a@b",
                              "created");
    json_t *kept = gw_list_project (&list, item);
    assert_int_equal (json_object_size (kept), 2);
    assert_string_equal (json_string_value (json_object_get (kept, "email")),
                         "a@b");
    assert_true (json_is_null (json_object_get (kept, "created")));
    json_t *items = json_array ();
    json_array_append_new (items, kept);
    json_t *answer = gw_list_answer (&list, 7, items);
    char *text = json_dumps (answer, JSON_COMPACT);
    assert_string_equal (text, "{\"total\":7,\"offset\":0,\"limit\":3,"
                               "\"items\":[{\"email\":\"a@b\","
                               "\"created\":null}]}");
    free (text);
    json_decref (answer);
    //  No fields[]: the item is returned as it is
    assert_int_equal (gw_list_parse ("", &s_spec, &list, &err), 0);
    item = json_pack ("{s:s}", "username", "u1");
    assert_ptr_equal (gw_list_project (&list, item), item);
    json_decref (item);
}


static void
test_fetch_reads_one_sorted_page_of_a_redis_index (void **state)
{
    (void) state;
    edge_testutil_redis_t server;
    edge_redis_t *redis = NULL;
    int rc = edge_testutil_redis_open (&server, &redis, 2000);
    if (rc == 77)
        skip ();
    assert_int_equal (rc, 0);
    redisReply *reply = edge_redis_command (
        redis, "ZADD e:{o}:users 1700000000003 c 1700000000001 a "
               "1700000000002 b");
    assert_non_null (reply);
    freeReplyObject (reply);
    gw_list_t list;
    edge_json_err_t err;
    assert_int_equal (
        gw_list_parse ("order[]=-created&limit=2", &s_spec, &list, &err), 0);
    gw_list_page_t page;
    assert_int_equal (gw_list_fetch (redis, "e:{o}:users", &list, &page), 0);
    assert_int_equal (page.total, 3);
    assert_int_equal (page.count, 2);
    assert_string_equal (page.names[0], "c");
    assert_string_equal (page.names[1], "b");
    gw_list_page_fini (&page);
    assert_null (page.names);
    gw_list_page_fini (&page);
    gw_list_page_fini (NULL);
    //  A missing index is an empty list; a key of another type fails
    assert_int_equal (gw_list_fetch (redis, "e:{o}:none", &list, &page), 0);
    assert_int_equal (page.total, 0);
    gw_list_page_fini (&page);
    reply = edge_redis_command (redis, "SET e:{o}:str x");
    freeReplyObject (reply);
    assert_int_equal (gw_list_fetch (redis, "e:{o}:str", &list, &page), -1);
    gw_list_page_fini (&page);
    edge_testutil_redis_close (&server, &redis);
}


int
main (void)
{
    edge_log_init ("test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_empty_query_gives_the_defaults),
        cmocka_unit_test (test_all_parameters_parse_in_every_spelling),
        cmocka_unit_test (test_bad_values_are_400_naming_the_parameter),
        cmocka_unit_test (test_error_texts_stay_printable_ascii),
        cmocka_unit_test (test_single_get_accepts_only_fields),
        cmocka_unit_test (test_sort_orders_by_keys_with_name_breaking_ties),
        cmocka_unit_test (test_bounds_cut_the_page_and_past_the_end_is_empty),
        cmocka_unit_test (
            test_projection_keeps_the_asked_fields_and_the_answer_has_its_shape),
        cmocka_unit_test (test_fetch_reads_one_sorted_page_of_a_redis_index),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
