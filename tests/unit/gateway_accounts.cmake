# gateway account handlers: list queries, users, roles, API keys (keep
# sorted). gw_testacct drives handlers as the server does.
edge_unit_test(test_gw_apikeys libgw edge_proto)
edge_unit_test(test_gw_list libgw edge_proto)
edge_unit_test(test_gw_roles libgw edge_proto)
edge_unit_test(test_gw_users libgw edge_proto)
foreach(test test_gw_apikeys test_gw_roles test_gw_users)
  target_sources(${test} PRIVATE unit/gw_testacct.c)
endforeach()
