/*  test_edge_cfg - loading a config table through a fake getenv: defaults,
    every type, bounds, required variables, several problems reported at
    once, and secrets kept out of the log.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_cfg.h"
#include "edge_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *name;
    int64_t count;
    bool is_on;
    char *listen;
    char *endpoint;
    int level;
    char *secret;
    char *allow;
    char *redis;
} s_config_t;

static const edge_cfg_spec_t s_spec[] = {
    {"T_NAME", EDGE_CFG_STR, offsetof (s_config_t, name), "dflt", 0, 0, false,
     "a name", NULL},
    {"T_COUNT", EDGE_CFG_INT, offsetof (s_config_t, count), "5", 1, 100, false,
     "a count", NULL},
    {"T_ON", EDGE_CFG_BOOL, offsetof (s_config_t, is_on), "false", 0, 0, false,
     "a switch", NULL},
    {"T_LISTEN", EDGE_CFG_HOSTPORT, offsetof (s_config_t, listen),
     "127.0.0.1:8080", 0, 0, false, "where to listen", NULL},
    {"T_ENDPOINT", EDGE_CFG_ENDPOINT, offsetof (s_config_t, endpoint),
     "tcp://127.0.0.1:5555", 0, 0, false, "a zmq endpoint", NULL},
    {"T_LEVEL", EDGE_CFG_LEVEL, offsetof (s_config_t, level), "info", 0, 0,
     false, "log level", NULL},
    {"T_SECRET", EDGE_CFG_STR, offsetof (s_config_t, secret), NULL, 0, 0, true,
     "a secret", edge_cfg_check_secret_b64},
    {"T_ALLOW", EDGE_CFG_STR, offsetof (s_config_t, allow), "", 0, 0, false,
     "allowed CIDRs", edge_cfg_check_cidrs},
    {"T_REDIS", EDGE_CFG_STR, offsetof (s_config_t, redis),
     "redis://127.0.0.1:6379/0", 0, 0, false, "redis URL",
     edge_cfg_check_redis_url},
};
#define S_COUNT (sizeof s_spec / sizeof s_spec[0])

//  base64 of "0123456789abcdef" (16 bytes)
#define S_SECRET "MDEyMzQ1Njc4OWFiY2RlZg=="

//  The fake environment: name/value pairs, NULL-terminated.
static const char *const *s_env;


static const char *
s_getenv (const char *name)
{
    for (size_t i = 0; s_env && s_env[i]; i += 2)
        if (strcmp (s_env[i], name) == 0)
            return s_env[i + 1];
    return NULL;
}


//  Load with env; returns the result of edge_cfg_load.
static int
s_load (const char *const *env, s_config_t *config)
{
    memset (config, 0, sizeof *config);
    s_env = env;
    return edge_cfg_load (s_spec, S_COUNT, config, s_getenv);
}


//  Capture what the log writes to stdout while fn runs.
typedef struct {
    FILE *file;
    int saved_fd;
} s_capture_t;


static void
s_capture_begin (s_capture_t *capture)
{
    fflush (stdout);
    capture->file = tmpfile ();
    assert_non_null (capture->file);
    capture->saved_fd = dup (STDOUT_FILENO);
    assert_true (capture->saved_fd >= 0);
    assert_true (dup2 (fileno (capture->file), STDOUT_FILENO) >= 0);
}


//  Stop capturing; returns the text written (caller frees).
static char *
s_capture_end (s_capture_t *capture)
{
    fflush (stdout);
    dup2 (capture->saved_fd, STDOUT_FILENO);
    close (capture->saved_fd);
    long size = ftell (capture->file);
    char *text = calloc (1, (size_t) (size > 0 ? size : 0) + 1);
    rewind (capture->file);
    if (size > 0)
        assert_int_equal (fread (text, 1, (size_t) size, capture->file), size);
    fclose (capture->file);
    return text;
}


static size_t
s_count (const char *text, const char *part)
{
    size_t count = 0;
    for (const char *p = strstr (text, part); p; p = strstr (p + 1, part))
        count++;
    return count;
}


static int
s_setup (void **state)
{
    (void) state;
    edge_log_threshold = EDGE_LOG_INFO;
    return 0;
}


static void
test_defaults_fill_every_type (void **state)
{
    (void) state;
    const char *env[] = {"T_SECRET", S_SECRET, NULL};
    s_config_t config;
    assert_int_equal (s_load (env, &config), 0);
    assert_string_equal (config.name, "dflt");
    assert_int_equal (config.count, 5);
    assert_false (config.is_on);
    assert_string_equal (config.listen, "127.0.0.1:8080");
    assert_string_equal (config.endpoint, "tcp://127.0.0.1:5555");
    assert_int_equal (config.level, EDGE_LOG_INFO);
    assert_string_equal (config.secret, S_SECRET);
    assert_string_equal (config.allow, "");
    assert_string_equal (config.redis, "redis://127.0.0.1:6379/0");
    edge_cfg_fini (s_spec, S_COUNT, &config);
}


static void
test_environment_overrides_defaults (void **state)
{
    (void) state;
    const char *env[] = {"T_NAME",     "given",
                         "T_COUNT",    "100",
                         "T_ON",       "YES",
                         "T_LISTEN",   "[::1]:9090",
                         "T_ENDPOINT", "tcp://10.0.0.5:7000",
                         "T_LEVEL",    "error",
                         "T_SECRET",   S_SECRET,
                         "T_ALLOW",    "127.0.0.0/8, ::1/128",
                         "T_REDIS",    "redis://:pw@localhost:6380/2",
                         NULL};
    s_config_t config;
    assert_int_equal (s_load (env, &config), 0);
    edge_log_threshold = EDGE_LOG_INFO;
    assert_string_equal (config.name, "given");
    assert_int_equal (config.count, 100);
    assert_true (config.is_on);
    assert_string_equal (config.listen, "[::1]:9090");
    assert_string_equal (config.endpoint, "tcp://10.0.0.5:7000");
    assert_int_equal (config.level, EDGE_LOG_ERROR);
    assert_string_equal (config.allow, "127.0.0.0/8, ::1/128");
    assert_string_equal (config.redis, "redis://:pw@localhost:6380/2");
    edge_cfg_fini (s_spec, S_COUNT, &config);
}


static void
test_empty_variable_means_default (void **state)
{
    (void) state;
    const char *env[] = {"T_SECRET", S_SECRET, "T_COUNT", "",
                         "T_NAME",   "",       NULL};
    s_config_t config;
    assert_int_equal (s_load (env, &config), 0);
    assert_int_equal (config.count, 5);
    assert_string_equal (config.name, "dflt");
    edge_cfg_fini (s_spec, S_COUNT, &config);
}


//  Load with one variable set (plus the secret); returns the result.
static int
s_load_one (const char *name, const char *value)
{
    //  The first match wins: the variable under test comes before the secret
    const char *env[] = {name, value, "T_SECRET", S_SECRET, NULL};
    s_config_t config;
    int rc = s_load (env, &config);
    edge_cfg_fini (s_spec, S_COUNT, &config);
    edge_log_threshold = EDGE_LOG_INFO;
    return rc;
}


static void
test_integer_bounds_are_inclusive (void **state)
{
    (void) state;
    s_capture_t capture;
    s_capture_begin (&capture);
    int rc_min = s_load_one ("T_COUNT", "1");
    int rc_max = s_load_one ("T_COUNT", "100");
    int rc_low = s_load_one ("T_COUNT", "0");
    int rc_high = s_load_one ("T_COUNT", "101");
    int rc_text = s_load_one ("T_COUNT", "abc");
    int rc_suffix = s_load_one ("T_COUNT", "5x");
    int rc_huge = s_load_one ("T_COUNT", "99999999999999999999");
    int rc_float = s_load_one ("T_COUNT", "2.5");
    free (s_capture_end (&capture));
    assert_int_equal (rc_min, 0);
    assert_int_equal (rc_max, 0);
    assert_int_equal (rc_low, -1);
    assert_int_equal (rc_high, -1);
    assert_int_equal (rc_text, -1);
    assert_int_equal (rc_suffix, -1);
    assert_int_equal (rc_huge, -1);
    assert_int_equal (rc_float, -1);
}


static void
test_bool_hostport_endpoint_and_level_are_validated (void **state)
{
    (void) state;
    struct {
        const char *name, *value;
        int rc;
    } cases[] = {
        {"T_ON", "1", 0},
        {"T_ON", "off", 0},
        {"T_ON", "TRUE", 0},
        {"T_ON", "maybe", -1},
        {"T_ON", "2", -1},
        {"T_LISTEN", "0.0.0.0:1", 0},
        {"T_LISTEN", "host:65535", 0},
        {"T_LISTEN", "host:0", -1},
        {"T_LISTEN", "host:65536", -1},
        {"T_LISTEN", "host", -1},
        {"T_LISTEN", ":80", -1},
        {"T_LISTEN", "host:http", -1},
        {"T_ENDPOINT", "tcp://*:5555", 0},
        {"T_ENDPOINT", "127.0.0.1:5555", -1},
        {"T_ENDPOINT", "ipc:///tmp/x", -1},
        {"T_ENDPOINT", "tcp://host", -1},
        {"T_LEVEL", "debug", 0},
        {"T_LEVEL", "WARN", 0},
        {"T_LEVEL", "verbose", -1},
        {"T_ALLOW", "10.0.0.0/8", 0},
        {"T_ALLOW", "10.0.0.0/88", -1},
        {"T_REDIS", "http://127.0.0.1/", -1},
        {"T_SECRET", "MDEyMzQ1Njc4OWFiY2Rl", -1}, //  15 bytes
        {"T_SECRET", "not base64!", -1},
    };
    size_t count = sizeof cases / sizeof cases[0];
    int rcs[64];
    s_capture_t capture;
    s_capture_begin (&capture);
    for (size_t i = 0; i < count; i++)
        rcs[i] = s_load_one (cases[i].name, cases[i].value);
    free (s_capture_end (&capture));
    for (size_t i = 0; i < count; i++)
        if (rcs[i] != cases[i].rc)
            fail_msg ("%s='%s' gave %d, expected %d", cases[i].name,
                      cases[i].value, rcs[i], cases[i].rc);
}


static void
test_level_sets_the_log_threshold (void **state)
{
    (void) state;
    const char *env[] = {"T_SECRET", S_SECRET, "T_LEVEL", "warn", NULL};
    s_config_t config;
    assert_int_equal (s_load (env, &config), 0);
    assert_int_equal (edge_log_threshold, EDGE_LOG_WARN);
    assert_int_equal (config.level, EDGE_LOG_WARN);
    edge_log_threshold = EDGE_LOG_INFO;
    edge_cfg_fini (s_spec, S_COUNT, &config);
}


static void
test_missing_required_variable_fails (void **state)
{
    (void) state;
    const char *empty[] = {"T_SECRET", "", NULL};
    s_config_t config;
    s_capture_t capture;
    s_capture_begin (&capture);
    int rc_absent = s_load (NULL, &config);
    edge_cfg_fini (s_spec, S_COUNT, &config);
    int rc_empty = s_load (empty, &config);
    edge_cfg_fini (s_spec, S_COUNT, &config);
    char *log = s_capture_end (&capture);
    assert_int_equal (rc_absent, -1);
    assert_int_equal (rc_empty, -1);
    assert_int_equal (s_count (log, "config: T_SECRET is required"), 2);
    free (log);
}


static void
test_every_bad_variable_is_reported_at_once (void **state)
{
    (void) state;
    const char *env[] = {"T_COUNT",  "abc",  "T_ON",    "maybe",
                         "T_LISTEN", "nope", "T_ALLOW", "x/1",
                         "T_NAME",   "ok",   NULL};
    s_config_t config;
    s_capture_t capture;
    s_capture_begin (&capture);
    int rc = s_load (env, &config);
    char *log = s_capture_end (&capture);
    assert_int_equal (rc, -1);
    //  Four bad values and one missing secret: five lines, one each
    assert_int_equal (s_count (log, " E "), 5);
    assert_int_equal (s_count (log, "T_COUNT='abc' is invalid"), 1);
    assert_int_equal (s_count (log, "T_ON='maybe' is invalid"), 1);
    assert_int_equal (s_count (log, "T_LISTEN='nope' is invalid"), 1);
    assert_int_equal (s_count (log, "T_ALLOW='x/1' is invalid: bad CIDR"), 1);
    assert_int_equal (s_count (log, "T_SECRET is required"), 1);
    //  Good rows were still read
    assert_string_equal (config.name, "ok");
    free (log);
    edge_cfg_fini (s_spec, S_COUNT, &config);
}


static void
test_secrets_stay_out_of_the_log (void **state)
{
    (void) state;
    const char *bad[] = {"T_SECRET", "hunter2-not-base64", NULL};
    const char *good[] = {"T_SECRET", S_SECRET, NULL};
    s_config_t config;
    s_capture_t capture;
    s_capture_begin (&capture);
    int rc_bad = s_load (bad, &config);
    edge_cfg_fini (s_spec, S_COUNT, &config);
    int rc_good = s_load (good, &config);
    edge_cfg_print (s_spec, S_COUNT, &config);
    char *log = s_capture_end (&capture);
    assert_int_equal (rc_bad, -1);
    assert_int_equal (rc_good, 0);
    assert_null (strstr (log, "hunter2"));
    assert_null (strstr (log, S_SECRET));
    assert_non_null (strstr (log, "T_SECRET is invalid"));
    assert_non_null (strstr (log, "T_SECRET=********"));
    assert_non_null (strstr (log, "T_COUNT=5"));
    assert_non_null (strstr (log, "T_NAME=dflt"));
    free (log);
    edge_cfg_fini (s_spec, S_COUNT, &config);
}


static void
test_fini_frees_and_clears_strings (void **state)
{
    (void) state;
    const char *env[] = {"T_SECRET", S_SECRET, NULL};
    s_config_t config;
    assert_int_equal (s_load (env, &config), 0);
    edge_cfg_fini (s_spec, S_COUNT, &config);
    assert_null (config.name);
    assert_null (config.listen);
    assert_null (config.endpoint);
    assert_null (config.secret);
    assert_null (config.redis);
    assert_int_equal (config.count, 5);
    edge_cfg_fini (s_spec, S_COUNT, &config);
}


static void
test_checks_explain_their_refusals (void **state)
{
    (void) state;
    char why[160] = "";
    assert_int_equal (
        edge_cfg_check_cidrs ("10.0.0.0/8, fd00::/8", why, sizeof why), 0);
    assert_int_equal (edge_cfg_check_cidrs ("10.0.0.0/8,bad", why, sizeof why),
                      -1);
    assert_string_equal (why, "bad CIDR 'bad'");
    assert_int_equal (edge_cfg_check_secret_b64 (S_SECRET, why, sizeof why), 0);
    assert_int_equal (
        edge_cfg_check_secret_b64 ("MDEyMzQ1Njc4OWFiY2RlZg", why, sizeof why),
        0);
    why[0] = 0;
    assert_int_equal (edge_cfg_check_secret_b64 ("", why, sizeof why), -1);
    assert_true (strlen (why) > 0);
    assert_int_equal (
        edge_cfg_check_redis_url ("redis://127.0.0.1:6379/0", why, sizeof why),
        0);
    why[0] = 0;
    assert_int_equal (
        edge_cfg_check_redis_url ("127.0.0.1:6379", why, sizeof why), -1);
    assert_true (strlen (why) > 0);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_defaults_fill_every_type, s_setup),
        cmocka_unit_test_setup (test_environment_overrides_defaults, s_setup),
        cmocka_unit_test_setup (test_empty_variable_means_default, s_setup),
        cmocka_unit_test_setup (test_integer_bounds_are_inclusive, s_setup),
        cmocka_unit_test_setup (
            test_bool_hostport_endpoint_and_level_are_validated, s_setup),
        cmocka_unit_test_setup (test_level_sets_the_log_threshold, s_setup),
        cmocka_unit_test_setup (test_missing_required_variable_fails, s_setup),
        cmocka_unit_test_setup (test_every_bad_variable_is_reported_at_once,
                                s_setup),
        cmocka_unit_test_setup (test_secrets_stay_out_of_the_log, s_setup),
        cmocka_unit_test_setup (test_fini_frees_and_clears_strings, s_setup),
        cmocka_unit_test_setup (test_checks_explain_their_refusals, s_setup),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
