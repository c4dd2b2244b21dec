/*  edge_store - object store over a directory or S3 (see edge_store.h).
    This file: the public API, key rules, local temporary files and the
    fs store. fs keys map to files under the root; writes go to a
    temporary file in the same directory, are fsync'ed and rename(2)d into
    place. The S3 side is edge_store_s3.c. Operations don't log failures:
    they leave err/errstr for the caller, who knows which deployment or
    task it was.  */
#include "edge_store_int.h"
#include "edge_assert.h"
#include "edge_crypto.h"
#include "edge_log.h"
#include "edge_sigv4.h"
#include "edge_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_COPY_BUF (1u << 20) //  copy buffer, bytes


int
edge_store_fail (
    edge_store_t *self, edge_err_t err, int status, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->errstr, sizeof self->errstr, fmt, args);
    va_end (args);
    self->err = err;
    self->http_status = status;
    return -1;
}


void
edge_store_reset (edge_store_t *self)
{
    self->err = EDGE_ERR_OK;
    self->http_status = 0;
    self->errstr[0] = '\0';
}


static int
s_check_key (edge_store_t *self, const char *key)
{
    if (key && edge_store_key_is_valid (key))
        return 0;
    return edge_store_fail (self, EDGE_ERR_STORE_KEY, 0,
                            "invalid key \"%.64s\"", key ? key : "(null)");
}


//  ---------------------------------------------------------------------
//  Local files: atomic replace, copy, directories

//  mkdir -p for the directory part of path (everything before the last
//  '/'). Returns 0 or -1 with errno.
int
edge_store_mkdirs_for (const char *path)
{
    char *dir = edge_strdup (path);
    char *slash = strrchr (dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; rc == 0; p++) {
            bool is_end = *p == '\0';
            if (*p != '/' && !is_end)
                continue;
            *p = '\0';
            if (mkdir (dir, 0755) == -1 && errno != EEXIST)
                rc = -1;
            if (is_end)
                break;
            *p = '/';
        }
    }
    free (dir);
    return rc;
}


//  Open a new temporary file next to dest. Returns the fd and sets *tmp
//  (caller frees), or -1 with the error set.
int
edge_store_tmp_open (edge_store_t *self, const char *dest, char **tmp)
{
    if (edge_store_mkdirs_for (dest) == -1)
        return edge_store_fail (self, EDGE_ERR_STORE_IO, 0,
                                "mkdir for %.128s: %s", dest, strerror (errno));
    const char *slash = strrchr (dest, '/');
    int dirlen = slash ? (int) (slash - dest + 1) : 0;
    *tmp = edge_sprintf ("%.*s" EDGE_STORE_TMP_PREFIX "XXXXXX", dirlen, dest);
    int fd = mkstemp (*tmp);
    if (fd == -1) {
        edge_store_fail (self, EDGE_ERR_STORE_IO, 0,
                         "create temporary for %.128s: %s", dest,
                         strerror (errno));
        free (*tmp);
        *tmp = NULL;
        return -1;
    }
    fchmod (fd, 0644); //  published files are read by web servers
    return fd;
}


//  Flush, close and rename tmp over dest. Frees tmp. Returns 0 or -1.
int
edge_store_tmp_commit (edge_store_t *self, int fd, char *tmp, const char *dest)
{
    int rc = 0;
    int sync_rc = fsync (fd);
    if (close (fd) == -1 || sync_rc == -1) {
        rc = edge_store_fail (self, EDGE_ERR_STORE_IO, 0, "write %.128s: %s",
                              dest, strerror (errno));
        unlink (tmp);
    }
    else if (rename (tmp, dest) == -1) {
        rc = edge_store_fail (self, EDGE_ERR_STORE_IO, 0,
                              "rename to %.128s: %s", dest, strerror (errno));
        unlink (tmp);
    }
    free (tmp);
    return rc;
}


void
edge_store_tmp_abort (int fd, char *tmp)
{
    close (fd);
    unlink (tmp);
    free (tmp);
}


int
edge_store_write_all (int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write (fd, data, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t) n;
    }
    return 0;
}


//  Copy everything from in to out. Returns 0 or -1 with errno.
static int
s_copy_fd (int in, int out)
{
    char *buf = edge_malloc (S_COPY_BUF);
    int rc = 0;
    while (rc == 0) {
        ssize_t n = read (in, buf, S_COPY_BUF);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n == 0 ? 0 : -1;
            break;
        }
        rc = edge_store_write_all (out, buf, (size_t) n);
    }
    free (buf);
    return rc;
}


//  Atomically replace dest with the contents of src_fd (if >= 0) or of
//  data/size. Returns 0 or -1.
static int
s_file_replace (edge_store_t *self,
                const char *dest,
                int src_fd,
                const void *data,
                size_t size)
{
    char *tmp = NULL;
    int fd = edge_store_tmp_open (self, dest, &tmp);
    if (fd == -1)
        return -1;
    int rc = src_fd >= 0 ? s_copy_fd (src_fd, fd)
                         : edge_store_write_all (fd, data, size);
    if (rc == -1) {
        edge_store_fail (self, EDGE_ERR_STORE_IO, 0, "write %.128s: %s", dest,
                         strerror (errno));
        edge_store_tmp_abort (fd, tmp);
        return -1;
    }
    return edge_store_tmp_commit (self, fd, tmp, dest);
}


//  ---------------------------------------------------------------------
//  fs store

char *
edge_store_fs_path (const edge_store_t *self, const char *key)
{
    return edge_sprintf ("%s/%s", self->root, key);
}


static int
s_fs_put (edge_store_t *self,
          const char *key,
          int src_fd,
          const void *data,
          size_t size)
{
    char *path = edge_store_fs_path (self, key);
    int rc = s_file_replace (self, path, src_fd, data, size);
    free (path);
    return rc;
}


static int
s_fs_get_file (edge_store_t *self, const char *key, const char *dest)
{
    char *path = edge_store_fs_path (self, key);
    int src = open (path, O_RDONLY | O_CLOEXEC);
    free (path);
    if (src == -1 && (errno == ENOENT || errno == ENOTDIR))
        return edge_store_fail (self, EDGE_ERR_NOT_FOUND, 0,
                                "no such object \"%.64s\"", key);
    if (src == -1)
        return edge_store_fail (self, EDGE_ERR_STORE_IO, 0,
                                "open \"%.64s\": %s", key, strerror (errno));
    int rc = s_file_replace (self, dest, src, NULL, 0);
    close (src);
    return rc;
}


static int
s_fs_head (edge_store_t *self, const char *key, bool *exists, uint64_t *size)
{
    char *path = edge_store_fs_path (self, key);
    struct stat st;
    int rc = stat (path, &st);
    free (path);
    if (rc == -1 && errno != ENOENT && errno != ENOTDIR)
        return edge_store_fail (self, EDGE_ERR_STORE_IO, 0,
                                "stat \"%.64s\": %s", key, strerror (errno));
    *exists = rc == 0 && S_ISREG (st.st_mode);
    if (size)
        *size = *exists ? (uint64_t) st.st_size : 0;
    return 0;
}


static int
s_fs_delete (edge_store_t *self, const char *key)
{
    char *path = edge_store_fs_path (self, key);
    int rc = 0;
    if (unlink (path) == -1 && errno != ENOENT && errno != ENOTDIR)
        rc = edge_store_fail (self, EDGE_ERR_STORE_IO, 0,
                              "delete \"%.64s\": %s", key, strerror (errno));
    //  Remove directories left empty, up to the root (rmdir stops at the
    //  first one that is not empty).
    size_t rootlen = strlen (self->root);
    char *slash;
    while (rc == 0 && (slash = strrchr (path, '/')) && slash > path + rootlen) {
        *slash = '\0';
        if (rmdir (path) == -1)
            break;
    }
    free (path);
    return rc;
}


//  Walk dir (absolute), whose key prefix is rel ("" or "a/b/"), calling fn
//  for files whose key starts with prefix. Returns 0 or -1.
static int
s_fs_walk (edge_store_t *self,
           const char *dir,
           const char *rel,
           const char *prefix,
           edge_store_list_fn *fn,
           void *arg)
{
    DIR *d = opendir (dir);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return edge_store_fail (self, EDGE_ERR_STORE_IO, 0, "list %.128s: %s",
                                dir, strerror (errno));
    }
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (d))) {
        const char *name = entry->d_name;
        if (name[0] == '.'
            && (!name[1] || strcmp (name, "..") == 0
                || !strncmp (name, EDGE_STORE_TMP_PREFIX, 10)))
            continue;
        char *key = edge_sprintf ("%s%s", rel, name);
        char *path = edge_sprintf ("%s/%s", dir, name);
        size_t keylen = strlen (key), plen = strlen (prefix);
        bool is_related =
            strncmp (key, prefix, keylen < plen ? keylen : plen) == 0;
        struct stat st;
        if (is_related && stat (path, &st) == 0) {
            if (S_ISDIR (st.st_mode)) {
                char *sub = edge_sprintf ("%s/", key);
                rc = s_fs_walk (self, path, sub, prefix, fn, arg);
                free (sub);
            }
            else if (S_ISREG (st.st_mode) && keylen >= plen)
                rc = fn (key, (uint64_t) st.st_size, arg);
        }
        free (path);
        free (key);
    }
    closedir (d);
    return rc;
}


//  ---------------------------------------------------------------------
//  Public API

static edge_store_t *
s_new (void)
{
    edge_store_t *self = edge_calloc (1, sizeof *self);
    self->threshold = EDGE_STORE_MULTIPART_THRESHOLD;
    self->part_size = EDGE_STORE_PART_SIZE;
    self->connect_timeout_ms = 5000;
    self->list_page = 1000;
    return self;
}


edge_store_t *
edge_store_new_fs (const char *path)
{
    if (!path || path[0] != '/') {
        edge_error ("store: fs path must be absolute, got \"%s\"",
                    path ? path : "(null)");
        return NULL;
    }
    edge_store_t *self = s_new ();
    self->root = edge_strdup (path);
    size_t len = strlen (self->root);
    while (len > 1 && self->root[len - 1] == '/')
        self->root[--len] = '\0';
    char *probe = edge_sprintf ("%s/x", self->root);
    int rc = edge_store_mkdirs_for (probe);
    free (probe);
    struct stat st;
    if (rc == -1 || stat (self->root, &st) == -1 || !S_ISDIR (st.st_mode)) {
        edge_error ("store: cannot create directory %s: %s", self->root,
                    strerror (errno));
        edge_store_destroy (&self);
    }
    return self;
}


uint64_t
edge_store_part_size (uint64_t size, uint64_t preferred)
{
    uint64_t part = preferred;
    if (size > part * EDGE_STORE_MAX_PARTS)
        part = (size + EDGE_STORE_MAX_PARTS - 1) / EDGE_STORE_MAX_PARTS;
    return part > EDGE_STORE_MAX_PART_SIZE ? 0 : part;
}


char *
edge_store_s3_endpoint_url (const char *endpoint)
{
    edge_assert (endpoint);
    return strstr (endpoint, "://") ? edge_strdup (endpoint)
                                    : edge_sprintf ("https://%s", endpoint);
}


//  "http(s)://authority[/]" or a bare "authority[/]" (https) -> endpoint
//  without '/' and the authority.
static int
s_parse_endpoint (edge_store_t *self, const char *given)
{
    char *endpoint = edge_store_s3_endpoint_url (given);
    const char *rest = NULL;
    if (strncmp (endpoint, "http://", 7) == 0)
        rest = endpoint + 7;
    else if (strncmp (endpoint, "https://", 8) == 0)
        rest = endpoint + 8;
    size_t len = rest ? strcspn (rest, "/?#") : 0;
    int rc = -1;
    if (len && !memchr (rest, '@', len)
        && (!rest[len] || strcmp (rest + len, "/") == 0)) {
        self->host = edge_sprintf ("%.*s", (int) len, rest);
        self->endpoint =
            edge_sprintf ("%.*s", (int) (rest - endpoint + len), endpoint);
        rc = 0;
    }
    free (endpoint);
    return rc;
}


//  "a/b/" from "/a/b/" or "a/b" ("" from NULL or "").
static char *
s_norm_prefix (const char *prefix)
{
    if (!prefix)
        return edge_strdup ("");
    while (*prefix == '/')
        prefix++;
    size_t len = strlen (prefix);
    while (len && prefix[len - 1] == '/')
        len--;
    return len ? edge_sprintf ("%.*s/", (int) len, prefix) : edge_strdup ("");
}


static bool
s_bucket_is_valid (const char *bucket)
{
    size_t len = bucket ? strlen (bucket) : 0;
    return len >= 3 && len <= 63
           && strspn (bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-_") == len;
}


edge_store_t *
edge_store_new_s3 (const edge_store_s3_opts_t *opts)
{
    edge_assert (opts);
    const char *missing = !opts->endpoint                     ? "endpoint"
                          : !s_bucket_is_valid (opts->bucket) ? "bucket"
                          : !opts->access_key_id              ? "accessKeyId"
                          : !opts->secret_access_key ? "secretAccessKey"
                                                     : NULL;
    if (missing) {
        edge_error ("store: s3 %s is missing or invalid", missing);
        return NULL;
    }
    edge_store_t *self = s_new ();
    self->is_s3 = true;
    if (s_parse_endpoint (self, opts->endpoint) == -1) {
        edge_error ("store: s3 endpoint \"%s\" is not [http(s)://]host[:port]",
                    opts->endpoint);
        edge_store_destroy (&self);
        return NULL;
    }
    self->bucket = edge_strdup (opts->bucket);
    self->prefix = s_norm_prefix (opts->prefix);
    self->access_key_id = edge_strdup (opts->access_key_id);
    self->secret = edge_strdup (opts->secret_access_key);
    self->region = edge_strdup (opts->region && opts->region[0] ? opts->region
                                                                : "us-east-1");
    curl_global_init (CURL_GLOBAL_DEFAULT);
    self->curl = curl_easy_init ();
    edge_assert (self->curl);
    return self;
}


edge_store_t *
edge_store_new_from_url (const char *url, const edge_store_s3_opts_t *s3)
{
    const char *path = edge_store_url_dir (url);
    if (path)
        return edge_store_new_fs (path);
    if (url && strncmp (url, "s3://", 5) == 0 && s3) {
        const char *bucket = url + 5;
        size_t len = strcspn (bucket, "/");
        char *name = edge_sprintf ("%.*s", (int) len, bucket);
        edge_store_s3_opts_t opts = *s3;
        opts.bucket = name;
        opts.prefix = bucket + len;
        edge_store_t *self = edge_store_new_s3 (&opts);
        free (name);
        return self;
    }
    edge_error ("store: URL must be file:///path or s3://bucket/prefix "
                "(with S3 options)");
    return NULL;
}


const char *
edge_store_url_dir (const char *url)
{
    static const char scheme[] = "file://";
    size_t len = sizeof scheme - 1;
    return url && strncmp (url, scheme, len) == 0 ? url + len : NULL;
}


void
edge_store_destroy (edge_store_t **self_p)
{
    edge_assert (self_p);
    edge_store_t *self = *self_p;
    if (!self)
        return;
    if (self->curl) {
        curl_easy_cleanup (self->curl);
        curl_global_cleanup ();
    }
    if (self->secret) {
        memset (self->secret, 0, strlen (self->secret));
        free (self->secret);
    }
    free (self->root);
    free (self->endpoint);
    free (self->host);
    free (self->bucket);
    free (self->prefix);
    free (self->access_key_id);
    free (self->region);
    free (self);
    *self_p = NULL;
}


const char *
edge_store_kind (const edge_store_t *self)
{
    edge_assert (self);
    return self->is_s3 ? "s3" : "fs";
}


int
edge_store_set_multipart (edge_store_t *self,
                          uint64_t threshold,
                          uint64_t part_size)
{
    edge_assert (self);
    if (part_size < EDGE_STORE_MIN_PART_SIZE || part_size > threshold)
        return -1;
    self->threshold = threshold;
    self->part_size = part_size;
    return 0;
}


void
edge_store_set_connect_timeout (edge_store_t *self, int64_t ms)
{
    edge_assert (self && ms > 0);
    self->connect_timeout_ms = ms;
}


void
edge_store_set_timeout (edge_store_t *self, int64_t ms)
{
    edge_assert (self && ms >= 0);
    self->timeout_ms = ms;
}


bool
edge_store_key_is_valid (const char *key)
{
    size_t len = key ? strlen (key) : 0;
    if (len == 0 || len > 1024 || key[0] == '/')
        return false;
    for (const char *seg = key; seg;) {
        const char *slash = strchr (seg, '/');
        size_t n = slash ? (size_t) (slash - seg) : strlen (seg);
        if (n == 0 || (n == 1 && seg[0] == '.')
            || (n == 2 && seg[0] == '.' && seg[1] == '.')
            || strncmp (seg, EDGE_STORE_TMP_PREFIX,
                        strlen (EDGE_STORE_TMP_PREFIX))
                   == 0)
            return false;
        seg = slash ? slash + 1 : NULL;
    }
    for (const unsigned char *p = (const unsigned char *) key; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    return true;
}


int
edge_store_put_file (edge_store_t *self, const char *key, const char *path)
{
    edge_assert (self && path);
    edge_store_reset (self);
    if (s_check_key (self, key) == -1)
        return -1;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd == -1 || fstat (fd, &st) == -1) {
        edge_store_fail (self, EDGE_ERR_STORE_IO, 0, "open %.128s: %s", path,
                         strerror (errno));
        if (fd != -1)
            close (fd);
        return -1;
    }
    int rc = self->is_s3
                 ? edge_store_s3_put_file (self, key, fd, (uint64_t) st.st_size)
                 : s_fs_put (self, key, fd, NULL, 0);
    close (fd);
    return rc;
}


//  fs store: fsync path and rename it onto key's file; 1 when the rename
//  crossed file systems (nothing done), 0 done, -1 failed.
static int
s_fs_move (edge_store_t *self, const char *key, const char *path)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd == -1 || fsync (fd) == -1) {
        edge_store_fail (self, EDGE_ERR_STORE_IO, 0, "sync %.128s: %s", path,
                         strerror (errno));
        if (fd != -1)
            close (fd);
        return -1;
    }
    fchmod (fd, 0644); //  published files are read by web servers
    close (fd);
    char *dest = edge_store_fs_path (self, key);
    int rc = edge_store_mkdirs_for (dest);
    if (rc == 0 && rename (path, dest) == -1)
        rc = errno == EXDEV ? 1 : -1;
    if (rc == -1)
        edge_store_fail (self, EDGE_ERR_STORE_IO, 0, "move to %.128s: %s", dest,
                         strerror (errno));
    free (dest);
    return rc;
}


int
edge_store_put_file_move (edge_store_t *self, const char *key, const char *path)
{
    edge_assert (self && path);
    edge_store_reset (self);
    if (s_check_key (self, key) == -1)
        return -1;
    if (!self->is_s3) {
        int rc = s_fs_move (self, key, path);
        if (rc != 1)
            return rc;
    }
    if (edge_store_put_file (self, key, path) == -1)
        return -1;
    unlink (path);
    return 0;
}


int
edge_store_put_mem (edge_store_t *self,
                    const char *key,
                    const void *data,
                    size_t size)
{
    edge_assert (self && (data || size == 0));
    edge_store_reset (self);
    if (s_check_key (self, key) == -1)
        return -1;
    if (self->is_s3)
        return edge_store_s3_put_body (self, key, "", -1, 0, data ? data : "",
                                       size, NULL, 0);
    return s_fs_put (self, key, -1, data ? data : "", size);
}


int
edge_store_get_file (edge_store_t *self, const char *key, const char *path)
{
    edge_assert (self && path);
    edge_store_reset (self);
    if (s_check_key (self, key) == -1)
        return -1;
    return self->is_s3 ? edge_store_s3_get_file (self, key, path)
                       : s_fs_get_file (self, key, path);
}


int
edge_store_head (edge_store_t *self,
                 const char *key,
                 bool *exists,
                 uint64_t *size)
{
    edge_assert (self && exists);
    edge_store_reset (self);
    *exists = false;
    if (size)
        *size = 0;
    if (s_check_key (self, key) == -1)
        return -1;
    return self->is_s3 ? edge_store_s3_head (self, key, exists, size)
                       : s_fs_head (self, key, exists, size);
}


int
edge_store_delete (edge_store_t *self, const char *key)
{
    edge_assert (self);
    edge_store_reset (self);
    if (s_check_key (self, key) == -1)
        return -1;
    return self->is_s3 ? edge_store_s3_delete (self, key)
                       : s_fs_delete (self, key);
}


int
edge_store_list (edge_store_t *self,
                 const char *prefix,
                 edge_store_list_fn *fn,
                 void *arg)
{
    edge_assert (self && prefix && fn);
    edge_store_reset (self);
    if (prefix[0] == '/' || strstr (prefix, ".."))
        return edge_store_fail (self, EDGE_ERR_STORE_KEY, 0,
                                "invalid prefix \"%.64s\"", prefix);
    if (self->is_s3)
        return edge_store_s3_list (self, prefix, fn, arg);
    return s_fs_walk (self, self->root, "", prefix, fn, arg);
}


void
edge_store_set_list_page (edge_store_t *self, int max_keys)
{
    edge_assert (self && max_keys >= 1 && max_keys <= 1000);
    self->list_page = max_keys;
}


edge_err_t
edge_store_err (const edge_store_t *self)
{
    edge_assert (self);
    return self->err;
}


const char *
edge_store_errstr (const edge_store_t *self)
{
    edge_assert (self);
    return self->errstr;
}


int
edge_store_http_status (const edge_store_t *self)
{
    edge_assert (self);
    return self->http_status;
}
