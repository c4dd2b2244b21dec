/*  nt_config - the notifier's edge_cfg table.  */
#include "nt_config.h"
#include "edge_log.h"
#include "edge_metrics_http.h"
#include "edge_util.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  EDGE_SLACK_API_URL: an http(s) URL (the URL guard still checks it at
//  every attempt).
static int
s_check_http_url (const char *value, char *why, size_t whylen)
{
    if (strncmp (value, "https://", 8) != 0
        && strncmp (value, "http://", 7) != 0) {
        snprintf (why, whylen, "expected an http:// or https:// URL");
        return -1;
    }
    return 0;
}

static const edge_cfg_spec_t s_spec[] = {
    EDGE_CFG_ROW_REDIS_URL (nt_config_t, redis_url),
    EDGE_CFG_ROW_REDIS_TIMEOUT (nt_config_t, redis_timeout_ms),
    EDGE_CFG_ROW_LOG_LEVEL (nt_config_t, log_level),
    {"EDGE_NOTIFIER_GROUP", EDGE_CFG_STR, offsetof (nt_config_t, group),
     "notifiers", 0, 0, false, "consumer group on e:events", NULL},
    {"EDGE_NOTIFIER_CONSUMER", EDGE_CFG_STR, offsetof (nt_config_t, consumer),
     "", 0, 0, false, "consumer name (default host-pid)", NULL},
    {"EDGE_NOTIFIER_CLAIM_IDLE_MS", EDGE_CFG_INT,
     offsetof (nt_config_t, claim_idle_ms), "30000", 100, 86400000, false,
     "claim entries another notifier left pending this long, ms", NULL},
    {"EDGE_NOTIFIER_ORDER_WAIT_MS", EDGE_CFG_INT,
     offsetof (nt_config_t, order_wait_ms), "120000", 1000, 86400000, false,
     "longest wait of an event for its task's earlier events, ms", NULL},
    {"EDGE_NOTIFIER_BLOCK_MS", EDGE_CFG_INT, offsetof (nt_config_t, block_ms),
     "100", 10, 1000, false, "how long an idle read waits for new events, ms",
     NULL},
    {"EDGE_NOTIFIER_BATCH", EDGE_CFG_INT, offsetof (nt_config_t, batch), "100",
     1, 10000, false, "entries per read", NULL},
    {"EDGE_WEBHOOK_RETRY_SCHEDULE", EDGE_CFG_STR,
     offsetof (nt_config_t, retry_schedule), "5s,5m,30m,2h,5h,10h,10h", 0, 0,
     false, "delays between delivery attempts (ms, s, m, h)",
     nt_schedule_check},
    {"EDGE_WEBHOOK_TIMEOUT_MS", EDGE_CFG_INT,
     offsetof (nt_config_t, timeout_ms), "15000", 100, 600000, false,
     "one delivery attempt may take this long, ms", NULL},
    {"EDGE_WEBHOOK_CONCURRENCY", EDGE_CFG_INT,
     offsetof (nt_config_t, concurrency), "64", 1, 10000, false,
     "delivery attempts in flight at once", NULL},
    {"EDGE_SLACK_API_URL", EDGE_CFG_STR, offsetof (nt_config_t, slack_api_url),
     "https://slack.com/api", 0, 0, false,
     "Slack Web API base (chat.postMessage is appended)", s_check_http_url},
    {"EDGE_SLACK_TOKEN", EDGE_CFG_STR, offsetof (nt_config_t, slack_token), "",
     0, 0, true, "Slack bot token (optional; needed for Slack subscriptions)",
     NULL},
    {"EDGE_URL_ALLOW", EDGE_CFG_STR, offsetof (nt_config_t, url_allow), "", 0,
     0, false, "CIDRs deliveries may reach although private or loopback",
     edge_cfg_check_cidrs},
    EDGE_METRICS_HTTP_CFG_ROW (nt_config_t, metrics_listen),
};


int
nt_config_load (nt_config_t *config, edge_cfg_getenv_fn *env)
{
    memset (config, 0, sizeof *config);
    if (edge_cfg_load (s_spec, EDGE_COUNT (s_spec), config, env))
        return -1;
    char why[128];
    if (nt_schedule_parse (config->retry_schedule, &config->schedule, why,
                           sizeof why))
        return -1; //  cannot happen: the table's check passed
    if (!*config->consumer) {
        char host[64] = "host";
        if (gethostname (host, sizeof host - 1) != 0)
            snprintf (host, sizeof host, "host");
        host[sizeof host - 1] = 0;
        free (config->consumer);
        config->consumer = edge_sprintf ("%s-%d", host, (int) getpid ());
    }
    return 0;
}


void
nt_config_print (const nt_config_t *config)
{
    edge_cfg_print (s_spec, EDGE_COUNT (s_spec), config);
}


void
nt_config_fini (nt_config_t *config)
{
    edge_cfg_fini (s_spec, EDGE_COUNT (s_spec), config);
}
