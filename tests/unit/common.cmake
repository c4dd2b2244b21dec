# Unit tests of common/: one cmocka executable per module (keep sorted).
# edge_unit_test links edge_common itself; libcrypto comes with it.
edge_unit_test(test_edge_cfg)
edge_unit_test(test_edge_crypto)
edge_unit_test(test_edge_err)
edge_unit_test(test_edge_json)
edge_unit_test(test_edge_keys)
edge_unit_test(test_edge_jwt)
edge_unit_test(test_edge_metrics)
edge_unit_test(test_edge_metrics_http)
edge_unit_test(test_edge_perm)
edge_unit_test(test_edge_redis)
edge_unit_test(test_edge_redis_sentinel)
edge_unit_test(test_edge_task)
edge_unit_test(test_edge_taskops)
edge_unit_test(test_edge_urlguard)
edge_unit_test(test_edge_util)
# the key schema's owner: builders, and no key spelled anywhere else
target_compile_definitions(test_edge_keys PRIVATE
  EDGE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
