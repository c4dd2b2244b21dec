/*  test_gw_url - the URL check of build downloads and webhooks: the error
    of each refusal, the caller's word in the 422 message, and allowed
    CIDRs (numeric hosts only: no DNS needed).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_url.h"
#include <string.h>


static void
test_non_http_url_is_400_invalid_field (void **state)
{
    (void) state;
    const char *urls[] = {"ftp://127.0.0.1/a", "not a url", ""};
    for (size_t i = 0; i < 3; i++) {
        edge_json_err_t err;
        assert_int_equal (gw_url_check ("", urls[i], "download", &err), -1);
        assert_int_equal (err.status, 400);
        assert_string_equal (err.code, "invalid_field");
        assert_string_equal (err.field, "url");
        assert_non_null (
            strstr (err.message, "field 'url' must be an http or https URL: "));
    }
}


static void
test_refused_address_is_422_naming_the_callers_url (void **state)
{
    (void) state;
    edge_json_err_t err;
    assert_int_equal (
        gw_url_check ("", "http://10.1.2.3/a.tar", "webhook", &err), -1);
    assert_int_equal (err.status, 422);
    assert_string_equal (err.code, "url_refused");
    assert_string_equal (err.field, "url");
    assert_int_equal (strncmp (err.message, "webhook URL refused: ", 21), 0);
    //  a malformed allow list refuses everything
    assert_int_equal (
        gw_url_check ("nonsense", "http://8.8.8.8/", "download", &err), -1);
    assert_int_equal (err.status, 422);
    assert_int_equal (strncmp (err.message, "download URL refused: ", 22), 0);
}


static void
test_allowed_cidr_lets_a_private_address_through (void **state)
{
    (void) state;
    edge_json_err_t err;
    assert_int_equal (gw_url_check ("127.0.0.0/8", "http://127.0.0.1:9/a.tar",
                                    "download", &err),
                      0);
    assert_int_equal (
        gw_url_check ("", "http://127.0.0.1:9/a.tar", "download", &err), -1);
    assert_int_equal (err.status, 422);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_non_http_url_is_400_invalid_field),
        cmocka_unit_test (test_refused_address_is_422_naming_the_callers_url),
        cmocka_unit_test (test_allowed_cidr_lets_a_private_address_through),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
