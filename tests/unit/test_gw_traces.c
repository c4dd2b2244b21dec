/*  test_gw_traces - POST /client/v1/traces, /be/v1/trainings and trace
    processing through /be/v1/trigger, against a real gateway server
    (civetweb on loopback), a real redis-server and a depot, first a
    file:// directory, then an s3:// bucket on s3rver (npm; skipped when
    missing) where the manifests live only in the bucket:
    JSON and msgpack uploads (file and index), every kind of bad access
    refused naming it with nothing stored, 404s (app, build, another
    org), 403, 413, a million accesses, training settings, the trigger's
    409 and 202, automatic processing; and the msgpack decoder against
    every truncation of a valid body.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "edge_log.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "gw_ident.h"
#include "gw_server.h"
#include "gw_testacct.h"
#include "gw_testhttp.h"
#include "gw_trace.h"
#include <czmq.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define S_PW        "boss-password-0123"
#define S_MAX_BYTES (48 << 20)
#define S_DXF1      "dxf_1111111111111111"
#define S_DXF2      "dxf_2222222222222222"

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;
static gw_server_t *s_gateway;
static gw_config_t s_config;
static char s_depot[128]; //  scratch directory (the file:// depot)
static bool s_is_s3;      //  the depot is s3:// on s3rver
static edge_testutil_s3rver_t s_s3rver;
static edge_store_t *s_store; //  the test's view of the depot
static char s_auth[128];      //  boss@acme auth token
static char s_other[128];     //  boss@other auth token
static char s_key[256];       //  ci@acme API key (Administrators)
static char s_weak_key[256];  //  viewer@acme API key (trainings R only)


//  One HTTP exchange on a new connection. headers: extra header lines
//  ("Name: value\r\n"...). Returns the response body (caller frees) and
//  sets *status.
static char *
s_http (const char *method,
        const char *path,
        const char *headers,
        const char *type,
        const char *body,
        size_t len,
        int *status)
{
    int fd = gw_testhttp_connect (gw_server_port (s_gateway));
    char *head = edge_sprintf (
        "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s"
        "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
        method, path, headers ? headers : "", type, body ? len : 0);
    assert_int_equal (write (fd, head, strlen (head)), (ssize_t) strlen (head));
    free (head);
    for (size_t sent = 0; body && sent < len;) {
        ssize_t n = write (fd, body + sent, len - sent);
        if (n <= 0)
            break; //  the server may answer (413) and close first
        sent += (size_t) n;
    }
    size_t cap = 65536, used = 0;
    char *reply = malloc (cap);
    ssize_t n;
    while ((n = read (fd, reply + used, cap - used - 1)) > 0)
        if ((used += (size_t) n) + 1 == cap)
            reply = realloc (reply, cap *= 2);
    reply[used] = '\0';
    close (fd);
    assert_true (sscanf (reply, "HTTP/1.1 %d", status) == 1);
    char *start = strstr (reply, "\r\n\r\n");
    char *text = strdup (start ? start + 4 : "");
    free (reply);
    return text;
}


//  As the machine user ci (API key) or with a token header line.
static json_t *
s_call (const char *method,
        const char *path,
        const char *cred,
        const char *type,
        const char *body,
        size_t len,
        int *status)
{
    char *text = s_http (method, path, cred, type, body, len, status);
    json_t *value = *text ? json_loads (text, 0, NULL) : NULL;
    free (text);
    return value;
}


static char *
s_key_header (const char *user, const char *key)
{
    static char line[512];
    snprintf (line, sizeof line,
              "x-rockit-orgname: acme\r\nx-rockit-username: %s\r\n"
              "x-rockit-api-key: %s\r\n",
              user, key);
    return line;
}


static char *
s_token_header (const char *token)
{
    static char line[256];
    snprintf (line, sizeof line, "x-rockit-beauth-token: %s\r\n", token);
    return line;
}


//  JSON request as boss@acme.
static json_t *
s_boss (const char *method, const char *path, const char *body, int *status)
{
    return s_call (method, path, s_token_header (s_auth), "application/json",
                   body, body ? strlen (body) : 0, status);
}


//  Upload a JSON trace as ci@acme.
static json_t *
s_upload (const char *body, int *status)
{
    return s_call ("POST", "/client/v1/traces", s_key_header ("ci", s_key),
                   "application/json", body, strlen (body), status);
}


//  Run a command that must not fail (no arguments to format).
static void
s_redis_ok (const char *command)
{
    redisReply *reply = edge_redis_command (s_redis, command);
    assert_non_null (reply);
    assert_int_not_equal (reply->type, REDIS_REPLY_ERROR);
    freeReplyObject (reply);
}


static long long
s_redis_int (const char *fmt, const char *a, const char *b)
{
    redisReply *reply = edge_redis_command (s_redis, fmt, a, b);
    assert_non_null (reply);
    long long value = reply->type == REDIS_REPLY_INTEGER ? reply->integer
                      : reply->type == REDIS_REPLY_STRING
                          ? strtoll (reply->str, NULL, 10)
                          : 0;
    freeReplyObject (reply);
    return value;
}


//  Log in as org's boss and exchange the session for an auth token.
static void
s_login (const char *org, char *auth)
{
    char body[256];
    snprintf (body, sizeof body,
              "{\"orgName\":\"%s\",\"username\":\"boss\",\"password\":\"%s\"}",
              org, S_PW);
    int status;
    json_t *session = s_call ("POST", "/be/v1/login", NULL, "application/json",
                              body, strlen (body), &status);
    assert_int_equal (status, 200);
    char header[256];
    snprintf (header, sizeof header, "x-rockit-besession-token: %s\r\n",
              json_string_value (json_object_get (session, "sessionToken")));
    json_decref (session);
    json_t *token = s_call ("POST", "/be/v1/auth", header, "application/json",
                            NULL, 0, &status);
    assert_int_equal (status, 200);
    snprintf (auth, 128, "%s",
              json_string_value (json_object_get (token, "authToken")));
    json_decref (token);
}


static void
s_machine (const char *user, const char *role, char *key)
{
    char body[256];
    snprintf (body, sizeof body,
              "{\"username\":\"%s\",\"label\":\"launcher\",\"roles\":[\"%s\"],"
              "\"machine\":true}",
              user, role);
    int status;
    json_t *made = s_boss ("POST", "/be/v1/users", body, &status);
    assert_int_equal (status, 201);
    snprintf (key, 256, "%s",
              json_string_value (json_object_get (made, "apiKey")));
    json_decref (made);
}


//  Write the manifest of image dxf of build bid into the depot.
static void
s_manifest (int bid, const char *dxf)
{
    char key[256];
    snprintf (key, sizeof key, "dxf/acme/game/%04d/%s/manifest.json", bid, dxf);
    const char *text =
        "{\"version\":1,\"format\":\"dxf\",\"chunking\":{\"min\":1},"
        "\"files\":[\n"
        "{\"path\":\"data\",\"type\":\"dir\",\"mode\":493,\"mtime\":0},\n"
        "{\"path\":\"data/a.pak\",\"type\":\"file\",\"mode\":420,"
        "\"mtime\":0,\"size\":1000,\"chunks\":[[0,0,1000]]},\n"
        "{\"path\":\"data/b\\u00e9.pak\",\"type\":\"file\",\"size\":500,"
        "\"chunks\":[[1,0,500]]},\n"
        "{\"path\":\"link\",\"type\":\"symlink\",\"target\":\"data/a.pak\"},\n"
        "{\"path\":\"data/c.pak\",\"type\":\"hardlink\","
        "\"target\":\"data/a.pak\"}],\n"
        "\"chunks\":[{\"sha256\":\"00\",\"size\":1000}],\"loadOrder\":[0],"
        "\"segments\":[],\"profile\":null}\n";
    assert_int_equal (edge_store_put_mem (s_store, key, text, strlen (text)),
                      0);
}


//  The depot: s3rver's bucket (data in the scratch directory), or the
//  scratch directory. Sets depot and s_store.
static void
s_depot_start (edge_depot_cfg_t *depot)
{
    char *url = edge_sprintf ("file://%s", s_depot);
    *depot = (edge_depot_cfg_t){.url = url};
    if (s_is_s3) {
        char *data = edge_sprintf ("%s/s3rver", s_depot);
        assert_int_equal (edge_testutil_s3rver_start (
                              &s_s3rver, EDGE_S3RVER_SCRIPT, data, "edge-test"),
                          0);
        free (data);
        free (url);
        *depot = (edge_depot_cfg_t){edge_strdup ("s3://edge-test/depot"),
                                    s_s3rver.endpoint, "us-east-1", "S3RVER",
                                    "S3RVER"};
    }
    s_store = edge_depot_open (depot);
    assert_non_null (s_store);
}


static int
s_setup (void **state)
{
    (void) state;
    zsys_init (); //  as main.c: before request threads make sockets
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 5000);
    if (rc)
        return rc;
    snprintf (s_depot, sizeof s_depot, "/tmp/gw_traces_XXXXXX");
    assert_non_null (mkdtemp (s_depot));
    char listen[64], broker[64];
    snprintf (listen, sizeof listen, "127.0.0.1:%d",
              edge_testutil_free_port ());
    snprintf (broker, sizeof broker, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    gw_testhttp_config (&s_config, strdup (listen), s_server.url,
                        strdup (broker), NULL);
    s_depot_start (&s_config.depot);
    s_config.broker_timeout_ms = 200; //  no broker: sends time out
    s_config.trace_max_bytes = S_MAX_BYTES;
    s_config.trace_parallel = 2;
    s_gateway = gw_server_new (&s_config);
    assert_non_null (s_gateway);
    char hash[GW_IDENT_PWHASH_MAX];
    assert_int_equal (gw_ident_hash_password (S_PW, hash), 0);
    gw_testacct_org_create (s_redis, hash, "acme", "boss");
    gw_testacct_org_create (s_redis, hash, "other", "boss");
    s_login ("acme", s_auth);
    s_login ("other", s_other);
    int status;
    json_decref (s_boss (
        "POST", "/be/v1/roles",
        "{\"name\":\"viewer\",\"permissions\":{\"trainings\":2}}", &status));
    assert_int_equal (status, 201);
    s_machine ("ci", "Administrators", s_key);
    s_machine ("viewer", "viewer", s_weak_key);
    s_manifest (1, S_DXF1);
    s_manifest (2, S_DXF2);
    return 0;
}


static int
s_teardown (void **state)
{
    (void) state;
    gw_server_destroy (&s_gateway);
    edge_store_destroy (&s_store);
    edge_testutil_s3rver_stop (&s_s3rver);
    free (s_config.listen);
    free (s_config.broker_frontend);
    free (s_config.depot.url);
    edge_testutil_redis_close (&s_server, &s_redis);
    char command[200];
    snprintf (command, sizeof command, "rm -rf %s", s_depot);
    return system (command) == 0 ? 0 : -1;
}


//  Before each test: app "game" with builds v1 (1) and v2 (2, current),
//  no traces, no training, no tasks.
static int
s_reset (void **state)
{
    (void) state;
    redisReply *reply = edge_redis_command (
        s_redis, "EVAL %s 0",
        "for _, p in ipairs ({'e:{acme}:app*', 'e:{acme}:training:*', "
        "'e:task:*'}) do for _, k in ipairs (redis.call ('KEYS', p)) do "
        "redis.call ('DEL', k) end end return 1");
    assert_non_null (reply);
    assert_int_equal (reply->type, REDIS_REPLY_INTEGER);
    freeReplyObject (reply);
    int status;
    json_decref (s_boss ("POST", "/be/v1/apps",
                         "{\"name\":\"game\",\"label\":\"Game\"}", &status));
    assert_int_equal (status, 201);
    const char *builds =
        "[{\"buildId\":1,\"buildName\":\"v1\",\"dxfName\":\"" S_DXF1
        "\",\"sizeBytes\":1500},{\"buildId\":2,\"buildName\":\"v2\","
        "\"dxfName\":\"" S_DXF2 "\",\"sizeBytes\":1500}]";
    reply = edge_redis_command (
        s_redis, "HSET e:{acme}:app:game builds %s iCurBuild 2 dxfName %s",
        builds, S_DXF2);
    assert_non_null (reply);
    freeReplyObject (reply);
    gw_testhttp_store_clear (s_store, "traces/");
    return 0;
}


//  Number of .tr files under traces/acme/game/<bid4>.
static int
s_files (int bid)
{
    char prefix[128];
    snprintf (prefix, sizeof prefix, "traces/acme/game/%04d/", bid);
    int count = edge_testutil_store_count (s_store, prefix);
    assert_true (count >= 0);
    return count;
}


//  Read and decode a stored .tr file.
static void
s_check_tr_file (const char *id, int bid, size_t accesses, const char *dxf)
{
    char tr_key[256], path[256];
    snprintf (tr_key, sizeof tr_key, "traces/acme/game/%04d/%s.tr", bid, id);
    snprintf (path, sizeof path, "%s/tr.out", s_depot);
    assert_int_equal (edge_store_get_file (s_store, tr_key, path), 0);
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    static char data[1 << 16];
    size_t size = fread (data, 1, sizeof data, file);
    fclose (file);
    unlink (path);
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    size_t offset = 0;
    assert_int_equal (msgpack_unpack_next (&unpacked, data, size, &offset),
                      MSGPACK_UNPACK_SUCCESS);
    assert_int_equal (offset, size);
    msgpack_object_map *map = &unpacked.data.via.map;
    assert_int_equal (map->size, 6);
    for (uint32_t i = 0; i < map->size; i++) {
        msgpack_object *key = &map->ptr[i].key, *val = &map->ptr[i].val;
        char name[16] = "";
        memcpy (name, key->via.str.ptr, key->via.str.size);
        if (strcmp (name, "v") == 0)
            assert_int_equal (val->via.u64, 1);
        else if (strcmp (name, "traceId") == 0)
            assert_memory_equal (val->via.str.ptr, id, strlen (id));
        else if (strcmp (name, "dxfName") == 0)
            assert_memory_equal (val->via.str.ptr, dxf, strlen (dxf));
        else if (strcmp (name, "buildId") == 0)
            assert_int_equal (val->via.u64, (uint64_t) bid);
        else if (strcmp (name, "accesses") == 0) {
            assert_int_equal (val->via.array.size, accesses);
            msgpack_object *first = val->via.array.ptr[0].via.array.ptr;
            assert_int_equal (first[1].via.u64, 0); //  index into files
        }
        else
            assert_string_equal (name, "files");
    }
    msgpack_unpacked_destroy (&unpacked);
}


static const char *const s_good =
    "{\"appName\":\"game\",\"buildName\":\"v2\",\"accesses\":["
    "[0,\"data/a.pak\",0,100],[5,\"data/b\xc3\xa9.pak\",0,500],"
    "[5,\"data/c.pak\",900,100],[12,\"data/a.pak\",100,900]]}";


static void
test_json_upload_is_stored_indexed_and_counted (void **state)
{
    (void) state;
    int status;
    json_t *answer = s_upload (s_good, &status);
    assert_int_equal (status, 201);
    const char *id = json_string_value (json_object_get (answer, "traceId"));
    assert_non_null (id);
    assert_int_equal (strlen (id), 23);
    assert_int_equal (json_integer_value (json_object_get (answer, "traces")),
                      1);
    s_check_tr_file (id, 2, 4, S_DXF2);
    char key[128];
    snprintf (key, sizeof key, "e:{acme}:app:game:trace:%s", id);
    assert_int_equal (s_redis_int ("HGET %s %s", key, "accesses"), 4);
    assert_int_equal (s_redis_int ("HGET %s %s", key, "durationMs"), 12);
    assert_int_equal (s_redis_int ("HGET %s %s", key, "buildId"), 2);
    assert_int_equal (
        s_redis_int ("ZSCORE %s %s", "e:{acme}:app:game:traces", id) > 0, 1);
    json_decref (answer);
    answer = s_upload (s_good, &status);
    assert_int_equal (status, 201);
    assert_int_equal (json_integer_value (json_object_get (answer, "traces")),
                      2);
    json_decref (answer);
    assert_int_equal (s_files (2), 2);
    assert_int_equal (
        s_redis_int ("HGET %s %s", "e:{acme}:app:game:tracecounts", "2"), 2);
}


//  A msgpack body: {"appName","dxfName","accesses":[[t,path,off,len]...]}
//  with n accesses over data/a.pak. Caller frees sbuf.
static void
s_msgpack_body (msgpack_sbuffer *sbuf, const char *dxf, size_t n)
{
    msgpack_sbuffer_init (sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    const char *pairs[] = {"appName", "game", "dxfName", dxf};
    for (int i = 0; i < 4; i++) {
        msgpack_pack_str (&pk, strlen (pairs[i]));
        msgpack_pack_str_body (&pk, pairs[i], strlen (pairs[i]));
    }
    msgpack_pack_str (&pk, 8);
    msgpack_pack_str_body (&pk, "accesses", 8);
    msgpack_pack_array (&pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_array (&pk, 4);
        msgpack_pack_uint64 (&pk, i / 10);
        msgpack_pack_str (&pk, i % 2 ? 10 : 10);
        msgpack_pack_str_body (&pk, i % 2 ? "data/a.pak" : "data/c.pak", 10);
        msgpack_pack_uint64 (&pk, i % 900);
        msgpack_pack_uint64 (&pk, 100);
    }
}


static void
test_msgpack_upload_by_dxf_name_is_stored (void **state)
{
    (void) state;
    msgpack_sbuffer sbuf;
    s_msgpack_body (&sbuf, S_DXF1, 50);
    int status;
    json_t *answer =
        s_call ("POST", "/client/v1/traces", s_key_header ("ci", s_key),
                GW_TRACE_MSGPACK_TYPE, sbuf.data, sbuf.size, &status);
    assert_int_equal (status, 201);
    assert_int_equal (json_integer_value (json_object_get (answer, "traces")),
                      1);
    s_check_tr_file (json_string_value (json_object_get (answer, "traceId")), 1,
                     50, S_DXF1);
    json_decref (answer);
    msgpack_sbuffer_destroy (&sbuf);
    assert_int_equal (s_files (1), 1);
    assert_int_equal (s_files (2), 0);
}


static void
test_every_msgpack_truncation_is_refused (void **state)
{
    (void) state;
    msgpack_sbuffer sbuf;
    s_msgpack_body (&sbuf, S_DXF1, 3);
    edge_json_err_t err;
    for (size_t len = 0; len < sbuf.size; len++) {
        gw_trace_t *trace = gw_trace_decode_msgpack (sbuf.data, len, &err);
        assert_null (trace);
        assert_int_equal (err.status, 400);
    }
    gw_trace_t *trace = gw_trace_decode_msgpack (sbuf.data, sbuf.size, &err);
    assert_non_null (trace);
    assert_int_equal (trace->count, 3);
    assert_int_equal (gw_pathtab_count (trace->paths), 2);
    gw_trace_destroy (&trace);
    assert_null (trace);
    gw_trace_destroy (&trace);
    msgpack_sbuffer_destroy (&sbuf);
}


static void
test_every_kind_of_bad_trace_is_refused_and_leaves_nothing (void **state)
{
    (void) state;
    static const struct {
        const char *accesses;
        const char *code;
        const char *field;
        const char *says;
    } cases[] = {
        {"[0,\"data/a.pak\",0,1],[1,\"nope.pak\",0,1]", "invalid_access",
         "accesses[1]", "not in the build"},
        {"[0,\"data\",0,1]", "invalid_access", "accesses[0]", "regular file"},
        {"[0,\"link\",0,1]", "invalid_access", "accesses[0]", "regular file"},
        {"[0,\"data/a.pak\",990,20]", "invalid_access", "accesses[0]",
         "outside"},
        {"[0,\"data/a.pak\",0,1],[0,\"data/a.pak\",9223372036854775807,2]",
         "invalid_access", "accesses[1]", "outside"},
        {"[0,\"data/a.pak\",0,1],[7,\"data/a.pak\",0,1],[6,\"data/a.pak\",0,1]",
         "invalid_access", "accesses[2]", "before the previous"},
        {"[-1,\"data/a.pak\",0,1]", "invalid_field", "accesses[0]", ">= 0"},
        {"[0,\"data/a.pak\",0,0]", "invalid_field", "accesses[0]", ">= 1"},
        {"[0,\"data/a.pak\",0]", "invalid_field", "accesses[0]", "4 values"},
        {"[0,5,0,1]", "invalid_field", "accesses[0]", "string"},
        {"[0.5,\"data/a.pak\",0,1]", "invalid_field", "accesses[0]",
         "integers"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf (body, sizeof body,
                  "{\"appName\":\"game\",\"buildName\":\"v2\",\"accesses\":"
                  "[%s]}",
                  cases[i].accesses);
        int status;
        json_t *answer = s_upload (body, &status);
        json_t *error = json_object_get (answer, "error");
        if (status != 400
            || strcmp (json_string_value (json_object_get (error, "code")),
                       cases[i].code)
            || strcmp (json_string_value (json_object_get (error, "field")),
                       cases[i].field)
            || !strstr (json_string_value (json_object_get (error, "message")),
                        cases[i].says))
            fail_msg ("case %zu: %d %s", i, status,
                      json_dumps (answer, JSON_COMPACT));
        json_decref (answer);
    }
    const char *bodies[] = {
        "{\"appName\":\"game\",\"accesses\":[[0,\"data/a.pak\",0,1]]}",
        "{\"appName\":\"game\",\"buildName\":\"v2\",\"accesses\":[]}",
        "{\"appName\":\"game\",\"buildName\":\"v2\",\"accesses\":[[0,\"data/"
        "a.pak\",0,1]],\"extra\":1}",
        "{\"appName\":\"game\",\"buildName\":\"v2\",\"accesses\":[[0,", "[]"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        int status;
        json_decref (s_upload (bodies[i], &status));
        assert_int_equal (status, 400);
    }
    int status;
    json_decref (s_call ("POST", "/client/v1/traces",
                         s_key_header ("ci", s_key), GW_TRACE_MSGPACK_TYPE,
                         "\x93\x01", 2, &status));
    assert_int_equal (status, 400);
    json_decref (s_call ("POST", "/client/v1/traces",
                         s_key_header ("ci", s_key), "text/plain", "x", 1,
                         &status));
    assert_int_equal (status, 415);
    assert_int_equal (s_files (2), 0);
    assert_int_equal (
        s_redis_int ("EXISTS %s%s", "e:{acme}:app:game:", "traces"), 0);
    assert_int_equal (
        s_redis_int ("EXISTS %s%s", "e:{acme}:app:game:", "tracecounts"), 0);
}


static void
test_unknown_app_build_image_and_other_org_are_404 (void **state)
{
    (void) state;
    const char *bodies[] = {
        "{\"appName\":\"nogame\",\"buildName\":\"v2\",\"accesses\":[[0,\"a\",0,"
        "1]]}",
        "{\"appName\":\"game\",\"buildName\":\"v9\",\"accesses\":[[0,\"a\",0,"
        "1]]}",
        "{\"appName\":\"game\",\"dxfName\":\"dxf_99\",\"accesses\":[[0,\"a\",0,"
        "1]]}",
        "{\"appName\":\"game\",\"buildName\":\"v2\",\"dxfName\":\"" S_DXF1
        "\",\"accesses\":[[0,\"a\",0,1]]}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        int status;
        json_decref (s_upload (bodies[i], &status));
        assert_int_equal (status, 404);
    }
    int status;
    json_decref (s_call ("POST", "/client/v1/traces", s_token_header (s_other),
                         "application/json", s_good, strlen (s_good), &status));
    assert_int_equal (status, 404);
    assert_int_equal (s_files (2), 0);
}


static void
test_missing_permission_is_403_and_no_credentials_401 (void **state)
{
    (void) state;
    int status;
    json_t *answer = s_call (
        "POST", "/client/v1/traces", s_key_header ("viewer", s_weak_key),
        "application/json", s_good, strlen (s_good), &status);
    assert_int_equal (status, 403);
    assert_string_equal (json_string_value (json_object_get (
                             json_object_get (answer, "error"), "resource")),
                         "trainings");
    json_decref (answer);
    json_decref (s_call ("POST", "/client/v1/traces", NULL, "application/json",
                         s_good, strlen (s_good), &status));
    assert_int_equal (status, 401);
    //  reading trainings is allowed to the viewer
    json_decref (s_call ("GET", "/be/v1/trainings/game",
                         s_key_header ("viewer", s_weak_key),
                         "application/json", NULL, 0, &status));
    assert_int_equal (status, 200);
    assert_int_equal (s_files (2), 0);
}


static void
test_a_body_over_the_trace_limit_is_413 (void **state)
{
    (void) state;
    size_t len = S_MAX_BYTES + 1;
    char *body = malloc (len);
    memset (body, ' ', len);
    int status;
    json_t *answer =
        s_call ("POST", "/client/v1/traces", s_key_header ("ci", s_key),
                "application/json", body, len, &status);
    assert_int_equal (status, 413);
    json_decref (answer);
    free (body);
    //  a body over EDGE_GATEWAY_MAX_BODY but within the trace limit passes
    //  the limit (and is then refused as a bad trace)
    len = 2 << 20;
    body = malloc (len);
    memset (body, ' ', len);
    json_decref (s_call ("POST", "/client/v1/traces",
                         s_key_header ("ci", s_key), "application/json", body,
                         len, &status));
    assert_int_equal (status, 400);
    free (body);
}


static void
test_a_million_accesses_are_accepted (void **state)
{
    (void) state;
    msgpack_sbuffer sbuf;
    s_msgpack_body (&sbuf, S_DXF2, 1000000);
    int64_t start = edge_mono_ms ();
    int status;
    json_t *answer =
        s_call ("POST", "/client/v1/traces", s_key_header ("ci", s_key),
                GW_TRACE_MSGPACK_TYPE, sbuf.data, sbuf.size, &status);
    int64_t ms = edge_mono_ms () - start;
    assert_int_equal (status, 201);
    print_message ("1,000,000 accesses (%zu bytes msgpack): 201 in %lld ms\n",
                   sbuf.size, (long long) ms);
    char key[128];
    snprintf (key, sizeof key, "e:{acme}:app:game:trace:%s",
              json_string_value (json_object_get (answer, "traceId")));
    assert_int_equal (s_redis_int ("HGET %s %s", key, "accesses"), 1000000);
    json_decref (answer);
    msgpack_sbuffer_destroy (&sbuf);
    assert_int_equal (s_files (2), 1);
}


static void
test_trainings_settings_are_read_patched_and_validated (void **state)
{
    (void) state;
    int status;
    json_t *item = s_boss ("GET", "/be/v1/trainings/game", NULL, &status);
    assert_int_equal (status, 200);
    assert_int_equal (
        json_integer_value (json_object_get (item, "nTracesReliable")), 10);
    assert_int_equal (
        json_integer_value (json_object_get (item, "bandwidthBps")), 100000000);
    assert_true (
        json_real_value (json_object_get (item, "improvementThreshold"))
        == 0.05);
    assert_int_equal (json_integer_value (json_object_get (item, "traces")), 0);
    assert_true (json_is_null (json_object_get (item, "quality")));
    json_decref (item);
    json_decref (s_upload (s_good, &status));
    item = s_boss ("PATCH", "/be/v1/trainings",
                   "{\"appName\":\"game\",\"nTracesReliable\":3,\"percentile\":"
                   "95.5,\"improvementThreshold\":0.1,\"autoProcessEvery\":0}",
                   &status);
    assert_int_equal (status, 200);
    assert_int_equal (
        json_integer_value (json_object_get (item, "nTracesReliable")), 3);
    assert_true (json_real_value (json_object_get (item, "percentile"))
                 == 95.5);
    assert_int_equal (
        json_integer_value (json_object_get (item, "tracesCurrentBuild")), 1);
    json_decref (item);
    item = s_boss ("PATCH", "/be/v1/trainings",
                   "{\"appName\":\"game\",\"nTracesReliable\":null}", &status);
    assert_int_equal (
        json_integer_value (json_object_get (item, "nTracesReliable")), 10);
    json_decref (item);
    const char *bad[] = {"{\"appName\":\"game\",\"nTracesReliable\":0}",
                         "{\"appName\":\"game\",\"nTracesReliable\":1.5}",
                         "{\"appName\":\"game\",\"bandwidthBps\":99999}",
                         "{\"appName\":\"game\",\"percentile\":49}",
                         "{\"appName\":\"game\",\"improvementThreshold\":1.01}",
                         "{\"appName\":\"game\",\"autoProcessEvery\":100001}",
                         "{\"appName\":\"game\",\"other\":1}",
                         "{\"nTracesReliable\":3}",
                         "[]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_decref (s_boss ("PATCH", "/be/v1/trainings", bad[i], &status));
        if (status != 400)
            fail_msg ("%s: %d", bad[i], status);
    }
    json_decref (s_boss ("PATCH", "/be/v1/trainings",
                         "{\"appName\":\"nogame\",\"percentile\":60}",
                         &status));
    assert_int_equal (status, 404);
    json_decref (s_boss ("GET", "/be/v1/trainings/nogame", NULL, &status));
    assert_int_equal (status, 404);
    //  mkraw's figures: the current image's preload and quality
    s_redis_ok ("HSET e:{acme}:training:game before "
                "{\"preloadBytes\":900,\"quality\":0.5} after "
                "{\"preloadBytes\":400,\"quality\":0.9} buildChanged true");
    json_t *list = s_boss ("GET", "/be/v1/trainings", NULL, &status);
    assert_int_equal (status, 200);
    assert_int_equal (json_integer_value (json_object_get (list, "total")), 1);
    item = json_array_get (json_object_get (list, "items"), 0);
    assert_string_equal (json_string_value (json_object_get (item, "appName")),
                         "game");
    assert_int_equal (
        json_integer_value (json_object_get (item, "preloadBytes")), 400);
    assert_int_equal (json_integer_value (json_object_get (item, "traces")), 1);
    json_decref (list);
    json_decref (s_call ("GET", "/be/v1/trainings", s_token_header (s_other),
                         "application/json", NULL, 0, &status));
    assert_int_equal (status, 200);
    json_decref (s_call ("GET", "/be/v1/trainings/game",
                         s_token_header (s_other), "application/json", NULL, 0,
                         &status));
    assert_int_equal (status, 404);
}


static void
test_trigger_needs_n_traces_reliable_then_starts_one_mkraw (void **state)
{
    (void) state;
    int status;
    json_decref (s_boss ("PATCH", "/be/v1/trainings",
                         "{\"appName\":\"game\",\"nTracesReliable\":2}",
                         &status));
    json_decref (s_upload (s_good, &status));
    json_t *answer =
        s_boss ("POST", "/be/v1/trigger", "{\"appName\":\"game\"}", &status);
    assert_int_equal (status, 409);
    json_t *error = json_object_get (answer, "error");
    assert_string_equal (json_string_value (json_object_get (error, "code")),
                         "not_enough_traces");
    const char *message =
        json_string_value (json_object_get (error, "message"));
    assert_non_null (strstr (message, "has 1 traces"));
    assert_non_null (strstr (message, "nTracesReliable = 2"));
    json_decref (answer);
    json_decref (s_upload (s_good, &status));
    answer =
        s_boss ("POST", "/be/v1/trigger", "{\"appName\":\"game\"}", &status);
    assert_int_equal (status, 202);
    const char *task = json_string_value (json_object_get (answer, "taskName"));
    json_t *record = s_boss ("GET", "/be/v1/tasks/", NULL, &status);
    json_decref (record);
    char path[128];
    snprintf (path, sizeof path, "/be/v1/tasks/%s", task);
    record = s_boss ("GET", path, NULL, &status);
    assert_int_equal (status, 200);
    assert_string_equal (json_string_value (json_object_get (record, "type")),
                         "mkraw");
    assert_string_equal (
        json_string_value (json_object_get (record, "buildName")), "v2");
    assert_string_equal (
        json_string_value (json_object_get (record, "dxfName")), S_DXF2);
    json_decref (record);
    char key[128];
    snprintf (key, sizeof key, "e:task:%s", task);
    redisReply *reply = edge_redis_command (s_redis, "HGET %s params", key);
    json_t *params = json_loads (reply->str, 0, NULL);
    freeReplyObject (reply);
    assert_string_equal (json_string_value (json_object_get (params, "mode")),
                         "traces");
    assert_int_equal (json_integer_value (json_object_get (params, "buildId")),
                      2);
    assert_string_equal (
        json_string_value (json_object_get (params, "dxfName")), S_DXF2);
    json_decref (params);
    json_decref (answer);
    //  one at a time
    answer =
        s_boss ("POST", "/be/v1/trigger", "{\"appName\":\"game\"}", &status);
    assert_int_equal (status, 409);
    json_decref (answer);
    //  no current build
    s_redis_ok ("HSET e:{acme}:app:game iCurBuild 0");
    answer =
        s_boss ("POST", "/be/v1/trigger", "{\"appName\":\"game\"}", &status);
    assert_int_equal (status, 409);
    json_decref (answer);
}


static void
test_auto_processing_starts_after_every_n_new_traces (void **state)
{
    (void) state;
    int status;
    json_decref (s_boss ("PATCH", "/be/v1/trainings",
                         "{\"appName\":\"game\",\"nTracesReliable\":1,"
                         "\"autoProcessEvery\":2}",
                         &status));
    assert_int_equal (status, 200);
    json_decref (s_upload (s_good, &status));
    json_t *item = s_boss ("GET", "/be/v1/trainings/game", NULL, &status);
    assert_true (json_is_null (json_object_get (item, "processingTask")));
    json_decref (item);
    json_decref (s_upload (s_good, &status));
    item = s_boss ("GET", "/be/v1/trainings/game", NULL, &status);
    const char *task =
        json_string_value (json_object_get (item, "processingTask"));
    assert_non_null (task);
    assert_non_null (strstr (task, "mkraw"));
    json_decref (item);
}


static void
test_a_build_whose_manifest_cannot_be_read_is_503 (void **state)
{
    (void) state;
    const char *builds =
        "[{\"buildId\":3,\"buildName\":\"v3\",\"dxfName\":\"dxf_3333\"}]";
    redisReply *reply = edge_redis_command (
        s_redis, "HSET e:{acme}:app:game builds %s", builds);
    freeReplyObject (reply);
    const char *body = "{\"appName\":\"game\",\"buildName\":\"v3\","
                       "\"accesses\":[[0,\"data/a.pak\",0,100]]}";
    int status;
    json_t *answer = s_upload (body, &status);
    assert_int_equal (status, 503);
    gw_testhttp_assert_error (answer, 503, "store_unavailable");
    assert_int_equal (s_files (3), 0);
    //  a failure is not cached: once the manifest is there, it is read
    s_manifest (3, "dxf_3333");
    json_decref (s_upload (body, &status));
    assert_int_equal (status, 201);
    assert_int_equal (s_files (3), 1);
}


//  Run every test on a file:// depot, or on an s3:// one when is_s3.
static int
s_run (bool is_s3)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_json_upload_is_stored_indexed_and_counted,
                                s_reset),
        cmocka_unit_test_setup (test_msgpack_upload_by_dxf_name_is_stored,
                                s_reset),
        cmocka_unit_test (test_every_msgpack_truncation_is_refused),
        cmocka_unit_test_setup (
            test_every_kind_of_bad_trace_is_refused_and_leaves_nothing,
            s_reset),
        cmocka_unit_test_setup (
            test_unknown_app_build_image_and_other_org_are_404, s_reset),
        cmocka_unit_test_setup (
            test_missing_permission_is_403_and_no_credentials_401, s_reset),
        cmocka_unit_test_setup (test_a_body_over_the_trace_limit_is_413,
                                s_reset),
        cmocka_unit_test_setup (test_a_million_accesses_are_accepted, s_reset),
        cmocka_unit_test_setup (
            test_trainings_settings_are_read_patched_and_validated, s_reset),
        cmocka_unit_test_setup (
            test_trigger_needs_n_traces_reliable_then_starts_one_mkraw,
            s_reset),
        cmocka_unit_test_setup (
            test_auto_processing_starts_after_every_n_new_traces, s_reset),
        cmocka_unit_test_setup (
            test_a_build_whose_manifest_cannot_be_read_is_503, s_reset),
    };
    s_is_s3 = is_s3;
    return cmocka_run_group_tests_name (is_s3 ? "s3 depot" : "fs depot", tests,
                                        s_setup, s_teardown);
}


int
main (void)
{
    signal (SIGPIPE, SIG_IGN);
    int rc = s_run (false);
    if (rc == 0 && system ("command -v npm >/dev/null 2>&1") != 0) {
        fprintf (stderr, "npm is not installed: s3 depot tests skipped\n");
        return 77;
    }
    return rc ? rc : s_run (true);
}
