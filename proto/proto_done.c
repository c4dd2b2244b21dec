/*  proto_done - worker -> broker: a task finished (or was given back).

    Wire format: [PROTO_VERSION, PROTO_DONE, worker, task, state, free,
    last_seq]
    worker, task and state are strings of 1..PROTO_NAME_MAX bytes (state is
    not checked against a list: the broker only logs it), free a uint32,
    last_seq a uint64.  */
#include "proto_done.h"
#include "proto_codec.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdlib.h>

#define S_FIELDS 5


proto_done_t *
proto_done_new (const char *worker, const char *task, const char *state)
{
    edge_assert (worker && task && state);
    proto_done_t *self = edge_calloc (1, sizeof *self);
    self->worker = edge_strdup (worker);
    self->task = edge_strdup (task);
    self->state = edge_strdup (state);
    return self;
}


void
proto_done_destroy (proto_done_t **self_p)
{
    edge_assert (self_p);
    proto_done_t *self = *self_p;
    if (!self)
        return;
    free (self->worker);
    free (self->task);
    free (self->state);
    free (self);
    *self_p = NULL;
}


void
proto_done_encode (const proto_done_t *self, msgpack_sbuffer *buf)
{
    edge_assert (self && buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    proto_codec_pack_header (&pk, PROTO_DONE, S_FIELDS);
    proto_codec_pack_str (&pk, self->worker);
    proto_codec_pack_str (&pk, self->task);
    proto_codec_pack_str (&pk, self->state);
    msgpack_pack_uint32 (&pk, self->free);
    msgpack_pack_uint64 (&pk, self->last_seq);
}


proto_done_t *
proto_done_decode (const void *data, size_t size)
{
    proto_done_t *self = NULL;
    int type = -1;
    uint64_t free_slots;
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    const msgpack_object *field =
        proto_codec_unpack (&unpacked, data, size, S_FIELDS, &type);
    if (!field || type != PROTO_DONE)
        goto malformed;
    self = edge_calloc (1, sizeof *self);
    self->worker = proto_codec_strdup (&field[0], PROTO_NAME_MAX);
    self->task = proto_codec_strdup (&field[1], PROTO_NAME_MAX);
    self->state = proto_codec_strdup (&field[2], PROTO_NAME_MAX);
    if (!self->worker || !self->task || !self->state
        || proto_codec_uint (&field[3], UINT32_MAX, &free_slots)
        || proto_codec_uint (&field[4], UINT64_MAX, &self->last_seq))
        goto malformed;
    self->free = (uint32_t) free_slots;
    msgpack_unpacked_destroy (&unpacked);
    return self;

malformed:
    edge_warn ("proto_done: malformed message (%zu bytes), dropped", size);
    proto_done_destroy (&self);
    msgpack_unpacked_destroy (&unpacked);
    return NULL;
}
