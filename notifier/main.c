/*  edge-notifier - consumes task events and delivers them to webhook and
    Slack subscriptions. Configuration from the environment (bad config:
    exit 2); SIGTERM exits 0.  */
#include "edge_log.h"
#include "edge_metrics_http.h"
#include "edge_redis.h"
#include "edge_urlguard.h"
#include "edge_util.h"
#include "nt_config.h"
#include "nt_deliver.h"
#include "nt_notifier.h"
#include <curl/curl.h>
#include <signal.h>

#define S_PUMP_MS     10   //  curl wait while attempts are in flight: new
                           //  events wait at most this long behind a slow
                           //  receiver (an idle read costs ~0.1 ms)
#define S_DRAIN_MS    2000 //  grace for attempts in flight at shutdown
#define S_LEASE_PAD   5000 //  lease = EDGE_WEBHOOK_TIMEOUT_MS + this
#define S_BACKOFF_MAX 5000
#define S_SAMPLE_MS   1000 //  metrics read from Redis this often
#define S_TAKE_MS     100  //  due deliveries looked for at least this often

static volatile sig_atomic_t s_interrupted = 0;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_interrupted = 1;
}


//  Wait ms after a Redis failure, still driving attempts in flight.
static void
s_backoff (nt_deliver_t *deliver, int64_t ms)
{
    if (nt_deliver_in_flight (deliver) > 0)
        nt_deliver_run (deliver, (int) ms, false);
    else
        edge_sleep_ms (ms, (volatile int *) &s_interrupted);
}


//  Interleave reading events with driving deliveries until SIGTERM;
//  sample the metrics gauges every S_SAMPLE_MS.
static void
s_run (nt_notifier_t *notifier,
       nt_deliver_t *deliver,
       const nt_config_t *cfg,
       nt_metrics_t *metrics,
       edge_redis_t *redis)
{
    int64_t backoff = 100, block_ms = cfg->block_ms, next_sample = 0;
    int64_t next_take = 0;
    uint64_t created = 0;
    while (!s_interrupted) {
        if (edge_mono_ms () >= next_sample) {
            nt_metrics_sample (metrics, redis, cfg->group,
                               nt_deliver_in_flight (deliver), edge_now_ms ());
            next_sample = edge_mono_ms () + S_SAMPLE_MS;
        }
        bool is_busy = nt_deliver_has_work (deliver);
        int events = nt_notifier_poll (notifier, is_busy ? 0 : block_ms);
        //  Look for due deliveries when events created some, when
        //  attempts are under way, and every S_TAKE_MS (retries and
        //  leases come due by the clock): events without subscribers
        //  cost no look
        bool is_taking = is_busy
                         || nt_notifier_created (notifier) != created
                         || edge_mono_ms () >= next_take;
        created = nt_notifier_created (notifier);
        if (is_taking)
            next_take = edge_mono_ms () + S_TAKE_MS;
        int done = events < 0 ? -1
                              : nt_deliver_run (deliver,
                                                is_busy ? S_PUMP_MS : 0,
                                                is_taking);
        if (events >= 0 && done >= 0) {
            backoff = 100;
            continue;
        }
        s_backoff (deliver, backoff);
        backoff = backoff * 2 > S_BACKOFF_MAX ? S_BACKOFF_MAX : backoff * 2;
    }
    int64_t deadline = edge_mono_ms () + S_DRAIN_MS;
    while (nt_deliver_in_flight (deliver) > 0 && edge_mono_ms () < deadline)
        nt_deliver_run (deliver, S_PUMP_MS, false);
}


int
main (void)
{
    edge_log_init ("notifier");
    nt_config_t cfg;
    if (nt_config_load (&cfg, NULL)) {
        nt_config_fini (&cfg);
        return 2;
    }
    nt_config_print (&cfg);
    struct sigaction action = {.sa_handler = s_on_signal};
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    signal (SIGPIPE, SIG_IGN);
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        edge_error ("notifier: libcurl could not be initialised");
        nt_config_fini (&cfg);
        return 1;
    }
    edge_urlguard_t *guard = edge_urlguard_new (cfg.url_allow, NULL, 0);
    //  The socket timeout must outlast a blocking read.
    int64_t timeout = cfg.redis_timeout_ms > cfg.block_ms + 1000
                          ? cfg.redis_timeout_ms
                          : cfg.block_ms + 1000;
    edge_redis_t *redis = edge_redis_new (cfg.redis_url, (int) timeout);
    nt_notifier_opts_t opts = {cfg.group, cfg.consumer, cfg.claim_idle_ms,
                               cfg.batch, cfg.order_wait_ms};
    nt_notifier_t *notifier = nt_notifier_new (redis, &opts);
    nt_deliver_opts_t dopts = {
        guard,          &cfg.schedule,         cfg.timeout_ms,
        S_LEASE_PAD,    (int) cfg.concurrency, cfg.slack_api_url,
        cfg.slack_token};
    nt_deliver_t *deliver = nt_deliver_new (redis, &dopts);
    edge_metrics_t *registry = edge_metrics_new ();
    edge_metrics_add_process (registry, EDGE_VERSION);
    nt_metrics_t *metrics = nt_metrics_new (registry);
    nt_notifier_set_metrics (notifier, metrics);
    nt_deliver_set_metrics (deliver, metrics);
    edge_metrics_http_t *http = NULL;
    if (*cfg.metrics_listen)
        http = edge_metrics_http_new (registry, cfg.metrics_listen);
    int rc = *cfg.metrics_listen && !http ? 1 : 0;
    if (rc == 0) {
        edge_info ("notifier %s consuming e:events as group %s, delivering "
                   "up to %lld at once",
                   cfg.consumer, cfg.group, (long long) cfg.concurrency);
        s_run (notifier, deliver, &cfg, metrics, redis);
        edge_info ("notifier shutting down after %llu events",
                   (unsigned long long) nt_notifier_handled (notifier));
    }
    edge_metrics_http_destroy (&http);
    nt_deliver_destroy (&deliver);
    nt_notifier_destroy (&notifier);
    edge_redis_destroy (&redis);
    nt_metrics_destroy (&metrics);
    edge_metrics_destroy (&registry);
    edge_urlguard_destroy (&guard);
    curl_global_cleanup ();
    nt_config_fini (&cfg);
    return rc;
}
