# Worker area (libwk): one cmocka executable per module (keep sorted).
# test_edge_redis and test_edge_task are registered by common.cmake.
edge_unit_test(test_wk_config libwk)
edge_unit_test(test_wk_deploy libwk)
target_compile_definitions(test_wk_deploy PRIVATE
  EDGE_S3RVER_SCRIPT="${PROJECT_SOURCE_DIR}/scripts/s3rver.sh")
set_tests_properties(test_wk_deploy PROPERTIES TIMEOUT 300)
edge_unit_test(test_wk_dltar libwk CivetWeb::CivetWeb)
edge_unit_test(test_wk_hello libwk)
edge_unit_test(test_wk_reaper libwk)
edge_unit_test(test_wk_slot libwk)
edge_unit_test(test_wk_worker libwk)
