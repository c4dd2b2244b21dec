/*  test_edge_json - strict parsing, every error of the field check with its
    exact message, getters and compact encoding.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


//  Parse a C string that must be refused; returns the error.
static edge_json_err_t
s_parse_refused (const char *buf, size_t len)
{
    edge_json_err_t err;
    memset (&err, 0, sizeof err);
    json_t *value = edge_json_parse (buf, len, &err);
    if (value) {
        json_decref (value);
        fail_msg ("accepted: %.*s", (int) len, buf);
    }
    assert_int_equal (err.status, 400);
    assert_string_equal (err.code, "malformed_json");
    assert_string_equal (err.field, "");
    //  The message goes into a JSON response: printable ASCII only here
    for (const char *p = err.message; *p; p++)
        assert_true (*p >= 0x20 && *p < 0x7F);
    return err;
}


static void
s_assert_prefix (const char *text, const char *prefix)
{
    if (strncmp (text, prefix, strlen (prefix)) != 0)
        fail_msg ("'%s' does not start with '%s'", text, prefix);
}


static void
test_valid_documents_parse (void **state)
{
    (void) state;
    edge_json_err_t err;
    const char *doc =
        " {\"a\": [1, 2.5, \"x\\u00e9\"], \"b\": {\"c\": null}} \n";
    json_t *value = edge_json_parse (doc, strlen (doc), &err);
    assert_non_null (value);
    assert_true (json_is_object (value));
    json_decref (value);
    //  Any value parses; edge_json_check is what demands an object
    value = edge_json_parse ("42", 2, &err);
    assert_true (json_is_integer (value));
    json_decref (value);
}


static void
test_empty_body_is_reported_as_empty (void **state)
{
    (void) state;
    edge_json_err_t err = s_parse_refused ("", 0);
    assert_string_equal (err.message, "request body is empty");
    err = s_parse_refused (NULL, 0);
    assert_string_equal (err.message, "request body is empty");
}


static void
test_syntax_errors_give_line_and_column (void **state)
{
    (void) state;
    const char *doc = "{\n  \"a\": tru\n}";
    edge_json_err_t err = s_parse_refused (doc, strlen (doc));
    s_assert_prefix (err.message, "malformed JSON at line 2, column ");
    assert_non_null (strstr (err.message, ": "));
    doc = "{\"a\":}";
    err = s_parse_refused (doc, strlen (doc));
    s_assert_prefix (err.message, "malformed JSON at line 1, column 6: ");
    //  Whitespace only is a syntax error, not an empty body
    err = s_parse_refused ("  ", 2);
    s_assert_prefix (err.message, "malformed JSON at line 1, column ");
}


static void
test_trailing_garbage_is_rejected (void **state)
{
    (void) state;
    const char *docs[] = {"{} x", "{}{}", "[1] ]", "{},", "1 2"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        s_parse_refused (docs[i], strlen (docs[i]));
}


static void
test_invalid_utf8_is_rejected (void **state)
{
    (void) state;
    const char *docs[] = {
        "{\"a\":\"\xff\"}",         //  never valid
        "{\"a\":\"\xc0\xaf\"}",     //  overlong '/'
        "{\"a\":\"\xe0\x80\"}",     //  truncated sequence
        "{\"a\":\"\xed\xa0\x80\"}", //  UTF-16 surrogate
        "{\"\xfe\":1}",             //  in a key
        "{\"a\":\"\\ud800\"}",      //  lone surrogate escape
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        s_parse_refused (docs[i], strlen (docs[i]));
}


static void
test_nul_bytes_are_rejected (void **state)
{
    (void) state;
    s_parse_refused ("{\"a\":\"x\0y\"}", 11);
    s_parse_refused ("{\"a\":1}\0", 8);
    s_parse_refused ("\0{}", 3);
    const char *escaped = "{\"a\":\"x\\u0000y\"}";
    s_parse_refused (escaped, strlen (escaped));
}


static void
test_duplicate_keys_are_rejected (void **state)
{
    (void) state;
    const char *doc = "{\"a\":1,\"b\":2,\"a\":3}";
    s_parse_refused (doc, strlen (doc));
    doc = "{\"x\":{\"k\":1,\"k\":1}}";
    s_parse_refused (doc, strlen (doc));
}


static void
test_deep_nesting_fails_cleanly (void **state)
{
    (void) state;
    size_t depth = 100000;
    char *doc = malloc (2 * depth);
    memset (doc, '[', depth);
    memset (doc + depth, ']', depth);
    s_parse_refused (doc, 2 * depth);
    //  The limit is exact: 64 levels parse, 65 do not (a request thread's
    //  stack must never meet jansson's recursion)
    edge_json_err_t err;
    size_t max = EDGE_JSON_MAX_DEPTH;
    json_t *value = edge_json_parse (doc + depth - max, 2 * max, &err);
    assert_non_null (value);
    json_decref (value);
    value = edge_json_parse (doc + depth - max - 1, 2 * max + 2, &err);
    assert_null (value);
    assert_int_equal (err.status, 400);
    assert_non_null (strstr (err.message, "nested deeper"));
    free (doc);
    //  Brackets inside strings do not count, escaped quotes included
    const char *text = "{\"a\":\"[[[[\\\"{{{{\"}";
    assert_true (edge_json_is_shallow (text, strlen (text), 1));
    assert_false (edge_json_is_shallow ("[[]]", 4, 1));
}


static void
test_every_truncation_of_a_document_is_rejected (void **state)
{
    (void) state;
    const char *doc = "{\"name\":\"app_1\",\"n\":[1,2,{\"x\":\"\xc3\xa9\"}],"
                      "\"ok\":true,\"v\":null}";
    size_t len = strlen (doc);
    for (size_t cut = 0; cut < len; cut++) {
        char *prefix = malloc (cut + 1);
        memcpy (prefix, doc, cut);
        s_parse_refused (prefix, cut);
        free (prefix);
    }
    edge_json_err_t err;
    json_t *value = edge_json_parse (doc, len, &err);
    assert_non_null (value);
    json_decref (value);
}


//  The fields of a test request.
static const edge_json_field_t s_fields[] = {
    {"name", EDGE_JSON_NAME, true, 0, 0, false},
    {"label", EDGE_JSON_STRING, false, 1, 4096, true},
    {"enabled", EDGE_JSON_BOOL, false, 0, 0, false},
    {"limit", EDGE_JSON_INT, false, 1, 1000, false},
    {"big", EDGE_JSON_INT, false, 0, 0, false},
    {"settings", EDGE_JSON_OBJECT, false, 0, 0, true},
    {"types", EDGE_JSON_ARRAY, false, 1, 3, false},
    {"any", EDGE_JSON_STRING, false, 0, 0, false},
};
#define S_FIELD_COUNT (sizeof s_fields / sizeof s_fields[0])


//  Check doc against s_fields; returns 0/-1 and fills err.
static int
s_check (const char *doc, edge_json_err_t *err)
{
    memset (err, 0, sizeof *err);
    json_error_t jerr;
    json_t *value = json_loads (doc, JSON_DECODE_ANY, &jerr);
    if (!value)
        fail_msg ("test document does not parse: %s", doc);
    int rc = edge_json_check (value, s_fields, S_FIELD_COUNT, err);
    json_decref (value);
    return rc;
}


static void
s_assert_check_fails (const char *doc,
                      const char *code,
                      const char *field,
                      const char *message)
{
    edge_json_err_t err;
    if (s_check (doc, &err) != -1)
        fail_msg ("accepted: %s", doc);
    assert_int_equal (err.status, 400);
    assert_string_equal (err.code, code);
    assert_string_equal (err.field, field);
    assert_string_equal (err.message, message);
}


static void
s_assert_check_passes (const char *doc)
{
    edge_json_err_t err;
    if (s_check (doc, &err) != 0)
        fail_msg ("refused: %s: %s", doc, err.message);
}


static void
test_complete_valid_object_passes (void **state)
{
    (void) state;
    s_assert_check_passes (
        "{\"name\":\"my_app\",\"label\":\"x\",\"enabled\":false,"
        "\"limit\":1000,\"big\":-9007199254740993,"
        "\"settings\":{\"k\":[]},\"types\":[\"a\"],"
        "\"any\":\"\"}");
    s_assert_check_passes ("{\"name\":\"ab\"}");
}


static void
test_body_must_be_an_object (void **state)
{
    (void) state;
    const char *docs[] = {"[]", "1", "\"x\"", "null", "true"};
    for (size_t i = 0; i < 5; i++)
        s_assert_check_fails (docs[i], "invalid_json", "",
                              "request body must be a JSON object");
}


static void
test_unknown_field_is_named (void **state)
{
    (void) state;
    s_assert_check_fails ("{\"name\":\"ab\",\"x\":1}", "unknown_field", "x",
                          "unknown field 'x'");
    //  Reported before a missing field, in document order
    s_assert_check_fails ("{\"zz\":1,\"yy\":2}", "unknown_field", "zz",
                          "unknown field 'zz'");
    //  Case matters
    s_assert_check_fails ("{\"Name\":\"ab\"}", "unknown_field", "Name",
                          "unknown field 'Name'");
}


static void
test_missing_required_field_is_named (void **state)
{
    (void) state;
    s_assert_check_fails ("{}", "missing_field", "name",
                          "missing field 'name'");
    s_assert_check_fails ("{\"label\":\"x\"}", "missing_field", "name",
                          "missing field 'name'");
}


static void
test_wrong_types_are_named_with_the_expected_type (void **state)
{
    (void) state;
    struct {
        const char *doc, *field, *message;
    } cases[] = {
        {"{\"name\":5}", "name", "field 'name' must be a string"},
        {"{\"name\":\"ab\",\"label\":true}", "label",
         "field 'label' must be a string"},
        {"{\"name\":\"ab\",\"enabled\":\"true\"}", "enabled",
         "field 'enabled' must be a boolean"},
        {"{\"name\":\"ab\",\"enabled\":1}", "enabled",
         "field 'enabled' must be a boolean"},
        {"{\"name\":\"ab\",\"limit\":1.5}", "limit",
         "field 'limit' must be an integer"},
        {"{\"name\":\"ab\",\"limit\":\"1\"}", "limit",
         "field 'limit' must be an integer"},
        {"{\"name\":\"ab\",\"limit\":10.0}", "limit",
         "field 'limit' must be an integer"},
        {"{\"name\":\"ab\",\"settings\":[]}", "settings",
         "field 'settings' must be an object"},
        {"{\"name\":\"ab\",\"types\":{}}", "types",
         "field 'types' must be an array"},
        {"{\"name\":\"ab\",\"types\":\"a\"}", "types",
         "field 'types' must be an array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        s_assert_check_fails (cases[i].doc, "invalid_field", cases[i].field,
                              cases[i].message);
}


static void
test_null_is_accepted_only_when_nullable (void **state)
{
    (void) state;
    s_assert_check_passes (
        "{\"name\":\"ab\",\"label\":null,\"settings\":null}");
    s_assert_check_fails ("{\"name\":null}", "invalid_field", "name",
                          "field 'name' must be a string");
    s_assert_check_fails ("{\"name\":\"ab\",\"limit\":null}", "invalid_field",
                          "limit", "field 'limit' must be an integer");
}


static void
test_integer_bounds_are_inclusive (void **state)
{
    (void) state;
    s_assert_check_passes ("{\"name\":\"ab\",\"limit\":1}");
    s_assert_check_passes ("{\"name\":\"ab\",\"limit\":1000}");
    const char *msg = "field 'limit' must be between 1 and 1000";
    s_assert_check_fails ("{\"name\":\"ab\",\"limit\":0}", "invalid_field",
                          "limit", msg);
    s_assert_check_fails ("{\"name\":\"ab\",\"limit\":1001}", "invalid_field",
                          "limit", msg);
    s_assert_check_fails ("{\"name\":\"ab\",\"limit\":-5}", "invalid_field",
                          "limit", msg);
}


static void
test_string_bounds_count_bytes (void **state)
{
    (void) state;
    const char *msg = "field 'label' must be 1 to 4096 bytes long";
    s_assert_check_fails ("{\"name\":\"ab\",\"label\":\"\"}", "invalid_field",
                          "label", msg);
    char *doc = malloc (5000);
    for (size_t len = 4095; len <= 4097; len++) {
        int n = snprintf (doc, 5000, "{\"name\":\"ab\",\"label\":\"");
        memset (doc + n, 'x', len);
        strcpy (doc + n + len, "\"}");
        if (len <= 4096)
            s_assert_check_passes (doc);
        else
            s_assert_check_fails (doc, "invalid_field", "label", msg);
    }
    //  2048 two-byte characters are 4096 bytes; one more is too long
    int n = snprintf (doc, 5000, "{\"name\":\"ab\",\"label\":\"");
    for (int i = 0; i < 2049; i++)
        memcpy (doc + n + 2 * i, "\xc3\xa9", 2);
    strcpy (doc + n + 2 * 2049, "\"}");
    s_assert_check_fails (doc, "invalid_field", "label", msg);
    free (doc);
}


static void
test_names_must_match_the_name_pattern (void **state)
{
    (void) state;
    const char *msg = "field 'name' must match ^[A-Za-z0-9_]{2,50}$";
    const char *bad[] = {"{\"name\":\"\"}",
                         "{\"name\":\"a\"}",
                         "{\"name\":\"a-b\"}",
                         "{\"name\":\"a b\"}",
                         "{\"name\":\"\xc3\xa9t\xc3\xa9\"}",
                         "{\"name\":\"ab[1]\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_assert_check_fails (bad[i], "invalid_field", "name", msg);
    char doc[128];
    snprintf (doc, sizeof doc, "{\"name\":\"%.50s\"}",
              "A123456789012345678901234567890123456789012345678_");
    s_assert_check_passes (doc);
    snprintf (doc, sizeof doc, "{\"name\":\"%s\"}",
              "A123456789012345678901234567890123456789012345678_x");
    s_assert_check_fails (doc, "invalid_field", "name", msg);
}


static void
test_array_bounds_count_items (void **state)
{
    (void) state;
    const char *msg = "field 'types' must have 1 to 3 items";
    s_assert_check_fails ("{\"name\":\"ab\",\"types\":[]}", "invalid_field",
                          "types", msg);
    s_assert_check_passes ("{\"name\":\"ab\",\"types\":[1,2,3]}");
    s_assert_check_fails ("{\"name\":\"ab\",\"types\":[1,2,3,4]}",
                          "invalid_field", "types", msg);
}


static void
test_long_field_names_stay_valid_utf8 (void **state)
{
    (void) state;
    //  300 bytes of two-byte characters: both buffers cut them cleanly
    char doc[400];
    strcpy (doc, "{\"");
    for (int i = 0; i < 150; i++)
        memcpy (doc + 2 + 2 * i, "\xc3\xa9", 2);
    strcpy (doc + 302, "\":1}");
    edge_json_err_t err;
    assert_int_equal (s_check (doc, &err), -1);
    assert_string_equal (err.code, "unknown_field");
    assert_true (strlen (err.field) % 2 == 0);
    json_t *field = json_string (err.field);
    json_t *message = json_string (err.message);
    assert_non_null (field);
    assert_non_null (message);
    json_decref (field);
    json_decref (message);
}


static void
test_err_set_fills_every_member (void **state)
{
    (void) state;
    edge_json_err_t err;
    int rc = edge_json_err_set (&err, 409, "conflict", "appName",
                                "app '%s' exists (%d)", "x", 3);
    assert_int_equal (rc, -1);
    assert_int_equal (err.status, 409);
    assert_string_equal (err.code, "conflict");
    assert_string_equal (err.field, "appName");
    assert_string_equal (err.message, "app 'x' exists (3)");
    edge_json_err_set (&err, 400, "x", NULL, "m");
    assert_string_equal (err.field, "");
    //  A NULL err is tolerated
    assert_int_equal (edge_json_err_set (NULL, 400, "x", NULL, "m"), -1);
    json_t *value = json_pack ("[]");
    assert_int_equal (edge_json_check (value, s_fields, S_FIELD_COUNT, NULL),
                      -1);
    json_decref (value);
}


static void
test_getters_fall_back_to_the_default (void **state)
{
    (void) state;
    json_t *obj = json_pack ("{s:s,s:I,s:b,s:n,s:f}", "s", "text", "i",
                             (json_int_t) 1 << 40, "b", 1, "z", "r", 1.5);
    assert_string_equal (edge_json_str (obj, "s", "d"), "text");
    assert_string_equal (edge_json_str (obj, "i", "d"), "d");
    assert_string_equal (edge_json_str (obj, "z", "d"), "d");
    assert_null (edge_json_str (obj, "missing", NULL));
    assert_true (edge_json_int (obj, "i", 0) == (int64_t) 1 << 40);
    assert_int_equal (edge_json_int (obj, "r", 7), 7);
    assert_int_equal (edge_json_int (obj, "s", 7), 7);
    assert_int_equal (edge_json_int (obj, "z", -1), -1);
    assert_true (edge_json_bool (obj, "b", false));
    assert_false (edge_json_bool (obj, "i", false));
    assert_true (edge_json_bool (obj, "missing", true));
    assert_string_equal (edge_json_str (NULL, "s", "d"), "d");
    json_t *array = json_pack ("[s]", "s");
    assert_string_equal (edge_json_str (array, "s", "d"), "d");
    assert_int_equal (edge_json_int (NULL, "i", 3), 3);
    assert_true (edge_json_bool (NULL, "b", true));
    json_decref (array);
    json_decref (obj);
}


static void
test_dumps_is_compact_in_insertion_order (void **state)
{
    (void) state;
    json_t *obj = json_pack ("{s:i,s:s,s:b,s:[i,i],s:n}", "z", 1, "a", "x\"y",
                             "m", 1, "list", 1, 2, "nil");
    char *text = edge_json_dumps (obj);
    assert_string_equal (text,
                         "{\"z\":1,\"a\":\"x\\\"y\",\"m\":true,\"list\":[1,2],"
                         "\"nil\":null}");
    free (text);
    json_decref (obj);
    json_t *number = json_integer (5);
    text = edge_json_dumps (number);
    assert_string_equal (text, "5");
    free (text);
    json_decref (number);
    assert_null (edge_json_dumps (NULL));
}


static void
test_text_is_a_string_or_null (void **state)
{
    (void) state;
    json_t *value = edge_json_text ("abc");
    assert_string_equal (json_string_value (value), "abc");
    json_decref (value);
    value = edge_json_text (NULL);
    assert_true (json_is_null (value));
    json_decref (value);
    value = edge_json_text ("\xff\xfe"); //  not UTF-8: null, no crash
    assert_true (json_is_null (value));
    json_decref (value);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_valid_documents_parse),
        cmocka_unit_test (test_empty_body_is_reported_as_empty),
        cmocka_unit_test (test_syntax_errors_give_line_and_column),
        cmocka_unit_test (test_trailing_garbage_is_rejected),
        cmocka_unit_test (test_invalid_utf8_is_rejected),
        cmocka_unit_test (test_nul_bytes_are_rejected),
        cmocka_unit_test (test_duplicate_keys_are_rejected),
        cmocka_unit_test (test_deep_nesting_fails_cleanly),
        cmocka_unit_test (test_every_truncation_of_a_document_is_rejected),
        cmocka_unit_test (test_complete_valid_object_passes),
        cmocka_unit_test (test_body_must_be_an_object),
        cmocka_unit_test (test_unknown_field_is_named),
        cmocka_unit_test (test_missing_required_field_is_named),
        cmocka_unit_test (test_wrong_types_are_named_with_the_expected_type),
        cmocka_unit_test (test_null_is_accepted_only_when_nullable),
        cmocka_unit_test (test_integer_bounds_are_inclusive),
        cmocka_unit_test (test_string_bounds_count_bytes),
        cmocka_unit_test (test_names_must_match_the_name_pattern),
        cmocka_unit_test (test_array_bounds_count_items),
        cmocka_unit_test (test_long_field_names_stay_valid_utf8),
        cmocka_unit_test (test_err_set_fills_every_member),
        cmocka_unit_test (test_getters_fall_back_to_the_default),
        cmocka_unit_test (test_dumps_is_compact_in_insertion_order),
        cmocka_unit_test (test_text_is_a_string_or_null),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
