# End-to-end tests: real redis-server and processes on loopback, over HTTP.
# Every response they receive is checked against docs/openapi.yaml
# (tests/e2e/contract.py); e2e_contract_coverage then prints how much of the
# document they exercised and fails when an operation never was.
# The suites import Debian's python3-yaml and python3-jsonschema (installed by
# scripts/setup.sh): prefer the system interpreter, which sees them.
if(NOT Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(EDGE_E2E_TESTS openapi_doc contract failover cluster pipeline identity tasks_api webhooks
  apps_deployments builds traces metrics)
set(EDGE_CONTRACT_DIR ${PROJECT_BINARY_DIR}/contract)

add_test(NAME e2e_contract_reset
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/coverage.py reset)
set(EDGE_E2E_SUITES ${EDGE_E2E_TESTS})
list(TRANSFORM EDGE_E2E_SUITES PREPEND test_)
add_test(NAME e2e_contract_coverage
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/coverage.py report
    ${EDGE_E2E_SUITES})
set_tests_properties(e2e_contract_reset PROPERTIES FIXTURES_SETUP e2e_contract
  LABELS e2e ENVIRONMENT "EDGE_CONTRACT_DIR=${EDGE_CONTRACT_DIR}")
set_tests_properties(e2e_contract_coverage PROPERTIES FIXTURES_CLEANUP e2e_contract
  LABELS e2e ENVIRONMENT "EDGE_CONTRACT_DIR=${EDGE_CONTRACT_DIR}")

foreach(t ${EDGE_E2E_TESTS})
  add_test(NAME e2e_${t}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_${t}.py)
  set_tests_properties(e2e_${t} PROPERTIES TIMEOUT 600 LABELS e2e
    FIXTURES_REQUIRED e2e_contract
    ENVIRONMENT "EDGE_BIN_DIR=${PROJECT_BINARY_DIR}/bin;EDGE_CONTRACT_DIR=${EDGE_CONTRACT_DIR}")
endforeach()

# The deployment files (no processes, no API responses: outside the contract
# fixture).
add_test(NAME deploy_files
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_deploy_files.py)
set_tests_properties(deploy_files PROPERTIES LABELS e2e TIMEOUT 60)
