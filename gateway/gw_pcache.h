/*  gw_pcache - a bounded cache of authenticated principals, one per
    request thread (never shared: no lock), so that a backend request
    whose credential was checked a moment ago skips the principal lookup
    in Redis.

    Keys are keyed BLAKE2b digests of the credential (a per-process random
    key): neither the token nor the API key, nor the SHA-256 Redis knows
    them by, is kept. An entry lives at most the cache's ttl_ms, counted
    from the moment its Redis lookup STARTED, so a change committed to
    Redis at time c is seen by every request after c + ttl_ms, whichever
    gateway serves it; and never past the credential's own expiry.

    Within one gateway, gw_pcache_invalidate_all makes every entry of
    every thread unusable: the gateway's own identity writes (logout, user,
    role, key or org changes) call it before they answer, so they take
    effect there at once. Only successful authentications are cached;
    failures always ask Redis.  */
#ifndef GW_PCACHE_H_INCLUDED
#define GW_PCACHE_H_INCLUDED
#include "gw_principal.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_PCACHE_KEY_BYTES   32
#define GW_PCACHE_TTL_MAX_MS  1000 //  the documented bound (EDGE_AUTH_CACHE_MS)
#define GW_PCACHE_THREAD_SIZE 1024 //  entries per request thread

typedef struct gw_pcache gw_pcache_t;

//  A credential's cache key (a digest, never the secret).
typedef struct {
    unsigned char bytes[GW_PCACHE_KEY_BYTES];
} gw_pcache_key_t;

//  Create a cache of at most capacity entries (rounded up to a power of
//  two, at least 1) whose entries live ttl_ms (0: a disabled cache that
//  never hits). Caller owns the result.
gw_pcache_t *gw_pcache_new (size_t capacity, int64_t ttl_ms);
//  Destroy the cache (its entries are wiped) and nullify; NULL-safe.
void gw_pcache_destroy (gw_pcache_t **self_p);
//  The key of an auth token.
void gw_pcache_key_token (const char *token, gw_pcache_key_t *key);
//  The key of an API-key triple (org, username, "keyId.secret").
void gw_pcache_key_api_key (const char *org,
                            const char *username,
                            const char *api_key,
                            gw_pcache_key_t *key);
//  The invalidation epoch: read it BEFORE the Redis lookup whose result
//  is then given to gw_pcache_put.
uint64_t gw_pcache_epoch (void);
//  Make every entry of every cache of the process unusable, and refuse
//  puts of lookups that started before this call. Thread-safe and cheap
//  (one atomic increment).
void gw_pcache_invalidate_all (void);
//  Copy the principal cached under key into principal and return true,
//  when there is one still living at now_ms (monotonic ms) and no
//  invalidation since its lookup started; else false.
bool gw_pcache_get (gw_pcache_t *self,
                    const gw_pcache_key_t *key,
                    int64_t now_ms,
                    gw_principal_t *principal);
//  Cache a copy of principal under key: its lookup started at born_ms
//  (monotonic ms) with gw_pcache_epoch () == epoch, and found a credential
//  living lifetime_ms more (-1: no expiry); the entry lives the shorter of
//  that and ttl_ms. Does nothing when the cache is disabled, the lifetime
//  is 0 or an invalidation came since. A full slot set gives up its
//  oldest entry.
void gw_pcache_put (gw_pcache_t *self,
                    const gw_pcache_key_t *key,
                    int64_t born_ms,
                    uint64_t epoch,
                    int64_t lifetime_ms,
                    const gw_principal_t *principal);
//  Entries held (expired ones included until they are replaced).
size_t gw_pcache_size (const gw_pcache_t *self);
//  The lifetime given to gw_pcache_new.
int64_t gw_pcache_ttl_ms (const gw_pcache_t *self);
#endif
