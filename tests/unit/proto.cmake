# proto: one test per codec, plus the shared envelope and helpers.
edge_unit_test(test_proto_codec edge_proto)
edge_unit_test(test_proto_done edge_proto)
edge_unit_test(test_proto_job edge_proto)
edge_unit_test(test_proto_query edge_proto)
edge_unit_test(test_proto_ready edge_proto)
foreach(t test_proto_codec test_proto_done test_proto_job test_proto_query
    test_proto_ready)
  target_sources(${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit/proto_testutil.c)
endforeach()
