/*  nt_deliver - the libcurl multi engine that attempts deliveries.

    One transfer per delivery attempt. The delivery is owned by its transfer
    from take to finish; a transfer that cannot start (URL refused, no Slack
    token, bad secret) is a failed attempt at once. Completed attempts wait
    in the done list until the next round with Redis, which records all of
    them in one script call and takes the deliveries now due in the same
    round trip (nt_store_round). Easy handles are reused (their options
    reset), and the multi handle keeps one connection per slot alive.  */
#include "nt_deliver.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include "nt_sign.h"
#include "nt_store.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

//  Response bytes kept (enough for Slack's JSON answer).
#define S_RESPONSE_MAX 65536
#define S_USER_AGENT   "rockit-edge/" EDGE_VERSION

typedef struct s_xfer s_xfer_t;

struct s_xfer {
    s_xfer_t *prev, *next;      //  in-flight list, or done list (next only)
    nt_deliver_t *owner;        //  engine (for the guard)
    nt_store_dlv_t *dlv;        //  the delivery attempted (owned)
    CURL *easy;                 //  transfer
    struct curl_slist *headers; //  request headers
    struct curl_slist *resolve; //  host:port:address pin
    bool is_slack;              //  Slack chat.postMessage
    bool is_refused;            //  the guard refused a connect address
    char *response;             //  first S_RESPONSE_MAX bytes of the answer
    size_t response_len;        //  bytes in response
    int64_t retry_after_ms;     //  Retry-After of the answer, or -1
    int64_t at_ms;              //  wall clock at start
    int64_t start_mono;         //  monotonic clock at start
    nt_store_result_t result;   //  outcome, once completed
    int64_t delay_ms;           //  NT_STORE_RETRY: the retry's delay
    char why[CURL_ERROR_SIZE + 320]; //  result.error's text
    char errbuf[CURL_ERROR_SIZE];
};

struct nt_deliver {
    edge_redis_t *redis;          //  borrowed
    const edge_urlguard_t *guard; //  borrowed
    nt_schedule_t schedule;       //  retry delays
    int64_t timeout_ms;           //  per attempt
    int64_t lease_ms;             //  timeout_ms + lease extra
    int concurrency;              //  in-flight limit
    char *slack_url;              //  <api>/chat.postMessage
    char *slack_token;            //  bot token or ""
    CURLM *multi;                 //  the multi handle
    s_xfer_t *xfers;              //  in-flight transfers
    size_t in_flight;             //  entries in xfers
    s_xfer_t *done;               //  completed, not recorded yet (a queue)
    s_xfer_t *done_tail;          //  its last entry
    size_t ndone;                 //  entries in done
    CURL **idle;                  //  easy handles to reuse
    size_t nidle;                 //  entries in idle (at most concurrency)
    int finished;                 //  attempts finished this run
    bool is_redis_failed;         //  a finish failed this run
    bool has_more_due;            //  the last take filled every free slot
                                  //  (or none was tried while attempts
                                  //  finished)
    nt_metrics_t *metrics;        //  borrowed, or NULL
};


nt_deliver_t *
nt_deliver_new (edge_redis_t *redis, const nt_deliver_opts_t *opts)
{
    edge_assert (redis && opts && opts->guard && opts->schedule);
    edge_assert (opts->concurrency > 0 && opts->timeout_ms > 0);
    nt_deliver_t *self = edge_calloc (1, sizeof *self);
    self->redis = redis;
    self->guard = opts->guard;
    self->schedule = *opts->schedule;
    self->timeout_ms = opts->timeout_ms;
    self->lease_ms = opts->timeout_ms + opts->lease_extra_ms;
    self->concurrency = opts->concurrency;
    const char *api = opts->slack_api_url ? opts->slack_api_url : "";
    size_t len = strlen (api);
    while (len > 0 && api[len - 1] == '/')
        len--;
    self->slack_url = edge_sprintf ("%.*s/chat.postMessage", (int) len, api);
    self->slack_token =
        edge_strdup (opts->slack_token ? opts->slack_token : "");
    self->multi = curl_multi_init ();
    edge_assert (self->multi);
    //  Keep-alive: one cached connection per slot (curl's default cache is
    //  sized by the easy handles present, which come and go here).
    curl_multi_setopt (self->multi, CURLMOPT_MAXCONNECTS,
                       (long) opts->concurrency);
    self->idle = edge_calloc ((size_t) opts->concurrency, sizeof (CURL *));
    return self;
}


static void
s_xfer_destroy (s_xfer_t **self_p)
{
    s_xfer_t *self = *self_p;
    if (!self)
        return;
    if (self->easy) {
        nt_deliver_t *owner = self->owner;
        curl_multi_remove_handle (owner->multi, self->easy);
        if (owner->nidle < (size_t) owner->concurrency) {
            curl_easy_reset (self->easy);
            owner->idle[owner->nidle++] = self->easy;
        }
        else
            curl_easy_cleanup (self->easy);
    }
    curl_slist_free_all (self->headers);
    curl_slist_free_all (self->resolve);
    nt_store_dlv_destroy (&self->dlv);
    free (self->response);
    free (self);
    *self_p = NULL;
}


static void
s_unlink (nt_deliver_t *self, s_xfer_t *xfer)
{
    if (xfer->prev)
        xfer->prev->next = xfer->next;
    else
        self->xfers = xfer->next;
    if (xfer->next)
        xfer->next->prev = xfer->prev;
    xfer->prev = xfer->next = NULL;
    self->in_flight--;
}


void
nt_deliver_destroy (nt_deliver_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nt_deliver_t *self = *self_p;
    if (self->in_flight || self->ndone)
        edge_info ("notifier: abandoning %zu attempts in flight and %zu not "
                   "recorded; they come due again after their lease",
                   self->in_flight, self->ndone);
    while (self->xfers) {
        s_xfer_t *xfer = self->xfers;
        s_unlink (self, xfer);
        s_xfer_destroy (&xfer);
    }
    while (self->done) {
        s_xfer_t *xfer = self->done;
        self->done = xfer->next;
        s_xfer_destroy (&xfer);
    }
    for (size_t i = 0; i < self->nidle; i++)
        curl_easy_cleanup (self->idle[i]);
    free (self->idle);
    curl_multi_cleanup (self->multi);
    free (self->slack_url);
    free (self->slack_token);
    free (self);
    *self_p = NULL;
}


bool
nt_deliver_has_work (const nt_deliver_t *self)
{
    edge_assert (self);
    return self->in_flight > 0 || self->ndone > 0 || self->has_more_due;
}


void
nt_deliver_set_metrics (nt_deliver_t *self, nt_metrics_t *metrics)
{
    edge_assert (self);
    self->metrics = metrics;
}


size_t
nt_deliver_in_flight (const nt_deliver_t *self)
{
    return self->in_flight;
}


//  xfer's attempt ended with outcome and error (copied): count it and
//  queue it to be recorded in the next round.
static void
s_settle (nt_deliver_t *self,
          s_xfer_t *xfer,
          nt_store_outcome_t outcome,
          int status_code,
          const char *error)
{
    nt_store_result_t *result = &xfer->result;
    result->outcome = outcome;
    result->status_code = status_code;
    if (error && error != xfer->why)
        snprintf (xfer->why, sizeof xfer->why, "%s", error);
    result->error = error ? xfer->why : NULL;
    result->at_ms = xfer->at_ms;
    int64_t now = edge_now_ms ();
    result->latency_ms = edge_mono_ms () - xfer->start_mono;
    if (result->outcome == NT_STORE_RETRY) {
        xfer->delay_ms = nt_schedule_next (&self->schedule, xfer->dlv->attempt,
                                           xfer->retry_after_ms);
        if (xfer->delay_ms < 0)
            result->outcome = NT_STORE_FAILED;
        result->next_at_ms = now + xfer->delay_ms;
    }
    nt_metrics_delivered (self->metrics, result->outcome, xfer->dlv->event_id,
                          now);
    xfer->prev = NULL;
    xfer->next = NULL;
    if (self->done_tail)
        self->done_tail->next = xfer;
    else
        self->done = xfer;
    self->done_tail = xfer;
    self->ndone++;
}


//  The one line per attempt, once recorded (rc as nt_store_finish).
static void
s_log (const s_xfer_t *xfer, int rc)
{
    const nt_store_dlv_t *dlv = xfer->dlv;
    const nt_store_result_t *result = &xfer->result;
    const char *outcome = nt_store_outcome_name (result->outcome);
    if (rc == 0)
        edge_info ("delivery %s attempt %lld (org %s, subscription %s): %s, "
                   "but the delivery was finished elsewhere",
                   dlv->id, (long long) dlv->attempt, dlv->org, dlv->sub,
                   outcome);
    else if (result->outcome == NT_STORE_SUCCEEDED)
        edge_info ("delivery %s attempt %lld (org %s, subscription %s): "
                   "succeeded, HTTP %d in %lld ms",
                   dlv->id, (long long) dlv->attempt, dlv->org, dlv->sub,
                   result->status_code, (long long) result->latency_ms);
    else if (result->outcome == NT_STORE_RETRY)
        edge_warn ("delivery %s attempt %lld (org %s, subscription %s): %s "
                   "after %lld ms; retry in %lld ms",
                   dlv->id, (long long) dlv->attempt, dlv->org, dlv->sub,
                   result->error, (long long) result->latency_ms,
                   (long long) xfer->delay_ms);
    else
        edge_warn ("delivery %s attempt %lld (org %s, subscription %s): %s "
                   "after %lld ms; %s",
                   dlv->id, (long long) dlv->attempt, dlv->org, dlv->sub,
                   result->error, (long long) result->latency_ms,
                   result->outcome == NT_STORE_DISABLED
                       ? "subscription disabled"
                       : "delivery failed for good");
}


//  An attempt that could not start: a failed attempt with error.
static void
s_fail_start (nt_deliver_t *self, s_xfer_t *xfer, const char *error)
{
    s_settle (self, xfer, NT_STORE_RETRY, 0, error);
}


//  Keep the first S_RESPONSE_MAX bytes of the answer, drop the rest.
static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    s_xfer_t *xfer = arg;
    size_t len = size * count;
    size_t room = S_RESPONSE_MAX - xfer->response_len;
    size_t take = len < room ? len : room;
    if (take > 0) {
        xfer->response =
            edge_realloc (xfer->response, xfer->response_len + take + 1);
        memcpy (xfer->response + xfer->response_len, data, take);
        xfer->response_len += take;
        xfer->response[xfer->response_len] = 0;
    }
    return len;
}


//  Watch for Retry-After in the final answer's headers.
static size_t
s_on_header (char *data, size_t size, size_t count, void *arg)
{
    s_xfer_t *xfer = arg;
    size_t len = size * count;
    static const char name[] = "retry-after:";
    if (len >= 5 && memcmp (data, "HTTP/", 5) == 0)
        xfer->retry_after_ms = -1; //  a new answer (after 1xx) starts
    else if (len > sizeof name - 1 && len < 200
             && strncasecmp (data, name, sizeof name - 1) == 0) {
        char value[200];
        memcpy (value, data + sizeof name - 1, len - (sizeof name - 1));
        value[len - (sizeof name - 1)] = 0;
        xfer->retry_after_ms = nt_schedule_retry_after (value, edge_now_ms ());
    }
    return len;
}


//  Refuse to connect anywhere the URL guard would refuse (defence in depth
//  behind the CURLOPT_RESOLVE pin).
static curl_socket_t
s_on_open_socket (void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    s_xfer_t *xfer = arg;
    (void) purpose;
    if (!edge_urlguard_addr_ok (xfer->owner->guard, &addr->addr)) {
        xfer->is_refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket (addr->family, addr->socktype, addr->protocol);
}


//  Check url with the guard and fill xfer->resolve with the pin. Returns 0,
//  or -1 with why set.
static int
s_guard (nt_deliver_t *self,
         s_xfer_t *xfer,
         const char *url,
         char *why,
         size_t whylen)
{
    edge_urlguard_target_t target;
    char reason[256];
    edge_err_t rc =
        edge_urlguard_check (self->guard, url, &target, reason, sizeof reason);
    if (rc == EDGE_ERR_URL_UNRESOLVED) {
        snprintf (why, whylen, "%s", reason);
        return -1;
    }
    if (rc != EDGE_ERR_OK) {
        snprintf (why, whylen, "refused by URL guard: %s", reason);
        return -1;
    }
    unsigned char bytes[16];
    bool is_numeric = inet_pton (AF_INET, target.host, bytes) == 1
                      || inet_pton (AF_INET6, target.host, bytes) == 1;
    if (!is_numeric) {
        bool is_v6 = strchr (target.address, ':') != NULL;
        char pin[400];
        snprintf (pin, sizeof pin, is_v6 ? "%s:%d:[%s]" : "%s:%d:%s",
                  target.host, target.port, target.address);
        xfer->resolve = curl_slist_append (NULL, pin);
        edge_assert (xfer->resolve);
    }
    return 0;
}


static void
s_add_header (s_xfer_t *xfer, const char *name, const char *value)
{
    char *line = edge_sprintf ("%s: %s", name, value);
    struct curl_slist *list = curl_slist_append (xfer->headers, line);
    edge_assert (list);
    xfer->headers = list;
    free (line);
}


//  Add the headers of a webhook (signed) or a Slack call. Returns 0, or -1
//  with why set.
static int
s_headers (nt_deliver_t *self, s_xfer_t *xfer, char *why, size_t whylen)
{
    s_add_header (xfer, "content-type", "application/json");
    s_add_header (xfer, "user-agent", S_USER_AGENT);
    xfer->headers = curl_slist_append (xfer->headers, "Expect:");
    if (xfer->is_slack) {
        char *auth = edge_sprintf ("Bearer %s", self->slack_token);
        s_add_header (xfer, "authorization", auth);
        free (auth);
        return 0;
    }
    const nt_store_dlv_t *dlv = xfer->dlv;
    unsigned char *key = NULL;
    size_t keylen = 0;
    if (nt_sign_key (dlv->secret, &key, &keylen)) {
        snprintf (why, whylen, "the subscription secret is malformed");
        return -1;
    }
    nt_sign_t sign;
    nt_sign_init (&sign, key, keylen, dlv->sub, dlv->id, edge_now_ms () / 1000,
                  dlv->body, dlv->body_len);
    free (key);
    s_add_header (xfer, "x-rockit-subscriptions", sign.jwt);
    s_add_header (xfer, "webhook-id", sign.id);
    s_add_header (xfer, "webhook-timestamp", sign.timestamp);
    s_add_header (xfer, "webhook-signature", sign.signature);
    nt_sign_fini (&sign);
    return 0;
}


//  Set up the curl handle of xfer for url.
static void
s_easy (nt_deliver_t *self, s_xfer_t *xfer, const char *url)
{
    CURL *easy =
        self->nidle > 0 ? self->idle[--self->nidle] : curl_easy_init ();
    edge_assert (easy);
    xfer->easy = easy;
    curl_easy_setopt (easy, CURLOPT_URL, url);
    curl_easy_setopt (easy, CURLOPT_PRIVATE, xfer);
    curl_easy_setopt (easy, CURLOPT_POST, 1L);
    curl_easy_setopt (easy, CURLOPT_POSTFIELDS, xfer->dlv->body);
    curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE,
                      (curl_off_t) xfer->dlv->body_len);
    curl_easy_setopt (easy, CURLOPT_HTTPHEADER, xfer->headers);
    curl_easy_setopt (easy, CURLOPT_RESOLVE, xfer->resolve);
    curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (easy, CURLOPT_PROXY, "");
    curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
    curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, xfer->errbuf);
    curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (easy, CURLOPT_WRITEDATA, xfer);
    curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (easy, CURLOPT_HEADERDATA, xfer);
    curl_easy_setopt (easy, CURLOPT_OPENSOCKETFUNCTION, s_on_open_socket);
    curl_easy_setopt (easy, CURLOPT_OPENSOCKETDATA, xfer);
}


//  Start an attempt of dlv (taken over). Finishes it at once when it cannot
//  start.
static void
s_start (nt_deliver_t *self, nt_store_dlv_t *dlv)
{
    s_xfer_t *xfer = edge_calloc (1, sizeof *xfer);
    xfer->owner = self;
    xfer->dlv = dlv;
    xfer->retry_after_ms = -1;
    xfer->at_ms = edge_now_ms ();
    xfer->start_mono = edge_mono_ms ();
    xfer->is_slack = !*dlv->url;
    const char *url = xfer->is_slack ? self->slack_url : dlv->url;
    char why[320];
    if (xfer->is_slack && !*dlv->slack_channel) {
        s_fail_start (self, xfer, "the subscription has no url or channel");
        return;
    }
    if (xfer->is_slack && !*self->slack_token) {
        s_fail_start (self, xfer, "EDGE_SLACK_TOKEN is not set");
        return;
    }
    if (s_guard (self, xfer, url, why, sizeof why)
        || s_headers (self, xfer, why, sizeof why)) {
        s_fail_start (self, xfer, why);
        return;
    }
    s_easy (self, xfer, url);
    CURLMcode rc = curl_multi_add_handle (self->multi, xfer->easy);
    if (rc != CURLM_OK) {
        s_fail_start (self, xfer, curl_multi_strerror (rc));
        return;
    }
    xfer->next = self->xfers;
    if (self->xfers)
        self->xfers->prev = xfer;
    self->xfers = xfer;
    self->in_flight++;
}


//  Slack answers 200 with {"ok": false, "error": "..."} on failure. Returns
//  NULL when the answer says ok, else the reason (written into why).
static const char *
s_slack_refusal (const s_xfer_t *xfer, char *why, size_t whylen)
{
    json_t *answer = xfer->response ? json_loadb (xfer->response,
                                                  xfer->response_len, 0, NULL)
                                    : NULL;
    const char *reason = NULL;
    if (!json_is_object (answer))
        reason = "Slack answered without a JSON object";
    else if (!json_is_true (json_object_get (answer, "ok"))) {
        json_t *error = json_object_get (answer, "error");
        snprintf (why, whylen, "Slack answered ok:false (%.100s)",
                  json_is_string (error) ? json_string_value (error) : "?");
        reason = why;
    }
    json_decref (answer);
    return reason;
}


//  Classify a completed transfer and queue it to be recorded.
static void
s_complete (nt_deliver_t *self, s_xfer_t *xfer, CURLcode code)
{
    char *why = xfer->why;
    size_t whylen = sizeof xfer->why;
    long status = 0;
    curl_easy_getinfo (xfer->easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK && xfer->is_refused)
        snprintf (why, whylen,
                  "refused by URL guard: the connection "
                  "went to a refused address");
    else if (code == CURLE_OPERATION_TIMEDOUT)
        snprintf (why, whylen, "no answer within %lld ms",
                  (long long) self->timeout_ms);
    else if (code != CURLE_OK)
        snprintf (why, whylen, "%s",
                  *xfer->errbuf ? xfer->errbuf : curl_easy_strerror (code));
    else if (status >= 200 && status < 300) {
        const char *refusal =
            xfer->is_slack ? s_slack_refusal (xfer, why, whylen) : NULL;
        if (refusal && refusal != why)
            snprintf (why, whylen, "%s", refusal);
        s_settle (self, xfer, refusal ? NT_STORE_RETRY : NT_STORE_SUCCEEDED,
                  (int) status, refusal ? why : NULL);
        return;
    }
    else {
        snprintf (why, whylen, "HTTP %ld%s", status,
                  status == 410 ? " Gone" : "");
        s_settle (self, xfer,
                  status == 410 ? NT_STORE_DISABLED : NT_STORE_RETRY,
                  (int) status, why);
        return;
    }
    s_settle (self, xfer, NT_STORE_RETRY, 0, why);
}


//  Queue every transfer that completed.
static void
s_reap (nt_deliver_t *self)
{
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read (self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        char *private = NULL;
        curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, &private);
        s_xfer_t *xfer = (s_xfer_t *) private;
        edge_assert (xfer);
        CURLcode code = msg->data.result; //  msg dies with remove_handle
        s_unlink (self, xfer);
        s_complete (self, xfer, code);
    }
}


//  One round trip with Redis: record the done attempts (one line each) and,
//  when is_taking, take due deliveries up to the free slots and start them.
static void
s_round (nt_deliver_t *self, bool is_taking)
{
    int free_slots = self->concurrency - (int) self->in_flight;
    size_t count = self->ndone;
    if (count == 0 && (!is_taking || free_slots <= 0))
        return;
    s_xfer_t **done = edge_calloc (count ? count : 1, sizeof (s_xfer_t *));
    const nt_store_dlv_t **dlvs =
        edge_calloc (count ? count : 1, sizeof (nt_store_dlv_t *));
    nt_store_result_t *results =
        edge_calloc (count ? count : 1, sizeof (nt_store_result_t));
    int *rcs = edge_calloc (count ? count : 1, sizeof (int));
    size_t i = 0;
    for (s_xfer_t *xfer = self->done; xfer; xfer = xfer->next, i++) {
        done[i] = xfer;
        dlvs[i] = xfer->dlv;
        results[i] = xfer->result;
    }
    self->done = self->done_tail = NULL;
    self->ndone = 0;
    int64_t now = edge_now_ms ();
    nt_store_round_t round = {
        dlvs,  results,
        count, is_taking && free_slots > 0 ? free_slots : 0,
        now,   now + self->lease_ms,
        rcs,   NULL,
        0};
    if (nt_store_round (self->redis, &round))
        self->is_redis_failed = true; //  logged; leases bring them back
    for (i = 0; i < count; i++) {
        if (rcs[i] >= 0)
            s_log (done[i], rcs[i]);
        s_xfer_destroy (&done[i]);
    }
    self->finished += (int) count;
    for (i = 0; i < round.ntaken; i++)
        s_start (self, round.taken[i]);
    free (round.taken);
    if (is_taking)
        self->has_more_due =
            free_slots <= 0 || (int) round.ntaken == free_slots;
    else if (count > 0)
        self->has_more_due = true; //  their chains' next may be due now
    free (rcs);
    free (results);
    free (dlvs);
    free (done);
}


int
nt_deliver_run (nt_deliver_t *self, int wait_ms, bool is_taking)
{
    edge_assert (self);
    self->finished = 0;
    self->is_redis_failed = false;
    int running = 0;
    curl_multi_perform (self->multi, &running);
    s_reap (self);
    if (self->ndone == 0 && self->in_flight > 0 && wait_ms > 0) {
        curl_multi_poll (self->multi, NULL, 0, wait_ms, NULL);
        curl_multi_perform (self->multi, &running);
        s_reap (self);
    }
    s_round (self, is_taking);
    if (self->in_flight > 0) //  send the requests just started
        curl_multi_perform (self->multi, &running);
    return self->is_redis_failed ? -1 : self->finished;
}
