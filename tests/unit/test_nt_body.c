/*  test_nt_body - webhook bodies match the documented (seed) schema.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "nt_body.h"
#include <stdbool.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

//  The documented example body (spec seed), the schema reference.
static const char *s_seed =
    "{\"type\":\"dltar\",\"event\":\"submit\",\"orgName\":\"string\","
    "\"appName\":\"string\",\"buildName\":\"string\",\"dxfName\":\"string\","
    "\"buildChanged\":true,\"exception\":{\"httpDownloadFailed\":{\"url\":"
    "\"string\",\"httpStatus\":100,\"exitCode\":0,\"sizeBytes\":0},"
    "\"fileReadFailed\":{\"filename\":\"string\",\"typeExpected\":\"string\","
    "\"typeDetected\":\"string\"}},\"error\":{\"deployment\":{"
    "\"failedDeployments\":[\"string\"],\"succeededDeployments\":[\"string\"]"
    "}}}";

static const char *s_full_exception =
    "{\"httpDownloadFailed\":{\"url\":\"https://x.test/b.tar\",\"httpStatus\":"
    "404,\"exitCode\":22,\"sizeBytes\":0,\"extra\":1},\"fileReadFailed\":{"
    "\"filename\":\"a.pak\",\"typeExpected\":\"pak\",\"typeDetected\":"
    "\"zip\"},\"unknown\":{}}";
static const char *s_full_error =
    "{\"deployment\":{\"failedDeployments\":[\"eu\",7],"
    "\"succeededDeployments\":[\"us\"],\"extra\":true}}";


static nt_event_t
s_event (void)
{
    nt_event_t event = {.id = "1-0",
                        .task_name = "dltar_20260101000000_0123456789",
                        .type = "dltar",
                        .event = "error",
                        .org = "acme",
                        .app = "shooter",
                        .build = "b42",
                        .dxf = "d1",
                        .build_changed = "true",
                        .timestamp = "2026-01-01T00:00:00.000Z",
                        .created_ms = "1",
                        .exception = "",
                        .error = "",
                        .message = ""};
    return event;
}


//  True when value has the same shape as schema: same object keys (all of
//  them, recursively), same JSON types, array items like the schema's first.
static bool
s_same_shape (const json_t *value, const json_t *schema)
{
    if (json_typeof (value) != json_typeof (schema)) {
        bool both_bool = json_is_boolean (value) && json_is_boolean (schema);
        if (!both_bool)
            return false;
    }
    if (json_is_object (schema)) {
        if (json_object_size (value) != json_object_size (schema))
            return false;
        const char *key;
        json_t *sub;
        json_object_foreach ((json_t *) schema, key, sub)
        {
            json_t *got = json_object_get (value, key);
            if (!got || !s_same_shape (got, sub))
                return false;
        }
    }
    if (json_is_array (schema)) {
        size_t i;
        json_t *item;
        json_array_foreach ((json_t *) value, i, item)
        {
            if (!s_same_shape (item, json_array_get (schema, 0)))
                return false;
        }
    }
    return true;
}


//  Parse body, check taskName and timestamp and remove them.
static json_t *
s_parse_without_extras (const char *body, const nt_event_t *event)
{
    json_t *doc = json_loads (body, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null (doc);
    assert_string_equal (json_string_value (json_object_get (doc, "taskName")),
                         event->task_name);
    assert_string_equal (json_string_value (json_object_get (doc, "timestamp")),
                         event->timestamp);
    json_object_del (doc, "taskName");
    json_object_del (doc, "timestamp");
    return doc;
}


static void
test_full_event_body_has_exactly_the_seed_fields_and_types (void **state)
{
    (void) state;
    nt_event_t event = s_event ();
    event.exception = s_full_exception;
    event.error = s_full_error;
    char *body = nt_body_webhook (&event);
    json_t *seed = json_loads (s_seed, 0, NULL);
    json_t *doc = s_parse_without_extras (body, &event);
    assert_true (s_same_shape (doc, seed));
    json_t *dl = json_object_get (json_object_get (doc, "exception"),
                                  "httpDownloadFailed");
    assert_int_equal (json_integer_value (json_object_get (dl, "httpStatus")),
                      404);
    assert_int_equal (json_integer_value (json_object_get (dl, "exitCode")),
                      22);
    json_t *failed = json_object_get (
        json_object_get (json_object_get (doc, "error"), "deployment"),
        "failedDeployments");
    assert_int_equal (json_array_size (failed), 1); //  7 was not a name
    assert_true (json_is_true (json_object_get (doc, "buildChanged")));
    //  Compact, documented order
    const char *prefix = "{\"type\":\"dltar\",\"event\":\"error\","
                         "\"orgName\":\"acme\",\"appName\":";
    assert_true (strncmp (body, prefix, strlen (prefix)) == 0);
    assert_null (strchr (body, ' '));
    json_decref (doc);
    json_decref (seed);
    free (body);
}


static void
test_event_without_exception_or_error_omits_them (void **state)
{
    (void) state;
    nt_event_t event = s_event ();
    event.event = "end";
    char *body = nt_body_webhook (&event);
    json_t *seed = json_loads (s_seed, 0, NULL);
    json_object_del (seed, "exception");
    json_object_del (seed, "error");
    json_t *doc = s_parse_without_extras (body, &event);
    assert_true (s_same_shape (doc, seed));
    json_decref (doc);
    json_decref (seed);
    free (body);
}


static void
test_only_the_sub_objects_the_event_has_are_sent (void **state)
{
    (void) state;
    nt_event_t event = s_event ();
    event.exception = "{\"fileReadFailed\":{\"filename\":\"a.pak\"}}";
    event.error = "{\"other\":1}"; //  no documented sub-object: no "error"
    char *body = nt_body_webhook (&event);
    json_t *doc = json_loads (body, 0, NULL);
    json_t *exception = json_object_get (doc, "exception");
    assert_int_equal (json_object_size (exception), 1);
    json_t *fr = json_object_get (exception, "fileReadFailed");
    assert_int_equal (json_object_size (fr), 3);
    assert_string_equal (
        json_string_value (json_object_get (fr, "typeExpected")), "");
    assert_null (json_object_get (doc, "error"));
    json_decref (doc);
    free (body);
}


static void
test_unknown_names_are_null_in_a_build_task (void **state)
{
    (void) state;
    nt_event_t event = s_event ();
    event.app = event.build = event.dxf = event.build_changed = "";
    event.exception = "not json";
    event.error = "[1,2]";
    char *body = nt_body_webhook (&event);
    json_t *doc = json_loads (body, 0, NULL);
    const char *nulls[] = {"appName", "buildName", "dxfName", "buildChanged"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        assert_true (json_is_null (json_object_get (doc, nulls[i])));
    assert_null (json_object_get (doc, "exception"));
    assert_null (json_object_get (doc, "error"));
    assert_int_equal (json_object_size (doc), 9);
    json_decref (doc);
    free (body);
}


static void
test_build_changed_false_is_false (void **state)
{
    (void) state;
    nt_event_t event = s_event ();
    event.build_changed = "false";
    char *body = nt_body_webhook (&event);
    json_t *doc = json_loads (body, 0, NULL);
    assert_true (json_is_false (json_object_get (doc, "buildChanged")));
    json_decref (doc);
    free (body);
}


static void
test_hello_task_has_null_app_and_no_build_fields (void **state)
{
    (void) state;
    nt_event_t event = s_event ();
    event.type = "hello";
    event.org = event.app = event.build = event.dxf = event.build_changed =
        "";
    char *body = nt_body_webhook (&event);
    json_t *doc = json_loads (body, 0, NULL);
    assert_string_equal (json_string_value (json_object_get (doc, "type")),
                         "hello");
    assert_true (json_is_null (json_object_get (doc, "orgName")));
    assert_true (json_is_null (json_object_get (doc, "appName")));
    assert_null (json_object_get (doc, "buildName"));
    assert_null (json_object_get (doc, "dxfName"));
    assert_null (json_object_get (doc, "buildChanged"));
    assert_int_equal (json_object_size (doc), 6);
    json_decref (doc);
    free (body);
}


static void
test_invalid_utf8_does_not_lose_the_field (void **state)
{
    (void) state;
    nt_event_t event = s_event ();
    event.app = "bad\xff"
                "app";
    char *body = nt_body_webhook (&event);
    json_t *doc = json_loads (body, 0, NULL);
    assert_non_null (doc);
    assert_string_equal (json_string_value (json_object_get (doc, "appName")),
                         "bad?app");
    json_decref (doc);
    free (body);
}


static void
test_slack_text_is_one_escaped_readable_line_with_the_details (void **state)
{
    (void) state;
    nt_event_t event = s_event ();
    event.exception = s_full_exception;
    event.error = s_full_error;
    event.message = "download\nfailed";
    char *text = nt_body_slack_text (&event);
    const char *words[] = {
        "acme",  "shooter",        "b42",           "d1",
        "dltar", "error",          event.task_name, "https://x.test/b.tar",
        "404",   "a.pak",          "zip",           "eu",
        "us",    "download failed"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        assert_non_null (strstr (text, words[i]));
    assert_null (strchr (text, '\n'));
    free (text);
    nt_event_t hostile = s_event ();
    hostile.message = "see <!channel> & <https://evil.test|here>";
    text = nt_body_slack_text (&hostile);
    assert_non_null (strstr (text, "see &lt;!channel&gt; &amp; &lt;https"));
    assert_null (strchr (text, '<'));
    free (text);
    nt_event_t plain = s_event ();
    plain.app = plain.build = plain.dxf = "";
    text = nt_body_slack_text (&plain);
    assert_null (strstr (text, "app "));
    assert_non_null (strstr (text, "acme"));
    free (text);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_full_event_body_has_exactly_the_seed_fields_and_types),
        cmocka_unit_test (test_event_without_exception_or_error_omits_them),
        cmocka_unit_test (test_only_the_sub_objects_the_event_has_are_sent),
        cmocka_unit_test (test_unknown_names_are_null_in_a_build_task),
        cmocka_unit_test (test_build_changed_false_is_false),
        cmocka_unit_test (test_hello_task_has_null_app_and_no_build_fields),
        cmocka_unit_test (test_invalid_utf8_does_not_lose_the_field),
        cmocka_unit_test (
            test_slack_text_is_one_escaped_readable_line_with_the_details),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
