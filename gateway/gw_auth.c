/*  gw_auth - admin token verification.  */
#include "gw_auth.h"
#include "edge_assert.h"
#include "edge_jwt.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>


int
gw_auth_admin (const char *token,
               const void *key,
               size_t keylen,
               char *username,
               size_t size,
               edge_json_err_t *err)
{
    edge_assert (key && username && size > GW_AUTH_USERNAME_MAX);
    if (!token || !*token)
        return edge_json_err_set (err, 401, "unauthorized", NULL,
                                  "missing " GW_AUTH_ADMIN_HEADER " header");
    const char *why = "rejected";
    json_t *claims = edge_jwt_verify (token, key, keylen, &why);
    if (!claims)
        return edge_json_err_set (err, 401, "unauthorized", NULL,
                                  "invalid admin token: %s",
                                  why ? why : "rejected");
    json_t *claim = json_object_get (claims, "username");
    const char *name = json_string_value (claim);
    size_t len = name ? strlen (name) : 0;
    int rc = 0;
    if (len == 0 || len != json_string_length (claim))
        rc = edge_json_err_set (err, 401, "unauthorized", NULL,
                                "invalid admin token: no username claim");
    else if (len > GW_AUTH_USERNAME_MAX)
        rc = edge_json_err_set (err, 401, "unauthorized", NULL,
                                "invalid admin token: username longer than "
                                "%d characters",
                                GW_AUTH_USERNAME_MAX);
    else
        snprintf (username, size, "%s", name);
    json_decref (claims);
    return rc;
}
