/*  proto_job - a task to run: gateway/reaper -> broker -> worker.

    Wire format: [PROTO_VERSION, PROTO_JOB, task, type, seq]
    task and type are strings of 1..PROTO_NAME_MAX bytes, seq a uint64.  */
#include "proto_job.h"
#include "proto_codec.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdlib.h>

#define S_FIELDS 3


proto_job_t *
proto_job_new (const char *task, const char *type)
{
    edge_assert (task && type);
    proto_job_t *self = edge_calloc (1, sizeof *self);
    self->task = edge_strdup (task);
    self->type = edge_strdup (type);
    return self;
}


void
proto_job_destroy (proto_job_t **self_p)
{
    edge_assert (self_p);
    proto_job_t *self = *self_p;
    if (!self)
        return;
    free (self->task);
    free (self->type);
    free (self);
    *self_p = NULL;
}


void
proto_job_encode (const proto_job_t *self, msgpack_sbuffer *buf)
{
    edge_assert (self && buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    proto_codec_pack_header (&pk, PROTO_JOB, S_FIELDS);
    proto_codec_pack_str (&pk, self->task);
    proto_codec_pack_str (&pk, self->type);
    msgpack_pack_uint64 (&pk, self->seq);
}


proto_job_t *
proto_job_decode (const void *data, size_t size)
{
    proto_job_t *self = NULL;
    int type = -1;
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    const msgpack_object *field =
        proto_codec_unpack (&unpacked, data, size, S_FIELDS, &type);
    if (!field || type != PROTO_JOB)
        goto malformed;
    self = edge_calloc (1, sizeof *self);
    self->task = proto_codec_strdup (&field[0], PROTO_NAME_MAX);
    self->type = proto_codec_strdup (&field[1], PROTO_NAME_MAX);
    if (!self->task || !self->type
        || proto_codec_uint (&field[2], UINT64_MAX, &self->seq))
        goto malformed;
    msgpack_unpacked_destroy (&unpacked);
    return self;

malformed:
    edge_warn ("proto_job: malformed message (%zu bytes), dropped", size);
    proto_job_destroy (&self);
    msgpack_unpacked_destroy (&unpacked);
    return NULL;
}
