/*  test_gw_users - /be/v1/users against a real redis-server, driven as
    the server drives handlers (route, authorize, handle): person and
    machine creation with their one-time secrets, validation, lists,
    tenant isolation, patch (self-service, passwords, roles), the last
    administrator, and deletion revoking tokens and keys at once.  */
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

#define S_PERSON                                                               \
    "{\"username\":\"%s\",\"email\":\"%s@acme.example\",\"firstname\":"        \
    "\"Ann\",\"surname\":\"Lee\",\"roles\":[%s],\"password\":"                 \
    "\"correct-horse-1\"}"
#define S_MACHINE                                                              \
    "{\"username\":\"%s\",\"label\":\"CI\",\"roles\":[\"Administrators\"],"    \
    "\"machine\":true}"


static const char *
s_str (const json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}


//  POST a person with the given roles (JSON list items); expect 201.
static void
s_person (const char *username, const char *roles)
{
    char body[512];
    snprintf (body, sizeof body, S_PERSON, username, username, roles);
    int status;
    json_t *user =
        gw_testacct_boss ("POST", "/be/v1/users", NULL, body, &status);
    assert_int_equal (status, 201);
    json_decref (user);
}


//  POST a machine user; returns its apiKey (caller frees).
static char *
s_machine (const char *username)
{
    char body[256];
    snprintf (body, sizeof body, S_MACHINE, username);
    int status;
    json_t *user =
        gw_testacct_boss ("POST", "/be/v1/users", NULL, body, &status);
    assert_int_equal (status, 201);
    char *key = strdup (s_str (user, "apiKey"));
    json_decref (user);
    return key;
}


//  POST a role with the given permissions object text.
static void
s_role (const char *name, const char *perms)
{
    char body[256];
    snprintf (body, sizeof body, "{\"name\":\"%s\",\"permissions\":%s}", name,
              perms);
    int status;
    json_decref (
        gw_testacct_boss ("POST", "/be/v1/roles", NULL, body, &status));
    assert_int_equal (status, 201);
}


static void
test_person_gets_a_generated_password_once_and_never_a_hash (void **state)
{
    (void) state;
    int status;
    json_t *user = gw_testacct_boss (
        "POST", "/be/v1/users", NULL,
        "{\"username\":\"ann\",\"email\":\"ann@acme.example\",\"firstname\":"
        "\"Ann\",\"surname\":\"Lee\",\"title\":\"Dr\",\"roles\":"
        "[\"Administrators\",\"Administrators\"]}",
        &status);
    assert_int_equal (status, 201);
    const char *password = s_str (user, "password");
    assert_non_null (password);
    assert_int_equal (strlen (password), GW_IDENT_PASSWORD_LEN);
    assert_string_equal (s_str (user, "username"), "ann");
    assert_string_equal (s_str (user, "title"), "Dr");
    assert_true (json_is_null (json_object_get (user, "label")));
    assert_true (json_is_false (json_object_get (user, "machine")));
    assert_null (json_object_get (user, "keys"));
    assert_null (json_object_get (user, "pwhash"));
    assert_int_equal (json_array_size (json_object_get (user, "roles")), 1);
    assert_string_equal (s_str (user, "created"), s_str (user, "updated"));
    //  The generated password logs in
    char hash[GW_IDENT_PWHASH_MAX];
    bool is_machine = true;
    assert_int_equal (gw_ident_user_pwhash (gw_testacct_redis (), "acme", "ann",
                                            hash, &is_machine),
                      EDGE_ERR_OK);
    assert_false (is_machine);
    assert_true (gw_ident_verify_password (hash, password));
    json_decref (user);
    //  GET shows neither password nor hash
    user = gw_testacct_boss ("GET", "/be/v1/users/ann", NULL, NULL, &status);
    assert_int_equal (status, 200);
    assert_null (json_object_get (user, "password"));
    assert_null (json_object_get (user, "pwhash"));
    assert_string_equal (s_str (user, "email"), "ann@acme.example");
    json_decref (user);
}


static void
test_person_with_a_given_password_gets_no_password_back (void **state)
{
    (void) state;
    int status;
    json_t *user = gw_testacct_boss (
        "POST", "/be/v1/users", NULL,
        "{\"username\":\"bob\",\"email\":\"b@x.y\",\"firstname\":\"B\","
        "\"surname\":\"C\",\"roles\":[\"Administrators\"],\"password\":"
        "\"correct-horse-1\"}",
        &status);
    assert_int_equal (status, 201);
    assert_null (json_object_get (user, "password"));
    json_decref (user);
    char hash[GW_IDENT_PWHASH_MAX];
    bool is_machine;
    assert_int_equal (gw_ident_user_pwhash (gw_testacct_redis (), "acme", "bob",
                                            hash, &is_machine),
                      EDGE_ERR_OK);
    assert_true (gw_ident_verify_password (hash, "correct-horse-1"));
}


static void
test_machine_user_gets_an_api_key_that_authenticates (void **state)
{
    (void) state;
    int status;
    json_t *user = gw_testacct_boss (
        "POST", "/be/v1/users", NULL,
        "{\"username\":\"ci\",\"label\":\"CI runner\",\"roles\":"
        "[\"Administrators\"],\"machine\":true}",
        &status);
    assert_int_equal (status, 201);
    const char *key = s_str (user, "apiKey"), *key_id = s_str (user, "keyId");
    assert_non_null (key);
    assert_non_null (key_id);
    assert_int_equal (strncmp (key, key_id, strlen (key_id)), 0);
    assert_int_equal (key[strlen (key_id)], '.');
    assert_true (json_is_true (json_object_get (user, "machine")));
    assert_true (json_is_null (json_object_get (user, "email")));
    json_t *keys = json_object_get (user, "keys");
    assert_int_equal (json_array_size (keys), 1);
    assert_string_equal (json_string_value (json_array_get (keys, 0)), key_id);
    gw_principal_t principal;
    assert_int_equal (gw_ident_principal_by_key (gw_testacct_redis (), "acme",
                                                 "ci", key, &principal),
                      EDGE_ERR_OK);
    assert_true (principal.is_machine);
    //  Only the secret's hash is stored
    const char *secret = strchr (key, '.') + 1;
    char sha[GW_IDENT_SHA_HEX];
    gw_ident_sha (secret, sha);
    redisReply *reply = edge_redis_command (gw_testacct_redis (),
                                            "HGETALL e:{acme}:key:%s", key_id);
    assert_int_equal (reply->elements, 8);
    for (size_t i = 0; i < reply->elements; i++)
        assert_null (strstr (reply->element[i]->str, secret));
    freeReplyObject (reply);
    reply = edge_redis_command (gw_testacct_redis (),
                                "HGET e:{acme}:key:%s sha256", key_id);
    assert_string_equal (reply->str, sha);
    freeReplyObject (reply);
    json_decref (user);
    //  The machine user has no password
    char hash[GW_IDENT_PWHASH_MAX];
    bool is_machine = false;
    gw_ident_user_pwhash (gw_testacct_redis (), "acme", "ci", hash,
                          &is_machine);
    assert_true (is_machine);
    assert_string_equal (hash, "");
}


static void
test_unknown_role_is_422_and_nothing_is_written (void **state)
{
    (void) state;
    int status;
    json_t *error = gw_testacct_boss (
        "POST", "/be/v1/users", NULL,
        "{\"username\":\"ci\",\"label\":\"x\",\"roles\":[\"Administrators\","
        "\"Ghosts\"],\"machine\":true}",
        &status);
    assert_int_equal (status, 422);
    json_t *inner = json_object_get (error, "error");
    assert_non_null (strstr (s_str (inner, "message"), "Ghosts"));
    gw_testacct_assert_error (error, 422, "unknown_role", "roles");
    assert_false (gw_testacct_exists ("e:{acme}:user:ci"));
    redisReply *reply =
        edge_redis_command (gw_testacct_redis (), "ZCARD e:{acme}:keys");
    assert_int_equal (reply->integer, 0);
    freeReplyObject (reply);
}


static void
test_existing_username_is_409_conflict (void **state)
{
    (void) state;
    int status;
    json_t *error = gw_testacct_boss (
        "POST", "/be/v1/users", NULL,
        "{\"username\":\"boss\",\"label\":\"x\",\"roles\":[\"Administrators\"]"
        ",\"machine\":true}",
        &status);
    assert_int_equal (status, 409);
    gw_testacct_assert_error (error, 409, "conflict", "username");
}


static void
s_create_fails (const char *body, const char *code, const char *field)
{
    int status;
    json_t *error =
        gw_testacct_boss ("POST", "/be/v1/users", NULL, body, &status);
    assert_int_equal (status, 400);
    gw_testacct_assert_error (error, 400, code, field);
}


static void
test_create_bodies_are_validated_field_by_field (void **state)
{
    (void) state;
    s_create_fails ("{\"username\":\"ann\",\"firstname\":\"A\",\"surname\":"
                    "\"B\",\"roles\":[\"Administrators\"]}",
                    "missing_field", "email");
    s_create_fails ("{\"username\":\"a-b\",\"label\":\"x\",\"roles\":"
                    "[\"Administrators\"],\"machine\":true}",
                    "invalid_field", "username");
    s_create_fails ("{\"username\":\"ann\",\"email\":\"no-at\",\"firstname\":"
                    "\"A\",\"surname\":\"B\",\"roles\":[\"Administrators\"]}",
                    "invalid_field", "email");
    s_create_fails ("{\"username\":\"ann\",\"email\":\"a@b\",\"firstname\":"
                    "\"\",\"surname\":\"B\",\"roles\":[\"Administrators\"]}",
                    "invalid_field", "firstname");
    s_create_fails ("{\"username\":\"ann\",\"email\":\"a@b\",\"firstname\":"
                    "\"A\",\"surname\":\"B\",\"roles\":[]}",
                    "invalid_field", "roles");
    s_create_fails ("{\"username\":\"ann\",\"email\":\"a@b\",\"firstname\":"
                    "\"A\",\"surname\":\"B\",\"roles\":[\"no good\"]}",
                    "invalid_field", "roles");
    s_create_fails ("{\"username\":\"ann\",\"email\":\"a@b\",\"firstname\":"
                    "\"A\",\"surname\":\"B\",\"roles\":[\"Administrators\"],"
                    "\"password\":\"short\"}",
                    "invalid_field", "password");
    s_create_fails ("{\"username\":\"ci\",\"label\":\"x\",\"roles\":"
                    "[\"Administrators\"],\"machine\":true,\"email\":\"a@b\"}",
                    "unknown_field", "email");
    s_create_fails ("{\"username\":\"ci\",\"roles\":[\"Administrators\"],"
                    "\"machine\":true}",
                    "missing_field", "label");
    s_create_fails ("{\"username\":\"ann\",\"pwhash\":\"x\"}", "unknown_field",
                    "pwhash");
    s_create_fails ("{\"username\":\"ci\",\"label\":\"x\",\"roles\":"
                    "[\"Administrators\"],\"machine\":\"yes\"}",
                    "invalid_field", "machine");
    s_create_fails ("[1]", "invalid_json", NULL);
    s_create_fails ("{", "malformed_json", NULL);
    assert_false (gw_testacct_exists ("e:{acme}:user:ann"));
}


static void
test_list_orders_pages_and_projects (void **state)
{
    (void) state;
    free (s_machine ("zed"));
    free (s_machine ("amy"));
    free (s_machine ("max"));
    int status;
    json_t *list = gw_testacct_boss ("GET", "/be/v1/users",
                                     "order[]=-name&limit=2&offset=1"
                                     "&fields[]=username&fields[]=keys",
                                     NULL, &status);
    assert_int_equal (status, 200);
    char *text = json_dumps (list, JSON_COMPACT);
    assert_int_equal (json_integer_value (json_object_get (list, "total")), 4);
    assert_int_equal (json_integer_value (json_object_get (list, "offset")), 1);
    assert_int_equal (json_integer_value (json_object_get (list, "limit")), 2);
    json_t *items = json_object_get (list, "items");
    assert_int_equal (json_array_size (items), 2);
    //  zed, max, boss, amy: the page is max, boss
    assert_string_equal (s_str (json_array_get (items, 0), "username"), "max");
    assert_int_equal (json_object_size (json_array_get (items, 0)), 2);
    assert_string_equal (s_str (json_array_get (items, 1), "username"), "boss");
    assert_int_equal (json_object_size (json_array_get (items, 1)), 1);
    free (text);
    json_decref (list);
    //  By creation (times made distinct: they may tie within a ms)
    redisReply *reply =
        edge_redis_command (gw_testacct_redis (),
                            "ZADD e:{acme}:users XX 1 boss 2 zed 3 amy 4 max");
    freeReplyObject (reply);
    list = gw_testacct_boss ("GET", "/be/v1/users", "order[]=created", NULL,
                             &status);
    items = json_object_get (list, "items");
    assert_int_equal (json_array_size (items), 4);
    const char *expected[] = {"boss", "zed", "amy", "max"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal (s_str (json_array_get (items, i), "username"),
                             expected[i]);
    json_decref (list);
    json_t *error =
        gw_testacct_boss ("GET", "/be/v1/users", "limit=0", NULL, &status);
    assert_int_equal (status, 400);
    gw_testacct_assert_error (error, 400, "invalid_field", "limit");
    error = gw_testacct_boss ("GET", "/be/v1/users", "fields[]=pwhash", NULL,
                              &status);
    gw_testacct_assert_error (error, 400, "invalid_field", "fields[]");
}


static void
test_another_orgs_user_is_not_found (void **state)
{
    (void) state;
    gw_testacct_org ("rival", "chief");
    int status;
    json_t *error =
        gw_testacct_boss ("GET", "/be/v1/users/chief", NULL, NULL, &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    error =
        gw_testacct_boss ("PATCH", "/be/v1/users", NULL,
                          "{\"username\":\"chief\",\"title\":\"x\"}", &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    error =
        gw_testacct_boss ("DELETE", "/be/v1/users/chief", NULL, NULL, &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    assert_true (gw_testacct_exists ("e:{rival}:user:chief"));
    json_t *list =
        gw_testacct_boss ("GET", "/be/v1/users", NULL, NULL, &status);
    assert_int_equal (json_integer_value (json_object_get (list, "total")), 1);
    json_decref (list);
}


static void
test_patch_changes_the_profile_and_null_clears (void **state)
{
    (void) state;
    int status;
    json_t *user = gw_testacct_boss (
        "PATCH", "/be/v1/users", NULL,
        "{\"username\":\"boss\",\"title\":\"Dr\",\"label\":\"L\","
        "\"email\":\"new@acme.example\"}",
        &status);
    assert_int_equal (status, 200);
    assert_string_equal (s_str (user, "title"), "Dr");
    assert_string_equal (s_str (user, "email"), "new@acme.example");
    assert_string_equal (s_str (user, "firstname"), "Admin");
    json_decref (user);
    user = gw_testacct_boss ("PATCH", "/be/v1/users", NULL,
                             "{\"username\":\"boss\",\"title\":null}", &status);
    assert_int_equal (status, 200);
    assert_true (json_is_null (json_object_get (user, "title")));
    assert_string_equal (s_str (user, "label"), "L");
    json_decref (user);
    json_t *error =
        gw_testacct_boss ("PATCH", "/be/v1/users", NULL,
                          "{\"username\":\"boss\",\"email\":null}", &status);
    gw_testacct_assert_error (error, 400, "invalid_field", "email");
    error = gw_testacct_boss ("PATCH", "/be/v1/users", NULL,
                              "{\"username\":\"boss\",\"roles\":[\"Nope\"]}",
                              &status);
    gw_testacct_assert_error (error, 422, "unknown_role", "roles");
}


static void
test_self_service_may_change_own_profile_and_password_only (void **state)
{
    (void) state;
    s_role ("Readers", "{\"beUsers\":2}");
    s_person ("ann", "\"Readers\"");
    s_person ("bea", "\"Readers\"");
    int status;
    json_t *user = gw_testacct_call (
        "acme", "ann", "PATCH", "/be/v1/users", NULL,
        "{\"username\":\"ann\",\"surname\":\"Moss\",\"oldPW\":"
        "\"correct-horse-1\",\"newPW\":\"battery-staple-2\"}",
        &status);
    assert_int_equal (status, 200);
    assert_string_equal (s_str (user, "surname"), "Moss");
    json_decref (user);
    char hash[GW_IDENT_PWHASH_MAX];
    bool is_machine;
    gw_ident_user_pwhash (gw_testacct_redis (), "acme", "ann", hash,
                          &is_machine);
    assert_true (gw_ident_verify_password (hash, "battery-staple-2"));
    //  Wrong old password
    json_t *error = gw_testacct_call (
        "acme", "ann", "PATCH", "/be/v1/users", NULL,
        "{\"username\":\"ann\",\"oldPW\":\"correct-horse-1\",\"newPW\":"
        "\"another-one-33\"}",
        &status);
    gw_testacct_assert_error (error, 422, "wrong_password", "oldPW");
    //  Roles, another user, resetCreds: 403 in the auth step's shape
    const char *forbidden[] = {
        "{\"username\":\"ann\",\"roles\":[\"Administrators\"]}",
        "{\"username\":\"bea\",\"surname\":\"X\"}",
        "{\"username\":\"ann\",\"resetCreds\":\"battery-staple-3\"}",
        "{\"username\":\"ann\",\"label\":\"x\"}",
    };
    for (size_t i = 0; i < 4; i++) {
        error = gw_testacct_call ("acme", "ann", "PATCH", "/be/v1/users", NULL,
                                  forbidden[i], &status);
        assert_int_equal (status, 403);
        json_t *inner = json_object_get (error, "error");
        assert_string_equal (s_str (inner, "resource"), "beUsers");
        assert_int_equal (json_integer_value (json_object_get (inner, "bit")),
                          4);
        assert_string_equal (s_str (inner, "message"),
                             "permission U (4) on 'beUsers' is required");
        gw_testacct_assert_error (error, 403, "forbidden", NULL);
    }
    //  oldPW alone is incomplete
    error =
        gw_testacct_call ("acme", "ann", "PATCH", "/be/v1/users", NULL,
                          "{\"username\":\"ann\",\"oldPW\":\"x\"}", &status);
    gw_testacct_assert_error (error, 400, "missing_field", "newPW");
}


static void
test_reset_creds_sets_another_users_password (void **state)
{
    (void) state;
    s_person ("ann", "\"Administrators\"");
    int status;
    json_t *user = gw_testacct_boss (
        "PATCH", "/be/v1/users", NULL,
        "{\"username\":\"ann\",\"resetCreds\":\"reset-password-9\"}", &status);
    assert_int_equal (status, 200);
    json_decref (user);
    char hash[GW_IDENT_PWHASH_MAX];
    bool is_machine;
    gw_ident_user_pwhash (gw_testacct_redis (), "acme", "ann", hash,
                          &is_machine);
    assert_true (gw_ident_verify_password (hash, "reset-password-9"));
    //  oldPW/newPW are for one's own password; machines have none
    json_t *error = gw_testacct_boss (
        "PATCH", "/be/v1/users", NULL,
        "{\"username\":\"ann\",\"oldPW\":\"reset-password-9\",\"newPW\":"
        "\"reset-password-10\"}",
        &status);
    gw_testacct_assert_error (error, 400, "invalid_field", "oldPW");
    free (s_machine ("ci"));
    error = gw_testacct_boss (
        "PATCH", "/be/v1/users", NULL,
        "{\"username\":\"ci\",\"resetCreds\":\"reset-password-9\"}", &status);
    gw_testacct_assert_error (error, 422, "machine_user", "resetCreds");
}


static void
test_the_last_administrator_cannot_be_removed (void **state)
{
    (void) state;
    s_role ("Readers", "{\"beUsers\":2}");
    int status;
    json_t *error = gw_testacct_boss (
        "PATCH", "/be/v1/users", NULL,
        "{\"username\":\"boss\",\"roles\":[\"Readers\"]}", &status);
    gw_testacct_assert_error (error, 409, "last_administrator", NULL);
    error =
        gw_testacct_boss ("DELETE", "/be/v1/users/boss", NULL, NULL, &status);
    gw_testacct_assert_error (error, 409, "last_administrator", NULL);
    assert_true (gw_testacct_exists ("e:{acme}:user:boss"));
    //  With a second administrator both work
    s_person ("ann", "\"Administrators\"");
    json_t *user = gw_testacct_boss (
        "PATCH", "/be/v1/users", NULL,
        "{\"username\":\"boss\",\"roles\":[\"Readers\",\"Administrators\"]}",
        &status);
    assert_int_equal (status, 200);
    json_decref (user);
    user = gw_testacct_boss ("PATCH", "/be/v1/users", NULL,
                             "{\"username\":\"boss\",\"roles\":[\"Readers\"]}",
                             &status);
    assert_int_equal (status, 200);
    json_decref (user);
    error = gw_testacct_call ("acme", "ann", "DELETE", "/be/v1/users/ann", NULL,
                              NULL, &status);
    gw_testacct_assert_error (error, 409, "last_administrator", NULL);
}


static void
test_delete_revokes_tokens_and_keys_at_once (void **state)
{
    (void) state;
    char *key = s_machine ("ci");
    s_person ("ann", "\"Administrators\"");
    char token[GW_IDENT_TOKEN_MAX];
    gw_principal_t principal;
    assert_int_equal (gw_ident_session_new (gw_testacct_redis (), "acme", "ann",
                                            60, token, &principal),
                      EDGE_ERR_OK);
    int status;
    assert_null (
        gw_testacct_boss ("DELETE", "/be/v1/users/ci", NULL, NULL, &status));
    assert_int_equal (status, 204);
    assert_null (
        gw_testacct_boss ("DELETE", "/be/v1/users/ann", NULL, NULL, &status));
    assert_int_equal (status, 204);
    assert_int_not_equal (gw_ident_principal_by_key (gw_testacct_redis (),
                                                     "acme", "ci", key,
                                                     &principal),
                          EDGE_ERR_OK);
    assert_int_not_equal (gw_ident_principal_by_token (gw_testacct_redis (),
                                                       token, GW_IDENT_SESSION,
                                                       &principal),
                          EDGE_ERR_OK);
    assert_false (gw_testacct_exists ("e:{acme}:user:ci"));
    assert_false (gw_testacct_exists ("e:{acme}:user:ci:keys"));
    assert_false (gw_testacct_exists ("e:{acme}:user:ann:tokens"));
    redisReply *reply =
        edge_redis_command (gw_testacct_redis (), "ZCARD e:{acme}:keys");
    assert_int_equal (reply->integer, 0);
    freeReplyObject (reply);
    reply = edge_redis_command (gw_testacct_redis (), "ZSCORE e:{acme}:users "
                                                      "ann");
    assert_int_equal (reply->type, REDIS_REPLY_NIL);
    freeReplyObject (reply);
    json_t *error =
        gw_testacct_boss ("DELETE", "/be/v1/users/ann", NULL, NULL, &status);
    gw_testacct_assert_error (error, 404, "not_found", NULL);
    free (key);
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
            test_person_gets_a_generated_password_once_and_never_a_hash,
            gw_testacct_reset),
        cmocka_unit_test_setup (
            test_person_with_a_given_password_gets_no_password_back,
            gw_testacct_reset),
        cmocka_unit_test_setup (
            test_machine_user_gets_an_api_key_that_authenticates,
            gw_testacct_reset),
        cmocka_unit_test_setup (test_unknown_role_is_422_and_nothing_is_written,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_existing_username_is_409_conflict,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_create_bodies_are_validated_field_by_field,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_list_orders_pages_and_projects,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_another_orgs_user_is_not_found,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_patch_changes_the_profile_and_null_clears,
                                gw_testacct_reset),
        cmocka_unit_test_setup (
            test_self_service_may_change_own_profile_and_password_only,
            gw_testacct_reset),
        cmocka_unit_test_setup (test_reset_creds_sets_another_users_password,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_the_last_administrator_cannot_be_removed,
                                gw_testacct_reset),
        cmocka_unit_test_setup (test_delete_revokes_tokens_and_keys_at_once,
                                gw_testacct_reset),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    gw_testacct_stop ();
    return rc;
}
