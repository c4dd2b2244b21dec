/*  gw_upload - client uploads of native build tars (pipeline contract,
    "Uploads"): the upload token and its record, and PUT /upload/v1/{token}.

    A token is 32 random bytes in base64url (43 characters); only its
    SHA-256 is stored, as the record's key e:upload:<sha256 hex>, a hash
    {org, app, build, task, group, tarKey, state, sizeBytes, expiresMs} with
    state open -> receiving -> received -> committed (or expired, set by
    the reaper). The token is the PUT's only credential: it is never logged
    (the server's access line masks the path) nor stored in clear.

    The PUT streams the body in 64 KiB pieces into the depot (EDGE_STORE)
    as a streamed write of <tarKey> (edge_store_upload): on a file://
    depot the part file <tarKey>.part-<id>, fsync'ed and renamed at the
    end; on an s3:// depot a multipart upload of <tarKey> with one part
    (16 MiB, more for tars over 160 GiB) in memory, completed at the end.
    The tar appears whole, and only then. The upload's id is kept in the
    record (field part) so that a PUT taking this one over, or the expiry,
    can abort it. No Redis connection is held while bytes flow, only short
    scripts at the start, every few seconds (touchedMs) and at the end;
    touchedMs is stamped once more just before the commit, the fence
    against a PUT that was taken over. Any failure aborts the upload and
    sets the record back to open, so the PUT can be redone; a receiving
    record whose PUT stopped touching it for GW_UPLOAD_STALE_MS (a gateway
    died mid-PUT) may be taken over.

    Each PUT holds a request thread for the whole transfer, so at most
    EDGE_UPLOAD_PARALLEL run at once in a process (the others get 503 at
    once, the record untouched), and a PUT that sends less than
    GW_UPLOAD_RATE_MIN_BYTES in a window of GW_UPLOAD_RATE_MS is aborted
    (408); time spent waiting on the depot (S3 part PUTs) does not count. The
   record keeps the import's size (field size) when POST /be/v1/builds gave one;
   the PUT must carry exactly that many bytes.  */
#ifndef GW_UPLOAD_H_INCLUDED
#define GW_UPLOAD_H_INCLUDED
#include "edge_keys.h"
#include "gw_ctx.h"
#include "gw_req.h"
#include "gw_thread.h"
#include <stdbool.h>

#define GW_UPLOAD_TOKEN_LEN      43 //  base64url of 32 bytes
#define GW_UPLOAD_KEY_MAX        (sizeof EDGE_KEY_UPLOAD_PREFIX + 64) //  + hex + NUL
#define GW_UPLOAD_PATH           "/upload/v1/"    //  the PUT path, + token
#define GW_UPLOAD_KEEP_MS        (7LL * 86400000) //  record kept past expiry
#define GW_UPLOAD_STALE_MS       120000           //  receiving, untouched
#define GW_UPLOAD_RATE_MS        60000            //  minimum rate: the window
#define GW_UPLOAD_RATE_MIN_BYTES (64 * 1024)      //  bytes due in each window

//  True when token has the shape of an upload token (43 characters of
//  [A-Za-z0-9_-]).
bool gw_upload_token_is_valid (const char *token);
//  A new random token into token (GW_UPLOAD_TOKEN_LEN + 1 bytes) and its
//  record key into key (GW_UPLOAD_KEY_MAX).
void gw_upload_token_new (char *token, char *key);
//  The record key of token into key (GW_UPLOAD_KEY_MAX).
void gw_upload_key (const char *token, char *key);
//  PUT /upload/v1/{token}: the body (any content type, Content-Length or
//  chunked) is the tar. 200 {"sizeBytes","sha256"}; 401 unknown token,
//  410 expired, 409 upload_in_progress / upload_used, 411 no length, 413
//  over EDGE_UPLOAD_MAX_BYTES, 400 short or empty body, 422 size_mismatch
//  (not the import's size), 408 upload_too_slow, 503 busy (every upload
//  slot taken; Retry-After: 30). The server skips its own body reading
//  for this handler (gw_server).
void gw_upload_put (gw_req_t *req, const gw_ctx_t *ctx, gw_thread_t *thread);
#endif
