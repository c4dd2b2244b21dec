/*  edge_log - one line per event on stdout, level checked before formatting.

    Format: 2026-11-27T09:12:08Z I gateway[9884] message (file.c:137)  */
#ifndef EDGE_LOG_H_INCLUDED
#define EDGE_LOG_H_INCLUDED
#include <stdbool.h>

typedef enum {
    EDGE_LOG_DEBUG = 0,
    EDGE_LOG_INFO  = 1,
    EDGE_LOG_WARN  = 2,
    EDGE_LOG_ERROR = 3
} edge_log_level_t;

extern int edge_log_threshold;

//  Set the component name shown in every line (borrowed: must stay valid).
void edge_log_init (const char *component);
//  Parse "debug", "info", "warn" or "error". Returns 0, or -1 if unknown.
int edge_log_parse_level (const char *text, edge_log_level_t *level);
//  Write one line; use the macros below instead.
void edge_log_write (int level, const char *file, int line, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

#define edge_log(level, ...)                                                   \
    do {                                                                       \
        if ((level) >= edge_log_threshold)                                     \
            edge_log_write ((level), __FILE__, __LINE__, __VA_ARGS__);         \
    } while (0)
#define edge_debug(...) edge_log (EDGE_LOG_DEBUG, __VA_ARGS__)
#define edge_info(...)  edge_log (EDGE_LOG_INFO, __VA_ARGS__)
#define edge_warn(...)  edge_log (EDGE_LOG_WARN, __VA_ARGS__)
#define edge_error(...) edge_log (EDGE_LOG_ERROR, __VA_ARGS__)
#endif
