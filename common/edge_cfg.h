/*  edge_cfg - configuration from environment variables, one table a process.

    Each row names a variable, its type, the offset of its field in the
    process's config struct, its default (NULL = required), bounds for
    integers and whether it is a secret (masked when printed). Every problem
    is reported, then the caller exits 2.  */
#ifndef EDGE_CFG_H_INCLUDED
#define EDGE_CFG_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    EDGE_CFG_STR,      //  char *  (any text; see check)
    EDGE_CFG_INT,      //  int64_t (decimal, within min..max)
    EDGE_CFG_BOOL,     //  bool    (true/false/1/0/yes/no/on/off)
    EDGE_CFG_HOSTPORT, //  char *  ("host:port", port 1..65535)
    EDGE_CFG_ENDPOINT, //  char *  ("tcp://host:port")
    EDGE_CFG_LEVEL     //  int     (log level name; also sets the log threshold)
} edge_cfg_type_t;

//  Optional extra check for a string value. Returns 0, or -1 with why set.
typedef int (edge_cfg_check_fn) (const char *value, char *why, size_t whylen);

typedef struct {
    const char *name;         //  environment variable
    edge_cfg_type_t type;     //  how to parse it
    size_t offset;            //  offsetof (config struct, field)
    const char *dflt;         //  default text; NULL = required
    int64_t min, max;         //  integer bounds (EDGE_CFG_INT)
    bool is_secret;           //  masked in edge_cfg_print
    const char *help;         //  one line for .env.example and errors
    edge_cfg_check_fn *check; //  optional extra validation of strings
} edge_cfg_spec_t;

//  Fill config from the environment (env may be NULL for getenv; otherwise a
//  lookup function, for tests). Logs every bad or missing variable as one
//  error line each. Returns 0, or -1 when any variable was bad.
typedef const char *(edge_cfg_getenv_fn) (const char *name);
int edge_cfg_load (const edge_cfg_spec_t *spec,
                   size_t count,
                   void *config,
                   edge_cfg_getenv_fn *env);
//  Log the effective configuration at info, one line, secrets masked.
void
edge_cfg_print (const edge_cfg_spec_t *spec, size_t count, const void *config);
//  Free the strings edge_cfg_load allocated in config.
void edge_cfg_fini (const edge_cfg_spec_t *spec, size_t count, void *config);

//  Rows of the variables every process shares, so that their defaults and
//  help live in one place. type is the config struct, field its member.
#define EDGE_CFG_ROW_REDIS_URL(type, field)                                    \
    {                                                                          \
        "EDGE_REDIS_URL", EDGE_CFG_STR, offsetof (type, field),                \
            "redis://127.0.0.1:6379/0", 0, 0, false, "Redis server URL",       \
            edge_cfg_check_redis_url                                           \
    }
#define EDGE_CFG_ROW_REDIS_TIMEOUT(type, field)                                \
    {                                                                          \
        "EDGE_REDIS_TIMEOUT_MS", EDGE_CFG_INT, offsetof (type, field), "2000", \
            50, 600000, false, "Redis connect and command timeout, ms", NULL   \
    }
#define EDGE_CFG_ROW_REDIS_REPLICA_WAIT(type, field)                           \
    {                                                                          \
        "EDGE_REDIS_REPLICA_WAIT_MS", EDGE_CFG_INT, offsetof (type, field),    \
            "1000", 0, 60000, false,                                           \
            "wait for a replica before answering a write, ms (0 = never)",     \
            NULL                                                               \
    }
#define EDGE_CFG_ROW_LOG_LEVEL(type, field)                                    \
    {                                                                          \
        "EDGE_LOG_LEVEL", EDGE_CFG_LEVEL, offsetof (type, field), "info", 0,   \
            0, false, "debug, info, warn or error", NULL                       \
    }

//  Checks usable as edge_cfg_spec_t.check:
//  a redis:// URL; a comma-separated CIDR list; a base64 secret of >= 16 bytes.
int edge_cfg_check_redis_url (const char *value, char *why, size_t whylen);
int edge_cfg_check_cidrs (const char *value, char *why, size_t whylen);
int edge_cfg_check_secret_b64 (const char *value, char *why, size_t whylen);
#endif
