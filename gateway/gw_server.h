/*  gw_server - the gateway's HTTP server (civetweb): request threads each
    owning a gw_thread_t, and per request: route, authenticate, read the
    body, run the handler, answer (JSON, x-request-id, cache-control),
    count in the metrics and log one line.  */
#ifndef GW_SERVER_H_INCLUDED
#define GW_SERVER_H_INCLUDED
#include "gw_ctx.h"

//  A pseudo-header (a name no HTTP/1 client can send): gw_req_header (req,
//  GW_SERVER_CLIENT_ADDR) gives the client's address, e.g. "127.0.0.1".
#define GW_SERVER_CLIENT_ADDR ":client-addr"

typedef struct gw_server gw_server_t;

//  Start serving on config->listen (or its host with config->port) with
//  config->threads request threads. config is borrowed and must outlive
//  the server. Returns NULL, after logging why, when the server cannot
//  start (address in use, OpenAPI file unreadable). Caller owns.
gw_server_t *gw_server_new (const gw_config_t *config);
//  Stop serving (waits for requests in flight), free, nullify; NULL-safe.
void gw_server_destroy (gw_server_t **self_p);
//  The TCP port the server listens on.
int gw_server_port (const gw_server_t *self);
#endif
