/*  wk_stage - staged depot directories renamed into place (see
    wk_stage.h).  */
#define _XOPEN_SOURCE 700 //  nftw
#include "wk_stage.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_FTW_FDS 16 //  directory handles nftw may hold open


//  nftw callback of wk_stage_rmtree: remove one file or emptied directory.
static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    if (remove (path) != 0)
        edge_warn ("stage: cannot remove %s: %s", path, strerror (errno));
    return 0;
}


void
wk_stage_init (wk_stage_t *stage, const char *dir, const char *tag)
{
    edge_assert (stage && dir && tag);
    stage->path = edge_sprintf ("%s/.tmp-%s", dir, tag);
    stage->old = edge_sprintf ("%s/.old-%s", dir, tag);
    wk_stage_rmtree (stage->path);
    wk_stage_rmtree (stage->old);
}


int
wk_stage_commit (wk_stage_t *stage, const char *target)
{
    edge_assert (stage && stage->path && target);
    if (rename (stage->path, target) == 0)
        return 0;
    if (errno != ENOTEMPTY && errno != EEXIST)
        return -1;
    wk_stage_rmtree (stage->old);
    if (rename (target, stage->old) != 0)
        return -1;
    if (rename (stage->path, target) != 0) {
        int err = errno;
        if (rename (stage->old, target) != 0)
            edge_warn ("stage: cannot put %s back: %s", target,
                       strerror (errno));
        errno = err;
        return -1;
    }
    wk_stage_rmtree (stage->old);
    return 0;
}


void
wk_stage_fini (wk_stage_t *stage)
{
    if (!stage || !stage->path)
        return;
    wk_stage_rmtree (stage->path);
    free (stage->path);
    free (stage->old);
    stage->path = stage->old = NULL;
}


void
wk_stage_rmtree (const char *path)
{
    edge_assert (path);
    struct stat st;
    if (lstat (path, &st) == 0)
        nftw (path, s_remove, S_FTW_FDS, FTW_DEPTH | FTW_PHYS);
}


int
wk_stage_mkdirs (const char *path)
{
    edge_assert (path);
    char *copy = edge_strdup (path);
    int rc = 0;
    for (char *p = strchr (copy + 1, '/'); p && rc == 0;
         p = strchr (p + 1, '/')) {
        *p = '\0';
        if (mkdir (copy, 0755) != 0 && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    if (rc == 0 && mkdir (copy, 0755) != 0 && errno != EEXIST)
        rc = -1;
    int err = errno;
    free (copy);
    errno = err;
    return rc;
}
