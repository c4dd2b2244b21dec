/*  wk_depot - the depot as the worker's file-based code sees it.

    mkraw, trace processing and deploy read and write files. On a file://
    depot those are the depot's own files. On an S3 depot (no shared disk)
    each task gets a private local copy root under EDGE_DATA_DIR: the
    objects it reads are fetched there first, what it writes is staged and
    renamed there as on the fs depot, then pushed to the bucket with the
    completion marker (the manifest) last, so that a reader of the bucket
    never takes a half image or patch for a whole one; the copies are
    removed when the task ends (scratch may vanish between tasks).  */
#ifndef WK_DEPOT_H_INCLUDED
#define WK_DEPOT_H_INCLUDED
#include "edge_store.h"
#include "wk_env.h"
#include <stdbool.h>
#include <stddef.h>

//  True when env has a depot (a URL).
bool wk_depot_is_set (const wk_env_t *env);
//  True for an S3 depot.
bool wk_depot_is_s3 (const wk_env_t *env);
//  The directory of a file:// depot, or NULL (no depot, or S3). Borrowed
//  from env.
const char *wk_depot_fs_root (const wk_env_t *env);
//  A new store over the depot, or NULL (logged) when env has no depot or
//  its settings are bad: the one way the worker opens it. Caller owns the
//  result.
edge_store_t *wk_depot_store (const wk_env_t *env);
//  The local directory that holds the depot's files for task: the depot
//  itself (file://), or <data_dir>/depot/<task> (s3, created empty); NULL
//  without a depot. Caller owns the result; release it with
//  wk_depot_release.
char *wk_depot_local_root (const wk_env_t *env, const char *task);
//  Remove a task's local copies (s3) and free root; NULL-safe. On a
//  file:// depot only the name is freed.
void wk_depot_release (const wk_env_t *env, char **root_p);

//  The functions below take the depot's store (wk_depot_store) and act on
//  an S3 depot only; for a file:// one (or store NULL) they do nothing.

//  Make object key a file at <root>/<key> (s3: downloaded unless already
//  there). Returns 0, 1 when there is no such object, or -1 with why set.
int wk_depot_fetch (edge_store_t *store,
                    const char *root,
                    const char *key,
                    char *why,
                    size_t whylen);
//  The same for every object under prefix ("a/b/"). Returns 0 (also when
//  there is none), or -1 with why set.
int wk_depot_fetch_prefix (edge_store_t *store,
                           const char *root,
                           const char *prefix,
                           char *why,
                           size_t whylen);
//  s3: upload every file under <root>/<dir> as <dir>/<name>, the one named
//  last (e.g. "manifest.json") after all the others; file://: nothing
//  (the staged directory was renamed into place already). Returns 0, or -1
//  with why set.
int wk_depot_push (edge_store_t *store,
                   const char *root,
                   const char *dir,
                   const char *last,
                   char *why,
                   size_t whylen);
//  s3: delete every object under <dir>/, the one named first (the
//  completion marker, so that no reader takes the rest for a whole
//  object) before the others; best effort (failures are logged).
//  file://: nothing (the caller removes the directory).
void wk_depot_forget (edge_store_t *store, const char *dir, const char *first);
#endif
