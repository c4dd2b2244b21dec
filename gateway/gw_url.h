/*  gw_url - the check of a URL a client gives the gateway to fetch or to
    call (a build's download URL, a webhook): http or https only, and
    only addresses edge_urlguard lets through (EDGE_URL_ALLOW).  */
#ifndef GW_URL_H_INCLUDED
#define GW_URL_H_INCLUDED
#include "edge_err.h"
#include "edge_json.h"
#include <stddef.h>

//  Check url, the request's field "url", against the guard made of allow
//  (the EDGE_URL_ALLOW CIDRs). Returns 0, or -1 with err set: 400
//  invalid_field when it is not an http(s) URL, 422 url_refused ("<what>
//  URL refused: <why>") when the guard refuses it. Does not keep url.
//  The URL guard's verdict on url under allow: EDGE_ERR_OK, URL_BAD or
//  URL_SCHEME (not an http(s) URL), or another refusal; why (size bytes)
//  says why. Does not keep url.
edge_err_t
gw_url_guard (const char *allow, const char *url, char *why, size_t size);
int gw_url_check (const char *allow,
                  const char *url,
                  const char *what,
                  edge_json_err_t *err);
#endif
