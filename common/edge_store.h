/*  edge_store - one object-store interface over a local directory ("fs")
    and S3-compatible object storage ("s3": AWS SigV4, path-style URLs,
    libcurl). Used for the internal depot (EDGE_STORE) and for deployments.

    Keys are relative paths like "dxf/org/app/0001/x/manifest": 1..1024
    bytes, no leading '/', no empty, "." or ".." segment, no control byte
    or backslash. Every write is overwrite-safe and idempotent: fs writes
    a temporary file in the target directory then rename(2)s it; S3 PUTs
    are atomic per object. Big objects stream from and to files and are
    never held in memory.

    Errors stay on the object, as hiredis does: each call resets them, and
    a failed call sets edge_store_err (an edge_err_t), a short
    edge_store_errstr (never a secret) and, for S3, the HTTP status. One
    store is used by one thread at a time.  */
#ifndef EDGE_STORE_H_INCLUDED
#define EDGE_STORE_H_INCLUDED
#include "edge_err.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct edge_store edge_store_t;

//  The errors a store sets (edge_err.h): EDGE_ERR_OK when none;
//  EDGE_ERR_STORE_KEY, the key is not acceptable; EDGE_ERR_STORE_IO, a
//  local file or directory error; EDGE_ERR_NOT_FOUND, no such object (get);
//  EDGE_ERR_STORE_CONNECT, the endpoint could not be reached;
//  EDGE_ERR_STORE_HTTP, the server answered with an error;
//  EDGE_ERR_STORE_PROTOCOL, the server's answer made no sense;
//  EDGE_ERR_SIZE_MISMATCH, an upload got more bytes than announced.

//  S3 parameters (architecture §7). Borrowed: the store copies what it keeps.
typedef struct {
    const char *endpoint; //  "https://s3.example.com:9000" or a bare
                          //  "s3.example.com" (https), no bucket
    const char *region;   //  NULL or "" means "us-east-1"
    const char *bucket;
    const char *access_key_id;
    const char *secret_access_key; //  secret: never logged
    const char *prefix;            //  NULL/"" or "a/b": keys live under it
} edge_store_s3_opts_t;

//  Called once per listed object; key is relative to the store (and its
//  prefix), borrowed for the call. Return 0 to go on, -1 to stop.
typedef int (edge_store_list_fn) (const char *key, uint64_t size, void *arg);

//  Default multipart threshold and part size for S3 puts from files.
#define EDGE_STORE_MULTIPART_THRESHOLD (64ull << 20)
#define EDGE_STORE_PART_SIZE           (16ull << 20)
//  S3's minimum part size (all parts but the last), and its limits on the
//  number of parts of one object and on one part's size.
#define EDGE_STORE_MIN_PART_SIZE (5ull << 20)
#define EDGE_STORE_MAX_PARTS     10000
#define EDGE_STORE_MAX_PART_SIZE (5ull << 30)

//  A store over the directory path (created when missing). Returns NULL
//  (and logs why) if it cannot be created. Caller owns the result.
edge_store_t *edge_store_new_fs (const char *path);
//  The URL of an S3 endpoint as users write it: a bare "host[:port]" (the
//  vendor's documented form) means https; one with a scheme is kept as it
//  is. Caller owns the result.
char *edge_store_s3_endpoint_url (const char *endpoint);
//  A store over an S3 bucket. Returns NULL (and logs why) when a
//  parameter is missing or the endpoint is neither an http(s) URL nor a
//  bare host[:port]. Nothing is contacted yet. Caller owns the result.
edge_store_t *edge_store_new_s3 (const edge_store_s3_opts_t *opts);
//  A store from a URL: "file:///abs/path", or "s3://bucket[/prefix]" whose
//  endpoint, region and keys come from s3 (its bucket and prefix are
//  ignored). Returns NULL (and logs why) on a bad URL. Caller owns it.
edge_store_t *edge_store_new_from_url (const char *url,
                                       const edge_store_s3_opts_t *s3);
//  The directory of a "file://" store URL (what follows the scheme), or
//  NULL for any other URL or NULL. Borrowed from url.
const char *edge_store_url_dir (const char *url);
//  Destroy the store and nullify the caller's reference; NULL-safe.
void edge_store_destroy (edge_store_t **self_p);
//  The part size for a multipart upload of size bytes: preferred, or
//  larger when preferred would need more than EDGE_STORE_MAX_PARTS parts
//  (a 1 TiB tar with 16 MiB parts would be 65,536 parts: S3 refuses the
//  upload). 0 when size cannot be sent in parts at all (over 50 TB).
uint64_t edge_store_part_size (uint64_t size, uint64_t preferred);

//  "fs" or "s3".
const char *edge_store_kind (const edge_store_t *self);
//  S3 only: puts from files bigger than threshold use multipart uploads
//  with parts of part_size. Returns 0, or -1 if part_size is below
//  EDGE_STORE_MIN_PART_SIZE or above threshold.
int edge_store_set_multipart (edge_store_t *self,
                              uint64_t threshold,
                              uint64_t part_size);
//  S3 only: connect timeout (default 5000 ms).
void edge_store_set_connect_timeout (edge_store_t *self, int64_t ms);
//  S3: limit every request to ms as a whole (0, the default: no limit, a
//  request fails only when it stalls for 60 s). For short requests of
//  callers that must not block long (the gc sweep), not for big objects.
void edge_store_set_timeout (edge_store_t *self, int64_t ms);

//  True when key is acceptable (see above).
bool edge_store_key_is_valid (const char *key);

//  Store the file at path as key, streaming. Returns 0 or -1.
int edge_store_put_file (edge_store_t *self, const char *key, const char *path);
//  The same, but path is consumed: on an fs store on the same file system
//  it is synced and renamed into place (no copy); otherwise copied, then
//  removed. On failure path may still exist. Returns 0 or -1.
int edge_store_put_file_move (edge_store_t *self,
                              const char *key,
                              const char *path);
//  Store size bytes of data as key (small objects). Returns 0 or -1.
int edge_store_put_mem (edge_store_t *self,
                        const char *key,
                        const void *data,
                        size_t size);
//  Write object key to the file path (replaced atomically: written to a
//  temporary name in its directory, then renamed). Returns 0, or -1 (err
//  EDGE_ERR_NOT_FOUND when there is no such object).
int edge_store_get_file (edge_store_t *self, const char *key, const char *path);
//  Whether key exists, and its size (size may be NULL). Returns 0 (also
//  when it does not exist), or -1 when that could not be found out.
int edge_store_head (edge_store_t *self,
                     const char *key,
                     bool *exists,
                     uint64_t *size);
//  Delete key. Deleting a missing key succeeds. Returns 0 or -1.
int edge_store_delete (edge_store_t *self, const char *key);
//  Call fn for every object whose key starts with prefix ("" for all).
//  S3 lists in key order; fs in directory order. Returns 0, or -1 on
//  error or when fn returned -1 (then err stays EDGE_ERR_OK).
int edge_store_list (edge_store_t *self,
                     const char *prefix,
                     edge_store_list_fn *fn,
                     void *arg);
//  S3 only: keys per ListObjectsV2 page (1..1000, default 1000).
void edge_store_set_list_page (edge_store_t *self, int max_keys);

//  A streamed write of one object (edge_store_upload.c), for bodies that
//  arrive piece by piece: the object appears whole, and only, at commit.
//  fs: a part file "<key>.part-<id>" beside key (id: 16 hex digits),
//  synced and renamed over key at commit. S3: a multipart upload of key;
//  one part is kept in memory (it grows up to the part size, see
//  edge_store_part_size) and PUT when full, so an upload never holds the
//  object in memory or on local disk. The upload borrows its store (the
//  store must outlive it; one thread uses both) and leaves its errors on
//  the store (edge_store_err, edge_store_errstr).
typedef struct edge_store_upload edge_store_upload_t;

//  Begin writing key, which will get at most size bytes (exact when
//  known, else an upper bound: S3 picks the part size from it so that it
//  fits in EDGE_STORE_MAX_PARTS parts). S3: CreateMultipartUpload. Returns
//  NULL with the store's error set. Caller owns the result.
edge_store_upload_t *
edge_store_upload_new (edge_store_t *store, const char *key, uint64_t size);
//  Append len bytes (S3: PUTs a part when one is full). Returns 0, or -1
//  with the store's error set (EDGE_ERR_SIZE_MISMATCH past the announced
//  size): the upload is then failed, and only destroy is left.
int edge_store_upload_write (edge_store_upload_t *self,
                             const void *data,
                             size_t len);
//  Make the object visible under key, whole (fs: fsync, rename, fsync of
//  the directory; S3: the last part, then CompleteMultipartUpload).
//  Returns 0, or -1 with the store's error set; either way only destroy
//  is left.
int edge_store_upload_commit (edge_store_upload_t *self);
//  Abort the upload unless it was committed (nothing stays visible), free
//  it and nullify the caller's reference; NULL-safe.
void edge_store_upload_destroy (edge_store_upload_t **self_p);
//  The upload's id, for records that may have to abort it later (S3: the
//  UploadId; fs: the part file's suffix). Borrowed: valid until destroy.
const char *edge_store_upload_id (const edge_store_upload_t *self);
//  Abort the upload upload_id of key that another request or process
//  left (a stale PUT taken over, an expired upload): fs removes its part
//  file, S3 aborts the multipart upload. Returns 0 when it is gone (or
//  never existed), also when the server cannot abort uploads (s3rver
//  answers 405: logged; a bucket lifecycle rule removes incomplete
//  uploads), or -1 with the store's error set.
int edge_store_upload_abort (edge_store_t *store,
                             const char *key,
                             const char *upload_id);

//  Last error code, message ("" when none) and HTTP status (0 if none).
//  Borrowed: valid until the next call on self.
edge_err_t edge_store_err (const edge_store_t *self);
const char *edge_store_errstr (const edge_store_t *self);
int edge_store_http_status (const edge_store_t *self);
#endif
