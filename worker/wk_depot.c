/*  wk_depot - a task's view of the depot as files; see wk_depot.h.  */
#include "wk_depot.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include "wk_stage.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

//  The settings of wk_depot_setup (set once, before tasks run).
static struct {
    edge_depot_cfg_t cfg; //  copies of the strings
    char *data_dir;       //  EDGE_DATA_DIR
} s_conf;


static void
s_free_cfg (void)
{
    free (s_conf.cfg.url);
    free (s_conf.cfg.s3_endpoint);
    free (s_conf.cfg.s3_region);
    free (s_conf.cfg.s3_key_id);
    if (s_conf.cfg.s3_secret)
        memset (s_conf.cfg.s3_secret, 0, strlen (s_conf.cfg.s3_secret));
    free (s_conf.cfg.s3_secret);
    free (s_conf.data_dir);
    memset (&s_conf, 0, sizeof s_conf);
}


static char *
s_dup (const char *text)
{
    return edge_strdup (text ? text : "");
}


void
wk_depot_setup (const edge_depot_cfg_t *cfg, const char *data_dir)
{
    edge_assert (cfg && cfg->url && data_dir);
    s_free_cfg ();
    s_conf.cfg = (edge_depot_cfg_t){s_dup (cfg->url), s_dup (cfg->s3_endpoint),
                                    s_dup (cfg->s3_region),
                                    s_dup (cfg->s3_key_id),
                                    s_dup (cfg->s3_secret)};
    s_conf.data_dir = edge_strdup (data_dir);
}


void
wk_depot_cleanup (void)
{
    s_free_cfg ();
}


bool
wk_depot_is_s3 (void)
{
    return s_conf.cfg.url && edge_depot_is_s3 (&s_conf.cfg);
}


edge_store_t *
wk_depot_store (void)
{
    if (!s_conf.cfg.url) {
        edge_error ("depot: not set up");
        return NULL;
    }
    return edge_depot_open (&s_conf.cfg);
}


char *
wk_depot_local_root (const char *task)
{
    edge_assert (task && s_conf.cfg.url);
    if (!wk_depot_is_s3 ())
        return edge_strdup (edge_depot_fs_root (&s_conf.cfg));
    char *root = edge_sprintf ("%s/depot/%s", s_conf.data_dir, task);
    wk_stage_rmtree (root); //  what a killed attempt left
    if (wk_stage_mkdirs (root) != 0)
        edge_warn ("depot: cannot create %s: %s", root, strerror (errno));
    return root;
}


void
wk_depot_release (char **root_p)
{
    edge_assert (root_p);
    if (*root_p && wk_depot_is_s3 ())
        wk_stage_rmtree (*root_p);
    free (*root_p);
    *root_p = NULL;
}


int
wk_depot_fetch (edge_store_t *store,
                const char *root,
                const char *key,
                char *why,
                size_t whylen)
{
    if (!wk_depot_is_s3 ())
        return 0;
    edge_assert (store && root && key && why);
    char *path = edge_sprintf ("%s/%s", root, key);
    struct stat st;
    int rc = 0;
    if (stat (path, &st) == 0 && S_ISREG (st.st_mode))
        goto done;
    char *dir = edge_strdup (path);
    *strrchr (dir, '/') = '\0';
    if (wk_stage_mkdirs (dir) != 0) {
        snprintf (why, whylen, "cannot create %s: %s", dir, strerror (errno));
        rc = -1;
    }
    else if (edge_store_get_file (store, key, path) != 0) {
        rc = edge_store_err (store) == EDGE_STORE_ERR_NOT_FOUND ? 1 : -1;
        snprintf (why, whylen, "cannot fetch %s from the depot: %s", key,
                  edge_store_errstr (store));
    }
    free (dir);
done:
    free (path);
    return rc;
}


//  Keys of a listing.
typedef struct {
    char **keys;
    size_t count, cap;
} s_keys_t;


static int
s_collect (const char *key, uint64_t size, void *arg)
{
    (void) size;
    s_keys_t *keys = arg;
    if (keys->count == keys->cap) {
        keys->cap = keys->cap ? keys->cap * 2 : 16;
        keys->keys = edge_realloc (keys->keys, keys->cap * sizeof (char *));
    }
    keys->keys[keys->count++] = edge_strdup (key);
    return 0;
}


static void
s_keys_fini (s_keys_t *keys)
{
    for (size_t i = 0; i < keys->count; i++)
        free (keys->keys[i]);
    free (keys->keys);
}


int
wk_depot_fetch_prefix (edge_store_t *store,
                       const char *root,
                       const char *prefix,
                       char *why,
                       size_t whylen)
{
    if (!wk_depot_is_s3 ())
        return 0;
    edge_assert (store && root && prefix && why);
    s_keys_t keys = {NULL, 0, 0};
    int rc = 0;
    if (edge_store_list (store, prefix, s_collect, &keys) != 0) {
        snprintf (why, whylen, "cannot list %s in the depot: %s", prefix,
                  edge_store_errstr (store));
        rc = -1;
    }
    for (size_t i = 0; i < keys.count && rc == 0; i++)
        if (wk_depot_fetch (store, root, keys.keys[i], why, whylen) != 0)
            rc = -1;
    s_keys_fini (&keys);
    return rc;
}


static int
s_by_name (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}


//  Upload <root>/<dir>/<name> as <dir>/<name>.
static int
s_put (edge_store_t *store,
       const char *root,
       const char *dir,
       const char *name,
       char *why,
       size_t whylen)
{
    char *key = edge_sprintf ("%s/%s", dir, name);
    char *path = edge_sprintf ("%s/%s", root, key);
    int rc = edge_store_put_file (store, key, path);
    if (rc != 0)
        snprintf (why, whylen, "cannot push %s to the depot: %s", key,
                  edge_store_errstr (store));
    free (path);
    free (key);
    return rc;
}


int
wk_depot_push (edge_store_t *store,
               const char *root,
               const char *dir,
               const char *last,
               char *why,
               size_t whylen)
{
    if (!wk_depot_is_s3 ())
        return 0;
    edge_assert (store && root && dir && last && why);
    char *path = edge_sprintf ("%s/%s", root, dir);
    DIR *d = opendir (path);
    if (!d) {
        snprintf (why, whylen, "cannot read %s: %s", path, strerror (errno));
        free (path);
        return -1;
    }
    s_keys_t names = {NULL, 0, 0};
    bool has_last = false;
    struct dirent *entry;
    while ((entry = readdir (d))) {
        if (entry->d_name[0] == '.')
            continue;
        if (strcmp (entry->d_name, last) == 0)
            has_last = true;
        else
            s_collect (entry->d_name, 0, &names);
    }
    closedir (d);
    free (path);
    qsort (names.keys, names.count, sizeof (char *), s_by_name);
    int rc = 0;
    for (size_t i = 0; i < names.count && rc == 0; i++)
        rc = s_put (store, root, dir, names.keys[i], why, whylen);
    if (rc == 0 && !has_last) {
        snprintf (why, whylen, "%s has no %s", dir, last);
        rc = -1;
    }
    if (rc == 0)
        rc = s_put (store, root, dir, last, why, whylen);
    s_keys_fini (&names);
    return rc;
}


void
wk_depot_forget (edge_store_t *store, const char *dir, const char *first)
{
    if (!wk_depot_is_s3 ())
        return;
    edge_assert (store && dir && first);
    char *marker = edge_sprintf ("%s/%s", dir, first);
    char *prefix = edge_sprintf ("%s/", dir);
    s_keys_t keys = {NULL, 0, 0};
    if (edge_store_delete (store, marker) != 0
        || edge_store_list (store, prefix, s_collect, &keys) != 0)
        edge_warn ("depot: cannot delete %s: %s", dir,
                   edge_store_errstr (store));
    for (size_t i = 0; i < keys.count; i++)
        if (edge_store_delete (store, keys.keys[i]) != 0)
            edge_warn ("depot: cannot delete %s: %s", keys.keys[i],
                       edge_store_errstr (store));
    s_keys_fini (&keys);
    free (prefix);
    free (marker);
}
