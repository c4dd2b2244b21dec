/*  test_edge_store_upload - streamed writes (edge_store_upload_*) on an fs
    store in a temporary directory, then on s3rver (scripts/s3rver.sh,
    npm): round trips in several parts, nothing visible before commit or
    after a destroy without one, the announced size enforced, aborts by
    id, refused credentials and a part that cannot be sent. s3rver 3.7.1
    does not implement AbortMultipartUpload (405): aborting is logged and
    tolerated, and what the tests check is that nothing became visible.
    Exits 77 (skip) only when npm is not installed, after the fs tests.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_store.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_BUCKET "edge-test"
#define S_KEY    "builds/acme/game/g1.tar"
#define S_PART   (5u << 20) //  the smallest part S3 takes

static char s_dir[128]; //  scratch directory of this run
static edge_testutil_s3rver_t s_s3rver;


static unsigned char
s_byte (uint32_t seed, uint64_t i)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    x ^= x >> 31;
    return (unsigned char) (x * 0xBF58476D1CE4E5B9ull >> 56);
}


//  Write total bytes of stream seed in pieces of piece bytes.
static void
s_write (edge_store_upload_t *upload, uint64_t total, uint32_t seed)
{
    static unsigned char buf[65536 + 7];
    for (uint64_t off = 0; off < total;) {
        size_t n =
            total - off < sizeof buf ? (size_t) (total - off) : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = s_byte (seed, off + i);
        assert_int_equal (edge_store_upload_write (upload, buf, n), 0);
        off += n;
    }
}


//  True when key holds exactly total bytes of stream seed.
static bool
s_object_matches (edge_store_t *store,
                  const char *key,
                  uint64_t total,
                  uint32_t seed)
{
    char *path = edge_sprintf ("%s/object.out", s_dir);
    bool is_same = edge_store_get_file (store, key, path) == 0;
    FILE *file = is_same ? fopen (path, "rb") : NULL;
    uint64_t pos = 0;
    for (int c; file && is_same && (c = fgetc (file)) != EOF; pos++)
        is_same = (unsigned char) c == s_byte (seed, pos);
    if (file)
        fclose (file);
    unlink (path);
    free (path);
    return is_same && pos == total;
}


static bool
s_exists (edge_store_t *store, const char *key)
{
    bool exists = true;
    assert_int_equal (edge_store_head (store, key, &exists, NULL), 0);
    return exists;
}


//  Objects (fs: files, part files included) under "builds/".
static int
s_objects (edge_store_t *store)
{
    int count = edge_testutil_store_count (store, "builds/");
    assert_true (count >= 0);
    return count;
}


//  ---------------------------------------------------------------------
//  On any store

static void
s_round_trip_in_parts (edge_store_t *store)
{
    uint64_t total = 2 * S_PART + 12345;
    edge_store_upload_t *upload = edge_store_upload_new (store, S_KEY, total);
    assert_non_null (upload);
    assert_non_null (edge_store_upload_id (upload));
    s_write (upload, S_PART + 1, 7);
    //  a part is stored, but the object does not exist yet
    assert_false (s_exists (store, S_KEY));
    uint64_t rest = total - S_PART - 1;
    unsigned char *tail = edge_malloc (rest);
    for (uint64_t i = 0; i < rest; i++)
        tail[i] = s_byte (7, S_PART + 1 + i);
    assert_int_equal (edge_store_upload_write (upload, tail, rest), 0);
    free (tail);
    assert_false (s_exists (store, S_KEY));
    assert_int_equal (edge_store_upload_commit (upload), 0);
    edge_store_upload_destroy (&upload);
    assert_null (upload);
    edge_store_upload_destroy (&upload);
    assert_true (s_object_matches (store, S_KEY, total, 7));
    assert_int_equal (s_objects (store), 1); //  no part file left
    assert_int_equal (edge_store_delete (store, S_KEY), 0);
}


static void
s_destroy_without_commit_leaves_nothing (edge_store_t *store)
{
    edge_store_upload_t *upload =
        edge_store_upload_new (store, S_KEY, S_PART + 100);
    assert_non_null (upload);
    s_write (upload, S_PART + 100, 3); //  S3: one part sent, one buffered
    edge_store_upload_destroy (&upload);
    assert_null (upload);
    assert_false (s_exists (store, S_KEY));
    assert_int_equal (s_objects (store), 0);
    //  a previous object under the key stays as it was
    assert_int_equal (edge_store_put_mem (store, S_KEY, "old", 3), 0);
    upload = edge_store_upload_new (store, S_KEY, 10);
    s_write (upload, 10, 3);
    edge_store_upload_destroy (&upload);
    uint64_t size = 0;
    bool exists = false;
    assert_int_equal (edge_store_head (store, S_KEY, &exists, &size), 0);
    assert_true (exists);
    assert_int_equal (size, 3);
    assert_int_equal (edge_store_delete (store, S_KEY), 0);
}


static void
s_bytes_past_the_size_are_refused (edge_store_t *store)
{
    edge_store_upload_t *upload = edge_store_upload_new (store, S_KEY, 10);
    assert_non_null (upload);
    assert_int_equal (edge_store_upload_write (upload, "0123456", 7), 0);
    assert_int_equal (edge_store_upload_write (upload, "7890", 4), -1);
    assert_int_equal (edge_store_err (store), EDGE_ERR_SIZE_MISMATCH);
    //  the upload is over: no more bytes, no commit
    assert_int_equal (edge_store_upload_write (upload, "7", 1), -1);
    assert_int_equal (edge_store_upload_commit (upload), -1);
    edge_store_upload_destroy (&upload);
    assert_false (s_exists (store, S_KEY));
    //  fewer bytes than announced is fine (the size is an upper bound)
    upload = edge_store_upload_new (store, S_KEY, 10);
    assert_int_equal (edge_store_upload_write (upload, "012", 3), 0);
    assert_int_equal (edge_store_upload_commit (upload), 0);
    assert_int_equal (edge_store_upload_commit (upload), -1);
    edge_store_upload_destroy (&upload);
    uint64_t size = 0;
    bool exists = false;
    assert_int_equal (edge_store_head (store, S_KEY, &exists, &size), 0);
    assert_int_equal (size, 3);
    assert_int_equal (edge_store_delete (store, S_KEY), 0);
    assert_null (edge_store_upload_new (store, "../x", 10));
    assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_KEY);
}


//  Another holder aborts the upload by its id; the owner's destroy then
//  finds nothing to do.
static void
s_abort_by_id (edge_store_t *store)
{
    edge_store_upload_t *upload = edge_store_upload_new (store, S_KEY, 1000);
    s_write (upload, 1000, 5);
    char *id = edge_strdup (edge_store_upload_id (upload));
    assert_int_equal (edge_store_upload_abort (store, S_KEY, id), 0);
    assert_int_equal (edge_store_upload_abort (store, S_KEY, id), 0);
    assert_int_equal (s_objects (store), 0);
    edge_store_upload_destroy (&upload);
    assert_int_equal (edge_store_upload_abort (store, S_KEY, ""), -1);
    assert_int_equal (edge_store_upload_abort (store, "/abs", id), -1);
    free (id);
    assert_false (s_exists (store, S_KEY));
}


//  ---------------------------------------------------------------------
//  fs

static edge_store_t *
s_fs_store (void)
{
    char *path = edge_sprintf ("%s/fs", s_dir);
    edge_store_t *store = edge_store_new_fs (path);
    free (path);
    assert_non_null (store);
    return store;
}


static void
test_fs_upload_round_trips_and_appears_only_at_commit (void **state)
{
    (void) state;
    edge_store_t *store = s_fs_store ();
    s_round_trip_in_parts (store);
    edge_store_destroy (&store);
}


static void
test_fs_upload_destroyed_without_commit_leaves_nothing (void **state)
{
    (void) state;
    edge_store_t *store = s_fs_store ();
    s_destroy_without_commit_leaves_nothing (store);
    edge_store_destroy (&store);
}


static void
test_fs_upload_refuses_bytes_past_its_size (void **state)
{
    (void) state;
    edge_store_t *store = s_fs_store ();
    s_bytes_past_the_size_are_refused (store);
    edge_store_destroy (&store);
}


static void
test_fs_upload_is_a_part_file_beside_the_key_and_aborts_by_id (void **state)
{
    (void) state;
    edge_store_t *store = s_fs_store ();
    edge_store_upload_t *upload = edge_store_upload_new (store, S_KEY, 10);
    const char *id = edge_store_upload_id (upload);
    assert_int_equal (strlen (id), 16);
    char *path = edge_sprintf ("%s/fs/%s.part-%s", s_dir, S_KEY, id);
    assert_int_equal (access (path, F_OK), 0);
    edge_store_upload_destroy (&upload);
    assert_int_equal (access (path, F_OK), -1);
    free (path);
    s_abort_by_id (store);
    //  ids that are not ours name no file
    assert_int_equal (edge_store_upload_abort (store, S_KEY, "../../x"), -1);
    assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_KEY);
    edge_store_destroy (&store);
}


//  ---------------------------------------------------------------------
//  S3 on s3rver

//  A store on s3rver with parts of S_PART bytes.
static edge_store_t *
s_s3_store (const char *key_id)
{
    edge_store_s3_opts_t opts = {
        s_s3rver.endpoint, "us-east-1", S_BUCKET, key_id, "S3RVER", "depot"};
    edge_store_t *store = edge_store_new_s3 (&opts);
    assert_non_null (store);
    assert_int_equal (edge_store_set_multipart (store, S_PART, S_PART), 0);
    return store;
}


static void
test_s3_upload_round_trips_in_parts_and_appears_only_at_commit (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store ("S3RVER");
    s_round_trip_in_parts (store);
    //  an empty object is a plain PUT
    edge_store_upload_t *upload = edge_store_upload_new (store, S_KEY, 0);
    assert_int_equal (edge_store_upload_commit (upload), 0);
    edge_store_upload_destroy (&upload);
    assert_true (s_object_matches (store, S_KEY, 0, 1));
    assert_int_equal (edge_store_delete (store, S_KEY), 0);
    edge_store_destroy (&store);
}


static void
test_s3_upload_destroyed_without_commit_leaves_nothing (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store ("S3RVER");
    s_destroy_without_commit_leaves_nothing (store);
    edge_store_destroy (&store);
}


static void
test_s3_upload_refuses_bytes_past_its_size (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store ("S3RVER");
    s_bytes_past_the_size_are_refused (store);
    edge_store_destroy (&store);
}


static void
test_s3_upload_aborts_by_id (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store ("S3RVER");
    s_abort_by_id (store);
    //  an unknown id is fine too
    assert_int_equal (edge_store_upload_abort (store, S_KEY, "no-such-id"), 0);
    edge_store_destroy (&store);
}


static void
test_s3_upload_with_a_refused_key_fails_at_once (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store ("NOT-A-KEY");
    assert_null (edge_store_upload_new (store, S_KEY, 100));
    assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_HTTP);
    assert_int_equal (edge_store_http_status (store), 403);
    assert_non_null (strstr (edge_store_errstr (store), "InvalidAccessKeyId"));
    assert_null (strstr (edge_store_errstr (store), "S3RVER"));
    edge_store_destroy (&store);
    store = s_s3_store ("S3RVER");
    assert_false (s_exists (store, S_KEY));
    edge_store_destroy (&store);
}


//  Last in its group: stops s3rver.
static void
test_s3_upload_whose_part_cannot_be_sent_fails_cleanly (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store ("S3RVER");
    edge_store_set_connect_timeout (store, 1000);
    edge_store_upload_t *upload =
        edge_store_upload_new (store, S_KEY, 3 * S_PART);
    assert_non_null (upload);
    s_write (upload, S_PART, 2); //  one full part, buffered
    edge_testutil_s3rver_stop (&s_s3rver);
    char byte = 'x';
    assert_int_equal (edge_store_upload_write (upload, &byte, 1), -1);
    assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_CONNECT);
    assert_int_equal (edge_store_upload_write (upload, &byte, 1), -1);
    assert_int_equal (edge_store_upload_commit (upload), -1);
    edge_store_upload_destroy (&upload); //  the abort fails: logged
    assert_null (upload);
    edge_store_destroy (&store);
}


int
main (void)
{
    edge_log_init ("test");
    snprintf (s_dir, sizeof s_dir, "/tmp/edge-test-upload-XXXXXX");
    if (!mkdtemp (s_dir))
        return 1;
    const struct CMUnitTest fs_tests[] = {
        cmocka_unit_test (
            test_fs_upload_round_trips_and_appears_only_at_commit),
        cmocka_unit_test (
            test_fs_upload_destroyed_without_commit_leaves_nothing),
        cmocka_unit_test (test_fs_upload_refuses_bytes_past_its_size),
        cmocka_unit_test (
            test_fs_upload_is_a_part_file_beside_the_key_and_aborts_by_id),
    };
    const struct CMUnitTest s3_tests[] = {
        cmocka_unit_test (
            test_s3_upload_round_trips_in_parts_and_appears_only_at_commit),
        cmocka_unit_test (
            test_s3_upload_destroyed_without_commit_leaves_nothing),
        cmocka_unit_test (test_s3_upload_refuses_bytes_past_its_size),
        cmocka_unit_test (test_s3_upload_aborts_by_id),
        cmocka_unit_test (test_s3_upload_with_a_refused_key_fails_at_once),
        cmocka_unit_test (
            test_s3_upload_whose_part_cannot_be_sent_fails_cleanly),
    };
    int rc = cmocka_run_group_tests_name ("fs", fs_tests, NULL, NULL);
    if (rc == 0 && system ("command -v npm >/dev/null 2>&1") != 0) {
        fprintf (stderr, "npm is not installed: s3 tests skipped\n");
        rc = 77;
    }
    else if (rc == 0) {
        char *data = edge_sprintf ("%s/s3rver", s_dir);
        rc = edge_testutil_s3rver_start (&s_s3rver, EDGE_S3RVER_SCRIPT, data,
                                         S_BUCKET)
                 ? 1
                 : cmocka_run_group_tests_name ("s3", s3_tests, NULL, NULL);
        edge_testutil_s3rver_stop (&s_s3rver);
        free (data);
    }
    char *cmd = edge_sprintf ("rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", s_dir);
    free (cmd);
    return rc;
}
