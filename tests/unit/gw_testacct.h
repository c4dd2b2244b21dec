/*  gw_testacct - drives the account handlers (users, roles, API keys) in
    unit tests as the server would: a real redis-server, orgs made by
    gw_ident, and requests routed by gw_router, authorized by
    gw_bauth_authorize with the principal of a fresh session, then
    handled. Test-only; not thread-safe.  */
#ifndef GW_TESTACCT_H_INCLUDED
#define GW_TESTACCT_H_INCLUDED
#include "edge_redis.h"
#include "gw_principal.h"
#include <jansson.h>

//  The password of every org's admin made by gw_testacct_org.
#define GW_TESTACCT_ADMIN_PW "boss-password-0123"

//  Start redis-server, gw_ident and a request thread. Returns 0, 77 when
//  redis-server is missing (skip), -1 on failure.
int gw_testacct_start (void);
//  Stop and free everything.
void gw_testacct_stop (void);
//  The test's own Redis handle (seeding, inspection). Borrowed.
edge_redis_t *gw_testacct_redis (void);
//  cmocka setup: FLUSHALL, then org "acme" with admin "boss".
int gw_testacct_reset (void **state);
//  Create org with admin user admin (password GW_TESTACCT_ADMIN_PW).
void gw_testacct_org (const char *org, const char *admin);
//  The same in any Redis: org with admin user admin (email
//  admin@<org>.example) whose password hash is pwhash. Works without
//  gw_testacct_start.
void gw_testacct_org_create (edge_redis_t *redis,
                             const char *pwhash,
                             const char *org,
                             const char *admin);

//  Run "method path?query" with body (JSON text or NULL) as org/username
//  (a new session's principal; an API key's when api_key is set). Sets
//  *status; returns the parsed response body (caller owns) or NULL when
//  empty.
json_t *gw_testacct_call (const char *org,
                          const char *username,
                          const char *method,
                          const char *path,
                          const char *query,
                          const char *body,
                          int *status);
//  Same as "boss" of "acme".
json_t *gw_testacct_boss (const char *method,
                          const char *path,
                          const char *query,
                          const char *body,
                          int *status);
//  Assert that body is {"error":{"status":status,"code":code,...}} with
//  field (or no field when NULL); then free body.
void gw_testacct_assert_error (json_t *body,
                               int status,
                               const char *code,
                               const char *field);
//  True when key exists in Redis.
bool gw_testacct_exists (const char *key);
//  The same in any Redis (works without gw_testacct_start).
bool gw_testacct_key_exists (edge_redis_t *redis, const char *key);
#endif
