/*  proto_done - worker -> broker: a task finished (or was given back).  */
#ifndef PROTO_DONE_H_INCLUDED
#define PROTO_DONE_H_INCLUDED
#include "proto.h"

typedef struct {
    char *worker;        //  worker id
    char *task;          //  task name
    char *state;         //  "succeeded", "failed", "released", "skipped"
    uint32_t free;       //  idle slots now
    uint64_t last_seq;   //  seq of the last JOB received
} proto_done_t;

proto_done_t *proto_done_new (const char *worker, const char *task, const char *state);
void proto_done_destroy (proto_done_t **self_p);
void proto_done_encode (const proto_done_t *self, msgpack_sbuffer *buf);
proto_done_t *proto_done_decode (const void *data, size_t size);
#endif
