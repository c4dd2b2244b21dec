/*  edge_log - one line per event on stdout with a single write per line
    (write(2) of the whole line: lines of threads never interleave). The
    pid is read once, the time stamp once a second per thread.  */
#include "edge_log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int edge_log_threshold = EDGE_LOG_INFO;
static const char *s_component = "edge";
static int s_pid; //  0: not read yet


void
edge_log_init (const char *component)
{
    s_component = component;
    s_pid = (int) getpid ();
    setvbuf (stdout, NULL, _IOLBF, 0);
}


int
edge_log_parse_level (const char *text, edge_log_level_t *level)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp (text, names[i]) == 0) {
            *level = (edge_log_level_t) i;
            return 0;
        }
    return -1;
}


void
edge_log_write (int level, const char *file, int line, const char *fmt, ...)
{
    static const char letters[] = "DIWE";
    static __thread time_t t_second = -1;
    static __thread char t_stamp[32];
    time_t now = time (NULL);
    if (now != t_second) {
        struct tm tm;
        gmtime_r (&now, &tm);
        strftime (t_stamp, sizeof t_stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        t_second = now;
    }
    char text[2304];
    int head = snprintf (text, sizeof text, "%s %c %s[%d] ", t_stamp,
                         letters[level < 0 ? 0 : level > 3 ? 3 : level],
                         s_component, s_pid ? s_pid : (int) getpid ());
    size_t used = head > 0 ? (size_t) head : 0;
    size_t room = sizeof text - used - 1; //  keeps the newline's place
    size_t body = used;
    va_list args;
    va_start (args, fmt);
    int n = vsnprintf (text + used, room + 1 - 256, fmt, args);
    va_end (args);
    if (n > 0)
        used += (size_t) n < room - 256 ? (size_t) n : room - 256;
    //  One line per event: never let a newline in a message split it
    for (char *p = text + body; p < text + used; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    n = snprintf (text + used, sizeof text - used, " (%s:%d)", file, line);
    if (n > 0)
        used += (size_t) n < sizeof text - used - 1 ? (size_t) n
                                                    : sizeof text - used - 1;
    text[used++] = '\n';
    fflush (stdout); //  what stdio holds goes first
    ssize_t rc = write (STDOUT_FILENO, text, used);
    (void) rc; //  nowhere to report a failed log write
}
