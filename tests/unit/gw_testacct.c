/*  gw_testacct - account handlers driven like the server drives them.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_testacct.h"
#include "edge_log.h"
#include "edge_testutil.h"
#include "edge_util.h"
#include "gw_bauth.h"
#include "gw_ident.h"
#include "gw_req.h"
#include "gw_router.h"
#include "gw_thread.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static edge_testutil_redis_t s_server;
static edge_redis_t *s_redis;
static gw_thread_t *s_thread;
static char s_admin_hash[GW_IDENT_PWHASH_MAX];

//  A fake client: a JSON body read in one go.
typedef struct {
    const char *body;
    size_t len;
    size_t pos;
} s_client_t;


static const char *
s_header (void *source, const char *name)
{
    s_client_t *client = source;
    if (client->len && strcasecmp (name, "Content-Type") == 0)
        return "application/json";
    return NULL;
}


static int
s_read (void *source, void *buf, size_t len)
{
    s_client_t *client = source;
    size_t n =
        client->len - client->pos < len ? client->len - client->pos : len;
    memcpy (buf, client->body + client->pos, n);
    client->pos += n;
    return (int) n;
}


int
gw_testacct_start (void)
{
    edge_log_init ("test");
    int rc = edge_testutil_redis_open (&s_server, &s_redis, 5000);
    if (rc)
        return rc;
    if (gw_ident_init ()
        || gw_ident_hash_password (GW_TESTACCT_ADMIN_PW, s_admin_hash))
        return -1;
    char broker[64];
    snprintf (broker, sizeof broker, "tcp://127.0.0.1:%d",
              edge_testutil_free_port ());
    s_thread = gw_thread_new (s_server.url, 5000, broker);
    return s_thread ? 0 : -1;
}


void
gw_testacct_stop (void)
{
    gw_thread_destroy (&s_thread);
    edge_testutil_redis_close (&s_server, &s_redis);
}


edge_redis_t *
gw_testacct_redis (void)
{
    return s_redis;
}


void
gw_testacct_org_create (edge_redis_t *redis,
                        const char *pwhash,
                        const char *org,
                        const char *admin)
{
    char email[128];
    snprintf (email, sizeof email, "admin@%s.example", org);
    gw_ident_org_t spec = {org, email, admin, NULL};
    assert_int_equal (
        gw_ident_org_create (redis, &spec, pwhash, edge_now_ms ()),
        EDGE_ERR_OK);
}


void
gw_testacct_org (const char *org, const char *admin)
{
    gw_testacct_org_create (s_redis, s_admin_hash, org, admin);
}


int
gw_testacct_reset (void **state)
{
    (void) state;
    redisReply *reply = edge_redis_command (s_redis, "FLUSHALL");
    int rc = reply && reply->type == REDIS_REPLY_STATUS ? 0 : -1;
    freeReplyObject (reply);
    gw_testacct_org ("acme", "boss");
    return rc;
}


//  Route, authorize and handle req as principal.
static void
s_handle (gw_req_t *req, gw_principal_t *principal)
{
    edge_json_err_t err;
    const gw_route_t *route = NULL;
    gw_ctx_t ctx = {0};
    if (gw_router_match (req, &route, &err) != EDGE_ERR_OK
        || gw_req_read_body (req, 1 << 20, &err)) {
        gw_req_reply_error (req, &err);
        return;
    }
    assert_int_equal (route->auth, GW_AUTH_BACKEND);
    if (!gw_bauth_authorize (route, principal)) {
        gw_bauth_reply_forbidden (req, route->resource, route->bit);
        return;
    }
    gw_req_set_principal (req, principal);
    route->handler (req, &ctx, s_thread);
}


json_t *
gw_testacct_call (const char *org,
                  const char *username,
                  const char *method,
                  const char *path,
                  const char *query,
                  const char *body,
                  int *status)
{
    gw_principal_t principal;
    char token[GW_IDENT_TOKEN_MAX];
    assert_int_equal (
        gw_ident_session_new (s_redis, org, username, 60, token, &principal),
        EDGE_ERR_OK);
    s_client_t client = {body, body ? strlen (body) : 0, 0};
    gw_req_source_t source = {
        .method = method,
        .path = path,
        .query = query,
        .content_length = (long long) client.len,
        .header = s_header,
        .read = s_read,
        .source = &client,
    };
    gw_req_t *req = gw_req_new (&source);
    s_handle (req, &principal);
    *status = gw_req_status (req);
    size_t len;
    const char *text = gw_req_reply_body (req, &len);
    json_t *answer = NULL;
    if (len > 0) {
        answer = json_loadb (text, len, 0, NULL);
        assert_non_null (answer);
    }
    gw_req_destroy (&req);
    return answer;
}


json_t *
gw_testacct_boss (const char *method,
                  const char *path,
                  const char *query,
                  const char *body,
                  int *status)
{
    return gw_testacct_call ("acme", "boss", method, path, query, body, status);
}


void
gw_testacct_assert_error (json_t *body,
                          int status,
                          const char *code,
                          const char *field)
{
    json_t *error = json_object_get (body, "error");
    assert_non_null (error);
    assert_int_equal (json_integer_value (json_object_get (error, "status")),
                      status);
    assert_string_equal (json_string_value (json_object_get (error, "code")),
                         code);
    const char *got = json_string_value (json_object_get (error, "field"));
    if (field) {
        assert_non_null (got);
        assert_string_equal (got, field);
    }
    else
        assert_null (got);
    json_decref (body);
}


bool
gw_testacct_key_exists (edge_redis_t *redis, const char *key)
{
    redisReply *reply = edge_redis_command (redis, "EXISTS %s", key);
    assert_non_null (reply);
    bool exists = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    freeReplyObject (reply);
    return exists;
}


bool
gw_testacct_exists (const char *key)
{
    return gw_testacct_key_exists (s_redis, key);
}
