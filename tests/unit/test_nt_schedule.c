/*  test_nt_schedule - retry schedules and Retry-After.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "edge_util.h"
#include "nt_schedule.h"
#include <stdio.h>
#include <string.h>
#include <time.h>


static void
test_default_schedule_parses_to_seven_delays (void **state)
{
    (void) state;
    nt_schedule_t schedule;
    char why[128];
    assert_int_equal (nt_schedule_parse ("5s,5m,30m,2h,5h,10h,10h", &schedule,
                                         why, sizeof why),
                      0);
    assert_int_equal (schedule.count, 7);
    const int64_t want[] = {5000,     300000,   1800000, 7200000,
                            18000000, 36000000, 36000000};
    for (int i = 0; i < 7; i++)
        assert_int_equal (schedule.delays[i], want[i]);
}


static void
test_units_and_blanks_are_accepted (void **state)
{
    (void) state;
    nt_schedule_t schedule;
    char why[128];
    assert_int_equal (
        nt_schedule_parse (" 100ms, 2s ,1m,24h", &schedule, why, sizeof why),
        0);
    assert_int_equal (schedule.count, 4);
    assert_int_equal (schedule.delays[0], 100);
    assert_int_equal (schedule.delays[1], 2000);
    assert_int_equal (schedule.delays[2], 60000);
    assert_int_equal (schedule.delays[3], 86400000);
}


static void
test_malformed_schedules_are_refused_with_a_reason (void **state)
{
    (void) state;
    const char *bad[] = {"",
                         " ",
                         "5",
                         "s",
                         "5x",
                         "5 s",
                         "-5s",
                         "1.5s",
                         "1s,,2s",
                         "1s,",
                         "25h",
                         "1441m",
                         "99999999999999999999ms"};
    nt_schedule_t schedule;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[128] = "";
        assert_int_equal (
            nt_schedule_parse (bad[i], &schedule, why, sizeof why), -1);
        assert_true (strlen (why) > 0);
        assert_int_equal (nt_schedule_check (bad[i], why, sizeof why), -1);
    }
    char many[512] = "1s";
    for (int i = 1; i <= NT_SCHEDULE_MAX_ENTRIES; i++)
        strcat (many, ",1s");
    char why[128];
    assert_int_equal (nt_schedule_parse (many, &schedule, why, sizeof why), -1);
}


static void
test_retry_after_seconds_and_dates (void **state)
{
    (void) state;
    int64_t now = edge_now_ms ();
    assert_int_equal (nt_schedule_retry_after ("2", now), 2000);
    assert_int_equal (nt_schedule_retry_after (" 120 \r\n", now), 120000);
    assert_int_equal (nt_schedule_retry_after ("0", now), 0);
    assert_int_equal (nt_schedule_retry_after ("99999999999", now),
                      NT_SCHEDULE_MAX_MS);
    assert_int_equal (nt_schedule_retry_after ("-5", now), -1);
    assert_int_equal (nt_schedule_retry_after ("soon", now), -1);
    assert_int_equal (nt_schedule_retry_after ("", now), -1);
    assert_int_equal (nt_schedule_retry_after (NULL, now), -1);
    //  IMF-fixdate 30 s ahead, and one in the past
    char date[64];
    time_t later = (time_t) (now / 1000) + 30;
    struct tm tm;
    gmtime_r (&later, &tm);
    strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int64_t delay = nt_schedule_retry_after (date, now);
    assert_true (delay > 28000 && delay <= 30000);
    assert_int_equal (
        nt_schedule_retry_after ("Sun, 06 Nov 1994 08:49:37 GMT", now), 0);
    time_t far = (time_t) (now / 1000) + 3 * 86400;
    gmtime_r (&far, &tm);
    strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_int_equal (nt_schedule_retry_after (date, now), NT_SCHEDULE_MAX_MS);
}


static void
test_next_delay_follows_the_schedule_or_a_later_retry_after (void **state)
{
    (void) state;
    nt_schedule_t schedule;
    char why[128];
    assert_int_equal (
        nt_schedule_parse ("100ms,200ms,300ms", &schedule, why, sizeof why), 0);
    assert_int_equal (nt_schedule_next (&schedule, 1, -1), 100);
    assert_int_equal (nt_schedule_next (&schedule, 2, -1), 200);
    assert_int_equal (nt_schedule_next (&schedule, 3, 50), 300);
    assert_int_equal (nt_schedule_next (&schedule, 3, 5000), 5000);
    assert_int_equal (nt_schedule_next (&schedule, 1, NT_SCHEDULE_MAX_MS * 2),
                      NT_SCHEDULE_MAX_MS);
    assert_int_equal (nt_schedule_next (&schedule, 4, -1), -1);
    assert_int_equal (nt_schedule_next (&schedule, 4, 5000), -1);
    assert_int_equal (nt_schedule_next (&schedule, 0, -1), -1);
}


int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_default_schedule_parses_to_seven_delays),
        cmocka_unit_test (test_units_and_blanks_are_accepted),
        cmocka_unit_test (test_malformed_schedules_are_refused_with_a_reason),
        cmocka_unit_test (test_retry_after_seconds_and_dates),
        cmocka_unit_test (
            test_next_delay_follows_the_schedule_or_a_later_retry_after),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
