/*  gw_upload - upload tokens and records, and the streamed PUT of a tar
    into the depot (edge_store_upload: a part file on an fs depot, a
    multipart upload on S3).  */
#include "gw_upload.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_keys.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_util.h"
#include "gw_call.h"
#include "gw_lua.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_PIECE    (64 * 1024) //  bytes per read and write, at most
#define S_PIECE_0  4096        //  the first read's length
#define S_FAST_MS  1000        //  a read quicker than this may double
#define S_TOUCH_MS 5000        //  how often a live PUT stamps touchedMs

//  PUTs streaming now, in this process (at most EDGE_UPLOAD_PARALLEL).
static atomic_llong s_busy;

//  The open script's refusals.
static const gw_call_answer_t s_open_answers[] = {
    {"unknown", EDGE_ERR_UNAUTHORIZED, NULL, "unknown upload URL"},
    {"expired", EDGE_ERR_UPLOAD_EXPIRED, NULL,
     "this upload URL has expired; import the build again"},
    {"used", EDGE_ERR_UPLOAD_USED, NULL, "this upload URL was already used"},
    {"busy", EDGE_ERR_UPLOAD_IN_PROGRESS, NULL,
     "another PUT to this upload URL is in progress"},
    {NULL}};

//  One PUT in flight.
typedef struct {
    gw_req_t *req;
    gw_thread_t *thread;
    char key[GW_UPLOAD_KEY_MAX]; //  the record
    char attempt[17];            //  this PUT's fence on the record
    edge_store_t *store;         //  the thread's depot (borrowed)
    char *tar_key;               //  the tar's key (request scope)
    edge_store_upload_t *upload; //  the streamed write, or NULL
    int64_t max;                 //  EDGE_UPLOAD_MAX_BYTES
    int64_t expected;            //  the import's size, or -1 when not given
    int64_t size;                //  bytes received
    int64_t rate_ms;             //  the minimum rate's window
    int64_t window_start;        //  monotonic ms the current window began
    int64_t window_size;         //  size when it began
    int64_t touched;             //  monotonic ms of the last touch
    char sha[65];                //  hex SHA-256 of the body
} s_put_t;


bool
gw_upload_token_is_valid (const char *token)
{
    if (!token || strlen (token) != GW_UPLOAD_TOKEN_LEN)
        return false;
    for (const char *p = token; *p; p++) {
        char c = *p;
        bool is_ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                     || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!is_ok)
            return false;
    }
    return true;
}


void
gw_upload_key (const char *token, char *key)
{
    char hex[65];
    edge_sha256_hex (token, strlen (token), hex);
    snprintf (key, GW_UPLOAD_KEY_MAX, EDGE_KEY_UPLOAD_PREFIX "%s", hex);
}


void
gw_upload_token_new (char *token, char *key)
{
    unsigned char raw[32];
    randombytes_buf (raw, sizeof raw);
    char *text = edge_b64url_encode (raw, sizeof raw);
    sodium_memzero (raw, sizeof raw);
    snprintf (token, GW_UPLOAD_TOKEN_LEN + 1, "%s", text);
    sodium_memzero (text, strlen (text));
    free (text);
    gw_upload_key (token, key);
}


//  A call of a script on the PUT's record, its first argument the PUT's
//  fence (attempt) and then now in ms.
static void
s_call (s_put_t *self, gw_call_t *call)
{
    gw_call_init (call, self->req);
    gw_call_key (call, self->key);
    gw_call_arg (call, self->attempt);
    gw_call_int (call, edge_now_ms ());
}


//  Run the call; the integer the script returned, or -1 when Redis failed.
static long long
s_eval_int (s_put_t *self, gw_call_t *call, edge_redis_script_t *script)
{
    redisReply *reply = gw_call_eval (call, self->thread, script);
    long long rc =
        reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    if (reply && reply->type != REDIS_REPLY_INTEGER)
        edge_error ("upload: unexpected Redis reply (type %d)", reply->type);
    freeReplyObject (reply);
    return rc;
}


//  Stamp touchedMs, and store part (the upload's id) when not NULL.
//  Returns 0 while this PUT holds the record, -1 (answered) otherwise.
static int
s_stamp (s_put_t *self, const char *part)
{
    self->touched = edge_mono_ms ();
    gw_call_t call;
    s_call (self, &call);
    if (part)
        gw_call_arg (&call, part);
    long long rc = s_eval_int (self, &call, &gw_lua_upload_touch);
    if (rc == 1)
        return 0;
    if (rc < 0)
        gw_req_reply_redis_failed (self->req, NULL, NULL);
    else
        gw_call_fail (self->req, EDGE_ERR_UPLOAD_IN_PROGRESS, NULL,
                      "another PUT took this upload over");
    return -1;
}


//  Stamp touchedMs when S_TOUCH_MS passed (or always when is_forced).
//  Returns 0 while this PUT holds the record, -1 (answered) otherwise.
static int
s_touch_record (s_put_t *self, bool is_forced)
{
    if (!is_forced && edge_mono_ms () - self->touched < S_TOUCH_MS)
        return 0;
    return s_stamp (self, NULL);
}


//  Answer 503: the depot failed (why logged with the tar's key). Nothing
//  of this PUT becomes visible (its unfinished write is discarded) and the
//  URL stays usable: the client sends the tar again.
static int
s_depot_failed (s_put_t *self, const char *what)
{
    edge_error ("upload: cannot %s %s: %s", what, self->tar_key,
                edge_store_errstr (self->store));
    gw_req_reply_header (self->req, "Retry-After", "5");
    gw_call_fail (self->req, EDGE_ERR_DEPOT, NULL,
                  "the depot could not store the upload; send it again");
    return -1;
}


//  Answer 422 size_mismatch: got bytes where the import said expected.
static int
s_size_mismatch (gw_req_t *req, long long got, int64_t expected)
{
    gw_call_fail (req, EDGE_ERR_SIZE_MISMATCH, NULL,
                  "the upload has %lld bytes but the import's size is "
                  "%lld",
                  got, (long long) expected);
    return -1;
}


//  After a piece: the limit, the import's size and the minimum rate
//  (GW_UPLOAD_RATE_MIN_BYTES per window). Returns 0, or -1 with the
//  response set.
static int
s_check_progress (s_put_t *self)
{
    if (self->size > self->max) {
        gw_call_fail (self->req, EDGE_ERR_PAYLOAD_TOO_LARGE, NULL,
                      "the upload exceeds the limit of %lld bytes",
                      (long long) self->max);
        return -1;
    }
    if (self->expected >= 0 && self->size > self->expected)
        return s_size_mismatch (self->req, (long long) self->size,
                                self->expected);
    int64_t now = edge_mono_ms ();
    if (now - self->window_start < self->rate_ms)
        return 0;
    if (self->size - self->window_size < GW_UPLOAD_RATE_MIN_BYTES) {
        edge_warn ("upload: PUT aborted after %lld bytes: %lld bytes in the "
                   "last %lld ms",
                   (long long) self->size,
                   (long long) (self->size - self->window_size),
                   (long long) (now - self->window_start));
        gw_call_fail (self->req, EDGE_ERR_UPLOAD_TOO_SLOW, NULL,
                      "the upload sent less than %d bytes in %lld s",
                      GW_UPLOAD_RATE_MIN_BYTES,
                      (long long) (self->rate_ms / 1000));
        return -1;
    }
    self->window_start = now;
    self->window_size = self->size;
    return 0;
}


//  The body ended (n == 0 or n < 0 from the read): 0 when it is whole,
//  else -1 with the response set.
static int
s_check_end (s_put_t *self, int n)
{
    long long declared = gw_req_content_length (self->req);
    if (n < 0 || (declared >= 0 && self->size < declared)) {
        gw_call_fail (self->req, EDGE_ERR_MALFORMED_BODY, NULL,
                      "the body ended after %lld of %lld bytes",
                      (long long) self->size, declared);
        return -1;
    }
    if (self->size == 0) {
        gw_call_fail (self->req, EDGE_ERR_MALFORMED_BODY, NULL,
                      "the body is empty: PUT the build's tar");
        return -1;
    }
    if (self->expected >= 0 && self->size != self->expected)
        return s_size_mismatch (self->req, (long long) self->size,
                                self->expected);
    return 0;
}


//  Read the body into the upload, hashing it. Returns 0, or -1 with the
//  response set.
static int
s_receive (s_put_t *self, EVP_MD_CTX *md)
{
    //  mg_read returns only once len bytes came (or after a silence of
    //  the request timeout), so a trickle could hold a long read for
    //  ever: reads start small, double while they return quickly and
    //  halve (down to 1 byte) while they don't, so a slow PUT is seen
    //  soon after its window ends.
    char *buf = gw_req_alloc (self->req, S_PIECE);
    size_t len = S_PIECE_0;
    self->window_start = edge_mono_ms ();
    while (true) {
        int64_t start = edge_mono_ms ();
        int n = gw_req_read_stream (self->req, buf, len);
        if (n <= 0)
            return s_check_end (self, n);
        if (edge_mono_ms () - start < S_FAST_MS)
            len = len * 2 > S_PIECE ? S_PIECE : len * 2;
        else
            len = len / 2 ? len / 2 : 1;
        self->size += n;
        if (s_check_progress (self))
            return -1;
        EVP_DigestUpdate (md, buf, (size_t) n);
        int64_t write_start = edge_mono_ms ();
        int rc = edge_store_upload_write (self->upload, buf, (size_t) n);
        //  Waiting on the depot (an S3 part PUT) is not the client's time
        self->window_start += edge_mono_ms () - write_start;
        if (rc)
            return s_depot_failed (self, "write");
        if (s_touch_record (self, false))
            return -1;
    }
}


//  Commit the upload (fs: fsync and rename; S3: the last part and
//  CompleteMultipartUpload) right after the fence: the record must still
//  be this PUT's. Returns 0, or -1 with the response set.
static int
s_publish (s_put_t *self)
{
    if (s_touch_record (self, true))
        return -1;
    if (edge_store_upload_commit (self->upload))
        return s_depot_failed (self, "store");
    return 0;
}


//  The most bytes this PUT may carry: its Content-Length, else the
//  import's size, else the limit.
static uint64_t
s_bound (s_put_t *self)
{
    long long declared = gw_req_content_length (self->req);
    return (uint64_t) (declared >= 0         ? declared
                       : self->expected >= 0 ? self->expected
                                             : self->max);
}


//  Stream the body to the depot. Returns 0, or -1 with the response set;
//  nothing is left in the depot then.
static int
s_store (s_put_t *self)
{
    self->upload =
        edge_store_upload_new (self->store, self->tar_key, s_bound (self));
    if (!self->upload)
        return s_depot_failed (self, "begin");
    //  Recorded so that a PUT taking this one over, or the expiry, can
    //  abort it
    if (s_stamp (self, edge_store_upload_id (self->upload))) {
        edge_store_upload_destroy (&self->upload);
        return -1;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new ();
    edge_assert (md);
    EVP_DigestInit_ex (md, EVP_sha256 (), NULL);
    int rc = s_receive (self, md);
    unsigned char digest[32];
    EVP_DigestFinal_ex (md, digest, NULL);
    EVP_MD_CTX_free (md);
    edge_hex (digest, sizeof digest, self->sha);
    if (rc == 0)
        rc = s_publish (self);
    edge_store_upload_destroy (&self->upload); //  aborts unless committed
    return rc;
}


//  Refuse a request that cannot carry the tar: no length, an empty body,
//  one over max or other than the import's size (expected, -1 = any).
//  Returns 0, or -1 with the response set.
static int
s_check_length (gw_req_t *req, int64_t max, int64_t expected)
{
    long long declared = gw_req_content_length (req);
    const char *te = gw_req_header (req, "Transfer-Encoding");
    bool is_chunked = false;
    for (const char *p = te; p && *p && !is_chunked; p++)
        is_chunked = strncasecmp (p, "chunked", 7) == 0;
    if (declared < 0 && !is_chunked) {
        gw_call_fail (req, EDGE_ERR_LENGTH_REQUIRED, NULL,
                      "send the tar with a Content-Length or chunked");
        return -1;
    }
    if (declared > max) {
        gw_call_fail (req, EDGE_ERR_PAYLOAD_TOO_LARGE, NULL,
                      "the upload of %lld bytes exceeds the limit of "
                      "%lld bytes",
                      declared, (long long) max);
        return -1;
    }
    if (declared == 0) {
        gw_call_fail (req, EDGE_ERR_MALFORMED_BODY, NULL,
                      "the body is empty: PUT the build's tar");
        return -1;
    }
    if (declared > 0 && expected >= 0 && declared != expected)
        return s_size_mismatch (req, declared, expected);
    return 0;
}


//  Abort the upload a stale PUT left (upload id part), if any.
static void
s_abort_stale (s_put_t *self, const char *part)
{
    if (!part[0])
        return;
    if (edge_store_upload_abort (self->store, self->tar_key, part))
        edge_warn ("upload: could not abort the stale upload of %s: %s",
                   self->tar_key, edge_store_errstr (self->store));
}


//  Open the record for this PUT: fills self->tar_key. Returns 0, or -1
//  with the response set.
static int
s_open_record (s_put_t *self)
{
    gw_call_t call;
    gw_call_init (&call, self->req);
    gw_call_key (&call, self->key);
    gw_call_int (&call, edge_now_ms ());
    gw_call_arg (&call, self->attempt);
    gw_call_int (&call, GW_UPLOAD_STALE_MS);
    gw_call_arg (&call, "");
    redisReply *reply = gw_call_run (&call, self->thread, &gw_lua_upload_open,
                                     s_open_answers, NULL);
    if (!reply)
        return -1;
    int rc = -1;
    if (reply->elements != 4)
        gw_req_reply_redis_failed (self->req, reply, "upload: open");
    else if (!edge_store_key_is_valid (reply->element[1]->str)) {
        edge_error ("upload: record %.20s... has a bad tarKey", self->key);
        gw_call_fail (self->req, EDGE_ERR_INTERNAL, NULL, "internal error");
    }
    else {
        self->tar_key = gw_req_strdup (self->req, reply->element[1]->str);
        s_abort_stale (self, reply->element[2]->str);
        const char *size = reply->element[3]->str;
        self->expected = size && *size ? strtoll (size, NULL, 10) : -1;
        rc = 0;
    }
    freeReplyObject (reply);
    return rc;
}


static void
s_reply_done (s_put_t *self)
{
    gw_call_t call;
    s_call (self, &call);
    gw_call_int (&call, self->size);
    gw_call_arg (&call, self->sha);
    long long rc = s_eval_int (self, &call, &gw_lua_upload_done);
    if (rc < 0) {
        //  The bytes are in place; the record stays receiving until
        //  GW_UPLOAD_STALE_MS passes, then the PUT can be redone.
        gw_req_reply_redis_failed (self->req, NULL, NULL);
        return;
    }
    if (rc == 0) {
        gw_call_fail (self->req, EDGE_ERR_UPLOAD_IN_PROGRESS, NULL,
                      "another PUT took this upload over");
        return;
    }
    edge_info ("upload: %lld bytes stored as %s", (long long) self->size,
               self->tar_key);
    gw_req_reply_json (self->req, 200,
                       json_pack ("{s:I,s:s}", "sizeBytes",
                                  (json_int_t) self->size, "sha256",
                                  self->sha));
}


//  Take one of limit PUT slots at once. Returns 0, or -1 with the
//  response set (503, Retry-After).
static int
s_slot_take (gw_req_t *req, int64_t limit)
{
    if (atomic_fetch_add (&s_busy, 1) < (limit < 1 ? 1 : limit))
        return 0;
    atomic_fetch_sub (&s_busy, 1);
    gw_req_reply_header (req, "Retry-After", "30");
    gw_call_fail (req, EDGE_ERR_BUSY, NULL,
                  "too many uploads are in progress; try again later");
    return -1;
}


//  Open the record, stream the body, answer; the record goes back to open
//  on failure.
static void
s_put (s_put_t *self)
{
    if (s_open_record (self))
        return;
    if (s_check_length (self->req, self->max, self->expected) == 0
        && s_store (self) == 0) {
        s_reply_done (self);
        return;
    }
    gw_call_t call;
    gw_call_init (&call, self->req);
    gw_call_key (&call, self->key);
    gw_call_arg (&call, self->attempt);
    if (s_eval_int (self, &call, &gw_lua_upload_revert) < 0)
        edge_warn ("upload: record left receiving (Redis failed); a new "
                   "PUT may take it over after %d s",
                   GW_UPLOAD_STALE_MS / 1000);
}


void
gw_upload_put (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread)
{
    const char *token = gw_req_param (req, "token");
    if (!gw_upload_token_is_valid (token)) {
        gw_call_fail (req, EDGE_ERR_UNAUTHORIZED, NULL, "unknown upload URL");
        return;
    }
    edge_store_t *store = gw_thread_depot (thread);
    if (!store) {
        gw_req_reply_header (req, "Retry-After", "5");
        gw_call_fail (req, EDGE_ERR_DEPOT, NULL,
                      "the depot is unavailable; send the upload again");
        return;
    }
    if (s_slot_take (req, ctx->config->upload_parallel))
        return;
    int64_t rate_ms = ctx->config->upload_rate_ms;
    s_put_t self = {.req = req,
                    .thread = thread,
                    .store = store,
                    .max = ctx->config->upload_max_bytes,
                    .expected = -1,
                    .rate_ms = rate_ms > 0 ? rate_ms : GW_UPLOAD_RATE_MS};
    gw_upload_key (token, self.key);
    edge_random_hex (self.attempt, 8);
    s_put (&self);
    atomic_fetch_sub (&s_busy, 1);
}
