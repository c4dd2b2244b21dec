/*  wk_stage - directories of the file:// depot written in a staging
    directory and renamed into place, so that a reader never sees a
    half-written image or patch, and a task killed half-way leaves only a
    staging directory that its next attempt removes.

    A stage for (dir, tag) is the directory <dir>/.tmp-<tag>; a target it
    replaces is first moved aside to <dir>/.old-<tag> and then removed.
    Tags are per task (e.g. the task name), so concurrent tasks never share
    a staging directory and every attempt of one task reuses the same one.  */
#ifndef WK_STAGE_H_INCLUDED
#define WK_STAGE_H_INCLUDED

typedef struct {
    char *path; //  <dir>/.tmp-<tag>: write the object here
    char *old;  //  <dir>/.old-<tag>: a replaced target, briefly
} wk_stage_t;

//  Name the stage and remove what an earlier attempt left in it (the
//  staging directory itself is not created). Free with wk_stage_fini.
void wk_stage_init (wk_stage_t *stage, const char *dir, const char *tag);
//  Rename the complete staging directory to target (a sibling of it),
//  replacing a target left by an earlier attempt. Returns 0, or -1 with
//  errno set (the old target is then put back when possible).
int wk_stage_commit (wk_stage_t *stage, const char *target);
//  Remove what is left of the staging directory; free the names.
void wk_stage_fini (wk_stage_t *stage);

//  rm -rf path: best effort (a failure is logged), a missing path is fine.
void wk_stage_rmtree (const char *path);
//  mkdir -p path (mode 0755). Returns 0, or -1 with errno set.
int wk_stage_mkdirs (const char *path);
#endif
