# Worker area (libwk). test_edge_redis and test_edge_task are registered by
# common.cmake.
