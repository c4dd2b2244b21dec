/*  gw_ctx - the gateway's configuration and the shared context every
    handler gets: read-only after start, except the metrics (thread-safe).  */
#ifndef GW_CTX_H_INCLUDED
#define GW_CTX_H_INCLUDED
#include "edge_depot.h"
#include "gw_metrics.h"
#include <stddef.h>
#include <stdint.h>

//  Filled by edge_cfg_load from the table in main.c.
typedef struct {
    char *listen;                  //  EDGE_HTTP_LISTEN, host:port
    int64_t port;                  //  PORT, overrides the port when not 0
    char *redis_url;               //  EDGE_REDIS_URL
    int64_t redis_timeout_ms;      //  EDGE_REDIS_TIMEOUT_MS
    int64_t replica_wait_ms;       //  EDGE_REDIS_REPLICA_WAIT_MS
    char *broker_frontend;         //  EDGE_BROKER_FRONTEND, tcp://host:port
    char *admin_secret;            //  EDGE_ADMIN_SECRET, base64 (secret)
    int64_t threads;               //  EDGE_GATEWAY_THREADS
    int64_t max_body;              //  EDGE_GATEWAY_MAX_BODY, bytes
    int64_t broker_timeout_ms;     //  EDGE_GATEWAY_BROKER_TIMEOUT_MS
    int log_level;                 //  EDGE_LOG_LEVEL
    char *url_allow;               //  EDGE_URL_ALLOW, CIDR list
    char *openapi_path;            //  EDGE_GATEWAY_OPENAPI, "" = embedded copy
    int64_t session_ttl_s;         //  EDGE_SESSION_TOKEN_TTL_S
    int64_t auth_ttl_s;            //  EDGE_AUTH_TOKEN_TTL_S
    int64_t login_max_failures;    //  EDGE_LOGIN_MAX_FAILURES, per user
    int64_t login_max_failures_ip; //  EDGE_LOGIN_MAX_FAILURES_IP, per address
    int64_t login_window_s;        //  EDGE_LOGIN_WINDOW_S
    int64_t auth_cache_ms;         //  EDGE_AUTH_CACHE_MS, 0 = no cache
    int64_t redis_shared;          //  EDGE_GATEWAY_REDIS_SHARED, 0 = one
                                   //  connection per request thread
    char *operator_org; //  EDGE_OPERATOR_ORG, "" = none (POST /be/v1/orgs)
    edge_depot_cfg_t depot; //  EDGE_STORE, EDGE_STORE_S3_* (the depot)
    int64_t upload_expiry_ms; //  EDGE_UPLOAD_EXPIRY_MS, upload URL lifetime
    int64_t upload_max_bytes; //  EDGE_UPLOAD_MAX_BYTES, largest upload
    char *public_url;         //  EDGE_PUBLIC_URL, "" = from the request
    int64_t trace_max_bytes;  //  EDGE_TRACE_MAX_BYTES, POST /client/v1/traces
    int64_t trace_parallel;   //  EDGE_TRACE_PARALLEL: large decodes at once
    int64_t upload_parallel;  //  EDGE_UPLOAD_PARALLEL: PUTs at once (< threads)
    int64_t upload_rate_ms;   //  not from the environment (tests shorten
                              //  it): the minimum rate's window, 0 = 60 s
    int64_t upload_part_bytes; //  not from the environment (tests shrink
                               //  it): S3 part size, 0 = 16 MiB
} gw_config_t;

typedef struct {
    const gw_config_t *config;      //  borrowed from main
    const unsigned char *admin_key; //  decoded EDGE_ADMIN_SECRET
    size_t admin_key_len;
    const char *openapi; //  the OpenAPI document served
    size_t openapi_len;
    gw_metrics_t *metrics; //  request counters, thread-safe
} gw_ctx_t;
#endif
