/*  edge-worker - runs tasks: takes jobs from the broker, claims them in
    Redis, runs their handlers, and does the reaper duty. Configuration from
    the environment (bad config: exit 2); exit 1 when a socket cannot be set
    up; SIGTERM gives running tasks back to the queue and exits 0.  */
#include "edge_depot.h"
#include "edge_log.h"
#include "edge_metrics_http.h"
#include "wk_config.h"
#include "wk_env.h"
#include "wk_metrics.h"
#include "wk_worker.h"
#include <czmq.h>

#define S_POLL_MS 100


//  Check the depot and build the handlers' environment. Returns 0, or -1
//  (logged: exit 2).
static int
s_env_init (wk_env_t *env, const wk_config_t *config)
{
    char why[300];
    if (edge_depot_check (&config->depot, why, sizeof why)) {
        edge_error ("EDGE_STORE: %s", why);
        return -1;
    }
    if (wk_env_init (env, &config->depot, config->data_dir, config->url_allow))
        return -1;
    env->gc_delay_ms = config->gc_delay_ms;
    return 0;
}


int
main (void)
{
    zsys_init (); //  first: installs the SIGINT/SIGTERM flag handler
    edge_log_init ("worker");
    wk_config_t config;
    wk_env_t env = {0};
    if (wk_config_load (&config, NULL)) {
        wk_config_fini (&config);
        return 2;
    }
    wk_config_print (&config);
    if (s_env_init (&env, &config)) {
        wk_env_fini (&env);
        wk_config_fini (&config);
        return 2;
    }
    edge_metrics_t *metrics = edge_metrics_new ();
    edge_metrics_add_process (metrics, EDGE_VERSION);
    wk_metrics_setup (metrics);
    edge_metrics_http_t *http = NULL;
    if (*config.metrics_listen)
        http = edge_metrics_http_new (metrics, config.metrics_listen);
    wk_worker_t *worker = NULL;
    if (http || !*config.metrics_listen)
        worker = wk_worker_new (&config, &env);
    int rc = worker ? 0 : 1;
    while (rc == 0 && !zsys_interrupted)
        if (wk_worker_poll (worker, S_POLL_MS))
            break;
    edge_metrics_http_destroy (&http);
    wk_worker_destroy (&worker);
    wk_metrics_cleanup ();
    edge_metrics_destroy (&metrics);
    wk_env_fini (&env);
    wk_config_fini (&config);
    return rc;
}
