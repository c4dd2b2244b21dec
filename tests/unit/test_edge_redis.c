/*  test_edge_redis - URL parsing, commands, reconnect after a restart of
    redis-server on the same port, scripts and NOSCRIPT, AUTH and SELECT,
    against a real redis-server.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_redis.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static edge_testutil_redis_t s_server;


//  Start redis-server on port (same flags as edge_testutil) in dir.
static pid_t
s_server_spawn (int port, const char *dir)
{
    char portstr[16];
    snprintf (portstr, sizeof portstr, "%d", port);
    pid_t pid = fork ();
    if (pid == 0) {
        if (!freopen ("/dev/null", "w", stdout))
            _exit (127);
        execlp ("redis-server", "redis-server", "--port", portstr, "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
                (char *) NULL);
        _exit (127);
    }
    return pid;
}


static void
s_server_kill (pid_t pid)
{
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
}


//  A plain command expected to answer a status or string; returns 0 if so.
static int
s_simple (edge_redis_t *redis, const char *cmd)
{
    redisReply *reply = edge_redis_command (redis, cmd);
    int rc = reply
                     && (reply->type == REDIS_REPLY_STATUS
                         || reply->type == REDIS_REPLY_STRING
                         || reply->type == REDIS_REPLY_INTEGER)
                 ? 0
                 : -1;
    freeReplyObject (reply);
    return rc;
}


typedef struct {
    const char *text;
    const char *host;
    int port;
    int db;
    const char *user;
    const char *password;
} s_good_url_t;

static void
test_valid_urls_parse_into_their_parts (void **state)
{
    (void) state;
    static const s_good_url_t cases[] = {
        {"redis://127.0.0.1:6379/0", "127.0.0.1", 6379, 0, NULL, NULL},
        {"redis://localhost", "localhost", 6379, 0, NULL, NULL},
        {"redis://cache.example.com:7000", "cache.example.com", 7000, 0, NULL,
         NULL},
        {"redis://h/", "h", 6379, 0, NULL, NULL},
        {"redis://h:1/15", "h", 1, 15, NULL, NULL},
        {"REDIS://h:65535/3", "h", 65535, 3, NULL, NULL},
        {"redis://:secret@h:6380/2", "h", 6380, 2, NULL, "secret"},
        {"redis://alice:pw@h", "h", 6379, 0, "alice", "pw"},
        {"redis://:p%40ss%2Fw%3Ard@h", "h", 6379, 0, NULL, "p@ss/w:rd"},
        {"redis://:p@ss/w@h:1/4", "h", 1, 4, NULL, "p@ss/w"},
        {"redis://[::1]:6390/1", "::1", 6390, 1, NULL, NULL},
        {"redis://[::1]", "::1", 6379, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        edge_redis_url_t url;
        char why[160] = "";
        int rc = edge_redis_url_parse (cases[i].text, &url, why, sizeof why);
        if (rc != 0)
            fail_msg ("%s: %s", cases[i].text, why);
        assert_string_equal (url.host, cases[i].host);
        assert_int_equal (url.port, cases[i].port);
        assert_int_equal (url.db, cases[i].db);
        if (cases[i].user)
            assert_string_equal (url.username, cases[i].user);
        else
            assert_null (url.username);
        if (cases[i].password)
            assert_string_equal (url.password, cases[i].password);
        else
            assert_null (url.password);
        edge_redis_url_fini (&url);
        assert_null (url.host);
        assert_null (url.password);
    }
}


typedef struct {
    const char *text;
    const char *why_part;
} s_bad_url_t;

static void
test_bad_urls_are_refused_with_a_reason_that_hides_the_password (void **state)
{
    (void) state;
    static const s_bad_url_t cases[] = {
        {"rediss://h:6380", "TLS"},
        {"unix:///tmp/redis.sock", "unix sockets"},
        {"redis+unix:///tmp/redis.sock", "unix sockets"},
        {"http://h:6379", "expected redis://"},
        {"", "expected redis://"},
        {"redis://", "missing host"},
        {"redis://:6379", "missing host"},
        {"redis://h:0", "port"},
        {"redis://h:65536", "port"},
        {"redis://h:abc", "port"},
        {"redis://h:", "port"},
        {"redis://h/x", "database"},
        {"redis://h/-1", "database"},
        {"redis://h/1/2", "database"},
        {"redis://h?db=1", "query"},
        {"redis://alice@h", "password"},
        {"redis://alice:@h", "password"},
        {"redis://:hunter2%zz@h", "escape"},
        {"redis://:hunter2%4@h", "escape"},
        {"redis://:hunter2%00@h", "escape"},
        {"redis://:hunter2@bad host", "host"},
        {"redis://:hunter2@::1:6379", "host"},
        {"redis://[::1", "host"},
        {"redis://[zz]:1", "host"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        edge_redis_url_t url;
        char why[160] = "";
        if (edge_redis_url_parse (cases[i].text, &url, why, sizeof why) == 0)
            fail_msg ("%s was accepted", cases[i].text);
        if (!strstr (why, cases[i].why_part))
            fail_msg ("%s: why '%s' lacks '%s'", cases[i].text, why,
                      cases[i].why_part);
        assert_null (strstr (why, "hunter2"));
    }
}


static void
test_new_refuses_a_bad_url_and_destroy_nulls_and_is_null_safe (void **state)
{
    (void) state;
    assert_null (edge_redis_new ("rediss://h", 100));
    edge_redis_t *redis = edge_redis_new ("redis://127.0.0.1:1/0", 100);
    assert_non_null (redis);
    assert_false (edge_redis_is_connected (redis));
    edge_redis_destroy (&redis);
    assert_null (redis);
    edge_redis_destroy (&redis);
}


static void
test_commands_round_trip_binary_safe (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new (s_server.url, 2000);
    redisReply *reply = edge_redis_command (redis, "SET %s %s", "k", "v 1");
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STATUS);
    freeReplyObject (reply);
    assert_true (edge_redis_is_connected (redis));
    const char *argv[] = {"SET", "bin", "a\0b"};
    size_t lens[] = {3, 3, 3};
    reply = edge_redis_argv (redis, 3, argv, lens);
    freeReplyObject (reply);
    reply = edge_redis_command (redis, "GET bin");
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    assert_int_equal (reply->len, 3);
    assert_memory_equal (reply->str, "a\0b", 3);
    freeReplyObject (reply);
    reply = edge_redis_command (redis, "GET %s", "k");
    assert_string_equal (reply->str, "v 1");
    freeReplyObject (reply);
    //  A Redis error is a reply, not a connection failure
    reply = edge_redis_command (redis, "NOSUCHCOMMAND");
    assert_int_equal (reply->type, REDIS_REPLY_ERROR);
    freeReplyObject (reply);
    assert_true (edge_redis_is_connected (redis));
    edge_redis_destroy (&redis);
}


static bool
s_ping_works (void *arg)
{
    return s_simple (arg, "PING") == 0;
}


//  A plain and a shared handle alike: NULL while the server is down,
//  reconnected once it is back.
static void
test_restarted_server_is_reached_again_after_backoff (void **state)
{
    (void) state;
    char dir[] = "/tmp/edge-test-redis2-XXXXXX";
    assert_non_null (mkdtemp (dir));
    int port = edge_testutil_free_port ();
    pid_t pid = s_server_spawn (port, dir);
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", port);
    for (int shared = 0; shared < 2; shared++) {
        edge_redis_t *redis = shared ? edge_redis_new_shared (url, 1000)
                                     : edge_redis_new (url, 1000);
        assert_true (edge_testutil_poll (s_ping_works, redis, 10000));
        assert_true (edge_redis_is_connected (redis));

        s_server_kill (pid);
        assert_null (edge_redis_command (redis, "PING"));
        assert_false (edge_redis_is_connected (redis));
        //  While down, commands fail fast (backoff), never block or crash
        for (int i = 0; i < 20; i++)
            assert_null (edge_redis_command (redis, "PING"));

        pid = s_server_spawn (port, dir);
        assert_true (edge_testutil_poll (s_ping_works, redis, 15000));
        assert_true (edge_redis_is_connected (redis));
        edge_redis_destroy (&redis);
    }
    s_server_kill (pid);
    rmdir (dir);
}


//  An idle connection whose server went away and came back (a failover,
//  a restart) is replaced before the next command, which then succeeds:
//  only a command on the wire when the server dies fails.
static void
test_an_idle_connection_to_a_restarted_server_is_replaced_unseen (void **state)
{
    (void) state;
    char dir[] = "/tmp/edge-test-redis4-XXXXXX";
    assert_non_null (mkdtemp (dir));
    int port = edge_testutil_free_port ();
    pid_t pid = s_server_spawn (port, dir);
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0", port);
    for (int shared = 0; shared < 2; shared++) {
        edge_redis_t *redis = shared ? edge_redis_new_shared (url, 1000)
                                     : edge_redis_new (url, 1000);
        edge_redis_t *probe = edge_redis_new (url, 1000);
        assert_true (edge_testutil_poll (s_ping_works, redis, 10000));
        s_server_kill (pid);
        pid = s_server_spawn (port, dir);
        assert_true (edge_testutil_poll (s_ping_works, probe, 15000));
        //  The handle has been idle for longer than its check period
        edge_sleep_ms (150, NULL);
        assert_int_equal (s_simple (redis, "PING"), 0);
        edge_redis_destroy (&probe);
        edge_redis_destroy (&redis);
    }
    s_server_kill (pid);
    rmdir (dir);
}


static void
test_unreachable_server_backs_off_between_attempts (void **state)
{
    (void) state;
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0",
              edge_testutil_free_port ());
    edge_redis_t *redis = edge_redis_new (url, 200);
    assert_int_equal (edge_redis_connect (redis), -1);
    //  The next attempt is not due before 100 ms: this one is refused at once
    int64_t start = edge_mono_ms ();
    assert_int_equal (edge_redis_connect (redis), -1);
    assert_true (edge_mono_ms () - start < 50);
    edge_redis_destroy (&redis);
}


static edge_redis_script_t s_echo = {
    .source = "return KEYS[1] .. ':' .. ARGV[1] .. ':' .. ARGV[2]"};

static void
test_eval_sends_the_script_after_noscript_and_caches_its_sha (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new (s_server.url, 2000);
    assert_int_equal (s_simple (redis, "SCRIPT FLUSH"), 0);
    const char *keys[] = {"k"};
    const char *args[] = {"a", "b"};
    redisReply *reply = edge_redis_eval (redis, &s_echo, 1, keys, 2, args);
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_STRING);
    assert_string_equal (reply->str, "k:a:b");
    freeReplyObject (reply);
    //  The locally computed sha is the one Redis uses
    reply = edge_redis_command (redis, "SCRIPT LOAD %s", s_echo.source);
    assert_string_equal (reply->str, s_echo.sha);
    freeReplyObject (reply);
    reply = edge_redis_command (redis, "SCRIPT EXISTS %s", s_echo.sha);
    assert_int_equal (reply->element[0]->integer, 1);
    freeReplyObject (reply);

    assert_int_equal (s_simple (redis, "SCRIPT FLUSH"), 0);
    reply = edge_redis_eval (redis, &s_echo, 1, keys, 2, args);
    assert_string_equal (reply->str, "k:a:b");
    freeReplyObject (reply);
    //  A script error is returned as an error reply
    static edge_redis_script_t s_bad = {.source = "return redis.call('NOPE')"};
    reply = edge_redis_eval (redis, &s_bad, 0, NULL, 0, NULL);
    assert_int_equal (reply->type, REDIS_REPLY_ERROR);
    freeReplyObject (reply);
    assert_true (edge_redis_is_connected (redis));
    edge_redis_destroy (&redis);
}


static edge_redis_script_t s_shared = {.source =
                                           "return tonumber(ARGV[1]) * 2"};

static void *
s_eval_many (void *arg)
{
    (void) arg;
    edge_redis_t *redis = edge_redis_new (s_server.url, 2000);
    intptr_t failures = 0;
    for (int i = 0; i < 50; i++) {
        char num[16];
        snprintf (num, sizeof num, "%d", i);
        const char *args[] = {num};
        redisReply *reply =
            edge_redis_eval (redis, &s_shared, 0, NULL, 1, args);
        if (!reply || reply->type != REDIS_REPLY_INTEGER
            || reply->integer != 2 * i)
            failures++;
        freeReplyObject (reply);
    }
    edge_redis_destroy (&redis);
    return (void *) failures;
}

static void
test_one_script_shared_by_threads_on_their_own_connections (void **state)
{
    (void) state;
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal (pthread_create (&threads[i], NULL, s_eval_many, NULL),
                          0);
    for (int i = 0; i < 4; i++) {
        void *failures;
        pthread_join (threads[i], &failures);
        assert_int_equal ((intptr_t) failures, 0);
    }
}


//  Plain commands in one round trip, in order, binary safe; a dead server
//  answers -1 with every reply NULL.
static void
test_pipeline_answers_each_command_in_order (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new_shared (s_server.url, 2000);
    const char *set[] = {"SET", "edge-test-pipe", "v1"};
    const char *get[] = {"GET", "edge-test-pipe"};
    const char *bad[] = {"NOSUCHCOMMAND"};
    const char *const *argvs[] = {set, get, bad};
    const int argcs[] = {3, 2, 1};
    redisReply *replies[3];
    assert_int_equal (edge_redis_pipeline (redis, 3, argcs, argvs, replies),
                      0);
    assert_int_equal (replies[0]->type, REDIS_REPLY_STATUS);
    assert_string_equal (replies[1]->str, "v1");
    assert_int_equal (replies[2]->type, REDIS_REPLY_ERROR);
    for (int i = 0; i < 3; i++)
        freeReplyObject (replies[i]);
    edge_redis_destroy (&redis);
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0",
              edge_testutil_free_port ());
    redis = edge_redis_new (url, 200);
    assert_int_equal (edge_redis_pipeline (redis, 2, argcs, argvs, replies),
                      -1);
    assert_null (replies[0]);
    assert_null (replies[1]);
    edge_redis_destroy (&redis);
}


//  Threads of one shared handle: every caller gets the reply to its own
//  command, whatever group it went in.
typedef struct {
    edge_redis_t *redis;
    int id;
} s_worker_arg_t;

static void *
s_shared_calls (void *arg)
{
    s_worker_arg_t *w = arg;
    intptr_t failures = 0;
    for (int i = 0; i < 300; i++) {
        char num[32];
        snprintf (num, sizeof num, "%d", w->id * 100000 + i);
        const char *args[] = {num};
        redisReply *reply =
            edge_redis_eval (w->redis, &s_shared, 0, NULL, 1, args);
        if (!reply || reply->type != REDIS_REPLY_INTEGER
            || reply->integer != 2LL * (w->id * 100000 + i))
            failures++;
        freeReplyObject (reply);
        reply = edge_redis_command (w->redis, "ECHO %s", num);
        if (!reply || reply->type != REDIS_REPLY_STRING
            || strcmp (reply->str, num) != 0)
            failures++;
        freeReplyObject (reply);
    }
    return (void *) failures;
}

static void
test_a_shared_handle_answers_each_thread_its_own_reply (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new_shared (s_server.url, 2000);
    assert_non_null (redis);
    enum { N = 8 };
    pthread_t threads[N];
    s_worker_arg_t args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (s_worker_arg_t) {redis, i};
        assert_int_equal (
            pthread_create (&threads[i], NULL, s_shared_calls, &args[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        void *failures;
        pthread_join (threads[i], &failures);
        assert_int_equal ((intptr_t) failures, 0);
    }
    uint64_t groups, commands;
    size_t queued;
    edge_redis_group_stats (redis, &groups, &commands, &queued);
    assert_true (commands >= N * 600); //  + EVAL after NOSCRIPT
    assert_true (groups > 0 && groups <= commands);
    assert_int_equal (queued, 0);
    edge_redis_destroy (&redis);
}


typedef struct {
    edge_redis_t *redis;
    const char *cmd;
    redisReply *reply;
} s_call_arg_t;

static void *
s_one_call (void *arg)
{
    s_call_arg_t *c = arg;
    c->reply = edge_redis_command (c->redis, c->cmd);
    return NULL;
}

static bool
s_four_queued (void *arg)
{
    uint64_t groups, commands;
    size_t queued;
    edge_redis_group_stats (arg, &groups, &commands, &queued);
    return queued == 4;
}

static bool
s_slow_sent (void *arg)
{
    uint64_t groups, commands;
    size_t queued;
    edge_redis_group_stats (arg, &groups, &commands, &queued);
    return groups >= 2;
}

//  Commands sent while a group is on the wire wait and go out together as
//  the next group: four commands, one group.
static void
test_commands_queued_behind_a_group_go_out_as_one (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new_shared (s_server.url, 3000);
    assert_int_equal (s_simple (redis, "PING"), 0); //  connected: group 1
    //  A slow command holds the connection (BLPOP waits 2 s: group 2)
    s_call_arg_t slow = {redis, "BLPOP edge-test-nothing 2", NULL};
    pthread_t slow_thread, threads[4];
    assert_int_equal (pthread_create (&slow_thread, NULL, s_one_call, &slow),
                      0);
    assert_true (edge_testutil_poll (s_slow_sent, redis, 5000));
    s_call_arg_t calls[4];
    const char *cmds[] = {"ECHO a", "ECHO b", "ECHO c", "ECHO d"};
    for (int i = 0; i < 4; i++) {
        calls[i] = (s_call_arg_t) {redis, cmds[i], NULL};
        assert_int_equal (
            pthread_create (&threads[i], NULL, s_one_call, &calls[i]), 0);
    }
    assert_true (edge_testutil_poll (s_four_queued, redis, 5000));
    pthread_join (slow_thread, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join (threads[i], NULL);
    assert_non_null (slow.reply);
    assert_int_equal (slow.reply->type, REDIS_REPLY_NIL);
    freeReplyObject (slow.reply);
    for (int i = 0; i < 4; i++) {
        assert_non_null (calls[i].reply);
        assert_string_equal (calls[i].reply->str, cmds[i] + 5);
        freeReplyObject (calls[i].reply);
    }
    uint64_t groups, commands;
    size_t queued;
    edge_redis_group_stats (redis, &groups, &commands, &queued);
    assert_int_equal (groups, 3);
    assert_int_equal (commands, 6);
    edge_redis_destroy (&redis);
}


static void
test_password_user_and_database_are_applied_on_connect (void **state)
{
    (void) state;
    edge_redis_t *admin = edge_redis_new (s_server.url, 2000);
    assert_int_equal (s_simple (admin, "ACL SETUSER alice on >wonder ~* &* "
                                       "+@all"),
                      0);
    assert_int_equal (s_simple (admin, "DEL dbkey"), 0);
    char url[128];
    snprintf (url, sizeof url, "redis://alice:wonder@127.0.0.1:%d/3",
              s_server.port);
    edge_redis_t *alice = edge_redis_new (url, 2000);
    assert_int_equal (s_simple (alice, "SET dbkey three"), 0);
    redisReply *reply = edge_redis_command (alice, "ACL WHOAMI");
    assert_string_equal (reply->str, "alice");
    freeReplyObject (reply);
    //  The key went to database 3, not 0
    reply = edge_redis_command (admin, "EXISTS dbkey");
    assert_int_equal (reply->integer, 0);
    freeReplyObject (reply);
    edge_redis_destroy (&alice);

    snprintf (url, sizeof url, "redis://alice:wrong@127.0.0.1:%d/0",
              s_server.port);
    edge_redis_t *wrong = edge_redis_new (url, 2000);
    assert_null (edge_redis_command (wrong, "PING"));
    assert_false (edge_redis_is_connected (wrong));
    edge_redis_destroy (&wrong);

    //  A default-user password (redis://:password@)
    assert_int_equal (s_simple (admin, "CONFIG SET requirepass s3cret"), 0);
    snprintf (url, sizeof url, "redis://:s3cret@127.0.0.1:%d/0", s_server.port);
    edge_redis_t *dflt = edge_redis_new (url, 2000);
    assert_int_equal (s_simple (dflt, "PING"), 0);
    assert_int_equal (s_simple (dflt, "CONFIG SET requirepass \"\""), 0);
    edge_redis_destroy (&dflt);
    edge_redis_destroy (&admin);
}


static void
test_hash_field_reads_an_hgetall_reply (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new (s_server.url, 2000);
    redisReply *reply = edge_redis_command (redis, "HSET h:field a 1 b two");
    assert_non_null (reply);
    freeReplyObject (reply);
    reply = edge_redis_command (redis, "HGETALL h:field");
    assert_non_null (reply);
    assert_string_equal (edge_redis_hash_field (reply, "a"), "1");
    assert_string_equal (edge_redis_hash_field (reply, "b"), "two");
    assert_null (edge_redis_hash_field (reply, "two")); //  values are not names
    assert_null (edge_redis_hash_field (reply, NULL));
    freeReplyObject (reply);
    reply = edge_redis_command (redis, "GET h:none"); //  not an array
    assert_null (edge_redis_hash_field (reply, "a"));
    freeReplyObject (reply);
    assert_null (edge_redis_hash_field (NULL, "a"));
    edge_redis_destroy (&redis);
}


static void
test_script_status_is_the_first_string_of_the_answer (void **state)
{
    (void) state;
    edge_redis_t *redis = edge_redis_new (s_server.url, 2000);
    redisReply *reply =
        edge_redis_command (redis, "EVAL %s 0", "return {'in_use', 'app1'}");
    assert_non_null (reply);
    assert_string_equal (edge_redis_script_status (reply), "in_use");
    assert_true (edge_redis_script_is (reply, "in_use"));
    assert_false (edge_redis_script_is (reply, "ok"));
    assert_false (edge_redis_script_is (reply, NULL));
    freeReplyObject (reply);
    reply = edge_redis_command (redis, "EVAL %s 0", "return {1, 'x'}");
    assert_null (edge_redis_script_status (reply)); //  not a string
    freeReplyObject (reply);
    reply = edge_redis_command (redis, "EVAL %s 0", "return 1");
    assert_null (edge_redis_script_status (reply)); //  not an array
    freeReplyObject (reply);
    assert_null (edge_redis_script_status (NULL));
    edge_redis_destroy (&redis);
}


static edge_redis_script_t s_pipe_incr = {
    .source = "return redis.call('INCRBY', KEYS[1], ARGV[1])"};
static edge_redis_script_t s_pipe_bad = {
    .source = "return redis.error_reply('BAD ' .. ARGV[1])"};

static void s_pipeline_in_order (edge_redis_t *redis);

//  On a plain handle and on a shared one (its pipelines go as one group).
static void
test_a_pipeline_answers_every_call_in_order_even_after_noscript (void **state)
{
    (void) state;
    for (int shared = 0; shared < 2; shared++) {
        edge_redis_t *redis = shared
                                  ? edge_redis_new_shared (s_server.url, 2000)
                                  : edge_redis_new (s_server.url, 2000);
        s_pipeline_in_order (redis);
        edge_redis_destroy (&redis);
    }
}


static void
s_pipeline_in_order (edge_redis_t *redis)
{
    assert_int_equal (s_simple (redis, "DEL pipe"), 0);
    //  Both scripts unknown to the server: every call answers NOSCRIPT first
    assert_int_equal (s_simple (redis, "SCRIPT FLUSH"), 0);
    const char *keys[] = {"pipe"};
    const char *one[] = {"1"}, *ten[] = {"10"}, *why[] = {"x"};
    edge_redis_call_t calls[] = {
        {&s_pipe_incr, 1, keys, 1, one},
        {&s_pipe_bad, 0, NULL, 1, why},
        {&s_pipe_incr, 1, keys, 1, ten},
        {&s_pipe_incr, 1, keys, 1, one},
    };
    redisReply *replies[4];
    for (int round = 0; round < 2; round++) {
        assert_int_equal (edge_redis_eval_pipeline (redis, calls, 4, replies),
                          0);
        //  Redis ran them in order: 1, 11, 12 (then 13, 23, 24)
        long long base = round * 12;
        assert_int_equal (replies[0]->type, REDIS_REPLY_INTEGER);
        assert_int_equal (replies[0]->integer, base + 1);
        assert_int_equal (replies[1]->type, REDIS_REPLY_ERROR);
        assert_non_null (strstr (replies[1]->str, "BAD x"));
        assert_int_equal (replies[2]->integer, base + 11);
        assert_int_equal (replies[3]->integer, base + 12);
        for (int i = 0; i < 4; i++)
            freeReplyObject (replies[i]);
    }
    //  An empty pipeline is a no-op
    assert_int_equal (edge_redis_eval_pipeline (redis, NULL, 0, NULL), 0);
    assert_true (edge_redis_is_connected (redis));
}


static void
test_a_pipeline_to_an_unreachable_server_fails_with_no_replies (void **state)
{
    (void) state;
    char url[64];
    snprintf (url, sizeof url, "redis://127.0.0.1:%d/0",
              edge_testutil_free_port ());
    edge_redis_t *redis = edge_redis_new (url, 200);
    const char *keys[] = {"k"};
    const char *one[] = {"1"};
    edge_redis_call_t calls[] = {{&s_pipe_incr, 1, keys, 1, one},
                                 {&s_pipe_incr, 1, keys, 1, one}};
    redisReply *replies[2] = {(redisReply *) 1, (redisReply *) 1};
    assert_int_equal (edge_redis_eval_pipeline (redis, calls, 2, replies), -1);
    assert_null (replies[0]);
    assert_null (replies[1]);
    edge_redis_destroy (&redis);
}


int
main (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, NULL, 0);
    if (rc)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hash_field_reads_an_hgetall_reply),
        cmocka_unit_test (test_script_status_is_the_first_string_of_the_answer),
        cmocka_unit_test (test_valid_urls_parse_into_their_parts),
        cmocka_unit_test (
            test_bad_urls_are_refused_with_a_reason_that_hides_the_password),
        cmocka_unit_test (
            test_new_refuses_a_bad_url_and_destroy_nulls_and_is_null_safe),
        cmocka_unit_test (test_commands_round_trip_binary_safe),
        cmocka_unit_test (test_pipeline_answers_each_command_in_order),
        cmocka_unit_test (
            test_a_shared_handle_answers_each_thread_its_own_reply),
        cmocka_unit_test (test_commands_queued_behind_a_group_go_out_as_one),
        cmocka_unit_test (test_restarted_server_is_reached_again_after_backoff),
        cmocka_unit_test (test_unreachable_server_backs_off_between_attempts),
        cmocka_unit_test (
            test_an_idle_connection_to_a_restarted_server_is_replaced_unseen),
        cmocka_unit_test (
            test_eval_sends_the_script_after_noscript_and_caches_its_sha),
        cmocka_unit_test (
            test_one_script_shared_by_threads_on_their_own_connections),
        cmocka_unit_test (
            test_a_pipeline_answers_every_call_in_order_even_after_noscript),
        cmocka_unit_test (
            test_a_pipeline_to_an_unreachable_server_fails_with_no_replies),
        //  Last: it leaves a password on the server
        cmocka_unit_test (
            test_password_user_and_database_are_applied_on_connect),
    };
    rc = cmocka_run_group_tests (tests, NULL, NULL);
    edge_testutil_redis_close (&s_server, NULL);
    return rc;
}
