/*  gw_traces - POST /client/v1/traces: a launcher uploads one play
    session's trace for an app's build (architecture §8).

    The body (JSON, or the same document as application/msgpack; at most
    EDGE_TRACE_MAX_BYTES) is decoded (gw_trace), checked against the
    build's manifest read from the depot (gw_manifest, cached), written to
    the depot as traces/<org>/<app>/<bid4>/<traceId>.tr (temporary name,
    then rename) and indexed in Redis by one script:
    - e:{O}:app:<a>:traces        zset traceId -> created ms
    - e:{O}:app:<a>:trace:<id>    hash traceId, buildId, buildName,
                                  dxfName, key, accesses, durationMs,
                                  created, createdBy
    - e:{O}:app:<a>:tracecounts   hash buildId -> traces of that build
    When Redis fails the file is removed: a refused trace leaves nothing.
    Then automatic processing may start (gw_trainings_process).  */
#ifndef GW_TRACES_H_INCLUDED
#define GW_TRACES_H_INCLUDED
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"

//  POST /client/v1/traces: 201 {"traceId","traces"} (traces = the app's
//  traces of that build); 400 naming the first bad access; 404 unknown
//  app or build (another org's too); 413 over the limit; 415.
void gw_traces_upload (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
