/*  gw_metrics - Prometheus metrics of the gateway: request counters by
    route, method and status, a latency histogram per route, build info.
    Thread-safe: every request thread observes into the same object.  */
#ifndef GW_METRICS_H_INCLUDED
#define GW_METRICS_H_INCLUDED
#include <stddef.h>

typedef struct gw_metrics gw_metrics_t;

//  Route label used for requests that matched no route.
#define GW_METRICS_UNMATCHED "unmatched"

//  Create metrics for the given route names (borrowed: must outlive the
//  object, e.g. the static route table), plus GW_METRICS_UNMATCHED.
//  Caller owns the result.
gw_metrics_t *gw_metrics_new (const char *const *routes, size_t count);
//  Destroy and nullify; NULL-safe.
void gw_metrics_destroy (gw_metrics_t **self_p);
//  Count one request. An unknown route counts as GW_METRICS_UNMATCHED, a
//  method outside GET/HEAD/POST/PUT/PATCH/DELETE/OPTIONS as "OTHER".
void gw_metrics_observe (gw_metrics_t *self,
                         const char *route,
                         const char *method,
                         int status,
                         double seconds);
//  The exposition text (format 0.0.4), ending with edge_build_info for
//  version. Caller owns the result (free).
char *gw_metrics_render (gw_metrics_t *self, const char *version);
#endif
