/*  gw_url - the check of a URL a client gives the gateway to fetch or to
    call; see gw_url.h.  */
#include "gw_url.h"
#include "edge_urlguard.h"


edge_err_t
gw_url_guard (const char *allow, const char *url, char *why, size_t size)
{
    why[0] = '\0';
    edge_urlguard_t *guard = edge_urlguard_new (allow, why, size);
    edge_err_t rc = guard ? edge_urlguard_check (guard, url, NULL, why, size)
                          : EDGE_ERR_URL_REFUSED;
    edge_urlguard_destroy (&guard);
    return rc;
}


int
gw_url_check (const char *allow,
              const char *url,
              const char *what,
              edge_json_err_t *err)
{
    char why[256];
    edge_err_t rc = gw_url_guard (allow, url, why, sizeof why);
    if (rc == EDGE_ERR_OK)
        return 0;
    if (rc == EDGE_ERR_URL_BAD || rc == EDGE_ERR_URL_SCHEME)
        return edge_json_err_set (err, 400, "invalid_field", "url",
                                  "field 'url' must be an http or https URL: "
                                  "%s",
                                  why);
    return edge_json_err_set (err, 422, "url_refused", "url",
                              "%s URL refused: %s", what, why);
}
