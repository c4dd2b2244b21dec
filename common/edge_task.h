/*  edge_task - task records in Redis: create, read, claim with a lease,
    renew, finish, release, and the reaper's pass (architecture §1 and §4).

    Keys:  e:task:{name}      hash, the record (fields below)
           e:tasks:queued     zset name -> time it was (re)sent, ms
           e:tasks:leases     zset name -> lease deadline, ms
           e:{org}:tasks      zset name -> created ms (tasks of an org; braces literal)
           e:events           stream of task events (submit/begin/end/error)

    Every state change and its event are written by one Lua script, so a
    crash never leaves a state without its event. Claims are
    fenced by (owner, attempt): a worker whose lease was taken over cannot
    record a result, so a task has exactly one result.  */
#ifndef EDGE_TASK_H_INCLUDED
#define EDGE_TASK_H_INCLUDED
#include "edge_err.h"
#include "edge_keys.h"
#include "edge_redis.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define EDGE_TASK_NAME_MAX 64

typedef struct {
    const char *type;        //  "hello", "dltar", "mkraw", "deploy" (required)
    const char *org;         //  owning organization, or NULL (admin task)
    const char *group;       //  task group, or NULL (= the task's own name)
    const char *app;         //  appName, or NULL
    const char *build;       //  buildName, or NULL
    const char *dxf;         //  dxfName, or NULL
    const char *params;      //  compact JSON object of parameters, or NULL
    const char *created_by;  //  audit identity (admin username, user), or NULL
    bool is_waiting;         //  created "waiting" (a client upload): not
                             //  queued until edge_task_enqueue
    const char *message;     //  the record's message and its submit
                             //  event's, or NULL
    bool is_build_changed;   //  its events say buildChanged true (an import:
                             //  every step of a new build); else unknown
                             //  until a result's buildChanged sets it
} edge_task_spec_t;

//  The task a handler asks to run after its own success (a pipeline step).
//  It inherits group, orgName, appName, buildName, createdBy, dxfName and
//  buildChanged (as set by this task's result, else this task's own).
typedef struct {
    const char *type;   //  required
    const char *params; //  compact JSON object, or NULL
    const char *dxf;    //  dxfName of the new task, or NULL (inherited)
} edge_task_next_t;

//  Results of the state changes (edge_err.h): EDGE_ERR_OK, done;
//  EDGE_ERR_GONE, not in the expected state, or no longer ours;
//  EDGE_ERR_REDIS, Redis failed and nothing was changed.

//  What a successful claim hands the worker. Owned by the struct;
//  release with edge_task_claim_fini.
typedef struct {
    char *name;
    char *type;
    char *org;           //  "" for admin tasks
    char *params;        //  JSON text, "{}" when none
    int attempt;         //  fencing token: the attempt number now running
} edge_task_claim_t;

//  Create a queued task: record, queue entry, org index and `submit` event
//  in one Lua script. Writes the new name into name (EDGE_TASK_NAME_MAX).
//  Returns 0, or -1 when Redis failed (nothing written).
int edge_task_create (edge_redis_t *redis, const edge_task_spec_t *spec,
                      char *name);
//  The public record of architecture §4 (caller owns), or NULL when there is no
//  such task (*is_redis_error false) or Redis failed (*is_redis_error true).
json_t *edge_task_get (edge_redis_t *redis, const char *name,
                       bool *is_redis_error);

//  The public record from an HGETALL reply of e:task:{name}. Caller owns.
json_t *edge_task_record (const redisReply *hash);

//  queued -> running, owner and lease set, attempts + 1, `begin` event.
edge_err_t edge_task_claim (edge_redis_t *redis,
                            const char *name,
                            const char *owner,
                            int64_t lease_ms,
                            edge_task_claim_t *claim);
void edge_task_claim_fini (edge_task_claim_t *claim);
//  Extend the lease; GONE when the task is no longer ours.
edge_err_t edge_task_renew (edge_redis_t *redis,
                            const char *name,
                            const char *owner,
                            int attempt,
                            int64_t lease_ms);
//  Record progress {doneBytes,totalBytes} while running.
edge_err_t edge_task_progress (edge_redis_t *redis,
                               const char *name,
                               const char *owner,
                               int attempt,
                               int64_t done_bytes,
                               int64_t total_bytes);
//  running -> succeeded with result (JSON object text), `end` event.
edge_err_t edge_task_succeed (edge_redis_t *redis,
                              const char *name,
                              const char *owner,
                              int attempt,
                              const char *result);
//  The same, and in the same script the next task of the pipeline is
//  created queued (with its `submit` event after this task's `end`): both
//  happen or neither. Its name is written to next_name (EDGE_TASK_NAME_MAX).
//  A retried succeed that finds the task no longer ours is GONE and creates
//  nothing, so a step never starts its successor twice. The app's import
//  entry and trace processing reservation follow the chain (edge_task.c).
edge_err_t edge_task_succeed_next (edge_redis_t *redis,
                                   const char *name,
                                   const char *owner,
                                   int attempt,
                                   const char *result,
                                   const edge_task_next_t *next,
                                   char *next_name);
//  waiting -> queued (a committed upload), params replaced when params is
//  not NULL; a `submit` event with message. GONE when not waiting.
edge_err_t edge_task_enqueue (edge_redis_t *redis,
                              const char *name,
                              const char *params,
                              const char *message);
//  running -> failed with message and optional exception / error JSON
//  objects (webhook body shapes), `error` event.
edge_err_t edge_task_fail (edge_redis_t *redis,
                           const char *name,
                           const char *owner,
                           int attempt,
                           const char *message,
                           const char *exception,
                           const char *error);
//  Claim count tasks in one round trip (edge_task_claim's script for each,
//  pipelined): rcs[i] and claims[i] as edge_task_claim would set them for
//  names[i] (every rcs[i] EDGE_ERR_REDIS when Redis failed).
void edge_task_claim_many (edge_redis_t *redis,
                           const char *const *names,
                           size_t count,
                           const char *owner,
                           int64_t lease_ms,
                           edge_task_claim_t *claims,
                           edge_err_t *rcs);
//  The outcome of one claimed task, for edge_task_finish_many.
typedef struct {
    const char *name;
    int attempt;           //  the claim's fencing token
    bool is_success;       //  succeed with result, else fail
    const char *result;    //  JSON object text (success), NULL = "{}"
    const char *message;   //  why it failed, NULL = "task failed"
    const char *exception; //  optional JSON object text, or NULL
    const char *error;     //  optional JSON object text, or NULL
} edge_task_outcome_t;
//  Record count outcomes in one round trip (edge_task_succeed's or
//  edge_task_fail's script for each, fenced as they are): rcs[i] is OK,
//  GONE (no longer ours) or REDIS.
void edge_task_finish_many (edge_redis_t *redis,
                            const char *owner,
                            const edge_task_outcome_t *outcomes,
                            size_t count,
                            edge_err_t *rcs);
//  running -> queued without counting the attempt (graceful shutdown).
edge_err_t edge_task_release (edge_redis_t *redis,
                              const char *name,
                              const char *owner,
                              int attempt);

//  Names (and types) of tasks the reaper wants sent to the broker again.
typedef struct {
    char **names;
    char **types;
    size_t count;
} edge_task_list_t;
void edge_task_list_fini (edge_task_list_t *list);

//  One reaper pass at now_ms: every running task whose lease expired goes
//  back to queued (or fails with a clear message once max_attempts were
//  used); every queued task last sent more than resend_ms ago is stamped
//  now and listed in resend (at most max of them). Returns 0, or -1 when
//  Redis failed.
int edge_task_reap (edge_redis_t *redis, int64_t now_ms, int max_attempts,
                    int64_t resend_ms, size_t max, edge_task_list_t *resend);
#endif
