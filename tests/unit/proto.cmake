# proto: one test per codec, plus the shared envelope and helpers.
edge_unit_test(test_proto_codec edge_proto)
edge_unit_test(test_proto_done edge_proto)
edge_unit_test(test_proto_job edge_proto)
edge_unit_test(test_proto_query edge_proto)
edge_unit_test(test_proto_ready edge_proto)
