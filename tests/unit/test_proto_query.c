/*  test_proto_query - the QUERY and ANSWER codecs:
    [1, 5, kind, req_id] and
    [1, 6, req_id, broker_version, queued, [[id, version, capacity, free,
    idle_ms], ...]].  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "proto_testutil.h"
#include "edge_log.h"
#include "proto_query.h"


//  True when the QUERY decoder refuses buf (and leaves the output alone);
//  destroys buf.
static bool
s_query_rejects (msgpack_sbuffer *buf)
{
    proto_query_t query = {PROTO_QUERY_PING, 77};
    int rc = proto_query_decode (buf->data, buf->size, &query);
    msgpack_sbuffer_destroy (buf);
    return rc == -1 && query.kind == PROTO_QUERY_PING && query.req_id == 77;
}


//  True when the ANSWER decoder refuses buf; destroys buf.
static bool
s_answer_rejects (msgpack_sbuffer *buf)
{
    proto_answer_t *answer = proto_answer_decode (buf->data, buf->size);
    bool is_rejected = answer == NULL;
    proto_answer_destroy (&answer);
    msgpack_sbuffer_destroy (buf);
    return is_rejected;
}


static void
test_query_survives_a_round_trip (void **state)
{
    (void) state;
    proto_query_kind_t kinds[] = {PROTO_QUERY_PING, PROTO_QUERY_VERSIONS};
    for (int i = 0; i < 2; i++) {
        proto_query_t query = {kinds[i], UINT64_MAX - (uint64_t) i}, copy;
        msgpack_sbuffer buf;
        msgpack_sbuffer_init (&buf);
        proto_query_encode (&query, &buf);
        assert_int_equal (proto_peek_type (buf.data, buf.size), PROTO_QUERY);
        assert_int_equal (proto_query_decode (buf.data, buf.size, &copy), 0);
        assert_int_equal (copy.kind, kinds[i]);
        assert_true (copy.req_id == query.req_id);
        msgpack_sbuffer_destroy (&buf);
    }
}


static void
test_query_wire_format_is_the_documented_array (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auuuu", 4, 1, 5, 2, 42);
    proto_query_t query;
    assert_int_equal (proto_query_decode (buf.data, buf.size, &query), 0);
    assert_int_equal (query.kind, PROTO_QUERY_VERSIONS);
    assert_int_equal (query.req_id, 42);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_every_truncated_query_is_rejected (void **state)
{
    (void) state;
    proto_query_t query = {PROTO_QUERY_VERSIONS, 1ull << 33};
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_query_encode (&query, &buf);
    for (size_t len = 0; len < buf.size; len++) {
        proto_query_t copy = {PROTO_QUERY_PING, 77};
        assert_int_equal (proto_query_decode (buf.data, len, &copy), -1);
        assert_int_equal (copy.req_id, 77);
    }
    msgpack_sbuffer_write (&buf, "\x90", 1);
    assert_true (s_query_rejects (&buf));
}


static void
test_bad_queries_are_rejected (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auuuu", 4, 2, 5, 1, 1); //  version 2
    assert_true (s_query_rejects (&buf));
    proto_testutil_build (&buf, "auuuu", 4, 1, 6, 1, 1); //  ANSWER type
    assert_true (s_query_rejects (&buf));
    proto_testutil_build (&buf, "auuuu", 4, 1, 5, 0, 1); //  unknown kinds
    assert_true (s_query_rejects (&buf));
    proto_testutil_build (&buf, "auuuu", 4, 1, 5, 3, 1);
    assert_true (s_query_rejects (&buf));
    proto_testutil_build (&buf, "auusu", 4, 1, 5, "1", 1);
    assert_true (s_query_rejects (&buf));
    proto_testutil_build (&buf, "auuui", 4, 1, 5, 1, -1);
    assert_true (s_query_rejects (&buf));
    proto_testutil_build (&buf, "auuun", 4, 1, 5, 1);
    assert_true (s_query_rejects (&buf));
    proto_testutil_build (&buf, "auuu", 3, 1, 5, 1);
    assert_true (s_query_rejects (&buf));
    proto_testutil_build (&buf, "auuuuu", 5, 1, 5, 1, 1, 1);
    assert_true (s_query_rejects (&buf));
}


static void
test_answer_survives_a_round_trip (void **state)
{
    (void) state;
    proto_answer_t *answer = proto_answer_new (9, "0.1.0");
    answer->queued = 1ull << 40;
    proto_answer_add (answer, "w1", "0.1.0", 4, 3, 12);
    proto_answer_add (answer, "w2", "0.2.0", UINT32_MAX, 0, UINT64_MAX);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_answer_encode (answer, &buf);
    assert_int_equal (proto_peek_type (buf.data, buf.size), PROTO_ANSWER);
    proto_answer_t *copy = proto_answer_decode (buf.data, buf.size);
    assert_non_null (copy);
    assert_int_equal (copy->req_id, 9);
    assert_string_equal (copy->broker_version, "0.1.0");
    assert_true (copy->queued == 1ull << 40);
    assert_int_equal (copy->nworkers, 2);
    assert_string_equal (copy->workers[0].id, "w1");
    assert_string_equal (copy->workers[0].version, "0.1.0");
    assert_int_equal (copy->workers[0].capacity, 4);
    assert_int_equal (copy->workers[0].free, 3);
    assert_int_equal (copy->workers[0].idle_ms, 12);
    assert_string_equal (copy->workers[1].id, "w2");
    assert_string_equal (copy->workers[1].version, "0.2.0");
    assert_true (copy->workers[1].capacity == UINT32_MAX);
    assert_int_equal (copy->workers[1].free, 0);
    assert_true (copy->workers[1].idle_ms == UINT64_MAX);
    proto_answer_destroy (&copy);
    proto_answer_destroy (&answer);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_answer_without_workers_survives_a_round_trip (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auuusua", 6, 1, 6, 5, "0.1.0", 2, 0);
    proto_answer_t *answer = proto_answer_decode (buf.data, buf.size);
    assert_non_null (answer);
    assert_int_equal (answer->req_id, 5);
    assert_int_equal (answer->queued, 2);
    assert_int_equal (answer->nworkers, 0);
    msgpack_sbuffer_destroy (&buf);
    msgpack_sbuffer_init (&buf);
    proto_answer_encode (answer, &buf);
    proto_answer_t *copy = proto_answer_decode (buf.data, buf.size);
    assert_non_null (copy);
    assert_int_equal (copy->nworkers, 0);
    proto_answer_destroy (&copy);
    proto_answer_destroy (&answer);
    msgpack_sbuffer_destroy (&buf);
}


static void
test_answer_new_and_destroy_nulls_the_pointer (void **state)
{
    (void) state;
    char version[] = "0.1.0", id[] = "w1";
    proto_answer_t *answer = proto_answer_new (3, version);
    assert_non_null (answer);
    proto_answer_add (answer, id, version, 1, 1, 0);
    version[0] = id[0] = 'X';
    assert_string_equal (answer->broker_version, "0.1.0");
    assert_string_equal (answer->workers[0].id, "w1");
    assert_string_equal (answer->workers[0].version, "0.1.0");
    assert_int_equal (answer->queued, 0);
    proto_answer_destroy (&answer);
    assert_null (answer);
    proto_answer_destroy (&answer);
    assert_null (answer);
}


static void
test_every_truncated_answer_is_rejected (void **state)
{
    (void) state;
    proto_answer_t *answer = proto_answer_new (1ull << 50, "0.1.0");
    answer->queued = 100000;
    proto_answer_add (answer, "w1", "0.1.0", 2, 1, 300);
    proto_answer_add (answer, "w2", "0.1.0", 1, 0, 70000);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_answer_encode (answer, &buf);
    for (size_t len = 0; len < buf.size; len++) {
        assert_null (proto_answer_decode (buf.data, len));
        assert_int_equal (proto_peek_type (buf.data, len), -1);
    }
    msgpack_sbuffer_write (&buf, "\x00", 1);
    assert_true (s_answer_rejects (&buf));
    proto_answer_destroy (&answer);
}


static void
test_bad_answers_are_rejected (void **state)
{
    (void) state;
    msgpack_sbuffer buf;
    proto_testutil_build (&buf, "auuusua", 6, 9, 6, 5, "0.1.0", 2,
                          0); //  version 9
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusua", 6, 1, 5, 5, "0.1.0", 2,
                          0); //  QUERY type
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auussua", 6, 1, 6, "5", "0.1.0", 2, 0);
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuuuua", 6, 1, 6, 5, 1, 2, 0);
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusia", 6, 1, 6, 5, "0.1.0", -2, 0);
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusus", 6, 1, 6, 5, "0.1.0", 2, "none");
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusu", 5, 1, 6, 5, "0.1.0", 2);
    assert_true (s_answer_rejects (&buf));
    //  one worker entry wrong: size, then each field's type
    proto_testutil_build (&buf, "auuusuaassuu", 6, 1, 6, 5, "0.1.0", 2, 1, 4,
                          "w1", "v", 1, 1);
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusuaauuuuu", 6, 1, 6, 5, "0.1.0", 2, 1, 5,
                          7, 1, 1, 1, 1);
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusuaassiuu", 6, 1, 6, 5, "0.1.0", 2, 1, 5,
                          "w1", "v", -1, 1, 1);
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusuaassuUu", 6, 1, 6, 5, "0.1.0", 2, 1, 5,
                          "w1", "v", 1, (uint64_t) UINT32_MAX + 1, 1);
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusuaassuus", 6, 1, 6, 5, "0.1.0", 2, 1, 5,
                          "w1", "v", 1, 1, "1");
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusuaassuuu", 6, 1, 6, 5, "0.1.0", 2, 1, 5,
                          "w1", "", 1, 1, 1);
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusuaassuuuu", 6, 1, 6, 5, "0.1.0", 2, 2, 5,
                          "w1", "v", 1, 1, 1, 7);
    assert_true (s_answer_rejects (&buf));
    proto_testutil_build (&buf, "auuusuaassuuu", 6, 1, 6, 5, "0.1.0", 2, 1, 5,
                          "w1", "v", 1, 1,
                          1); //  the same entry, well formed, is accepted
    assert_false (s_answer_rejects (&buf));
}


static void
test_answer_worker_count_is_capped (void **state)
{
    (void) state;
    proto_answer_t *answer = proto_answer_new (1, "0.1.0");
    char id[16];
    for (int i = 0; i < PROTO_ANSWER_WORKERS_MAX; i++) {
        snprintf (id, sizeof id, "w%d", i);
        proto_answer_add (answer, id, "0.1.0", 1, 1, 0);
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_answer_encode (answer, &buf);
    proto_answer_t *copy = proto_answer_decode (buf.data, buf.size);
    assert_non_null (copy);
    assert_int_equal (copy->nworkers, PROTO_ANSWER_WORKERS_MAX);
    assert_string_equal (copy->workers[PROTO_ANSWER_WORKERS_MAX - 1].id,
                         "w9999");
    proto_answer_destroy (&copy);
    msgpack_sbuffer_destroy (&buf);

    proto_answer_add (answer, "one-too-many", "0.1.0", 1, 1, 0);
    msgpack_sbuffer_init (&buf);
    proto_answer_encode (answer, &buf);
    assert_true (s_answer_rejects (&buf));
    proto_answer_destroy (&answer);
}


int
main (void)
{
    //  Every rejected input logs a warning; keep the test output readable
    edge_log_threshold = EDGE_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_query_survives_a_round_trip),
        cmocka_unit_test (test_query_wire_format_is_the_documented_array),
        cmocka_unit_test (test_every_truncated_query_is_rejected),
        cmocka_unit_test (test_bad_queries_are_rejected),
        cmocka_unit_test (test_answer_survives_a_round_trip),
        cmocka_unit_test (test_answer_without_workers_survives_a_round_trip),
        cmocka_unit_test (test_answer_new_and_destroy_nulls_the_pointer),
        cmocka_unit_test (test_every_truncated_answer_is_rejected),
        cmocka_unit_test (test_bad_answers_are_rejected),
        cmocka_unit_test (test_answer_worker_count_is_capped),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
