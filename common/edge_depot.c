/*  edge_depot - the internal depot's settings, its start-up check and its
    stores; see edge_depot.h.  */
#include "edge_depot.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdio.h>
#include <string.h>


int
edge_depot_check_url (const char *value, char *why, size_t whylen)
{
    if (strncmp (value, "file:///", 8) == 0)
        return 0;
    if (strncmp (value, "s3://", 5) == 0) {
        const char *bucket = value + 5;
        size_t len = strcspn (bucket, "/");
        bool ok = len >= 3 && len <= 63
                  && strspn (bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-")
                         >= len;
        const char *prefix = bucket + len;
        if (ok && !strstr (prefix, "..") && !strpbrk (prefix, "?#\\ "))
            return 0;
        snprintf (why, whylen,
                  "expected s3://bucket[/prefix] (bucket: 3 to 63 of a-z 0-9 "
                  ". -)");
        return -1;
    }
    snprintf (why, whylen, "expected file:///path or s3://bucket[/prefix]");
    return -1;
}


bool
edge_depot_is_s3 (const edge_depot_cfg_t *cfg)
{
    edge_assert (cfg && cfg->url);
    return strncmp (cfg->url, "s3://", 5) == 0;
}


const char *
edge_depot_fs_root (const edge_depot_cfg_t *cfg)
{
    edge_assert (cfg && cfg->url);
    return edge_store_url_dir (cfg->url);
}


edge_store_t *
edge_depot_open (const edge_depot_cfg_t *cfg)
{
    edge_assert (cfg && cfg->url);
    edge_store_s3_opts_t s3 = {.endpoint = cfg->s3_endpoint,
                               .region = cfg->s3_region,
                               .access_key_id = cfg->s3_key_id,
                               .secret_access_key = cfg->s3_secret};
    return edge_store_new_from_url (cfg->url, &s3);
}


//  Stop a listing at its first object.
static int
s_first (const char *key, uint64_t size, void *arg)
{
    (void) key;
    (void) size;
    (void) arg;
    return -1;
}


int
edge_depot_check (const edge_depot_cfg_t *cfg, char *why, size_t whylen)
{
    edge_assert (cfg && why);
    if (edge_depot_is_s3 (cfg)) {
        const char *missing =
            !cfg->s3_endpoint || !*cfg->s3_endpoint ? "EDGE_STORE_S3_ENDPOINT"
            : !cfg->s3_key_id || !*cfg->s3_key_id   ? "EDGE_STORE_S3_ACCESS_KEY_ID"
            : !cfg->s3_secret || !*cfg->s3_secret
                ? "EDGE_STORE_S3_SECRET_ACCESS_KEY"
                : NULL;
        if (missing) {
            snprintf (why, whylen, "an S3 depot (%s) needs %s", cfg->url,
                      missing);
            return -1;
        }
    }
    edge_store_t *store = edge_depot_open (cfg);
    if (!store) {
        snprintf (why, whylen, "cannot open the depot %s", cfg->url);
        return -1;
    }
    int rc = 0;
    if (edge_depot_is_s3 (cfg)) {
        edge_store_set_list_page (store, 1);
        if (edge_store_list (store, "", s_first, NULL) == -1
            && edge_store_err (store) != EDGE_ERR_OK) {
            snprintf (why, whylen, "the S3 depot %s does not answer: %s",
                      cfg->url, edge_store_errstr (store));
            rc = -1;
        }
    }
    edge_store_destroy (&store);
    return rc;
}
