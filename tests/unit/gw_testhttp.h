/*  gw_testhttp - HTTP clients for gateway tests that run a real server:
    JSON calls and streamed PUTs over libcurl, raw sockets for bodies that
    stop short or pause, and a deterministic byte stream to upload and
    compare. Test-only; cmocka asserts on transport failures.  */
#ifndef GW_TESTHTTP_H_INCLUDED
#define GW_TESTHTTP_H_INCLUDED
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

//  Byte i of the deterministic stream seed.
unsigned char gw_testhttp_byte (uint32_t seed, uint64_t i);
//  PUT total bytes of stream seed to url, with a Content-Length or
//  chunked. Sets *status; returns the parsed body (caller owns) or NULL.
json_t *gw_testhttp_put (const char *url,
                         uint64_t total,
                         uint32_t seed,
                         bool is_chunked,
                         long *status);
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
#endif
