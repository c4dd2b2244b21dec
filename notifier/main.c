/*  edge-notifier - consumes task events and (from the webhooks issue on)
    delivers them. Configuration from the environment; SIGTERM exits 0.  */
#include "edge_cfg.h"
#include "edge_log.h"
#include "edge_redis.h"
#include "edge_util.h"
#include "nt_notifier.h"
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    char *redis_url;
    int64_t redis_timeout_ms;
    int log_level;
    char *group;
    char *consumer;
    int64_t claim_idle_ms;
    int64_t block_ms;
    int64_t batch;
} nt_config_t;

static const edge_cfg_spec_t s_spec[] = {
    {"EDGE_REDIS_URL", EDGE_CFG_STR, offsetof (nt_config_t, redis_url),
     "redis://127.0.0.1:6379/0", 0, 0, false, "Redis server URL",
     edge_cfg_check_redis_url},
    {"EDGE_REDIS_TIMEOUT_MS", EDGE_CFG_INT,
     offsetof (nt_config_t, redis_timeout_ms), "2000", 50, 600000, false,
     "Redis connect and command timeout", NULL},
    {"EDGE_LOG_LEVEL", EDGE_CFG_LEVEL, offsetof (nt_config_t, log_level),
     "info", 0, 0, false, "debug, info, warn or error", NULL},
    {"EDGE_NOTIFIER_GROUP", EDGE_CFG_STR, offsetof (nt_config_t, group),
     "notifiers", 0, 0, false, "consumer group on e:events", NULL},
    {"EDGE_NOTIFIER_CONSUMER", EDGE_CFG_STR, offsetof (nt_config_t, consumer),
     "", 0, 0, false, "consumer name (default host-pid)", NULL},
    {"EDGE_NOTIFIER_CLAIM_IDLE_MS", EDGE_CFG_INT,
     offsetof (nt_config_t, claim_idle_ms), "30000", 100, 86400000, false,
     "claim entries another notifier left pending this long", NULL},
    {"EDGE_NOTIFIER_BLOCK_MS", EDGE_CFG_INT, offsetof (nt_config_t, block_ms),
     "1000", 10, 60000, false, "how long one read waits for new events", NULL},
    {"EDGE_NOTIFIER_BATCH", EDGE_CFG_INT, offsetof (nt_config_t, batch), "100",
     1, 10000, false, "entries per read", NULL},
};
#define S_SPEC_COUNT (sizeof s_spec / sizeof s_spec[0])

static volatile sig_atomic_t s_interrupted = 0;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_interrupted = 1;
}


int
main (void)
{
    edge_log_init ("notifier");
    nt_config_t cfg = {0};
    if (edge_cfg_load (s_spec, S_SPEC_COUNT, &cfg, NULL)) {
        edge_cfg_fini (s_spec, S_SPEC_COUNT, &cfg);
        return 2;
    }
    char consumer[128];
    if (*cfg.consumer)
        snprintf (consumer, sizeof consumer, "%s", cfg.consumer);
    else {
        char host[64] = "host";
        gethostname (host, sizeof host - 1);
        snprintf (consumer, sizeof consumer, "%s-%d", host, (int) getpid ());
    }
    edge_cfg_print (s_spec, S_SPEC_COUNT, &cfg);
    struct sigaction action = {.sa_handler = s_on_signal};
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);

    //  The socket timeout must outlast a blocking read.
    int timeout = (int) (cfg.redis_timeout_ms > cfg.block_ms + 1000
                             ? cfg.redis_timeout_ms
                             : cfg.block_ms + 1000);
    edge_redis_t *redis = edge_redis_new (cfg.redis_url, timeout);
    nt_notifier_opts_t opts = {cfg.group, consumer, cfg.claim_idle_ms,
                               cfg.block_ms, cfg.batch};
    nt_notifier_t *notifier = nt_notifier_new (redis, &opts);
    edge_info ("notifier %s consuming %s as group %s", consumer, "e:events",
               cfg.group);
    int64_t backoff = 100;
    while (!s_interrupted) {
        if (nt_notifier_poll (notifier) < 0) {
            edge_sleep_ms (backoff, (volatile int *) &s_interrupted);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        }
        else
            backoff = 100;
    }
    edge_info ("notifier shutting down after %llu events",
               (unsigned long long) nt_notifier_handled (notifier));
    nt_notifier_destroy (&notifier);
    edge_redis_destroy (&redis);
    edge_cfg_fini (s_spec, S_SPEC_COUNT, &cfg);
    return 0;
}
