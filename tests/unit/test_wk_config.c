/*  test_wk_config - the worker's configuration table.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_log.h"
#include "wk_config.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

//  The fake environment: name=value pairs, NULL-terminated.
static const char **s_env;


static const char *
s_getenv (const char *name)
{
    for (size_t i = 0; s_env && s_env[i]; i += 2)
        if (strcmp (s_env[i], name) == 0)
            return s_env[i + 1];
    return NULL;
}


static void
test_defaults_work_locally_and_an_id_is_generated (void **state)
{
    (void) state;
    s_env = NULL;
    wk_config_t config;
    assert_int_equal (wk_config_load (&config, s_getenv), 0);
    assert_string_equal (config.redis_url, "redis://127.0.0.1:6379/0");
    assert_string_equal (config.frontend, "tcp://127.0.0.1:5555");
    assert_string_equal (config.backend, "tcp://127.0.0.1:5556");
    assert_int_equal (config.capacity, 1);
    assert_int_equal (config.heartbeat_ms, 1000);
    assert_int_equal (config.lease_ms, 30000);
    assert_int_equal (config.reaper_interval_ms, 2000);
    assert_int_equal (config.reaper_resend_ms, 5000);
    assert_int_equal (config.max_attempts, 3);
    //  <hostname>-<pid>-<4 hex>
    char pid[32];
    snprintf (pid, sizeof pid, "-%d-", (int) getpid ());
    const char *mark = strstr (config.worker_id, pid);
    assert_non_null (mark);
    assert_int_equal (strlen (mark + strlen (pid)), 4);
    assert_true (mark > config.worker_id);
    wk_config_print (&config);
    wk_config_fini (&config);
    assert_null (config.worker_id);
    assert_null (config.redis_url);
}


static void
test_explicit_values_are_taken (void **state)
{
    (void) state;
    const char *env[] = {"EDGE_WORKER_ID",
                         "worker7",
                         "EDGE_WORKER_CAPACITY",
                         "4",
                         "EDGE_LEASE_MS",
                         "1000",
                         "EDGE_BROKER_BACKEND",
                         "tcp://10.0.0.1:7000",
                         NULL};
    s_env = env;
    wk_config_t config;
    assert_int_equal (wk_config_load (&config, s_getenv), 0);
    assert_string_equal (config.worker_id, "worker7");
    assert_int_equal (config.capacity, 4);
    assert_int_equal (config.lease_ms, 1000);
    assert_string_equal (config.backend, "tcp://10.0.0.1:7000");
    wk_config_fini (&config);
}


static void
test_bad_values_are_refused (void **state)
{
    (void) state;
    static const char *cases[][2] = {
        {"EDGE_WORKER_CAPACITY", "0"},    {"EDGE_WORKER_CAPACITY", "many"},
        {"EDGE_WORKER_ID", "has space"},  {"EDGE_LEASE_MS", "10"},
        {"EDGE_REDIS_URL", "rediss://h"}, {"EDGE_BROKER_BACKEND", "ipc://x"},
        {"EDGE_TASK_MAX_ATTEMPTS", "0"},  {"EDGE_HEARTBEAT_MS", "soon"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {cases[i][0], cases[i][1], NULL};
        s_env = env;
        wk_config_t config;
        if (wk_config_load (&config, s_getenv) == 0)
            fail_msg ("%s=%s accepted", cases[i][0], cases[i][1]);
        wk_config_fini (&config);
    }
}


int
main (void)
{
    edge_log_init ("test");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_defaults_work_locally_and_an_id_is_generated),
        cmocka_unit_test (test_explicit_values_are_taken),
        cmocka_unit_test (test_bad_values_are_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
