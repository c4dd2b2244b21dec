/*  nt_schedule - when the next delivery attempt is due.

    A retry schedule is a comma-separated list of delays with units ms, s, m
    or h ("5s,5m,30m,2h,5h,10h,10h"); after attempt k fails the next one is
    due after entry k (1-based) or after the receiver's Retry-After when that
    is later (capped at 24 h). After the last entry the delivery has failed
    for good.  */
#ifndef NT_SCHEDULE_H_INCLUDED
#define NT_SCHEDULE_H_INCLUDED
#include <stddef.h>
#include <stdint.h>

//  Longest delay a schedule entry or a Retry-After may ask for.
#define NT_SCHEDULE_MAX_MS (24LL * 3600 * 1000)
//  Most entries a schedule may have.
#define NT_SCHEDULE_MAX_ENTRIES 64

typedef struct {
    int64_t delays[NT_SCHEDULE_MAX_ENTRIES]; //  ms, in order
    size_t count;                            //  entries used
} nt_schedule_t;

//  Parse text into schedule. Returns 0, or -1 with why set (one line).
int nt_schedule_parse (const char *text,
                       nt_schedule_t *schedule,
                       char *why,
                       size_t whylen);
//  edge_cfg check for EDGE_WEBHOOK_RETRY_SCHEDULE.
int nt_schedule_check (const char *value, char *why, size_t whylen);
//  Delay in ms a Retry-After header value asks for (delta seconds or an HTTP
//  date, relative to now_ms), capped at NT_SCHEDULE_MAX_MS; 0 for a date in
//  the past; -1 when value is malformed.
int64_t nt_schedule_retry_after (const char *value, int64_t now_ms);
//  Delay before the attempt after failed attempt number attempt (1-based),
//  honouring retry_after_ms (-1: none). Returns -1 when the schedule is
//  exhausted (the delivery has failed for good).
int64_t nt_schedule_next (const nt_schedule_t *schedule,
                          int64_t attempt,
                          int64_t retry_after_ms);
#endif
