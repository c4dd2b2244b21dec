# FindCivetWeb: Debian's libcivetweb-dev ships no .pc file, and its
# civetweb-config.cmake needs the separate civetweb server package.
find_path(CIVETWEB_INCLUDE_DIR civetweb.h)
find_library(CIVETWEB_LIBRARY NAMES civetweb)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CivetWeb DEFAULT_MSG
  CIVETWEB_LIBRARY CIVETWEB_INCLUDE_DIR)
if(CivetWeb_FOUND AND NOT TARGET CivetWeb::CivetWeb)
  add_library(CivetWeb::CivetWeb UNKNOWN IMPORTED)
  set_target_properties(CivetWeb::CivetWeb PROPERTIES
    IMPORTED_LOCATION "${CIVETWEB_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CIVETWEB_INCLUDE_DIR}")
endif()
