/*  webhook_sink - a fast webhook receiver for benchmarks (civetweb).

    Threads: 160, more than the notifier's default 64 keep-alive
    connections (civetweb holds a thread per connection).
    Answers every POST with 200 {"ok":true}, and measures each delivery's
    latency: its arrival time minus the body's "timestamp" (the event's
    time, same machine clock). GET /stats answers
    {"count":N,"p50Ms":x,"p90Ms":x,"p99Ms":y,"maxMs":z,"firstMs":t0,
     "lastMs":t1,"firstEventMs":e0} (first and last arrival; the earliest
    event time of any delivery).
    Usage: webhook-sink <port>   (runs until SIGTERM/SIGINT)  */
#include <civetweb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_SAMPLES 2000000

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static double *s_latency; //  ms per delivery
static size_t s_count;
static double s_first_ms, s_last_ms, s_first_event_ms;
static volatile sig_atomic_t s_stop;


static double
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}


//  "2026-11-27T09:12:08.123Z" in the body -> ms since the epoch, or -1.
static double
s_event_ms (const char *body)
{
    const char *p = strstr (body, "\"timestamp\":\"");
    struct tm tm = {0};
    int ms = 0;
    if (!p
        || sscanf (p + 13, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year,
                   &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                   &ms)
               != 7)
        return -1;
    //  Days from the civil date (proleptic Gregorian, 400-year eras).
    int y = tm.tm_year - (tm.tm_mon <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * ((tm.tm_mon + 9) % 12) + 2) / 5 + tm.tm_mday - 1;
    long days = era * 146097L + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return (((days * 24.0 + tm.tm_hour) * 60 + tm.tm_min) * 60 + tm.tm_sec)
               * 1000.0
           + ms;
}


static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}


static int
s_stats (struct mg_connection *conn)
{
    pthread_mutex_lock (&s_lock);
    size_t n = s_count;
    double *copy = malloc ((n ? n : 1) * sizeof *copy);
    memcpy (copy, s_latency, n * sizeof *copy);
    double first = s_first_ms, last = s_last_ms, event = s_first_event_ms;
    pthread_mutex_unlock (&s_lock);
    qsort (copy, n, sizeof *copy, s_cmp);
    double p50 = n ? copy[n / 2] : 0, p90 = n ? copy[(n * 90) / 100] : 0;
    double p99 = n ? copy[(n * 99) / 100] : 0, max = n ? copy[n - 1] : 0;
    free (copy);
    char body[320];
    int len = snprintf (body, sizeof body,
                        "{\"count\":%zu,\"p50Ms\":%.1f,\"p90Ms\":%.1f,"
                        "\"p99Ms\":%.1f,\"maxMs\":%.1f,\"firstMs\":%.1f,"
                        "\"lastMs\":%.1f,\"firstEventMs\":%.1f}",
                        n, p50, p90, p99, max, first, last, event);
    mg_printf (conn,
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\n\r\n%s",
               len, body);
    return 200;
}


static int
s_handle (struct mg_connection *conn, void *data)
{
    (void) data;
    const struct mg_request_info *info = mg_get_request_info (conn);
    if (strcmp (info->request_method, "GET") == 0)
        return s_stats (conn);
    char body[65536];
    int len = 0, n;
    while (len < (int) sizeof body - 1
           && (n = mg_read (conn, body + len, sizeof body - 1 - len)) > 0)
        len += n;
    body[len] = 0;
    double now = s_now_ms (), at = s_event_ms (body);
    pthread_mutex_lock (&s_lock);
    if (s_count < S_MAX_SAMPLES && at > 0)
        s_latency[s_count++] = now - at;
    if (at > 0 && (s_first_event_ms == 0 || at < s_first_event_ms))
        s_first_event_ms = at;
    if (s_count == 1)
        s_first_ms = now;
    s_last_ms = now;
    pthread_mutex_unlock (&s_lock);
    mg_printf (conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: 11\r\n\r\n{\"ok\":true}");
    return 200;
}


static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}


int
main (int argc, char *argv[])
{
    if (argc != 2) {
        fprintf (stderr, "usage: webhook-sink <port>\n");
        return 2;
    }
    s_latency = malloc (S_MAX_SAMPLES * sizeof *s_latency);
    char ports[32];
    snprintf (ports, sizeof ports, "127.0.0.1:%s", argv[1]);
    const char *options[] = {"listening_ports",
                             ports,
                             "num_threads",
                             "160",
                             "enable_keep_alive",
                             "yes",
                             "tcp_nodelay",
                             "1",
                             NULL};
    struct mg_callbacks callbacks = {0};
    struct mg_context *ctx = mg_start (&callbacks, NULL, options);
    if (!ctx) {
        fprintf (stderr, "webhook-sink: cannot listen on %s\n", ports);
        return 1;
    }
    mg_set_request_handler (ctx, "/", s_handle, NULL);
    signal (SIGTERM, s_on_signal);
    signal (SIGINT, s_on_signal);
    printf ("webhook-sink listening on %s\n", ports);
    fflush (stdout);
    while (!s_stop)
        pause ();
    mg_stop (ctx);
    free (s_latency);
    return 0;
}
