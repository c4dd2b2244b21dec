/*  proto_testutil - msgpack message builder for the codec tests.  */
#include "proto_testutil.h"
#include <stdarg.h>
#include <stdint.h>
#include <string.h>


void
proto_testutil_build (msgpack_sbuffer *buf, const char *format, ...)
{
    msgpack_packer pk;
    msgpack_sbuffer_init (buf);
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    va_list args;
    va_start (args, format);
    for (const char *f = format; *f; f++) {
        if (*f == 'a')
            msgpack_pack_array (&pk, (size_t) va_arg (args, int));
        else if (*f == 'u')
            msgpack_pack_uint64 (&pk, (uint64_t) va_arg (args, int));
        else if (*f == 'U')
            msgpack_pack_uint64 (&pk, va_arg (args, uint64_t));
        else if (*f == 'i')
            msgpack_pack_int64 (&pk, va_arg (args, int));
        else if (*f == 's' || *f == 'b' || *f == 'z') {
            const char *text = va_arg (args, const char *);
            size_t len =
                *f == 'z' ? (size_t) va_arg (args, int) : strlen (text);
            if (*f == 'b') {
                msgpack_pack_bin (&pk, len);
                msgpack_pack_bin_body (&pk, text, len);
            }
            else {
                msgpack_pack_str (&pk, len);
                msgpack_pack_str_body (&pk, text, len);
            }
        }
        else if (*f == 'n')
            msgpack_pack_nil (&pk);
    }
    va_end (args);
}
