/*  gw_testhttp - HTTP clients for gateway tests that run a real server:
    JSON calls and streamed PUTs over libcurl, raw sockets for bodies that
    stop short or pause, a deterministic byte stream to upload and
    compare, and checks on what the server left behind (its stdout, Redis).
    Also the fixture of the build and upload tests: a real redis-server, a
    ROUTER bound as the broker, a scratch depot (a file:// directory, or
    an s3:// bucket on s3rver with parts of GW_TESTHTTP_PART_BYTES) and a
    gateway server on loopback. Test-only, not thread-safe; cmocka asserts on
    transport failures.  */
#ifndef GW_TESTHTTP_H_INCLUDED
#define GW_TESTHTTP_H_INCLUDED
#include "edge_redis.h"
#include "edge_store.h"
#include "gw_server.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_TESTHTTP_MAX_BYTES  (8 << 20)   //  upload_max_bytes of the fixture
#define GW_TESTHTTP_BUCKET     "edge-test" //  the s3:// depot's bucket
#define GW_TESTHTTP_PART_BYTES (5u << 20)  //  its S3 part size
#define GW_TESTHTTP_SECRET     "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM0NTY3"

//  method path (on 127.0.0.1:port) with a JSON body (or NULL), as the
//  holder of the auth token auth (or nobody). Sets *status; location (256
//  bytes, may be NULL) gets the Location header. Returns the parsed body
//  (caller owns) or NULL when empty.
json_t *gw_testhttp_call (int port,
                          const char *auth,
                          const char *method,
                          const char *path,
                          const char *body,
                          long *status,
                          char *location);
//  Assert body is {"error":{"status":status,"code":code,...}}; frees body.
void gw_testhttp_assert_error (json_t *body, long status, const char *code);
//  The string member key of obj (asserted present). Borrowed from obj.
const char *gw_testhttp_str (const json_t *obj, const char *key);

//  Byte i of the deterministic stream seed.
unsigned char gw_testhttp_byte (uint32_t seed, uint64_t i);
//  PUT total bytes of stream seed to url, with a Content-Length or
//  chunked. Sets *status; returns the parsed body (caller owns) or NULL.
json_t *gw_testhttp_put (const char *url,
                         uint64_t total,
                         uint32_t seed,
                         bool is_chunked,
                         long *status);
//  True when the file at path holds exactly total bytes of stream seed.
bool gw_testhttp_file_matches (const char *path, uint64_t total, uint32_t seed);
//  The path part ("/upload/v1/<token>") of an upload URL. Borrowed.
const char *gw_testhttp_upload_path (const char *url);

//  A TCP connection to 127.0.0.1:port (receive timeout 20 s).
int gw_testhttp_connect (int port);
//  Send len bytes of data.
void gw_testhttp_send (int fd, const void *data, size_t len);
//  Send bytes [from, to) of stream seed.
void gw_testhttp_send_bytes (int fd, uint32_t seed, uint64_t from, uint64_t to);
//  Read one response head; returns its status (0 when none came).
int gw_testhttp_read_status (int fd);
//  The same, the head (NUL-terminated, at most size-1 bytes) into buf.
int gw_testhttp_read_head (int fd, char *buf, size_t size);

//  Send stdout to the scratch file dir/stdout.log, its path into path (128
//  bytes), and the old stdout into *saved, until gw_testhttp_capture_end.
void gw_testhttp_capture_begin (const char *dir, int *saved, char *path);
//  Restore stdout; return what was written (caller frees) and remove path.
char *gw_testhttp_capture_end (int saved, const char *path);
//  True when any element of reply (recursively) contains text.
bool gw_testhttp_reply_contains (const redisReply *reply, const char *text);
//  True when any key name or value in Redis (hashes, strings, streams,
//  sorted sets) contains text: a secret must never be stored.
bool gw_testhttp_redis_contains (edge_redis_t *redis, const char *text);

//  The test gateway's configuration: listen, Redis, broker and store as
//  given (borrowed: they must outlive the server), an upload limit of
//  GW_TESTHTTP_MAX_BYTES, 2 uploads at once on 4 threads, downloads
//  allowed from 127.0.0.0/8.
void gw_testhttp_config (gw_config_t *config,
                         const char *listen,
                         const char *redis_url,
                         const char *broker,
                         const char *store_url);
//  The same on the fixture's Redis, broker and depot (with its S3 part
//  size).
void gw_testhttp_fixture_config (gw_config_t *config, const char *listen);
//  Start the fixture (depot /tmp/<name>_XXXXXX). Returns 0, 77 when
//  redis-server is missing (skip), -1 on failure; call gw_testhttp_stop
//  in every case.
int gw_testhttp_start (const char *name);
//  The same with an s3:// depot on s3rver (EDGE_S3RVER_SCRIPT) when is_s3
//  (its data in the scratch directory).
int gw_testhttp_start_depot (const char *name, bool is_s3);
//  Stop the server, broker, s3rver and redis-server; remove the scratch
//  directory.
void gw_testhttp_stop (void);
//  cmocka setup: FLUSHALL, empty depot; orgs acme (admin boss) and other
//  (admin boss2); app "game" of acme; the broker's queue drained.
int gw_testhttp_reset (void **state);
//  The fixture's Redis handle, server port, scratch directory and auth
//  token of boss@acme. Borrowed: valid until gw_testhttp_stop (the token until
//  the next reset).
edge_redis_t *gw_testhttp_redis (void);
int gw_testhttp_port (void);
const char *gw_testhttp_depot (void);
const char *gw_testhttp_boss (void);
//  gw_testhttp_call on the fixture's server, without Location.
json_t *gw_testhttp_main (const char *auth,
                          const char *method,
                          const char *path,
                          const char *body,
                          long *status);
//  An auth token (GW_IDENT_TOKEN_MAX bytes) of username in org into token.
void gw_testhttp_auth (const char *org, const char *username, char *token);
//  POST /be/v1/builds with body as boss; asserts 202; returns the answer
//  (caller owns).
json_t *gw_testhttp_import (const char *body);
//  The same for an upload import of build to app "game".
json_t *gw_testhttp_upload_import (const char *build);
//  The next JOB the broker got (within 5 s): its task name into task.
bool gw_testhttp_recv_job (char *task, size_t size);
//  HGET key field, or NULL. Caller frees.
char *gw_testhttp_hget (const char *key, const char *field);
//  True when key exists.
bool gw_testhttp_exists (const char *key);
//  Assert HGET key field is expected (NULL: absent).
void gw_testhttp_assert_hash (const char *key,
                              const char *field,
                              const char *expected);
//  Assert the task's state.
void gw_testhttp_task_state (const char *task, const char *expected);
//  The upload record key (GW_UPLOAD_KEY_MAX bytes) of an upload URL.
void gw_testhttp_record_key (const char *url, char *key);
//  The test's store over the fixture's depot. Borrowed: valid until
//  gw_testhttp_stop.
edge_store_t *gw_testhttp_depot_store (void);
//  Delete every object of store under prefix.
void gw_testhttp_store_clear (edge_store_t *store, const char *prefix);
//  The depot key of an import answer's tar (its group) into key.
void gw_testhttp_tar_key (const json_t *answer, char *key, size_t size);
//  True when that tar holds exactly total bytes of stream seed.
bool
gw_testhttp_tar_matches (const json_t *answer, uint64_t total, uint32_t seed);
//  True when that tar exists in the depot.
bool gw_testhttp_tar_exists (const json_t *answer);
//  Names of the objects under app game's depot directory (fs: part
//  files too), each followed by a space ("" when none).
void gw_testhttp_depot_files (char *out, size_t size);
#endif
