/*  gw_ident_org - the organizations part of gw_ident (gw_ident.h): creation
    in one Lua script (gateway/lua/ident_org_create.lua), deletion by
    batched SCAN/SSCAN/ZSCAN + UNLINK.  */
#include "edge_assert.h"
#include "edge_json.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_perm.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_ident.h"
#include "gw_lua.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SCAN_COUNT "500"


//  Log a failed reply once; NULL replies were logged by edge_redis.
static void
s_warn_reply (const redisReply *reply, const char *what)
{
    if (reply)
        edge_warn ("identity: %s failed: %s", what,
                   reply->type == REDIS_REPLY_ERROR ? reply->str
                                                    : "unexpected reply");
}


edge_err_t
gw_ident_org_create (edge_redis_t *redis,
                     const gw_ident_org_t *org,
                     const char *pwhash,
                     int64_t created_ms)
{
    edge_assert (redis && org && org->name && org->email && pwhash);
    edge_assert (org->admin_username);
    char ms[24], iso[32];
    snprintf (ms, sizeof ms, "%lld", (long long) created_ms);
    edge_rfc3339 (created_ms, iso, sizeof iso);
    int all[EDGE_PERM_COUNT];
    for (size_t i = 0; i < EDGE_PERM_COUNT; i++)
        all[i] = edge_perm_max (i);
    json_t *perms = gw_ident_perms_json (all);
    char *perms_text = edge_json_dumps (perms);
    json_decref (perms);
    const char *n = org->name;
    gw_call_t call;
    gw_call_init (&call, NULL);
    gw_call_key (&call, EDGE_KEY_ORGS);
    gw_call_key_take (&call, edge_key_org_info (n));
    gw_call_key_take (&call, edge_key_org_roles (n));
    gw_call_key_take (&call, edge_key_role (n, GW_IDENT_ADMIN_ROLE));
    gw_call_key_take (&call, edge_key_org_users (n));
    gw_call_key_take (&call, edge_key_user (n, org->admin_username));
    gw_call_arg (&call, n);
    gw_call_arg (&call, org->email);
    gw_call_arg (&call, org->admin_username);
    gw_call_arg (&call, org->public_key ? org->public_key : "");
    gw_call_arg (&call, ms);
    gw_call_arg (&call, iso);
    gw_call_arg (&call, pwhash);
    gw_call_arg (&call, perms_text);
    redisReply *reply =
        gw_call_eval_on (&call, redis, &gw_lua_ident_org_create);
    gw_call_fini (&call);
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1 ? EDGE_ERR_OK : EDGE_ERR_CONFLICT;
    else
        s_warn_reply (reply, "org create");
    freeReplyObject (reply);
    free (perms_text);
    return rc;
}


edge_err_t
gw_ident_org_exists (edge_redis_t *redis, const char *org)
{
    edge_assert (redis && org);
    redisReply *reply =
        edge_redis_command (redis, "ZSCORE " EDGE_KEY_ORGS " %s", org);
    edge_err_t rc = EDGE_ERR_REDIS;
    if (reply && reply->type == REDIS_REPLY_STRING)
        rc = EDGE_ERR_OK;
    else if (reply && reply->type == REDIS_REPLY_NIL)
        rc = EDGE_ERR_NOT_FOUND;
    else
        s_warn_reply (reply, "org lookup");
    freeReplyObject (reply);
    return rc;
}


//  UNLINK prefix+item for every stride-th element of items (a batch from
//  a SCAN-family command; stride 2 skips zset scores), except the key
//  named skip. Returns 0 or -1.
static int
s_unlink_batch (edge_redis_t *redis,
                const redisReply *items,
                size_t stride,
                const char *prefix,
                const char *skip)
{
    const char **argv = edge_calloc (items->elements + 1, sizeof (char *));
    char **owned = edge_calloc (items->elements + 1, sizeof (char *));
    int argc = 0;
    argv[argc++] = "UNLINK";
    for (size_t i = 0; i < items->elements; i += stride) {
        const redisReply *item = items->element[i];
        if (item->type != REDIS_REPLY_STRING)
            continue;
        owned[i] = edge_sprintf ("%s%s", prefix, item->str);
        if (!skip || strcmp (owned[i], skip) != 0)
            argv[argc++] = owned[i];
    }
    int rc = 0;
    if (argc > 1) {
        redisReply *reply = edge_redis_argv (redis, argc, argv, NULL);
        rc = reply && reply->type == REDIS_REPLY_INTEGER ? 0 : -1;
        if (rc)
            s_warn_reply (reply, "org delete (unlink)");
        freeReplyObject (reply);
    }
    for (size_t i = 0; i < items->elements; i++)
        free (owned[i]);
    free (owned);
    free (argv);
    return rc;
}


//  Iterate a SCAN-family command ("SCAN", or "SSCAN"/"ZSCAN" with key) and
//  UNLINK prefix+item for each item. Returns 0 or -1.
static int
s_scan_unlink (edge_redis_t *redis,
               const char *command,
               const char *key,
               const char *match,
               const char *prefix,
               const char *skip)
{
    char cursor[32] = "0";
    size_t stride = strcmp (command, "ZSCAN") == 0 ? 2 : 1;
    do {
        const char *argv[7] = {command};
        int argc = 1;
        if (key)
            argv[argc++] = key;
        argv[argc++] = cursor;
        if (match) {
            argv[argc++] = "MATCH";
            argv[argc++] = match;
        }
        argv[argc++] = "COUNT";
        argv[argc++] = S_SCAN_COUNT;
        redisReply *reply = edge_redis_argv (redis, argc, argv, NULL);
        if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
            || reply->element[0]->type != REDIS_REPLY_STRING
            || reply->element[1]->type != REDIS_REPLY_ARRAY) {
            s_warn_reply (reply, "org delete (scan)");
            freeReplyObject (reply);
            return -1;
        }
        snprintf (cursor, sizeof cursor, "%s", reply->element[0]->str);
        int rc =
            s_unlink_batch (redis, reply->element[1], stride, prefix, skip);
        freeReplyObject (reply);
        if (rc)
            return -1;
    } while (strcmp (cursor, "0") != 0);
    return 0;
}


edge_err_t
gw_ident_org_delete (edge_redis_t *redis, const char *org)
{
    edge_assert (redis && org);
    edge_err_t rc = gw_ident_org_exists (redis, org);
    if (rc != EDGE_ERR_OK)
        return rc;
    char *tokens = edge_key_org_tokens (org);
    char *tasks = edge_key_org_tasks (org);
    char *match = edge_key_org_match (org);
    //  Tokens first (they stop working at once), then the task records,
    //  then every key of the org; the token index goes last so that tokens
    //  made meanwhile are removed too.
    if (s_scan_unlink (redis, "SSCAN", tokens, NULL, EDGE_KEY_TOKEN_PREFIX,
                       NULL)
        || s_scan_unlink (redis, "ZSCAN", tasks, NULL, EDGE_KEY_TASK_PREFIX,
                          NULL)
        || s_scan_unlink (redis, "SCAN", NULL, match, "", tokens))
        rc = EDGE_ERR_REDIS;
    else {
        const char *keys[2] = {tokens, EDGE_KEY_ORGS};
        const char *args[1] = {org};
        redisReply *reply =
            edge_redis_eval (redis, &gw_lua_ident_org_finish, 2, keys, 1, args);
        if (!reply || reply->type != REDIS_REPLY_INTEGER) {
            s_warn_reply (reply, "org delete");
            rc = EDGE_ERR_REDIS;
        }
        freeReplyObject (reply);
    }
    free (match);
    free (tasks);
    free (tokens);
    return rc;
}
