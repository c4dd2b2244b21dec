/*  proto_ready - worker -> broker: READY (joins, or slots freed) and
    HEARTBEAT (periodic liveness) carry the same fields.  */
#ifndef PROTO_READY_H_INCLUDED
#define PROTO_READY_H_INCLUDED
#include "proto.h"
#include <stdbool.h>

typedef struct {
    bool is_heartbeat;   //  encodes as PROTO_HEARTBEAT instead of PROTO_READY
    char *worker;        //  worker id (also its ZeroMQ routing id)
    char *version;       //  worker software version
    uint32_t capacity;   //  total slots
    uint32_t free;       //  idle slots now
    uint64_t last_seq;   //  seq of the last JOB received from the broker
} proto_ready_t;

proto_ready_t *proto_ready_new (const char *worker, const char *version);
void proto_ready_destroy (proto_ready_t **self_p);
void proto_ready_encode (const proto_ready_t *self, msgpack_sbuffer *buf);
//  Decodes READY and HEARTBEAT. Caller owns the result, NULL when malformed.
proto_ready_t *proto_ready_decode (const void *data, size_t size);
#endif
