/*  gw_testhttp - HTTP clients for gateway tests, and the gateway fixture
    of the build and upload tests.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_testhttp.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "gw_ident.h"
#include "gw_testacct.h"
#include "gw_upload.h"
#include "proto_job.h"
#include <czmq.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
    char *data;
    size_t len;
    char location[256];
} s_buf_t;

//  The fixture (gw_testhttp_start to gw_testhttp_stop).
static edge_testutil_redis_t s_redis_server;
static edge_redis_t *s_redis;
static gw_config_t s_config;
static gw_server_t *s_server;
static zsock_t *s_broker;
static char s_depot[128]; //  scratch directory (and the file:// depot)
static char s_store_url[160], s_listen[64], s_broker_ep[64];
static edge_testutil_s3rver_t s_s3rver; //  the s3:// depot's server
static edge_depot_cfg_t s_depot_cfg;    //  the depot of every server
static edge_store_t *s_store;           //  the test's own view of it
static char s_pwhash[GW_IDENT_PWHASH_MAX];
static char s_boss[GW_IDENT_TOKEN_MAX]; //  auth token of boss@acme


static size_t
s_on_body (char *data, size_t size, size_t n, void *arg)
{
    s_buf_t *buf = arg;
    buf->data = edge_realloc (buf->data, buf->len + size * n + 1);
    memcpy (buf->data + buf->len, data, size * n);
    buf->len += size * n;
    buf->data[buf->len] = 0;
    return size * n;
}


static size_t
s_on_header (char *data, size_t size, size_t n, void *arg)
{
    s_buf_t *buf = arg;
    if (size * n > 10 && strncasecmp (data, "Location: ", 10) == 0)
        snprintf (buf->location, sizeof buf->location, "%.*s",
                  (int) strcspn (data + 10, "\r\n"), data + 10);
    return size * n;
}


//  Perform curl, answer the status and the parsed JSON body (caller owns,
//  NULL when empty); location gets the Location header when not NULL.
static json_t *
s_perform (CURL *curl, struct curl_slist *headers, long *status, char *location)
{
    s_buf_t buf = {0};
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, &buf);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform (curl);
    if (rc != CURLE_OK)
        fail_msg ("curl: %s", curl_easy_strerror (rc));
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, status);
    json_t *body = buf.len ? json_loadb (buf.data, buf.len, 0, NULL) : NULL;
    if (buf.len)
        assert_non_null (body);
    if (location)
        snprintf (location, 256, "%s", buf.location);
    free (buf.data);
    curl_slist_free_all (headers);
    curl_easy_cleanup (curl);
    return body;
}


//  method path with a JSON body (or NULL) as the holder of auth (or
//  nobody), on the server at port.
json_t *
gw_testhttp_call (int port,
                  const char *auth,
                  const char *method,
                  const char *path,
                  const char *body,
                  long *status,
                  char *location)
{
    CURL *curl = curl_easy_init ();
    char url[512], header[128];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *headers = NULL;
    if (auth) {
        snprintf (header, sizeof header, "x-rockit-beauth-token: %s", auth);
        headers = curl_slist_append (headers, header);
    }
    if (body) {
        headers = curl_slist_append (headers, "Content-Type: application/json");
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
    }
    return s_perform (curl, headers, status, location);
}


//  Assert body is an error with status and code, then free it.
void
gw_testhttp_assert_error (json_t *body, long status, const char *code)
{
    json_t *error = json_object_get (body, "error");
    assert_non_null (error);
    assert_int_equal (json_integer_value (json_object_get (error, "status")),
                      status);
    assert_string_equal (json_string_value (json_object_get (error, "code")),
                         code);
    json_decref (body);
}


const char *
gw_testhttp_str (const json_t *obj, const char *key)
{
    const char *value = json_string_value (json_object_get (obj, key));
    assert_non_null (value);
    return value;
}


unsigned char
gw_testhttp_byte (uint32_t seed, uint64_t i)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return (unsigned char) x;
}


typedef struct {
    uint32_t seed;
    uint64_t pos, total;
} s_gen_t;


static size_t
s_on_read (char *data, size_t size, size_t n, void *arg)
{
    s_gen_t *gen = arg;
    size_t len = size * n;
    if (len > gen->total - gen->pos)
        len = (size_t) (gen->total - gen->pos);
    for (size_t i = 0; i < len; i++)
        data[i] = (char) gw_testhttp_byte (gen->seed, gen->pos + i);
    gen->pos += len;
    return len;
}


//  PUT total generated bytes to url (with a Content-Length, or chunked).
json_t *
gw_testhttp_put (const char *url,
                 uint64_t total,
                 uint32_t seed,
                 bool is_chunked,
                 long *status)
{
    CURL *curl = curl_easy_init ();
    s_gen_t gen = {seed, 0, total};
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt (curl, CURLOPT_READFUNCTION, s_on_read);
    curl_easy_setopt (curl, CURLOPT_READDATA, &gen);
    struct curl_slist *headers =
        curl_slist_append (NULL, "Content-Type: application/x-tar");
    if (is_chunked)
        headers = curl_slist_append (headers, "Transfer-Encoding: chunked");
    else
        curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) total);
    return s_perform (curl, headers, status, NULL);
}


//  The path part of an upload URL ("/upload/v1/<token>").
bool
gw_testhttp_file_matches (const char *path, uint64_t total, uint32_t seed)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return false;
    unsigned char buf[65536];
    uint64_t pos = 0;
    size_t n;
    bool is_same = true;
    while (is_same && (n = fread (buf, 1, sizeof buf, file)) > 0) {
        for (size_t i = 0; i < n && is_same; i++)
            is_same = buf[i] == gw_testhttp_byte (seed, pos + i);
        pos += n;
    }
    fclose (file);
    return is_same && pos == total;
}


const char *
gw_testhttp_upload_path (const char *url)
{
    const char *path = strstr (url, GW_UPLOAD_PATH);
    assert_non_null (path);
    return path;
}


int
gw_testhttp_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t) port)};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    struct timeval tv = {20, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}


void
gw_testhttp_send (int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
        assert_true (n > 0);
        p += n;
        len -= (size_t) n;
    }
}


//  Send generated bytes [from, to) of seed.
void
gw_testhttp_send_bytes (int fd, uint32_t seed, uint64_t from, uint64_t to)
{
    char buf[65536];
    while (from < to) {
        size_t len = to - from < sizeof buf ? (size_t) (to - from) : sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = (char) gw_testhttp_byte (seed, from + i);
        gw_testhttp_send (fd, buf, len);
        from += len;
    }
}


//  Read one response head; returns its status.
int
gw_testhttp_read_status (int fd)
{
    char buf[4096];
    return gw_testhttp_read_head (fd, buf, sizeof buf);
}


int
gw_testhttp_read_head (int fd, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    while (len < size - 1 && !strstr (buf, "\r\n\r\n")) {
        ssize_t n = recv (fd, buf + len, size - 1 - len, 0);
        if (n <= 0)
            break;
        len += (size_t) n;
        buf[len] = 0;
    }
    int status = 0;
    sscanf (buf, "HTTP/1.1 %d", &status);
    return status;
}


void
gw_testhttp_capture_begin (const char *dir, int *saved, char *path)
{
    fflush (stdout);
    *saved = dup (1);
    snprintf (path, 128, "%s/stdout.log", dir);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2 (fd, 1);
    close (fd);
}


char *
gw_testhttp_capture_end (int saved, const char *path)
{
    fflush (stdout);
    dup2 (saved, 1);
    close (saved);
    FILE *file = fopen (path, "rb");
    char *text = edge_calloc (1, 1 << 20);
    size_t n = fread (text, 1, (1 << 20) - 1, file);
    text[n] = 0;
    fclose (file);
    unlink (path);
    return text;
}


//  True when the len bytes at data contain text.
static bool
s_bytes_contain (const char *data, size_t len, const char *text)
{
    size_t n = strlen (text);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp (data + i, text, n) == 0)
            return true;
    return false;
}


//  True when any reply element (recursively) contains text.
bool
gw_testhttp_reply_contains (const redisReply *reply, const char *text)
{
    if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS)
        return s_bytes_contain (reply->str, reply->len, text);
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
         i++)
        if (gw_testhttp_reply_contains (reply->element[i], text))
            return true;
    return false;
}


bool
gw_testhttp_redis_contains (edge_redis_t *redis, const char *text)
{
    redisReply *keys = edge_redis_command (redis, "KEYS *");
    assert_non_null (keys);
    bool found = gw_testhttp_reply_contains (keys, text);
    for (size_t i = 0; i < keys->elements && !found; i++) {
        const char *key = keys->element[i]->str;
        redisReply *type = edge_redis_command (redis, "TYPE %s", key);
        const char *cmd = strcmp (type->str, "hash") == 0     ? "HGETALL %s"
                          : strcmp (type->str, "string") == 0 ? "GET %s"
                          : strcmp (type->str, "stream") == 0
                              ? "XRANGE %s - +"
                              : "ZRANGE %s 0 -1";
        freeReplyObject (type);
        redisReply *value = edge_redis_command (redis, cmd, key);
        found = value && gw_testhttp_reply_contains (value, text);
        freeReplyObject (value);
    }
    freeReplyObject (keys);
    return found;
}


//  ---------------------------------------------------------------------
//  The gateway fixture


void
gw_testhttp_config (gw_config_t *config,
                    const char *listen,
                    const char *redis_url,
                    const char *broker,
                    const char *store_url)
{
    *config = (gw_config_t){
        .listen = (char *) listen,
        .redis_url = (char *) redis_url,
        .redis_timeout_ms = 5000,
        .broker_frontend = (char *) broker,
        .admin_secret = GW_TESTHTTP_SECRET,
        .threads = 4,
        .max_body = 1 << 20,
        .broker_timeout_ms = 500,
        .url_allow = "127.0.0.0/8",
        .openapi_path = "",
        .session_ttl_s = 3600,
        .auth_ttl_s = 300,
        .login_max_failures = 5,
        .login_max_failures_ip = 50,
        .login_window_s = 900,
        .operator_org = "",
        .depot = {.url = (char *) store_url},
        .upload_expiry_ms = 600000,
        .upload_max_bytes = GW_TESTHTTP_MAX_BYTES,
        .public_url = "",
        .upload_parallel = 2,
    };
}


void
gw_testhttp_fixture_config (gw_config_t *config, const char *listen)
{
    gw_testhttp_config (config, listen, s_redis_server.url, s_broker_ep,
                        s_store_url);
    config->depot = s_depot_cfg;
    if (edge_depot_is_s3 (&s_depot_cfg))
        config->upload_part_bytes = GW_TESTHTTP_PART_BYTES;
}


//  The s3:// depot: s3rver with its data in the scratch directory.
static int
s_start_s3 (void)
{
    char *data = edge_sprintf ("%s/s3rver", s_depot);
    int rc = edge_testutil_s3rver_start (&s_s3rver, EDGE_S3RVER_SCRIPT, data,
                                         GW_TESTHTTP_BUCKET);
    free (data);
    snprintf (s_store_url, sizeof s_store_url, "s3://%s/depot",
              GW_TESTHTTP_BUCKET);
    s_depot_cfg = (edge_depot_cfg_t){s_store_url, s_s3rver.endpoint,
                                     "us-east-1", "S3RVER", "S3RVER"};
    return rc;
}


int
gw_testhttp_start (const char *name)
{
    return gw_testhttp_start_depot (name, false);
}


int
gw_testhttp_start_depot (const char *name, bool is_s3)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_redis_server, &s_redis, 5000);
    if (rc)
        return rc;
    snprintf (s_depot, sizeof s_depot, "/tmp/%s_XXXXXX", name);
    if (gw_ident_init ()
        || gw_ident_hash_password (GW_TESTACCT_ADMIN_PW, s_pwhash)
        || !mkdtemp (s_depot))
        return -1;
    curl_global_init (CURL_GLOBAL_DEFAULT);
    snprintf (s_store_url, sizeof s_store_url, "file://%s", s_depot);
    s_depot_cfg = (edge_depot_cfg_t){.url = s_store_url};
    if (is_s3 && s_start_s3 ())
        return -1;
    s_store = edge_depot_open (&s_depot_cfg);
    snprintf (s_broker_ep, sizeof s_broker_ep, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    char bind[80];
    snprintf (bind, sizeof bind, "@%s", s_broker_ep);
    s_broker = zsock_new_router (bind);
    snprintf (s_listen, sizeof s_listen, "127.0.0.1:%d",
              edge_testutil_free_port ());
    gw_testhttp_fixture_config (&s_config, s_listen);
    s_server = gw_server_new (&s_config);
    return s_broker && s_server && s_store ? 0 : -1;
}


void
gw_testhttp_stop (void)
{
    gw_server_destroy (&s_server);
    edge_store_destroy (&s_store);
    edge_testutil_s3rver_stop (&s_s3rver);
    zsock_destroy (&s_broker);
    edge_testutil_redis_close (&s_redis_server, &s_redis);
    curl_global_cleanup ();
    char cmd[160];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_depot);
    if (s_depot[0] && system (cmd) != 0)
        edge_warn ("could not remove %s", s_depot);
}


//  Drop the jobs the broker got so far.
static void
s_drain_jobs (void)
{
    zsock_set_rcvtimeo (s_broker, 0);
    for (zmsg_t *msg; (msg = zmsg_recv (s_broker));)
        zmsg_destroy (&msg);
}


int
gw_testhttp_reset (void **state)
{
    (void) state;
    freeReplyObject (edge_redis_command (s_redis, "FLUSHALL"));
    gw_testhttp_store_clear (s_store, "builds/");
    gw_testacct_org_create (s_redis, s_pwhash, "acme", "boss");
    gw_testacct_org_create (s_redis, s_pwhash, "other", "boss2");
    gw_testhttp_auth ("acme", "boss", s_boss);
    long status;
    json_decref (gw_testhttp_main (s_boss, "POST", "/be/v1/apps",
                                   "{\"name\":\"game\",\"label\":\"Game\"}",
                                   &status));
    assert_int_equal (status, 201);
    s_drain_jobs ();
    return 0;
}


edge_redis_t *
gw_testhttp_redis (void)
{
    return s_redis;
}


int
gw_testhttp_port (void)
{
    return gw_server_port (s_server);
}


const char *
gw_testhttp_depot (void)
{
    return s_depot;
}


const char *
gw_testhttp_boss (void)
{
    return s_boss;
}


json_t *
gw_testhttp_main (const char *auth,
                  const char *method,
                  const char *path,
                  const char *body,
                  long *status)
{
    return gw_testhttp_call (gw_server_port (s_server), auth, method, path,
                             body, status, NULL);
}


void
gw_testhttp_auth (const char *org, const char *username, char *token)
{
    char session[GW_IDENT_TOKEN_MAX];
    gw_principal_t principal;
    int64_t expires;
    assert_int_equal (gw_ident_session_new (s_redis, org, username, 3600,
                                            session, &principal),
                      EDGE_ERR_OK);
    assert_int_equal (
        gw_ident_auth_new (s_redis, session, 300, token, &expires),
        EDGE_ERR_OK);
}


json_t *
gw_testhttp_import (const char *body)
{
    long status;
    json_t *answer =
        gw_testhttp_main (s_boss, "POST", "/be/v1/builds", body, &status);
    assert_int_equal (status, 202);
    return answer;
}


json_t *
gw_testhttp_upload_import (const char *build)
{
    char body[256];
    snprintf (body, sizeof body, "{\"appName\":\"game\",\"buildName\":\"%s\"}",
              build);
    return gw_testhttp_import (body);
}


bool
gw_testhttp_recv_job (char *task, size_t size)
{
    zsock_set_rcvtimeo (s_broker, 5000);
    zmsg_t *msg = zmsg_recv (s_broker);
    if (!msg)
        return false;
    zframe_t *frame = zmsg_last (msg);
    proto_job_t *job =
        proto_job_decode (zframe_data (frame), zframe_size (frame));
    bool is_job = job != NULL;
    if (job)
        snprintf (task, size, "%s", job->task);
    proto_job_destroy (&job);
    zmsg_destroy (&msg);
    return is_job;
}


char *
gw_testhttp_hget (const char *key, const char *field)
{
    redisReply *reply = edge_redis_command (s_redis, "HGET %s %s", key, field);
    assert_non_null (reply);
    char *value =
        reply->type == REDIS_REPLY_STRING ? strdup (reply->str) : NULL;
    freeReplyObject (reply);
    return value;
}


bool
gw_testhttp_exists (const char *key)
{
    return gw_testacct_key_exists (s_redis, key);
}


void
gw_testhttp_assert_hash (const char *key,
                         const char *field,
                         const char *expected)
{
    char *value = gw_testhttp_hget (key, field);
    if (!expected)
        assert_null (value);
    else {
        assert_non_null (value);
        assert_string_equal (value, expected);
    }
    free (value);
}


void
gw_testhttp_task_state (const char *task, const char *expected)
{
    char key[128];
    snprintf (key, sizeof key, "e:task:%s", task);
    gw_testhttp_assert_hash (key, "state", expected);
}


void
gw_testhttp_record_key (const char *url, char *key)
{
    gw_upload_key (gw_testhttp_upload_path (url) + strlen (GW_UPLOAD_PATH),
                   key);
}


//  Collects keys (each followed by a space) with the prefix cut off.
typedef struct {
    char *out;
    size_t size;
    size_t cut;
} s_names_t;


static int
s_on_name (const char *key, uint64_t size, void *arg)
{
    (void) size;
    s_names_t *names = arg;
    size_t len = strlen (names->out);
    snprintf (names->out + len, names->size - len, "%s ", key + names->cut);
    return 0;
}


void
gw_testhttp_store_clear (edge_store_t *store, const char *prefix)
{
    char *keys = edge_calloc (1, 1 << 16);
    s_names_t names = {keys, 1 << 16, 0};
    assert_int_equal (edge_store_list (store, prefix, s_on_name, &names), 0);
    for (char *key = strtok (keys, " "); key; key = strtok (NULL, " "))
        assert_int_equal (edge_store_delete (store, key), 0);
    free (keys);
}


edge_store_t *
gw_testhttp_depot_store (void)
{
    return s_store;
}


void
gw_testhttp_tar_key (const json_t *answer, char *key, size_t size)
{
    snprintf (key, size, "builds/acme/game/%s.tar",
              gw_testhttp_str (answer, "group"));
}


bool
gw_testhttp_tar_matches (const json_t *answer, uint64_t total, uint32_t seed)
{
    char key[256], path[256];
    gw_testhttp_tar_key (answer, key, sizeof key);
    snprintf (path, sizeof path, "%s/tar.out", s_depot);
    bool is_same = edge_store_get_file (s_store, key, path) == 0
                   && gw_testhttp_file_matches (path, total, seed);
    unlink (path);
    return is_same;
}


bool
gw_testhttp_tar_exists (const json_t *answer)
{
    char key[256];
    gw_testhttp_tar_key (answer, key, sizeof key);
    bool exists = true;
    assert_int_equal (edge_store_head (s_store, key, &exists, NULL), 0);
    return exists;
}


void
gw_testhttp_depot_files (char *out, size_t size)
{
    const char *prefix = "builds/acme/game/";
    out[0] = 0;
    s_names_t names = {out, size, strlen (prefix)};
    assert_int_equal (edge_store_list (s_store, prefix, s_on_name, &names), 0);
}
