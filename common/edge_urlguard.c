/*  edge_urlguard - outbound URL policy (server-side request forgery guard).

    The URL is parsed with libcurl's own parser (CURLU), so the host we check
    is the host libcurl will connect to (userinfo, IPv6 brackets and odd IPv4
    spellings are resolved the same way). Every address the host resolves to
    is classified: an allowed CIDR wins, then the refused ranges below, and
    anything else is public. IPv4-mapped and NAT64 IPv6 addresses are judged
    by the IPv4 address they carry.  */
#include "edge_urlguard.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  One network: family, address with host bits cleared, prefix length.
typedef struct {
    int family;
    unsigned char addr[16];
    int bits;
} s_cidr_t;

//  A refused range and what to call an address in it. More specific ranges
//  come before the ranges that contain them.
typedef struct {
    const char *cidr;
    const char *what;
} s_range_t;

static const s_range_t s_ranges[] = {
    {"0.0.0.0/8", "a this-network (unspecified) address"},
    {"10.0.0.0/8", "a private address"},
    {"100.64.0.0/10", "a shared (CGNAT) address"},
    {"127.0.0.0/8", "a loopback address"},
    {"169.254.169.254/32", "a cloud metadata address"},
    {"169.254.0.0/16", "a link-local address"},
    {"172.16.0.0/12", "a private address"},
    {"192.0.0.0/24", "an IETF protocol assignment address"},
    {"192.0.2.0/24", "a documentation address"},
    {"192.168.0.0/16", "a private address"},
    {"198.18.0.0/15", "a benchmarking address"},
    {"198.51.100.0/24", "a documentation address"},
    {"203.0.113.0/24", "a documentation address"},
    {"224.0.0.0/4", "a multicast address"},
    {"255.255.255.255/32", "a broadcast address"},
    {"240.0.0.0/4", "a reserved address"},
    {"::/128", "an unspecified address"},
    {"::1/128", "a loopback address"},
    {"::/96", "a deprecated IPv4-compatible address"},
    {"100::/64", "a discard-only address"},
    {"2001:db8::/32", "a documentation address"},
    {"fc00::/7", "a unique-local address"},
    {"fe80::/10", "a link-local address"},
    {"fec0::/10", "a deprecated site-local address"},
    {"ff00::/8", "a multicast address"},
};

struct edge_urlguard {
    s_cidr_t *allow;                 //  allowed networks (EDGE_URL_ALLOW)
    size_t allow_count;              //  entries in allow
    s_cidr_t refused[EDGE_COUNT (s_ranges)]; //  s_ranges, parsed
};


static void s_why (char *why, size_t whylen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_why (char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || whylen == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (why, whylen, fmt, args);
    va_end (args);
}


//  Parse a prefix length of 1..3 digits, at most max. Returns it or -1.
static int
s_parse_bits (const char *text, int max)
{
    size_t len = strlen (text);
    if (len == 0 || len > 3 || strspn (text, "0123456789") != len)
        return -1;
    int bits = atoi (text);
    return bits <= max ? bits : -1;
}


//  Parse "addr" or "addr/bits" (len bytes of text). Returns 0 or -1.
static int
s_parse_cidr (const char *text, size_t len, s_cidr_t *cidr)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy (buf, text, len);
    buf[len] = 0;
    char *slash = strchr (buf, '/');
    if (slash)
        *slash = 0;
    memset (cidr, 0, sizeof *cidr);
    int max;
    if (inet_pton (AF_INET, buf, cidr->addr) == 1) {
        cidr->family = AF_INET;
        max = 32;
    }
    else if (inet_pton (AF_INET6, buf, cidr->addr) == 1) {
        cidr->family = AF_INET6;
        max = 128;
    }
    else
        return -1;
    cidr->bits = slash ? s_parse_bits (slash + 1, max) : max;
    if (cidr->bits < 0)
        return -1;
    //  Clear host bits so that 10.1.2.3/8 means 10.0.0.0/8
    for (int i = 0; i < 16; i++) {
        int keep = cidr->bits - 8 * i;
        if (keep <= 0)
            cidr->addr[i] = 0;
        else if (keep < 8)
            cidr->addr[i] &= (unsigned char) (0xFF << (8 - keep));
    }
    return 0;
}


static bool
s_cidr_contains (const s_cidr_t *cidr, int family, const unsigned char *addr)
{
    if (cidr->family != family)
        return false;
    int full = cidr->bits / 8;
    int rest = cidr->bits % 8;
    if (memcmp (cidr->addr, addr, (size_t) full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char) (0xFF << (8 - rest));
    return (addr[full] & mask) == cidr->addr[full];
}


static bool
s_is_allowed (const edge_urlguard_t *self,
              int family,
              const unsigned char *addr)
{
    for (size_t i = 0; i < self->allow_count; i++)
        if (s_cidr_contains (&self->allow[i], family, addr))
            return true;
    return false;
}


//  Index of the refused range holding addr, or -1 when it is public.
static int
s_refused_index (const edge_urlguard_t *self,
                 int family,
                 const unsigned char *addr)
{
    for (size_t i = 0; i < EDGE_COUNT (s_ranges); i++)
        if (s_cidr_contains (&self->refused[i], family, addr))
            return (int) i;
    return -1;
}


//  The IPv4 address inside an IPv4-mapped (::ffff:0:0/96) or NAT64
//  (64:ff9b::/96) address, or NULL. *how says which.
static const unsigned char *
s_embedded_v4 (const unsigned char *addr, const char **how)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xFF, 0xFF};
    static const unsigned char nat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0,
                                            0, 0,    0,    0,    0, 0};
    if (memcmp (addr, mapped, 12) == 0)
        *how = "maps to";
    else if (memcmp (addr, nat64, 12) == 0)
        *how = "embeds";
    else
        return NULL;
    return addr + 12;
}


//  Classify one address. Returns true when it may be reached, else false
//  with why naming the address and its range.
static bool
s_addr_check (const edge_urlguard_t *self,
              int family,
              const unsigned char *addr,
              char *why,
              size_t whylen)
{
    if (s_is_allowed (self, family, addr))
        return true;
    char text[INET6_ADDRSTRLEN];
    inet_ntop (family, addr, text, sizeof text);
    const char *how = NULL;
    const unsigned char *v4 =
        family == AF_INET6 ? s_embedded_v4 (addr, &how) : NULL;
    if (v4) {
        if (s_is_allowed (self, AF_INET, v4))
            return true;
        int i = s_refused_index (self, AF_INET, v4);
        if (i < 0)
            return true;
        char v4text[INET_ADDRSTRLEN];
        inet_ntop (AF_INET, v4, v4text, sizeof v4text);
        s_why (why, whylen, "%s %s %s, %s (%s)", text, how, v4text,
               s_ranges[i].what, s_ranges[i].cidr);
        return false;
    }
    int i = s_refused_index (self, family, addr);
    if (i < 0)
        return true;
    s_why (why, whylen, "%s is %s (%s)", text, s_ranges[i].what,
           s_ranges[i].cidr);
    return false;
}


static bool
s_is_blank (char c)
{
    return c == ' ' || c == '\t';
}


//  Parse the comma-separated allow list into self. Returns 0 or -1.
static int
s_parse_allow (edge_urlguard_t *self,
               const char *allow,
               char *why,
               size_t whylen)
{
    if (allow[strspn (allow, " \t")] == 0)
        return 0; //  blank: only public addresses
    size_t commas = 0;
    for (const char *p = allow; *p; p++)
        commas += *p == ',';
    self->allow = edge_calloc (commas + 1, sizeof (s_cidr_t));
    const char *item = allow;
    while (true) {
        size_t len = strcspn (item, ",");
        const char *start = item;
        const char *end = item + len;
        while (start < end && s_is_blank (*start))
            start++;
        while (end > start && s_is_blank (end[-1]))
            end--;
        size_t trimmed = (size_t) (end - start);
        if (s_parse_cidr (start, trimmed, &self->allow[self->allow_count])) {
            s_why (why, whylen, "bad CIDR '%.*s'",
                   (int) (trimmed < 64 ? trimmed : 64), start);
            return -1;
        }
        self->allow_count++;
        if (item[len] == 0)
            return 0;
        item += len + 1;
    }
}


edge_urlguard_t *
edge_urlguard_new (const char *allow, char *why, size_t whylen)
{
    edge_urlguard_t *self = edge_calloc (1, sizeof *self);
    for (size_t i = 0; i < EDGE_COUNT (s_ranges); i++) {
        const char *cidr = s_ranges[i].cidr;
        int rc = s_parse_cidr (cidr, strlen (cidr), &self->refused[i]);
        edge_assert (rc == 0);
    }
    if (allow && s_parse_allow (self, allow, why, whylen))
        edge_urlguard_destroy (&self);
    return self;
}


void
edge_urlguard_destroy (edge_urlguard_t **self_p)
{
    edge_assert (self_p);
    edge_urlguard_t *self = *self_p;
    if (!self)
        return;
    free (self->allow);
    free (self);
    *self_p = NULL;
}


bool
edge_urlguard_addr_ok (const edge_urlguard_t *self, const struct sockaddr *addr)
{
    edge_assert (self);
    if (!addr)
        return false;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) addr;
        return s_addr_check (self, AF_INET,
                             (const unsigned char *) &in->sin_addr, NULL, 0);
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) addr;
        return s_addr_check (self, AF_INET6,
                             (const unsigned char *) &in6->sin6_addr, NULL, 0);
    }
    return false;
}


//  Parse url with libcurl; fill target host and port.
static edge_err_t
s_parse_url (const char *url,
             edge_urlguard_target_t *target,
             char *why,
             size_t whylen)
{
    edge_err_t result = EDGE_ERR_URL_BAD;
    char *scheme = NULL, *host = NULL, *port = NULL;
    CURLU *handle = curl_url ();
    edge_assert (handle);
    CURLUcode rc = curl_url_set (handle, CURLUPART_URL, url, 0);
    if (rc == CURLUE_UNSUPPORTED_SCHEME) {
        result = EDGE_ERR_URL_SCHEME;
        s_why (why, whylen, "only http and https URLs are allowed");
        goto cleanup;
    }
    if (rc != CURLUE_OK
        || curl_url_get (handle, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        s_why (why, whylen, "malformed URL: %s", curl_url_strerror (rc));
        goto cleanup;
    }
    if (strcmp (scheme, "http") != 0 && strcmp (scheme, "https") != 0) {
        result = EDGE_ERR_URL_SCHEME;
        s_why (why, whylen, "only http and https URLs are allowed, not %.16s",
               scheme);
        goto cleanup;
    }
    if (curl_url_get (handle, CURLUPART_HOST, &host, CURLU_PUNYCODE)
            != CURLUE_OK
        || curl_url_get (handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)
               != CURLUE_OK) {
        s_why (why, whylen, "malformed URL: no host or port");
        goto cleanup;
    }
    size_t len = strlen (host);
    const char *start = host;
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        start++; //  IPv6 literal: drop the brackets
        len -= 2;
    }
    if (len == 0 || len >= sizeof target->host) {
        s_why (why, whylen, "malformed URL: bad host length");
        goto cleanup;
    }
    memcpy (target->host, start, len);
    target->host[len] = 0;
    target->port = atoi (port);
    if (target->port < 1 || target->port > 65535) {
        s_why (why, whylen, "malformed URL: bad port");
        goto cleanup;
    }
    result = EDGE_ERR_OK;
cleanup:
    curl_free (port);
    curl_free (host);
    curl_free (scheme);
    curl_url_cleanup (handle);
    return result;
}


//  Resolve target->host (numeric first) and check every address.
static edge_err_t
s_resolve_check (const edge_urlguard_t *self,
                 edge_urlguard_target_t *target,
                 char *why,
                 size_t whylen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo (target->host, NULL, &hints, &list);
    if (rc == EAI_NONAME) {
        hints.ai_flags = 0;
        rc = getaddrinfo (target->host, NULL, &hints, &list);
    }
    if (rc != 0 || !list) {
        s_why (why, whylen, "could not resolve '%.200s': %s", target->host,
               rc ? gai_strerror (rc) : "no address");
        if (list)
            freeaddrinfo (list);
        return EDGE_ERR_URL_UNRESOLVED;
    }
    edge_err_t result = EDGE_ERR_OK;
    target->address[0] = 0;
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        const void *bytes = NULL;
        if (ai->ai_family == AF_INET)
            bytes = &((struct sockaddr_in *) ai->ai_addr)->sin_addr;
        else if (ai->ai_family == AF_INET6)
            bytes = &((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr;
        else
            continue;
        if (!s_addr_check (self, ai->ai_family, bytes, why, whylen)) {
            result = EDGE_ERR_URL_REFUSED;
            break;
        }
        if (!target->address[0])
            inet_ntop (ai->ai_family, bytes, target->address,
                       sizeof target->address);
    }
    if (result == EDGE_ERR_OK && !target->address[0]) {
        s_why (why, whylen, "could not resolve '%.200s': no IP address",
               target->host);
        result = EDGE_ERR_URL_UNRESOLVED;
    }
    freeaddrinfo (list);
    return result;
}


edge_err_t
edge_urlguard_check (const edge_urlguard_t *self,
                     const char *url,
                     edge_urlguard_target_t *target,
                     char *why,
                     size_t whylen)
{
    edge_assert (self);
    s_why (why, whylen, "%s", "");
    edge_urlguard_target_t local;
    if (!target)
        target = &local;
    memset (target, 0, sizeof *target);
    if (!url) {
        s_why (why, whylen, "malformed URL: missing");
        return EDGE_ERR_URL_BAD;
    }
    edge_err_t result = s_parse_url (url, target, why, whylen);
    if (result == EDGE_ERR_OK)
        result = s_resolve_check (self, target, why, whylen);
    if (result != EDGE_ERR_OK)
        target->address[0] = 0; //  nothing checked to pin to
    return result;
}
