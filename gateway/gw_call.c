/*  gw_call - script calls and their answers; see gw_call.h.  */
#include "gw_call.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void
gw_call_init (gw_call_t *self, gw_req_t *req)
{
    edge_assert (self);
    memset (self, 0, sizeof *self);
    self->req = req;
}


void
gw_call_fini (gw_call_t *self)
{
    for (int i = 0; i < self->nowned; i++)
        free (self->owned[i]);
    self->nowned = 0;
}


//  Keep ptr (from malloc) as long as the call's strings must live.
static char *
s_take (gw_call_t *self, char *ptr)
{
    if (self->req)
        return gw_req_adopt (self->req, ptr);
    edge_assert (self->nowned < (int) EDGE_COUNT (self->owned));
    self->owned[self->nowned++] = ptr;
    return ptr;
}


void
gw_call_key (gw_call_t *self, const char *key)
{
    edge_assert (key && self->nkeys < GW_CALL_KEYS_MAX);
    self->keys[self->nkeys++] = key;
}


void
gw_call_key_take (gw_call_t *self, char *key)
{
    gw_call_key (self, s_take (self, key));
}


void
gw_call_arg (gw_call_t *self, const char *arg)
{
    edge_assert (arg && self->nargs < GW_CALL_ARGS_MAX);
    self->args[self->nargs++] = arg;
}


void
gw_call_argf (gw_call_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    char *text = edge_vsprintf (fmt, args);
    va_end (args);
    gw_call_arg (self, s_take (self, text));
}


void
gw_call_int (gw_call_t *self, int64_t value)
{
    gw_call_argf (self, "%lld", (long long) value);
}


void
gw_call_pair (gw_call_t *self, const char *name, const char *value)
{
    if (!value)
        return;
    gw_call_arg (self, name);
    gw_call_arg (self, value);
}


redisReply *
gw_call_eval (gw_call_t *self, gw_thread_t *thread, edge_redis_script_t *script)
{
    return gw_call_eval_on (self, gw_thread_redis (thread), script);
}


redisReply *
gw_call_eval_on (gw_call_t *self,
                 edge_redis_t *redis,
                 edge_redis_script_t *script)
{
    return edge_redis_eval (redis, script, self->nkeys, self->keys, self->nargs,
                            self->args);
}


//  Element i (1..9) of reply after the status word, as text into buf.
static const char *
s_element (const redisReply *reply, size_t i, char *buf, size_t size)
{
    if (i >= reply->elements)
        return "";
    const redisReply *e = reply->element[i];
    if (e->type == REDIS_REPLY_INTEGER) {
        snprintf (buf, size, "%lld", e->integer);
        return buf;
    }
    return e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS
               ? e->str
               : "";
}


//  Expand a row's message into out.
static void
s_message (gw_req_t *req,
           const redisReply *reply,
           const char *message,
           const char *subject,
           char *out,
           size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (const char *at = message; *at && len + 1 < size;) {
        const char *text = NULL;
        char buf[32];
        size_t skip = 0;
        if (strncmp (at, "{}", 2) == 0)
            text = subject ? subject : "", skip = 2;
        else if (strncmp (at, "{org}", 5) == 0) {
            const gw_principal_t *caller = gw_req_principal (req);
            text = caller ? caller->org : "", skip = 5;
        }
        else if (at[0] == '{' && at[1] >= '1' && at[1] <= '9' && at[2] == '}')
            text = s_element (reply, (size_t) (at[1] - '0'), buf, sizeof buf),
            skip = 3;
        if (text) {
            int n = snprintf (out + len, size - len, "%s", text);
            len = n < 0                     ? len
                  : len + (size_t) n < size ? len + (size_t) n
                                            : size - 1;
            at += skip;
        }
        else
            out[len++] = *at++, out[len] = '\0';
    }
}


redisReply *
gw_call_answer (gw_req_t *req,
                redisReply *reply,
                const gw_call_answer_t *rows,
                const char *subject,
                const char *what)
{
    const char *word = edge_redis_script_status (reply);
    if (word && strcmp (word, "ok") == 0)
        return reply;
    for (const gw_call_answer_t *row = rows; word && row && row->word; row++) {
        if (strcmp (row->word, word) != 0)
            continue;
        if (row->err == EDGE_ERR_OK)
            return reply;
        char message[512];
        s_message (req, reply, row->message ? row->message : "", subject,
                   message, sizeof message);
        gw_call_fail (req, row->err, row->field, "%s", message);
        freeReplyObject (reply);
        return NULL;
    }
    if (word) {
        edge_error ("%s: unexpected answer '%.64s'", what, word);
        gw_call_fail (req, EDGE_ERR_INTERNAL, NULL, "internal error");
    }
    else
        gw_req_reply_redis_failed (req, reply, what);
    freeReplyObject (reply);
    return NULL;
}


redisReply *
gw_call_run (gw_call_t *self,
             gw_thread_t *thread,
             edge_redis_script_t *script,
             const gw_call_answer_t *rows,
             const char *subject)
{
    return gw_call_answer (self->req, gw_call_eval (self, thread, script), rows,
                           subject, script->name);
}


void
gw_call_fail (
    gw_req_t *req, edge_err_t err, const char *field, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    gw_req_reply_failv (req, edge_err_status (err), edge_err_code (err), field,
                        fmt, args);
    va_end (args);
}
