/*  proto_job - a task to run: gateway/reaper -> broker -> worker.  */
#ifndef PROTO_JOB_H_INCLUDED
#define PROTO_JOB_H_INCLUDED
#include "proto.h"

typedef struct {
    char *task;        //  task name
    char *type;        //  task type ("hello", ...)
    uint64_t seq;      //  stamped by the broker per worker; 0 from gateways
} proto_job_t;

//  Caller owns the result; copies task and type.
proto_job_t *proto_job_new (const char *task, const char *type);
void proto_job_destroy (proto_job_t **self_p);
//  Append the encoding to buf (caller owns buf).
void proto_job_encode (const proto_job_t *self, msgpack_sbuffer *buf);
//  Decode; caller owns the result, NULL when malformed.
proto_job_t *proto_job_decode (const void *data, size_t size);
#endif
