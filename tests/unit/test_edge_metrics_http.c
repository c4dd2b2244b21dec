/*  test_edge_metrics_http - the EDGE_METRICS_LISTEN check, GET /metrics
    over a real loopback socket, other paths and methods, a client that
    never finishes its request, and a prompt stop.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_metrics_http.h"
#include "edge_util.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

//  A connected client socket to 127.0.0.1:port (asserts).
static int
s_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t) port)};
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    assert_int_equal (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    struct timeval tv = {5, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}


//  Send request, read the whole answer until the server closes. Caller
//  owns the result.
static char *
s_exchange (int port, const char *request)
{
    int fd = s_connect (port);
    assert_int_equal (send (fd, request, strlen (request), 0),
                      (ssize_t) strlen (request));
    size_t len = 0, cap = 65536;
    char *out = edge_malloc (cap);
    ssize_t n;
    while ((n = recv (fd, out + len, cap - 1 - len, 0)) > 0)
        len += (size_t) n;
    out[len] = 0;
    close (fd);
    return out;
}


static edge_metrics_t *
s_registry (void)
{
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_family_t *jobs =
        edge_metrics_counter (metrics, "edge_jobs_total", NULL, "Jobs.");
    edge_metrics_add (edge_metrics_series (jobs), 42);
    return metrics;
}


static void
test_listen_values_are_checked (void **state)
{
    (void) state;
    char why[300];
    assert_int_equal (edge_metrics_http_check ("", why, sizeof why), 0);
    assert_int_equal (
        edge_metrics_http_check ("127.0.0.1:9101", why, sizeof why), 0);
    assert_int_equal (edge_metrics_http_check ("*:9101", why, sizeof why), 0);
    assert_int_equal (edge_metrics_http_check ("[::1]:9101", why, sizeof why),
                      0);
    assert_int_equal (
        edge_metrics_http_check ("localhost:9101", why, sizeof why), 0);
    const char *bad[] = {"9101",
                         ":9101",
                         "127.0.0.1:",
                         "127.0.0.1:0",
                         "127.0.0.1:65536",
                         "127.0.0.1:91x",
                         "300.1.1.1:9101",
                         "example.com:9101",
                         "[::1:9101"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 0;
        assert_int_equal (edge_metrics_http_check (bad[i], why, sizeof why),
                          -1);
        assert_true (strlen (why) > 0);
    }
}


static void
test_get_metrics_answers_the_exposition_text (void **state)
{
    (void) state;
    edge_metrics_t *metrics = s_registry ();
    edge_metrics_http_t *http = edge_metrics_http_new (metrics, "127.0.0.1:0");
    assert_non_null (http);
    int port = edge_metrics_http_port (http);
    assert_true (port > 0);
    char *answer = s_exchange (
        port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
    assert_true (strncmp (answer, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null (strstr (
        answer, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    const char *body = strstr (answer, "\r\n\r\n");
    assert_non_null (body);
    assert_string_equal (body + 4, "# HELP edge_jobs_total Jobs.\n"
                                   "# TYPE edge_jobs_total counter\n"
                                   "edge_jobs_total 42\n");
    char length[64];
    snprintf (length, sizeof length, "Content-Length: %zu\r\n",
              strlen (body + 4));
    assert_non_null (strstr (answer, length));
    free (answer);
    //  A query string is ignored; HEAD has no body
    answer = s_exchange (port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    assert_true (strncmp (answer, "HTTP/1.1 200 OK\r\n", 17) == 0);
    free (answer);
    answer = s_exchange (port, "HEAD /metrics HTTP/1.1\r\n\r\n");
    assert_true (strncmp (answer, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_string_equal (strstr (answer, "\r\n\r\n"), "\r\n\r\n");
    free (answer);
    assert_int_equal (edge_metrics_http_scrapes (http), 3);
    edge_metrics_http_destroy (&http);
    assert_null (http);
    edge_metrics_http_destroy (&http);
    edge_metrics_destroy (&metrics);
}


static void
test_other_paths_and_methods_are_refused (void **state)
{
    (void) state;
    edge_metrics_t *metrics = s_registry ();
    edge_metrics_http_t *http = edge_metrics_http_new (metrics, "127.0.0.1:0");
    int port = edge_metrics_http_port (http);
    char *answer = s_exchange (port, "GET / HTTP/1.1\r\n\r\n");
    assert_true (strncmp (answer, "HTTP/1.1 404 ", 13) == 0);
    free (answer);
    answer = s_exchange (port, "POST /metrics HTTP/1.1\r\n\r\n");
    assert_true (strncmp (answer, "HTTP/1.1 405 ", 13) == 0);
    assert_non_null (strstr (answer, "Allow: GET, HEAD\r\n"));
    free (answer);
    answer = s_exchange (port, "garbage\r\n\r\n");
    assert_true (strncmp (answer, "HTTP/1.1 400 ", 13) == 0);
    free (answer);
    assert_int_equal (edge_metrics_http_scrapes (http), 0);
    edge_metrics_http_destroy (&http);
    edge_metrics_destroy (&metrics);
}


static void
test_a_silent_client_does_not_stop_the_next_one (void **state)
{
    (void) state;
    edge_metrics_t *metrics = s_registry ();
    edge_metrics_http_t *http = edge_metrics_http_new (metrics, "127.0.0.1:0");
    int port = edge_metrics_http_port (http);
    int silent = s_connect (port);
    send (silent, "GET /metr", 9, 0); //  never finished: dropped after 2 s
    int64_t start = edge_mono_ms ();
    char *answer = s_exchange (port, "GET /metrics HTTP/1.1\r\n\r\n");
    assert_true (strncmp (answer, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_true (edge_mono_ms () - start < 4000);
    free (answer);
    close (silent);
    edge_metrics_http_destroy (&http);
    edge_metrics_destroy (&metrics);
}


static void
test_destroy_is_prompt_while_a_client_waits (void **state)
{
    (void) state;
    edge_metrics_t *metrics = s_registry ();
    edge_metrics_http_t *http = edge_metrics_http_new (metrics, "127.0.0.1:0");
    int silent = s_connect (edge_metrics_http_port (http));
    send (silent, "GET", 3, 0);
    int64_t start = edge_mono_ms ();
    edge_metrics_http_destroy (&http);
    assert_true (edge_mono_ms () - start < 1000);
    close (silent);
    edge_metrics_destroy (&metrics);
}


static void
test_a_taken_port_is_an_error (void **state)
{
    (void) state;
    edge_metrics_t *metrics = s_registry ();
    edge_metrics_http_t *first = edge_metrics_http_new (metrics, "127.0.0.1:0");
    char listen[64];
    snprintf (listen, sizeof listen, "127.0.0.1:%d",
              edge_metrics_http_port (first));
    edge_metrics_http_t *second = edge_metrics_http_new (metrics, listen);
    assert_null (second);
    edge_metrics_http_destroy (&first);
    edge_metrics_destroy (&metrics);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_listen_values_are_checked),
        cmocka_unit_test (test_get_metrics_answers_the_exposition_text),
        cmocka_unit_test (test_other_paths_and_methods_are_refused),
        cmocka_unit_test (test_a_silent_client_does_not_stop_the_next_one),
        cmocka_unit_test (test_destroy_is_prompt_while_a_client_waits),
        cmocka_unit_test (test_a_taken_port_is_an_error),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
