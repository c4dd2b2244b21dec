/*  test_gw_apikeys - /be/v1/apikeys against a real redis-server, driven
    as the server drives handlers: keys for the caller or another machine
    user, persons refused, deletion revoking at once, tenant isolation.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_ident.h"
#include "gw_testacct.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *
s_str (const json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}


static void
s_machine (const char *username)
{
    char body[256];
    snprintf (body, sizeof body,
              "{\"username\":\"%s\",\"label\":\"bot\",\"roles\":"
              "[\"Administrators\"],\"machine\":true}",
              username);
    int status;
    json_decref (
        gw_testacct_boss ("POST", "/be/v1/users", NULL, body, &status));
    assert_int_equal (status, 201);
}


static bool
s_key_works (const char *org, const char *username, const char *key)
{
    gw_principal_t principal;
    return gw_ident_principal_by_key (gw_testacct_redis (), org, username, key,
                                      &principal)
           == EDGE_ERR_OK;
}


static void
test_a_machine_user_makes_a_key_for_itself_without_a_body (void **state)
{
    (void) state;
    s_machine ("ci");
    int status;
    json_t *answer = gw_testacct_call ("acme", "ci", "POST", "/be/v1/apikeys",
                                       NULL, NULL, &status);
    assert_int_equal (status, 201);
    assert_string_equal (s_str (answer, "username"), "ci");
    const char *key_id = s_str (answer, "keyId"),
               *key = s_str (answer, "apiKey");
    assert_int_equal (strlen (key_id), GW_IDENT_KEY_ID_LEN);
    assert_int_equal (strncmp (key, key_id, GW_IDENT_KEY_ID_LEN), 0);
    assert_true (s_key_works ("acme", "ci", key));
    json_decref (answer);
    //  Both keys now show on the user
    json_t *user =
        gw_testacct_boss ("GET", "/be/v1/users/ci", NULL, NULL, &status);
    assert_int_equal (json_array_size (json_object_get (user, "keys")), 2);
    json_decref (user);
}


static void
test_a_key_for_another_machine_user_and_persons_refused (void **state)
{
    (void) state;
    s_machine ("ci");
    int status;
    json_t *answer = gw_testacct_boss ("POST", "/be/v1/apikeys", NULL,
                                       "{\"username\":\"ci\"}", &status);
    assert_int_equal (status, 201);
    assert_true (s_key_works ("acme", "ci", s_str (answer, "apiKey")));
    json_decref (answer);
    //  boss is a person: with and without a body
    json_t *error =
        gw_testacct_boss ("POST", "/be/v1/apikeys", NULL, NULL, &status);
    gw_testacct_assert_error (error, 422, "not_a_machine_user", "username");
    error = gw_testacct_boss ("POST", "/be/v1/apikeys", NULL,
                              "{\"username\":\"ghost\"}", &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    error = gw_testacct_boss ("POST", "/be/v1/apikeys", NULL,
                              "{\"username\":\"ci\",\"label\":\"x\"}", &status);
    gw_testacct_assert_error (error, 400, "unknown_field", "label");
}


static void
test_a_deleted_key_fails_on_the_next_request (void **state)
{
    (void) state;
    s_machine ("ci");
    int status;
    json_t *answer = gw_testacct_boss ("POST", "/be/v1/apikeys", NULL,
                                       "{\"username\":\"ci\"}", &status);
    char *key = strdup (s_str (answer, "apiKey"));
    char body[128];
    snprintf (body, sizeof body, "{\"username\":\"ci\",\"keyId\":\"%s\"}",
              s_str (answer, "keyId"));
    json_decref (answer);
    assert_null (
        gw_testacct_boss ("DELETE", "/be/v1/apikeys", NULL, body, &status));
    assert_int_equal (status, 204);
    assert_false (s_key_works ("acme", "ci", key));
    json_t *error =
        gw_testacct_boss ("DELETE", "/be/v1/apikeys", NULL, body, &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    error =
        gw_testacct_boss ("DELETE", "/be/v1/apikeys", NULL,
                          "{\"username\":\"ci\",\"keyId\":\"../x\"}", &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    error = gw_testacct_boss ("DELETE", "/be/v1/apikeys", NULL,
                              "{\"username\":\"ci\"}", &status);
    gw_testacct_assert_error (error, 400, "missing_field", "keyId");
    free (key);
}


static void
test_another_orgs_keys_are_not_found (void **state)
{
    (void) state;
    gw_testacct_org ("rival", "chief");
    int status;
    json_decref (gw_testacct_call (
        "rival", "chief", "POST", "/be/v1/users", NULL,
        "{\"username\":\"bot\",\"label\":\"x\",\"roles\":[\"Administrators\"],"
        "\"machine\":true}",
        &status));
    assert_int_equal (status, 201);
    json_t *answer =
        gw_testacct_call ("rival", "chief", "POST", "/be/v1/apikeys", NULL,
                          "{\"username\":\"bot\"}", &status);
    assert_int_equal (status, 201);
    char body[128];
    snprintf (body, sizeof body, "{\"username\":\"bot\",\"keyId\":\"%s\"}",
              s_str (answer, "keyId"));
    json_t *error = gw_testacct_boss ("POST", "/be/v1/apikeys", NULL,
                                      "{\"username\":\"bot\"}", &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    error = gw_testacct_boss ("DELETE", "/be/v1/apikeys", NULL, body, &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    assert_true (s_key_works ("rival", "bot", s_str (answer, "apiKey")));
    json_decref (answer);
}


int
main (void)
{
    int rc = gw_testacct_start ();
    if (rc == 77)
        return 77;
    if (rc != 0) {
        fprintf (stderr, "cannot start the test fixture\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (
            test_a_machine_user_makes_a_key_for_itself_without_a_body,
            gw_testacct_reset),
        cmocka_unit_test_setup (
            test_a_key_for_another_machine_user_and_persons_refused,
            gw_testacct_reset),
        cmocka_unit_test_setup (test_a_deleted_key_fails_on_the_next_request,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_another_orgs_keys_are_not_found,
                                gw_testacct_reset),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    gw_testacct_stop ();
    return rc;
}
