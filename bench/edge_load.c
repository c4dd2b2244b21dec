/*  edge-load - an HTTP/1.1 load client for benchmarks.

    One thread, epoll, keep-alive connections to a loopback address, so the
    client costs little next to the server it measures. Closed loop (no -r
    or -r 0): each connection sends its next request as soon as it has the
    answer to the last. Open loop (-r RATE): request i is due at
    start + i / RATE; a due request waits in a queue until a connection is
    free, and its latency counts from the time it was due, not from when it
    could be sent (no coordinated omission).

    Answers are parsed: status line, headers, a Content-Length or chunked
    body, or a body that ends when the server closes. "Connection: close"
    (or an HTTP/1.0 answer without keep-alive) makes the connection
    reconnect. A request is sent once: a connection that fails or times out
    with a request in flight counts that request as an error.

    Prints one "key value" per line at the end (s_print). Exit 0 when the
    run completed (errors are counted, not fatal), 1 when the target
    cannot be reached, 2 for bad options.  */
#include "edge_load.h"
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static const char s_usage[] =
    "usage: edge-load [-c CONNS] (-n TOTAL | -d SECONDS) [-r RATE]\n"
    "         [-m METHOD] [-H 'name: value']... [-b FILE | -B TEXT]\n"
    "         [--expect STATUS[,STATUS...]] [--names FILE]\n"
    "         [--timeout SECONDS] http://127.0.0.1:PORT/path\n"
    "  -c CONNS     concurrent keep-alive connections (default 16)\n"
    "  -n TOTAL     requests to send\n"
    "  -d SECONDS   send for this long instead\n"
    "  -r RATE      requests/s in total, open loop (default 0: closed loop)\n"
    "  -m METHOD    request method (default GET, POST with a body)\n"
    "  -H HEADER    a request header (repeatable)\n"
    "  -b FILE      request body from a file (binary safe)\n"
    "  -B TEXT      request body\n"
    "  --expect S   statuses counted as ok (default: any 2xx)\n"
    "  --names FILE write the \"taskName\" of each ok answer, one a line\n"
    "  --timeout S  a request (or connect) unanswered this long fails "
    "(default 30)\n";



static void
s_bad (const char *fmt, const char *arg)
{
    fprintf (stderr, "edge-load: ");
    fprintf (stderr, fmt, arg);
    fprintf (stderr, "\n%s", s_usage);
    exit (2);
}


//  ----------------------------------------------------------------------
//  Options

static int64_t
s_int_arg (const char *text, const char *what, int64_t min, int64_t max)
{
    char *end;
    errno = 0;
    long long v = strtoll (text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        s_bad ("bad %s", what);
    return v;
}


static double
s_num_arg (const char *text, const char *what, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (errno || end == text || *end || !isfinite (v) || v < min || v > max)
        s_bad ("bad %s", what);
    return v;
}


//  http://HOST[:PORT][/path]: HOST is localhost or a 127.0.0.0/8 address
//  (a load generator for this machine only).
static void
s_parse_url (edge_load_t *self, const char *url)
{
    if (strncmp (url, "http://", 7) != 0)
        s_bad ("the URL must start with http:// (got '%s')", url);
    const char *host = url + 7;
    size_t host_len = strcspn (host, ":/");
    char name[64];
    if (host_len == 0 || host_len >= sizeof name)
        s_bad ("bad host in '%s'", url);
    memcpy (name, host, host_len);
    name[host_len] = 0;
    const char *rest = host + host_len;
    long port = 80;
    if (*rest == ':') {
        char *end;
        port = strtol (rest + 1, &end, 10);
        if (end == rest + 1 || port < 1 || port > 65535
            || (*end && *end != '/'))
            s_bad ("bad port in '%s'", url);
        rest = end;
    }
    self->path = *rest ? rest : "/";
    if (strpbrk (self->path, " \r\n\t"))
        s_bad ("bad path in '%s'", url);
    self->addr.sin_family = AF_INET;
    self->addr.sin_port = htons ((uint16_t) port);
    const char *ip = strcmp (name, "localhost") == 0 ? "127.0.0.1" : name;
    if (inet_pton (AF_INET, ip, &self->addr.sin_addr) != 1)
        s_bad ("the host must be localhost or an IPv4 address (got '%s')",
               name);
    if ((ntohl (self->addr.sin_addr.s_addr) >> 24) != 127)
        s_bad ("only loopback targets (127.0.0.0/8) are allowed, not %s", ip);
    snprintf (self->authority, sizeof self->authority, "%s:%ld", ip, port);
}


//  -H 'name: value': a token name, no CR/LF; Content-Length and
//  Transfer-Encoding are edge-load's own.
static void
s_add_header (edge_load_t *self, const char *header)
{
    size_t name_len = strcspn (header, ":");
    if (header[name_len] != ':' || name_len == 0
        || strcspn (header, " \t\r\n") < name_len || strpbrk (header, "\r\n"))
        s_bad ("bad header '%s' (want 'name: value')", header);
    if ((name_len == 14 && strncasecmp (header, "content-length", 14) == 0)
        || (name_len == 17
            && strncasecmp (header, "transfer-encoding", 17) == 0))
        s_bad ("edge-load sets this header itself: %s", header);
    if (name_len == 4 && strncasecmp (header, "host", 4) == 0)
        self->has_host = true;
    size_t len = strlen (header);
    char *grown = realloc (self->headers, self->headers_len + len + 3);
    if (!grown)
        s_bad ("out of memory at '%s'", header);
    self->headers = grown;
    memcpy (self->headers + self->headers_len, header, len);
    memcpy (self->headers + self->headers_len + len, "\r\n", 3);
    self->headers_len += len + 2;
}


static void
s_read_body (edge_load_t *self, const char *path)
{
    FILE *f = fopen (path, "rb");
    struct stat st;
    if (!f || fstat (fileno (f), &st) || !S_ISREG (st.st_mode)
        || st.st_size > (1LL << 30))
        s_bad ("cannot read the body file '%s' (a regular file up to 1 GiB)",
               path);
    self->body = edge_load_alloc ((size_t) st.st_size);
    self->body_len = fread (self->body, 1, (size_t) st.st_size, f);
    if (self->body_len != (size_t) st.st_size || ferror (f))
        s_bad ("cannot read the body file '%s'", path);
    fclose (f);
}


static void
s_parse_expect (edge_load_t *self, const char *text)
{
    const char *p = text;
    self->n_expect = 0;
    while (*p) {
        char *end;
        long v = strtol (p, &end, 10);
        if (end == p || v < 100 || v > 599
            || self->n_expect == EDGE_LOAD_EXPECT_MAX || (*end && *end != ','))
            s_bad ("bad --expect '%s' (statuses 100-599, comma separated)",
                   text);
        self->expect[self->n_expect++] = (int) v;
        p = *end ? end + 1 : end;
    }
    if (self->n_expect == 0)
        s_bad ("bad --expect '%s'", text);
}


static void
s_check_method (const char *method)
{
    size_t len = strlen (method);
    if (len == 0 || len > 16
        || strspn (method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != len)
        s_bad ("bad method '%s' (upper-case letters)", method);
}


//  One option of getopt_long (optarg is its value).
static void
s_option (edge_load_t *self, int opt)
{
    switch (opt) {
        case 'c':
            self->conns = (int) s_int_arg (optarg, "-c", 1, 50000);
            break;
        case 'n':
            self->total = s_int_arg (optarg, "-n", 1, 1LL << 40);
            break;
        case 'd':
            self->duration = s_num_arg (optarg, "-d", 0.001, 86400);
            break;
        case 'r':
            self->rate = s_num_arg (optarg, "-r", 0, 1e8);
            break;
        case 'm':
            s_check_method (optarg);
            self->method = optarg;
            break;
        case 'H':
            s_add_header (self, optarg);
            break;
        case 'b':
            if (self->has_body)
                s_bad ("give one body (%s)", "-b or -B");
            s_read_body (self, optarg);
            self->has_body = true;
            break;
        case 'B':
            if (self->has_body)
                s_bad ("give one body (%s)", "-b or -B");
            self->body_len = strlen (optarg);
            self->body = edge_load_alloc (self->body_len);
            memcpy (self->body, optarg, self->body_len);
            self->has_body = true;
            break;
        case 'e':
            s_parse_expect (self, optarg);
            break;
        case 'N':
            self->names_path = optarg;
            break;
        case 't':
            self->timeout = s_num_arg (optarg, "--timeout", 0.001, 3600);
            break;
        case 'h':
            fputs (s_usage, stdout);
            exit (0);
        default:
            fputs (s_usage, stderr);
            exit (2);
    }
}


static void
s_parse_args (edge_load_t *self, int argc, char **argv)
{
    static const struct option longs[] = {
        {"conns", required_argument, NULL, 'c'},
        {"requests", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'r'},
        {"method", required_argument, NULL, 'm'},
        {"header", required_argument, NULL, 'H'},
        {"body-file", required_argument, NULL, 'b'},
        {"body", required_argument, NULL, 'B'},
        {"expect", required_argument, NULL, 'e'},
        {"names", required_argument, NULL, 'N'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long (argc, argv, "c:n:d:r:m:H:b:B:h", longs, NULL))
           != -1)
        s_option (self, opt);
    if (optind != argc - 1)
        s_bad ("%s", optind < argc ? "give one URL" : "give the URL");
    if ((self->total > 0) == (self->duration > 0))
        s_bad ("%s", "give -n TOTAL or -d SECONDS (one of them)");
    s_parse_url (self, argv[optind]);
    if (!self->method)
        self->method = self->has_body ? "POST" : "GET";
}


//  ----------------------------------------------------------------------
//  The request and the figures

static void
s_build_request (edge_load_t *self)
{
    bool has_length = self->has_body || strcmp (self->method, "POST") == 0
                      || strcmp (self->method, "PUT") == 0
                      || strcmp (self->method, "PATCH") == 0;
    char head[512];
    int n = snprintf (head, sizeof head, "%s %s HTTP/1.1\r\n", self->method,
                      self->path);
    if (n < 0 || (size_t) n >= sizeof head)
        s_bad ("the path is too long: %s", self->path);
    char host[128] = "", length[48] = "";
    if (!self->has_host)
        snprintf (host, sizeof host, "Host: %s\r\n", self->authority);
    if (has_length)
        snprintf (length, sizeof length, "Content-Length: %zu\r\n",
                  self->body_len);
    size_t parts[] = {
        (size_t) n, strlen (host), self->headers_len, strlen (length),
        2,          self->body_len};
    const char *data[] = {head,   host,   self->headers,
                          length, "\r\n", self->body};
    size_t total = 0;
    for (size_t i = 0; i < 6; i++)
        total += parts[i];
    self->request = edge_load_alloc (total);
    for (size_t i = 0; i < 6; i++)
        if (parts[i]) {
            memcpy (self->request + self->request_len, data[i], parts[i]);
            self->request_len += parts[i];
        }
    self->is_head = strcmp (self->method, "HEAD") == 0;
}


static int
s_cmp_u32 (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return (x > y) - (x < y);
}


//  Nearest rank, in ms.
static double
s_pct (const edge_load_t *self, double p)
{
    if (self->n_lat == 0)
        return 0;
    size_t rank = (size_t) ceil (p / 100.0 * (double) self->n_lat);
    return self->lat[rank ? rank - 1 : 0] / 1000.0;
}


static void
s_print (edge_load_t *self, double cpu_s)
{
    double elapsed = self->elapsed_s;
    if (self->n_lat) //  no answer: no array
        qsort (self->lat, self->n_lat, sizeof *self->lat, s_cmp_u32);
    double sum = 0;
    for (size_t i = 0; i < self->n_lat; i++)
        sum += self->lat[i];
    printf ("requests %lld\nok %lld\nerrors %lld\n",
            (long long) self->completed, (long long) self->ok,
            (long long) (self->completed - self->ok));
    for (int s = 0; s < 600; s++)
        if (self->status[s])
            printf ("status_%d %lld\n", s, (long long) self->status[s]);
    printf ("failed_conn %lld\nfailed_timeout %lld\nfailed_protocol %lld\n"
            "unsent %lld\nconnects %lld\nconnect_failures %lld\n",
            (long long) self->failed[EDGE_LOAD_FAIL_CONN],
            (long long) self->failed[EDGE_LOAD_FAIL_TIMEOUT],
            (long long) self->failed[EDGE_LOAD_FAIL_PROTOCOL],
            (long long) self->unsent, (long long) self->connects,
            (long long) self->connect_failures);
    printf ("elapsed_s %.3f\nrate %.1f\nok_rate %.1f\n", elapsed,
            elapsed > 0 ? self->completed / elapsed : 0,
            elapsed > 0 ? self->ok / elapsed : 0);
    printf ("bytes_out %lld\nbytes_in %lld\n", (long long) self->bytes_out,
            (long long) self->bytes_in);
    printf ("mean_ms %.3f\np50_ms %.3f\np90_ms %.3f\np99_ms %.3f\n"
            "p999_ms %.3f\nmax_ms %.3f\n",
            self->n_lat ? sum / (double) self->n_lat / 1000.0 : 0,
            s_pct (self, 50), s_pct (self, 90), s_pct (self, 99),
            s_pct (self, 99.9), s_pct (self, 100));
    printf ("client_cpu_s %.3f\nclient_cpu_per_req_us %.2f\n", cpu_s,
            self->completed ? cpu_s * 1e6 / (double) self->completed : 0);
}


static double
s_cpu_s (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
           + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}


static void
s_setup (edge_load_t *self)
{
    struct rlimit rl;
    rlim_t need = (rlim_t) self->conns + 16;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
        setrlimit (RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < need)
            s_bad ("%s", "-c is above the open-file limit (ulimit -n)");
    }
    if (self->names_path && !(self->names = fopen (self->names_path, "w")))
        s_bad ("cannot write --names '%s'", self->names_path);
}


int
main (int argc, char **argv)
{
    edge_load_t load = {.conns = 16, .timeout = 30};
    s_parse_args (&load, argc, argv);
    s_build_request (&load);
    s_setup (&load);
    double cpu0 = s_cpu_s ();
    edge_load_run (&load);
    double cpu = s_cpu_s () - cpu0;
    s_print (&load, cpu);
    int rc = 0;
    if (load.names && fclose (load.names)) {
        perror ("edge-load: --names");
        rc = 1;
    }
    free (load.lat);
    free (load.request);
    free (load.body);
    free (load.headers);
    return rc;
}
