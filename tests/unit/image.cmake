# Image area (libwk): chunker, image builder, patches (keep sorted).
edge_unit_test(test_wk_cdc libwk edge_proto)
edge_unit_test(test_wk_image libwk edge_proto)
edge_unit_test(test_wk_patch libwk edge_proto)
foreach(test test_wk_image test_wk_patch)
  target_sources(${test} PRIVATE unit/wk_testtar.c)
  target_link_libraries(${test} PRIVATE PkgConfig::ARCHIVE)
  target_compile_definitions(${test} PRIVATE
    EDGE_FETCH_PATH="$<TARGET_FILE:edge-fetch>")
  add_dependencies(${test} edge-fetch)
endforeach()
# Traces (issue 6): trace reader, load profile, reordered images.
edge_unit_test(test_wk_profile libwk edge_proto)
edge_unit_test(test_wk_reorder libwk edge_proto)
edge_unit_test(test_wk_trace libwk edge_proto)
foreach(test test_wk_reorder test_wk_trace)
  target_sources(${test} PRIVATE unit/wk_testtar.c)
  target_link_libraries(${test} PRIVATE PkgConfig::ARCHIVE)
endforeach()
target_compile_definitions(test_wk_reorder PRIVATE
  EDGE_FETCH_PATH="$<TARGET_FILE:edge-fetch>")
add_dependencies(test_wk_reorder edge-fetch)
