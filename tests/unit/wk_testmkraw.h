/*  wk_testmkraw - the fixture of the mkraw tests (test_wk_mkraw,
    test_wk_mkraw_traces): wk_tests3 without s3rver, whose scratch
    directory is the file:// depot of the jobs' environment; depot paths
    and listings, and a job runner. Test-only: one fixture per process;
    cmocka asserts on failures inside tests; not thread-safe.  */
#ifndef WK_TESTMKRAW_H_INCLUDED
#define WK_TESTMKRAW_H_INCLUDED
#include "wk_job.h"
#include "wk_tests3.h"
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

//  Run a command on the test's connection; it must not fail.
#define WK_TESTMKRAW_REDIS(...)                                                \
    WK_TESTS3_REDIS (wk_testmkraw_fixture ()->check, __VA_ARGS__)

//  Start the fixture (wk_tests3_start with name) and the jobs'
//  environment on its depot with segment_max. Returns 0, 77 when
//  redis-server is missing (skip the test) or 1; wk_testmkraw_stop is
//  safe after each.
int wk_testmkraw_start (const char *name, uint64_t segment_max);
//  Drop the environment, then stop the fixture and remove the depot.
void wk_testmkraw_stop (void);
//  The fixture. Borrowed: valid until wk_testmkraw_stop.
wk_tests3_t *wk_testmkraw_fixture (void);
//  Set the environment on the depot again (after a test changed it).
void wk_testmkraw_setup (void);
//  The environment with depot url instead (NULL: no depot settings).
void wk_testmkraw_set_depot (const char *url);
//  cmocka setup: FLUSHALL and an empty depot.
int wk_testmkraw_reset (void **state);

//  Path of a depot key. Caller frees.
char *wk_testmkraw_path (const char *key);
//  True when the depot key exists.
bool wk_testmkraw_exists (const char *key);
//  Entries of depot directory key (not "." or ".."), or -1 when missing.
int wk_testmkraw_entries (const char *key);
//  Names in depot directory key, ignoring "." and "..", as "a b c " in
//  directory order; "" when empty or missing. Caller frees.
char *wk_testmkraw_listing (const char *key);
//  Sum of the sizes of the regular files directly in depot directory key
//  (which must exist).
int64_t wk_testmkraw_dir_bytes (const char *key);

//  Run a mkraw job (org acme, worker w1) with params text on the
//  handler's connection and the environment; the caller calls wk_job_fini.
wk_job_rc_t wk_testmkraw_run (const char *task,
                              int attempt,
                              const char *params_text,
                              atomic_int *cancel,
                              wk_job_t *job);
//  The integer member field of obj (asserted to be one).
int64_t wk_testmkraw_int (const json_t *obj, const char *field);
#endif
