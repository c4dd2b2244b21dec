/*  edge_util - allocation, clocks, random ids and name checks.  */
#include "edge_util.h"
#include "edge_assert.h"
#include "edge_log.h"
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


_Noreturn void
edge_assert_fail (const char *expr, const char *file, int line)
{
    edge_log_write (EDGE_LOG_ERROR, file, line, "assertion failed: %s", expr);
    abort ();
}


void *
edge_malloc (size_t size)
{
    void *p = malloc (size ? size : 1);
    edge_assert (p);
    return p;
}


void *
edge_calloc (size_t count, size_t size)
{
    void *p = calloc (count ? count : 1, size ? size : 1);
    edge_assert (p);
    return p;
}


void *
edge_realloc (void *ptr, size_t size)
{
    void *p = realloc (ptr, size ? size : 1);
    edge_assert (p);
    return p;
}


void *
edge_grow (void *ptr, size_t *cap, size_t need, size_t first, size_t elem_size)
{
    edge_assert (cap && first > 0 && elem_size > 0);
    if (need <= *cap)
        return ptr;
    size_t grown = *cap ? *cap : first;
    while (grown < need) {
        edge_assert (grown <= SIZE_MAX / 2);
        grown *= 2;
    }
    edge_assert (grown <= SIZE_MAX / elem_size);
    ptr = edge_realloc (ptr, grown * elem_size);
    *cap = grown;
    return ptr;
}


char *
edge_strdup (const char *text)
{
    if (!text)
        return NULL;
    char *copy = strdup (text);
    edge_assert (copy);
    return copy;
}


char *
edge_sprintf (const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    char *text = edge_vsprintf (fmt, args);
    va_end (args);
    return text;
}


char *
edge_vsprintf (const char *fmt, va_list args)
{
    va_list copy;
    va_copy (copy, args);
    int len = vsnprintf (NULL, 0, fmt, copy);
    va_end (copy);
    edge_assert (len >= 0);
    char *text = edge_malloc ((size_t) len + 1);
    vsnprintf (text, (size_t) len + 1, fmt, args);
    return text;
}


int64_t
edge_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


int64_t
edge_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


void
edge_rfc3339 (int64_t ms, char *buf, size_t size)
{
    if (ms < 0)
        ms = 0; //  before the epoch: not a time we ever store
    time_t secs = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    char base[24];
    strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%03dZ", base, (int) (ms % 1000));
}


int
edge_rfc3339_parse (const char *text, int64_t *ms)
{
    struct tm tm = {0};
    int millis = 0, used = 0;
    if (sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used)
            != 6
        || used != 19)
        return -1;
    const char *rest = text + used;
    if (*rest == '.') {
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
            if (digits < 3)
                millis = millis * 10 + (*rest - '0');
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            millis *= 10;
    }
    if (strcmp (rest, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12
        || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23
        || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    //  timegm is not POSIX: count the days from the civil date (the
    //  proleptic Gregorian calendar in 400-year eras).
    int y = tm.tm_year + 1900 - (tm.tm_mon < 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int mp = (tm.tm_mon + 10) % 12;     //  March = 0 (tm_mon is 0-based)
    int doy = (153 * mp + 2) / 5 + tm.tm_mday - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t) era * 146097 + doe - 719468;
    *ms = ((days * 24 + tm.tm_hour) * 60 + tm.tm_min) * 60000
        + (int64_t) tm.tm_sec * 1000 + millis;
    return 0;
}


//  Lower-case hex of raw[0..nbytes) into buf (2 * nbytes + 1 bytes).
static void
s_hex (char *buf, const unsigned char *raw, size_t nbytes)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < nbytes; i++) {
        buf[2 * i] = digits[raw[i] >> 4];
        buf[2 * i + 1] = digits[raw[i] & 15];
    }
    buf[2 * nbytes] = 0;
}


void
edge_id_hex (char *buf, size_t nbytes)
{
    static __thread unsigned char t_seed[randombytes_SEEDBYTES];
    static __thread uint64_t t_count; //  0: not seeded yet
    unsigned char raw[64], seed[randombytes_SEEDBYTES];
    edge_assert (nbytes <= sizeof raw);
    if (t_count == 0) {
        randombytes_buf (t_seed, sizeof t_seed);
        t_count = 1;
    }
    //  Each id: the stream of (seed xor its number): never the same twice
    memcpy (seed, t_seed, sizeof seed);
    uint64_t n = t_count++;
    for (size_t i = 0; i < sizeof n; i++)
        seed[i] ^= (unsigned char) (n >> (8 * i));
    randombytes_buf_deterministic (raw, nbytes, seed);
    s_hex (buf, raw, nbytes);
}


void
edge_random_hex (char *buf, size_t nbytes)
{
    unsigned char raw[64];
    edge_assert (nbytes <= sizeof raw);
    randombytes_buf (raw, nbytes);
    s_hex (buf, raw, nbytes);
}


bool
edge_name_is_valid (const char *name)
{
    if (!name)
        return false;
    size_t len = 0;
    for (const char *p = name; *p; p++, len++) {
        char c = *p;
        bool is_ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                     || (c >= '0' && c <= '9') || c == '_';
        if (!is_ok || len >= 50)
            return false;
    }
    return len >= 2;
}


bool
edge_build_name_is_valid (const char *name)
{
    size_t len = name ? strlen (name) : 0;
    if (len < 1 || len > 100 || strcmp (name, ".") == 0
        || strcmp (name, "..") == 0)
        return false;
    return strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789_.-")
           == len;
}


bool
edge_request_id_is_valid (const char *text)
{
    size_t len = text ? strlen (text) : 0;
    if (len == 0 || len > 128)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || strchr ("._:-", c)))
            return false;
    }
    return true;
}


void
edge_task_name_make (const char *type, char *buf, size_t size)
{
    char stamp[16], rand[21];
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
    edge_id_hex (rand, 5);
    snprintf (buf, size, "%s_%s_%s", type, stamp, rand);
}


void
edge_sleep_ms (int64_t ms, volatile int *stop)
{
    int64_t deadline = edge_mono_ms () + ms;
    while (!(stop && *stop)) {
        int64_t left = deadline - edge_mono_ms ();
        if (left <= 0)
            break;
        if (left > 50 && stop)
            left = 50; //  wake up often enough to see *stop
        struct timespec ts = {left / 1000, (left % 1000) * 1000000};
        nanosleep (&ts, NULL);
    }
}


void
edge_text_printf (edge_text_t *text, const char *fmt, ...)
{
    edge_assert (text && fmt);
    while (true) {
        va_list args;
        va_start (args, fmt);
        int n = vsnprintf (text->data ? text->data + text->len : NULL,
                           text->cap - text->len, fmt, args);
        va_end (args);
        edge_assert (n >= 0);
        if (text->data && (size_t) n < text->cap - text->len) {
            text->len += (size_t) n;
            return;
        }
        text->data = edge_grow (text->data, &text->cap,
                                text->len + (size_t) n + 1, 64, 1);
    }
}
