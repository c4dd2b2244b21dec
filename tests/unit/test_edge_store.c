/*  test_edge_store - the object store over a temporary directory, then
    over a real S3-compatible server: s3rver from the npm registry, run by
    scripts/s3rver.sh (which installs it into .cache/ when missing) on a
    free loopback port. Exits 77 (skip) only when npm is not installed,
    after the fs tests have passed; a failed install fails the test.
    s3rver 3.x checks that the access key id exists but does not verify
    SigV4 signatures, so "wrong credentials" here is a wrong access key.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_depot.h"
#include "edge_store.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_BUCKET "edge-test"
#define S_SECRET "S3RVER"

static char s_dir[128];    //  scratch directory of this run
static edge_testutil_s3rver_t s_s3rver;
static char s_endpoint[64];


//  ---------------------------------------------------------------------
//  Helpers

static char *
s_path (const char *name)
{
    return edge_sprintf ("%s/%s", s_dir, name);
}


//  Write size deterministic bytes (seeded) to path.
static void
s_make_file (const char *path, size_t size, uint32_t seed)
{
    FILE *f = fopen (path, "wb");
    assert_non_null (f);
    uint32_t x = seed | 1;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        fputc ((int) (x >> 24), f);
    }
    assert_int_equal (fclose (f), 0);
}


static bool
s_files_equal (const char *a, const char *b)
{
    FILE *fa = fopen (a, "rb"), *fb = fopen (b, "rb");
    bool is_equal = fa && fb;
    while (is_equal) {
        int ca = fgetc (fa), cb = fgetc (fb);
        is_equal = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose (fa);
    if (fb)
        fclose (fb);
    return is_equal;
}


static char *
s_read_text (const char *path)
{
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    char *buf = edge_calloc (1, 1 << 20);
    size_t n = fread (buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose (f);
    return buf;
}


//  Collects listed keys as "key=size\n" lines.
typedef struct {
    char text[4096];
    int count;
    int stop_after; //  return -1 after this many (0: never)
} s_listing_t;


static int
s_collect (const char *key, uint64_t size, void *arg)
{
    s_listing_t *l = arg;
    size_t len = strlen (l->text);
    snprintf (l->text + len, sizeof l->text - len, "%s=%llu\n", key,
              (unsigned long long) size);
    l->count++;
    return l->stop_after && l->count >= l->stop_after ? -1 : 0;
}


//  ---------------------------------------------------------------------
//  Tests that run on any store

static void
s_round_trip (edge_store_t *store)
{
    const char *text = "{\"manifest\":1}";
    assert_int_equal (
        edge_store_put_mem (store, "dxf/o/a/0001/m.json", text, strlen (text)),
        0);
    bool exists = false;
    uint64_t size = 0;
    assert_int_equal (
        edge_store_head (store, "dxf/o/a/0001/m.json", &exists, &size), 0);
    assert_true (exists);
    assert_int_equal (size, strlen (text));

    char *src = s_path ("big.src"), *dst = s_path ("out/big.dst");
    s_make_file (src, 3 * 1024 * 1024 + 17, 7);
    assert_int_equal (edge_store_put_file (store, "dxf/o/a/0001/seg 1+2", src),
                      0);
    assert_int_equal (edge_store_get_file (store, "dxf/o/a/0001/seg 1+2", dst),
                      0);
    assert_true (s_files_equal (src, dst));
    assert_int_equal (
        edge_store_head (store, "dxf/o/a/0001/seg 1+2", &exists, &size), 0);
    assert_int_equal (size, 3 * 1024 * 1024 + 17);

    //  Overwrite with something shorter: the new content wins, whole.
    s_make_file (src, 1000, 9);
    assert_int_equal (edge_store_put_file (store, "dxf/o/a/0001/seg 1+2", src),
                      0);
    assert_int_equal (edge_store_get_file (store, "dxf/o/a/0001/seg 1+2", dst),
                      0);
    assert_true (s_files_equal (src, dst));

    assert_int_equal (edge_store_delete (store, "dxf/o/a/0001/seg 1+2"), 0);
    assert_int_equal (
        edge_store_head (store, "dxf/o/a/0001/seg 1+2", &exists, &size), 0);
    assert_false (exists);
    assert_int_equal (edge_store_err (store), EDGE_ERR_OK);
    //  Deleting again is fine; getting it is "not found".
    assert_int_equal (edge_store_delete (store, "dxf/o/a/0001/seg 1+2"), 0);
    assert_int_equal (edge_store_get_file (store, "dxf/o/a/0001/seg 1+2", dst),
                      -1);
    assert_int_equal (edge_store_err (store), EDGE_ERR_NOT_FOUND);
    assert_string_not_equal (edge_store_errstr (store), "");
    //  The failed get left the previous file alone.
    assert_true (s_files_equal (src, dst));
    assert_int_equal (edge_store_delete (store, "dxf/o/a/0001/m.json"), 0);
    free (src);
    free (dst);
}


static void
s_listing (edge_store_t *store)
{
    const char *keys[] = {"dxf/a/1", "dxf/a/2", "dxf/b/1", "pat/x/0001/0002",
                          "dxf/c"};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal (edge_store_put_mem (store, keys[i], keys[i], i), 0);
    s_listing_t all = {"", 0, 0}, dxf = {"", 0, 0}, a = {"", 0, 0};
    s_listing_t none = {"", 0, 0}, stop = {"", 0, 2};
    assert_int_equal (edge_store_list (store, "", s_collect, &all), 0);
    assert_int_equal (all.count, 5);
    assert_non_null (strstr (all.text, "pat/x/0001/0002=3\n"));
    assert_int_equal (edge_store_list (store, "dxf/", s_collect, &dxf), 0);
    assert_int_equal (dxf.count, 4);
    assert_null (strstr (dxf.text, "pat/"));
    assert_int_equal (edge_store_list (store, "dxf/a", s_collect, &a), 0);
    assert_int_equal (a.count, 2);
    assert_non_null (strstr (a.text, "dxf/a/2=1\n"));
    assert_int_equal (edge_store_list (store, "nope/", s_collect, &none), 0);
    assert_int_equal (none.count, 0);
    //  The callback can stop the walk; that is not a store error.
    assert_int_equal (edge_store_list (store, "", s_collect, &stop), -1);
    assert_int_equal (stop.count, 2);
    assert_int_equal (edge_store_err (store), EDGE_ERR_OK);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal (edge_store_delete (store, keys[i]), 0);
    s_listing_t after = {"", 0, 0};
    assert_int_equal (edge_store_list (store, "", s_collect, &after), 0);
    assert_int_equal (after.count, 0);
}


static void
s_bad_keys (edge_store_t *store)
{
    const char *bad[] = {"",      "/abs", "../up", "a/../b",
                         "a/..",  "a//b", "a/",    "./a",
                         "a/./b", "a\\b", "a\nb",  ".edge-tmp.x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal (edge_store_put_mem (store, bad[i], "x", 1), -1);
        assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_KEY);
        bool exists = true;
        assert_int_equal (edge_store_head (store, bad[i], &exists, NULL), -1);
        assert_false (exists);
        assert_int_equal (edge_store_delete (store, bad[i]), -1);
    }
    assert_int_equal (edge_store_put_mem (store, NULL, "x", 1), -1);
    s_listing_t l = {"", 0, 0};
    assert_int_equal (edge_store_list (store, "../", s_collect, &l), -1);
    assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_KEY);
    assert_true (edge_store_key_is_valid ("dxf/org/app/0001/x.y-z_~"));
    assert_true (edge_store_key_is_valid ("a..b/.c"));
}


//  ---------------------------------------------------------------------
//  fs store

static void
test_fs_store_is_created_and_destroyed (void **state)
{
    (void) state;
    char *root = s_path ("fs-new/a/b");
    edge_store_t *store = edge_store_new_fs (root);
    assert_non_null (store);
    assert_string_equal (edge_store_kind (store), "fs");
    struct stat st;
    assert_int_equal (stat (root, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    edge_store_destroy (&store);
    assert_null (store);
    edge_store_destroy (&store);
    assert_null (edge_store_new_fs ("relative/path"));
    assert_null (edge_store_new_fs (NULL));
    free (root);
}


static void
test_fs_store_round_trips_and_overwrites (void **state)
{
    (void) state;
    char *root = s_path ("fs-rt");
    edge_store_t *store = edge_store_new_fs (root);
    assert_non_null (store);
    s_round_trip (store);
    edge_store_destroy (&store);
    free (root);
}


static void
test_fs_store_lists_by_prefix_and_cleans_empty_directories (void **state)
{
    (void) state;
    char *root = s_path ("fs-list");
    edge_store_t *store = edge_store_new_fs (root);
    assert_non_null (store);
    s_listing (store);
    //  Deleting the last key removed its now-empty directories.
    char *dxf = edge_sprintf ("%s/dxf", root);
    struct stat st;
    assert_int_equal (stat (dxf, &st), -1);
    assert_int_equal (stat (root, &st), 0);
    free (dxf);
    edge_store_destroy (&store);
    free (root);
}


static void
test_fs_store_refuses_bad_keys_and_writes_nothing_outside (void **state)
{
    (void) state;
    char *root = s_path ("fs-keys/root");
    edge_store_t *store = edge_store_new_fs (root);
    assert_non_null (store);
    s_bad_keys (store);
    char *escaped = s_path ("fs-keys/up");
    assert_int_equal (access (escaped, F_OK), -1);
    free (escaped);
    edge_store_destroy (&store);
    free (root);
}


static void
test_fs_store_leaves_no_temporary_files (void **state)
{
    (void) state;
    char *root = s_path ("fs-tmp");
    edge_store_t *store = edge_store_new_fs (root);
    for (int i = 0; i < 3; i++)
        assert_int_equal (edge_store_put_mem (store, "k/v", "abc", 3), 0);
    char *cmd = edge_sprintf ("ls -A %s/k", root);
    FILE *p = popen (cmd, "r");
    char line[256] = "";
    assert_non_null (fgets (line, sizeof line, p));
    assert_string_equal (line, "v\n");
    assert_null (fgets (line, sizeof line, p));
    pclose (p);
    free (cmd);
    edge_store_destroy (&store);
    free (root);
}


static void
test_fs_store_moves_a_file_into_place_without_a_copy (void **state)
{
    (void) state;
    char *root = s_path ("fs-move/store");
    char *src = s_path ("fs-move/scratch.part");
    edge_store_t *store = edge_store_new_fs (root);
    assert_non_null (store);
    FILE *file = fopen (src, "wb");
    assert_non_null (file);
    fputs ("native build bytes", file);
    fclose (file);
    struct stat before, after;
    assert_int_equal (stat (src, &before), 0);
    assert_int_equal (
        edge_store_put_file_move (store, "builds/o/a/g.tar", src), 0);
    assert_int_equal (access (src, F_OK), -1);
    char *dest = edge_sprintf ("%s/builds/o/a/g.tar", root);
    assert_int_equal (stat (dest, &after), 0);
    assert_true (before.st_ino == after.st_ino); //  renamed, not copied
    assert_int_equal (after.st_mode & 0777, 0644);
    uint64_t size = 0;
    bool exists = false;
    assert_int_equal (
        edge_store_head (store, "builds/o/a/g.tar", &exists, &size), 0);
    assert_true (exists);
    assert_int_equal (size, 18);
    //  A bad key consumes nothing
    file = fopen (src, "wb");
    fputs ("x", file);
    fclose (file);
    assert_int_equal (edge_store_put_file_move (store, "../up", src), -1);
    assert_int_equal (access (src, F_OK), 0);
    free (dest);
    edge_store_destroy (&store);
    free (src);
    free (root);
}


static void
test_store_from_url_picks_the_kind (void **state)
{
    (void) state;
    char *url = edge_sprintf ("file://%s/fs-url", s_dir);
    edge_store_t *store = edge_store_new_from_url (url, NULL);
    assert_non_null (store);
    assert_string_equal (edge_store_kind (store), "fs");
    edge_store_destroy (&store);
    free (url);
    edge_store_s3_opts_t opts = {
        "http://127.0.0.1:1", "", NULL, "id", "secret", NULL};
    store = edge_store_new_from_url ("s3://my-bucket/some/prefix", &opts);
    assert_non_null (store);
    assert_string_equal (edge_store_kind (store), "s3");
    edge_store_destroy (&store);
    assert_null (edge_store_new_from_url ("s3://my-bucket/p", NULL));
    assert_null (edge_store_new_from_url ("s3:///p", &opts));
    assert_null (edge_store_new_from_url ("ftp://x/y", &opts));
    assert_null (edge_store_new_from_url ("file://relative", NULL));
    assert_string_equal (edge_store_url_dir ("file:///srv/depot"),
                         "/srv/depot");
    assert_null (edge_store_url_dir ("s3://my-bucket"));
    assert_null (edge_store_url_dir (NULL));
    opts.endpoint = "ftp://127.0.0.1:1";
    assert_null (edge_store_new_from_url ("s3://my-bucket", &opts));
    opts.endpoint = "http://127.0.0.1:1/some/path";
    assert_null (edge_store_new_from_url ("s3://my-bucket", &opts));
}


static void
test_multipart_parts_grow_to_stay_within_ten_thousand (void **state)
{
    (void) state;
    const uint64_t mib = 1ull << 20, part = EDGE_STORE_PART_SIZE;
    assert_int_equal (edge_store_part_size (1, part), part);
    assert_int_equal (edge_store_part_size (part * 10000, part), part);
    //  1 TiB: 16 MiB parts would be 65,536 of them
    uint64_t tib = 1ull << 40, got = edge_store_part_size (tib, part);
    assert_true (got > part);
    assert_true ((tib + got - 1) / got <= EDGE_STORE_MAX_PARTS);
    assert_true (got < part * 7);
    //  one byte over the preferred 10,000 parts
    got = edge_store_part_size (5 * mib * 10000 + 1, 5 * mib);
    assert_true ((5 * mib * 10000 + 1 + got - 1) / got <= EDGE_STORE_MAX_PARTS);
    //  5 TB fits (S3's object limit); 10,000 parts of 5 GiB is the ceiling
    assert_true (edge_store_part_size (5000000000000ull, part) > 0);
    assert_int_equal (
        edge_store_part_size (EDGE_STORE_MAX_PART_SIZE * 10000 + 1, part), 0);
}


static void
test_s3_endpoint_may_be_a_bare_host_meaning_https (void **state)
{
    (void) state;
    const char *cases[][2] = {
        {"s3.us-east-1.amazonaws.com", "https://s3.us-east-1.amazonaws.com"},
        {"127.0.0.1:9000", "https://127.0.0.1:9000"},
        {"http://127.0.0.1:9000", "http://127.0.0.1:9000"},
        {"https://s3.example.com/", "https://s3.example.com/"},
        {"ftp://x", "ftp://x"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *url = edge_store_s3_endpoint_url (cases[i][0]);
        assert_string_equal (url, cases[i][1]);
        free (url);
    }
    edge_store_s3_opts_t opts = {
        "s3.us-east-1.amazonaws.com", "", "my-bucket", "id", "secret", NULL};
    edge_store_t *store = edge_store_new_s3 (&opts);
    assert_non_null (store);
    edge_store_destroy (&store);
    const char *bad[] = {"", "127.0.0.1:9000/path", "u:p@127.0.0.1",
                         "ftp://127.0.0.1", "https://", "/only/path"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        opts.endpoint = bad[i];
        assert_null (edge_store_new_s3 (&opts));
    }
}


//  ---------------------------------------------------------------------
//  s3 store against s3rver

static int
s_s3rver_start (void **state)
{
    (void) state;
    char *data = s_path ("s3rver");
    int rc = edge_testutil_s3rver_start (&s_s3rver, EDGE_S3RVER_SCRIPT, data,
                                         S_BUCKET);
    snprintf (s_endpoint, sizeof s_endpoint, "%s", s_s3rver.endpoint);
    free (data);
    return rc;
}


static int
s_s3rver_stop (void **state)
{
    (void) state;
    edge_testutil_s3rver_stop (&s_s3rver);
    return 0;
}


static edge_store_t *
s_s3_store (const char *bucket, const char *key_id, const char *prefix)
{
    edge_store_s3_opts_t opts = {s_endpoint, "us-east-1", bucket,
                                 key_id,     S_SECRET,    prefix};
    edge_store_t *store = edge_store_new_s3 (&opts);
    assert_non_null (store);
    return store;
}


static void
test_s3_store_round_trips_and_overwrites (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store (S_BUCKET, "S3RVER", "/origin/");
    assert_string_equal (edge_store_kind (store), "s3");
    s_round_trip (store);
    edge_store_destroy (&store);
    assert_null (store);
    edge_store_destroy (&store);
}


static void
test_s3_store_lists_pages_with_continuation_tokens (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store (S_BUCKET, "S3RVER", "list-test");
    edge_store_set_list_page (store, 2); //  5 keys: 3 pages
    s_listing (store);
    //  Keys outside the store's prefix are not the store's.
    edge_store_t *other = s_s3_store (S_BUCKET, "S3RVER", "");
    assert_int_equal (edge_store_put_mem (other, "elsewhere/k", "x", 1), 0);
    s_listing_t l = {"", 0, 0};
    assert_int_equal (edge_store_list (store, "", s_collect, &l), 0);
    assert_int_equal (l.count, 0);
    assert_int_equal (edge_store_delete (other, "elsewhere/k"), 0);
    edge_store_destroy (&other);
    edge_store_destroy (&store);
}


static void
test_s3_store_refuses_bad_keys (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store (S_BUCKET, "S3RVER", "");
    s_bad_keys (store);
    edge_store_destroy (&store);
}


//  Count lines of the debug log (captured from stdout) containing text.
static int
s_count (const char *log, const char *text)
{
    int n = 0;
    for (const char *p = log; (p = strstr (p, text)); p++)
        n++;
    return n;
}


static void
test_s3_store_uploads_big_files_in_parts (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store (S_BUCKET, "S3RVER", "mp");
    assert_int_equal (edge_store_set_multipart (store, 5 << 20, 1 << 20), -1);
    assert_int_equal (edge_store_set_multipart (store, 4 << 20, 5 << 20), -1);
    assert_int_equal (edge_store_set_multipart (store, 5 << 20, 5 << 20), 0);
    char *src = s_path ("mp.src"), *dst = s_path ("mp.dst");
    char *log = s_path ("mp.log");
    s_make_file (src, (6 << 20) + 123, 11);

    //  The debug log names every request: capture it to see the parts.
    fflush (stdout);
    int saved = dup (1);
    int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2 (fd, 1);
    close (fd);
    int level = edge_log_threshold;
    edge_log_threshold = EDGE_LOG_DEBUG;
    int rc = edge_store_put_file (store, "big/object", src);
    edge_log_threshold = level;
    fflush (stdout);
    dup2 (saved, 1);
    close (saved);
    assert_int_equal (rc, 0);

    char *text = s_read_text (log);
    assert_int_equal (
        s_count (text, "s3 POST /edge-test/mp/big/object?uploads= -> 200"), 1);
    assert_int_equal (s_count (text, "?partNumber=1&uploadId="), 1);
    assert_int_equal (s_count (text, "?partNumber=2&uploadId="), 1);
    assert_int_equal (s_count (text, "?partNumber=3"), 0);
    assert_int_equal (s_count (text, "POST /edge-test/mp/big/object?uploadId="),
                      1);
    free (text);

    assert_int_equal (edge_store_get_file (store, "big/object", dst), 0);
    assert_true (s_files_equal (src, dst));
    uint64_t size = 0;
    bool exists = false;
    assert_int_equal (edge_store_head (store, "big/object", &exists, &size), 0);
    assert_int_equal (size, (6 << 20) + 123);
    assert_int_equal (edge_store_delete (store, "big/object"), 0);
    free (log);
    free (src);
    free (dst);
    edge_store_destroy (&store);
}


//  The depot's start-up check: a working bucket passes; a missing bucket,
//  a refused key and missing settings each give one clear line without
//  the secret. An fs depot passes when its directory can be made.
static void
test_depot_check_at_start_names_what_is_wrong (void **state)
{
    (void) state;
    char url[96], fs_url[200], why[300];
    snprintf (url, sizeof url, "s3://%s/depot", S_BUCKET);
    edge_depot_cfg_t cfg = {url, s_endpoint, "us-east-1", "S3RVER", S_SECRET};
    assert_int_equal (edge_depot_check (&cfg, why, sizeof why), 0);
    edge_store_t *store = edge_depot_open (&cfg);
    assert_non_null (store);
    assert_string_equal (edge_store_kind (store), "s3");
    edge_store_destroy (&store);

    cfg.url = "s3://no-such-bucket/depot";
    assert_int_equal (edge_depot_check (&cfg, why, sizeof why), -1);
    assert_non_null (strstr (why, "no-such-bucket"));
    assert_non_null (strstr (why, "NoSuchBucket"));
    cfg.url = url;
    cfg.s3_key_id = "NOT-A-KEY";
    assert_int_equal (edge_depot_check (&cfg, why, sizeof why), -1);
    assert_non_null (strstr (why, "InvalidAccessKeyId"));
    assert_null (strstr (why, S_SECRET));
    cfg.s3_key_id = "";
    assert_int_equal (edge_depot_check (&cfg, why, sizeof why), -1);
    assert_non_null (strstr (why, "EDGE_STORE_S3_ACCESS_KEY_ID"));

    snprintf (fs_url, sizeof fs_url, "file://%s/depot-check", s_dir);
    edge_depot_cfg_t fs = {fs_url, "", "", "", ""};
    assert_int_equal (edge_depot_check (&fs, why, sizeof why), 0);
    assert_false (edge_depot_is_s3 (&fs));
    fs.url = "file:///proc/edge-cannot-be-made";
    assert_int_equal (edge_depot_check (&fs, why, sizeof why), -1);
}


static void
test_s3_store_wrong_access_key_is_a_clear_error (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store (S_BUCKET, "NOT-A-KEY", "");
    assert_int_equal (edge_store_put_mem (store, "k", "x", 1), -1);
    assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_HTTP);
    assert_int_equal (edge_store_http_status (store), 403);
    assert_non_null (strstr (edge_store_errstr (store), "InvalidAccessKeyId"));
    assert_null (strstr (edge_store_errstr (store), S_SECRET));
    bool exists = true;
    assert_int_equal (edge_store_head (store, "k", &exists, NULL), -1);
    assert_int_equal (edge_store_http_status (store), 403);
    s_listing_t l = {"", 0, 0};
    assert_int_equal (edge_store_list (store, "", s_collect, &l), -1);
    assert_int_equal (edge_store_http_status (store), 403);
    //  A multipart upload fails at its first step with the same error.
    char *src = s_path ("wrong.src");
    s_make_file (src, (5 << 20) + 1, 3);
    assert_int_equal (edge_store_set_multipart (store, 5 << 20, 5 << 20), 0);
    assert_int_equal (edge_store_put_file (store, "k", src), -1);
    assert_non_null (strstr (edge_store_errstr (store), "InvalidAccessKeyId"));
    free (src);
    edge_store_destroy (&store);
}


static void
test_s3_store_missing_bucket_is_a_clear_error (void **state)
{
    (void) state;
    edge_store_t *store = s_s3_store ("no-such-bucket", "S3RVER", "");
    assert_int_equal (edge_store_put_mem (store, "k", "x", 1), -1);
    assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_HTTP);
    assert_int_equal (edge_store_http_status (store), 404);
    assert_non_null (strstr (edge_store_errstr (store), "NoSuchBucket"));
    char *dst = s_path ("nb.dst");
    assert_int_equal (edge_store_get_file (store, "k", dst), -1);
    assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_HTTP);
    assert_int_equal (access (dst, F_OK), -1);
    free (dst);
    edge_store_destroy (&store);
}


static void
test_s3_store_request_timeout_bounds_a_silent_server (void **state)
{
    (void) state;
    //  A listening socket that never accepts: connections complete in the
    //  kernel's backlog, requests are never answered
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal (bind (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (listen (fd, 8), 0);
    assert_int_equal (getsockname (fd, (struct sockaddr *) &addr, &len), 0);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "http://127.0.0.1:%d",
              ntohs (addr.sin_port));
    edge_store_s3_opts_t opts = {endpoint, NULL,     S_BUCKET,
                                 "S3RVER", S_SECRET, NULL};
    edge_store_t *store = edge_store_new_s3 (&opts);
    assert_non_null (store);
    edge_store_set_timeout (store, 300);
    int64_t start = edge_mono_ms ();
    bool exists = true;
    uint64_t size = 0;
    assert_int_equal (edge_store_head (store, "k", &exists, &size), -1);
    //  without the limit the request would wait for the 60 s stall rule
    assert_true (edge_mono_ms () - start < 30000);
    assert_null (strstr (edge_store_errstr (store), S_SECRET));
    edge_store_destroy (&store);
    close (fd);
}


static void
test_s3_store_unreachable_endpoint_is_a_clear_error (void **state)
{
    (void) state;
    edge_store_s3_opts_t opts = {NULL,     NULL,     S_BUCKET,
                                 "S3RVER", S_SECRET, NULL};
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "http://127.0.0.1:%d",
              edge_testutil_free_port ());
    opts.endpoint = endpoint;
    edge_store_t *store = edge_store_new_s3 (&opts);
    assert_non_null (store);
    edge_store_set_connect_timeout (store, 2000);
    int64_t start = edge_mono_ms ();
    assert_int_equal (edge_store_put_mem (store, "k", "x", 1), -1);
    assert_int_equal (edge_store_err (store), EDGE_ERR_STORE_CONNECT);
    assert_int_equal (edge_store_http_status (store), 0);
    assert_non_null (strstr (edge_store_errstr (store), "connect"));
    assert_null (strstr (edge_store_errstr (store), S_SECRET));
    assert_true (edge_mono_ms () - start < 3000);
    edge_store_destroy (&store);
}


int
main (void)
{
    edge_log_init ("test");
    snprintf (s_dir, sizeof s_dir, "/tmp/edge-test-store-XXXXXX");
    if (!mkdtemp (s_dir))
        return 1;
    const struct CMUnitTest fs_tests[] = {
        cmocka_unit_test (test_fs_store_is_created_and_destroyed),
        cmocka_unit_test (test_fs_store_round_trips_and_overwrites),
        cmocka_unit_test (
            test_fs_store_lists_by_prefix_and_cleans_empty_directories),
        cmocka_unit_test (
            test_fs_store_refuses_bad_keys_and_writes_nothing_outside),
        cmocka_unit_test (test_fs_store_leaves_no_temporary_files),
        cmocka_unit_test (
            test_fs_store_moves_a_file_into_place_without_a_copy),
        cmocka_unit_test (test_store_from_url_picks_the_kind),
        cmocka_unit_test (test_s3_endpoint_may_be_a_bare_host_meaning_https),
        cmocka_unit_test (test_multipart_parts_grow_to_stay_within_ten_thousand),
    };
    const struct CMUnitTest s3_tests[] = {
        cmocka_unit_test (test_s3_store_round_trips_and_overwrites),
        cmocka_unit_test (test_s3_store_lists_pages_with_continuation_tokens),
        cmocka_unit_test (test_s3_store_refuses_bad_keys),
        cmocka_unit_test (test_s3_store_uploads_big_files_in_parts),
        cmocka_unit_test (test_s3_store_wrong_access_key_is_a_clear_error),
        cmocka_unit_test (test_depot_check_at_start_names_what_is_wrong),
        cmocka_unit_test (test_s3_store_missing_bucket_is_a_clear_error),
        cmocka_unit_test (
            test_s3_store_request_timeout_bounds_a_silent_server),
        cmocka_unit_test (test_s3_store_unreachable_endpoint_is_a_clear_error),
    };
    int rc = cmocka_run_group_tests_name ("fs", fs_tests, NULL, NULL);
    if (rc == 0 && system ("command -v npm >/dev/null 2>&1") != 0) {
        fprintf (stderr, "npm is not installed: s3 tests skipped\n");
        rc = 77;
    }
    else if (rc == 0)
        rc = cmocka_run_group_tests_name ("s3", s3_tests, s_s3rver_start,
                                          s_s3rver_stop);
    char *cmd = edge_sprintf ("rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", s_dir);
    free (cmd);
    return rc;
}
