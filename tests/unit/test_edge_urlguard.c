/*  test_edge_urlguard - every refused range by literal, public neighbours,
    allow lists, names that resolve locally (/etc/hosts) and URL tricks.
    No test needs the network: literals are numeric and "localhost" comes
    from /etc/hosts; ".invalid" never resolves.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_urlguard.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>


static const char *
s_result_name (edge_err_t result)
{
    switch (result) {
        case EDGE_ERR_OK:
            return "OK";
        case EDGE_ERR_URL_BAD:
            return "BAD_URL";
        case EDGE_ERR_URL_SCHEME:
            return "BAD_SCHEME";
        case EDGE_ERR_URL_UNRESOLVED:
            return "UNRESOLVED";
        case EDGE_ERR_URL_REFUSED:
            return "FORBIDDEN";
        default:
            return "?";
    }
}


//  Check url with guard and expect result; returns why (static).
static const char *
s_expect (const edge_urlguard_t *guard, const char *url, edge_err_t expected)
{
    static char why[256];
    edge_urlguard_target_t target;
    edge_err_t result =
        edge_urlguard_check (guard, url, &target, why, sizeof why);
    if (result != expected)
        fail_msg ("%s: got %s (%s), expected %s", url, s_result_name (result),
                  why, s_result_name (expected));
    if (result == EDGE_ERR_OK)
        assert_string_equal (why, "");
    else
        assert_true (strlen (why) > 0);
    return why;
}


static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("'%s' does not contain '%s'", text, part);
}


static void
test_new_and_destroy_are_null_safe (void **state)
{
    (void) state;
    char why[64] = "";
    edge_urlguard_t *guard = edge_urlguard_new (NULL, why, sizeof why);
    assert_non_null (guard);
    edge_urlguard_destroy (&guard);
    assert_null (guard);
    edge_urlguard_destroy (&guard);
    guard = edge_urlguard_new ("", why, sizeof why);
    assert_non_null (guard);
    edge_urlguard_destroy (&guard);
    guard = edge_urlguard_new ("  ", NULL, 0);
    assert_non_null (guard);
    edge_urlguard_destroy (&guard);
    guard = edge_urlguard_new (" 127.0.0.0/8 , ::1/128,10.1.2.3,fd00::1 ", why,
                               sizeof why);
    assert_non_null (guard);
    edge_urlguard_destroy (&guard);
}


static void
test_malformed_cidrs_are_named (void **state)
{
    (void) state;
    const char *bad[] = {"10.0.0.0/33",  "::1/129",     "abc",
                         "10.0.0.0/",    "10.0.0.0/-1", "10.0.0/8",
                         "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0/1000",
                         "[::1]",        "0x7f000001",  "999.0.0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[128] = "";
        edge_urlguard_t *guard = edge_urlguard_new (bad[i], why, sizeof why);
        if (guard)
            fail_msg ("'%s' accepted", bad[i]);
        char expected[128];
        snprintf (expected, sizeof expected, "bad CIDR '%s'", bad[i]);
        assert_string_equal (why, expected);
    }
    char why[128] = "";
    assert_null (edge_urlguard_new ("10.0.0.0/8, nope", why, sizeof why));
    assert_string_equal (why, "bad CIDR 'nope'");
    assert_null (edge_urlguard_new ("10.0.0.0/8,,::1", why, sizeof why));
    assert_string_equal (why, "bad CIDR ''");
    assert_null (edge_urlguard_new ("10.0.0.0/8,", why, sizeof why));
    edge_urlguard_t *guard = edge_urlguard_new ("10.0.0.0/8", why, sizeof why);
    assert_non_null (guard);
    edge_urlguard_destroy (&guard);
}


static void
test_every_refused_ipv4_range_is_refused (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new (NULL, NULL, 0);
    const char *refused[] = {
        "0.0.0.0",         "0.255.255.255",   "10.0.0.1",
        "10.255.255.255",  "100.64.0.1",      "100.127.255.254",
        "127.0.0.1",       "127.255.255.254", "169.254.0.1",
        "169.254.169.254", "169.254.255.255", "172.16.0.1",
        "172.31.255.254",  "192.0.0.8",       "192.0.2.1",
        "192.168.0.1",     "192.168.255.255", "198.18.0.1",
        "198.19.255.254",  "198.51.100.7",    "203.0.113.9",
        "224.0.0.1",       "239.255.255.250", "240.0.0.1",
        "254.1.2.3",       "255.255.255.255",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char url[64];
        snprintf (url, sizeof url, "http://%s/", refused[i]);
        const char *why = s_expect (guard, url, EDGE_ERR_URL_REFUSED);
        s_assert_contains (why, refused[i]);
    }
    edge_urlguard_destroy (&guard);
}


static void
test_refusals_name_the_address_and_range (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new (NULL, NULL, 0);
    assert_string_equal (
        s_expect (guard, "http://127.0.0.1/", EDGE_ERR_URL_REFUSED),
        "127.0.0.1 is a loopback address (127.0.0.0/8)");
    assert_string_equal (
        s_expect (guard, "http://169.254.169.254/latest/meta-data/",
                  EDGE_ERR_URL_REFUSED),
        "169.254.169.254 is a cloud metadata address (169.254.169.254/32)");
    assert_string_equal (
        s_expect (guard, "https://10.1.2.3:8443/", EDGE_ERR_URL_REFUSED),
        "10.1.2.3 is a private address (10.0.0.0/8)");
    assert_string_equal (
        s_expect (guard, "http://[::ffff:127.0.0.1]/", EDGE_ERR_URL_REFUSED),
        "::ffff:127.0.0.1 maps to 127.0.0.1, a loopback address (127.0.0.0/8)");
    assert_string_equal (
        s_expect (guard, "http://[fe80::1]/", EDGE_ERR_URL_REFUSED),
        "fe80::1 is a link-local address (fe80::/10)");
    edge_urlguard_destroy (&guard);
}


static void
test_every_refused_ipv6_range_is_refused (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new (NULL, NULL, 0);
    const char *refused[] = {
        "::",                //  unspecified
        "::1",               //  loopback
        "::7f00:1",          //  IPv4-compatible (deprecated)
        "fe80::1",           //  link-local
        "febf:ffff::1",      //  end of fe80::/10
        "fc00::1",           //  unique local
        "fd12:3456:789a::1", //  unique local
        "fec0::1",           //  site-local
        "ff02::1",           //  multicast
        "ff05::1:3",         //  multicast
        "2001:db8::1",       //  documentation
        "100::1",            //  discard-only
        "::ffff:127.0.0.1",  //  IPv4-mapped loopback
        "::ffff:10.0.0.1",   //  IPv4-mapped private
        "::ffff:169.254.169.254",
        "::ffff:0.0.0.0",
        "64:ff9b::7f00:1",    //  NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe", //  NAT64 of 169.254.169.254
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char url[96];
        snprintf (url, sizeof url, "http://[%s]:8080/x", refused[i]);
        s_expect (guard, url, EDGE_ERR_URL_REFUSED);
    }
    edge_urlguard_destroy (&guard);
}


static void
test_public_literals_are_allowed_with_their_target (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new (NULL, NULL, 0);
    struct {
        const char *url, *host, *address;
        int port;
    } cases[] = {
        {"http://8.8.8.8/", "8.8.8.8", "8.8.8.8", 80},
        {"https://8.8.8.8", "8.8.8.8", "8.8.8.8", 443},
        {"HTTPS://8.8.8.8:8443/a?b#c", "8.8.8.8", "8.8.8.8", 8443},
        {"https://[2001:4860:4860::8888]/", "2001:4860:4860::8888",
         "2001:4860:4860::8888", 443},
        {"http://[2001:4860:4860::8888]:81/", "2001:4860:4860::8888",
         "2001:4860:4860::8888", 81},
        {"http://user:pass@1.1.1.1/", "1.1.1.1", "1.1.1.1", 80},
        {"http://[::ffff:8.8.8.8]/", "::ffff:8.8.8.8", "::ffff:8.8.8.8", 80},
        {"http://[64:ff9b::808:808]/", "64:ff9b::808:808", "64:ff9b::808:808",
         80},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        edge_urlguard_target_t target;
        char why[128] = "x";
        edge_err_t result =
            edge_urlguard_check (guard, cases[i].url, &target, why, sizeof why);
        if (result != EDGE_ERR_OK)
            fail_msg ("%s refused: %s", cases[i].url, why);
        assert_string_equal (target.host, cases[i].host);
        assert_string_equal (target.address, cases[i].address);
        assert_int_equal (target.port, cases[i].port);
    }
    //  target and why may be omitted
    assert_int_equal (
        edge_urlguard_check (guard, "http://8.8.8.8/", NULL, NULL, 0),
        EDGE_ERR_OK);
    edge_urlguard_destroy (&guard);
}


static void
test_neighbours_of_refused_ranges_are_public (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new (NULL, NULL, 0);
    const char *public[] = {
        "http://1.0.0.1/",         "http://9.255.255.255/",
        "http://11.0.0.0/",        "http://100.63.255.255/",
        "http://100.128.0.0/",     "http://126.255.255.255/",
        "http://128.0.0.0/",       "http://169.253.255.255/",
        "http://169.255.0.0/",     "http://172.15.255.255/",
        "http://172.32.0.0/",      "http://192.0.1.0/",
        "http://192.167.255.255/", "http://192.169.0.0/",
        "http://198.17.255.255/",  "http://198.20.0.0/",
        "http://223.255.255.255/", "http://[fbff::1]/",
        "http://[2001:db9::1]/",   "http://[2001:db7:ffff::1]/",
        "http://[fe7f::1]/",       "http://[2a00:1450::1]/",
    };
    for (size_t i = 0; i < sizeof public / sizeof public[0]; i++)
        s_expect (guard, public[i], EDGE_ERR_OK);
    edge_urlguard_destroy (&guard);
}


static void
test_allow_list_opens_only_its_ranges (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new ("127.0.0.0/8", NULL, 0);
    s_expect (guard, "http://127.0.0.1:6379/", EDGE_ERR_OK);
    s_expect (guard, "http://127.9.9.9/", EDGE_ERR_OK);
    s_expect (guard, "http://[::ffff:127.0.0.1]/", EDGE_ERR_OK);
    s_expect (guard, "http://10.0.0.1/", EDGE_ERR_URL_REFUSED);
    s_expect (guard, "http://[::1]/", EDGE_ERR_URL_REFUSED);
    edge_urlguard_destroy (&guard);

    guard = edge_urlguard_new ("::1/128", NULL, 0);
    s_expect (guard, "http://[::1]:8080/", EDGE_ERR_OK);
    s_expect (guard, "http://127.0.0.1/", EDGE_ERR_URL_REFUSED);
    edge_urlguard_destroy (&guard);

    //  A bare address is one host; host bits of a CIDR are ignored
    guard = edge_urlguard_new ("10.1.2.3, 192.168.7.9/16", NULL, 0);
    s_expect (guard, "http://10.1.2.3/", EDGE_ERR_OK);
    s_expect (guard, "http://10.1.2.4/", EDGE_ERR_URL_REFUSED);
    s_expect (guard, "http://192.168.200.1/", EDGE_ERR_OK);
    edge_urlguard_destroy (&guard);

    guard = edge_urlguard_new ("fd00::/8,169.254.169.0/25", NULL, 0);
    s_expect (guard, "http://[fd12::1]/", EDGE_ERR_OK);
    s_expect (guard, "http://[fc00::1]/", EDGE_ERR_URL_REFUSED);
    s_expect (guard, "http://169.254.169.1/", EDGE_ERR_OK);
    s_expect (guard, "http://169.254.169.254/", EDGE_ERR_URL_REFUSED);
    edge_urlguard_destroy (&guard);
}


static void
test_names_are_judged_by_what_they_resolve_to (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new (NULL, NULL, 0);
    const char *why =
        s_expect (guard, "http://localhost:8080/", EDGE_ERR_URL_REFUSED);
    s_assert_contains (why, "loopback");
    s_expect (guard, "http://does-not-exist.invalid/", EDGE_ERR_URL_UNRESOLVED);
    edge_urlguard_destroy (&guard);

    guard = edge_urlguard_new ("127.0.0.0/8,::1/128", NULL, 0);
    edge_urlguard_target_t target;
    assert_int_equal (edge_urlguard_check (guard, "http://localhost:8080/p",
                                           &target, NULL, 0),
                      EDGE_ERR_OK);
    assert_string_equal (target.host, "localhost");
    assert_int_equal (target.port, 8080);
    assert_true (strcmp (target.address, "127.0.0.1") == 0
                 || strcmp (target.address, "::1") == 0);
    edge_urlguard_destroy (&guard);
}


static void
test_schemes_other_than_http_are_refused (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new (NULL, NULL, 0);
    const char *urls[] = {"ftp://8.8.8.8/file",    "file:///etc/passwd",
                          "gopher://8.8.8.8/",     "ws://8.8.8.8/",
                          "dict://8.8.8.8:11211/", "foo://8.8.8.8/"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        s_expect (guard, urls[i], EDGE_ERR_URL_SCHEME);
    edge_urlguard_destroy (&guard);
}


static void
test_garbage_is_a_bad_url (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new (NULL, NULL, 0);
    const char *urls[] = {"",
                          "not a url",
                          "8.8.8.8",
                          "http://",
                          "http://[::1/",
                          "http://8.8.8.8:99999/",
                          "http://8.8.8.8:abc/",
                          "http://8.8.8.8:0/",
                          "http://exa mple.com/"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
        s_expect (guard, urls[i], EDGE_ERR_URL_BAD);
    s_expect (guard, NULL, EDGE_ERR_URL_BAD);
    edge_urlguard_destroy (&guard);
}


static void
test_url_tricks_do_not_hide_the_host (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new (NULL, NULL, 0);
    s_expect (guard, "http://8.8.8.8@127.0.0.1/", EDGE_ERR_URL_REFUSED);
    s_expect (guard, "http://8.8.8.8:80@127.0.0.1:80/", EDGE_ERR_URL_REFUSED);
    s_expect (guard, "http://127.0.0.1#@8.8.8.8/", EDGE_ERR_URL_REFUSED);
    s_expect (guard, "http://127.0.0.1?@8.8.8.8/", EDGE_ERR_URL_REFUSED);
    //  Other spellings of 127.0.0.1 (inet_aton forms)
    const char *odd[] = {"http://2130706433/",      "http://0x7f000001/",
                         "http://0177.0.0.1/",      "http://127.1/",
                         "http://%31%32%37.0.0.1/", "http://127.0.0.1./",
                         "http://LOCALHOST/"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        char why[128];
        edge_err_t result =
            edge_urlguard_check (guard, odd[i], NULL, why, sizeof why);
        if (result == EDGE_ERR_OK)
            fail_msg ("%s was allowed", odd[i]);
    }
    edge_urlguard_destroy (&guard);
}


static void
test_addr_ok_classifies_socket_addresses (void **state)
{
    (void) state;
    edge_urlguard_t *guard = edge_urlguard_new ("192.168.0.0/16", NULL, 0);
    struct sockaddr_in in = {.sin_family = AF_INET};
    inet_pton (AF_INET, "127.0.0.1", &in.sin_addr);
    assert_false (edge_urlguard_addr_ok (guard, (struct sockaddr *) &in));
    inet_pton (AF_INET, "8.8.4.4", &in.sin_addr);
    assert_true (edge_urlguard_addr_ok (guard, (struct sockaddr *) &in));
    inet_pton (AF_INET, "192.168.1.1", &in.sin_addr);
    assert_true (edge_urlguard_addr_ok (guard, (struct sockaddr *) &in));
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    inet_pton (AF_INET6, "::1", &in6.sin6_addr);
    assert_false (edge_urlguard_addr_ok (guard, (struct sockaddr *) &in6));
    inet_pton (AF_INET6, "::ffff:192.168.1.1", &in6.sin6_addr);
    assert_true (edge_urlguard_addr_ok (guard, (struct sockaddr *) &in6));
    inet_pton (AF_INET6, "2606:4700::1111", &in6.sin6_addr);
    assert_true (edge_urlguard_addr_ok (guard, (struct sockaddr *) &in6));
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    assert_false (edge_urlguard_addr_ok (guard, (struct sockaddr *) &un));
    assert_false (edge_urlguard_addr_ok (guard, NULL));
    edge_urlguard_destroy (&guard);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_and_destroy_are_null_safe),
        cmocka_unit_test (test_malformed_cidrs_are_named),
        cmocka_unit_test (test_every_refused_ipv4_range_is_refused),
        cmocka_unit_test (test_refusals_name_the_address_and_range),
        cmocka_unit_test (test_every_refused_ipv6_range_is_refused),
        cmocka_unit_test (test_public_literals_are_allowed_with_their_target),
        cmocka_unit_test (test_neighbours_of_refused_ranges_are_public),
        cmocka_unit_test (test_allow_list_opens_only_its_ranges),
        cmocka_unit_test (test_names_are_judged_by_what_they_resolve_to),
        cmocka_unit_test (test_schemes_other_than_http_are_refused),
        cmocka_unit_test (test_garbage_is_a_bad_url),
        cmocka_unit_test (test_url_tricks_do_not_hide_the_host),
        cmocka_unit_test (test_addr_ok_classifies_socket_addresses),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
