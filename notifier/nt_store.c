/*  nt_store - the delivery scripts (ingest, take, finish).

    Scripts get the time as arguments. They compute the keys of an org's
    subscriptions from the names they read, which is fine on one Redis
    server (not on a cluster).  */
#include "nt_store.h"
#include "edge_assert.h"
#include "edge_json.h"
#include "edge_log.h"
#include "edge_task.h"
#include "edge_util.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Shared Lua. advance: drop id from its chain and make the new head due
//  now. close: a delivery reached its final status. drop: forget a delivery
//  whose subscription was deleted. KEYS[1] is always e:deliveries:due.
#define S_LUA_HELPERS                                                          \
    "local due = KEYS[1]\n"                                                    \
    "local function subkey(org, sub)\n"                                        \
    "  return 'e:{' .. org .. '}:sub:' .. sub\n"                               \
    "end\n"                                                                    \
    "local function advance(chain, id, now)\n"                                 \
    "  redis.call('LREM', chain, 1, id)\n"                                     \
    "  local head = redis.call('LINDEX', chain, 0)\n"                          \
    "  if head then\n"                                                         \
    "    redis.call('ZADD', due, now, head)\n"                                 \
    "    redis.call('HSET', 'e:dlv:' .. head, 'nextAt', now)\n"                \
    "  end\n"                                                                  \
    "end\n"                                                                    \
    "local function close(key, id, task, status, err, now, keep)\n"            \
    "  local dkey = 'e:dlv:' .. id\n"                                          \
    "  redis.call('HSET', dkey, 'status', status)\n"                           \
    "  if err then redis.call('HSET', dkey, 'lastError', err) end\n"           \
    "  redis.call('ZREM', due, id)\n"                                          \
    "  redis.call('SREM', key .. ':pending', id)\n"                            \
    "  if status == 'failed' then\n"                                           \
    "    redis.call('ZADD', key .. ':failed', now, id)\n"                      \
    "    redis.call('ZREMRANGEBYSCORE', key .. ':failed', '-inf',\n"           \
    "      '(' .. (now - keep))\n"                                             \
    "  end\n"                                                                  \
    "  redis.call('PEXPIRE', dkey, keep)\n"                                    \
    "  advance(key .. ':chain:' .. task, id, now)\n"                           \
    "end\n"                                                                    \
    "local function drop(key, id, task, now)\n"                                \
    "  redis.call('DEL', 'e:dlv:' .. id)\n"                                    \
    "  redis.call('ZREM', due, id)\n"                                          \
    "  redis.call('SREM', key .. ':pending', id)\n"                            \
    "  advance(key .. ':chain:' .. task, id, now)\n"                           \
    "end\n"

//  KEYS: due events counts
//  ARGV: group entry counter org type event task body slacktext now seq
//  forced
//  A task's events are taken in seq order (e:evseq:<task> holds the last
//  one taken): an event whose predecessor was not taken yet (another
//  notifier holds it, or a dead one left it pending) is deferred, neither
//  acknowledged nor delivered, unless forced.
//  Returns {acked (1, 0 already handled, -1 deferred), created}.
static edge_redis_script_t s_ingest = {
    .source = S_LUA_HELPERS
    "local function has(list, item)\n"
    "  local ok, v = pcall(cjson.decode, list or '')\n"
    "  if not ok or type(v) ~= 'table' then return false end\n"
    "  for _, x in ipairs(v) do if x == item then return true end end\n"
    "  return false\n"
    "end\n"
    "local seqkey = nil\n"
    "if ARGV[11] ~= '' and ARGV[7] ~= '' then\n"
    "  seqkey = 'e:evseq:' .. ARGV[7]\n"
    "  local last = tonumber(redis.call('GET', seqkey) or '0')\n"
    "  if tonumber(ARGV[11]) > last + 1 and ARGV[12] ~= '1' then\n"
    "    return {-1, 0}\n"
    "  end\n"
    "end\n"
    "if redis.call('XACK', KEYS[2], ARGV[1], ARGV[2]) ~= 1 then\n"
    "  return {0, 0}\n"
    "end\n"
    "if seqkey then\n"
    "  local last = tonumber(redis.call('GET', seqkey) or '0')\n"
    "  if tonumber(ARGV[11]) > last then\n"
    "    redis.call('SET', seqkey, ARGV[11], 'PX', 2592000000)\n"
    "  end\n"
    "end\n"
    "redis.call('HINCRBY', KEYS[3], ARGV[3], 1)\n"
    "if ARGV[4] == '' or ARGV[7] == '' then return {1, 0} end\n"
    "local now = ARGV[10]\n"
    "local created = 0\n"
    "local subs = 'e:{' .. ARGV[4] .. '}:subs'\n"
    "for _, name in ipairs(redis.call('ZRANGE', subs, 0, -1)) do\n"
    "  local key = subkey(ARGV[4], name)\n"
    "  local s = redis.call('HMGET', key, 'state', 'types', 'events',\n"
    "    'url', 'slackChannel')\n"
    "  local id = ARGV[2] .. '-' .. name\n"
    "  local dkey = 'e:dlv:' .. id\n"
    "  local body = nil\n"
    "  if s[4] and s[4] ~= '' then body = ARGV[8]\n"
    "  elseif s[5] and s[5] ~= '' then\n"
    "    body = '{\"channel\":' .. cjson.encode(s[5]) .. ',\"text\":'\n"
    "      .. ARGV[9] .. '}'\n"
    "  end\n"
    "  if body and s[1] == 'enabled' and has(s[2], ARGV[5])\n"
    "      and has(s[3], ARGV[6])\n"
    "      and redis.call('EXISTS', dkey) == 0 then\n"
    "    local chain = key .. ':chain:' .. ARGV[7]\n"
    "    local first = redis.call('RPUSH', chain, id) == 1\n"
    "    redis.call('HSET', dkey, 'id', id, 'org', ARGV[4], 'sub', name,\n"
    "      'eventId', ARGV[2], 'taskName', ARGV[7], 'type', ARGV[5],\n"
    "      'event', ARGV[6], 'body', body, 'attempt', 0,\n"
    "      'status', 'pending', 'nextAt', first and now or '0',\n"
    "      'created', now, 'lastStatusCode', '', 'lastError', '')\n"
    "    redis.call('SADD', key .. ':pending', id)\n"
    "    if first then redis.call('ZADD', due, now, id) end\n"
    "    created = created + 1\n"
    "  end\n"
    "end\n"
    "return {1, created}\n"};

//  KEYS: due   ARGV: now lease_until max keep
//  Returns {{id org sub task eventId type event body attempt url slack
//  secret} ...}.
static edge_redis_script_t s_take = {
    .source = S_LUA_HELPERS
    "local now = tonumber(ARGV[1])\n"
    "local out = {}\n"
    "local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now,\n"
    "  'LIMIT', 0, tonumber(ARGV[3]))\n"
    "for _, id in ipairs(ids) do\n"
    "  local dkey = 'e:dlv:' .. id\n"
    "  local d = redis.call('HMGET', dkey, 'status', 'org', 'sub',\n"
    "    'taskName')\n"
    "  if d[1] ~= 'pending' then\n"
    "    redis.call('ZREM', due, id)\n"
    "  else\n"
    "    local key = subkey(d[2], d[3])\n"
    "    local s = redis.call('HMGET', key, 'state', 'url',\n"
    "      'slackChannel', 'secret')\n"
    "    if not s[1] then\n"
    "      drop(key, id, d[4], now)\n"
    "    elseif s[1] ~= 'enabled' then\n"
    "      close(key, id, d[4], 'failed', 'subscription is disabled', now,\n"
    "        tonumber(ARGV[4]))\n"
    "    else\n"
    "      redis.call('ZADD', due, ARGV[2], id)\n"
    "      local n = redis.call('HINCRBY', dkey, 'attempt', 1)\n"
    "      local f = redis.call('HMGET', dkey, 'eventId', 'type', 'event',\n"
    "        'body')\n"
    "      out[#out + 1] = {id, d[2], d[3], d[4], f[1] or '', f[2] or '',\n"
    "        f[3] or '', f[4] or '', tostring(n), s[2] or '', s[3] or '',\n"
    "        s[4] or ''}\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return out\n"};

//  KEYS: due
//  ARGV: id attempt outcome status error record next_at now now_iso keep
//        reason
//  Returns 1, or 0 when the delivery is not ours any more.
static edge_redis_script_t s_finish = {
    .source = S_LUA_HELPERS
    "local id = ARGV[1]\n"
    "local dkey = 'e:dlv:' .. id\n"
    "local now = tonumber(ARGV[8])\n"
    "local keep = tonumber(ARGV[10])\n"
    "local d = redis.call('HMGET', dkey, 'status', 'attempt', 'org',\n"
    "  'sub', 'taskName')\n"
    "if d[1] ~= 'pending' or d[2] ~= ARGV[2] then return 0 end\n"
    "local key = subkey(d[3], d[4])\n"
    "if redis.call('EXISTS', key) == 0 then\n"
    "  drop(key, id, d[5], now)\n"
    "  return 0\n"
    "end\n"
    "redis.call('LPUSH', key .. ':attempts', ARGV[6])\n"
    "redis.call('LTRIM', key .. ':attempts', 0, 49)\n"
    "redis.call('HSET', dkey, 'lastStatusCode', ARGV[4], 'lastError',\n"
    "  ARGV[5])\n"
    "local outcome = ARGV[3]\n"
    "if outcome == 'retry' then\n"
    "  redis.call('HSET', dkey, 'nextAt', ARGV[7])\n"
    "  redis.call('ZADD', due, ARGV[7], id)\n"
    "elseif outcome == 'succeeded' or outcome == 'failed' then\n"
    "  close(key, id, d[5], outcome, nil, now, keep)\n"
    "else\n"
    "  redis.call('HSET', key, 'state', 'disabled', 'disabledReason',\n"
    "    ARGV[11], 'updated', ARGV[9])\n"
    "  close(key, id, d[5], 'failed', nil, now, keep)\n"
    "  local why = 'subscription disabled: ' .. ARGV[11]\n"
    "  for _, other in ipairs(redis.call('SMEMBERS', key .. ':pending')) do\n"
    "    local task = redis.call('HGET', 'e:dlv:' .. other, 'taskName')\n"
    "    if task then\n"
    "      redis.call('DEL', key .. ':chain:' .. task)\n"
    "      close(key, other, task, 'failed', why, now, keep)\n"
    "    end\n"
    "  end\n"
    "  redis.call('DEL', key .. ':pending')\n"
    "end\n"
    "return 1\n"};


void
nt_store_dlv_destroy (nt_store_dlv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nt_store_dlv_t *self = *self_p;
    free (self->id);
    free (self->org);
    free (self->sub);
    free (self->task_name);
    free (self->event_id);
    free (self->type);
    free (self->event);
    free (self->body);
    free (self->url);
    free (self->slack_channel);
    free (self->secret);
    free (self);
    *self_p = NULL;
}


//  The Slack text of event as a JSON string literal. Caller owns.
static char *
s_slack_text_json (const nt_event_t *event)
{
    char *text = nt_body_slack_text (event);
    json_t *value = json_string (text);
    if (!value)
        value = json_string ("ROCKIT Edge: (event text is not valid UTF-8)");
    char *encoded = edge_json_dumps (value);
    json_decref (value);
    free (text);
    return encoded;
}


int
nt_store_ingest (edge_redis_t *redis,
                 const char *group,
                 const nt_event_t *event,
                 int64_t now_ms,
                 bool is_forced,
                 int *acked,
                 int *created)
{
    edge_assert (redis && group && event && acked && created);
    *acked = 0;
    *created = 0;
    char counter[80], now[24];
    snprintf (counter, sizeof counter, "%.30s.%.30s",
              *event->type ? event->type : "?",
              *event->event ? event->event : "?");
    snprintf (now, sizeof now, "%lld", (long long) now_ms);
    bool has_org = *event->org && *event->task_name;
    char *body = has_org ? nt_body_webhook (event) : edge_strdup ("");
    char *slack = has_org ? s_slack_text_json (event) : edge_strdup ("\"\"");
    const char *keys[] = {NT_STORE_DUE_KEY, EDGE_EVENTS_STREAM,
                          NT_STORE_COUNTS_KEY};
    const char *args[] = {
        group,       event->id,    counter,          event->org,
        event->type, event->event, event->task_name, body,
        slack,       now,          event->seq,       is_forced ? "1" : "0"};
    redisReply *reply = edge_redis_eval (redis, &s_ingest, 3, keys, 12, args);
    free (slack);
    free (body);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
        && reply->element[0]->type == REDIS_REPLY_INTEGER
        && reply->element[1]->type == REDIS_REPLY_INTEGER) {
        *acked = (int) reply->element[0]->integer;
        *created = (int) reply->element[1]->integer;
        rc = 0;
    }
    else if (reply)
        edge_warn ("notifier: handling event %s failed: %s", event->id,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}


//  Copy of a string reply, or "" for anything else. Caller owns.
static char *
s_copy (const redisReply *reply, size_t *len)
{
    if (reply->type != REDIS_REPLY_STRING) {
        if (len)
            *len = 0;
        return edge_strdup ("");
    }
    char *copy = edge_malloc (reply->len + 1);
    memcpy (copy, reply->str, reply->len);
    copy[reply->len] = 0;
    if (len)
        *len = reply->len;
    return copy;
}


//  One element of the take reply as a delivery, or NULL when malformed.
static nt_store_dlv_t *
s_dlv_decode (const redisReply *item)
{
    if (item->type != REDIS_REPLY_ARRAY || item->elements != 12)
        return NULL;
    redisReply **f = item->element;
    nt_store_dlv_t *self = edge_calloc (1, sizeof *self);
    self->id = s_copy (f[0], NULL);
    self->org = s_copy (f[1], NULL);
    self->sub = s_copy (f[2], NULL);
    self->task_name = s_copy (f[3], NULL);
    self->event_id = s_copy (f[4], NULL);
    self->type = s_copy (f[5], NULL);
    self->event = s_copy (f[6], NULL);
    self->body = s_copy (f[7], &self->body_len);
    self->attempt =
        f[8]->type == REDIS_REPLY_STRING ? strtoll (f[8]->str, NULL, 10) : 0;
    self->url = s_copy (f[9], NULL);
    self->slack_channel = s_copy (f[10], NULL);
    self->secret = s_copy (f[11], NULL);
    return self;
}


int
nt_store_take (edge_redis_t *redis,
               int64_t now_ms,
               int64_t lease_until_ms,
               int max,
               nt_store_dlv_t ***dlvs,
               size_t *count)
{
    edge_assert (redis && dlvs && count && max > 0);
    *dlvs = NULL;
    *count = 0;
    char now[24], until[24], limit[16], keep[24];
    snprintf (now, sizeof now, "%lld", (long long) now_ms);
    snprintf (until, sizeof until, "%lld", (long long) lease_until_ms);
    snprintf (limit, sizeof limit, "%d", max);
    snprintf (keep, sizeof keep, "%lld", (long long) NT_STORE_KEEP_MS);
    const char *keys[] = {NT_STORE_DUE_KEY};
    const char *args[] = {now, until, limit, keep};
    redisReply *reply = edge_redis_eval (redis, &s_take, 1, keys, 4, args);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply)
            edge_warn ("notifier: taking due deliveries failed: %s",
                       reply->type == REDIS_REPLY_ERROR ? reply->str
                                                        : "unexpected reply");
        freeReplyObject (reply);
        return -1;
    }
    if (reply->elements > 0)
        *dlvs = edge_calloc (reply->elements, sizeof (nt_store_dlv_t *));
    for (size_t i = 0; i < reply->elements; i++) {
        nt_store_dlv_t *dlv = s_dlv_decode (reply->element[i]);
        if (dlv)
            (*dlvs)[(*count)++] = dlv;
    }
    freeReplyObject (reply);
    return 0;
}


const char *
nt_store_outcome_name (nt_store_outcome_t outcome)
{
    switch (outcome) {
        case NT_STORE_SUCCEEDED:
            return "succeeded";
        case NT_STORE_RETRY:
            return "retry";
        case NT_STORE_FAILED:
            return "failed";
        case NT_STORE_DISABLED:
            return "disabled";
    }
    return "?";
}


//  The attempt record pushed to e:{O}:sub:N:attempts. Caller owns.
static char *
s_record (const nt_store_dlv_t *dlv, const nt_store_result_t *result)
{
    char at[32];
    edge_rfc3339 (result->at_ms, at, sizeof at);
    json_t *record = json_object ();
    json_object_set_new (record, "deliveryId", json_string (dlv->id));
    json_object_set_new (record, "eventId", json_string (dlv->event_id));
    json_object_set_new (record, "taskName", json_string (dlv->task_name));
    json_object_set_new (record, "type", json_string (dlv->type));
    json_object_set_new (record, "event", json_string (dlv->event));
    json_object_set_new (record, "attempt", json_integer (dlv->attempt));
    json_object_set_new (record, "at", json_string (at));
    json_object_set_new (record, "statusCode",
                         result->status_code
                             ? json_integer (result->status_code)
                             : json_null ());
    json_object_set_new (record, "latencyMs",
                         json_integer (result->latency_ms));
    json_t *error = result->error ? json_string (result->error) : NULL;
    json_object_set_new (record, "error", error ? error : json_null ());
    json_object_set_new (record, "outcome",
                         json_string (nt_store_outcome_name (result->outcome)));
    char *text = edge_json_dumps (record);
    json_decref (record);
    return text;
}


int
nt_store_finish (edge_redis_t *redis,
                 const nt_store_dlv_t *dlv,
                 const nt_store_result_t *result)
{
    edge_assert (redis && dlv && result);
    char attempt[24], status[16], next_at[24], now[24], now_iso[32], keep[24];
    snprintf (attempt, sizeof attempt, "%lld", (long long) dlv->attempt);
    if (result->status_code)
        snprintf (status, sizeof status, "%d", result->status_code);
    else
        status[0] = 0;
    snprintf (next_at, sizeof next_at, "%lld", (long long) result->next_at_ms);
    int64_t now_ms = edge_now_ms ();
    snprintf (now, sizeof now, "%lld", (long long) now_ms);
    edge_rfc3339 (now_ms, now_iso, sizeof now_iso);
    snprintf (keep, sizeof keep, "%lld", (long long) NT_STORE_KEEP_MS);
    char *record = s_record (dlv, result);
    const char *keys[] = {NT_STORE_DUE_KEY};
    const char *args[] = {dlv->id,
                          attempt,
                          nt_store_outcome_name (result->outcome),
                          status,
                          result->error ? result->error : "",
                          record,
                          next_at,
                          now,
                          now_iso,
                          keep,
                          NT_STORE_GONE_REASON};
    redisReply *reply = edge_redis_eval (redis, &s_finish, 1, keys, 11, args);
    free (record);
    int rc = -1;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1 ? 1 : 0;
    else if (reply)
        edge_warn ("notifier: recording attempt %lld of %s failed: %s",
                   (long long) dlv->attempt, dlv->id,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
    freeReplyObject (reply);
    return rc;
}
