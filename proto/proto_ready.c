/*  proto_ready - worker -> broker: READY and HEARTBEAT.

    Wire format: [PROTO_VERSION, PROTO_READY | PROTO_HEARTBEAT, worker,
    version, capacity, free, last_seq]
    worker is a string of 1..PROTO_NAME_MAX bytes, version 1..
    PROTO_VERSION_MAX bytes, capacity and free uint32 with free <= capacity,
    last_seq a uint64.  */
#include "proto_ready.h"
#include "proto_codec.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdlib.h>

#define S_FIELDS 5


proto_ready_t *
proto_ready_new (const char *worker, const char *version)
{
    edge_assert (worker && version);
    proto_ready_t *self = edge_calloc (1, sizeof *self);
    self->worker = edge_strdup (worker);
    self->version = edge_strdup (version);
    return self;
}


void
proto_ready_destroy (proto_ready_t **self_p)
{
    edge_assert (self_p);
    proto_ready_t *self = *self_p;
    if (!self)
        return;
    free (self->worker);
    free (self->version);
    free (self);
    *self_p = NULL;
}


void
proto_ready_encode (const proto_ready_t *self, msgpack_sbuffer *buf)
{
    edge_assert (self && buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    proto_codec_pack_header (
        &pk, self->is_heartbeat ? PROTO_HEARTBEAT : PROTO_READY, S_FIELDS);
    proto_codec_pack_str (&pk, self->worker);
    proto_codec_pack_str (&pk, self->version);
    msgpack_pack_uint32 (&pk, self->capacity);
    msgpack_pack_uint32 (&pk, self->free);
    msgpack_pack_uint64 (&pk, self->last_seq);
}


proto_ready_t *
proto_ready_decode (const void *data, size_t size)
{
    proto_ready_t *self = NULL;
    int type = -1;
    uint64_t capacity, free_slots;
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    const msgpack_object *field =
        proto_codec_unpack (&unpacked, data, size, S_FIELDS, &type);
    if (!field || (type != PROTO_READY && type != PROTO_HEARTBEAT))
        goto malformed;
    self = edge_calloc (1, sizeof *self);
    self->is_heartbeat = type == PROTO_HEARTBEAT;
    self->worker = proto_codec_strdup (&field[0], PROTO_NAME_MAX);
    self->version = proto_codec_strdup (&field[1], PROTO_VERSION_MAX);
    if (!self->worker || !self->version
        || proto_codec_uint (&field[2], UINT32_MAX, &capacity)
        || proto_codec_uint (&field[3], capacity, &free_slots)
        || proto_codec_uint (&field[4], UINT64_MAX, &self->last_seq))
        goto malformed;
    self->capacity = (uint32_t) capacity;
    self->free = (uint32_t) free_slots;
    msgpack_unpacked_destroy (&unpacked);
    return self;

malformed:
    edge_warn ("proto_ready: malformed message (%zu bytes), dropped", size);
    proto_ready_destroy (&self);
    msgpack_unpacked_destroy (&unpacked);
    return NULL;
}
