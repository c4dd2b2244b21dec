/*  gw_principal - who a backend request acts as: set by the router's
    authentication step, read by handlers. A plain value type.  */
#ifndef GW_PRINCIPAL_H_INCLUDED
#define GW_PRINCIPAL_H_INCLUDED
#include "edge_perm.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    char org[64];               //  the caller's organization
    char username[64];          //  the caller
    bool is_machine;            //  a machine user
    bool is_api_key;            //  authenticated by API key (else token)
    bool is_administrator;      //  holds the Administrators role
    bool lacks_route_bit;       //  self-service route passed without its bit
    char token_sha[65];         //  sha256 hex of the token used, or ""
    int64_t ttl_ms;             //  token: its lifetime left at the lookup
                                //  (-1: none); API key: -1
    int perms[EDGE_PERM_COUNT]; //  OR over the caller's roles
} gw_principal_t;
#endif
