/*  edge_keys - the one owner of the Redis key schema.

    Every key the service reads or writes is built here (C) or named here
    for Lua: a Lua script writes a key prefix as '@EDGE_KEY_...@' inside a
    string literal, and the CMake embedding step (cmake/EdgeLua.cmake)
    splices in the macro below, so no other file spells a key. The layout
    is described once, below, and in docs/architecture.md §3.  */
#ifndef EDGE_KEYS_H_INCLUDED
#define EDGE_KEYS_H_INCLUDED

//  Tasks (common/edge_task.c owns their fields).
#define EDGE_KEY_TASK_PREFIX  "e:task:"          //  + name: hash, one task
#define EDGE_KEY_TASKS_QUEUED "e:tasks:queued"   //  list of queued names
#define EDGE_KEY_TASKS_LEASES "e:tasks:leases"   //  zset name -> deadline
#define EDGE_KEY_EVENTS       "e:events"         //  stream of task events

#endif
