/*  edge_store_upload - streamed writes of one object (see edge_store.h).
    fs: the bytes go to "<key>.part-<id>" beside key (the name the
    worker's garbage collection looks for), fsync'ed and renamed over key
    at commit, then the directory is fsync'ed. S3: a multipart upload made
    at the start; the part being filled is the only copy of the bytes in
    memory (its buffer grows up to the part size) and is PUT when full;
    the last one goes at commit, just before CompleteMultipartUpload.  */
#include "edge_store_int.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_ID_BYTES  8          //  fs ids: 16 hex digits
#define S_BUF_FIRST (1u << 20) //  S3: the part buffer's first size

struct edge_store_upload {
    edge_store_t *store;    //  borrowed
    char *key;              //  the object's key
    char *id;               //  fs: the part file's suffix; S3: UploadId
    uint64_t size;          //  most bytes announced
    uint64_t written;       //  bytes accepted
    bool is_done;           //  committed or failed: only destroy is left
    bool is_committed;      //  the object is in place
    bool is_aborted;        //  nothing is left to abort
    int fd;                 //  fs: the part file, or -1
    char *part_path;        //  fs: <root>/<key>.part-<id>
    uint64_t part_size;     //  S3: bytes per part (the last may be fewer)
    char *buf;              //  S3: the part being filled
    size_t buf_len;         //  its bytes
    size_t buf_cap;         //  its allocation
    int parts;              //  S3: parts PUT so far
    edge_store_buf_t etags; //  S3: their <Part> entries
};


//  ---------------------------------------------------------------------
//  fs

static int
s_fs_begin (edge_store_upload_t *self)
{
    char id[2 * S_ID_BYTES + 1];
    edge_random_hex (id, S_ID_BYTES);
    self->id = edge_strdup (id);
    char *dest = edge_store_fs_path (self->store, self->key);
    self->part_path = edge_sprintf ("%s.part-%s", dest, id);
    free (dest);
    if (edge_store_mkdirs_for (self->part_path) == 0)
        self->fd = open (self->part_path,
                         O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (self->fd == -1)
        return edge_store_fail (self->store, EDGE_ERR_STORE_IO, 0,
                                "create %.128s: %s", self->part_path,
                                strerror (errno));
    return 0;
}


static int
s_fs_write (edge_store_upload_t *self, const void *data, size_t len)
{
    if (edge_store_write_all (self->fd, data, len) == -1)
        return edge_store_fail (self->store, EDGE_ERR_STORE_IO, 0,
                                "write %.128s: %s", self->part_path,
                                strerror (errno));
    return 0;
}


//  fsync the directory that holds path (best effort: the rename is done).
static void
s_fs_sync_dir (const char *path)
{
    char *dir = edge_strdup (path);
    char *slash = strrchr (dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync (fd);
        close (fd);
    }
    free (dir);
}


static int
s_fs_commit (edge_store_upload_t *self)
{
    char *dest = edge_store_fs_path (self->store, self->key);
    //  Syncs, closes and renames; removes the part file on failure
    int rc =
        edge_store_tmp_commit (self->store, self->fd, self->part_path, dest);
    self->fd = -1;
    self->part_path = NULL;
    self->is_aborted = rc == -1;
    if (rc == 0)
        s_fs_sync_dir (dest);
    free (dest);
    return rc;
}


static int
s_fs_abort (edge_store_t *store, const char *key, const char *id)
{
    size_t len = strlen (id);
    if (len == 0 || len > 64 || strspn (id, "0123456789abcdef") != len)
        return edge_store_fail (store, EDGE_ERR_STORE_KEY, 0,
                                "invalid upload id for \"%.64s\"", key);
    char *dest = edge_store_fs_path (store, key);
    char *path = edge_sprintf ("%s.part-%s", dest, id);
    int rc = 0;
    if (unlink (path) == -1 && errno != ENOENT && errno != ENOTDIR)
        rc = edge_store_fail (store, EDGE_ERR_STORE_IO, 0, "delete %.128s: %s",
                              path, strerror (errno));
    free (path);
    free (dest);
    return rc;
}


//  ---------------------------------------------------------------------
//  S3

static int
s_s3_begin (edge_store_upload_t *self)
{
    self->part_size = edge_store_s3_part_size (self->store, self->key,
                                               self->size ? self->size : 1);
    if (self->part_size == 0)
        return -1;
    self->id = edge_store_s3_mp_create (self->store, self->key);
    return self->id ? 0 : -1;
}


//  PUT the buffered part. Returns 0 or -1.
static int
s_s3_flush (edge_store_upload_t *self)
{
    int rc =
        edge_store_s3_mp_part (self->store, self->key, self->id, ++self->parts,
                               -1, 0, self->buf, self->buf_len, &self->etags);
    self->buf_len = 0;
    return rc;
}


static int
s_s3_write (edge_store_upload_t *self, const char *data, size_t len)
{
    while (len > 0) {
        //  A full part goes once more bytes come: the last is never empty
        if (self->buf_len == self->part_size && s_s3_flush (self) == -1)
            return -1;
        size_t room = (size_t) self->part_size - self->buf_len;
        size_t n = len < room ? len : room;
        if (self->buf_len + n > self->buf_cap) {
            size_t cap = self->buf_cap ? self->buf_cap : S_BUF_FIRST;
            while (cap < self->buf_len + n)
                cap *= 2;
            self->buf_cap = cap < self->part_size ? cap : self->part_size;
            self->buf = edge_realloc (self->buf, self->buf_cap);
        }
        memcpy (self->buf + self->buf_len, data, n);
        self->buf_len += n;
        data += n;
        len -= n;
    }
    return 0;
}


static int
s_s3_commit (edge_store_upload_t *self)
{
    if (self->written == 0) {
        //  S3 wants at least one part: an empty object is a plain PUT
        edge_store_s3_mp_discard (self->store, self->key, self->id);
        self->is_aborted = true;
        return edge_store_s3_put_body (self->store, self->key, "", -1, 0, "", 0,
                                       NULL, 0);
    }
    if (s_s3_flush (self) == -1)
        return -1;
    free (self->buf); //  not needed while S3 assembles the object
    self->buf = NULL;
    self->buf_cap = 0;
    return edge_store_s3_mp_complete (self->store, self->key, self->id,
                                      &self->etags);
}


//  ---------------------------------------------------------------------
//  Public API

edge_store_upload_t *
edge_store_upload_new (edge_store_t *store, const char *key, uint64_t size)
{
    edge_assert (store);
    edge_store_reset (store);
    if (!key || !edge_store_key_is_valid (key)) {
        edge_store_fail (store, EDGE_ERR_STORE_KEY, 0, "invalid key \"%.64s\"",
                         key ? key : "(null)");
        return NULL;
    }
    edge_store_upload_t *self = edge_calloc (1, sizeof *self);
    self->store = store;
    self->key = edge_strdup (key);
    self->size = size;
    self->fd = -1;
    int rc = store->is_s3 ? s_s3_begin (self) : s_fs_begin (self);
    if (rc == -1) {
        self->is_aborted = true; //  nothing was made
        edge_store_upload_destroy (&self);
    }
    return self;
}


int
edge_store_upload_write (edge_store_upload_t *self,
                         const void *data,
                         size_t len)
{
    edge_assert (self && (data || len == 0));
    edge_store_reset (self->store);
    if (self->is_done)
        return edge_store_fail (self->store, EDGE_ERR_STORE_IO, 0,
                                "upload of \"%.64s\" is over", self->key);
    int rc = 0;
    if (len > self->size - self->written)
        rc = edge_store_fail (self->store, EDGE_ERR_SIZE_MISMATCH, 0,
                              "upload of \"%.64s\": more than the %llu bytes "
                              "announced",
                              self->key, (unsigned long long) self->size);
    else if (len > 0)
        rc = self->store->is_s3 ? s_s3_write (self, data, len)
                                : s_fs_write (self, data, len);
    if (rc == 0)
        self->written += len;
    else
        self->is_done = true;
    return rc;
}


int
edge_store_upload_commit (edge_store_upload_t *self)
{
    edge_assert (self);
    edge_store_reset (self->store);
    if (self->is_done)
        return edge_store_fail (self->store, EDGE_ERR_STORE_IO, 0,
                                "upload of \"%.64s\" is over", self->key);
    self->is_done = true;
    int rc = self->store->is_s3 ? s_s3_commit (self) : s_fs_commit (self);
    self->is_committed = rc == 0;
    return rc;
}


void
edge_store_upload_destroy (edge_store_upload_t **self_p)
{
    edge_assert (self_p);
    edge_store_upload_t *self = *self_p;
    if (!self)
        return;
    if (!self->is_committed && !self->is_aborted) {
        if (self->store->is_s3)
            edge_store_s3_mp_discard (self->store, self->key, self->id);
        else
            unlink (self->part_path);
    }
    if (self->fd >= 0)
        close (self->fd);
    free (self->part_path);
    free (self->buf);
    free (self->etags.data);
    free (self->id);
    free (self->key);
    free (self);
    *self_p = NULL;
}


const char *
edge_store_upload_id (const edge_store_upload_t *self)
{
    edge_assert (self);
    return self->id;
}


int
edge_store_upload_abort (edge_store_t *store,
                         const char *key,
                         const char *upload_id)
{
    edge_assert (store && upload_id);
    edge_store_reset (store);
    if (!key || !edge_store_key_is_valid (key) || !upload_id[0])
        return edge_store_fail (store, EDGE_ERR_STORE_KEY, 0,
                                "invalid key or upload id \"%.64s\"",
                                key ? key : "(null)");
    return store->is_s3 ? edge_store_s3_mp_abort (store, key, upload_id)
                        : s_fs_abort (store, key, upload_id);
}
