/*  edge_taskops - what an organization does with its tasks: read one
    (tenant-checked), list with filters, acknowledge warnings, expire an
    upload that never came, retry a failed task. State changes and their
    events are one Lua script each (see edge_task.h for the keys).  */
#ifndef EDGE_TASKOPS_H_INCLUDED
#define EDGE_TASKOPS_H_INCLUDED
#include "edge_err.h"
#include "edge_redis.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

//  Results (edge_err.h): EDGE_ERR_OK; EDGE_ERR_NOT_FOUND, no such task in
//  this organization; EDGE_ERR_CONFLICT, the task is not in a state that
//  allows it; EDGE_ERR_REDIS, Redis failed and nothing changed.

typedef enum {
    EDGE_TASKOPS_NEWEST_FIRST = 0, //  -created (default)
    EDGE_TASKOPS_OLDEST_FIRST,     //  created
    EDGE_TASKOPS_NAME_ASC,         //  name
    EDGE_TASKOPS_NAME_DESC         //  -name
} edge_taskops_order_t;

typedef struct {
    const char *org;           //  required
    const char *app_contains;  //  appName partial match (ASCII case-
                               //  insensitive), or NULL
    const char *type;          //  exact, or NULL
    const char *state;         //  exact, or NULL
    const char *group;         //  exact, or NULL
    int64_t created_after_ms;  //  exclusive lower bound, or 0
    int64_t created_before_ms; //  exclusive upper bound, or 0
    edge_taskops_order_t order;
    int64_t offset;
    int64_t limit;
} edge_taskops_query_t;

//  The record of task name when it belongs to org (caller owns), or NULL
//  with *rc NOT_FOUND (absent or another org's) or REDIS.
json_t *edge_taskops_get (edge_redis_t *redis,
                          const char *org,
                          const char *name,
                          edge_err_t *rc);
//  One page of the org's tasks matching query: an array of records (caller
//  owns) and the number of matches in *total; NULL when Redis failed.
json_t *edge_taskops_list (edge_redis_t *redis,
                           const edge_taskops_query_t *query,
                           int64_t *total);
//  Mark every warning of the task acknowledged (they stay visible).
//  CONFLICT when it has no warnings.
edge_err_t edge_taskops_acknowledge (edge_redis_t *redis,
                                     const char *org,
                                     const char *name);
//  waiting (an upload that never came) -> expired, with an `error` event.
//  CONFLICT for any other state.
edge_err_t edge_taskops_expire (edge_redis_t *redis,
                                const char *org,
                                const char *name,
                                const char *by);
//  failed -> queued for a new round of attempts, with a `submit` event.
//  CONFLICT when the task is not failed. Copies its type into type
//  (at least 32 bytes) so the caller can send the job.
edge_err_t edge_taskops_retry (edge_redis_t *redis,
                               const char *org,
                               const char *name,
                               const char *by,
                               char *type,
                               size_t typelen);
#endif
