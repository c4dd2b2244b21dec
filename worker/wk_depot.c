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

//  True for a store over an S3 depot.
static bool
s_is_s3 (const edge_store_t *store)
{
    return store && strcmp (edge_store_kind (store), "s3") == 0;
}


bool
wk_depot_is_set (const wk_env_t *env)
{
    return env && env->depot.url;
}


bool
wk_depot_is_s3 (const wk_env_t *env)
{
    return wk_depot_is_set (env) && edge_depot_is_s3 (&env->depot);
}


const char *
wk_depot_fs_root (const wk_env_t *env)
{
    return wk_depot_is_set (env) ? edge_depot_fs_root (&env->depot) : NULL;
}


edge_store_t *
wk_depot_store (const wk_env_t *env)
{
    if (!wk_depot_is_set (env)) {
        edge_error ("depot: not set up");
        return NULL;
    }
    return edge_depot_open (&env->depot);
}


char *
wk_depot_local_root (const wk_env_t *env, const char *task)
{
    edge_assert (task);
    if (!wk_depot_is_s3 (env)) {
        const char *root = wk_depot_fs_root (env);
        return root ? edge_strdup (root) : NULL;
    }
    char *root = edge_sprintf ("%s/depot/%s", env->data_dir, task);
    wk_stage_rmtree (root); //  what a killed attempt left
    if (wk_stage_mkdirs (root) != 0)
        edge_warn ("depot: cannot create %s: %s", root, strerror (errno));
    return root;
}


void
wk_depot_release (const wk_env_t *env, char **root_p)
{
    edge_assert (root_p);
    if (*root_p && wk_depot_is_s3 (env))
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
    if (!s_is_s3 (store))
        return 0;
    edge_assert (root && key && why);
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
        rc = edge_store_err (store) == EDGE_ERR_NOT_FOUND ? 1 : -1;
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
    keys->keys = edge_grow (keys->keys, &keys->cap, keys->count + 1, 16,
                            sizeof (char *));
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
    if (!s_is_s3 (store))
        return 0;
    edge_assert (root && prefix && why);
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
    if (!s_is_s3 (store))
        return 0;
    edge_assert (root && dir && last && why);
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
    if (!s_is_s3 (store))
        return;
    edge_assert (dir && first);
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
