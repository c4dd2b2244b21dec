/*  edge-broker - the ZeroMQ load-balancing broker between gateways (and
    reapers) and workers. Wiring only: the broker is bk_broker.

    Exit codes: 0 after SIGTERM or SIGINT, 1 when a socket cannot be bound,
    2 on bad configuration.  */
#include "bk_broker.h"
#include "edge_cfg.h"
#include "edge_log.h"
#include "edge_metrics_http.h"
#include "edge_util.h"
#include <czmq.h>
#include <stddef.h>

#define S_POLL_MS 1000 //  longest wait before zsys_interrupted is rechecked

typedef struct {
    int log_level;
    char *frontend;
    char *backend;
    int64_t heartbeat_ms;
    int64_t queue_max;
    char *metrics_listen;
} s_config_t;

static const edge_cfg_spec_t s_spec[] = {
    EDGE_CFG_ROW_LOG_LEVEL (s_config_t, log_level),
    {"EDGE_BROKER_FRONTEND", EDGE_CFG_ENDPOINT, offsetof (s_config_t, frontend),
     "tcp://127.0.0.1:5555", 0, 0, false,
     "endpoint the broker binds for gateways and reapers", NULL},
    {"EDGE_BROKER_BACKEND", EDGE_CFG_ENDPOINT, offsetof (s_config_t, backend),
     "tcp://127.0.0.1:5556", 0, 0, false,
     "endpoint the broker binds for workers", NULL},
    {"EDGE_HEARTBEAT_MS", EDGE_CFG_INT, offsetof (s_config_t, heartbeat_ms),
     "1000", 10, 3600000, false,
     "worker heartbeat interval (ms); 3 missed = forgotten", NULL},
    {"EDGE_BROKER_QUEUE_MAX", EDGE_CFG_INT, offsetof (s_config_t, queue_max),
     "100000", 1, 100000000, false,
     "jobs that may wait in the broker (Redis keeps the rest)", NULL},
    EDGE_METRICS_HTTP_CFG_ROW (s_config_t, metrics_listen),
};


int
main (void)
{
    zsys_init (); //  first: installs the SIGINT/SIGTERM flag handler
    edge_log_init ("broker");
    s_config_t config = {0};
    if (edge_cfg_load (s_spec, EDGE_COUNT (s_spec), &config, NULL)) {
        edge_cfg_fini (s_spec, EDGE_COUNT (s_spec), &config);
        return 2;
    }
    edge_cfg_print (s_spec, EDGE_COUNT (s_spec), &config);

    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_add_process (metrics, EDGE_VERSION);
    bk_broker_config_t broker_config = {
        .frontend = config.frontend,
        .backend = config.backend,
        .heartbeat_ms = config.heartbeat_ms,
        .queue_max = (size_t) config.queue_max,
        .metrics = metrics,
    };
    bk_broker_t *broker = bk_broker_new (&broker_config);
    edge_metrics_http_t *http = NULL;
    if (broker && *config.metrics_listen)
        http = edge_metrics_http_new (metrics, config.metrics_listen);
    int rc = !broker || (*config.metrics_listen && !http) ? 1 : 0;
    if (rc == 0)
        edge_info ("broker %s started", EDGE_VERSION);
    while (rc == 0 && !zsys_interrupted)
        if (bk_broker_run_once (broker, S_POLL_MS))
            break;

    if (rc == 0)
        edge_info ("shutting down");
    edge_metrics_http_destroy (&http);
    bk_broker_destroy (&broker);
    edge_metrics_destroy (&metrics);
    edge_cfg_fini (s_spec, EDGE_COUNT (s_spec), &config);
    return rc;
}
