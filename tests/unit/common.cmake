# Unit tests of common/: one cmocka executable per module (keep sorted).
# edge_unit_test links edge_common itself; libcrypto comes with it.
edge_unit_test(test_edge_cfg)
edge_unit_test(test_edge_crypto)
edge_unit_test(test_edge_json)
edge_unit_test(test_edge_jwt)
edge_unit_test(test_edge_urlguard)
edge_unit_test(test_edge_util)

# Tests of edge_redis and edge_task are written in parallel: register them
# once their files exist, so that configure works before and after.
foreach(test test_edge_redis test_edge_task)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/${test}.c)
    edge_unit_test(${test})
  endif()
endforeach()
