/*  proto_query - gateway -> broker: QUERY (ping or versions), and the
    broker's ANSWER with the same request id.  */
#ifndef PROTO_QUERY_H_INCLUDED
#define PROTO_QUERY_H_INCLUDED
#include "proto.h"

typedef enum { PROTO_QUERY_PING = 1, PROTO_QUERY_VERSIONS = 2 } proto_query_kind_t;

typedef struct {
    proto_query_kind_t kind;
    uint64_t req_id;     //  echoed in the answer; stale answers are dropped
} proto_query_t;

void proto_query_encode (const proto_query_t *self, msgpack_sbuffer *buf);
//  Returns 0, or -1 when malformed. (Plain value type: no heap.)
int proto_query_decode (const void *data, size_t size, proto_query_t *self);

//  One worker as the broker sees it.
typedef struct {
    char *id;
    char *version;
    uint32_t capacity;
    uint32_t free;       //  broker's current credit for the worker
    uint64_t idle_ms;    //  since its last message
} proto_worker_info_t;

typedef struct {
    uint64_t req_id;
    char *broker_version;
    uint64_t queued;            //  jobs waiting in the broker
    size_t nworkers;
    proto_worker_info_t *workers;
} proto_answer_t;

proto_answer_t *proto_answer_new (uint64_t req_id, const char *broker_version);
//  Append a worker (copies strings).
void proto_answer_add (proto_answer_t *self, const char *id, const char *version,
                       uint32_t capacity, uint32_t free, uint64_t idle_ms);
void proto_answer_destroy (proto_answer_t **self_p);
void proto_answer_encode (const proto_answer_t *self, msgpack_sbuffer *buf);
proto_answer_t *proto_answer_decode (const void *data, size_t size);
#endif
