/*  edge_depot - the internal depot, where gateways and workers keep build
    tars, traces, images and patches: file:///path (a directory every
    gateway and worker shares) or s3://bucket[/prefix] (an S3 bucket, with
    its endpoint, region and credentials in EDGE_STORE_S3_*), so that a
    cluster needs no shared disk.

    The configuration rows are shared by the gateway and the worker. The
    depot is checked once at start (a bucket that does not exist or refuses
    the credentials stops the process with one clear line, exit 2); every
    thread then opens its own store with edge_depot_open.  */
#ifndef EDGE_DEPOT_H_INCLUDED
#define EDGE_DEPOT_H_INCLUDED
#include "edge_cfg.h"
#include "edge_store.h"
#include <stdbool.h>
#include <stddef.h>

//  The depot's settings, as loaded by EDGE_CFG_ROWS_DEPOT.
typedef struct {
    char *url;         //  EDGE_STORE
    char *s3_endpoint; //  EDGE_STORE_S3_ENDPOINT
    char *s3_region;   //  EDGE_STORE_S3_REGION
    char *s3_key_id;   //  EDGE_STORE_S3_ACCESS_KEY_ID
    char *s3_secret;   //  EDGE_STORE_S3_SECRET_ACCESS_KEY (secret)
} edge_depot_cfg_t;

//  The five rows of a config struct type whose member field is an
//  edge_depot_cfg_t.
// clang-format off
#define EDGE_CFG_ROWS_DEPOT(type, field)                                       \
    {"EDGE_STORE", EDGE_CFG_STR, offsetof (type, field.url),                   \
     "file:///var/tmp/rockit-edge/store", 0, 0, false,                         \
     "internal depot: file:///path or s3://bucket[/prefix]",                   \
     edge_depot_check_url},                                                    \
    {"EDGE_STORE_S3_ENDPOINT", EDGE_CFG_STR,                                   \
     offsetof (type, field.s3_endpoint), "", 0, 0, false,                      \
     "S3 depot: host[:port] (https) or http(s)://host[:port]", NULL},          \
    {"EDGE_STORE_S3_REGION", EDGE_CFG_STR, offsetof (type, field.s3_region),   \
     "us-east-1", 0, 0, false, "S3 depot: region", NULL},                      \
    {"EDGE_STORE_S3_ACCESS_KEY_ID", EDGE_CFG_STR,                              \
     offsetof (type, field.s3_key_id), "", 0, 0, false,                        \
     "S3 depot: access key id", NULL},                                         \
    {"EDGE_STORE_S3_SECRET_ACCESS_KEY", EDGE_CFG_STR,                          \
     offsetof (type, field.s3_secret), "", 0, 0, true,                         \
     "S3 depot: secret access key", NULL}
// clang-format on

//  EDGE_STORE's shape: file:///absolute/path or s3://bucket[/prefix].
//  Usable as edge_cfg_spec_t.check.
int edge_depot_check_url (const char *value, char *why, size_t whylen);
//  True for an S3 depot.
bool edge_depot_is_s3 (const edge_depot_cfg_t *cfg);
//  The directory of a file:// depot, or NULL for S3. Borrowed from cfg.
const char *edge_depot_fs_root (const edge_depot_cfg_t *cfg);
//  A new store over the depot (one per thread: stores are not
//  thread-safe). NULL (logged) when the settings are incomplete. Caller
//  owns the result.
edge_store_t *edge_depot_open (const edge_depot_cfg_t *cfg);
//  Once at start: the depot works with these settings (fs: the directory
//  can be created; s3: endpoint and credentials are set, and listing the
//  bucket succeeds, which a missing bucket or refused credentials do not).
//  Returns 0, or -1 with why set (one line, no secret).
int edge_depot_check (const edge_depot_cfg_t *cfg, char *why, size_t whylen);
#endif
