/*  edge-worker - runs tasks: takes jobs from the broker, claims them in
    Redis, runs their handlers, and does the reaper duty. Configuration from
    the environment (bad config: exit 2); exit 1 when a socket cannot be set
    up; SIGTERM gives running tasks back to the queue and exits 0.  */
#include "edge_depot.h"
#include "edge_log.h"
#include "edge_metrics_http.h"
#include "wk_config.h"
#include "wk_deploy.h"
#include "wk_depot.h"
#include "wk_dltar.h"
#include "wk_metrics.h"
#include "wk_mkraw.h"
#include "wk_worker.h"
#include <czmq.h>

#define S_POLL_MS 100


int
main (void)
{
    zsys_init (); //  first: installs the SIGINT/SIGTERM flag handler
    edge_log_init ("worker");
    wk_config_t config;
    if (wk_config_load (&config, NULL)) {
        wk_config_fini (&config);
        return 2;
    }
    wk_config_print (&config);
    char why[300];
    if (edge_depot_check (&config.depot, why, sizeof why)) {
        edge_error ("EDGE_STORE: %s", why);
        wk_config_fini (&config);
        return 2;
    }
    wk_depot_setup (&config.depot, config.data_dir);
    wk_dltar_opts_t dltar = {.store_url = config.depot.url,
                             .data_dir = config.data_dir,
                             .url_allow = config.url_allow};
    if (wk_dltar_setup (&dltar)) {
        wk_config_fini (&config);
        return 2;
    }
    wk_deploy_setup (&(wk_deploy_opts_t){.store_url = config.depot.url,
                                         .gc_delay_ms = config.gc_delay_ms});
    wk_mkraw_setup (&(wk_mkraw_opts_t){.store_url = config.depot.url});
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_add_process (metrics, EDGE_VERSION);
    wk_metrics_setup (metrics);
    edge_metrics_http_t *http = NULL;
    if (*config.metrics_listen)
        http = edge_metrics_http_new (metrics, config.metrics_listen);
    wk_worker_t *worker = NULL;
    if (http || !*config.metrics_listen)
        worker = wk_worker_new (&config);
    int rc = worker ? 0 : 1;
    while (rc == 0 && !zsys_interrupted)
        if (wk_worker_poll (worker, S_POLL_MS))
            break;
    edge_metrics_http_destroy (&http);
    wk_worker_destroy (&worker);
    wk_metrics_cleanup ();
    edge_metrics_destroy (&metrics);
    wk_mkraw_cleanup ();
    wk_deploy_cleanup ();
    wk_dltar_cleanup ();
    wk_depot_cleanup ();
    wk_config_fini (&config);
    return rc;
}
