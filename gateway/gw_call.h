/*  gw_call - the handler kit: one way for a resource handler to call a Lua
    script and turn its answer into HTTP (gw_hash.h turns a stored hash
    into the resource's JSON).

        gw_call_t call;
        gw_call_init (&call, req);
        gw_call_key_take (&call, edge_key_role (org, name));
        gw_call_arg (&call, name);
        gw_call_int (&call, now_ms);
        gw_call_pair (&call, "label", label);            //  NULL: left out
        static const gw_call_answer_t answers[] = {
            {"conflict", EDGE_ERR_CONFLICT, "name", "role '{}' already exists"},
            {"no_org", EDGE_ERR_NOT_FOUND, NULL, "organization '{org}' not
   found"}, {NULL}}; redisReply *reply = gw_call_run (&call, thread,
   &gw_lua_roles_create, answers, name); if (!reply) return; //  the error
   answer is set
        ...                               //  "ok": answer the success
        freeReplyObject (reply);

    Every string a call holds lives as long as the request (or, for a call
    without one, until gw_call_fini).  */
#ifndef GW_CALL_H_INCLUDED
#define GW_CALL_H_INCLUDED
#include "edge_err.h"
#include "edge_redis.h"
#include "gw_req.h"
#include "gw_thread.h"
#include <stddef.h>
#include <stdint.h>

#define GW_CALL_KEYS_MAX 40 //  users: 6 keys and one per role (32)
#define GW_CALL_ARGS_MAX 96

//  A script's keys and arguments. A plain value on the caller's stack.
typedef struct {
    gw_req_t *req;
    const char *keys[GW_CALL_KEYS_MAX];
    int nkeys;
    const char *args[GW_CALL_ARGS_MAX];
    int nargs;
    char *owned[GW_CALL_KEYS_MAX + GW_CALL_ARGS_MAX]; //  without a request
    int nowned;
} gw_call_t;

//  Start a call for req; req may be NULL (a call outside a request, e.g.
//  in gw_ident): then what the call takes is freed by gw_call_fini.
void gw_call_init (gw_call_t *self, gw_req_t *req);
//  Free what a call without a request took; a no-op with a request.
void gw_call_fini (gw_call_t *self);
//  Append a key that lives as long as the request (a constant, or from
//  the request's allocators).
void gw_call_key (gw_call_t *self, const char *key);
//  Append a key from malloc (an edge_key_... builder); the request frees
//  it.
void gw_call_key_take (gw_call_t *self, char *key);
//  Append an argument (living as long as the request), a formatted one,
//  an integer in decimal.
void gw_call_arg (gw_call_t *self, const char *arg);
void gw_call_argf (gw_call_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void gw_call_int (gw_call_t *self, int64_t value);
//  Append name and value, or nothing when value is NULL.
void gw_call_pair (gw_call_t *self, const char *name, const char *value);
//  EVALSHA the script with the keys and arguments on the thread's Redis
//  (or on redis). Caller owns the reply (NULL when Redis could not be
//  reached).
redisReply *gw_call_eval (gw_call_t *self,
                          gw_thread_t *thread,
                          edge_redis_script_t *script);
redisReply *gw_call_eval_on (gw_call_t *self,
                             edge_redis_t *redis,
                             edge_redis_script_t *script);

//  How one status word of a script answers, when it is not "ok". The
//  message may hold "{}" for the subject, "{org}" for the caller's org and
//  "{1}".."{9}" for the answer's elements after the status word. A row
//  with err EDGE_ERR_OK is another success: gw_call_answer returns the
//  reply for it. A table ends with {NULL}.
typedef struct {
    const char *word;    //  the script's status word
    edge_err_t err;      //  the answer: its status and API code
    const char *field;   //  the field it names, or NULL
    const char *message; //  see above
} gw_call_answer_t;

//  Judge reply by its status word: "ok" or a success row (err OK): returns
//  reply for the caller to answer. A row's word: that answer is set;
//  anything else (no reply, an error, an unknown word): 503/500 through
//  gw_req_reply_redis_failed naming what. Then reply is freed and NULL
//  returned. rows may be NULL (only "ok" succeeds).
redisReply *gw_call_answer (gw_req_t *req,
                            redisReply *reply,
                            const gw_call_answer_t *rows,
                            const char *subject,
                            const char *what);
//  gw_call_eval, then gw_call_answer naming the script.
redisReply *gw_call_run (gw_call_t *self,
                         gw_thread_t *thread,
                         edge_redis_script_t *script,
                         const gw_call_answer_t *rows,
                         const char *subject);
//  Set the answer for err: its status and API code, field (or NULL) and a
//  message. The ergonomic twin of gw_req_reply_fail for the vocabulary.
void gw_call_fail (gw_req_t *req,
                   edge_err_t err,
                   const char *field,
                   const char *fmt,
                   ...) __attribute__ ((format (printf, 4, 5)));

#endif
