/*  proto_query - QUERY (gateway -> broker) and ANSWER (broker -> gateway).

    Wire formats:
      [PROTO_VERSION, PROTO_QUERY, kind, req_id]
          kind PROTO_QUERY_PING (1) or PROTO_QUERY_VERSIONS (2), req_id uint64
      [PROTO_VERSION, PROTO_ANSWER, req_id, broker_version, queued, workers]
          req_id uint64, broker_version 1..PROTO_VERSION_MAX bytes, queued
          uint64, workers an array of at most PROTO_ANSWER_WORKERS_MAX
          arrays [id, version, capacity, free, idle_ms]: id 1..PROTO_NAME_MAX
          bytes, version 1..PROTO_VERSION_MAX bytes, capacity and free
          uint32, idle_ms uint64.  */
#include "proto_query.h"
#include "proto_codec.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdlib.h>

#define S_QUERY_FIELDS  2
#define S_ANSWER_FIELDS 4
#define S_WORKER_FIELDS 5


void
proto_query_encode (const proto_query_t *self, msgpack_sbuffer *buf)
{
    edge_assert (self && buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    proto_codec_pack_header (&pk, PROTO_QUERY, S_QUERY_FIELDS);
    msgpack_pack_uint64 (&pk, (uint64_t) self->kind);
    msgpack_pack_uint64 (&pk, self->req_id);
}


int
proto_query_decode (const void *data, size_t size, proto_query_t *self)
{
    edge_assert (self);
    int type = -1, rc = -1;
    uint64_t kind, req_id;
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    const msgpack_object *field =
        proto_codec_unpack (&unpacked, data, size, S_QUERY_FIELDS, &type);
    if (!field || type != PROTO_QUERY
        || proto_codec_uint (&field[0], PROTO_QUERY_VERSIONS, &kind)
        || kind < PROTO_QUERY_PING
        || proto_codec_uint (&field[1], UINT64_MAX, &req_id))
        goto malformed;
    self->kind = (proto_query_kind_t) kind;
    self->req_id = req_id;
    rc = 0;
    goto cleanup;

malformed:
    edge_warn ("proto_query: malformed message (%zu bytes), dropped", size);
cleanup:
    msgpack_unpacked_destroy (&unpacked);
    return rc;
}


proto_answer_t *
proto_answer_new (uint64_t req_id, const char *broker_version)
{
    edge_assert (broker_version);
    proto_answer_t *self = edge_calloc (1, sizeof *self);
    self->req_id = req_id;
    self->broker_version = edge_strdup (broker_version);
    return self;
}


void
proto_answer_add (proto_answer_t *self,
                  const char *id,
                  const char *version,
                  uint32_t capacity,
                  uint32_t free,
                  uint64_t idle_ms)
{
    edge_assert (self && id && version);
    self->workers = edge_realloc (self->workers,
                                  (self->nworkers + 1) * sizeof *self->workers);
    proto_worker_info_t *info = &self->workers[self->nworkers++];
    info->id = edge_strdup (id);
    info->version = edge_strdup (version);
    info->capacity = capacity;
    info->free = free;
    info->idle_ms = idle_ms;
}


void
proto_answer_destroy (proto_answer_t **self_p)
{
    edge_assert (self_p);
    proto_answer_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nworkers; i++) {
        free (self->workers[i].id);
        free (self->workers[i].version);
    }
    free (self->workers);
    free (self->broker_version);
    free (self);
    *self_p = NULL;
}


void
proto_answer_encode (const proto_answer_t *self, msgpack_sbuffer *buf)
{
    edge_assert (self && buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    proto_codec_pack_header (&pk, PROTO_ANSWER, S_ANSWER_FIELDS);
    msgpack_pack_uint64 (&pk, self->req_id);
    proto_codec_pack_str (&pk, self->broker_version);
    msgpack_pack_uint64 (&pk, self->queued);
    msgpack_pack_array (&pk, self->nworkers);
    for (size_t i = 0; i < self->nworkers; i++) {
        const proto_worker_info_t *info = &self->workers[i];
        msgpack_pack_array (&pk, S_WORKER_FIELDS);
        proto_codec_pack_str (&pk, info->id);
        proto_codec_pack_str (&pk, info->version);
        msgpack_pack_uint32 (&pk, info->capacity);
        msgpack_pack_uint32 (&pk, info->free);
        msgpack_pack_uint64 (&pk, info->idle_ms);
    }
}


//  Decode one [id, version, capacity, free, idle_ms] into info (zeroed by
//  the caller; strings it set are freed by the caller). Returns 0 or -1.
static int
s_worker_decode (const msgpack_object *obj, proto_worker_info_t *info)
{
    uint64_t capacity, free_slots;
    if (obj->type != MSGPACK_OBJECT_ARRAY
        || obj->via.array.size != S_WORKER_FIELDS)
        return -1;
    const msgpack_object *field = obj->via.array.ptr;
    info->id = proto_codec_strdup (&field[0], PROTO_NAME_MAX);
    info->version = proto_codec_strdup (&field[1], PROTO_VERSION_MAX);
    if (!info->id || !info->version
        || proto_codec_uint (&field[2], UINT32_MAX, &capacity)
        || proto_codec_uint (&field[3], UINT32_MAX, &free_slots)
        || proto_codec_uint (&field[4], UINT64_MAX, &info->idle_ms))
        return -1;
    info->capacity = (uint32_t) capacity;
    info->free = (uint32_t) free_slots;
    return 0;
}


proto_answer_t *
proto_answer_decode (const void *data, size_t size)
{
    proto_answer_t *self = NULL;
    int type = -1;
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    const msgpack_object *field =
        proto_codec_unpack (&unpacked, data, size, S_ANSWER_FIELDS, &type);
    if (!field || type != PROTO_ANSWER || field[3].type != MSGPACK_OBJECT_ARRAY
        || field[3].via.array.size > PROTO_ANSWER_WORKERS_MAX)
        goto malformed;
    self = edge_calloc (1, sizeof *self);
    self->broker_version = proto_codec_strdup (&field[1], PROTO_VERSION_MAX);
    if (proto_codec_uint (&field[0], UINT64_MAX, &self->req_id)
        || !self->broker_version
        || proto_codec_uint (&field[2], UINT64_MAX, &self->queued))
        goto malformed;
    size_t count = field[3].via.array.size;
    self->workers = edge_calloc (count ? count : 1, sizeof *self->workers);
    for (; self->nworkers < count; self->nworkers++) {
        proto_worker_info_t *info = &self->workers[self->nworkers];
        if (s_worker_decode (&field[3].via.array.ptr[self->nworkers], info)) {
            self->nworkers++; //  so destroy frees the half-decoded entry
            goto malformed;
        }
    }
    msgpack_unpacked_destroy (&unpacked);
    return self;

malformed:
    edge_warn ("proto_answer: malformed message (%zu bytes), dropped", size);
    proto_answer_destroy (&self);
    msgpack_unpacked_destroy (&unpacked);
    return NULL;
}
