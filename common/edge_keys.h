/*  edge_keys - the one owner of the Redis key schema.

    Every key the service reads or writes is built here: constants
    (EDGE_KEY_...) for the global keys and key prefixes, and one builder
    per family (edge_key_...; the result is malloc'd, the caller frees it,
    a gateway handler hands it to gw_req_adopt). A Lua script that must
    name a key itself writes its prefix as '@EDGE_KEY_...@' inside a string
    literal; the CMake embedding step (cmake/EdgeLua.cmake) splices in the
    macro, so no other file spells a key (test_edge_keys greps for one).

    The layout (docs/architecture.md §3 tells the story around it):
    - Global: the org index, tasks and their queue/leases, the event
      stream, the sweeps' agendas, upload records, notifier state.
    - Per organisation, everything under e:{<org>}: (one Redis Cluster hash
      tag per org, so an org's keys stay on one node and its scripts may
      touch several).  */
#ifndef EDGE_KEYS_H_INCLUDED
#define EDGE_KEYS_H_INCLUDED

//  ---- tasks and events (common/edge_task.c owns the task records) ----
#define EDGE_KEY_TASK_PREFIX  "e:task:"        //  + name: hash, one task
#define EDGE_KEY_TASKS_QUEUED "e:tasks:queued" //  zset name -> enqueue ms
#define EDGE_KEY_TASKS_LEASES "e:tasks:leases" //  zset name -> deadline ms
#define EDGE_KEY_EVENTS       "e:events"       //  stream of task events

//  e:task:<name>
char *edge_key_task (const char *name);

//  ---- notifier ----

//  ---- worker and sweeps ----

//  ---- gateway: organisations, identity, sessions, tokens ----

//  ---- gateway: apps, builds, deployments, trainings, subscriptions,
//  uploads, traces ----

#endif
