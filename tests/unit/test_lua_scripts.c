/*  test_lua_scripts - every embedded Lua script (common/, gateway/,
    worker/ and notifier/ lua folders) compiles in a real Redis (SCRIPT LOAD)
    and runs its smallest happy path, written in its own header:

      --@setup <command> <arg> ...   (any number; run first, in order)
      --@keys <key> ...              (the happy path's KEYS, may be none)
      --@args <arg> ...              (its ARGV; '' is an empty string)
      --@expect <word>               (the answer's status word: the first
                                      element of an array, a string or
                                      status answer, or an integer)
      --@check <command> ... = <value>  (any number; after the run, the
                                      command's answer, as for --@expect)

    Tokens are separated by spaces. The database is flushed before each
    script, so each happy path stands alone.  */
#include "edge_log.h"
#include "edge_lua.h"
#include "edge_redis.h"
#include "edge_testutil.h"
#include "gw_lua.h"
#include "nt_lua.h"
#include "wk_lua.h"
#include <hiredis/hiredis.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define S_TOKENS_MAX 64

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;

typedef struct {
    char *text;                 //  the line's copy, cut into tokens
    const char *tok[S_TOKENS_MAX];
    int count;
} s_line_t;


//  Split the rest of a --@<tag> line into tokens ('' = empty string).
static void
s_split (const char *start, s_line_t *line)
{
    size_t len = strcspn (start, "\n");
    line->text = strndup (start, len);
    line->count = 0;
    for (char *save = NULL, *tok = strtok_r (line->text, " ", &save); tok;
         tok = strtok_r (NULL, " ", &save)) {
        assert_true (line->count < S_TOKENS_MAX);
        line->tok[line->count++] = strcmp (tok, "''") == 0 ? "" : tok;
    }
}


//  The first --@<tag> line of source at or after *from, split; false at
//  the end. *from moves past it.
static bool
s_next (const char **from, const char *tag, s_line_t *line)
{
    char marker[32];
    int len = snprintf (marker, sizeof marker, "--@%s", tag);
    for (const char *at = *from; (at = strstr (at, marker)); at++)
        if ((at == *from || at[-1] == '\n')
            && (at[len] == ' ' || at[len] == '\n' || at[len] == '\0')) {
            s_split (at + len, line);
            *from = at + len;
            return true;
        }
    return false;
}


//  The answer's word: status word of {'word', ...}, a string or status, an
//  integer in decimal; into buf.
static const char *
s_word (const redisReply *reply, char *buf, size_t size)
{
    if (!reply)
        return "(no answer)";
    switch (reply->type) {
    case REDIS_REPLY_ARRAY: {
        const char *word = edge_redis_script_status (reply);
        return word ? word : reply->elements ? "(array)" : "(empty array)";
    }
    case REDIS_REPLY_INTEGER:
        snprintf (buf, size, "%lld", reply->integer);
        return buf;
    case REDIS_REPLY_NIL:
        return "(nil)";
    default:
        snprintf (buf, size, "%.*s", (int) reply->len, reply->str);
        return buf;
    }
}


static redisReply *
s_command (const s_line_t *line, int from, int to)
{
    const char *argv[S_TOKENS_MAX];
    for (int i = from; i < to; i++)
        argv[i - from] = line->tok[i];
    return edge_redis_argv (s_redis, to - from, argv, NULL);
}


//  Run script's happy path. Returns NULL when it passed, else why not
//  (static buffer).
static const char *
s_happy_path (edge_redis_script_t *script)
{
    static char why[512];
    char buf[256];
    const char *src = script->source;
    s_line_t line, keys = {0}, args = {0}, expect = {0};
    why[0] = '\0';
    freeReplyObject (edge_redis_command (s_redis, "FLUSHALL"));
    redisReply *reply = edge_redis_command (s_redis, "SCRIPT LOAD %s", src);
    if (!reply || reply->type != REDIS_REPLY_STRING)
        snprintf (why, sizeof why, "%s: SCRIPT LOAD: %s", script->name,
                  reply && reply->str ? reply->str : "no answer");
    freeReplyObject (reply);
    for (const char *at = src; !why[0] && s_next (&at, "setup", &line);) {
        reply = s_command (&line, 0, line.count);
        if (!reply || reply->type == REDIS_REPLY_ERROR)
            snprintf (why, sizeof why, "%s: --@setup %s: %s", script->name,
                      line.count ? line.tok[0] : "",
                      reply ? reply->str : "no answer");
        freeReplyObject (reply);
        free (line.text);
    }
    const char *at = src;
    if (!why[0]
        && (!s_next (&at, "keys", &keys) || !(at = src, s_next (&at, "args", &args))
            || !(at = src, s_next (&at, "expect", &expect)) || expect.count != 1))
        snprintf (why, sizeof why,
                  "%s: its header needs --@keys, --@args and --@expect <word>",
                  script->name);
    if (!why[0]) {
        reply = edge_redis_eval (s_redis, script, keys.count, keys.tok,
                                 args.count, args.tok);
        bool error = !reply || reply->type == REDIS_REPLY_ERROR;
        const char *word = error ? (reply ? reply->str : "no answer")
                                 : s_word (reply, buf, sizeof buf);
        if (error || strcmp (word, expect.tok[0]) != 0)
            snprintf (why, sizeof why, "%s: expected '%s', answered %s%s",
                      script->name, expect.tok[0], error ? "error " : "", word);
        freeReplyObject (reply);
    }
    for (at = src; !why[0] && s_next (&at, "check", &line);) {
        if (line.count < 3 || strcmp (line.tok[line.count - 2], "=") != 0)
            snprintf (why, sizeof why, "%s: --@check <command> ... = <value>",
                      script->name);
        else {
            reply = s_command (&line, 0, line.count - 2);
            const char *word = s_word (reply, buf, sizeof buf);
            if (strcmp (word, line.tok[line.count - 1]) != 0)
                snprintf (why, sizeof why,
                          "%s: --@check %s %s: expected '%s', got '%s'",
                          script->name, line.tok[0],
                          line.count > 3 ? line.tok[1] : "",
                          line.tok[line.count - 1], word);
            freeReplyObject (reply);
        }
        free (line.text);
    }
    free (keys.text);
    free (args.text);
    free (expect.text);
    return why[0] ? why : NULL;
}


static void
s_run_all (edge_redis_script_t *const *scripts, size_t count)
{
    int failed = 0;
    for (size_t i = 0; i < count; i++) {
        assert_non_null (scripts[i]);
        const char *why = s_happy_path (scripts[i]);
        if (why) {
            print_error ("%s\n", why);
            failed++;
        }
    }
    assert_null (scripts[count]);
    assert_int_equal (failed, 0);
}


static void
test_common_scripts (void **state)
{
    (void) state;
    s_run_all (edge_lua_scripts, edge_lua_scripts_count);
}


static void
test_gateway_scripts (void **state)
{
    (void) state;
    s_run_all (gw_lua_scripts, gw_lua_scripts_count);
}


static void
test_worker_scripts (void **state)
{
    (void) state;
    s_run_all (wk_lua_scripts, wk_lua_scripts_count);
}


static void
test_notifier_scripts (void **state)
{
    (void) state;
    s_run_all (nt_lua_scripts, nt_lua_scripts_count);
}


//  The runner itself: a script that keeps its word passes; one that
//  answers another word, fails to compile, lacks a happy path or leaves
//  another value than its --@check says, fails.
static void
test_runner_can_fail (void **state)
{
    (void) state;
    edge_redis_script_t good = {
        .name = "test/good",
        .source = "--@setup SET k 5\n--@keys k\n--@args 2\n--@expect 7\n"
                  "--@check GET k = 7\n"
                  "return redis.call('INCRBY', KEYS[1], ARGV[1])\n"};
    assert_null (s_happy_path (&good));
    edge_redis_script_t noargs = { //  a bare --@args: no arguments at all
        .name = "test/noargs",
        .source = "--@keys\n--@args\n--@expect 1\nreturn #ARGV + 1\n"};
    assert_null (s_happy_path (&noargs));
    edge_redis_script_t bad[] = {
        {.name = "test/word",
         .source = "--@keys\n--@args x\n--@expect ok\nreturn {'no', ARGV[1]}\n"},
        {.name = "test/syntax",
         .source = "--@keys\n--@args\n--@expect ok\nreturn {'ok'\n"},
        {.name = "test/nopath", .source = "return {'ok'}\n"},
        {.name = "test/check",
         .source = "--@keys k\n--@args\n--@expect OK\n--@check GET k = 2\n"
                   "return redis.call('SET', KEYS[1], 1)\n"},
        {.name = "test/setup",
         .source = "--@setup NOSUCHCOMMAND\n--@keys\n--@args\n--@expect ok\n"
                   "return {'ok'}\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = s_happy_path (&bad[i]);
        assert_non_null (why);
        assert_non_null (strstr (why, bad[i].name));
    }
}


static int
s_setup (void **state)
{
    (void) state;
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 5000);
    if (rc)
        return rc;
    return s_redis ? 0 : -1;
}


static int
s_teardown (void **state)
{
    (void) state;
    edge_testutil_redis_close (&s_server, &s_redis);
    return 0;
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_runner_can_fail),
        cmocka_unit_test (test_common_scripts),
        cmocka_unit_test (test_gateway_scripts),
        cmocka_unit_test (test_worker_scripts),
        cmocka_unit_test (test_notifier_scripts),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
