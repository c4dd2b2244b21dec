# gateway unit tests (keep sorted)
edge_unit_test(test_gw_auth libgw)
edge_unit_test(test_gw_metrics libgw)
edge_unit_test(test_gw_req libgw)
edge_unit_test(test_gw_router libgw)
edge_unit_test(test_gw_thread libgw)
target_compile_definitions(test_gw_router PRIVATE
  GW_OPENAPI_PATH="${PROJECT_SOURCE_DIR}/docs/openapi.yaml")
