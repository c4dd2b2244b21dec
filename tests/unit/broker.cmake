# broker: libbk modules, one test each; test_bk_broker uses real sockets.
edge_unit_test(test_bk_broker libbk edge_proto)
edge_unit_test(test_bk_queue libbk edge_proto)
edge_unit_test(test_bk_worker libbk edge_proto)
