/*  edge_metrics_http - serves a registry's text at GET /metrics over HTTP,
    from one thread of its own, so that a scrape never waits for the
    process's main loop nor holds it up (the registry's lock is taken once
    per scrape, to render).

    One connection at a time, HTTP/1.0 and 1.1, "Connection: close": a
    request must arrive within 2 s and fit in 8 KiB. GET (and HEAD)
    /metrics answers 200 text/plain; version=0.0.4; any other path 404,
    any other method 405. The thread blocks SIGINT and SIGTERM, so the
    process's own handler keeps seeing them.  */
#ifndef EDGE_METRICS_HTTP_H_INCLUDED
#define EDGE_METRICS_HTTP_H_INCLUDED
#include "edge_cfg.h"
#include "edge_metrics.h"
#include <stddef.h>

//  The configuration row of EDGE_METRICS_LISTEN (a char * field of type):
//  empty (the default) means off.
#define EDGE_METRICS_HTTP_CFG_ROW(type, field)                                 \
    {                                                                          \
        "EDGE_METRICS_LISTEN", EDGE_CFG_STR, offsetof (type, field), "", 0, 0, \
            false, "host:port serving Prometheus GET /metrics; empty: off",    \
            edge_metrics_http_check                                            \
    }

typedef struct edge_metrics_http edge_metrics_http_t;

//  An edge_cfg check of EDGE_METRICS_LISTEN: "" (off), or host:port where
//  host is an IPv4 address, an IPv6 address in brackets, "localhost", or
//  "*" for every address (no DNS lookup), and port is 1..65535. Returns
//  0, or -1 with why set.
int edge_metrics_http_check (const char *value, char *why, size_t whylen);

//  Bind listen (as checked above; port 0 picks a free port) and serve
//  registry (borrowed: must outlive the listener). Returns NULL, with an
//  error logged, when the address cannot be bound. Caller owns the result.
edge_metrics_http_t *edge_metrics_http_new (edge_metrics_t *registry,
                                            const char *listen);
//  Stop serving (at once, also mid-request), close and nullify; NULL-safe.
void edge_metrics_http_destroy (edge_metrics_http_t **self_p);
//  The port bound.
int edge_metrics_http_port (const edge_metrics_http_t *self);
//  Scrapes answered so far (for tests). Thread-safe.
unsigned long edge_metrics_http_scrapes (const edge_metrics_http_t *self);
#endif
