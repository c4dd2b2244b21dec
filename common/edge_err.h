/*  edge_err - one vocabulary of outcomes for every module: a result code
    (edge_err_t) that carries its default HTTP status and the API's error
    code (the "code" of {"error":{...}}, docs/openapi.yaml), in the manner
    of libuv's UV_ERRNO_MAP. A module returns EDGE_ERR_NOT_FOUND rather
    than its own NOT_FOUND; the gateway turns it into 404 "not_found"
    unless the handler knows better.

    Add a code here when a new outcome appears; the table keeps name,
    status and API code together. Outcomes that only modules see (a store
    that cannot be reached, a token of the wrong kind) share the API code
    a client is answered with by default; edge_err_from_code gives the
    first name with a code.  */
#ifndef EDGE_ERR_H_INCLUDED
#define EDGE_ERR_H_INCLUDED

//  XX (NAME, HTTP status, API error code)
#define EDGE_ERR_MAP(XX)                                                       \
    XX (OK, 200, "ok")                                                         \
    XX (SKIPPED, 200, "ok") /*  nothing to do (not due): not an error  */      \
    /*  the request  */                                                        \
    XX (INVALID_FIELD, 400, "invalid_field")                                   \
    XX (MISSING_FIELD, 400, "missing_field")                                   \
    XX (UNKNOWN_FIELD, 400, "unknown_field")                                   \
    XX (INVALID_JSON, 400, "invalid_json")                                     \
    XX (MALFORMED_JSON, 400, "malformed_json")                                 \
    XX (MALFORMED_BODY, 400, "malformed_body")                                 \
    XX (MALFORMED_MSGPACK, 400, "malformed_msgpack")                           \
    XX (MALFORMED_QUERY, 400, "malformed_query")                               \
    XX (INVALID_ACCESS, 400, "invalid_access")                                 \
    XX (AMBIGUOUS_CREDENTIALS, 400, "ambiguous_credentials")                   \
    XX (API_KEY_NOT_ALLOWED, 400, "api_key_not_allowed")                       \
    XX (UNAUTHORIZED, 401, "unauthorized")                                     \
    XX (FORBIDDEN, 403, "forbidden")                                           \
    XX (NOT_FOUND, 404, "not_found")                                           \
    XX (METHOD_NOT_ALLOWED, 405, "method_not_allowed")                         \
    XX (UPLOAD_TOO_SLOW, 408, "upload_too_slow")                               \
    XX (CONFLICT, 409, "conflict")                                             \
    XX (UPLOAD_EXPIRED, 410, "upload_expired")                                 \
    XX (LENGTH_REQUIRED, 411, "length_required")                               \
    XX (PAYLOAD_TOO_LARGE, 413, "payload_too_large")                           \
    XX (UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type")                 \
    XX (URL_REFUSED, 422, "url_refused")                                       \
    XX (WRONG_PASSWORD, 422, "wrong_password")                                 \
    XX (UNKNOWN_ROLE, 422, "unknown_role")                                     \
    XX (UNKNOWN_DEPLOYMENT, 422, "unknown_deployment")                         \
    XX (NOT_A_MACHINE_USER, 422, "not_a_machine_user")                         \
    XX (MACHINE_USER, 422, "machine_user")                                     \
    XX (SIZE_MISMATCH, 422, "size_mismatch")                                   \
    XX (UPLOAD_TOO_LARGE, 422, "upload_too_large")                             \
    XX (RATE_LIMITED, 429, "rate_limited")                                     \
    /*  the state of a resource (409)  */                                      \
    XX (APP_LOCKED, 409, "app_locked")                                         \
    XX (APP_DELETING, 409, "app_deleting")                                     \
    XX (BUILD_EXISTS, 409, "build_exists")                                     \
    XX (BUILD_IMPORTING, 409, "build_importing")                               \
    XX (NO_BUILD, 409, "no_build")                                             \
    XX (PROCESSING_BUSY, 409, "processing_busy")                               \
    XX (NOT_ENOUGH_TRACES, 409, "not_enough_traces")                           \
    XX (DEPLOYMENT_IN_USE, 409, "deployment_in_use")                           \
    XX (DEPLOYMENT_DELETING, 409, "deployment_deleting")                       \
    XX (ROLE_IN_USE, 409, "role_in_use")                                       \
    XX (IMMUTABLE_ROLE, 409, "immutable_role")                                 \
    XX (LAST_ADMINISTRATOR, 409, "last_administrator")                         \
    XX (UPLOAD_IN_PROGRESS, 409, "upload_in_progress")                         \
    XX (UPLOAD_USED, 409, "upload_used")                                       \
    XX (UPLOAD_INCOMPLETE, 409, "upload_incomplete")                           \
    XX (ALREADY_COMMITTED, 409, "already_committed")                           \
    XX (NOT_AN_UPLOAD, 409, "not_an_upload")                                   \
    XX (GONE, 409, "conflict") /*  not in the expected state, or not ours  */  \
    /*  credentials (each answered as 401 unauthorized)  */                    \
    XX (WRONG_KIND, 401, "unauthorized") /*  a token of the other kind  */     \
    XX (USER_GONE, 401, "unauthorized")  /*  its user no longer exists  */     \
    XX (MISMATCH, 401, "unauthorized")   /*  API key: wrong secret  */         \
    XX (WRONG_USER, 401, "unauthorized") /*  API key of another user  */       \
    /*  URLs refused by the URL guard (422 url_refused)  */                    \
    XX (URL_BAD, 422, "url_refused")        /*  not an absolute URL  */        \
    XX (URL_SCHEME, 422, "url_refused")     /*  not http or https  */          \
    XX (URL_UNRESOLVED, 422, "url_refused") /*  the name did not resolve  */   \
    /*  object stores and the depot  */                                        \
    XX (STORE_KEY, 500, "internal")  /*  the key is not acceptable  */         \
    XX (STORE_IO, 500, "internal")   /*  a local file or directory error  */   \
    XX (STORE_CONNECT, 503, "store_unavailable") /*  not reached  */           \
    XX (STORE_HTTP, 503, "store_unavailable")    /*  it answered an error  */  \
    XX (STORE_PROTOCOL, 503, "store_unavailable") /*  a senseless answer  */ \
    /*  the service  */                                                        \
    XX (INTERNAL, 500, "internal")                                             \
    XX (REDIS, 503, "redis_unavailable")                                       \
    XX (NOT_REPLICATED, 503, "not_replicated")                                 \
    XX (STORE, 503, "store_unavailable")                                       \
    XX (DEPOT, 503, "depot_unavailable")                                       \
    XX (BUSY, 503, "busy")                                                     \
    XX (UNAVAILABLE, 503, "unavailable")

typedef enum {
#define EDGE_ERR_ENUM(name, status, code) EDGE_ERR_##name,
    EDGE_ERR_MAP (EDGE_ERR_ENUM)
#undef EDGE_ERR_ENUM
    EDGE_ERR_COUNT_ //  not a code: how many there are
} edge_err_t;

//  The default HTTP status of err (500 for a value outside the table).
int edge_err_status (edge_err_t err);
//  The API error code of err, e.g. "not_found" ("internal" outside the
//  table). Static.
const char *edge_err_code (edge_err_t err);
//  The code named by an API error code or a script's status word (e.g.
//  "not_found", "conflict"); EDGE_ERR_COUNT_ when there is none.
edge_err_t edge_err_from_code (const char *code);
#endif
