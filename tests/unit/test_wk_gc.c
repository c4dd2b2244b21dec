/*  test_wk_gc - garbage collection against a real redis-server, a depot
    and an fs origin in a temporary directory, and an S3 origin on a real
    s3rver (scripts/s3rver.sh); without npm a second fs origin stands in
    for it (said on stderr).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_redis.h"
#include "edge_store.h"
#include "edge_task.h"
#include "edge_taskops.h"
#include "edge_util.h"
#include "wk_config.h"
#include "wk_deploy.h"
#include "wk_env.h"
#include "wk_gc.h"
#include "wk_reaper.h"
#include "wk_tests3.h"
#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_MAX 64

static wk_tests3_t s_t3;             //  conn is the gc's, check the test's
static wk_env_t s_depot_env;         //  the depot of the passes (file://)
static const char *s_second = "fsB"; //  "s3C" with s3rver

//  Keys of test 1: the entry deletes the first three, keeps the others.
static const char *const s_doomed[] = {
    "dxf/acme/app1/0001/img-1/manifest.json",
    "dxf/acme/app1/0001/img-1/seg_00000.bin",
    "pat/acme/app1/0002/0001/patch.json",
};
static const char *const s_kept[] = {
    "builds/acme/app1/g1.tar",
    "dxf/acme/app1/0002/img-a/manifest.json",
    "dxf/acme/app10/0001/x/manifest.json",
    "dxf/other/app1/0001/img-1/manifest.json",
    "pat/acme/app1/0002/0003/patch.json",
};
#define S_COUNT(a) (sizeof (a) / sizeof (a)[0])


//  ---------------------------------------------------------------------
//  Helpers

#define S_REDIS(...) WK_TESTS3_REDIS (s_t3.check, __VA_ARGS__)


//  A reply's integer (the command must answer one).
static long long
s_int (const char *fmt, const char *arg1, const char *arg2)
{
    redisReply *reply = edge_redis_command (s_t3.check, fmt, arg1, arg2);
    assert_non_null (reply);
    long long value = reply->type == REDIS_REPLY_INTEGER ? reply->integer
                      : reply->type == REDIS_REPLY_STRING
                          ? strtoll (reply->str, NULL, 10)
                          : -1;
    freeReplyObject (reply);
    return value;
}


//  Put key (under the origin prefix) into each named store.
static void
s_put (const char *key, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *prefix;
        edge_store_t *store = wk_tests3_origin (&s_t3, names[i], &prefix);
        char *full = edge_sprintf ("%s%s", prefix, key);
        assert_int_equal (edge_store_put_mem (store, full, key, strlen (key)),
                          0);
        free (full);
        edge_store_destroy (&store);
    }
}


//  Put key into the depot and both deployments.
static void
s_put_all (const char *key)
{
    const char *names[] = {"depot", "fsA", s_second};
    s_put (key, names, 3);
}


//  list callback: append "key\n" to a growing string.
static int
s_append (const char *key, uint64_t size, void *arg)
{
    (void) size;
    char **text = arg;
    char *longer = edge_sprintf ("%s%s\n", *text, key);
    free (*text);
    *text = longer;
    return 0;
}


static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}


//  The keys of store name (whole store), sorted, one a line. Caller frees.
static char *
s_listing (const char *name)
{
    const char *prefix;
    edge_store_t *store = wk_tests3_origin (&s_t3, name, &prefix);
    char *text = edge_strdup ("");
    assert_int_equal (edge_store_list (store, "", s_append, &text), 0);
    edge_store_destroy (&store);
    char *lines[S_MAX];
    size_t count = 0;
    for (char *line = strtok (text, "\n"); line && count < S_MAX;
         line = strtok (NULL, "\n"))
        lines[count++] = line;
    qsort (lines, count, sizeof lines[0], s_compare);
    char *sorted = edge_strdup ("");
    for (size_t i = 0; i < count; i++) {
        char *longer = edge_sprintf ("%s%s\n", sorted, lines[i]);
        free (sorted);
        sorted = longer;
    }
    free (text);
    return sorted;
}


//  Store name holds exactly keys (each under its origin prefix) and extra
//  (whole keys, may be NULL).
static void
s_assert_holds (const char *name,
                const char *const *keys,
                size_t count,
                const char *extra)
{
    const char *prefix;
    edge_store_t *store = wk_tests3_origin (&s_t3, name, &prefix);
    edge_store_destroy (&store);
    const char *lines[S_MAX];
    char *owned[S_MAX];
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        lines[n] = owned[n] = edge_sprintf ("%s%s", prefix, keys[i]), n++;
    if (extra)
        lines[n] = owned[n] = edge_strdup (extra), n++;
    qsort (lines, n, sizeof lines[0], s_compare);
    char *want = edge_strdup ("");
    for (size_t i = 0; i < n; i++) {
        char *longer = edge_sprintf ("%s%s\n", want, lines[i]);
        free (want);
        want = longer;
    }
    char *got = s_listing (name);
    assert_string_equal (got, want);
    free (got);
    free (want);
    for (size_t i = 0; i < n; i++)
        free (owned[i]);
}


//  Add an e:gc:due entry for org/app with prefixes (a JSON array text).
static void
s_schedule (const char *app, const char *prefixes, int64_t due)
{
    char *member = edge_sprintf ("{\"org\":\"acme\",\"app\":\"%s\","
                                 "\"prefixes\":%s}",
                                 app, prefixes);
    S_REDIS ("ZADD e:gc:due %lld %s", (long long) due, member);
    free (member);
}


static void
s_pass (int64_t now, size_t max_keys, wk_gc_stats_t *stats)
{
    assert_int_equal (
        wk_gc_pass (s_t3.conn, &s_depot_env, now, 5000, max_keys, stats), 0);
}


//  list callback: delete the key from the store in arg.
static int
s_delete_key (const char *key, uint64_t size, void *arg)
{
    (void) size;
    return edge_store_delete (arg, key);
}


//  ---------------------------------------------------------------------
//  Fixture: empty stores; app1 on fsA and the second origin; app2 on none

static int
s_reset (void **state)
{
    (void) state;
    redisReply *reply = edge_redis_command (s_t3.check, "FLUSHALL");
    if (!reply)
        return -1;
    freeReplyObject (reply);
    char *cmd = edge_sprintf ("rm -rf '%s/depot' '%s/fsA' '%s/fsB' '%s/fsD'",
                              s_t3.dir, s_t3.dir, s_t3.dir, s_t3.dir);
    if (system (cmd) != 0)
        return -1;
    free (cmd);
    if (s_t3.has_s3) {
        const char *prefix;
        edge_store_t *store = wk_tests3_origin (&s_t3, "s3C", &prefix);
        int rc = edge_store_list (store, "", s_delete_key, store);
        edge_store_destroy (&store);
        if (rc != 0)
            return -1;
    }
    S_REDIS ("ZADD e:{acme}:deployments 1 fsA 2 %s", s_second);
    S_REDIS ("HSET e:{acme}:app:app1 name app1 deployments [\"fsA\",\"%s\"]",
             s_second);
    S_REDIS ("HSET e:{acme}:app:app2 name app2 deployments []");
    S_REDIS ("HSET e:{acme}:deployment:fsA name fsA kind fs originPrefix "
             "/cdn/a path %s/fsA",
             s_t3.dir);
    S_REDIS ("HSET e:{acme}:deployment:fsB name fsB kind fs path %s/fsB",
             s_t3.dir);
    S_REDIS ("HSET e:{acme}:deployment:s3C name s3C kind s3 originPrefix pre "
             "endpoint %s region us-east-1 bucket %s accessKeyId S3RVER "
             "secretAccessKey S3RVER",
             s_t3.endpoint, WK_TESTS3_BUCKET);
    return 0;
}


static int
s_group_setup (void **state)
{
    (void) state;
    char *url = edge_sprintf ("file://%s/depot", s_t3.dir);
    edge_depot_cfg_t depot = {.url = url};
    int rc = wk_env_init (&s_depot_env, &depot, s_t3.dir, "");
    free (url);
    return rc;
}


static int
s_group_teardown (void **state)
{
    (void) state;
    wk_env_fini (&s_depot_env);
    return 0;
}


//  ---------------------------------------------------------------------
//  Tests: published files

static void
test_a_due_entry_deletes_exactly_its_prefixes_everywhere (void **state)
{
    (void) state;
    for (size_t i = 0; i < S_COUNT (s_doomed); i++)
        s_put_all (s_doomed[i]);
    for (size_t i = 0; i < S_COUNT (s_kept); i++)
        s_put_all (s_kept[i]);
    //  Outside fsA's originPrefix: not a deployment object, kept
    edge_store_t *raw = edge_store_new_fs (s_t3.dir);
    char *outside = edge_sprintf ("fsA/%s", s_doomed[0]);
    assert_int_equal (edge_store_put_mem (raw, outside, "x", 1), 0);
    free (outside);
    edge_store_destroy (&raw);
    int64_t now = edge_now_ms ();
    s_schedule ("app1",
                "[\"dxf/acme/app1/0001/\",\"pat/acme/app1/0002/0001/\"]",
                now - 1);
    s_schedule ("app1", "[\"dxf/acme/app1/0002/\"]", now + 100000);
    wk_gc_stats_t stats;
    s_pass (now, 0, &stats);
    assert_int_equal (stats.collected, 1);
    assert_int_equal (stats.retried, 0);
    assert_int_equal (stats.deleted, 3 * 3);
    s_assert_holds ("depot", s_kept, S_COUNT (s_kept), NULL);
    s_assert_holds ("fsA", s_kept, S_COUNT (s_kept), s_doomed[0]);
    s_assert_holds (s_second, s_kept, S_COUNT (s_kept), NULL);
    //  Only the entry not yet due is left
    assert_int_equal (s_int ("ZCARD e:gc:due", NULL, NULL), 1);
    assert_int_equal (s_int ("ZCOUNT e:gc:due %s %s", "-inf", "+inf"), 1);
    char *later = edge_sprintf ("%lld", (long long) (now + 100000));
    assert_int_equal (s_int ("ZCOUNT e:gc:due %s %s", later, later), 1);
    free (later);
}


static void
test_an_unreachable_deployment_keeps_the_entry_for_a_later_try (void **state)
{
    (void) state;
    S_REDIS ("HSET e:{acme}:deployment:down name down kind s3 endpoint "
             "http://127.0.0.1:%d region us-east-1 bucket %s accessKeyId "
             "S3RVER secretAccessKey S3RVER",
             edge_testutil_free_port (), WK_TESTS3_BUCKET);
    S_REDIS ("HSET e:{acme}:app:app1 deployments [\"fsA\",\"down\",\"%s\"]",
             s_second);
    for (size_t i = 0; i < S_COUNT (s_doomed); i++)
        s_put_all (s_doomed[i]);
    int64_t now = edge_now_ms ();
    s_schedule ("app1", "[\"dxf/acme/app1/0001/\"]", now - 1);
    wk_gc_stats_t stats;
    s_pass (now, 0, &stats);
    assert_int_equal (stats.collected, 0);
    assert_int_equal (stats.retried, 1);
    //  The reachable ones were cleaned all the same; the entry waits
    const char *pat[] = {s_doomed[2]};
    s_assert_holds ("depot", pat, 1, NULL);
    s_assert_holds ("fsA", pat, 1, NULL);
    s_assert_holds (s_second, pat, 1, NULL);
    char *retry = edge_sprintf ("%lld", (long long) (now + WK_GC_RETRY_MS));
    assert_int_equal (s_int ("ZCOUNT e:gc:due %s %s", retry, retry), 1);
    s_pass (now + 1, 0, &stats); //  not due again yet
    assert_int_equal (stats.collected + stats.retried, 0);
    //  The deployment comes back (here: as an fs origin): collected
    S_REDIS ("HSET e:{acme}:deployment:down kind fs path %s/fsD", s_t3.dir);
    const char *fsd[] = {"fsD"};
    s_put (s_doomed[0], fsd, 1);
    s_pass (now + WK_GC_RETRY_MS, 0, &stats);
    assert_int_equal (stats.collected, 1);
    assert_int_equal (stats.deleted, 1);
    s_assert_holds ("fsD", NULL, 0, NULL);
    assert_int_equal (s_int ("ZCARD e:gc:due", NULL, NULL), 0);
    free (retry);
}


static void
test_a_deleted_app_is_collected_from_every_deployment_of_the_org (void **state)
{
    (void) state;
    S_REDIS ("ZADD e:{acme}:deployments 3 vanished"); //  no hash: skipped
    const char *keys[] = {"dxf/acme/gone1/0001/i/manifest.json",
                          "builds/acme/gone1/g.tar",
                          "traces/acme/gone1/0001/tr_1.tr"};
    for (size_t i = 0; i < S_COUNT (keys); i++)
        s_put_all (keys[i]);
    s_put_all ("dxf/acme/gone10/0001/i/manifest.json");
    s_schedule ("gone1",
                "[\"dxf/acme/gone1/\",\"pat/acme/gone1/\","
                "\"traces/acme/gone1/\",\"builds/acme/gone1/\"]",
                edge_now_ms ());
    wk_gc_stats_t stats;
    s_pass (edge_now_ms (), 0, &stats);
    assert_int_equal (stats.collected, 1);
    assert_int_equal (stats.deleted, 3 * 3);
    const char *left[] = {"dxf/acme/gone10/0001/i/manifest.json"};
    s_assert_holds ("depot", left, 1, NULL);
    s_assert_holds ("fsA", left, 1, NULL);
    s_assert_holds (s_second, left, 1, NULL);
}


static void
test_a_deleted_deployment_loses_the_orgs_files_on_that_origin_only (
    void **state)
{
    (void) state;
    const char *keys[] = {"dxf/acme/app1/0001/i/manifest.json",
                          "pat/acme/app2/0002/0001/patch.json",
                          "dxf/other/app1/0001/i/manifest.json",
                          "builds/acme/app1/g.tar"};
    for (size_t i = 0; i < S_COUNT (keys); i++)
        s_put_all (keys[i]);
    //  What DELETE /be/v1/deployments/fsA leaves (gw_deployments)
    S_REDIS ("RENAME e:{acme}:deployment:fsA e:{acme}:deployment:fsA:deleting");
    S_REDIS ("ZREM e:{acme}:deployments fsA");
    const char *member = "{\"org\":\"acme\",\"deployment\":\"fsA\","
                         "\"prefixes\":[\"dxf/acme/\",\"pat/acme/\","
                         "\"dxf/other/\",\"builds/acme/\"]}";
    S_REDIS ("ZADD e:gc:due %lld %s", (long long) edge_now_ms (), member);
    wk_gc_stats_t stats;
    s_pass (edge_now_ms (), 0, &stats);
    assert_int_equal (stats.collected, 1);
    assert_int_equal (stats.deleted, 2);
    //  fsA keeps another org's files and what is not an image or patch
    const char *left[] = {"dxf/other/app1/0001/i/manifest.json",
                          "builds/acme/app1/g.tar"};
    s_assert_holds ("fsA", left, 2, NULL);
    //  the depot and the other origin are untouched
    s_assert_holds ("depot", keys, S_COUNT (keys), NULL);
    s_assert_holds (s_second, keys, S_COUNT (keys), NULL);
    //  the held settings and the entry are gone: the name is free again
    assert_int_equal (
        s_int ("EXISTS %s%s", "e:{acme}:deployment:fsA", ":deleting"), 0);
    assert_int_equal (s_int ("ZCARD %s%s", "e:gc:due", ""), 0);
}


static void
test_bad_entries_and_foreign_prefixes_delete_nothing (void **state)
{
    (void) state;
    const char *keys[] = {"dxf/acme/app1/0001/img-1/manifest.json",
                          "dxf/acme/app2/0001/x/manifest.json",
                          "dxf/other/app1/0001/x/manifest.json"};
    for (size_t i = 0; i < S_COUNT (keys); i++)
        s_put_all (keys[i]);
    int64_t now = edge_now_ms ();
    s_schedule ("app1",
                "[\"\",\"dxf/acme/\",\"dxf/acme/app1\",\"dxf/other/app1/\","
                "\"dxf/acme/app1/../app2/\",\"etc/acme/app1/\",\"/dxf/acme/"
                "app1/\",7]",
                now);
    S_REDIS ("ZADD e:gc:due %lld %s", (long long) now, "not json");
    S_REDIS ("ZADD e:gc:due %lld %s", (long long) now, "{\"org\":\"acme\"}");
    S_REDIS ("ZADD e:gc:due %lld %s", (long long) now,
             "{\"org\":\"a/b\",\"app\":\"x\",\"prefixes\":[]}");
    wk_gc_stats_t stats;
    s_pass (now, 0, &stats);
    assert_int_equal (stats.collected, 4); //  dropped, not retried
    assert_int_equal (stats.deleted, 0);
    s_assert_holds ("depot", keys, S_COUNT (keys), NULL);
    s_assert_holds ("fsA", keys, S_COUNT (keys), NULL);
    s_assert_holds (s_second, keys, S_COUNT (keys), NULL);
    assert_int_equal (s_int ("ZCARD e:gc:due", NULL, NULL), 0);
}


static void
test_work_is_bounded_per_pass_and_resumed_by_the_next (void **state)
{
    (void) state;
    const char *depot[] = {"depot"};
    char *keys[7];
    for (size_t i = 0; i < 7; i++) {
        keys[i] = edge_sprintf ("pat/acme/app1/0003/000%zu/seg_0.bin", i);
        s_put (keys[i], depot, 1);
    }
    int64_t now = edge_now_ms ();
    s_schedule ("app1", "[\"pat/acme/app1/0003/\"]", now - 5);
    char *score = edge_sprintf ("%lld", (long long) (now - 5));
    const int want[] = {3, 3, 1};
    for (size_t pass = 0; pass < 3; pass++) {
        wk_gc_stats_t stats;
        s_pass (now, 3, &stats);
        assert_int_equal (stats.deleted, want[pass]);
        assert_int_equal (stats.retried, 0);
        assert_int_equal (stats.collected, pass == 2 ? 1 : 0);
        //  Cut short: still due, same score
        assert_int_equal (s_int ("ZCOUNT e:gc:due %s %s", score, score),
                          pass == 2 ? 0 : 1);
    }
    s_assert_holds ("depot", NULL, 0, NULL);
    free (score);
    for (size_t i = 0; i < 7; i++)
        free (keys[i]);
}


//  ---------------------------------------------------------------------
//  Tests: uploads

//  A dltar upload task of app1 (waiting or queued) for group g with an
//  upload record e:upload:<g> naming record_task (NULL: this task); the
//  tar is stored and the task due at due. name filled.
static void
s_upload (const char *g,
          bool is_waiting,
          const char *record_task,
          int64_t due,
          char *name)
{
    char *params =
        edge_sprintf ("{\"appName\":\"app1\",\"buildName\":\"b_%s\",\"tarKey\":"
                      "\"builds/acme/app1/%s.tar\",\"upload\":true}",
                      g, g);
    edge_task_spec_t spec = {.type = "dltar",
                             .org = "acme",
                             .group = g,
                             .app = "app1",
                             .params = params,
                             .is_waiting = is_waiting};
    assert_int_equal (edge_task_create (s_t3.check, &spec, name), 0);
    free (params);
    S_REDIS ("HSET e:task:%s uploadKey e:upload:%s", name, g);
    S_REDIS ("HSET e:upload:%s org acme app app1 task %s group %s tarKey "
             "builds/acme/app1/%s.tar state open",
             g, record_task ? record_task : name, g, g);
    S_REDIS ("ZADD e:uploads:due %lld %s", (long long) due, name);
    char *key = edge_sprintf ("builds/acme/app1/%s.tar", g);
    const char *depot[] = {"depot"};
    s_put (key, depot, 1);
    free (key);
}


//  True when field of an event's fields is want.
static bool
s_is (const redisReply *fields, const char *field, const char *want)
{
    const char *value = edge_redis_hash_field (fields, field);
    return value && strcmp (value, want) == 0;
}


//  The number of `error` events of task name in e:events with the gc's
//  message.
static int
s_errors (const char *name)
{
    redisReply *reply = edge_redis_command (s_t3.check, "XRANGE e:events - +");
    assert_non_null (reply);
    int count = 0;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *fields = reply->element[i]->element[1];
        if (s_is (fields, "taskName", name) && s_is (fields, "event", "error")
            && s_is (fields, "message", WK_GC_MESSAGE))
            count++;
    }
    freeReplyObject (reply);
    return count;
}


static bool
s_tar_exists (const char *g)
{
    char *path = edge_sprintf ("%s/depot/builds/acme/app1/%s.tar", s_t3.dir, g);
    struct stat st;
    bool exists = stat (path, &st) == 0;
    free (path);
    return exists;
}


static void
test_uploads_never_committed_expire_and_lose_their_bytes (void **state)
{
    (void) state;
    int64_t now = edge_now_ms ();
    char t1[EDGE_TASK_NAME_MAX], t2[EDGE_TASK_NAME_MAX], t3[EDGE_TASK_NAME_MAX],
        t4[EDGE_TASK_NAME_MAX], t5[EDGE_TASK_NAME_MAX];
    s_upload ("g1", true, NULL, now - 1, t1);      //  expires
    s_upload ("g2", true, NULL, now + 60000, t2);  //  not yet
    s_upload ("g3", false, NULL, now - 1, t3);     //  committed
    s_upload ("g4", true, NULL, now - 1, t4);      //  expired by hand
    s_upload ("g5", true, "someone", now - 1, t5); //  record not its own
    assert_int_equal (edge_taskops_expire (s_t3.check, "acme", t4, "alice"),
                      EDGE_ERR_OK);
    S_REDIS ("ZADD e:uploads:due %lld ghost", (long long) (now - 1));
    wk_gc_stats_t stats;
    s_pass (now, 0, &stats);
    assert_int_equal (stats.expired, 2); //  t1 and t5
    assert_int_equal (stats.uploads, 5); //  t1 t3 t4 t5 ghost
    assert_int_equal (stats.retried, 0);
    char *key = edge_sprintf ("e:task:%s", t1);
    wk_tests3_assert_field (s_t3.check, key, "state", "expired");
    wk_tests3_assert_field (s_t3.check, key, "message", WK_GC_MESSAGE);
    free (key);
    assert_int_equal (s_errors (t1), 1);
    wk_tests3_assert_field (s_t3.check, "e:upload:g1", "state", "expired");
    assert_false (s_tar_exists ("g1"));
    //  Not yet due: untouched
    key = edge_sprintf ("e:task:%s", t2);
    wk_tests3_assert_field (s_t3.check, key, "state", "waiting");
    free (key);
    assert_true (s_tar_exists ("g2"));
    assert_int_equal (s_int ("ZSCORE e:uploads:due %s", t2, NULL), now + 60000);
    //  Committed: its bytes are the import's
    key = edge_sprintf ("e:task:%s", t3);
    wk_tests3_assert_field (s_t3.check, key, "state", "queued");
    free (key);
    assert_true (s_tar_exists ("g3"));
    wk_tests3_assert_field (s_t3.check, "e:upload:g3", "state", "open");
    //  Expired by hand: cleaned, no second event
    assert_false (s_tar_exists ("g4"));
    wk_tests3_assert_field (s_t3.check, "e:upload:g4", "state", "expired");
    assert_int_equal (s_errors (t4), 0); //  only the PATCH's own event
    //  A record naming another task is left alone
    wk_tests3_assert_field (s_t3.check, "e:upload:g5", "state", "open");
    assert_false (s_tar_exists ("g5"));
    assert_int_equal (s_int ("ZCARD e:uploads:due", NULL, NULL), 1);
}


static void
test_an_upload_whose_bytes_cannot_be_deleted_is_retried (void **state)
{
    (void) state;
    int64_t now = edge_now_ms ();
    char t6[EDGE_TASK_NAME_MAX];
    s_upload ("g6", true, NULL, now - 1, t6);
    //  A non-empty directory where the tar is: unlink fails
    char *path = edge_sprintf ("%s/depot/builds/acme/app1/g6.tar", s_t3.dir);
    assert_int_equal (unlink (path), 0);
    assert_int_equal (mkdir (path, 0700), 0);
    char *inner = edge_sprintf ("%s/x", path);
    FILE *file = fopen (inner, "w");
    assert_non_null (file);
    fclose (file);
    wk_gc_stats_t stats;
    s_pass (now, 0, &stats);
    assert_int_equal (stats.expired, 1);
    assert_int_equal (stats.retried, 1);
    assert_int_equal (s_int ("ZSCORE e:uploads:due %s", t6, NULL),
                      now + WK_GC_RETRY_MS);
    assert_int_equal (unlink (inner), 0);
    assert_int_equal (rmdir (path), 0);
    s_pass (now + WK_GC_RETRY_MS, 0, &stats);
    assert_int_equal (stats.expired, 0); //  already expired
    assert_int_equal (stats.uploads, 1);
    assert_int_equal (s_errors (t6), 1);
    assert_int_equal (s_int ("ZCARD e:uploads:due", NULL, NULL), 0);
    free (inner);
    free (path);
}


//  The state of task name.
static void
s_assert_task (const char *name, const char *state)
{
    char *key = edge_sprintf ("e:task:%s", name);
    wk_tests3_assert_field (s_t3.check, key, "state", state);
    free (key);
}


static void
test_a_put_still_receiving_is_left_to_finish (void **state)
{
    (void) state;
    int64_t now = edge_now_ms ();
    char t7[EDGE_TASK_NAME_MAX], t8[EDGE_TASK_NAME_MAX];
    s_upload ("g7", true, NULL, now - 1, t7); //  touched 1 s ago
    S_REDIS ("HSET e:upload:g7 state receiving touchedMs %lld",
             (long long) (now - 1000));
    s_upload ("g8", true, NULL, now - 1, t8); //  a PUT that died
    S_REDIS ("HSET e:upload:g8 state receiving touchedMs %lld",
             (long long) (now - WK_GC_RECEIVING_MS));
    wk_gc_stats_t stats;
    s_pass (now, 0, &stats);
    assert_int_equal (stats.expired, 1);
    assert_int_equal (stats.deferred, 1);
    assert_int_equal (stats.retried, 0);
    s_assert_task (t7, "waiting");
    wk_tests3_assert_field (s_t3.check, "e:upload:g7", "state", "receiving");
    assert_true (s_tar_exists ("g7"));
    assert_int_equal (s_int ("ZSCORE e:uploads:due %s", t7, NULL),
                      now + WK_GC_RETRY_MS);
    s_assert_task (t8, "expired");
    assert_false (s_tar_exists ("g8"));
    //  The PUT finished (too late to commit): a later pass expires it
    S_REDIS ("HSET e:upload:g7 state received");
    s_pass (now + WK_GC_RETRY_MS, 0, &stats);
    assert_int_equal (stats.expired, 1);
    s_assert_task (t7, "expired");
    wk_tests3_assert_field (s_t3.check, "e:upload:g7", "state", "expired");
    assert_false (s_tar_exists ("g7"));
    assert_int_equal (s_int ("ZCARD e:uploads:due", NULL, NULL), 0);
}


static void
test_a_committed_upload_is_never_expired_and_queued_if_forgotten (void **state)
{
    (void) state;
    int64_t now = edge_now_ms ();
    char t9[EDGE_TASK_NAME_MAX];
    s_upload ("g9", true, NULL, now - 1, t9);
    S_REDIS ("HSET e:upload:g9 state committed expiresMs %lld",
             (long long) (now - 1));
    wk_gc_stats_t stats;
    s_pass (now, 0, &stats); //  the gateway may be enqueueing it
    assert_int_equal (stats.expired, 0);
    assert_int_equal (stats.deferred, 1);
    assert_int_equal (stats.enqueued, 0);
    s_assert_task (t9, "waiting");
    wk_tests3_assert_field (s_t3.check, "e:upload:g9", "state", "committed");
    assert_true (s_tar_exists ("g9"));
    assert_int_equal (s_int ("ZSCORE e:uploads:due %s", t9, NULL),
                      now + WK_GC_RETRY_MS);
    assert_int_equal (s_errors (t9), 0);
    //  Still waiting a retry period later: the gateway's enqueue never came
    s_pass (now + WK_GC_RETRY_MS, 0, &stats);
    assert_int_equal (stats.expired, 0);
    assert_int_equal (stats.enqueued, 1);
    assert_int_equal (stats.uploads, 1);
    s_assert_task (t9, "queued");
    assert_true (s_tar_exists ("g9"));
    assert_int_equal (s_int ("ZCARD e:uploads:due", NULL, NULL), 0);
}


//  Put an empty file at rel under the depot directory.
static void
s_touch (const char *rel)
{
    char *path = edge_sprintf ("%s/depot/%s", s_t3.dir, rel);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fclose (file);
    free (path);
}


static bool
s_depot_has (const char *rel)
{
    char *path = edge_sprintf ("%s/depot/%s", s_t3.dir, rel);
    struct stat st;
    bool exists = stat (path, &st) == 0;
    free (path);
    return exists;
}


static void
test_an_expired_upload_loses_its_part_files (void **state)
{
    (void) state;
    int64_t now = edge_now_ms ();
    char t10[EDGE_TASK_NAME_MAX];
    s_upload ("g10", true, NULL, now - 1, t10);
    S_REDIS ("HSET e:upload:g10 state receiving touchedMs %lld part "
             "0123456789abcdef",
             (long long) (now - WK_GC_RECEIVING_MS - 1));
    s_touch ("builds/acme/app1/g10.tar.part-0123456789abcdef");
    s_touch ("builds/acme/app1/g10.tar.part-fedcba9876543210");
    s_touch ("builds/acme/app1/g10.tar.partial");  //  not a part file
    s_touch ("builds/acme/app1/g100.tar.part-00"); //  another tar's
    char *dir =
        edge_sprintf ("%s/depot/builds/acme/app1/g10.tar.part-d", s_t3.dir);
    assert_int_equal (mkdir (dir, 0700), 0);
    free (dir);
    s_touch ("builds/acme/app1/g10.tar.part-d/x"); //  not in the directory
    wk_gc_stats_t stats;
    s_pass (now, 0, &stats);
    assert_int_equal (stats.expired, 1);
    assert_int_equal (stats.uploads, 1);
    assert_int_equal (stats.deleted, 3);
    assert_false (s_tar_exists ("g10"));
    assert_false (
        s_depot_has ("builds/acme/app1/g10.tar.part-0123456789abcdef"));
    assert_false (
        s_depot_has ("builds/acme/app1/g10.tar.part-fedcba9876543210"));
    assert_true (s_depot_has ("builds/acme/app1/g10.tar.partial"));
    assert_true (s_depot_has ("builds/acme/app1/g100.tar.part-00"));
    assert_true (s_depot_has ("builds/acme/app1/g10.tar.part-d/x"));
}


//  ---------------------------------------------------------------------
//  Tests: wiring

static void
test_the_reaper_pass_runs_the_collection (void **state)
{
    (void) state;
    s_put_all (s_doomed[0]);
    s_schedule ("app1", "[\"dxf/acme/app1/0001/\"]", edge_now_ms () - 1);
    zsock_t *frontend = zsock_new (ZMQ_DEALER);
    assert_non_null (frontend);
    wk_reaper_t *reaper = wk_reaper_new ("w1", 1000, 3, 5000, &s_depot_env);
    //  A slow origin can cut a pass short: later passes go on
    for (int i = 0; i < 20 && s_int ("ZCARD e:gc:due", NULL, NULL) > 0; i++)
        assert_int_equal (wk_reaper_tick (reaper, s_t3.conn, frontend,
                                          edge_mono_ms () + i * 1000),
                          0);
    assert_int_equal (s_int ("ZCARD e:gc:due", NULL, NULL), 0);
    s_assert_holds ("depot", NULL, 0, NULL);
    s_assert_holds ("fsA", NULL, 0, NULL);
    wk_reaper_destroy (&reaper);
    zsock_destroy (&frontend);
}


static const char **s_env;

static const char *
s_getenv (const char *name)
{
    for (size_t i = 0; s_env[i]; i += 2)
        if (strcmp (s_env[i], name) == 0)
            return s_env[i + 1];
    return NULL;
}


static void
test_gc_delay_is_configured_with_a_one_day_default (void **state)
{
    (void) state;
    const char *none[] = {NULL};
    s_env = none;
    wk_config_t config;
    assert_int_equal (wk_config_load (&config, s_getenv), 0);
    assert_int_equal (config.gc_delay_ms, 86400000);
    wk_config_fini (&config);
    const char *good[] = {"EDGE_GC_DELAY_MS", "5000", NULL};
    s_env = good;
    assert_int_equal (wk_config_load (&config, s_getenv), 0);
    assert_int_equal (config.gc_delay_ms, 5000);
    wk_config_fini (&config);
    const char *bad[] = {"0", "-1", "soon", "40000000000"};
    for (size_t i = 0; i < S_COUNT (bad); i++) {
        const char *env[] = {"EDGE_GC_DELAY_MS", bad[i], NULL};
        s_env = env;
        assert_int_equal (wk_config_load (&config, s_getenv), -1);
        wk_config_fini (&config);
    }
}


int
main (void)
{
    edge_log_init ("test");
    zsys_init ();
    int rc = wk_tests3_start (&s_t3, "test_wk_gc",
                              "npm is not installed: a second fs origin "
                              "stands in for the s3 one");
    if (rc == 77)
        return 77;
    if (s_t3.has_s3)
        s_second = "s3C";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (
            test_a_due_entry_deletes_exactly_its_prefixes_everywhere, s_reset),
        cmocka_unit_test_setup (
            test_an_unreachable_deployment_keeps_the_entry_for_a_later_try,
            s_reset),
        cmocka_unit_test_setup (
            test_a_deleted_app_is_collected_from_every_deployment_of_the_org,
            s_reset),
        cmocka_unit_test_setup (
            test_a_deleted_deployment_loses_the_orgs_files_on_that_origin_only,
            s_reset),
        cmocka_unit_test_setup (
            test_bad_entries_and_foreign_prefixes_delete_nothing, s_reset),
        cmocka_unit_test_setup (
            test_work_is_bounded_per_pass_and_resumed_by_the_next, s_reset),
        cmocka_unit_test_setup (
            test_uploads_never_committed_expire_and_lose_their_bytes, s_reset),
        cmocka_unit_test_setup (
            test_an_upload_whose_bytes_cannot_be_deleted_is_retried, s_reset),
        cmocka_unit_test_setup (test_a_put_still_receiving_is_left_to_finish,
                                s_reset),
        cmocka_unit_test_setup (
            test_a_committed_upload_is_never_expired_and_queued_if_forgotten,
            s_reset),
        cmocka_unit_test_setup (test_an_expired_upload_loses_its_part_files,
                                s_reset),
        cmocka_unit_test_setup (test_the_reaper_pass_runs_the_collection,
                                s_reset),
        cmocka_unit_test (test_gc_delay_is_configured_with_a_one_day_default),
    };
    if (rc == 0)
        rc = cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
    wk_tests3_stop (&s_t3);
    return rc;
}
