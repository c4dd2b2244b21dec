/*  edge-gateway - the HTTP API (civetweb). Configuration from the
    environment; bad configuration exits 2, a failed start 1, SIGTERM 0.  */
#include "edge_cfg.h"
#include "edge_log.h"
#include "edge_util.h"
#include "gw_ctx.h"
#include "gw_pcache.h"
#include "gw_server.h"
#include <czmq.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

//  EDGE_GATEWAY_OPENAPI: "" or a readable file.
static int
s_check_readable (const char *value, char *why, size_t whylen)
{
    if (*value && access (value, R_OK) != 0) {
        snprintf (why, whylen, "cannot read the file");
        return -1;
    }
    return 0;
}

//  EDGE_OPERATOR_ORG: "" or an organization name.
static int
s_check_org (const char *value, char *why, size_t whylen)
{
    if (*value && !edge_name_is_valid (value)) {
        snprintf (why, whylen, "not an organization name ^[A-Za-z0-9_]{2,50}$");
        return -1;
    }
    return 0;
}

//  EDGE_PUBLIC_URL: "" or an http(s) base URL without query or fragment.
static int
s_check_public_url (const char *value, char *why, size_t whylen)
{
    bool is_http = strncmp (value, "http://", 7) == 0
                   || strncmp (value, "https://", 8) == 0;
    if (*value && (!is_http || strpbrk (value, "?# \t\r\n"))) {
        snprintf (why, whylen, "expected http(s)://host[:port][/path]");
        return -1;
    }
    return 0;
}

static const edge_cfg_spec_t s_spec[] = {
    {"EDGE_HTTP_LISTEN", EDGE_CFG_HOSTPORT, offsetof (gw_config_t, listen),
     "127.0.0.1:8080", 0, 0, false, "HTTP listen address host:port", NULL},
    {"PORT", EDGE_CFG_INT, offsetof (gw_config_t, port), "0", 0, 65535, false,
     "HTTP port, overrides the port of EDGE_HTTP_LISTEN (0 = unset)", NULL},
    EDGE_CFG_ROW_REDIS_URL (gw_config_t, redis_url),
    EDGE_CFG_ROW_REDIS_TIMEOUT (gw_config_t, redis_timeout_ms),
    EDGE_CFG_ROW_REDIS_REPLICA_WAIT (gw_config_t, replica_wait_ms),
    {"EDGE_BROKER_FRONTEND", EDGE_CFG_ENDPOINT,
     offsetof (gw_config_t, broker_frontend), "tcp://127.0.0.1:5555", 0, 0,
     false, "broker endpoint for jobs and queries", NULL},
    {"EDGE_ADMIN_SECRET", EDGE_CFG_STR, offsetof (gw_config_t, admin_secret),
     NULL, 0, 0, true, "base64 key of admin tokens (HS256)",
     edge_cfg_check_secret_b64},
    {"EDGE_GATEWAY_THREADS", EDGE_CFG_INT, offsetof (gw_config_t, threads),
     "64", 1, 256, false, "HTTP request threads", NULL},
    {"EDGE_GATEWAY_MAX_BODY", EDGE_CFG_INT, offsetof (gw_config_t, max_body),
     "1048576", 1024, 1073741824, false, "largest request body, bytes", NULL},
    {"EDGE_GATEWAY_BROKER_TIMEOUT_MS", EDGE_CFG_INT,
     offsetof (gw_config_t, broker_timeout_ms), "500", 10, 60000, false,
     "how long a broker query waits for its answer", NULL},
    EDGE_CFG_ROW_LOG_LEVEL (gw_config_t, log_level),
    {"EDGE_URL_ALLOW", EDGE_CFG_STR, offsetof (gw_config_t, url_allow), "", 0,
     0, false, "CIDRs outbound URLs may reach despite being private",
     edge_cfg_check_cidrs},
    {"EDGE_GATEWAY_OPENAPI", EDGE_CFG_STR, offsetof (gw_config_t, openapi_path),
     "", 0, 0, false,
     "serve this file at /openapi.yaml instead of the built-in copy",
     s_check_readable},
    {"EDGE_SESSION_TOKEN_TTL_S", EDGE_CFG_INT,
     offsetof (gw_config_t, session_ttl_s), "86400", 1, 2592000, false,
     "lifetime of session tokens (POST /be/v1/login), seconds", NULL},
    {"EDGE_AUTH_TOKEN_TTL_S", EDGE_CFG_INT, offsetof (gw_config_t, auth_ttl_s),
     "300", 1, 86400, false,
     "lifetime of auth tokens (POST /be/v1/auth), seconds", NULL},
    {"EDGE_LOGIN_MAX_FAILURES", EDGE_CFG_INT,
     offsetof (gw_config_t, login_max_failures), "5", 1, 1000000, false,
     "failed logins of one user within the window before 429", NULL},
    {"EDGE_LOGIN_MAX_FAILURES_IP", EDGE_CFG_INT,
     offsetof (gw_config_t, login_max_failures_ip), "50", 1, 1000000, false,
     "failed logins from one client address within the window before 429",
     NULL},
    {"EDGE_LOGIN_WINDOW_S", EDGE_CFG_INT,
     offsetof (gw_config_t, login_window_s), "900", 1, 86400, false,
     "failed-login counting window, seconds", NULL},
    {"EDGE_GATEWAY_REDIS_SHARED", EDGE_CFG_INT,
     offsetof (gw_config_t, redis_shared), "8", 0, 64, false,
     "Redis connections the request threads share by group commit (0 = one "
     "per thread)",
     NULL},
    {"EDGE_AUTH_CACHE_MS", EDGE_CFG_INT, offsetof (gw_config_t, auth_cache_ms),
     "1000", 0, GW_PCACHE_TTL_MAX_MS, false,
     "how long a gateway may reuse a checked credential (0 = never): a "
     "revocation made elsewhere applies within this time",
     NULL},
    {"EDGE_OPERATOR_ORG", EDGE_CFG_STR, offsetof (gw_config_t, operator_org),
     "", 0, 0, false,
     "organization whose Administrators may create organizations through "
     "POST /be/v1/orgs (\"\" = nobody)",
     s_check_org},
    EDGE_CFG_ROWS_DEPOT (gw_config_t, depot),
    {"EDGE_UPLOAD_EXPIRY_MS", EDGE_CFG_INT,
     offsetof (gw_config_t, upload_expiry_ms), "86400000", 1, 2592000000LL,
     false, "lifetime of an upload URL (POST /be/v1/builds), ms", NULL},
    {"EDGE_UPLOAD_MAX_BYTES", EDGE_CFG_INT,
     offsetof (gw_config_t, upload_max_bytes), "1099511627776", 1, 1LL << 50,
     false, "largest build tar a client may upload, bytes", NULL},
    {"EDGE_PUBLIC_URL", EDGE_CFG_STR, offsetof (gw_config_t, public_url), "", 0,
     0, false,
     "base of upload URLs, e.g. https://edge.example.com (\"\" = from the "
     "request's Host)",
     s_check_public_url},
    {"EDGE_TRACE_MAX_BYTES", EDGE_CFG_INT,
     offsetof (gw_config_t, trace_max_bytes), "67108864", 1024, 1073741824,
     false, "largest trace upload (POST /client/v1/traces), bytes", NULL},
    {"EDGE_TRACE_PARALLEL", EDGE_CFG_INT,
     offsetof (gw_config_t, trace_parallel), "2", 1, 64, false,
     "trace uploads over 1 MiB decoded at once (the rest wait, then 503)",
     NULL},
    {"EDGE_UPLOAD_PARALLEL", EDGE_CFG_INT,
     offsetof (gw_config_t, upload_parallel), "4", 1, 64, false,
     "upload PUTs at once, below EDGE_GATEWAY_THREADS (the others get 503)",
     NULL},
};


int
main (void)
{
    zsys_init ();
    edge_log_init ("gateway");
    gw_config_t config = {0};
    if (edge_cfg_load (s_spec, EDGE_COUNT (s_spec), &config, NULL)) {
        edge_cfg_fini (s_spec, EDGE_COUNT (s_spec), &config);
        return 2;
    }
    if (config.upload_parallel >= config.threads) {
        edge_error ("EDGE_UPLOAD_PARALLEL (%lld) must be below "
                    "EDGE_GATEWAY_THREADS (%lld): uploads would hold every "
                    "request thread",
                    (long long) config.upload_parallel,
                    (long long) config.threads);
        edge_cfg_fini (s_spec, EDGE_COUNT (s_spec), &config);
        return 2;
    }
    edge_cfg_print (s_spec, EDGE_COUNT (s_spec), &config);
    char why[300];
    if (edge_depot_check (&config.depot, why, sizeof why)) {
        edge_error ("EDGE_STORE: %s", why);
        edge_cfg_fini (s_spec, EDGE_COUNT (s_spec), &config);
        return 2;
    }
    gw_server_t *server = gw_server_new (&config);
    if (!server) {
        edge_cfg_fini (s_spec, EDGE_COUNT (s_spec), &config);
        return 1;
    }
    while (!zsys_interrupted)
        edge_sleep_ms (100, &zsys_interrupted);
    edge_info ("shutting down");
    gw_server_destroy (&server);
    edge_cfg_fini (s_spec, EDGE_COUNT (s_spec), &config);
    edge_info ("stopped");
    return 0;
}
