/*  edge-admin-token <username> - print an admin token (architecture §6): a JWT
    HS256 with claims {"username":...}, no expiry (as the vendor's tool),
    signed with the base64-decoded EDGE_ADMIN_SECRET from the environment.
    The token goes to stdout; usage and secret problems to stderr, exit 2.  */
#include "edge_crypto.h"
#include "edge_jwt.h"
#include "gw_auth.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_USAGE "usage: edge-admin-token <username>  (EDGE_ADMIN_SECRET set)"


int
main (int argc, char *argv[])
{
    if (argc != 2 || strcmp (argv[1], "-h") == 0
        || strcmp (argv[1], "--help") == 0) {
        fprintf (stderr, "%s\n", S_USAGE);
        return 2;
    }
    const char *username = argv[1];
    size_t len = strlen (username);
    if (len == 0 || len > GW_AUTH_USERNAME_MAX) {
        fprintf (stderr, "edge-admin-token: username must be 1..%d bytes\n",
                 GW_AUTH_USERNAME_MAX);
        return 2;
    }
    const char *secret = getenv ("EDGE_ADMIN_SECRET");
    unsigned char *key = NULL;
    size_t keylen = 0;
    if (!secret || !*secret || edge_b64_decode (secret, &key, &keylen)
        || keylen < 16) {
        fprintf (stderr, "edge-admin-token: EDGE_ADMIN_SECRET must hold "
                         "base64 of at least 16 bytes\n");
        free (key);
        return 2;
    }
    json_t *claims = json_pack ("{s:s}", "username", username);
    char *token = claims ? edge_jwt_sign (claims, key, keylen) : NULL;
    int rc = 0;
    if (token)
        printf ("%s\n", token);
    else {
        fprintf (stderr, "edge-admin-token: username is not valid UTF-8\n");
        rc = 2;
    }
    free (token);
    json_decref (claims);
    free (key);
    return rc;
}
