# Object store: SigV4 signing and the store over a directory or S3.
# test_edge_store and test_edge_store_upload run s3rver (scripts/s3rver.sh, npm) on loopback.
edge_unit_test(test_edge_sigv4)
edge_unit_test(test_edge_store)
target_compile_definitions(test_edge_store PRIVATE
  EDGE_S3RVER_SCRIPT="${PROJECT_SOURCE_DIR}/scripts/s3rver.sh")
set_tests_properties(test_edge_store PROPERTIES TIMEOUT 300)
edge_unit_test(test_edge_store_upload)
target_compile_definitions(test_edge_store_upload PRIVATE
  EDGE_S3RVER_SCRIPT="${PROJECT_SOURCE_DIR}/scripts/s3rver.sh")
set_tests_properties(test_edge_store_upload PROPERTIES TIMEOUT 300)
