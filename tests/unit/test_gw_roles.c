/*  test_gw_roles - /be/v1/roles against a real redis-server, driven as
    the server drives handlers: creation with every resource present,
    permission validation with its exact messages, patch of given
    resources only, the immutable Administrators, roles in use, lists and
    tenant isolation.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_perm.h"
#include "gw_testacct.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *
s_str (const json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}


static json_int_t
s_perm (const json_t *role, const char *resource)
{
    json_t *perms = json_object_get (role, "permissions");
    json_t *value = json_object_get (perms, resource);
    assert_true (json_is_integer (value));
    return json_integer_value (value);
}


static void
test_created_role_holds_every_resource_with_zero_for_omitted (void **state)
{
    (void) state;
    int status;
    json_t *role = gw_testacct_boss (
        "POST", "/be/v1/roles", NULL,
        "{\"name\":\"Managers\",\"label\":\"Run the training cycle\","
        "\"permissions\":{\"apps\":15,\"tasks\":31,\"trainings\":6,"
        "\"consumption\":2}}",
        &status);
    assert_int_equal (status, 201);
    assert_string_equal (s_str (role, "name"), "Managers");
    assert_string_equal (s_str (role, "label"), "Run the training cycle");
    json_t *perms = json_object_get (role, "permissions");
    assert_int_equal (json_object_size (perms), EDGE_PERM_COUNT);
    assert_int_equal (s_perm (role, "apps"), 15);
    assert_int_equal (s_perm (role, "tasks"), 31);
    assert_int_equal (s_perm (role, "beUsers"), 0);
    assert_non_null (s_str (role, "created"));
    assert_string_equal (s_str (role, "created"), s_str (role, "updated"));
    json_decref (role);
    role =
        gw_testacct_boss ("GET", "/be/v1/roles/Managers", NULL, NULL, &status);
    assert_int_equal (status, 200);
    assert_int_equal (s_perm (role, "trainings"), 6);
    json_decref (role);
    role = gw_testacct_boss ("GET", "/be/v1/roles/Managers", "fields[]=name",
                             NULL, &status);
    assert_int_equal (json_object_size (role), 1);
    json_decref (role);
    //  No label: null
    role =
        gw_testacct_boss ("POST", "/be/v1/roles", NULL,
                          "{\"name\":\"Empty\",\"permissions\":{}}", &status);
    assert_int_equal (status, 201);
    assert_true (json_is_null (json_object_get (role, "label")));
    assert_int_equal (s_perm (role, "apps"), 0);
    json_decref (role);
}


static void
s_create_fails (const char *body,
                const char *code,
                const char *field,
                const char *message)
{
    int status;
    json_t *error =
        gw_testacct_boss ("POST", "/be/v1/roles", NULL, body, &status);
    assert_int_equal (status, 400);
    if (message)
        assert_string_equal (
            s_str (json_object_get (error, "error"), "message"), message);
    gw_testacct_assert_error (error, 400, code, field);
}


static void
test_bad_permissions_are_400_with_the_documented_message (void **state)
{
    (void) state;
    s_create_fails ("{\"name\":\"R\",\"permissions\":{}}", "invalid_field",
                    "name", NULL);
    s_create_fails ("{\"name\":\"Ro\"}", "missing_field", "permissions", NULL);
    s_create_fails ("{\"name\":\"Ro\",\"permissions\":{\"bogus\":1}}",
                    "unknown_field", "permissions.bogus", NULL);
    s_create_fails ("{\"name\":\"Ro\",\"permissions\":{\"apps\":16}}",
                    "invalid_field", "permissions.apps",
                    "permissions.apps must be an integer from 0 to 15 made "
                    "of the bits CRUD");
    s_create_fails ("{\"name\":\"Ro\",\"permissions\":{\"trainings\":1}}",
                    "invalid_field", "permissions.trainings",
                    "permissions.trainings must be an integer from 0 to 6 "
                    "made of the bits RU");
    s_create_fails ("{\"name\":\"Ro\",\"permissions\":{\"tasks\":-1}}",
                    "invalid_field", "permissions.tasks",
                    "permissions.tasks must be an integer from 0 to 31 made "
                    "of the bits CRUDX");
    s_create_fails ("{\"name\":\"Ro\",\"permissions\":{\"consumption\":\"2\"}}",
                    "invalid_field", "permissions.consumption", NULL);
    s_create_fails ("{\"name\":\"Ro\",\"permissions\":{\"apps\":1.0}}",
                    "invalid_field", "permissions.apps", NULL);
    s_create_fails ("{\"name\":\"Ro\",\"permissions\":{},\"x\":1}",
                    "unknown_field", "x", NULL);
    assert_false (gw_testacct_exists ("e:{acme}:role:Ro"));
}


static void
test_existing_role_is_409_conflict (void **state)
{
    (void) state;
    int status;
    json_t *error = gw_testacct_boss (
        "POST", "/be/v1/roles", NULL,
        "{\"name\":\"Administrators\",\"permissions\":{}}", &status);
    gw_testacct_assert_error (error, 409, "conflict", "name");
}


static void
test_patch_replaces_only_the_given_resources (void **state)
{
    (void) state;
    int status;
    json_decref (gw_testacct_boss (
        "POST", "/be/v1/roles", NULL,
        "{\"name\":\"Ops\",\"label\":\"L\",\"permissions\":{\"apps\":15,"
        "\"keys\":3}}",
        &status));
    json_t *role = gw_testacct_boss (
        "PATCH", "/be/v1/roles", NULL,
        "{\"name\":\"Ops\",\"permissions\":{\"keys\":8,\"tasks\":16}}",
        &status);
    assert_int_equal (status, 200);
    assert_int_equal (s_perm (role, "apps"), 15);
    assert_int_equal (s_perm (role, "keys"), 8);
    assert_int_equal (s_perm (role, "tasks"), 16);
    assert_int_equal (s_perm (role, "roles"), 0);
    assert_string_equal (s_str (role, "label"), "L");
    json_decref (role);
    role = gw_testacct_boss ("PATCH", "/be/v1/roles", NULL,
                             "{\"name\":\"Ops\",\"label\":null}", &status);
    assert_int_equal (status, 200);
    assert_true (json_is_null (json_object_get (role, "label")));
    assert_int_equal (s_perm (role, "keys"), 8);
    json_decref (role);
    //  The stored text keeps edge_perm's order
    redisReply *reply = edge_redis_command (
        gw_testacct_redis (), "HGET e:{acme}:role:Ops permissions");
    assert_string_equal (reply->str,
                         "{\"apps\":15,\"beUsers\":0,\"bundles\":0,"
                         "\"consumption\":0,\"dependencies\":0,"
                         "\"deployments\":0,\"keys\":8,\"roles\":0,"
                         "\"sources\":0,\"subscriptions\":0,\"tasks\":16,"
                         "\"trainings\":0}");
    freeReplyObject (reply);
    json_t *error = gw_testacct_boss (
        "PATCH", "/be/v1/roles", NULL,
        "{\"name\":\"Ops\",\"permissions\":{\"keys\":32}}", &status);
    gw_testacct_assert_error (error, 400, "invalid_field", "permissions.keys");
    error = gw_testacct_boss ("PATCH", "/be/v1/roles", NULL,
                              "{\"name\":\"Nope\",\"label\":\"x\"}", &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
}


static void
test_administrators_is_immutable (void **state)
{
    (void) state;
    int status;
    json_t *error = gw_testacct_boss (
        "PATCH", "/be/v1/roles", NULL,
        "{\"name\":\"Administrators\",\"permissions\":{\"apps\":0}}", &status);
    gw_testacct_assert_error (error, 409, "immutable_role", NULL);
    error = gw_testacct_boss ("DELETE", "/be/v1/roles/Administrators", NULL,
                              NULL, &status);
    gw_testacct_assert_error (error, 409, "immutable_role", NULL);
    json_t *role = gw_testacct_boss ("GET", "/be/v1/roles/Administrators", NULL,
                                     NULL, &status);
    assert_int_equal (s_perm (role, "tasks"), 31);
    assert_int_equal (s_perm (role, "apps"), 15);
    json_decref (role);
}


static void
test_a_role_in_use_cannot_be_deleted (void **state)
{
    (void) state;
    int status;
    json_decref (gw_testacct_boss (
        "POST", "/be/v1/roles", NULL,
        "{\"name\":\"CI\",\"permissions\":{\"apps\":15}}", &status));
    json_decref (gw_testacct_boss (
        "POST", "/be/v1/users", NULL,
        "{\"username\":\"bot\",\"label\":\"x\",\"roles\":[\"CI\"],"
        "\"machine\":true}",
        &status));
    assert_int_equal (status, 201);
    json_t *error =
        gw_testacct_boss ("DELETE", "/be/v1/roles/CI", NULL, NULL, &status);
    gw_testacct_assert_error (error, 409, "role_in_use", NULL);
    json_decref (
        gw_testacct_boss ("DELETE", "/be/v1/users/bot", NULL, NULL, &status));
    assert_int_equal (status, 204);
    assert_null (
        gw_testacct_boss ("DELETE", "/be/v1/roles/CI", NULL, NULL, &status));
    assert_int_equal (status, 204);
    assert_false (gw_testacct_exists ("e:{acme}:role:CI"));
    error = gw_testacct_boss ("DELETE", "/be/v1/roles/CI", NULL, NULL, &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
}


static void
test_list_and_tenant_isolation (void **state)
{
    (void) state;
    gw_testacct_org ("rival", "chief");
    int status;
    const char *names[] = {"Zeta", "Alpha", "Mid"};
    for (size_t i = 0; i < 3; i++) {
        char body[128];
        snprintf (body, sizeof body, "{\"name\":\"%s\",\"permissions\":{}}",
                  names[i]);
        json_decref (
            gw_testacct_boss ("POST", "/be/v1/roles", NULL, body, &status));
    }
    //  Creation times may tie within a millisecond: make them distinct
    redisReply *reply = edge_redis_command (
        gw_testacct_redis (), "ZADD e:{acme}:roles XX 1 Administrators 2 Zeta "
                              "3 Alpha 4 Mid");
    freeReplyObject (reply);
    json_t *list = gw_testacct_boss ("GET", "/be/v1/roles",
                                     "order[]=-created&fields[]=name&limit=3",
                                     NULL, &status);
    assert_int_equal (status, 200);
    assert_int_equal (json_integer_value (json_object_get (list, "total")), 4);
    json_t *items = json_object_get (list, "items");
    assert_int_equal (json_array_size (items), 3);
    assert_string_equal (s_str (json_array_get (items, 0), "name"), "Mid");
    assert_string_equal (s_str (json_array_get (items, 1), "name"), "Alpha");
    assert_string_equal (s_str (json_array_get (items, 2), "name"), "Zeta");
    assert_int_equal (json_object_size (json_array_get (items, 0)), 1);
    json_decref (list);
    list = gw_testacct_boss ("GET", "/be/v1/roles", NULL, NULL, &status);
    items = json_object_get (list, "items");
    assert_string_equal (s_str (json_array_get (items, 0), "name"),
                         "Administrators");
    assert_string_equal (s_str (json_array_get (items, 1), "name"), "Alpha");
    assert_string_equal (s_str (json_array_get (items, 3), "name"), "Zeta");
    json_decref (list);
    //  rival sees only its own Administrators
    list = gw_testacct_call ("rival", "chief", "GET", "/be/v1/roles", NULL,
                             NULL, &status);
    assert_int_equal (json_integer_value (json_object_get (list, "total")), 1);
    json_decref (list);
    json_t *error = gw_testacct_call ("rival", "chief", "GET",
                                      "/be/v1/roles/Zeta", NULL, NULL, &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    error = gw_testacct_call ("rival", "chief", "DELETE", "/be/v1/roles/Zeta",
                              NULL, NULL, &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    assert_true (gw_testacct_exists ("e:{acme}:role:Zeta"));
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
            test_created_role_holds_every_resource_with_zero_for_omitted,
            gw_testacct_reset),
        cmocka_unit_test_setup (
            test_bad_permissions_are_400_with_the_documented_message,
            gw_testacct_reset),
        cmocka_unit_test_setup (test_existing_role_is_409_conflict,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_patch_replaces_only_the_given_resources,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_administrators_is_immutable,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_a_role_in_use_cannot_be_deleted,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_list_and_tenant_isolation,
                                gw_testacct_reset),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    gw_testacct_stop ();
    return rc;
}
