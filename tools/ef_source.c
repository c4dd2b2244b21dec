/*  ef_source - directory and http(s) sources behind one small interface.  */
#include "ef_source.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_LOAD_MAX (1024ull * 1024 * 1024) //  refuse larger manifests

struct ef_source {
    char *location;   //  directory or base URL, without trailing "/"
    bool is_http;     //  URL source
    CURL *curl;       //  http: reused handle
    char *fd_name;    //  directory: name of the open file
    int fd;           //  directory: open file, or -1
    char errstr[512]; //  last failure
};

typedef struct {
    char *data;      //  received bytes
    size_t len, cap; //  length and capacity
    size_t limit;    //  refuse more than this
} s_body_t;


static int s_error (ef_source_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_error (ef_source_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->errstr, sizeof (self->errstr), fmt, args);
    va_end (args);
    return -1;
}


ef_source_t *
ef_source_new (const char *location)
{
    edge_assert (location);
    ef_source_t *self = edge_calloc (1, sizeof (*self));
    self->location = edge_strdup (location);
    size_t len = strlen (self->location);
    while (len > 1 && self->location[len - 1] == '/')
        self->location[--len] = '\0';
    self->fd = -1;
    self->is_http = strncmp (location, "http://", 7) == 0
                    || strncmp (location, "https://", 8) == 0;
    struct stat st;
    if (self->is_http) {
        self->curl = curl_easy_init ();
        edge_assert (self->curl);
    }
    else if (stat (self->location, &st) != 0 || !S_ISDIR (st.st_mode))
        ef_source_destroy (&self);
    return self;
}


void
ef_source_destroy (ef_source_t **self_p)
{
    edge_assert (self_p);
    ef_source_t *self = *self_p;
    if (!self)
        return;
    if (self->fd >= 0)
        close (self->fd);
    if (self->curl)
        curl_easy_cleanup (self->curl);
    free (self->fd_name);
    free (self->location);
    free (self);
    *self_p = NULL;
}


static size_t
s_on_body (char *data, size_t size, size_t nmemb, void *arg)
{
    s_body_t *body = arg;
    size_t n = size * nmemb;
    if (body->len + n > body->limit)
        return 0;
    body->data = edge_grow (body->data, &body->cap, body->len + n + 1, 4096, 1);
    memcpy (body->data + body->len, data, n);
    body->len += n;
    body->data[body->len] = '\0';
    return n;
}


//  GET name (optionally a byte range) into body. Returns the HTTP status,
//  or -1 on a transport failure.
static long
s_http_get (ef_source_t *self,
            const char *name,
            const char *range,
            s_body_t *body)
{
    char *url = edge_sprintf ("%s/%s", self->location, name);
    CURL *curl = self->curl;
    curl_easy_reset (curl);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt (curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, body);
    if (range)
        curl_easy_setopt (curl, CURLOPT_RANGE, range);
    CURLcode code = curl_easy_perform (curl);
    long status = -1;
    if (code == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    else
        s_error (self, "%s: %s", url, curl_easy_strerror (code));
    free (url);
    return status;
}


int
ef_source_load (ef_source_t *self, const char *name, char **text, size_t *len)
{
    edge_assert (self && name && text && len);
    s_body_t body = {.limit = S_LOAD_MAX};
    *text = NULL;
    if (self->is_http) {
        long status = s_http_get (self, name, NULL, &body);
        if (status != 200) {
            free (body.data);
            return status < 0 ? -1
                              : s_error (self, "%s/%s: HTTP status %ld",
                                         self->location, name, status);
        }
    }
    else {
        char *path = edge_sprintf ("%s/%s", self->location, name);
        FILE *file = fopen (path, "rb");
        char buf[65536];
        size_t n;
        while (file && (n = fread (buf, 1, sizeof (buf), file)) > 0)
            s_on_body (buf, 1, n, &body);
        int rc = file && !ferror (file) ? 0 : -1;
        if (file)
            fclose (file);
        if (rc != 0) {
            s_error (self, "cannot read %s", path);
            free (path);
            free (body.data);
            return -1;
        }
        free (path);
    }
    *text = body.data ? body.data : edge_strdup ("");
    *len = body.len;
    return 0;
}


static int
s_dir_read (
    ef_source_t *self, const char *name, uint64_t offset, void *buf, size_t len)
{
    if (!self->fd_name || strcmp (self->fd_name, name) != 0) {
        if (self->fd >= 0)
            close (self->fd);
        free (self->fd_name);
        char *path = edge_sprintf ("%s/%s", self->location, name);
        self->fd = open (path, O_RDONLY);
        free (path);
        self->fd_name = self->fd >= 0 ? edge_strdup (name) : NULL;
        if (self->fd < 0)
            return s_error (self, "cannot open %s/%s: %s", self->location, name,
                            strerror (errno));
    }
    ssize_t n = pread (self->fd, buf, len, (off_t) offset);
    if (n != (ssize_t) len)
        return s_error (self, "%s/%s: short read at offset %llu",
                        self->location, name, (unsigned long long) offset);
    return 0;
}


int
ef_source_read (
    ef_source_t *self, const char *name, uint64_t offset, void *buf, size_t len)
{
    edge_assert (self && name && buf);
    if (!self->is_http)
        return s_dir_read (self, name, offset, buf, len);
    char range[64];
    snprintf (range, sizeof (range), "%llu-%llu", (unsigned long long) offset,
              (unsigned long long) (offset + len - 1));
    s_body_t body = {.limit = len};
    long status = s_http_get (self, name, range, &body);
    int rc = 0;
    if (status == 206 && body.len == len)
        memcpy (buf, body.data, len);
    else
        rc = status < 0 ? -1
                        : s_error (self, "%s/%s: range %s: HTTP status %ld",
                                   self->location, name, range, status);
    free (body.data);
    return rc;
}


int
ef_source_exists (ef_source_t *self, const char *name)
{
    edge_assert (self && name);
    if (self->is_http) {
        //  HEAD: a server that ignores Range would send the whole object
        char *url = edge_sprintf ("%s/%s", self->location, name);
        CURL *curl = self->curl;
        curl_easy_reset (curl);
        curl_easy_setopt (curl, CURLOPT_URL, url);
        curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
        curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt (curl, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
        long status = -1;
        if (curl_easy_perform (curl) == CURLE_OK)
            curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
        free (url);
        return status == 200;
    }
    char *path = edge_sprintf ("%s/%s", self->location, name);
    int is_there = access (path, R_OK) == 0;
    free (path);
    return is_there;
}


const char *
ef_source_location (const ef_source_t *self)
{
    edge_assert (self);
    return self->location;
}


const char *
ef_source_errstr (const ef_source_t *self)
{
    edge_assert (self);
    return self->errstr;
}
