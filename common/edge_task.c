/*  edge_task - the task store: records, queue and lease indexes, events.

    Every state change is one Lua script that checks the state it expects,
    changes the record and its indexes, and XADDs the matching event to
    e:events, so a state never exists without its event. Scripts get the
    time as arguments (now in ms and as RFC 3339) instead of calling TIME.
    Changes to a running task are fenced by (owner, attempts): a worker whose
    lease was taken over gets GONE and cannot record anything.

    A queued task that goes back to the queue (release, expired lease) gets
    a `submit` event again, with a message saying why.  */
#include "edge_task.h"
#include "edge_task_lua.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TASK_PREFIX "e:task:"
#define S_QUEUED_KEY  "e:tasks:queued"
#define S_LEASES_KEY  "e:tasks:leases"
//  Shared Lua: true when KEYS[1] is running, owned by ARGV[1] at attempt
//  ARGV[2].
#define S_LUA_FENCED                                                           \
    "local function fenced()\n"                                                \
    "  local f = redis.call('HMGET', KEYS[1], 'state', 'owner', 'attempts')\n" \
    "  return f[1] == 'running' and f[2] == ARGV[1] and f[3] == ARGV[2]\n"     \
    "end\n"

//  KEYS: task queued leases events [orgindex]
//  ARGV: now_ms now_iso field value ...   Returns 1, or 0 if the name exists.
static edge_redis_script_t s_create = {
    .source = EDGE_TASK_LUA_EMIT
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
    "local fields = {}\n"
    "for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end\n"
    "redis.call('HSET', KEYS[1], unpack(fields))\n"
    "local name = redis.call('HGET', KEYS[1], 'name')\n"
    "if redis.call('HGET', KEYS[1], 'state') == 'queued' then\n"
    "  redis.call('ZADD', KEYS[2], ARGV[1], name)\n"
    "end\n"
    "if KEYS[5] then redis.call('ZADD', KEYS[5], ARGV[1], name) end\n"
    "emit('submit', ARGV[2], {'message',\n"
    "  redis.call('HGET', KEYS[1], 'message') or ''})\n"
    "return 1\n"};

//  ARGV: owner now_ms lease_until now_iso
//  Returns {attempt, type, orgName, params}, or nil when not queued.
static edge_redis_script_t s_claim = {
    .source = EDGE_TASK_LUA_EMIT
    "if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then\n"
    "  return false\n"
    "end\n"
    "local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)\n"
    "redis.call('HSET', KEYS[1], 'state', 'running', 'owner', ARGV[1],\n"
    "  'leaseUntil', ARGV[3], 'started', ARGV[4])\n"
    "redis.call('HDEL', KEYS[1], 'finished')\n"
    "local name = redis.call('HGET', KEYS[1], 'name')\n"
    "redis.call('ZREM', KEYS[2], name)\n"
    "redis.call('ZADD', KEYS[3], ARGV[3], name)\n"
    "emit('begin', ARGV[4], {'attempt', tostring(n)})\n"
    "local f = redis.call('HMGET', KEYS[1], 'type', 'orgName', 'params')\n"
    "return {n, f[1] or '', f[2] or '', f[3] or '{}'}\n"};

//  ARGV: owner attempt lease_until   Returns 1, or 0 when GONE.
static edge_redis_script_t s_renew = {
    .source =
        S_LUA_FENCED "if not fenced() then return 0 end\n"
                     "redis.call('HSET', KEYS[1], 'leaseUntil', ARGV[3])\n"
                     "redis.call('ZADD', KEYS[3], ARGV[3], redis.call('HGET', "
                     "KEYS[1], 'name'))\n"
                     "return 1\n"};

//  ARGV: owner attempt progress_json   Returns 1, or 0 when GONE.
static edge_redis_script_t s_progress = {
    .source = S_LUA_FENCED "if not fenced() then return 0 end\n"
                           "redis.call('HSET', KEYS[1], 'progress', ARGV[3])\n"
                           "return 1\n"};

//  Shared Lua: the running task KEYS[1] succeeds with result ARGV[4] at
//  ARGV[3]; a string dxfName in the result becomes the record's, and the
//  `end` event carries buildChanged ARGV[5].
#define S_LUA_SUCCEED                                                          \
    "local function succeed()\n"                                               \
    "  redis.call('HSET', KEYS[1], 'state', 'succeeded', 'finished',\n"        \
    "    ARGV[3], 'result', ARGV[4])\n"                                        \
    "  redis.call('HDEL', KEYS[1], 'leaseUntil', 'message', 'exception',\n"    \
    "    'error')\n"                                                           \
    "  if ARGV[5] ~= '' then\n"                                                \
    "    redis.call('HSET', KEYS[1], 'buildChanged', ARGV[5])\n"               \
    "  end\n"                                                                  \
    "  local ok, r = pcall(cjson.decode, ARGV[4])\n"                           \
    "  if ok and type(r) == 'table' and type(r.dxfName) == 'string' then\n"    \
    "    redis.call('HSET', KEYS[1], 'dxfName', r.dxfName)\n"                  \
    "  end\n"                                                                  \
    "  redis.call('ZREM', KEYS[3], redis.call('HGET', KEYS[1], 'name'))\n"     \
    "  emit('end', ARGV[3], {'attempt', ARGV[2]})\n"                          \
    "end\n"

//  ARGV: owner attempt now_iso result build_changed   Returns 1 or 0.
static edge_redis_script_t s_succeed = {
    .source = EDGE_TASK_LUA_EMIT S_LUA_FENCED S_LUA_SUCCEED
    "if not fenced() then return 0 end\n"
    "succeed()\n"
    "return 1\n"};

//  KEYS: task queued leases events next [orgindex]
//  ARGV: owner attempt now_iso result build_changed now_ms next_name
//        next_type next_params next_dxf
//  Returns 1, 0 when GONE, -1 when the next name is taken (nothing done).
//  The import entry of the task's build (e:{org}:app:<app>:imports) and
//  the app's trace processing reservation (processingTask in
//  e:{org}:training:<app>) move on to the next task when they named this
//  one, so an import or a reordering is busy until its last step ends.
static edge_redis_script_t s_succeed_next = {
    .source = EDGE_TASK_LUA_EMIT S_LUA_FENCED S_LUA_SUCCEED
    "if not fenced() then return 0 end\n"
    "if redis.call('EXISTS', KEYS[5]) == 1 then return -1 end\n"
    "succeed()\n"
    "local f = redis.call('HMGET', KEYS[1], 'name', 'group', 'orgName',\n"
    "  'appName', 'buildName', 'createdBy', 'dxfName', 'buildChanged')\n"
    "local rec = {'name', ARGV[7], 'type', ARGV[8], 'state', 'queued',\n"
    "  'attempts', '0', 'created', ARGV[3], 'createdMs', ARGV[6],\n"
    "  'params', ARGV[9]}\n"
    "local copy = {'group', 'orgName', 'appName', 'buildName', 'createdBy',\n"
    "  'dxfName', 'buildChanged'}\n"
    "if ARGV[10] ~= '' then f[7] = ARGV[10] end\n"
    "for i = 1, 7 do\n"
    "  if f[i + 1] and f[i + 1] ~= '' then\n"
    "    rec[#rec + 1] = copy[i]; rec[#rec + 1] = f[i + 1]\n"
    "  end\n"
    "end\n"

    "redis.call('HSET', KEYS[5], unpack(rec))\n"
    "redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])\n"
    "if KEYS[6] then redis.call('ZADD', KEYS[6], ARGV[6], ARGV[7]) end\n"
    "emit_key(KEYS[5], 'submit', ARGV[3], {'message',\n"
    "  'started by ' .. f[1]})\n"
    "if f[3] and f[4] and f[5] then\n"
    "  local ik = 'e:{' .. f[3] .. '}:app:' .. f[4] .. ':imports'\n"
    "  if redis.call('HGET', ik, f[5]) == f[1] then\n"
    "    redis.call('HSET', ik, f[5], ARGV[7])\n"
    "  end\n"
    "end\n"
    "if f[3] and f[4] then\n"
    "  local tk = 'e:{' .. f[3] .. '}:training:' .. f[4]\n"
    "  if redis.call('HGET', tk, 'processingTask') == f[1] then\n"
    "    redis.call('HSET', tk, 'processingTask', ARGV[7])\n"
    "  end\n"
    "end\n"
    "return 1\n"};

//  ARGV: now_ms now_iso params message   Returns 1, or 0 when not waiting.
static edge_redis_script_t s_enqueue = {
    .source = EDGE_TASK_LUA_EMIT
    "if redis.call('HGET', KEYS[1], 'state') ~= 'waiting' then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'state', 'queued', 'message', ARGV[4])\n"
    "if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'params', ARGV[3]) end\n"
    "redis.call('ZADD', KEYS[2], ARGV[1], redis.call('HGET', KEYS[1], 'name'))\n"
    "emit('submit', ARGV[2], {'message', ARGV[4]})\n"
    "return 1\n"};

//  ARGV: owner attempt now_iso message exception error   Returns 1 or 0.
static edge_redis_script_t s_fail = {
    .source = EDGE_TASK_LUA_EMIT S_LUA_FENCED
    "if not fenced() then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'state', 'failed', 'finished', ARGV[3],\n"
    "  'message', ARGV[4])\n"
    "redis.call('HDEL', KEYS[1], 'leaseUntil', 'result', 'exception',\n"
    "  'error')\n"
    "if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'exception', ARGV[5])"
    " end\n"
    "if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[6]) end\n"
    "redis.call('ZREM', KEYS[3], redis.call('HGET', KEYS[1], 'name'))\n"
    "emit('error', ARGV[3], {'attempt', ARGV[2], 'exception', ARGV[5],\n"
    "  'error', ARGV[6], 'message', ARGV[4]})\n"
    "return 1\n"};

//  ARGV: owner attempt now_ms now_iso   Returns 1 or 0.
static edge_redis_script_t s_release = {
    .source = EDGE_TASK_LUA_EMIT S_LUA_FENCED
    "if not fenced() then return 0 end\n"
    "redis.call('HINCRBY', KEYS[1], 'attempts', -1)\n"
    "redis.call('HSET', KEYS[1], 'state', 'queued')\n"
    "redis.call('HDEL', KEYS[1], 'owner', 'leaseUntil', 'started')\n"
    "local name = redis.call('HGET', KEYS[1], 'name')\n"
    "redis.call('ZREM', KEYS[3], name)\n"
    "redis.call('ZADD', KEYS[2], ARGV[3], name)\n"
    "emit('submit', ARGV[4], {'message',\n"
    "  'released by worker ' .. ARGV[1] .. ', queued again'})\n"
    "return 1\n"};

//  ARGV: name now_ms now_iso max_attempts
//  Returns {0} (nothing to do), {1, type} (queued again) or {2} (failed).
static edge_redis_script_t s_reap = {
    .source = EDGE_TASK_LUA_EMIT
    "local f = redis.call('HMGET', KEYS[1], 'state', 'leaseUntil',\n"
    "  'attempts', 'type')\n"
    "if f[1] ~= 'running' then\n"
    "  redis.call('ZREM', KEYS[3], ARGV[1]); return {0}\n"
    "end\n"
    "local lease = tonumber(f[2]) or 0\n"
    "if lease > tonumber(ARGV[2]) then\n"
    "  redis.call('ZADD', KEYS[3], lease, ARGV[1]); return {0}\n"
    "end\n"
    "local n = tonumber(f[3]) or 0\n"
    "redis.call('ZREM', KEYS[3], ARGV[1])\n"
    "if n >= tonumber(ARGV[4]) then\n"
    "  local msg = 'task lease expired after ' .. n ..\n"
    "    (n == 1 and ' attempt' or ' attempts') .. ' (worker lost)'\n"
    "  redis.call('HSET', KEYS[1], 'state', 'failed', 'finished', ARGV[3],\n"
    "    'message', msg)\n"
    "  redis.call('HDEL', KEYS[1], 'leaseUntil', 'result', 'exception',\n"
    "    'error')\n"
    "  emit('error', ARGV[3], {'attempt', tostring(n), 'message', msg})\n"
    "  return {2}\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'state', 'queued')\n"
    "redis.call('HDEL', KEYS[1], 'owner', 'leaseUntil', 'started')\n"
    "redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])\n"
    "emit('submit', ARGV[3], {'attempt', tostring(n), 'message',\n"
    "  'lease expired (worker lost), queued again'})\n"
    "return {1, f[4] or ''}\n"};

//  KEYS: queued   ARGV: cutoff_ms now_ms max task_prefix
//  Returns {name, type, ...} of queued tasks sent at or before cutoff, each
//  stamped now; index entries of tasks no longer queued are removed.
static edge_redis_script_t s_resend = {
    .source =
        "local names = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1],\n"
        "  'LIMIT', 0, tonumber(ARGV[3]))\n"
        "local out = {}\n"
        "for _, name in ipairs(names) do\n"
        "  local f = redis.call('HMGET', ARGV[4] .. name, 'state', 'type')\n"
        "  if f[1] ~= 'queued' then\n"
        "    redis.call('ZREM', KEYS[1], name)\n"
        "  else\n"
        "    redis.call('ZADD', KEYS[1], 'XX', ARGV[2], name)\n"
        "    out[#out + 1] = name; out[#out + 1] = f[2] or ''\n"
        "  end\n"
        "end\n"
        "return out\n"};


//  Run a task script with the standard keys. Caller owns the reply.
static redisReply *
s_eval (edge_redis_t *redis,
        edge_redis_script_t *script,
        const char *name,
        const char *orgindex,
        int nargs,
        const char **args)
{
    char *task_key = edge_sprintf (S_TASK_PREFIX "%s", name);
    const char *keys[5] = {task_key, S_QUEUED_KEY, S_LEASES_KEY,
                           EDGE_EVENTS_STREAM, orgindex};
    redisReply *reply =
        edge_redis_eval (redis, script, orgindex ? 5 : 4, keys, nargs, args);
    free (task_key);
    return reply;
}


//  Map a 1/0 script reply to OK/GONE; anything else is a Redis failure.
static edge_task_rc_t
s_fenced_rc (redisReply *reply, const char *what, const char *name)
{
    edge_task_rc_t rc = EDGE_TASK_REDIS;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1 ? EDGE_TASK_OK : EDGE_TASK_GONE;
    else if (reply)
        edge_warn ("task %s: %s failed: %s", name, what,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


//  Append name/value to the create argument list when value is non-empty.
static void
s_add_field (const char **args, int *nargs, const char *name, const char *value)
{
    if (value && *value) {
        args[(*nargs)++] = name;
        args[(*nargs)++] = value;
    }
}


//  One create attempt with the given name. Returns 1 created, 0 name
//  taken, -1 Redis failed.
static int
s_create_named (edge_redis_t *redis,
                const edge_task_spec_t *spec,
                const char *name)
{
    int64_t now = edge_now_ms ();
    char now_ms[24], now_iso[32];
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    const char *args[40];
    int nargs = 0;
    args[nargs++] = now_ms;
    args[nargs++] = now_iso;
    s_add_field (args, &nargs, "name", name);
    s_add_field (args, &nargs, "type", spec->type);
    s_add_field (args, &nargs, "group",
                 spec->group && *spec->group ? spec->group : name);
    s_add_field (args, &nargs, "orgName", spec->org);
    s_add_field (args, &nargs, "appName", spec->app);
    s_add_field (args, &nargs, "buildName", spec->build);
    s_add_field (args, &nargs, "dxfName", spec->dxf);
    s_add_field (args, &nargs, "attempts", "0");
    s_add_field (args, &nargs, "created", now_iso);
    s_add_field (args, &nargs, "createdMs", now_ms);
    s_add_field (args, &nargs, "params", spec->params ? spec->params : "{}");
    s_add_field (args, &nargs, "createdBy", spec->created_by);
    s_add_field (args, &nargs, "message", spec->message);
    s_add_field (args, &nargs, "buildChanged",
                 spec->is_build_changed ? "true" : NULL);
    s_add_field (args, &nargs, "state", spec->is_waiting ? "waiting" : "queued");
    char *orgindex = spec->org && *spec->org
                         ? edge_sprintf ("e:{%s}:tasks", spec->org)
                         : NULL;
    redisReply *reply = s_eval (redis, &s_create, name, orgindex, nargs, args);
    free (orgindex);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1 ? 1 : 0;
    else if (reply)
        edge_warn ("task %s: create failed: %s", name,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


int
edge_task_create (edge_redis_t *redis, const edge_task_spec_t *spec, char *name)
{
    edge_assert (redis && spec && spec->type && name);
    //  Names hold 40 random bits and a timestamp: a clash is near
    //  impossible, but a second try costs nothing
    for (int tries = 0; tries < 3; tries++) {
        edge_task_name_make (spec->type, name, EDGE_TASK_NAME_MAX);
        int rc = s_create_named (redis, spec, name);
        if (rc != 0)
            return rc == 1 ? 0 : -1;
    }
    edge_warn ("task: could not find a free name for a %s task", spec->type);
    return -1;
}


//  Set key to the string value, or null when absent.
static void
s_set_str (json_t *obj, const char *key, const char *value)
{
    json_object_set_new (obj, key, value ? json_string (value) : json_null ());
}


//  Set key to the parsed JSON text of value, dflt (or null) otherwise.
static void
s_set_json (json_t *obj, const char *key, const char *value, json_t *dflt)
{
    json_t *parsed = value ? json_loads (value, JSON_DECODE_ANY, NULL) : NULL;
    if (parsed) {
        json_decref (dflt);
        json_object_set_new (obj, key, parsed);
    }
    else
        json_object_set_new (obj, key, dflt ? dflt : json_null ());
}


json_t *
edge_task_record (const redisReply *reply)
{
    static const char *strings[] = {"name",    "type",    "group",
                                    "orgName", "appName", "buildName",
                                    "dxfName", "state"};
    json_t *obj = json_object ();
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        s_set_str (obj, strings[i], edge_redis_hash_field (reply, strings[i]));
    const char *attempts = edge_redis_hash_field (reply, "attempts");
    json_object_set_new (obj, "attempts",
                         json_integer (attempts ? atoll (attempts) : 0));
    s_set_str (obj, "created", edge_redis_hash_field (reply, "created"));
    s_set_str (obj, "started", edge_redis_hash_field (reply, "started"));
    s_set_str (obj, "finished", edge_redis_hash_field (reply, "finished"));
    s_set_json (obj, "progress", edge_redis_hash_field (reply, "progress"),
                NULL);
    s_set_json (obj, "warnings", edge_redis_hash_field (reply, "warnings"),
                json_array ());
    s_set_json (obj, "exception", edge_redis_hash_field (reply, "exception"),
                NULL);
    s_set_json (obj, "error", edge_redis_hash_field (reply, "error"), NULL);
    s_set_json (obj, "result", edge_redis_hash_field (reply, "result"), NULL);
    s_set_str (obj, "message", edge_redis_hash_field (reply, "message"));
    const char *changed = edge_redis_hash_field (reply, "buildChanged");
    json_object_set_new (obj, "buildChanged",
                         changed ? json_boolean (strcmp (changed, "true") == 0)
                                 : json_null ());
    s_set_str (obj, "worker", edge_redis_hash_field (reply, "owner"));
    const char *state = edge_redis_hash_field (reply, "state");
    const char *lease = edge_redis_hash_field (reply, "leaseUntil");
    if (state && strcmp (state, "running") == 0 && lease) {
        char iso[32];
        edge_rfc3339 (atoll (lease), iso, sizeof iso);
        json_object_set_new (obj, "leaseUntil", json_string (iso));
    }
    return obj;
}


json_t *
edge_task_get (edge_redis_t *redis, const char *name, bool *is_redis_error)
{
    edge_assert (redis && name && is_redis_error);
    redisReply *reply =
        edge_redis_command (redis, "HGETALL " S_TASK_PREFIX "%s", name);
    *is_redis_error = !reply || reply->type != REDIS_REPLY_ARRAY;
    if (reply && reply->type == REDIS_REPLY_ERROR)
        edge_warn ("task %s: read failed: %s", name, reply->str);
    json_t *record = NULL;
    if (!*is_redis_error && reply->elements > 0)
        record = edge_task_record (reply);
    freeReplyObject (reply);
    return record;
}


//  Copy a string element of an array reply, "" when not a string.
static char *
s_element_str (const redisReply *reply, size_t index)
{
    const redisReply *e = reply->element[index];
    return edge_strdup (e->type == REDIS_REPLY_STRING ? e->str : "");
}


edge_task_rc_t
edge_task_claim (edge_redis_t *redis,
                 const char *name,
                 const char *owner,
                 int64_t lease_ms,
                 edge_task_claim_t *claim)
{
    edge_assert (redis && name && owner && claim);
    memset (claim, 0, sizeof *claim);
    int64_t now = edge_now_ms ();
    char now_ms[24], until[24], now_iso[32];
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    snprintf (until, sizeof until, "%lld", (long long) (now + lease_ms));
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    const char *args[] = {owner, now_ms, until, now_iso};
    redisReply *reply = s_eval (redis, &s_claim, name, NULL, 4, args);
    edge_task_rc_t rc = EDGE_TASK_REDIS;
    if (reply && reply->type == REDIS_REPLY_NIL)
        rc = EDGE_TASK_GONE;
    else if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 4
             && reply->element[0]->type == REDIS_REPLY_INTEGER) {
        claim->name = edge_strdup (name);
        claim->attempt = (int) reply->element[0]->integer;
        claim->type = s_element_str (reply, 1);
        claim->org = s_element_str (reply, 2);
        claim->params = s_element_str (reply, 3);
        rc = EDGE_TASK_OK;
    }
    else if (reply)
        edge_warn ("task %s: claim failed: %s", name,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


void
edge_task_claim_fini (edge_task_claim_t *claim)
{
    if (!claim)
        return;
    free (claim->name);
    free (claim->type);
    free (claim->org);
    free (claim->params);
    memset (claim, 0, sizeof *claim);
}


edge_task_rc_t
edge_task_renew (edge_redis_t *redis,
                 const char *name,
                 const char *owner,
                 int attempt,
                 int64_t lease_ms)
{
    edge_assert (redis && name && owner);
    char att[16], until[24];
    snprintf (att, sizeof att, "%d", attempt);
    snprintf (until, sizeof until, "%lld",
              (long long) (edge_now_ms () + lease_ms));
    const char *args[] = {owner, att, until};
    return s_fenced_rc (s_eval (redis, &s_renew, name, NULL, 3, args), "renew",
                        name);
}


edge_task_rc_t
edge_task_progress (edge_redis_t *redis,
                    const char *name,
                    const char *owner,
                    int attempt,
                    int64_t done_bytes,
                    int64_t total_bytes)
{
    edge_assert (redis && name && owner);
    char att[16], progress[80];
    snprintf (att, sizeof att, "%d", attempt);
    snprintf (progress, sizeof progress,
              "{\"doneBytes\":%lld,\"totalBytes\":%lld}",
              (long long) done_bytes, (long long) total_bytes);
    const char *args[] = {owner, att, progress};
    return s_fenced_rc (s_eval (redis, &s_progress, name, NULL, 3, args),
                        "progress", name);
}


//  "true"/"false" when result holds a boolean buildChanged, else "".
static const char *
s_build_changed (const char *result)
{
    json_t *obj = json_loads (result, 0, NULL);
    json_t *value = json_object_get (obj, "buildChanged");
    const char *text = json_is_boolean (value)
                           ? (json_is_true (value) ? "true" : "false")
                           : "";
    json_decref (obj);
    return text;
}


edge_task_rc_t
edge_task_succeed (edge_redis_t *redis,
                   const char *name,
                   const char *owner,
                   int attempt,
                   const char *result)
{
    edge_assert (redis && name && owner);
    if (!result)
        result = "{}";
    char att[16], now_iso[32];
    snprintf (att, sizeof att, "%d", attempt);
    edge_rfc3339 (edge_now_ms (), now_iso, sizeof now_iso);
    const char *args[] = {owner, att, now_iso, result,
                          s_build_changed (result)};
    return s_fenced_rc (s_eval (redis, &s_succeed, name, NULL, 5, args),
                        "succeed", name);
}


//  One succeed-and-next attempt with next_name. Returns 1 done, 0 GONE,
//  -1 name taken, -2 Redis failed.
static int
s_succeed_next_named (edge_redis_t *redis,
                      const char *name,
                      const char **args,
                      const char *next_name,
                      const char *org)
{
    char *task_key = edge_sprintf (S_TASK_PREFIX "%s", name);
    char *next_key = edge_sprintf (S_TASK_PREFIX "%s", next_name);
    char *orgindex = org && *org ? edge_sprintf ("e:{%s}:tasks", org) : NULL;
    const char *keys[6] = {task_key,           S_QUEUED_KEY, S_LEASES_KEY,
                           EDGE_EVENTS_STREAM, next_key,     orgindex};
    redisReply *reply = edge_redis_eval (redis, &s_succeed_next,
                                         orgindex ? 6 : 5, keys, 10, args);
    int rc = -2;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = (int) reply->integer;
    else if (reply)
        edge_warn ("task %s: succeed failed: %s", name,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    free (task_key);
    free (next_key);
    free (orgindex);
    return rc;
}


//  The org of task name ("" when none), or NULL when Redis failed.
static char *
s_task_org (edge_redis_t *redis, const char *name)
{
    redisReply *reply =
        edge_redis_command (redis, "HGET " S_TASK_PREFIX "%s orgName", name);
    char *org = NULL;
    if (reply && reply->type == REDIS_REPLY_STRING)
        org = edge_strdup (reply->str);
    else if (reply && reply->type == REDIS_REPLY_NIL)
        org = edge_strdup ("");
    freeReplyObject (reply);
    return org;
}


edge_task_rc_t
edge_task_succeed_next (edge_redis_t *redis,
                        const char *name,
                        const char *owner,
                        int attempt,
                        const char *result,
                        const edge_task_next_t *next,
                        char *next_name)
{
    edge_assert (redis && name && owner && next && next->type && next_name);
    if (!result)
        result = "{}";
    char *org = s_task_org (redis, name);
    if (!org)
        return EDGE_TASK_REDIS;
    int64_t now = edge_now_ms ();
    char att[16], now_iso[32], now_ms[24];
    snprintf (att, sizeof att, "%d", attempt);
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    edge_task_rc_t rc = EDGE_TASK_REDIS;
    for (int tries = 0; tries < 3; tries++) {
        edge_task_name_make (next->type, next_name, EDGE_TASK_NAME_MAX);
        const char *args[] = {owner,
                              att,
                              now_iso,
                              result,
                              s_build_changed (result),
                              now_ms,
                              next_name,
                              next->type,
                              next->params ? next->params : "{}",
                              next->dxf ? next->dxf : ""};
        int outcome = s_succeed_next_named (redis, name, args, next_name, org);
        if (outcome == -1)
            continue;
        rc = outcome == 1   ? EDGE_TASK_OK
             : outcome == 0 ? EDGE_TASK_GONE
                            : EDGE_TASK_REDIS;
        break;
    }
    free (org);
    if (rc != EDGE_TASK_OK)
        next_name[0] = 0;
    return rc;
}


edge_task_rc_t
edge_task_enqueue (edge_redis_t *redis,
                   const char *name,
                   const char *params,
                   const char *message)
{
    edge_assert (redis && name);
    int64_t now = edge_now_ms ();
    char now_ms[24], now_iso[32];
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    const char *args[] = {now_ms, now_iso, params ? params : "",
                          message && *message ? message : "queued"};
    return s_fenced_rc (s_eval (redis, &s_enqueue, name, NULL, 4, args),
                        "enqueue", name);
}


edge_task_rc_t
edge_task_fail (edge_redis_t *redis,
                const char *name,
                const char *owner,
                int attempt,
                const char *message,
                const char *exception,
                const char *error)
{
    edge_assert (redis && name && owner);
    char att[16], now_iso[32];
    snprintf (att, sizeof att, "%d", attempt);
    edge_rfc3339 (edge_now_ms (), now_iso, sizeof now_iso);
    const char *args[] = {owner,
                          att,
                          now_iso,
                          message && *message ? message : "task failed",
                          exception ? exception : "",
                          error ? error : ""};
    return s_fenced_rc (s_eval (redis, &s_fail, name, NULL, 6, args), "fail",
                        name);
}


edge_task_rc_t
edge_task_release (edge_redis_t *redis,
                   const char *name,
                   const char *owner,
                   int attempt)
{
    edge_assert (redis && name && owner);
    int64_t now = edge_now_ms ();
    char att[16], now_ms[24], now_iso[32];
    snprintf (att, sizeof att, "%d", attempt);
    snprintf (now_ms, sizeof now_ms, "%lld", (long long) now);
    edge_rfc3339 (now, now_iso, sizeof now_iso);
    const char *args[] = {owner, att, now_ms, now_iso};
    return s_fenced_rc (s_eval (redis, &s_release, name, NULL, 4, args),
                        "release", name);
}


//  Append a copy of name and type to list.
static void
s_list_add (edge_task_list_t *list, const char *name, const char *type)
{
    list->names =
        edge_realloc (list->names, sizeof (char *) * (list->count + 1));
    list->types =
        edge_realloc (list->types, sizeof (char *) * (list->count + 1));
    list->names[list->count] = edge_strdup (name);
    list->types[list->count] = edge_strdup (type);
    list->count++;
}


void
edge_task_list_fini (edge_task_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free (list->names[i]);
        free (list->types[i]);
    }
    free (list->names);
    free (list->types);
    memset (list, 0, sizeof *list);
}


//  Reap one task whose lease index entry expired. Returns 0, or -1 when
//  Redis failed. Tasks queued again are added to resend.
static int
s_reap_one (edge_redis_t *redis,
            const char *name,
            int64_t now_ms,
            int max_attempts,
            edge_task_list_t *resend)
{
    char now[24], now_iso[32], max[16];
    snprintf (now, sizeof now, "%lld", (long long) now_ms);
    edge_rfc3339 (now_ms, now_iso, sizeof now_iso);
    snprintf (max, sizeof max, "%d", max_attempts);
    const char *args[] = {name, now, now_iso, max};
    redisReply *reply = s_eval (redis, &s_reap, name, NULL, 4, args);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
        && reply->element[0]->type == REDIS_REPLY_INTEGER) {
        long long outcome = reply->element[0]->integer;
        if (outcome == 1 && reply->elements == 2) {
            edge_info ("reaper: task %s lost its worker, queued again", name);
            char *type = s_element_str (reply, 1);
            s_list_add (resend, name, type);
            free (type);
        }
        else if (outcome == 2)
            edge_warn ("reaper: task %s lost its worker %d times, failed", name,
                       max_attempts);
        rc = 0;
    }
    else if (reply)
        edge_warn ("reaper: task %s: %s", name,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


//  Re-queue or fail every task whose lease expired by now_ms.
static int
s_reap_leases (edge_redis_t *redis,
               int64_t now_ms,
               int max_attempts,
               size_t max,
               edge_task_list_t *resend)
{
    redisReply *reply = edge_redis_command (
        redis, "ZRANGEBYSCORE " S_LEASES_KEY " -inf %lld LIMIT 0 %lld",
        (long long) now_ms, (long long) max);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply)
            edge_warn ("reaper: reading leases failed: %s",
                       reply->type == REDIS_REPLY_ERROR ? reply->str
                                                        : "unexpected reply");
        freeReplyObject (reply);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < reply->elements && rc == 0; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING)
            rc = s_reap_one (redis, reply->element[i]->str, now_ms,
                             max_attempts, resend);
    freeReplyObject (reply);
    return rc;
}


//  List queued tasks last sent at or before now_ms - resend_ms.
static int
s_resend_queued (edge_redis_t *redis,
                 int64_t now_ms,
                 int64_t resend_ms,
                 size_t max,
                 edge_task_list_t *resend)
{
    char cutoff[24], now[24], count[24];
    snprintf (cutoff, sizeof cutoff, "%lld", (long long) (now_ms - resend_ms));
    snprintf (now, sizeof now, "%lld", (long long) now_ms);
    snprintf (count, sizeof count, "%zu", max);
    const char *keys[] = {S_QUEUED_KEY};
    const char *args[] = {cutoff, now, count, S_TASK_PREFIX};
    redisReply *reply = edge_redis_eval (redis, &s_resend, 1, keys, 4, args);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            char *name = s_element_str (reply, i);
            char *type = s_element_str (reply, i + 1);
            s_list_add (resend, name, type);
            free (name);
            free (type);
        }
        rc = 0;
    }
    else if (reply)
        edge_warn ("reaper: resend pass failed: %s",
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


int
edge_task_reap (edge_redis_t *redis,
                int64_t now_ms,
                int max_attempts,
                int64_t resend_ms,
                size_t max,
                edge_task_list_t *resend)
{
    edge_assert (redis && resend && max_attempts >= 1);
    memset (resend, 0, sizeof *resend);
    if (max == 0)
        return 0;
    if (s_reap_leases (redis, now_ms, max_attempts, max, resend)
        || (resend->count < max
            && s_resend_queued (redis, now_ms, resend_ms, max - resend->count,
                                resend))) {
        edge_task_list_fini (resend);
        return -1;
    }
    return 0;
}
