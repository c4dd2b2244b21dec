/*  edge_load - one run of edge-load, the HTTP/1.1 load client of the
    benchmarks: its options, the request it sends, its run state and its
    figures. bench/edge_load.c reads the options and prints the figures;
    bench/edge_load_run.c connects, sends and parses (one thread, epoll).  */
#ifndef EDGE_LOAD_H_INCLUDED
#define EDGE_LOAD_H_INCLUDED
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define EDGE_LOAD_EXPECT_MAX 8

//  Why a request in flight failed (it is not sent again).
typedef enum {
    EDGE_LOAD_FAIL_CONN,     //  connect failed, reset or closed early
    EDGE_LOAD_FAIL_TIMEOUT,  //  no full answer within the timeout
    EDGE_LOAD_FAIL_PROTOCOL, //  an answer that is not HTTP/1.x
    EDGE_LOAD_FAILS
} edge_load_fail_t;

typedef struct edge_load_conn edge_load_conn_t; //  edge_load_run.c

typedef struct {
    //  options
    int conns;
    int64_t total; //  requests to send; 0: until the deadline
    double duration, rate, timeout;
    const char *method;
    char *headers; //  extra header lines, each ending CRLF
    size_t headers_len;
    bool has_host;
    char *body;
    size_t body_len;
    bool has_body;
    int expect[EDGE_LOAD_EXPECT_MAX]; //  ok statuses; none: any 2xx
    int n_expect;
    const char *names_path;
    FILE *names; //  --names, open for writing, or NULL
    struct sockaddr_in addr;
    char authority[80];
    const char *path;
    //  the request, the same bytes every time
    char *request;
    size_t request_len;
    bool is_head;
    //  run state (edge_load_run.c; freed when edge_load_run returns)
    edge_load_conn_t *conn;
    uint32_t *idle; //  stack of connection indexes, maybe stale
    int n_idle, n_busy, n_down;
    int epfd, timerfd;
    int64_t timer_at, t0, deadline, last_done, last_tick;
    bool is_started, is_stopping;
    //  figures
    int64_t issued, completed, ok, unsent, failed[EDGE_LOAD_FAILS];
    int64_t connects, connect_failures, failures_in_row;
    int last_errno;
    int64_t bytes_out, bytes_in;
    int64_t status[600];
    uint32_t *lat; //  microseconds per answer, in answer order
    size_t n_lat, cap_lat;
    double elapsed_s; //  first send to last answer
} edge_load_t;

//  Connect self->conns connections, send the requests (closed loop, or
//  open loop at self->rate), parse every answer and fill the figures.
//  Returns when every request is answered or failed, or after SIGINT or
//  SIGTERM (in-flight requests finish; a second signal stops at once).
//  Exits 1 when the target cannot be reached.
void edge_load_run (edge_load_t *self);
//  Zeroed memory of size bytes (at least one); out of memory exits 1.
void *edge_load_alloc (size_t size);
#endif
