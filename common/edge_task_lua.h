/*  edge_task_lua - the task event Lua as a C string, kept only for
    gateway/gw_apps.c until its scripts are files: common/ and worker/
    scripts include lua/lib/task_emit.lua instead. Delete this header when
    nothing includes it.  */
#ifndef EDGE_TASK_LUA_H_INCLUDED
#define EDGE_TASK_LUA_H_INCLUDED
#include "edge_keys.h"

#define EDGE_TASK_PREFIX EDGE_KEY_TASK_PREFIX
#define EDGE_TASK_EVENTS_MAXLEN "1000000"

//  Shared Lua: emit_key(key, event, now_iso, extra) appends one event for
//  the task hash key to KEYS[4]; emit(event, now_iso, extra) does it for
//  KEYS[1]. extra holds name/value pairs, empty values are left out. The
//  record's buildChanged ("true"/"false", when known) goes on every event.
//  Every event carries "seq", 1, 2, 3 ... per task (the task's evseq), so
//  consumers can take a task's events in order whoever reads them first.
#define EDGE_TASK_LUA_EMIT                                                     \
    "local function emit_key(key, event, now_iso, extra)\n"                    \
    "  local f = redis.call('HMGET', key, 'name', 'type', 'orgName',\n"        \
    "    'appName', 'buildName', 'dxfName', 'createdMs', 'buildChanged')\n"    \
    "  local a = {'XADD', KEYS[4], 'MAXLEN', '~', '" EDGE_TASK_EVENTS_MAXLEN   \
    "',\n"                                                                     \
    "    '*', 'taskName', f[1], 'type', f[2], 'event', event}\n"               \
    "  local names = {'orgName', 'appName', 'buildName', 'dxfName'}\n"         \
    "  for i = 1, 4 do\n"                                                      \
    "    if f[i + 2] and f[i + 2] ~= '' then\n"                                \
    "      a[#a + 1] = names[i]; a[#a + 1] = f[i + 2]\n"                       \
    "    end\n"                                                                \
    "  end\n"                                                                  \
    "  a[#a + 1] = 'timestamp'; a[#a + 1] = now_iso\n"                         \
    "  a[#a + 1] = 'seq'\n"                                                    \
    "  a[#a + 1] = tostring(redis.call('HINCRBY', key, 'evseq', 1))\n"         \
    "  if f[7] then a[#a + 1] = 'createdMs'; a[#a + 1] = f[7] end\n"           \
    "  if f[8] then a[#a + 1] = 'buildChanged'; a[#a + 1] = f[8] end\n"        \
    "  for i = 1, #extra, 2 do\n"                                              \
    "    if extra[i + 1] and extra[i + 1] ~= '' then\n"                        \
    "      a[#a + 1] = extra[i]; a[#a + 1] = extra[i + 1]\n"                   \
    "    end\n"                                                                \
    "  end\n"                                                                  \
    "  redis.call(unpack(a))\n"                                                \
    "end\n"                                                                    \
    "local function emit(event, now_iso, extra)\n"                             \
    "  emit_key(KEYS[1], event, now_iso, extra)\n"                             \
    "end\n"

#endif
