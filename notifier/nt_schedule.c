/*  nt_schedule - retry schedule parsing and Retry-After handling.  */
#include "nt_schedule.h"
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static bool
s_is_blank (char c)
{
    return c == ' ' || c == '\t';
}


//  Parse one entry "<digits><unit>" of len bytes into *ms. Returns 0 or -1.
static int
s_parse_entry (const char *text, size_t len, int64_t *ms)
{
    while (len > 0 && s_is_blank (*text)) {
        text++;
        len--;
    }
    while (len > 0 && s_is_blank (text[len - 1]))
        len--;
    size_t digits = 0;
    int64_t value = 0;
    while (digits < len && text[digits] >= '0' && text[digits] <= '9') {
        if (value > NT_SCHEDULE_MAX_MS)
            return -1;
        value = value * 10 + (text[digits] - '0');
        digits++;
    }
    if (digits == 0)
        return -1;
    const char *unit = text + digits;
    size_t unitlen = len - digits;
    int64_t scale;
    if (unitlen == 2 && memcmp (unit, "ms", 2) == 0)
        scale = 1;
    else if (unitlen == 1 && *unit == 's')
        scale = 1000;
    else if (unitlen == 1 && *unit == 'm')
        scale = 60 * 1000;
    else if (unitlen == 1 && *unit == 'h')
        scale = 3600 * 1000;
    else
        return -1;
    if (value > NT_SCHEDULE_MAX_MS / scale)
        return -1;
    *ms = value * scale;
    return 0;
}


int
nt_schedule_parse (const char *text,
                   nt_schedule_t *schedule,
                   char *why,
                   size_t whylen)
{
    memset (schedule, 0, sizeof *schedule);
    if (!text || text[strspn (text, " \t")] == 0) {
        snprintf (why, whylen, "expected a list of delays like 5s,5m,2h");
        return -1;
    }
    const char *item = text;
    while (true) {
        size_t len = strcspn (item, ",");
        if (schedule->count == NT_SCHEDULE_MAX_ENTRIES) {
            snprintf (why, whylen, "more than %d entries",
                      NT_SCHEDULE_MAX_ENTRIES);
            return -1;
        }
        int64_t ms;
        if (s_parse_entry (item, len, &ms)) {
            snprintf (why, whylen,
                      "bad delay '%.*s': expected <number><ms|s|m|h>, at most "
                      "24h",
                      (int) (len < 32 ? len : 32), item);
            return -1;
        }
        schedule->delays[schedule->count++] = ms;
        if (item[len] == 0)
            return 0;
        item += len + 1;
    }
}


int
nt_schedule_check (const char *value, char *why, size_t whylen)
{
    nt_schedule_t schedule;
    return nt_schedule_parse (value, &schedule, why, whylen);
}


int64_t
nt_schedule_retry_after (const char *value, int64_t now_ms)
{
    if (!value)
        return -1;
    while (s_is_blank (*value))
        value++;
    size_t len = strlen (value);
    while (len > 0
           && (s_is_blank (value[len - 1]) || value[len - 1] == '\r'
               || value[len - 1] == '\n'))
        len--;
    if (len == 0 || len > 64)
        return -1;
    char text[65];
    memcpy (text, value, len);
    text[len] = 0;
    if (strspn (text, "0123456789") == len) {
        //  delta-seconds; anything beyond the cap is the cap
        if (len > 6)
            return NT_SCHEDULE_MAX_MS;
        int64_t ms = (int64_t) strtoll (text, NULL, 10) * 1000;
        return ms > NT_SCHEDULE_MAX_MS ? NT_SCHEDULE_MAX_MS : ms;
    }
    time_t when = curl_getdate (text, NULL);
    if (when == (time_t) -1)
        return -1;
    int64_t delay = (int64_t) when * 1000 - now_ms;
    if (delay < 0)
        return 0;
    return delay > NT_SCHEDULE_MAX_MS ? NT_SCHEDULE_MAX_MS : delay;
}


int64_t
nt_schedule_next (const nt_schedule_t *schedule,
                  int64_t attempt,
                  int64_t retry_after_ms)
{
    if (attempt < 1 || (uint64_t) attempt > schedule->count)
        return -1;
    int64_t delay = schedule->delays[attempt - 1];
    if (retry_after_ms > NT_SCHEDULE_MAX_MS)
        retry_after_ms = NT_SCHEDULE_MAX_MS;
    return retry_after_ms > delay ? retry_after_ms : delay;
}
