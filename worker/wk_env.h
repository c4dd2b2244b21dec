/*  wk_env - what the task handlers share: the depot's settings, the
    scratch directory, the URL guard of downloads, and the handlers'
    timeouts and limits. main.c builds one from the configuration before
    any slot runs; it is read-only from then on, and every job borrows it
    (wk_job_t.env), as the reaper's garbage collection does.

    A job without an environment (env NULL, or no depot URL: tests) fails
    the tasks that need the depot with "<type>: the worker has no depot
    settings" (wk_job_run).  */
#ifndef WK_ENV_H_INCLUDED
#define WK_ENV_H_INCLUDED
#include "edge_depot.h"
#include "edge_urlguard.h"
#include <stdint.h>

#define WK_ENV_PROGRESS_MS        500      //  dltar progress records
#define WK_ENV_CONNECT_TIMEOUT_MS 10000    //  dltar: connecting
#define WK_ENV_STALL_TIMEOUT_MS   120000   //  dltar: no byte for this long
#define WK_ENV_RETRY_MS           200      //  deploy: pause before try 2
#define WK_ENV_GC_DELAY_MS        86400000 //  EDGE_GC_DELAY_MS default

//  Test hook: called after each object deploy writes to a deployment (not
//  for skipped ones), on the slot thread. key is the origin key.
typedef void (wk_env_hook_fn) (const char *deployment,
                               const char *key,
                               void *arg);

typedef struct {
    edge_depot_cfg_t depot;      //  EDGE_STORE, EDGE_STORE_S3_* (copies)
    char *data_dir;              //  EDGE_DATA_DIR: scratch files
    edge_urlguard_t *url_guard;  //  EDGE_URL_ALLOW: where downloads may go
    int64_t progress_ms;         //  dltar records progress at most this often
    int64_t connect_timeout_ms;  //  dltar: connect timeout
    int64_t stall_timeout_ms;    //  dltar: a transfer this long idle fails
    int64_t retry_ms;            //  deploy: pause before the 2nd try (doubles)
    int64_t gc_delay_ms;         //  EDGE_GC_DELAY_MS: old files deleted later
    uint64_t segment_max;        //  mkraw: image and patch segments; 0: 64 MiB
    wk_env_hook_fn *deploy_hook; //  tests only, else NULL
    void *deploy_hook_arg;
} wk_env_t;

//  Fill env: copies of depot and data_dir, the URL guard of url_allow
//  (CIDRs, "" for none), the default timeouts; a caller may change the
//  plain fields afterwards. Returns 0, or -1 (logged) when url_allow is
//  malformed; release with wk_env_fini in both cases.
int wk_env_init (wk_env_t *env,
                 const edge_depot_cfg_t *depot,
                 const char *data_dir,
                 const char *url_allow);
//  Free what env holds (the S3 secret is wiped); NULL-safe.
void wk_env_fini (wk_env_t *env);
#endif
