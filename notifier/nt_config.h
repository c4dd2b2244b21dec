/*  nt_config - the notifier's configuration, read once from the environment
    through an edge_cfg table.  */
#ifndef NT_CONFIG_H_INCLUDED
#define NT_CONFIG_H_INCLUDED
#include "edge_cfg.h"
#include "nt_schedule.h"
#include <stdint.h>

typedef struct {
    char *redis_url;          //  EDGE_REDIS_URL
    int64_t redis_timeout_ms; //  EDGE_REDIS_TIMEOUT_MS
    int log_level;            //  EDGE_LOG_LEVEL
    char *group;              //  EDGE_NOTIFIER_GROUP
    char *consumer;           //  EDGE_NOTIFIER_CONSUMER, or "<host>-<pid>"
    int64_t claim_idle_ms;    //  EDGE_NOTIFIER_CLAIM_IDLE_MS
    int64_t order_wait_ms;    //  EDGE_NOTIFIER_ORDER_WAIT_MS
    int64_t block_ms;         //  EDGE_NOTIFIER_BLOCK_MS (idle read wait)
    int64_t batch;            //  EDGE_NOTIFIER_BATCH
    char *retry_schedule;     //  EDGE_WEBHOOK_RETRY_SCHEDULE (text)
    nt_schedule_t schedule;   //  the same, parsed
    int64_t timeout_ms;       //  EDGE_WEBHOOK_TIMEOUT_MS
    int64_t concurrency;      //  EDGE_WEBHOOK_CONCURRENCY
    char *slack_api_url;      //  EDGE_SLACK_API_URL
    char *slack_token;        //  EDGE_SLACK_TOKEN (secret, may be "")
    char *url_allow;          //  EDGE_URL_ALLOW (CIDRs)
    char *metrics_listen;     //  EDGE_METRICS_LISTEN, "" = off
} nt_config_t;

//  Fill config from the environment (env as in edge_cfg_load; NULL =
//  getenv). Logs one error line per bad variable. Returns 0, or -1 (exit 2).
//  Release with nt_config_fini even after -1.
int nt_config_load (nt_config_t *config, edge_cfg_getenv_fn *env);
//  Log the effective configuration at info, secrets masked.
void nt_config_print (const nt_config_t *config);
//  Free the strings of config.
void nt_config_fini (nt_config_t *config);
#endif
