/*  proto_codec - helpers shared by the proto_* codecs (defined in proto.c).
    Internal to proto/: other modules use the proto_<message>.h headers.

    Every helper is silent: the codec's decoder warns once on its
    `malformed:` exit.  */
#ifndef PROTO_CODEC_H_INCLUDED
#define PROTO_CODEC_H_INCLUDED
#include "proto.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  True when data holds exactly one complete msgpack object, every element
//  its containers declare present (so msgpack-c never allocates more than a
//  small multiple of size), and no bytes after it. Walks without allocating.
bool proto_codec_is_sane (const void *data, size_t size);

//  Unpack data (see proto_codec_is_sane) as the array [PROTO_VERSION, type,
//  field 0 .. field nfields-1]. Sets *type and returns the first field,
//  borrowed: valid until unpacked is destroyed. NULL when malformed.
//  unpacked must have been initialised by the caller, who destroys it.
const msgpack_object *proto_codec_unpack (msgpack_unpacked *unpacked,
                                          const void *data,
                                          size_t size,
                                          size_t nfields,
                                          int *type);

//  Copy a msgpack string of 1..max bytes holding no NUL byte.
//  Caller owns the result; NULL when obj is not such a string.
char *proto_codec_strdup (const msgpack_object *obj, size_t max);

//  Read a non-negative integer no greater than max into *value.
//  Returns 0, or -1 when obj is not such an integer (*value untouched).
int proto_codec_uint (const msgpack_object *obj, uint64_t max, uint64_t *value);

//  Begin an encoding: the array header (2 + nfields), version and type.
void
proto_codec_pack_header (msgpack_packer *pk, proto_type_t type, size_t nfields);

//  Pack a NUL-terminated string as a msgpack str.
void proto_codec_pack_str (msgpack_packer *pk, const char *text);
#endif
