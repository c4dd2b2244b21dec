/*  gw_auth - request authentication. Admin: the x-rockit-admin-token
    header, a JWT (HS256) signed with the decoded EDGE_ADMIN_SECRET whose
    claims hold the admin's "username", the audit identity (architecture §6).  */
#ifndef GW_AUTH_H_INCLUDED
#define GW_AUTH_H_INCLUDED
#include "edge_json.h"
#include <stddef.h>

#define GW_AUTH_ADMIN_HEADER "x-rockit-admin-token"
#define GW_AUTH_USERNAME_MAX 128

//  Check an admin token (the header's value, NULL when it is missing)
//  against key. Returns 0 with the username copied into username (size
//  at least GW_AUTH_USERNAME_MAX + 1), or -1 with err set to 401
//  "unauthorized" and a message saying why. Never logs the token.
int gw_auth_admin (const char *token,
                   const void *key,
                   size_t keylen,
                   char *username,
                   size_t size,
                   edge_json_err_t *err);
#endif
