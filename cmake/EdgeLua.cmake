# edge_lua_embed(<target> <prefix>): embeds every <folder>/lua/*.lua of the
# current source folder into <target> as C strings, one
# edge_redis_script_t per file (<prefix>_lua_<file name>) and one table of
# them (<prefix>_lua_scripts), declared in the generated <prefix>_lua.h.
#
# A script may pull in a shared fragment with a line of its own
#   --#include lib/<name>.lua
# (resolved against <folder>/lua/, then the project's lua/; fragments may
# include others, each at most once per script). Inside Lua string literals,
# @NAME@ is replaced by the C macro NAME (a key prefix from edge_keys.h), so
# the key schema has one owner. The expanded sources are also written to
# <binary>/lua/<prefix>/ for luacheck.
set(EDGE_LUA_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/edge_lua_embed.cmake)
set_property(GLOBAL PROPERTY EDGE_LUA_PREFIXES "")

function(edge_lua_embed target prefix)
  set(dir ${CMAKE_CURRENT_SOURCE_DIR}/lua)
  file(GLOB scripts CONFIGURE_DEPENDS ${dir}/*.lua)
  file(GLOB_RECURSE libs CONFIGURE_DEPENDS ${dir}/lib/*.lua
    ${PROJECT_SOURCE_DIR}/lua/lib/*.lua)
  list(SORT scripts)
  set(out_c ${CMAKE_CURRENT_BINARY_DIR}/${prefix}_lua.c)
  set(out_h ${CMAKE_CURRENT_BINARY_DIR}/${prefix}_lua.h)
  set(out_dir ${PROJECT_BINARY_DIR}/lua/${prefix})
  string(REPLACE ";" "|" script_arg "${scripts}")
  add_custom_command(
    OUTPUT ${out_c} ${out_h}
    COMMAND ${CMAKE_COMMAND} -DPREFIX=${prefix} "-DSCRIPTS=${script_arg}"
      -DLUA_DIR=${dir} -DLIB_DIR=${PROJECT_SOURCE_DIR}/lua
      -DOUT_C=${out_c} -DOUT_H=${out_h} -DOUT_DIR=${out_dir}
      -P ${EDGE_LUA_EMBED_SCRIPT}
    DEPENDS ${scripts} ${libs} ${EDGE_LUA_EMBED_SCRIPT}
    COMMENT "Embedding ${prefix} Lua scripts"
    VERBATIM)
  target_sources(${target} PRIVATE ${out_c} ${out_h})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
  set_property(GLOBAL APPEND PROPERTY EDGE_LUA_PREFIXES ${prefix})
endfunction()
