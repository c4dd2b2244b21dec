/*  wk_dltar - the dltar task handler: a build tar from an http(s) URL into
    the store, through a resumable scratch file (see wk_dltar.h).  */
#include "wk_dltar.h"
#include "wk_depot.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_store.h"
#include "edge_task.h"
#include "edge_urlguard.h"
#include "edge_util.h"
#include "wk_metrics.h"
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_POLL_MS     100
#define S_RESTART_MAX 2
#define S_VALIDATOR   256

//  What one transfer step ended with.
typedef enum {
    S_DONE,     //  the file is complete
    S_REDIRECT, //  follow dl->location
    S_RESTART,  //  the range answer did not fit: start over from 0
    S_FAILED,   //  job->message and job->exception are set
    S_CANCELLED //  the job was cancelled
} s_step_t;

//  One download: the scratch file and the state of the current response.
typedef struct {
    wk_job_t *job;
    const char *url;            //  the task's URL (borrowed from params)
    char *part_path;            //  <data_dir>/dltar/<task>.part
    char *meta_path;            //  <data_dir>/dltar/<task>.meta
    FILE *file;                 //  the .part file, open for update
    int64_t offset;             //  where the current request starts
    int64_t received;           //  bytes in the file
    int64_t total;              //  expected file size, 0 when unknown
    int64_t expected;           //  the task's size parameter, -1 when none
    int64_t progress_at;        //  monotonic ms of the last progress record
    char *location;             //  redirect target of the last answer
    char if_range[S_VALIDATOR]; //  validator sent with a range request
    bool is_broken;             //  a transfer broke off: the file is resumable
    //  The current response
    long status;         //  HTTP status (0 before an answer)
    bool is_body;        //  body goes to the file
    bool is_restart;     //  abort: start over without a range
    bool has_ranges;     //  Accept-Ranges: bytes
    int64_t length;      //  Content-Length, -1 when absent
    int64_t range_start; //  Content-Range start, -1 when absent
    int64_t range_total; //  Content-Range total, -1 when absent or '*'
    char etag[S_VALIDATOR];
    char modified[S_VALIDATOR];
} s_dl_t;


//  mkdir -p path (mode 0700 for new directories). Returns 0 or -1.
static int
s_mkdirs (const char *path)
{
    char *copy = edge_strdup (path);
    int rc = 0;
    for (char *p = copy + 1; rc == 0; p++) {
        bool is_end = *p == 0;
        if (*p != '/' && !is_end)
            continue;
        *p = 0;
        if (mkdir (copy, 0700) != 0 && errno != EEXIST)
            rc = -1;
        if (is_end)
            break;
        *p = '/';
    }
    free (copy);
    return rc;
}


//  Set job->exception to {"httpDownloadFailed": {url, httpStatus,
//  exitCode, sizeBytes}}, plus sizeBytesActual/sizeBytesExpected when
//  expected >= 0 and the transfer itself went well (a size mismatch).
static void
s_exception (wk_job_t *job,
             const char *url,
             long status,
             int code,
             int64_t received,
             int64_t expected)
{
    json_t *fields = json_object ();
    json_object_set_new (fields, "url", json_string (url));
    json_object_set_new (fields, "httpStatus", json_integer (status));
    json_object_set_new (fields, "exitCode", json_integer (code));
    json_object_set_new (fields, "sizeBytes", json_integer (received));
    if (expected >= 0 && code == CURLE_OK) {
        json_object_set_new (fields, "sizeBytesActual",
                             json_integer (received));
        json_object_set_new (fields, "sizeBytesExpected",
                             json_integer (expected));
    }
    json_t *exception = json_pack ("{s:o}", "httpDownloadFailed", fields);
    free (job->exception);
    job->exception = json_dumps (exception, JSON_COMPACT);
    json_decref (exception);
}


//  Fill job->message and the httpDownloadFailed exception. Returns S_FAILED.
static s_step_t s_fail (s_dl_t *dl, long status, int code, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static s_step_t
s_fail (s_dl_t *dl, long status, int code, const char *fmt, ...)
{
    char why[512];
    va_list args;
    va_start (args, fmt);
    vsnprintf (why, sizeof why, fmt, args);
    va_end (args);
    s_exception (dl->job, dl->url, status, code, dl->received, dl->expected);
    wk_job_fail (dl->job, "download failed: %s", why);
    edge_warn ("task %s: download failed: %s", dl->job->name, why);
    return S_FAILED;
}


//  Record progress when progress_ms passed since the last record (or
//  always when is_final). A refused record (lease lost) only logs.
static void
s_progress (s_dl_t *dl, bool is_final)
{
    int64_t now = edge_mono_ms ();
    if (!dl->job->redis
        || (!is_final && now - dl->progress_at < dl->job->env->progress_ms))
        return;
    dl->progress_at = now;
    int64_t total = dl->total > 0 ? dl->total : 0;
    if (edge_task_progress (dl->job->redis, dl->job->name, dl->job->worker,
                            dl->job->attempt, dl->received, total)
        != EDGE_ERR_OK)
        edge_debug ("task %s: progress not recorded", dl->job->name);
}


//  The saved validators of an earlier attempt: true when they are for url
//  and allow a range request (Accept-Ranges: bytes or an ETag).
static bool
s_meta_load (s_dl_t *dl)
{
    json_t *meta = json_load_file (dl->meta_path, 0, NULL);
    const char *url = json_string_value (json_object_get (meta, "url"));
    const char *etag = json_string_value (json_object_get (meta, "etag"));
    const char *modified =
        json_string_value (json_object_get (meta, "lastModified"));
    bool is_ok =
        url && strcmp (url, dl->url) == 0 && etag && modified
        && (json_is_true (json_object_get (meta, "acceptRanges")) || etag[0]);
    //  A weak ETag cannot validate a range (RFC 9110 13.1.5)
    if (is_ok)
        snprintf (dl->if_range, sizeof dl->if_range, "%s",
                  etag[0] && strncmp (etag, "W/", 2) != 0 ? etag : modified);
    json_decref (meta);
    return is_ok;
}


//  Save the validators of a fresh (200) answer before its body arrives,
//  atomically, so a worker that dies mid-body leaves them behind.
static void
s_meta_save (s_dl_t *dl)
{
    json_t *meta = json_pack ("{s:s, s:s, s:s, s:b}", "url", dl->url, "etag",
                              dl->etag, "lastModified", dl->modified,
                              "acceptRanges", dl->has_ranges);
    char *tmp = edge_sprintf ("%s.tmp", dl->meta_path);
    if (json_dump_file (meta, tmp, JSON_COMPACT) != 0
        || rename (tmp, dl->meta_path) != 0) {
        edge_warn ("task %s: cannot save %s: %s", dl->job->name, dl->meta_path,
                   strerror (errno));
        unlink (tmp);
    }
    free (tmp);
    json_decref (meta);
}


//  Empty the scratch file: the next bytes start the file.
static int
s_truncate (s_dl_t *dl)
{
    dl->offset = dl->received = 0;
    if (fflush (dl->file) != 0 || ftruncate (fileno (dl->file), 0) != 0
        || fseek (dl->file, 0, SEEK_SET) != 0)
        return -1;
    return 0;
}


//  Copy a header value (trimmed) into buf.
static void
s_header_value (const char *value, size_t len, char *buf, size_t size)
{
    while (len && (*value == ' ' || *value == '\t'))
        value++, len--;
    while (len
           && (value[len - 1] == '\r' || value[len - 1] == '\n'
               || value[len - 1] == ' '))
        len--;
    snprintf (buf, size, "%.*s", (int) len, value);
}


//  All headers of an answer are in: decide where its body goes. Returns
//  false to abort the transfer.
static bool
s_headers_done (s_dl_t *dl)
{
    if (dl->status == 200) {
        if (dl->offset > 0)
            edge_info ("task %s: range answered with 200, starting over",
                       dl->job->name);
        if (s_truncate (dl) != 0)
            return false;
        s_meta_save (dl);
        dl->total = dl->length >= 0 ? dl->length : 0;
        dl->is_body = true;
    }
    else if (dl->status == 206) {
        if (dl->offset == 0 || dl->range_start != dl->offset) {
            dl->is_restart = true;
            return false;
        }
        dl->total = dl->range_total >= 0 ? dl->range_total
                    : dl->length >= 0    ? dl->offset + dl->length
                                         : 0;
        dl->is_body = true;
    }
    if (dl->total == 0 && dl->expected > 0)
        dl->total = dl->expected;
    return true;
}


//  libcurl header callback: one header line at a time.
static size_t
s_on_header (char *line, size_t size, size_t count, void *arg)
{
    s_dl_t *dl = (s_dl_t *) arg;
    size_t len = size * count;
    char value[S_VALIDATOR];
    if (len >= 5 && strncmp (line, "HTTP/", 5) == 0) {
        const char *space = memchr (line, ' ', len);
        dl->status = space ? strtol (space + 1, NULL, 10) : 0;
        dl->is_body = dl->has_ranges = false;
        dl->length = dl->range_start = dl->range_total = -1;
        dl->etag[0] = dl->modified[0] = 0;
    }
    else if (len <= 2 && (line[0] == '\r' || line[0] == '\n'))
        return s_headers_done (dl) ? len : 0;
    else if (len > 14 && strncasecmp (line, "accept-ranges:", 14) == 0) {
        s_header_value (line + 14, len - 14, value, sizeof value);
        dl->has_ranges = strcasecmp (value, "bytes") == 0;
    }
    else if (len > 5 && strncasecmp (line, "etag:", 5) == 0)
        s_header_value (line + 5, len - 5, dl->etag, sizeof dl->etag);
    else if (len > 14 && strncasecmp (line, "last-modified:", 14) == 0)
        s_header_value (line + 14, len - 14, dl->modified, sizeof dl->modified);
    else if (len > 15 && strncasecmp (line, "content-length:", 15) == 0) {
        s_header_value (line + 15, len - 15, value, sizeof value);
        dl->length = strtoll (value, NULL, 10);
    }
    else if (len > 14 && strncasecmp (line, "content-range:", 14) == 0) {
        s_header_value (line + 14, len - 14, value, sizeof value);
        long long start, end, total;
        if (sscanf (value, "bytes %lld-%lld/%lld", &start, &end, &total) == 3)
            dl->range_total = total;
        if (sscanf (value, "bytes %lld-%lld", &start, &end) == 2)
            dl->range_start = start;
    }
    return len;
}


//  libcurl write callback: the body of a 200/206 goes to the file; other
//  bodies (errors, redirects) are dropped.
static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    s_dl_t *dl = (s_dl_t *) arg;
    size_t len = size * count;
    if (!dl->is_body)
        return len;
    size_t written = fwrite (data, 1, len, dl->file);
    dl->received += (int64_t) written;
    wk_metrics_downloaded (written);
    return written;
}


//  Set up the easy handle for one request to url, pinned to target.
static CURL *
s_easy (s_dl_t *dl,
        const char *url,
        const edge_urlguard_target_t *target,
        struct curl_slist **resolve,
        struct curl_slist **headers)
{
    CURL *easy = curl_easy_init ();
    edge_assert (easy);
    bool is_v6 = strchr (target->address, ':') != NULL;
    char *pin =
        edge_sprintf ("%s:%d:%s%s%s", target->host, target->port,
                      is_v6 ? "[" : "", target->address, is_v6 ? "]" : "");
    *resolve = curl_slist_append (NULL, pin);
    free (pin);
    if (dl->offset > 0) {
        char *range =
            edge_sprintf ("Range: bytes=%lld-", (long long) dl->offset);
        *headers = curl_slist_append (*headers, range);
        free (range);
        if (dl->if_range[0]) {
            char *if_range = edge_sprintf ("If-Range: %s", dl->if_range);
            *headers = curl_slist_append (*headers, if_range);
            free (if_range);
        }
    }
    curl_easy_setopt (easy, CURLOPT_URL, url);
    curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt (easy, CURLOPT_RESOLVE, *resolve);
    curl_easy_setopt (easy, CURLOPT_PROXY, "");
    curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (easy, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt (easy, CURLOPT_USERAGENT, "rockit-edge/" EDGE_VERSION);
    curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS,
                      (long) dl->job->env->connect_timeout_ms);
    curl_easy_setopt (easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt (easy, CURLOPT_LOW_SPEED_TIME,
                      (long) (dl->job->env->stall_timeout_ms + 999) / 1000);
    curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (easy, CURLOPT_HEADERDATA, dl);
    curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (easy, CURLOPT_WRITEDATA, dl);
    return easy;
}


//  Drive easy until it ends or the job is cancelled (checked every
//  S_POLL_MS), recording progress. Returns the transfer's CURLcode, or -1
//  when cancelled.
static int
s_perform (s_dl_t *dl, CURL *easy)
{
    CURLM *multi = curl_multi_init ();
    edge_assert (multi);
    curl_multi_add_handle (multi, easy);
    int running = 1, rc = CURLE_OK;
    while (running) {
        if (curl_multi_perform (multi, &running) != CURLM_OK) {
            rc = CURLE_FAILED_INIT;
            break;
        }
        if (!running)
            break;
        s_progress (dl, false);
        if (wk_job_is_cancelled (dl->job)) {
            rc = -1;
            break;
        }
        curl_multi_poll (multi, NULL, 0, S_POLL_MS, NULL);
    }
    CURLMsg *msg;
    int left;
    while (rc == CURLE_OK && (msg = curl_multi_info_read (multi, &left)))
        if (msg->msg == CURLMSG_DONE)
            rc = (int) msg->data.result;
    curl_multi_remove_handle (multi, easy);
    curl_multi_cleanup (multi);
    return rc;
}


//  One request to url (already checked and pinned to target).
static s_step_t
s_request (s_dl_t *dl, const char *url, const edge_urlguard_target_t *target)
{
    struct curl_slist *resolve = NULL, *headers = NULL;
    CURL *easy = s_easy (dl, url, target, &resolve, &headers);
    dl->status = 0;
    dl->is_body = dl->is_restart = false;
    int rc = s_perform (dl, easy);
    s_step_t step;
    const char *location = NULL;
    if (rc == -1)
        step = S_CANCELLED;
    else if (dl->is_restart || (dl->status == 416 && dl->offset > 0))
        step = S_RESTART;
    else if (rc != CURLE_OK) {
        dl->is_broken = dl->received > 0;
        step = s_fail (dl, dl->status, rc, "%s", curl_easy_strerror (rc));
    }
    else if (dl->status == 200 || dl->status == 206)
        step = S_DONE;
    else if (dl->status >= 300 && dl->status < 400
             && curl_easy_getinfo (easy, CURLINFO_REDIRECT_URL, &location)
                    == CURLE_OK
             && location) {
        free (dl->location);
        dl->location = edge_strdup (location);
        step = S_REDIRECT;
    }
    else
        step = s_fail (dl, dl->status, CURLE_HTTP_RETURNED_ERROR,
                       "the server answered HTTP %ld", dl->status);
    curl_easy_cleanup (easy);
    curl_slist_free_all (resolve);
    curl_slist_free_all (headers);
    return step;
}


//  The CURLcode reported for a URL the guard refused (see the header).
static int
s_guard_code (edge_err_t result)
{
    switch (result) {
        case EDGE_ERR_URL_BAD:
            return CURLE_URL_MALFORMAT;
        case EDGE_ERR_URL_SCHEME:
            return CURLE_UNSUPPORTED_PROTOCOL;
        case EDGE_ERR_URL_UNRESOLVED:
            return CURLE_COULDNT_RESOLVE_HOST;
        default:
            return CURLE_COULDNT_CONNECT;
    }
}


//  Fetch dl->url into the file from dl->offset, following redirects by
//  hand with the guard on every hop.
static s_step_t
s_fetch (s_dl_t *dl)
{
    char *url = edge_strdup (dl->url);
    s_step_t step = S_FAILED;
    long status = 0;
    for (int hop = 0;; hop++) {
        edge_urlguard_target_t target;
        char why[256] = "";
        edge_err_t checked = edge_urlguard_check (dl->job->env->url_guard, url,
                                                  &target, why, sizeof why);
        if (checked != EDGE_ERR_OK) {
            step = s_fail (dl, 0, s_guard_code (checked),
                           "refused by the URL guard%s: %s",
                           hop ? " after a redirect" : "", why);
            break;
        }
        edge_debug ("task %s: GET from %s:%d (%s), hop %d", dl->job->name,
                    target.host, target.port, target.address, hop);
        step = s_request (dl, url, &target);
        status = dl->status;
        if (step != S_REDIRECT)
            break;
        if (hop == WK_DLTAR_MAX_REDIRECTS) {
            step = s_fail (dl, status, CURLE_TOO_MANY_REDIRECTS,
                           "more than %d redirects", WK_DLTAR_MAX_REDIRECTS);
            break;
        }
        free (url);
        url = edge_strdup (dl->location);
    }
    free (url);
    return step;
}


//  Open the scratch file, resuming it when an earlier attempt left one the
//  server can continue. Returns 0 or -1 (job failed).
static int
s_open (s_dl_t *dl)
{
    char *dir = edge_sprintf ("%s/dltar", dl->job->env->data_dir);
    int rc = s_mkdirs (dir);
    free (dir);
    struct stat st;
    bool is_resumable = rc == 0 && stat (dl->part_path, &st) == 0
                        && st.st_size > 0 && s_meta_load (dl);
    if (rc == 0)
        dl->file = fopen (dl->part_path, is_resumable ? "r+b" : "w+b");
    if (!dl->file || fseek (dl->file, 0, SEEK_END) != 0) {
        wk_job_fail (dl->job, "dltar: cannot open scratch file %s: %s",
                     dl->part_path, strerror (errno));
        return -1;
    }
    dl->offset = dl->received = is_resumable ? (int64_t) ftell (dl->file) : 0;
    if (is_resumable)
        edge_info ("task %s: resuming download at byte %lld", dl->job->name,
                   (long long) dl->offset);
    return 0;
}


//  Download into the scratch file, starting over when a range answer does
//  not fit, and check the size.
static s_step_t
s_download (s_dl_t *dl)
{
    s_step_t step = S_RESTART;
    for (int i = 0; step == S_RESTART && i <= S_RESTART_MAX; i++) {
        if (i > 0) {
            edge_info ("task %s: cannot resume, starting over", dl->job->name);
            dl->if_range[0] = 0;
            if (s_truncate (dl) != 0)
                return s_fail (dl, 0, CURLE_WRITE_ERROR, "cannot truncate %s",
                               dl->part_path);
        }
        step = s_fetch (dl);
    }
    if (step == S_RESTART)
        return s_fail (dl, dl->status, CURLE_RANGE_ERROR,
                       "the server kept refusing the range");
    if (step != S_DONE)
        return step;
    if (fflush (dl->file) != 0)
        return s_fail (dl, dl->status, CURLE_WRITE_ERROR, "cannot write %s",
                       dl->part_path);
    if (dl->expected >= 0 && dl->received != dl->expected)
        return s_fail (dl, dl->status, CURLE_OK,
                       "size mismatch: sizeBytesActual %lld, "
                       "sizeBytesExpected %lld",
                       (long long) dl->received, (long long) dl->expected);
    return S_DONE;
}


//  Put the scratch file into the store at key. Returns 0 or -1 (failed).
static int
s_store (s_dl_t *dl, edge_store_t *store, const char *key)
{
    int rc = edge_store_put_file_move (store, key, dl->part_path);
    if (rc != 0)
        wk_job_fail (dl->job, "dltar: cannot store %s: %s", key,
                     edge_store_errstr (store));
    return rc;
}


//  The parameters of a job (borrowed from its params).
typedef struct {
    const char *app;
    const char *build;
    const char *url; //  NULL in upload mode
    bool is_upload;
    int64_t expected; //  the size parameter, -1 when none
    char *key;        //  the tar's store key (owned)
} s_params_t;

static const char s_bad_params[] =
    "dltar: \"appName\" (name), \"buildName\" and either \"url\" (string) "
    "or \"upload\": true are required";

//  The checks a row can say; s_params does the rest.
static const wk_task_param_t s_param_rows[] = {
    {{"appName", EDGE_JSON_NAME, true, 0, 0, false}, s_bad_params},
    {{"upload", EDGE_JSON_BOOL, false, 0, 0, false}, s_bad_params},
    {{"size", EDGE_JSON_INT, false, 0, INT64_MAX, true},
     "dltar: \"size\" must be a non-negative integer"},
};


//  Check what the parameter rows cannot and fill p (p->key: tarKey, or
//  the old builds/<org>/<app>/<build>.tar). Returns 0, or -1 with the job
//  failed.
static int
s_params (wk_job_t *job, s_params_t *p)
{
    p->app = edge_json_str (job->params, "appName", NULL);
    p->build = edge_json_str (job->params, "buildName", NULL);
    p->url = edge_json_str (job->params, "url", NULL);
    p->is_upload = edge_json_bool (job->params, "upload", false);
    p->expected = edge_json_int (job->params, "size", -1);
    if (!edge_build_name_is_valid (p->build)
        || p->is_upload == (p->url != NULL)) {
        wk_job_fail (job, "%s", s_bad_params);
        return -1;
    }
    if (!job->org || !edge_name_is_valid (job->org)
        || !edge_request_id_is_valid (job->name)) {
        wk_job_fail (job, "dltar: the task needs an organization and a name");
        return -1;
    }
    json_t *tar_key = json_object_get (job->params, "tarKey");
    char *base = edge_sprintf ("builds/%s/%s/", job->org, p->app);
    const char *key = json_string_value (tar_key);
    if (tar_key
        && (!key || strncmp (key, base, strlen (base)) != 0
            || !edge_store_key_is_valid (key))) {
        wk_job_fail (job, "dltar: \"tarKey\" must be a store key under %s",
                     base);
        free (base);
        return -1;
    }
    p->key =
        key ? edge_strdup (key) : edge_sprintf ("%s%s.tar", base, p->build);
    free (base);
    return 0;
}


//  Remove the scratch files.
static void
s_remove (s_dl_t *dl)
{
    unlink (dl->part_path);
    unlink (dl->meta_path);
}


//  Ask for the next step of the import: mkraw of the stored tar.
static void
s_next (wk_job_t *job, const s_params_t *p)
{
    json_t *params =
        json_pack ("{s:s, s:s, s:s, s:s}", "appName", p->app, "buildName",
                   p->build, "tarKey", p->key, "mode", "build");
    job->next_type = edge_strdup ("mkraw");
    job->next_params = json_dumps (params, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (params);
}


//  Record the result, size bytes at p->key, and ask for mkraw: in upload
//  mode {"key","sizeBytes","upload":true}, else {"key","sizeBytes","url",
//  "httpStatus"} (status: the download's; 200 for a tar an earlier
//  attempt stored before it died). Returns WK_JOB_DONE.
static wk_job_rc_t
s_succeed (wk_job_t *job, const s_params_t *p, int64_t size, long status)
{
    json_t *result =
        p->is_upload ? json_pack ("{s:s, s:I, s:b}", "key", p->key, "sizeBytes",
                                  (json_int_t) size, "upload", 1)
                     : json_pack ("{s:s, s:I, s:s, s:i}", "key", p->key,
                                  "sizeBytes", (json_int_t) size, "url", p->url,
                                  "httpStatus", (int) status);
    job->result = json_dumps (result, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (result);
    s_next (job, p);
    return WK_JOB_DONE;
}


//  What the depot holds at the tar's key.
typedef enum {
    S_TAR_NONE,  //  nothing (usable): download it
    S_TAR_DONE,  //  the tar is there: the job succeeded
    S_TAR_FAILED //  the job failed
} s_tar_t;


//  Look for the tar at p->key before any transfer. It can only be complete
//  (a download or an upload is renamed into place). A tar of the wrong
//  size is deleted: in upload mode the import failed for good (same
//  exception as a download's mismatch, url ""); in download mode it is
//  downloaded again (and replaced, if it could not be deleted). Without
//  it, upload mode fails.
static s_tar_t
s_check_stored (wk_job_t *job, const s_params_t *p, edge_store_t *store)
{
    bool exists = false;
    uint64_t size = 0;
    if (edge_store_head (store, p->key, &exists, &size) != 0) {
        wk_job_fail (job, "dltar: cannot read %s in the depot: %s", p->key,
                     edge_store_errstr (store));
        return S_TAR_FAILED;
    }
    if (exists && (p->expected < 0 || (int64_t) size == p->expected)) {
        s_succeed (job, p, (int64_t) size, 200);
        if (job->redis)
            edge_task_progress (job->redis, job->name, job->worker,
                                job->attempt, (int64_t) size, (int64_t) size);
        edge_info ("task %s: %s %s found in the depot (%llu bytes)", job->name,
                   p->is_upload ? "upload" : "tar", p->key,
                   (unsigned long long) size);
        return S_TAR_DONE;
    }
    if (!exists && !p->is_upload)
        return S_TAR_NONE;
    if (!exists) {
        wk_job_fail (job,
                     "dltar: the upload is not in the depot (%s): it was "
                     "never committed, or was deleted",
                     p->key);
        return S_TAR_FAILED;
    }
    if (p->is_upload) {
        s_exception (job, "", 0, CURLE_OK, (int64_t) size, p->expected);
        wk_job_fail (job,
                     "upload rejected: size mismatch: sizeBytesActual "
                     "%lld, sizeBytesExpected %lld",
                     (long long) size, (long long) p->expected);
    }
    bool is_deleted = edge_store_delete (store, p->key) == 0;
    edge_warn ("task %s: %s has %llu bytes, %lld expected: %s%s; %s", job->name,
               p->key, (unsigned long long) size, (long long) p->expected,
               is_deleted ? "deleted" : "not deleted: ",
               is_deleted ? "" : edge_store_errstr (store),
               p->is_upload ? "upload rejected" : "downloading it again");
    if (!p->is_upload)
        return S_TAR_NONE; //  the download replaces it anyway
    return S_TAR_FAILED;
}


static wk_job_rc_t
s_run (wk_job_t *job)
{
    edge_assert (job && job->params && job->env);
    s_params_t p = {0};
    s_dl_t dl = {.job = job};
    edge_store_t *store = NULL;
    wk_job_rc_t rc = WK_JOB_FAILED;
    if (s_params (job, &p) != 0)
        goto cleanup;
    store = wk_depot_store (job->env);
    if (!store) {
        wk_job_fail (job, "dltar: cannot open the depot");
        goto cleanup;
    }
    dl.url = p.url;
    dl.expected = p.expected;
    dl.part_path =
        edge_sprintf ("%s/dltar/%s.part", job->env->data_dir, job->name);
    dl.meta_path =
        edge_sprintf ("%s/dltar/%s.meta", job->env->data_dir, job->name);
    s_tar_t tar = s_check_stored (job, &p, store);
    if (tar == S_TAR_DONE && !p.is_upload)
        s_remove (&dl); //  what the attempt that stored it left
    if (tar != S_TAR_NONE) {
        rc = tar == S_TAR_DONE ? WK_JOB_DONE : WK_JOB_FAILED;
        goto cleanup;
    }
    if (s_open (&dl) != 0)
        goto cleanup;
    s_step_t step = s_download (&dl);
    if (step == S_CANCELLED) {
        edge_info ("task %s: download cancelled at byte %lld, kept for the "
                   "next attempt",
                   job->name, (long long) dl.received);
        rc = WK_JOB_CANCELLED;
        goto cleanup;
    }
    if (step == S_FAILED) {
        if (!dl.is_broken)
            s_remove (&dl); //  failed for good: nothing to resume
        goto cleanup;
    }
    s_progress (&dl, true);
    if (s_store (&dl, store, p.key) != 0)
        goto cleanup;
    s_remove (&dl);
    edge_info ("task %s: stored %s (%lld bytes)", job->name, p.key,
               (long long) dl.received);
    rc = s_succeed (job, &p, dl.received, dl.status);
cleanup:
    if (dl.file)
        fclose (dl.file);
    free (dl.location);
    free (dl.meta_path);
    free (dl.part_path);
    edge_store_destroy (&store);
    free (p.key);
    return rc;
}


const wk_task_t wk_dltar_task = {"dltar", s_run, WK_TASK_DEPOT, s_param_rows,
                                 EDGE_COUNT (s_param_rows), NULL};
