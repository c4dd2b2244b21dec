/*  wk_config - the worker's edge_cfg table.  */
#include "wk_config.h"
#include "edge_log.h"
#include "edge_metrics_http.h"
#include "edge_util.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


//  An explicit worker id must be usable as a ZeroMQ routing id and a log
//  word: 1..128 of [A-Za-z0-9._:-]. Empty means "generate one".
static int
s_check_worker_id (const char *value, char *why, size_t whylen)
{
    if (*value && !edge_request_id_is_valid (value)) {
        snprintf (why, whylen, "expected 1 to 128 of A-Z a-z 0-9 . _ : -");
        return -1;
    }
    return 0;
}

//  EDGE_DATA_DIR: an absolute path.
static int
s_check_dir (const char *value, char *why, size_t whylen)
{
    if (value[0] != '/') {
        snprintf (why, whylen, "expected an absolute path");
        return -1;
    }
    return 0;
}

//  EDGE_REDIS_URL is marked secret: it may hold a password, which must not
//  reach the log (edge_cfg prints non-secret values whole).
static const edge_cfg_spec_t s_spec[] = {
    EDGE_CFG_ROW_REDIS_URL (wk_config_t, redis_url),
    EDGE_CFG_ROW_REDIS_TIMEOUT (wk_config_t, redis_timeout_ms),
    EDGE_CFG_ROW_LOG_LEVEL (wk_config_t, log_level),
    {"EDGE_BROKER_FRONTEND", EDGE_CFG_ENDPOINT,
     offsetof (wk_config_t, frontend), "tcp://127.0.0.1:5555", 0, 0, false,
     "broker socket for jobs (the reaper re-sends through it)", NULL},
    {"EDGE_BROKER_BACKEND", EDGE_CFG_ENDPOINT, offsetof (wk_config_t, backend),
     "tcp://127.0.0.1:5556", 0, 0, false, "broker socket for workers", NULL},
    {"EDGE_HEARTBEAT_MS", EDGE_CFG_INT, offsetof (wk_config_t, heartbeat_ms),
     "1000", 10, 60000, false, "heartbeat interval, ms", NULL},
    {"EDGE_WORKER_CAPACITY", EDGE_CFG_INT, offsetof (wk_config_t, capacity),
     "1", 1, 256, false, "tasks run at once", NULL},
    {"EDGE_WORKER_ID", EDGE_CFG_STR, offsetof (wk_config_t, worker_id), "", 0,
     0, false, "worker id (default <hostname>-<pid>-<4 hex>)",
     s_check_worker_id},
    {"EDGE_LEASE_MS", EDGE_CFG_INT, offsetof (wk_config_t, lease_ms), "30000",
     100, 86400000, false, "task lease, ms", NULL},
    {"EDGE_REAPER_INTERVAL_MS", EDGE_CFG_INT,
     offsetof (wk_config_t, reaper_interval_ms), "2000", 10, 3600000, false,
     "reaper period, ms", NULL},
    {"EDGE_REAPER_RESEND_MS", EDGE_CFG_INT,
     offsetof (wk_config_t, reaper_resend_ms), "5000", 10, 86400000, false,
     "re-send queued tasks unclaimed this long, ms", NULL},
    {"EDGE_TASK_MAX_ATTEMPTS", EDGE_CFG_INT,
     offsetof (wk_config_t, max_attempts), "3", 1, 100, false,
     "attempts before a task whose worker keeps dying fails", NULL},
    EDGE_CFG_ROWS_DEPOT (wk_config_t, depot),
    {"EDGE_DATA_DIR", EDGE_CFG_STR, offsetof (wk_config_t, data_dir),
     "/var/tmp/rockit-edge/data", 0, 0, false, "scratch directory",
     s_check_dir},
    {"EDGE_URL_ALLOW", EDGE_CFG_STR, offsetof (wk_config_t, url_allow), "", 0,
     0, false, "CIDRs downloads may reach although private or loopback",
     edge_cfg_check_cidrs},
    {"EDGE_GC_DELAY_MS", EDGE_CFG_INT, offsetof (wk_config_t, gc_delay_ms),
     "86400000", 1, 31536000000, false,
     "published files no longer current are deleted this much later, ms", NULL},
    EDGE_METRICS_HTTP_CFG_ROW (wk_config_t, metrics_listen),
};


int
wk_config_load (wk_config_t *config, edge_cfg_getenv_fn *env)
{
    memset (config, 0, sizeof *config);
    if (edge_cfg_load (s_spec, EDGE_COUNT (s_spec), config, env))
        return -1;
    if (!*config->worker_id) {
        char host[64] = "", rand[5];
        if (gethostname (host, sizeof host - 1) != 0)
            host[0] = 0;
        host[sizeof host - 1] = 0;
        if (!edge_request_id_is_valid (host))
            snprintf (host, sizeof host, "worker");
        edge_random_hex (rand, 2);
        free (config->worker_id);
        config->worker_id =
            edge_sprintf ("%s-%d-%s", host, (int) getpid (), rand);
    }
    return 0;
}


void
wk_config_print (const wk_config_t *config)
{
    edge_cfg_print (s_spec, EDGE_COUNT (s_spec), config);
}


void
wk_config_fini (wk_config_t *config)
{
    edge_cfg_fini (s_spec, EDGE_COUNT (s_spec), config);
}
