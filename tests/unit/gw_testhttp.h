/*  gw_testhttp - HTTP clients for gateway tests that run a real server:
    JSON calls and streamed PUTs over libcurl, raw sockets for bodies that
    stop short or pause, a deterministic byte stream to upload and
    compare, and checks on what the server left behind (its stdout, Redis).
    Test-only; cmocka asserts on transport failures.  */
#ifndef GW_TESTHTTP_H_INCLUDED
#define GW_TESTHTTP_H_INCLUDED
#include "edge_redis.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

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
#endif
