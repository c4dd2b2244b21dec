# End-to-end tests: real redis-server and processes on loopback, over HTTP.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(EDGE_E2E_TESTS pipeline identity tasks_api webhooks apps_deployments builds traces)
foreach(t ${EDGE_E2E_TESTS})
  add_test(NAME e2e_${t}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_${t}.py)
  set_tests_properties(e2e_${t} PROPERTIES TIMEOUT 600 LABELS e2e
    ENVIRONMENT "EDGE_BIN_DIR=${PROJECT_BINARY_DIR}/bin")
endforeach()
