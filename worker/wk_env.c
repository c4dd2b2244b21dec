/*  wk_env - the handlers' shared environment; see wk_env.h.  */
#include "wk_env.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>


static char *
s_dup (const char *text)
{
    return edge_strdup (text ? text : "");
}


int
wk_env_init (wk_env_t *env,
             const edge_depot_cfg_t *depot,
             const char *data_dir,
             const char *url_allow)
{
    edge_assert (env && depot && depot->url && data_dir);
    memset (env, 0, sizeof *env);
    curl_global_init (CURL_GLOBAL_DEFAULT); //  before any thread runs
    env->depot =
        (edge_depot_cfg_t){s_dup (depot->url), s_dup (depot->s3_endpoint),
                           s_dup (depot->s3_region), s_dup (depot->s3_key_id),
                           s_dup (depot->s3_secret)};
    env->data_dir = edge_strdup (data_dir);
    env->progress_ms = WK_ENV_PROGRESS_MS;
    env->connect_timeout_ms = WK_ENV_CONNECT_TIMEOUT_MS;
    env->stall_timeout_ms = WK_ENV_STALL_TIMEOUT_MS;
    env->retry_ms = WK_ENV_RETRY_MS;
    env->gc_delay_ms = WK_ENV_GC_DELAY_MS;
    char why[256] = "";
    env->url_guard =
        edge_urlguard_new (url_allow ? url_allow : "", why, sizeof why);
    if (!env->url_guard) {
        edge_error ("worker: bad URL allow list: %s", why);
        return -1;
    }
    return 0;
}


void
wk_env_fini (wk_env_t *env)
{
    if (!env || !env->data_dir)
        return;
    edge_urlguard_destroy (&env->url_guard);
    free (env->depot.url);
    free (env->depot.s3_endpoint);
    free (env->depot.s3_region);
    free (env->depot.s3_key_id);
    if (env->depot.s3_secret)
        memset (env->depot.s3_secret, 0, strlen (env->depot.s3_secret));
    free (env->depot.s3_secret);
    free (env->data_dir);
    memset (env, 0, sizeof *env);
    curl_global_cleanup ();
}
