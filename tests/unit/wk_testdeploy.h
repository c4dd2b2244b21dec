/*  wk_testdeploy - the fixture of the deploy tests (test_wk_deploy,
    test_wk_deploy_s3) on wk_tests3: a depot holding a fake image of build
    2 of acme/app1 and its patch from build 1 (plus build 3 and a second
    image of build 2), the app with build 1 current and registered to the
    origins fsA, fsB and (with s3rver) s3C, a hook log of the writes to
    the origins, and assertions on origins, job errors, the app hash and
    e:gc:due. Test-only: one fixture per process; cmocka asserts on
    failures inside tests; not thread-safe.  */
#ifndef WK_TESTDEPLOY_H_INCLUDED
#define WK_TESTDEPLOY_H_INCLUDED
#include "wk_job.h"
#include "wk_tests3.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WK_TESTDEPLOY_KEYS        5
#define WK_TESTDEPLOY_MORE        6
#define WK_TESTDEPLOY_GC_DELAY_MS 5000
//  Deploy params of build 2 named b2 (sizeBytes 5000) with the rest.
#define WK_TESTDEPLOY_PARAMS(rest)                                             \
    "{\"appName\":\"app1\",\"buildName\":\"b2\",\"sizeBytes\":5000," rest "}"
//  Build 1 as the app has it before the tests' deploys.
#define WK_TESTDEPLOY_BUILD1                                                   \
    "{\"buildId\":1,\"buildName\":\"b1\",\"dxfName\":\"img-1\","               \
    "\"sizeBytes\":100,\"created\":\"2026-01-01T00:00:00.000Z\"}"

//  The depot keys of the fake image and patch (manifests included).
extern const char *const wk_testdeploy_keys[WK_TESTDEPLOY_KEYS];
//  Other depot objects: build 3 (image and patch from 2), a second image
//  of build 2.
extern const char *const wk_testdeploy_more[WK_TESTDEPLOY_MORE];
//  The params of the deploy of image img-a of build 2, patch from 1.
extern const char *const wk_testdeploy_params;

//  Start the fixture: wk_tests3_start (name, no_npm). Returns 0, 77 or 1.
int wk_testdeploy_start (const char *name, const char *no_npm);
//  Stop it (wk_tests3_stop).
void wk_testdeploy_stop (void);
//  The fixture (conn is the handler's, check the test's). Borrowed: valid
//  until wk_testdeploy_stop.
wk_tests3_t *wk_testdeploy_fixture (void);
//  cmocka group setup: fill the depot, the jobs' environment on it with
//  the hook.
int wk_testdeploy_setup (void **state);
//  The jobs' environment with depot url instead, short retries, the test
//  gc delay and the hook (NULL: no depot settings).
void wk_testdeploy_set_depot (const char *url);
//  The jobs' environment (tests change its hook). Borrowed: valid until
//  the next wk_testdeploy_set_depot or teardown.
wk_env_t *wk_testdeploy_env (void);
//  cmocka group teardown: drop the environment, clear the hook log.
int wk_testdeploy_teardown (void **state);
//  cmocka setup: fresh Redis state (app1 registered to every origin in
//  use), empty origins, empty hook log.
int wk_testdeploy_reset (void **state);

//  The deploy hook (wk_env_t.deploy_hook) that logs "deployment key" for each
//  write.
void wk_testdeploy_hook (const char *deployment, const char *key, void *arg);
//  Clear the hook log.
void wk_testdeploy_log_clear (void);
//  Entries in the hook log, and entry i (borrowed: valid until cleared).
size_t wk_testdeploy_logged (void);
const char *wk_testdeploy_log (size_t i);
//  Deterministic content of depot key index i (some KiB, distinct).
//  Caller frees.
char *wk_testdeploy_content (size_t i, size_t *size);
//  Run a deploy job with params text (cancelled before it starts when
//  is_cancelled); the caller calls wk_job_fini.
wk_job_rc_t
wk_testdeploy_run (const char *params_text, bool is_cancelled, wk_job_t *job);
//  Run a deploy job with params text to success.
void wk_testdeploy_run_done (const char *params_text);

//  Origin name holds every depot key under its prefix, byte for byte.
void wk_testdeploy_assert_origin (const char *name);
//  The names of the origins in use (s3C only with s3rver) into names[3];
//  returns their count.
size_t wk_testdeploy_origins (const char **names);
//  In the hook log of deployment name, every manifest comes after every
//  segment, and the image's manifest is the very last write. Returns the
//  number of writes to name.
size_t wk_testdeploy_assert_manifests_last (const char *name,
                                            const char *prefix);
//  job->error is exactly the deployment object with these lists.
void wk_testdeploy_assert_error (const wk_job_t *job,
                                 const char *failed,
                                 const char *ok);
//  A JSON hash field of the app (caller owns), or NULL when absent.
json_t *wk_testdeploy_app_json (const char *field);
//  The app's field is exactly the JSON want_text.
void wk_testdeploy_assert_app_json (const char *field, const char *want_text);
//  The only e:gc:due entry (of acme/app1): its prefixes sorted, one a
//  line (caller frees), and its score.
char *wk_testdeploy_gc_entry (int64_t *score);
//  The number of e:gc:due entries.
long long wk_testdeploy_zcard (void);
#endif
