/*  edge_cfg - table-driven configuration from the environment.  */
#include "edge_cfg.h"
#include "edge_crypto.h"
#include "edge_log.h"
#include "edge_redis.h"
#include "edge_urlguard.h"
#include "edge_util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


static int
s_parse_int (const char *text, int64_t *out)
{
    char *end;
    if (!((*text >= '0' && *text <= '9') || *text == '-'))
        return -1; //  no leading spaces or '+'
    errno = 0;
    long long v = strtoll (text, &end, 10);
    if (errno || end == text || *end)
        return -1;
    *out = v;
    return 0;
}


static int
s_parse_bool (const char *text, bool *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"};
    static const char *no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp (text, yes[i]) == 0)
            return *out = true, 0;
        if (strcasecmp (text, no[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}


//  "host:port" (IPv6 as [addr]:port); returns 0 when well formed.
static int
s_check_hostport (const char *text, char *why, size_t whylen)
{
    const char *colon = strrchr (text, ':');
    int64_t port;
    if (!colon || colon == text || s_parse_int (colon + 1, &port) || port < 1
        || port > 65535) {
        snprintf (why, whylen, "expected host:port with port 1..65535");
        return -1;
    }
    return 0;
}


static int
s_check_endpoint (const char *text, char *why, size_t whylen)
{
    if (strncmp (text, "tcp://", 6) != 0) {
        snprintf (why, whylen, "expected tcp://host:port");
        return -1;
    }
    if (s_check_hostport (text + 6, why, whylen)) {
        snprintf (why, whylen, "expected tcp://host:port with port 1..65535");
        return -1;
    }
    return 0;
}


//  Copy text into out with the password of any "scheme://user:password@"
//  masked, so URLs can be logged.
static void
s_mask_userinfo (const char *text, char *out, size_t size)
{
    snprintf (out, size, "%s", text);
    char *scheme = strstr (out, "://");
    char *at = scheme ? strchr (scheme + 3, '@') : NULL;
    if (!at)
        return;
    char *colon = memchr (scheme + 3, ':', (size_t) (at - scheme - 3));
    char *start = colon ? colon + 1 : scheme + 3;
    char tail[512];
    snprintf (tail, sizeof tail, "********%s", at);
    snprintf (start, size - (size_t) (start - out), "%s", tail);
}


//  Parse one row's text into its field. Returns 0, or -1 with why set.
static int
s_parse_row (const edge_cfg_spec_t *row,
             const char *text,
             void *config,
             char *why,
             size_t whylen)
{
    char *field = (char *) config + row->offset;
    switch (row->type) {
        case EDGE_CFG_INT: {
            int64_t v;
            if (s_parse_int (text, &v) || v < row->min || v > row->max) {
                snprintf (why, whylen, "expected an integer from %lld to %lld",
                          (long long) row->min, (long long) row->max);
                return -1;
            }
            *(int64_t *) field = v;
            return 0;
        }
        case EDGE_CFG_BOOL:
            if (s_parse_bool (text, (bool *) field)) {
                snprintf (why, whylen, "expected true or false");
                return -1;
            }
            return 0;
        case EDGE_CFG_LEVEL: {
            edge_log_level_t level;
            if (edge_log_parse_level (text, &level)) {
                snprintf (why, whylen, "expected debug, info, warn or error");
                return -1;
            }
            *(int *) field = (int) level;
            edge_log_threshold = (int) level;
            return 0;
        }
        case EDGE_CFG_HOSTPORT:
            if (s_check_hostport (text, why, whylen))
                return -1;
            break;
        case EDGE_CFG_ENDPOINT:
            if (s_check_endpoint (text, why, whylen))
                return -1;
            break;
        case EDGE_CFG_STR:
            break;
    }
    if (row->check && row->check (text, why, whylen))
        return -1;
    *(char **) field = edge_strdup (text);
    return 0;
}


int
edge_cfg_load (const edge_cfg_spec_t *spec,
               size_t count,
               void *config,
               edge_cfg_getenv_fn *env)
{
    int problems = 0;
    for (size_t i = 0; i < count; i++) {
        const edge_cfg_spec_t *row = &spec[i];
        const char *text = env ? env (row->name) : getenv (row->name);
        if (!text || !*text)
            text = row->dflt;
        if (!text) {
            edge_error ("config: %s is required (%s)", row->name, row->help);
            problems++;
            continue;
        }
        char why[160] = "";
        if (s_parse_row (row, text, config, why, sizeof why)) {
            char shown[256];
            s_mask_userinfo (text, shown, sizeof shown);
            if (row->is_secret)
                edge_error ("config: %s is invalid: %s", row->name, why);
            else
                edge_error ("config: %s='%s' is invalid: %s", row->name, shown,
                            why);
            problems++;
        }
    }
    return problems ? -1 : 0;
}


void
edge_cfg_print (const edge_cfg_spec_t *spec, size_t count, const void *config)
{
    char line[1800];
    size_t used = 0;
    line[0] = 0;
    for (size_t i = 0; i < count && used < sizeof line; i++) {
        const edge_cfg_spec_t *row = &spec[i];
        const char *field = (const char *) config + row->offset;
        char value[256];
        if (row->is_secret)
            snprintf (value, sizeof value, "********");
        else if (row->type == EDGE_CFG_INT)
            snprintf (value, sizeof value, "%lld",
                      (long long) *(const int64_t *) field);
        else if (row->type == EDGE_CFG_BOOL)
            snprintf (value, sizeof value, "%s",
                      *(const bool *) field ? "true" : "false");
        else if (row->type == EDGE_CFG_LEVEL) {
            static const char *names[] = {"debug", "info", "warn", "error"};
            int level = *(const int *) field;
            snprintf (value, sizeof value, "%s",
                      names[level < 0   ? 0
                            : level > 3 ? 3
                                        : level]);
        }
        else {
            const char *text = *(char *const *) field;
            s_mask_userinfo (text ? text : "", value, sizeof value);
        }
        used += (size_t) snprintf (line + used, sizeof line - used, "%s%s=%s",
                                   i ? " " : "", row->name, value);
    }
    edge_info ("config: %s", line);
}


void
edge_cfg_fini (const edge_cfg_spec_t *spec, size_t count, void *config)
{
    for (size_t i = 0; i < count; i++) {
        const edge_cfg_spec_t *row = &spec[i];
        if (row->type == EDGE_CFG_STR || row->type == EDGE_CFG_HOSTPORT
            || row->type == EDGE_CFG_ENDPOINT) {
            char **field = (char **) ((char *) config + row->offset);
            free (*field);
            *field = NULL;
        }
    }
}


int
edge_cfg_check_redis_url (const char *value, char *why, size_t whylen)
{
    edge_redis_url_t url;
    if (edge_redis_url_parse (value, &url, why, whylen))
        return -1;
    edge_redis_url_fini (&url);
    return 0;
}


int
edge_cfg_check_cidrs (const char *value, char *why, size_t whylen)
{
    edge_urlguard_t *guard = edge_urlguard_new (value, why, whylen);
    if (!guard)
        return -1;
    edge_urlguard_destroy (&guard);
    return 0;
}


int
edge_cfg_check_secret_b64 (const char *value, char *why, size_t whylen)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    if (edge_b64_decode (value, &raw, &len) || len < 16) {
        snprintf (why, whylen, "expected base64 of at least 16 bytes");
        free (raw);
        return -1;
    }
    free (raw);
    return 0;
}
