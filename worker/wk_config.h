/*  wk_config - the worker's configuration, read once from the environment
    through an edge_cfg table.  */
#ifndef WK_CONFIG_H_INCLUDED
#define WK_CONFIG_H_INCLUDED
#include "edge_cfg.h"
#include "edge_depot.h"
#include <stdint.h>

typedef struct {
    char *redis_url;            //  EDGE_REDIS_URL
    int64_t redis_timeout_ms;   //  EDGE_REDIS_TIMEOUT_MS
    int log_level;              //  EDGE_LOG_LEVEL
    char *frontend;             //  EDGE_BROKER_FRONTEND (reaper re-sends)
    char *backend;              //  EDGE_BROKER_BACKEND (jobs, READY...)
    int64_t heartbeat_ms;       //  EDGE_HEARTBEAT_MS
    int64_t capacity;           //  EDGE_WORKER_CAPACITY (slots)
    char *worker_id;            //  EDGE_WORKER_ID, or a generated id
    int64_t lease_ms;           //  EDGE_LEASE_MS
    int64_t reaper_interval_ms; //  EDGE_REAPER_INTERVAL_MS
    int64_t reaper_resend_ms;   //  EDGE_REAPER_RESEND_MS
    int64_t max_attempts;       //  EDGE_TASK_MAX_ATTEMPTS
    edge_depot_cfg_t depot;     //  EDGE_STORE, EDGE_STORE_S3_* (the depot)
    char *data_dir;             //  EDGE_DATA_DIR (scratch files)
    char *url_allow;            //  EDGE_URL_ALLOW (CIDRs for downloads)
    int64_t gc_delay_ms;        //  EDGE_GC_DELAY_MS (deletion of old files)
    char *metrics_listen;       //  EDGE_METRICS_LISTEN, "" = off
} wk_config_t;

//  Fill config from the environment (env as in edge_cfg_load; NULL =
//  getenv). An empty EDGE_WORKER_ID becomes "<hostname>-<pid>-<4 hex>".
//  Logs one error line per bad variable. Returns 0, or -1 (exit 2).
//  Release with wk_config_fini even after -1.
int wk_config_load (wk_config_t *config, edge_cfg_getenv_fn *env);
//  Log the effective configuration at info.
void wk_config_print (const wk_config_t *config);
//  Free the strings of config.
void wk_config_fini (wk_config_t *config);
#endif
