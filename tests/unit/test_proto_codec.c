/*  test_proto_codec - the envelope every message shares (proto_peek_type)
    and the helpers of proto_codec.h, including the pre-check that keeps
    msgpack-c from allocating for element counts the input cannot hold.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "proto_testutil.h"
#include "edge_log.h"
#include "proto_codec.h"


static void
test_every_message_type_is_peeked (void **state)
{
    (void) state;
    for (int type = PROTO_JOB; type <= PROTO_ANSWER; type++) {
        msgpack_sbuffer buf;
        proto_testutil_build (&buf, "auu", 2, PROTO_VERSION, type);
        assert_int_equal (proto_peek_type (buf.data, buf.size), type);
        msgpack_sbuffer_destroy (&buf);
        proto_testutil_build (&buf, "auusn", 4, PROTO_VERSION, type, "field");
        assert_int_equal (proto_peek_type (buf.data, buf.size), type);
        msgpack_sbuffer_destroy (&buf);
    }
}


//  True when proto_peek_type refuses buf; destroys buf.
static bool
s_peek_refuses (msgpack_sbuffer *buf)
{
    int type = proto_peek_type (buf->data, buf->size);
    msgpack_sbuffer_destroy (buf);
    return type == -1;
}


static void
test_peek_refuses_what_is_not_our_envelope (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auu", 2, PROTO_VERSION + 1, PROTO_JOB);
    assert_true (s_peek_refuses (&buf));
    proto_testutil_build (&buf, "aiu", 2, -1, PROTO_JOB);
    assert_true (s_peek_refuses (&buf));
    proto_testutil_build (&buf, "auu", 2, PROTO_VERSION, 0);
    assert_true (s_peek_refuses (&buf));
    proto_testutil_build (&buf, "auu", 2, PROTO_VERSION, PROTO_ANSWER + 1);
    assert_true (s_peek_refuses (&buf));
    proto_testutil_build (&buf, "aus", 2, PROTO_VERSION, "1");
    assert_true (s_peek_refuses (&buf));
    proto_testutil_build (&buf, "au", 1, PROTO_VERSION);
    assert_true (s_peek_refuses (&buf));
    proto_testutil_build (&buf, "s", "[1,1]");
    assert_true (s_peek_refuses (&buf));
    proto_testutil_build (&buf, "n");
    assert_true (s_peek_refuses (&buf));
    assert_int_equal (proto_peek_type (NULL, 0), -1);
    assert_int_equal (proto_peek_type ("", 0), -1);
}


static void
test_unpack_checks_the_field_count (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auuss", 4, PROTO_VERSION, PROTO_JOB, "a", "b");
    msgpack_unpacked unpacked;
    int type = -1;
    msgpack_unpacked_init (&unpacked);
    const msgpack_object *field =
        proto_codec_unpack (&unpacked, buf.data, buf.size, 2, &type);
    assert_non_null (field);
    assert_int_equal (type, PROTO_JOB);
    assert_int_equal (field[1].type, MSGPACK_OBJECT_STR);
    msgpack_unpacked_destroy (&unpacked);
    for (size_t nfields = 0; nfields < 5; nfields++) {
        if (nfields == 2)
            continue;
        msgpack_unpacked_init (&unpacked);
        assert_null (
            proto_codec_unpack (&unpacked, buf.data, buf.size, nfields, &type));
        msgpack_unpacked_destroy (&unpacked);
    }
    msgpack_sbuffer_destroy (&buf);
}


static void
test_sane_accepts_every_msgpack_format (void **state)
{
    (void) state;
    //  array16 of: fixint, -fixint, nil, false, true, bin8, ext8, float32,
    //  float64, uint8..64, int8..64, fixext1..16, str8, array16, map16,
    //  fixstr, fixmap, {}, bin16, ext16, bin32, ext32, str16, str32,
    //  array32, map32, []
    static const uint8_t all[] = {
        0xdc, 0x00, 0x25, 0x05, 0xff, 0xc0, 0xc2, 0xc3, 0xc4, 0x02, 'h',  'i',
        0xc7, 0x01, 0x07, 'x',  0xca, 0,    0,    0,    0,    0xcb, 0,    0,
        0,    0,    0,    0,    0,    0,    0xcc, 1,    0xcd, 0,    1,    0xce,
        0,    0,    0,    1,    0xcf, 0,    0,    0,    0,    0,    0,    0,
        1,    0xd0, 0xff, 0xd1, 0xff, 0xff, 0xd2, 0xff, 0xff, 0xff, 0xff, 0xd3,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xd4, 1,    0,    0xd5,
        1,    0,    0,    0xd6, 1,    0,    0,    0,    0,    0xd7, 1,    0,
        0,    0,    0,    0,    0,    0,    0,    0xd8, 1,    0,    0,    0,
        0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
        0,    0xd9, 0x01, 'a',  0xdc, 0x00, 0x01, 0x01, 0xde, 0x00, 0x01, 0xa1,
        'k',  0x02, 0xa1, 'z',  0x81, 0x01, 0x02, 0x80, 0xc5, 0x00, 0x00, 0xc8,
        0x00, 0x00, 0x01, 0xc6, 0,    0,    0,    0,    0xc9, 0,    0,    0,
        0,    5,    0xda, 0,    1,    'b',  0xdb, 0,    0,    0,    1,    'c',
        0xdd, 0,    0,    0,    1,    7,    0xdf, 0,    0,    0,    1,    1,
        2,    0x90};
    assert_true (proto_codec_is_sane (all, sizeof all));
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    size_t offset = 0;
    assert_int_equal (msgpack_unpack_next (&unpacked, (const char *) all,
                                           sizeof all, &offset),
                      MSGPACK_UNPACK_SUCCESS);
    assert_int_equal (offset, sizeof all);
    assert_int_equal (unpacked.data.via.array.size, 0x25);
    msgpack_unpacked_destroy (&unpacked);
    //  and every prefix is refused
    for (size_t len = 0; len < sizeof all; len++)
        assert_false (proto_codec_is_sane (all, len));
}


static void
test_sane_refuses_counts_the_input_cannot_hold (void **state)
{
    (void) state;
    static const uint8_t array32[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t map32[] = {0x92, 0x01, 0xdf, 0x7f, 0xff, 0xff, 0xff};
    static const uint8_t str32[] = {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'};
    static const uint8_t fixarray[] = {0x93, 0x01,
                                       0x02}; //  3 declared, 2 there
    static const uint8_t never_used[] = {0x91, 0xc1};
    static const uint8_t trailing[] = {0x91, 0x01, 0x01};
    assert_false (proto_codec_is_sane (array32, sizeof array32));
    assert_false (proto_codec_is_sane (map32, sizeof map32));
    assert_false (proto_codec_is_sane (str32, sizeof str32));
    assert_false (proto_codec_is_sane (fixarray, sizeof fixarray));
    assert_false (proto_codec_is_sane (never_used, sizeof never_used));
    assert_false (proto_codec_is_sane (trailing, sizeof trailing));
    assert_true (proto_codec_is_sane (trailing, 2));
    assert_false (proto_codec_is_sane (NULL, 0));
    //  the envelope refuses them too, without a huge allocation
    assert_int_equal (proto_peek_type (array32, sizeof array32), -1);
    assert_int_equal (proto_peek_type (map32, sizeof map32), -1);
}


static void
test_strdup_copies_only_clean_strings (void **state)
{
    (void) state;
    msgpack_object obj = {.type = MSGPACK_OBJECT_STR};
    obj.via.str.ptr = "abc";
    obj.via.str.size = 3;
    char *text = proto_codec_strdup (&obj, 3);
    assert_string_equal (text, "abc");
    free (text);
    assert_null (proto_codec_strdup (&obj, 2));
    obj.via.str.size = 0;
    assert_null (proto_codec_strdup (&obj, 3));
    obj.via.str.ptr = "a\0c";
    obj.via.str.size = 3;
    assert_null (proto_codec_strdup (&obj, 3));
    obj.type = MSGPACK_OBJECT_BIN;
    obj.via.bin.ptr = "abc";
    obj.via.bin.size = 3;
    assert_null (proto_codec_strdup (&obj, 3));
}


static void
test_uint_reads_only_bounded_non_negative_integers (void **state)
{
    (void) state;
    uint64_t value = 5;
    msgpack_object obj = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER};
    obj.via.u64 = 10;
    assert_int_equal (proto_codec_uint (&obj, 10, &value), 0);
    assert_int_equal (value, 10);
    value = 5;
    assert_int_equal (proto_codec_uint (&obj, 9, &value), -1);
    assert_int_equal (value, 5);
    obj.type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
    obj.via.i64 = -1;
    assert_int_equal (proto_codec_uint (&obj, UINT64_MAX, &value), -1);
    obj.type = MSGPACK_OBJECT_FLOAT64;
    obj.via.f64 = 1.0;
    assert_int_equal (proto_codec_uint (&obj, UINT64_MAX, &value), -1);
    assert_int_equal (value, 5);
}


int
main (void)
{
    edge_log_threshold = EDGE_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_message_type_is_peeked),
        cmocka_unit_test (test_peek_refuses_what_is_not_our_envelope),
        cmocka_unit_test (test_unpack_checks_the_field_count),
        cmocka_unit_test (test_sane_accepts_every_msgpack_format),
        cmocka_unit_test (test_sane_refuses_counts_the_input_cannot_hold),
        cmocka_unit_test (test_strdup_copies_only_clean_strings),
        cmocka_unit_test (test_uint_reads_only_bounded_non_negative_integers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
