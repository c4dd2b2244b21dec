/*  test_gw_router - route matching, path parameters, 404/405, and that
    docs/openapi.yaml documents every route of the table.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_perm.h"
#include "gw_router.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static gw_req_t *
s_req (const char *method, const char *path)
{
    gw_req_source_t source = {method, path, NULL, -1, NULL, NULL, NULL};
    return gw_req_new (&source);
}


//  Match and return the rc; *route and err filled.
static edge_err_t
s_match (gw_req_t *req, const gw_route_t **route, edge_json_err_t *err)
{
    memset (err, 0, sizeof *err);
    return gw_router_match (req, route, err);
}


static void
test_table_rows_are_complete_and_names_unique (void **state)
{
    (void) state;
    size_t count = 0;
    const gw_route_t *routes = gw_router_routes (&count);
    assert_true (count >= 8);
    for (size_t i = 0; i < count; i++) {
        assert_non_null (routes[i].method);
        assert_non_null (routes[i].handler);
        assert_non_null (routes[i].name);
        assert_int_equal (routes[i].pattern[0], '/');
        if (routes[i].auth != GW_AUTH_BACKEND) {
            assert_null (routes[i].resource);
            assert_int_equal (routes[i].bit, 0);
        }
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal (routes[i].name, routes[j].name);
            bool same = strcmp (routes[i].method, routes[j].method) == 0
                        && strcmp (routes[i].pattern, routes[j].pattern) == 0;
            assert_false (same);
        }
    }
}


static void
test_static_path_matches_its_route (void **state)
{
    (void) state;
    gw_req_t *req = s_req ("GET", "/healthz");
    const gw_route_t *route = NULL;
    edge_json_err_t err;
    assert_int_equal (s_match (req, &route, &err), EDGE_ERR_OK);
    assert_non_null (route);
    assert_string_equal (route->name, "healthz");
    assert_int_equal (route->auth, GW_AUTH_NONE);
    gw_req_destroy (&req);
    assert_null (req);
}


//  {deploymentName} admits '[' and ']' (architecture §5); other parameters do not.
static void
test_deployment_parameter_admits_brackets_and_others_do_not (void **state)
{
    (void) state;
    const char *cases[][3] = {
        {"/be/v1/deployments/cdn[1]", "be_deployments_get", "cdn[1]"},
        {"/be/v1/deployments/[]", "be_deployments_get", "[]"},
        {"/be/v1/apps/cdn[1]", NULL, NULL},
        {"/be/v1/deployments/a", NULL, NULL},
        {"/be/v1/deployments/a-b", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_req_t *req = s_req ("GET", cases[i][0]);
        const gw_route_t *route = NULL;
        edge_json_err_t err;
        edge_err_t rc = s_match (req, &route, &err);
        if (cases[i][1]) {
            assert_int_equal (rc, EDGE_ERR_OK);
            assert_string_equal (route->name, cases[i][1]);
            assert_string_equal (gw_req_param (req, "deploymentName"),
                                 cases[i][2]);
        }
        else {
            assert_int_equal (rc, EDGE_ERR_NOT_FOUND);
            assert_int_equal (err.status, 404);
        }
        gw_req_destroy (&req);
    }
}


static void
test_admin_and_backend_routes_need_their_auth (void **state)
{
    (void) state;
    size_t count = 0;
    const gw_route_t *routes = gw_router_routes (&count);
    const char *open[] = {"/be/v1/login", "/be/v1/auth", "/be/v1/logout"};
    for (size_t i = 0; i < count; i++) {
        const char *pattern = routes[i].pattern;
        bool is_open = false;
        for (size_t j = 0; j < sizeof open / sizeof open[0]; j++)
            is_open = is_open || strcmp (pattern, open[j]) == 0;
        if (strncmp (pattern, "/adm/", 5) == 0)
            assert_int_equal (routes[i].auth, GW_AUTH_ADMIN);
        else if ((strncmp (pattern, "/be/", 4) == 0
                  || strncmp (pattern, "/client/", 8) == 0)
                 && !is_open)
            assert_int_equal (routes[i].auth, GW_AUTH_BACKEND);
        else
            assert_int_equal (routes[i].auth, GW_AUTH_NONE);
        if (routes[i].resource) {
            assert_true (edge_perm_index (routes[i].resource) >= 0);
            int bit = routes[i].bit;
            assert_true (bit == EDGE_PERM_C || bit == EDGE_PERM_R
                         || bit == EDGE_PERM_U || bit == EDGE_PERM_D
                         || bit == EDGE_PERM_X);
        }
        else
            assert_int_equal (routes[i].bit, 0);
    }
}


static void
test_identity_routes_name_their_permission (void **state)
{
    (void) state;
    const struct {
        const char *method, *pattern, *resource;
        int bit;
    } cases[] = {
        {"GET", "/be/v1/users", "beUsers", EDGE_PERM_R},
        {"GET", "/be/v1/users/ann", "beUsers", EDGE_PERM_R},
        {"POST", "/be/v1/users", "beUsers", EDGE_PERM_C},
        {"PATCH", "/be/v1/users", "beUsers", EDGE_PERM_U},
        {"DELETE", "/be/v1/users/ann", "beUsers", EDGE_PERM_D},
        {"GET", "/be/v1/roles", "roles", EDGE_PERM_R},
        {"PATCH", "/be/v1/roles", "roles", EDGE_PERM_U},
        {"DELETE", "/be/v1/roles/r1", "roles", EDGE_PERM_D},
        {"POST", "/be/v1/apikeys", "keys", EDGE_PERM_C},
        {"DELETE", "/be/v1/apikeys", "keys", EDGE_PERM_D},
        {"POST", "/be/v1/orgs", NULL, 0},
        {"DELETE", "/be/v1/orgs/acme", NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_req_t *req = s_req (cases[i].method, cases[i].pattern);
        const gw_route_t *route = NULL;
        edge_json_err_t err;
        assert_int_equal (s_match (req, &route, &err), EDGE_ERR_OK);
        assert_int_equal (route->auth, GW_AUTH_BACKEND);
        if (cases[i].resource)
            assert_string_equal (route->resource, cases[i].resource);
        else
            assert_null (route->resource);
        assert_int_equal (route->bit, cases[i].bit);
        assert_int_equal (route->is_self_ok,
                          strcmp (cases[i].method, "PATCH") == 0
                              && strcmp (cases[i].pattern, "/be/v1/users")
                                     == 0);
        gw_req_destroy (&req);
    }
}


//  The routes after which the server empties the principal caches: every
//  one that can change what a credential stands for, and none of the
//  frequent others (reads, task triggers, traces).
static void
test_identity_changing_routes_are_flagged (void **state)
{
    (void) state;
    const struct {
        const char *method, *path;
        bool changes;
    } cases[] = {
        {"POST", "/be/v1/logout", true},
        {"POST", "/be/v1/users", true},
        {"PATCH", "/be/v1/users", true},
        {"DELETE", "/be/v1/users/ann", true},
        {"POST", "/be/v1/roles", true},
        {"PATCH", "/be/v1/roles", true},
        {"DELETE", "/be/v1/roles/r1", true},
        {"POST", "/be/v1/apikeys", true},
        {"DELETE", "/be/v1/apikeys", true},
        {"DELETE", "/be/v1/orgs/acme", true},
        {"DELETE", "/adm/v1/orgs/acme", true},
        {"GET", "/be/v1/users", false},
        {"GET", "/be/v1/users/ann", false},
        {"GET", "/be/v1/roles", false},
        {"POST", "/be/v1/login", false},
        {"POST", "/be/v1/auth", false},
        {"POST", "/be/v1/trigger", false},
        {"POST", "/client/v1/traces", false},
        {"PATCH", "/be/v1/tasks", false},
        {"GET", "/healthz", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_req_t *req = s_req (cases[i].method, cases[i].path);
        const gw_route_t *route = NULL;
        edge_json_err_t err;
        assert_int_equal (s_match (req, &route, &err), EDGE_ERR_OK);
        if (gw_router_changes_identity (route) != cases[i].changes)
            fail_msg ("%s %s", cases[i].method, cases[i].path);
        gw_req_destroy (&req);
    }
}


static void
test_path_parameter_is_captured (void **state)
{
    (void) state;
    gw_req_t *req = s_req ("GET", "/adm/v1/tasks/hello_20261127_abc");
    const gw_route_t *route = NULL;
    edge_json_err_t err;
    assert_int_equal (s_match (req, &route, &err), EDGE_ERR_OK);
    assert_string_equal (route->name, "adm_task_get");
    assert_string_equal (gw_req_param (req, "taskName"), "hello_20261127_abc");
    assert_null (gw_req_param (req, "other"));
    gw_req_destroy (&req);
}


static void
test_invalid_path_parameter_is_not_found (void **state)
{
    (void) state;
    const char *bad[] = {"/adm/v1/tasks/a", "/adm/v1/tasks/a-b",
                         "/adm/v1/tasks/has space",
                         "/adm/v1/tasks/"
                         "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijX",
                         "/adm/v1/tasks/\xc3\xa9t\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gw_req_t *req = s_req ("GET", bad[i]);
        const gw_route_t *route = NULL;
        edge_json_err_t err;
        assert_int_equal (s_match (req, &route, &err), EDGE_ERR_NOT_FOUND);
        assert_null (route);
        assert_int_equal (err.status, 404);
        assert_string_equal (err.code, "not_found");
        assert_non_null (strstr (err.message, "task '"));
        assert_non_null (strstr (err.message, "' not found"));
        gw_req_destroy (&req);
    }
    gw_req_t *req = s_req ("GET", "/adm/v1/tasks/a");
    const gw_route_t *route = NULL;
    edge_json_err_t err;
    s_match (req, &route, &err);
    assert_string_equal (err.message, "task 'a' not found");
    gw_req_destroy (&req);
}


static void
test_unknown_paths_are_not_found (void **state)
{
    (void) state;
    const char *paths[] = {"/",
                           "/nope",
                           "/healthz/",
                           "/healthzz",
                           "/healthz/x",
                           "/adm/v1/tasks",
                           "/adm/v1/tasks/",
                           "/adm/v1/tasks/abc/def",
                           "/adm/v1",
                           "//healthz",
                           ""};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        gw_req_t *req = s_req ("GET", paths[i]);
        const gw_route_t *route = NULL;
        edge_json_err_t err;
        assert_int_equal (s_match (req, &route, &err), EDGE_ERR_NOT_FOUND);
        assert_int_equal (err.status, 404);
        assert_string_equal (err.code, "not_found");
        assert_int_equal (gw_req_reply_header_count (req), 0);
        gw_req_destroy (&req);
    }
}


static void
test_wrong_method_is_405_with_allow (void **state)
{
    (void) state;
    const char *cases[][3] = {{"POST", "/healthz", "GET"},
                              {"GET", "/adm/v1/hello", "POST"},
                              {"DELETE", "/adm/v1/tasks/abc", "GET"},
                              {"HEAD", "/metrics", "GET"},
                              {"get", "/healthz", "GET"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_req_t *req = s_req (cases[i][0], cases[i][1]);
        const gw_route_t *route = NULL;
        edge_json_err_t err;
        assert_int_equal (s_match (req, &route, &err),
                          EDGE_ERR_METHOD_NOT_ALLOWED);
        assert_int_equal (err.status, 405);
        assert_string_equal (err.code, "method_not_allowed");
        assert_int_equal (gw_req_reply_header_count (req), 1);
        const char *name, *value;
        gw_req_reply_header_at (req, 0, &name, &value);
        assert_string_equal (name, "Allow");
        assert_string_equal (value, cases[i][2]);
        gw_req_destroy (&req);
    }
}


//  Read the whole OpenAPI file. Caller frees.
static char *
s_read_openapi (void)
{
    FILE *file = fopen (GW_OPENAPI_PATH, "rb");
    assert_non_null (file);
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    char *text = calloc (1, (size_t) size + 1);
    assert_int_equal (fread (text, 1, (size_t) size, file), (size_t) size);
    fclose (file);
    return text;
}


//  True when text has the line "  <pattern>:" followed, inside that path's
//  block (lines indented deeper than 2), by the line "    <method>:".
static bool
s_documents (const char *text, const char *method, const char *pattern)
{
    char path_line[256], method_line[32];
    snprintf (path_line, sizeof path_line, "\n  %s:\n", pattern);
    snprintf (method_line, sizeof method_line, "    %s:", method);
    for (char *p = method_line; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    const char *block = strstr (text, path_line);
    if (!block)
        return false;
    const char *line = block + strlen (path_line);
    while (*line && strncmp (line, "   ", 3) == 0) {
        size_t len = strcspn (line, "\n");
        if (len == strlen (method_line)
            && strncmp (line, method_line, len) == 0)
            return true;
        line += len + (line[len] ? 1 : 0);
    }
    return false;
}


static void
test_openapi_documents_every_route (void **state)
{
    (void) state;
    char *text = s_read_openapi ();
    assert_non_null (strstr (text, "openapi: 3.1"));
    size_t count = 0;
    const gw_route_t *routes = gw_router_routes (&count);
    for (size_t i = 0; i < count; i++) {
        if (!s_documents (text, routes[i].method, routes[i].pattern))
            fail_msg ("docs/openapi.yaml lacks %s %s", routes[i].method,
                      routes[i].pattern);
    }
    //  The check itself can fail
    assert_false (s_documents (text, "DELETE", "/healthz"));
    assert_false (s_documents (text, "GET", "/nope"));
    assert_false (s_documents (text, "POST", "/healthz"));
    assert_non_null (strstr (text, "\n    Error:\n"));
    assert_non_null (strstr (text, "\n    WebhookRequestBody:\n"));
    assert_non_null (strstr (text, "\n    Task:\n"));
    assert_non_null (strstr (text, "name: x-rockit-admin-token"));
    free (text);
}


//  The operation block of method on pattern in text ("" when absent): the
//  lines after "    <method>:" indented deeper than 4. Caller frees.
static char *
s_operation (const char *text, const char *method, const char *pattern)
{
    char path_line[256], method_line[32];
    snprintf (path_line, sizeof path_line, "\n  %s:\n", pattern);
    snprintf (method_line, sizeof method_line, "    %s:\n", method);
    for (char *p = method_line; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    const char *block = strstr (text, path_line);
    if (!block)
        return strdup ("");
    const char *line = block + strlen (path_line);
    while (*line && strncmp (line, "   ", 3) == 0) {
        size_t len = strcspn (line, "\n");
        if (strncmp (line, method_line, strlen (method_line)) == 0) {
            const char *start = line + len + 1, *end = start;
            while (*end && (strncmp (end, "     ", 5) == 0 || *end == '\n')) {
                size_t n = strcspn (end, "\n");
                end += n + (end[n] ? 1 : 0);
            }
            return strndup (start, (size_t) (end - start));
        }
        line += len + (line[len] ? 1 : 0);
    }
    return strdup ("");
}


//  The x-rockit-permission a route should carry in the document.
static void
s_expected_permission (const gw_route_t *route, char *buf, size_t size)
{
    if (route->resource)
        snprintf (buf, size,
                  "      x-rockit-permission: {resource: %s, bit: %d}\n",
                  route->resource, route->bit);
    else
        snprintf (buf, size, "      x-rockit-permission: none\n");
}


static void
test_openapi_permissions_match_the_route_table (void **state)
{
    (void) state;
    char *text = s_read_openapi ();
    size_t count = 0;
    const gw_route_t *routes = gw_router_routes (&count);
    size_t checked = 0;
    for (size_t i = 0; i < count; i++) {
        if (strncmp (routes[i].pattern, "/be/v1/", 7) != 0)
            continue;
        char *op = s_operation (text, routes[i].method, routes[i].pattern);
        char expected[160];
        s_expected_permission (&routes[i], expected, sizeof expected);
        const char *found = strstr (op, "x-rockit-permission:");
        if (!found)
            fail_msg ("%s %s has no x-rockit-permission", routes[i].method,
                      routes[i].pattern);
        if (!strstr (op, expected) || strstr (found + 1, "x-rockit-perm"))
            fail_msg ("%s %s: x-rockit-permission differs from the table "
                      "(expected '%.*s')",
                      routes[i].method, routes[i].pattern,
                      (int) strlen (expected) - 1, expected);
        free (op);
        checked++;
    }
    assert_true (checked >= 15);
    //  the check itself can fail
    gw_route_t wrong = {"GET",     "/be/v1/users", NULL, GW_AUTH_BACKEND,
                        "beUsers", EDGE_PERM_D,    "x",  false};
    char expected[160];
    s_expected_permission (&wrong, expected, sizeof expected);
    char *op = s_operation (text, "GET", "/be/v1/users");
    assert_non_null (strstr (op, "x-rockit-permission"));
    assert_null (strstr (op, expected));
    free (op);
    op = s_operation (text, "PUT", "/be/v1/users");
    assert_string_equal (op, "");
    free (op);
    free (text);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_table_rows_are_complete_and_names_unique),
        cmocka_unit_test (test_static_path_matches_its_route),
        cmocka_unit_test (test_admin_and_backend_routes_need_their_auth),
        cmocka_unit_test (test_identity_routes_name_their_permission),
        cmocka_unit_test (test_identity_changing_routes_are_flagged),
        cmocka_unit_test (test_path_parameter_is_captured),
        cmocka_unit_test (test_invalid_path_parameter_is_not_found),
        cmocka_unit_test (test_unknown_paths_are_not_found),
        cmocka_unit_test (test_wrong_method_is_405_with_allow),
        cmocka_unit_test (
            test_deployment_parameter_admits_brackets_and_others_do_not),
        cmocka_unit_test (test_openapi_documents_every_route),
        cmocka_unit_test (test_openapi_permissions_match_the_route_table),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
