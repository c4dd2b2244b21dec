/*  edge_log - one line per event on stdout with a single write per line.  */
#include "edge_log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int edge_log_threshold = EDGE_LOG_INFO;
static const char *s_component = "edge";


void
edge_log_init (const char *component)
{
    s_component = component;
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
    char stamp[32], text[2048];
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    //  One line per event: never let a newline in a message split it
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf (stdout, "%s %c %s[%d] %s (%s:%d)\n", stamp,
             letters[level < 0 ? 0 : level > 3 ? 3 : level], s_component,
             (int) getpid (), text, file, line);
    fflush (stdout);
}
