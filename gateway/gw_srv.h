/*  gw_srv - the unauthenticated service endpoints: liveness, readiness,
    metrics, the OpenAPI document and GET /srv/v1/versions.  */
#ifndef GW_SRV_H_INCLUDED
#define GW_SRV_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  GET /healthz: 200 {"status":"ok"}.
void gw_srv_healthz (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /readyz: 200 {"status":"ready","redis":"ok","broker":"ok"}, or 503
//  {"error":{"status":503,"code":"not_ready","message"},"status":
//  "not_ready","redis","broker"} with "unavailable" for what failed.
void gw_srv_readyz (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /metrics: Prometheus text format 0.0.4.
void gw_srv_metrics (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /openapi.yaml: the API description, application/yaml.
void gw_srv_openapi (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
//  GET /srv/v1/versions: versions of Edge, the engine (workers), the
//  components and the workers the broker knows; 200 even when the broker
//  is down (then broker, engine and queued are null, workers []).
void gw_srv_versions (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
