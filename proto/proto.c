/*  proto - the message envelope ([PROTO_VERSION, type, fields...]) and the
    helpers every codec shares (declared in proto_codec.h).

    msgpack-c allocates a container's elements as soon as it reads the
    container's header, so a five-byte array32 header claiming four billion
    elements would ask for ~100 GB. Before unpacking, proto_codec_is_sane
    walks the bytes once without allocating and requires every declared
    element to be present, so no count can exceed the bytes received.  */
#include "proto_codec.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <string.h>


//  Big-endian unsigned integer of n (1, 2, 4 or 8) bytes.
static uint64_t
s_read_be (const uint8_t *p, size_t n)
{
    uint64_t value = 0;
    for (size_t i = 0; i < n; i++)
        value = (value << 8) | p[i];
    return value;
}


//  How one msgpack format byte is laid out: the bytes of its length field
//  (0 if none), fixed payload bytes, whether the length counts payload
//  bytes (str, bin, ext) or elements (array: 1 per unit, map: 2 per unit).
typedef struct {
    size_t len_bytes;
    uint64_t fixed;
    uint64_t per_len_bytes;
    uint64_t per_len_items;
} s_format_t;


//  Returns 0 and fills format for byte b, or -1 for the never-used 0xc1.
//  Fixed containers and fixstr put their length in *inline_len.
static int
s_format_of (uint8_t b, s_format_t *format, uint64_t *inline_len)
{
    static const uint8_t pow2[] = {1, 2, 4, 8, 16};
    *format = (s_format_t){0, 0, 0, 0};
    *inline_len = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 0;    //  fixint, nil, bool
    if (b <= 0x9f) { //  fixmap 0x80..0x8f, fixarray 0x90..0x9f
        *inline_len = b & 0x0f;
        format->per_len_items = b <= 0x8f ? 2 : 1;
        return 0;
    }
    if (b <= 0xbf) {
        *inline_len = b & 0x1f;
        format->per_len_bytes = 1;
        return 0;
    }
    if (b >= 0xc4 && b <= 0xc9) //  bin 8/16/32, ext 8/16/32 (+ type byte)
        *format = (s_format_t){pow2[(b - 0xc4) % 3], b >= 0xc7, 1, 0};
    else if (b == 0xca || b == 0xcb) //  float 32/64
        format->fixed = b == 0xca ? 4 : 8;
    else if (b >= 0xcc && b <= 0xd3) //  uint and int 8..64
        format->fixed = pow2[(b - 0xcc) % 4];
    else if (b >= 0xd4 && b <= 0xd8) //  fixext 1..16 (+ type byte)
        format->fixed = 1 + pow2[b - 0xd4];
    else if (b >= 0xd9 && b <= 0xdb) //  str 8/16/32
        *format = (s_format_t){pow2[b - 0xd9], 0, 1, 0};
    else if (b >= 0xdc && b <= 0xdf) //  array 16/32, map 16/32
        *format = (s_format_t){b & 1 ? 4 : 2, 0, 0, b >= 0xde ? 2 : 1};
    else
        return -1; //  0xc1
    return 0;
}


bool
proto_codec_is_sane (const void *data, size_t size)
{
    const uint8_t *p = data;
    size_t pos = 0;
    uint64_t pending = 1; //  objects still to read
    if (!data)
        return false;
    while (pending > 0) {
        s_format_t format;
        uint64_t len;
        if (pos >= size || s_format_of (p[pos++], &format, &len))
            return false;
        pending--;
        if (format.len_bytes) {
            if (size - pos < format.len_bytes)
                return false;
            len = s_read_be (p + pos, format.len_bytes);
            pos += format.len_bytes;
        }
        uint64_t skip = format.fixed + len * format.per_len_bytes;
        if (skip > size - pos)
            return false;
        pos += skip;
        pending += len * format.per_len_items;
    }
    return pos == size;
}


//  Unpack the envelope [PROTO_VERSION, type, ...]: returns the root array
//  (borrowed from unpacked) and sets *type, or NULL when malformed.
static const msgpack_object *
s_unpack_envelope (msgpack_unpacked *unpacked,
                   const void *data,
                   size_t size,
                   int *type)
{
    size_t offset = 0;
    uint64_t version, value;
    if (!proto_codec_is_sane (data, size)
        || msgpack_unpack_next (unpacked, data, size, &offset)
               != MSGPACK_UNPACK_SUCCESS
        || offset != size)
        return NULL;
    const msgpack_object *root = &unpacked->data;
    if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size < 2
        || proto_codec_uint (&root->via.array.ptr[0], UINT64_MAX, &version)
        || version != PROTO_VERSION
        || proto_codec_uint (&root->via.array.ptr[1], PROTO_ANSWER, &value)
        || value < PROTO_JOB)
        return NULL;
    *type = (int) value;
    return root;
}


const msgpack_object *
proto_codec_unpack (msgpack_unpacked *unpacked,
                    const void *data,
                    size_t size,
                    size_t nfields,
                    int *type)
{
    const msgpack_object *root = s_unpack_envelope (unpacked, data, size, type);
    if (!root || root->via.array.size != 2 + nfields)
        return NULL;
    return root->via.array.ptr + 2;
}


char *
proto_codec_strdup (const msgpack_object *obj, size_t max)
{
    if (obj->type != MSGPACK_OBJECT_STR || obj->via.str.size == 0
        || obj->via.str.size > max
        || memchr (obj->via.str.ptr, '\0', obj->via.str.size))
        return NULL;
    char *text = edge_malloc (obj->via.str.size + 1);
    memcpy (text, obj->via.str.ptr, obj->via.str.size);
    text[obj->via.str.size] = '\0';
    return text;
}


int
proto_codec_uint (const msgpack_object *obj, uint64_t max, uint64_t *value)
{
    if (obj->type != MSGPACK_OBJECT_POSITIVE_INTEGER || obj->via.u64 > max)
        return -1;
    *value = obj->via.u64;
    return 0;
}


void
proto_codec_pack_header (msgpack_packer *pk, proto_type_t type, size_t nfields)
{
    msgpack_pack_array (pk, 2 + nfields);
    msgpack_pack_uint64 (pk, PROTO_VERSION);
    msgpack_pack_uint64 (pk, (uint64_t) type);
}


void
proto_codec_pack_str (msgpack_packer *pk, const char *text)
{
    edge_assert (text);
    size_t len = strlen (text);
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, text, len);
}


int
proto_peek_type (const void *data, size_t size)
{
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    int type = -1;
    if (!s_unpack_envelope (&unpacked, data, size, &type))
        type = -1;
    msgpack_unpacked_destroy (&unpacked);
    return type;
}
