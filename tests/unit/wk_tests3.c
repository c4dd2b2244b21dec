/*  wk_tests3 - redis-server, scratch directory and s3rver for the worker
    tests that publish to origins.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wk_tests3.h"
#include "edge_util.h"
#include "wk_task.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int
wk_tests3_start (wk_tests3_t *self, const char *name, const char *no_npm)
{
    memset (self, 0, sizeof *self);
    int rc = edge_testutil_redis_open (&self->redis, &self->conn, 2000);
    if (rc != 0)
        return rc;
    snprintf (self->dir, sizeof self->dir, "/tmp/%s_XXXXXX", name);
    if (!mkdtemp (self->dir)) {
        self->dir[0] = '\0';
        return 1;
    }
    self->check = edge_redis_new (self->redis.url, 2000);
    if (!no_npm)
        return 0; //  s3rver is not wanted
    if (system ("command -v npm >/dev/null 2>&1") != 0)
        fprintf (stderr, "%s\n", no_npm);
    else {
        char *data = edge_sprintf ("%s/s3rver", self->dir);
        rc = edge_testutil_s3rver_start (&self->s3, EDGE_S3RVER_SCRIPT, data,
                                         WK_TESTS3_BUCKET);
        free (data);
        snprintf (self->endpoint, sizeof self->endpoint, "%s",
                  self->s3.endpoint);
        if (rc)
            return 1;
        self->has_s3 = true;
    }
    return 0;
}


void
wk_tests3_stop (wk_tests3_t *self)
{
    edge_testutil_s3rver_stop (&self->s3);
    edge_redis_destroy (&self->check);
    edge_testutil_redis_close (&self->redis, &self->conn);
    if (!self->dir[0])
        return;
    char *cmd = edge_sprintf ("rm -rf '%s'", self->dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", self->dir);
    free (cmd);
    self->dir[0] = '\0';
}


edge_store_t *
wk_tests3_origin (const wk_tests3_t *self,
                  const char *name,
                  const char **prefix)
{
    edge_store_t *store;
    *prefix = "";
    if (strcmp (name, "s3C") == 0) {
        edge_store_s3_opts_t opts = {self->endpoint,   "us-east-1",
                                     WK_TESTS3_BUCKET, "S3RVER",
                                     "S3RVER",         NULL};
        *prefix = "pre/";
        store = edge_store_new_s3 (&opts);
    }
    else {
        char *path = edge_sprintf ("%s/%s", self->dir, name);
        store = edge_store_new_fs (path);
        free (path);
        if (strcmp (name, "fsA") == 0)
            *prefix = "cdn/a/";
    }
    assert_non_null (store);
    return store;
}


char *
wk_tests3_hget (edge_redis_t *conn, const char *key, const char *field)
{
    redisReply *reply = edge_redis_command (conn, "HGET %s %s", key, field);
    assert_non_null (reply);
    char *value =
        reply->type == REDIS_REPLY_STRING ? edge_strdup (reply->str) : NULL;
    freeReplyObject (reply);
    return value;
}


void
wk_tests3_assert_field (edge_redis_t *conn,
                        const char *key,
                        const char *field,
                        const char *want)
{
    char *value = wk_tests3_hget (conn, key, field);
    if (!want)
        assert_null (value);
    else {
        assert_non_null (value);
        assert_string_equal (value, want);
    }
    free (value);
}


wk_job_rc_t
wk_tests3_run (const wk_tests3_t *self,
               const wk_env_t *env,
               const char *type,
               const char *name,
               int attempt,
               const char *params_text,
               atomic_int *cancel,
               wk_job_t *job)
{
    json_t *params = json_loads (params_text, 0, NULL);
    assert_non_null (params);
    *job = (wk_job_t){.worker = "w1",
                      .name = name,
                      .type = type,
                      .org = "acme",
                      .params = params,
                      .attempt = attempt,
                      .redis = self->conn,
                      .cancel = cancel,
                      .env = env};
    wk_job_rc_t rc = wk_task_run (job);
    json_decref (params);
    job->params = NULL;
    return rc;
}


int
wk_tests3_flush (wk_tests3_t *self)
{
    redisReply *reply = edge_redis_command (self->check, "FLUSHALL");
    int rc = reply && reply->type != REDIS_REPLY_ERROR ? 0 : -1;
    freeReplyObject (reply);
    return rc;
}


static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}


char *
wk_tests3_sorted_lines (const char **lines, size_t count)
{
    qsort (lines, count, sizeof lines[0], s_compare);
    char *text = edge_strdup ("");
    for (size_t i = 0; i < count; i++) {
        char *longer = edge_sprintf ("%s%s\n", text, lines[i]);
        free (text);
        text = longer;
    }
    return text;
}
