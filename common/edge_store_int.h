/*  edge_store_int - private to edge_store.c and edge_store_s3.c: the store
    struct, the helpers both use, and the S3 operations. Not for other
    modules: they use edge_store.h.  */
#ifndef EDGE_STORE_INT_H_INCLUDED
#define EDGE_STORE_INT_H_INCLUDED
#include "edge_store.h"
#include <curl/curl.h>

#define EDGE_STORE_TMP_PREFIX ".edge-tmp." //  temporary files; never listed

//  A growing buffer, NUL-terminated once anything was added.
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} edge_store_buf_t;

struct edge_store {
    bool is_s3;                 //  kind
    char *root;                 //  fs: the directory, no trailing '/'
    char *endpoint;             //  s3: "http(s)://authority", no '/' at end
    char *host;                 //  s3: authority, the signed Host header
    char *bucket;               //  s3: bucket name
    char *prefix;               //  s3: "" or "a/b/" prepended to keys
    char *access_key_id;        //  s3
    char *secret;               //  s3: never logged or copied into errors
    char *region;               //  s3: "us-east-1" by default
    CURL *curl;                 //  s3: the easy handle
    uint64_t threshold;         //  s3: multipart above this size
    uint64_t part_size;         //  s3: multipart part size
    int64_t connect_timeout_ms; //  s3
    int64_t timeout_ms;         //  s3: whole request, 0 = none
    int list_page;              //  s3: max-keys per ListObjectsV2 page
    edge_err_t err;             //  last error, EDGE_ERR_OK when none
    int http_status;            //  HTTP status of the last failure, or 0
    char errstr[256];           //  short message, never a secret
};

//  Set err, status and a printf message on self. Returns -1.
int edge_store_fail (edge_store_t *self,
                     edge_err_t err,
                     int status,
                     const char *fmt,
                     ...) __attribute__ ((format (printf, 4, 5)));
//  Clear the error state (each public call starts with it).
void edge_store_reset (edge_store_t *self);
//  Open a new temporary file next to dest (creating its directories).
//  Returns the fd and sets *tmp (caller frees), or -1 with the error set.
int edge_store_tmp_open (edge_store_t *self, const char *dest, char **tmp);
//  fsync, close and rename tmp over dest; frees tmp. Returns 0 or -1.
int
edge_store_tmp_commit (edge_store_t *self, int fd, char *tmp, const char *dest);
//  Close and remove tmp; frees tmp.
void edge_store_tmp_abort (int fd, char *tmp);
//  write(2) all of data. Returns 0 or -1 with errno.
int edge_store_write_all (int fd, const char *data, size_t len);
//  mkdir -p for the directory part of path. Returns 0 or -1 with errno.
int edge_store_mkdirs_for (const char *path);
//  The fs path of key (caller frees).
char *edge_store_fs_path (const edge_store_t *self, const char *key);
//  Append len bytes of data to b (growing it).
void edge_store_buf_add (edge_store_buf_t *b, const char *data, size_t len);

//  S3 operations (edge_store_s3.c); key is valid, errors set on self.
//  PUT len bytes from fd at off, or from data when data is not NULL;
//  query "" for an object, "partNumber=..&uploadId=.." for a part; the
//  answer's ETag goes to etag_out if given. Returns 0 or -1.
int edge_store_s3_put_body (edge_store_t *self,
                            const char *key,
                            const char *query,
                            int fd,
                            uint64_t off,
                            const void *data,
                            uint64_t len,
                            char *etag_out,
                            size_t etag_size);
//  Multipart uploads. The part size for an object of size bytes, or 0
//  (error set) when S3 cannot hold it.
uint64_t
edge_store_s3_part_size (edge_store_t *self, const char *key, uint64_t size);
//  CreateMultipartUpload of key: its UploadId (caller frees), or NULL.
char *edge_store_s3_mp_create (edge_store_t *self, const char *key);
//  PUT part number part of upload_id (len bytes from fd at off, or from
//  data when not NULL) and append its <Part> entry to parts. 0 or -1.
int edge_store_s3_mp_part (edge_store_t *self,
                           const char *key,
                           const char *upload_id,
                           int part,
                           int fd,
                           uint64_t off,
                           const void *data,
                           uint64_t len,
                           edge_store_buf_t *parts);
//  CompleteMultipartUpload with the <Part> entries in parts. 0 or -1.
int edge_store_s3_mp_complete (edge_store_t *self,
                               const char *key,
                               const char *upload_id,
                               const edge_store_buf_t *parts);
//  AbortMultipartUpload: 0 when gone (NoSuchUpload too) or when the server
//  cannot abort (405/501, logged), else -1 with the error set.
int edge_store_s3_mp_abort (edge_store_t *self,
                            const char *key,
                            const char *upload_id);
//  The same for cleaning up after a failure: keeps the error already set
//  and only logs its own.
void edge_store_s3_mp_discard (edge_store_t *self,
                               const char *key,
                               const char *upload_id);
int edge_store_s3_put_file (edge_store_t *self,
                            const char *key,
                            int fd,
                            uint64_t size);
int
edge_store_s3_get_file (edge_store_t *self, const char *key, const char *dest);
int edge_store_s3_head (edge_store_t *self,
                        const char *key,
                        bool *exists,
                        uint64_t *size);
int edge_store_s3_delete (edge_store_t *self, const char *key);
int edge_store_s3_list (edge_store_t *self,
                        const char *prefix,
                        edge_store_list_fn *fn,
                        void *arg);
#endif
