/*  edge_urlguard - decides whether an outbound URL may be fetched.

    Resolves the host and refuses loopback, private, link-local, unique-local,
    CGNAT, multicast, unspecified and cloud-metadata addresses (IPv4 and IPv6,
    IPv4-mapped IPv6 included) unless the address falls in an allowed CIDR
    (EDGE_URL_ALLOW). Callers pin the checked address (e.g. CURLOPT_RESOLVE)
    so DNS cannot change between the check and the connection.  */
#ifndef EDGE_URLGUARD_H_INCLUDED
#define EDGE_URLGUARD_H_INCLUDED
#include "edge_err.h"
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct edge_urlguard edge_urlguard_t;

//  Result of a successful check: what to pin the connection to.
typedef struct {
    char host[256];     //  host as in the URL (no brackets)
    int port;           //  explicit or scheme default
    char address[64];   //  the checked numeric address
} edge_urlguard_target_t;

//  allow: comma-separated CIDRs ("127.0.0.0/8,::1/128"), NULL or "" for none.
//  Returns NULL with why set when a CIDR is malformed. Caller owns the result.
edge_urlguard_t *edge_urlguard_new (const char *allow, char *why, size_t whylen);
//  Destroy and nullify; NULL-safe.
void edge_urlguard_destroy (edge_urlguard_t **self_p);
//  True when the numeric address may be reached (allowed or public).
bool edge_urlguard_addr_ok (const edge_urlguard_t *self, const struct sockaddr *addr);
//  Check url: scheme http/https, host resolves and every resolved address is
//  allowed. Fills target (may be NULL). why gets a one-line reason on refusal.
//  Returns EDGE_ERR_OK, or (edge_err.h) EDGE_ERR_URL_BAD, not a parsable
//  absolute URL; EDGE_ERR_URL_SCHEME, not http or https;
//  EDGE_ERR_URL_UNRESOLVED, the name did not resolve; EDGE_ERR_URL_REFUSED,
//  an address is in a refused range.
edge_err_t edge_urlguard_check (const edge_urlguard_t *self,
                                const char *url,
                                edge_urlguard_target_t *target,
                                char *why,
                                size_t whylen);
#endif
