/*  proto_testutil - builds msgpack messages field by field for the codec
    tests, so that malformed messages are easy to write.  */
#ifndef PROTO_TESTUTIL_H_INCLUDED
#define PROTO_TESTUTIL_H_INCLUDED
#include <msgpack.h>

//  Pack a message from a format into buf (initialised here; the caller
//  destroys it): a = array header (int count), u = uint (int), U = uint64_t,
//  i = negative int (int), s = string, z = string with length
//  (const char *, int), b = bin (const char *), n = nil.
void proto_testutil_build (msgpack_sbuffer *buf, const char *format, ...);
#endif
