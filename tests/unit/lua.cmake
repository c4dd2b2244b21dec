# Every embedded Lua script loads and runs its happy path (test_lua_scripts);
# luacheck (Debian's lua-check, from scripts/setup.sh) lints the expanded
# sources that CMake wrote to <build>/lua/, that is what Redis runs.
edge_unit_test(test_lua_scripts libgw libwk libnt)
find_program(LUACHECK luacheck)
if(LUACHECK)
  add_test(NAME lua_lint COMMAND ${LUACHECK} --no-color --config
    ${PROJECT_SOURCE_DIR}/.luacheckrc --codes ${PROJECT_BINARY_DIR}/lua)
else()
  add_test(NAME lua_lint COMMAND sh -c
    "echo 'luacheck is not installed (scripts/setup.sh installs lua-check)'; exit 77")
endif()
set_tests_properties(lua_lint PROPERTIES LABELS unit TIMEOUT 60
  SKIP_RETURN_CODE 77)
