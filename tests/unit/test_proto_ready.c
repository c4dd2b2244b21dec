/*  test_proto_ready - the READY / HEARTBEAT codec:
    [1, 2 | 3, worker, version, capacity, free, last_seq].  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "proto_testutil.h"
#include "edge_log.h"
#include "proto_ready.h"


//  True when the decoder refuses buf; destroys buf.
static bool
s_rejects (msgpack_sbuffer *buf)
{
    proto_ready_t *ready = proto_ready_decode (buf->data, buf->size);
    bool is_rejected = ready == NULL;
    proto_ready_destroy (&ready);
    msgpack_sbuffer_destroy (buf);
    return is_rejected;
}


static proto_ready_t *
s_round_trip (const proto_ready_t *ready, int expected_type)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_ready_encode (ready, &buf);
    assert_int_equal (proto_peek_type (buf.data, buf.size), expected_type);
    proto_ready_t *copy = proto_ready_decode (buf.data, buf.size);
    msgpack_sbuffer_destroy (&buf);
    return copy;
}


static void
test_ready_and_heartbeat_survive_a_round_trip (void **state)
{
    (void) state;
    proto_ready_t *ready = proto_ready_new ("host-42-beef", "0.1.0");
    ready->capacity = UINT32_MAX;
    ready->free = UINT32_MAX - 1;
    ready->last_seq = UINT64_MAX;
    proto_ready_t *copy = s_round_trip (ready, PROTO_READY);
    assert_non_null (copy);
    assert_false (copy->is_heartbeat);
    assert_string_equal (copy->worker, "host-42-beef");
    assert_string_equal (copy->version, "0.1.0");
    assert_true (copy->capacity == UINT32_MAX);
    assert_true (copy->free == UINT32_MAX - 1);
    assert_true (copy->last_seq == UINT64_MAX);
    proto_ready_destroy (&copy);

    ready->is_heartbeat = true;
    copy = s_round_trip (ready, PROTO_HEARTBEAT);
    assert_non_null (copy);
    assert_true (copy->is_heartbeat);
    assert_string_equal (copy->worker, "host-42-beef");
    proto_ready_destroy (&copy);
    proto_ready_destroy (&ready);
}


static void
test_ready_wire_format_is_the_documented_array (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auussuuu", 7, 1, 3, "w1", "0.1.0", 4, 2, 9);
    proto_ready_t *ready = proto_ready_decode (buf.data, buf.size);
    assert_non_null (ready);
    assert_true (ready->is_heartbeat);
    assert_string_equal (ready->worker, "w1");
    assert_string_equal (ready->version, "0.1.0");
    assert_int_equal (ready->capacity, 4);
    assert_int_equal (ready->free, 2);
    assert_int_equal (ready->last_seq, 9);
    proto_ready_destroy (&ready);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_new_copies_strings_and_destroy_nulls_the_pointer (void **state)
{
    (void) state;
    char worker[] = "w1", version[] = "0.1.0";
    proto_ready_t *ready = proto_ready_new (worker, version);
    assert_non_null (ready);
    worker[0] = version[0] = 'X';
    assert_string_equal (ready->worker, "w1");
    assert_string_equal (ready->version, "0.1.0");
    assert_false (ready->is_heartbeat);
    assert_int_equal (ready->capacity, 0);
    assert_int_equal (ready->last_seq, 0);
    proto_ready_destroy (&ready);
    assert_null (ready);
    proto_ready_destroy (&ready);
    assert_null (ready);
}


static void
test_every_truncated_ready_is_rejected (void **state)
{
    (void) state;
    proto_ready_t *ready = proto_ready_new ("w1", "0.1.0");
    ready->capacity = 70000;
    ready->free = 300;
    ready->last_seq = 1ull << 40;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_ready_encode (ready, &buf);
    for (size_t len = 0; len < buf.size; len++) {
        assert_null (proto_ready_decode (buf.data, len));
        assert_int_equal (proto_peek_type (buf.data, len), -1);
    }
    msgpack_sbuffer_write (&buf, "\xc0", 1);
    assert_null (proto_ready_decode (buf.data, buf.size));
    proto_ready_destroy (&ready);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_wrong_version_or_type_is_rejected (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auussuuu", 7, 2, 2, "w1", "0.1.0", 1, 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussuuu", 7, 1, 4, "w1", "0.1.0", 1, 1,
                          0); //  DONE
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussuuu", 7, 1, 1, "w1", "0.1.0", 1, 1,
                          0); //  JOB
    assert_true (s_rejects (&buf));
}


static void
test_wrong_field_types_or_values_are_rejected (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auuusuuu", 7, 1, 2, 1, "0.1.0", 1, 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusnuuu", 7, 1, 2, "w1", 1, 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auusssuu", 7, 1, 2, "w1", "0.1.0", "1", 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussiuu", 7, 1, 2, "w1", "0.1.0", -1, 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussUuu", 7, 1, 2, "w1", "0.1.0",
                          (uint64_t) UINT32_MAX + 1, 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussuuu", 7, 1, 2, "w1", "0.1.0", 1, 2,
                          0); //  free > cap
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussuui", 7, 1, 2, "w1", "0.1.0", 1, 1, -5);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussuu", 6, 1, 2, "w1", "0.1.0", 1, 1);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auussuuuu", 8, 1, 2, "w1", "0.1.0", 1, 1, 0,
                          0);
    assert_true (s_rejects (&buf));
}


static void
test_strings_must_be_short_nonempty_and_free_of_nul (void **state)
{
    (void) state;
    char text[PROTO_NAME_MAX + 2];
    memset (text, 'v', sizeof text);
    msgpack_sbuffer buf;
    text[PROTO_VERSION_MAX + 1] = '\0';
    proto_testutil_build (&buf, "auussuuu", 7, 1, 2, "w1", text, 1, 1, 0);
    assert_true (s_rejects (&buf));
    text[PROTO_VERSION_MAX] = '\0';
    proto_testutil_build (&buf, "auussuuu", 7, 1, 2, "w1", text, 1, 1, 0);
    assert_false (s_rejects (&buf));
    memset (text, 'w', sizeof text);
    text[PROTO_NAME_MAX + 1] = '\0';
    proto_testutil_build (&buf, "auussuuu", 7, 1, 2, text, "0.1.0", 1, 1, 0);
    assert_true (s_rejects (&buf));
    text[PROTO_NAME_MAX] = '\0';
    proto_testutil_build (&buf, "auussuuu", 7, 1, 2, text, "0.1.0", 1, 1, 0);
    assert_false (s_rejects (&buf));
    proto_testutil_build (&buf, "auussuuu", 7, 1, 2, "", "0.1.0", 1, 1, 0);
    assert_true (s_rejects (&buf));
    proto_testutil_build (&buf, "auuzsuuu", 7, 1, 2, "w\0", 2, "0.1.0", 1, 1,
                          0);
    assert_true (s_rejects (&buf));
}


int
main (void)
{
    //  Every rejected input logs a warning; keep the test output readable
    edge_log_threshold = EDGE_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ready_and_heartbeat_survive_a_round_trip),
        cmocka_unit_test (test_ready_wire_format_is_the_documented_array),
        cmocka_unit_test (
            test_new_copies_strings_and_destroy_nulls_the_pointer),
        cmocka_unit_test (test_every_truncated_ready_is_rejected),
        cmocka_unit_test (test_wrong_version_or_type_is_rejected),
        cmocka_unit_test (test_wrong_field_types_or_values_are_rejected),
        cmocka_unit_test (test_strings_must_be_short_nonempty_and_free_of_nul),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
