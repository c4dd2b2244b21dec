/*  gw_pcache - per-thread cache of authenticated principals: a
    set-associative table (slot sets of S_WAYS entries chosen by the key's
    first bytes), entries stamped with the time their lookup started and
    the process-wide invalidation epoch of that moment.  */
#include "gw_pcache.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define S_WAYS 4

typedef struct {
    gw_pcache_key_t key;
    int64_t born_ms;    //  when its Redis lookup started (monotonic)
    int64_t expires_ms; //  born_ms + the shorter of ttl_ms and the
                        //  credential's own lifetime
    uint64_t epoch;     //  s_epoch when its Redis lookup started
    bool is_used;
    gw_principal_t principal;
} s_entry_t;

struct gw_pcache {
    s_entry_t *entries; //  capacity entries, sets of ways
    size_t capacity;    //  a power of two
    size_t ways;        //  entries per set: min (S_WAYS, capacity)
    size_t size;        //  entries in use
    int64_t ttl_ms;     //  0: disabled
};

//  Bumped by every invalidation: an entry of an older epoch is never used.
static atomic_uint_fast64_t s_epoch = 1;
//  The BLAKE2b key of the digests, random per process.
static unsigned char s_hash_key[crypto_generichash_KEYBYTES];
static pthread_once_t s_hash_once = PTHREAD_ONCE_INIT;


static void
s_hash_init (void)
{
    int rc = sodium_init ();
    edge_assert (rc >= 0);
    randombytes_buf (s_hash_key, sizeof s_hash_key);
}


//  The digest of count strings, each with its NUL (no two inputs share
//  one), prefixed with a domain letter.
static void
s_digest (char domain,
          const char *const *parts,
          size_t count,
          gw_pcache_key_t *key)
{
    pthread_once (&s_hash_once, s_hash_init);
    crypto_generichash_state state;
    crypto_generichash_init (&state, s_hash_key, sizeof s_hash_key,
                             sizeof key->bytes);
    crypto_generichash_update (&state, (const unsigned char *) &domain, 1);
    for (size_t i = 0; i < count; i++)
        crypto_generichash_update (&state, (const unsigned char *) parts[i],
                                   strlen (parts[i]) + 1);
    crypto_generichash_final (&state, key->bytes, sizeof key->bytes);
}


//  The first entry of key's set.
static s_entry_t *
s_set_of (const gw_pcache_t *self, const gw_pcache_key_t *key)
{
    uint64_t bits;
    memcpy (&bits, key->bytes, sizeof bits);
    size_t sets = self->capacity / self->ways;
    return &self->entries[(bits & (sets - 1)) * self->ways];
}


//  Where key goes: its own entry, else a free one of its set, else the
//  set's oldest.
static s_entry_t *
s_slot_for (const gw_pcache_t *self, const gw_pcache_key_t *key)
{
    s_entry_t *set = s_set_of (self, key), *oldest = &set[0], *unused = NULL;
    for (size_t i = 0; i < self->ways; i++) {
        s_entry_t *entry = &set[i];
        if (!entry->is_used)
            unused = unused ? unused : entry;
        else if (sodium_memcmp (entry->key.bytes, key->bytes, sizeof key->bytes)
                 == 0)
            return entry;
        else if (entry->born_ms < oldest->born_ms)
            oldest = entry;
    }
    return unused ? unused : oldest;
}


gw_pcache_t *
gw_pcache_new (size_t capacity, int64_t ttl_ms)
{
    edge_assert (ttl_ms >= 0);
    gw_pcache_t *self = edge_calloc (1, sizeof *self);
    self->capacity = 1;
    while (self->capacity < capacity)
        self->capacity *= 2;
    self->ways = self->capacity < S_WAYS ? self->capacity : S_WAYS;
    self->ttl_ms = ttl_ms;
    //  calloc: a large table's pages are touched only when used
    self->entries = edge_calloc (self->capacity, sizeof (s_entry_t));
    return self;
}


void
gw_pcache_destroy (gw_pcache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_pcache_t *self = *self_p;
    if (self->size)
        sodium_memzero (self->entries, self->capacity * sizeof (s_entry_t));
    free (self->entries);
    free (self);
    *self_p = NULL;
}


void
gw_pcache_key_token (const char *token, gw_pcache_key_t *key)
{
    edge_assert (token && key);
    const char *parts[1] = {token};
    s_digest ('t', parts, 1, key);
}


void
gw_pcache_key_api_key (const char *org,
                       const char *username,
                       const char *api_key,
                       gw_pcache_key_t *key)
{
    edge_assert (org && username && api_key && key);
    const char *parts[3] = {org, username, api_key};
    s_digest ('k', parts, 3, key);
}


uint64_t
gw_pcache_epoch (void)
{
    return atomic_load (&s_epoch);
}


void
gw_pcache_invalidate_all (void)
{
    atomic_fetch_add (&s_epoch, 1);
}


bool
gw_pcache_get (gw_pcache_t *self,
               const gw_pcache_key_t *key,
               int64_t now_ms,
               gw_principal_t *principal)
{
    edge_assert (self && key && principal);
    if (self->ttl_ms == 0)
        return false;
    uint64_t epoch = atomic_load (&s_epoch);
    s_entry_t *set = s_set_of (self, key);
    for (size_t i = 0; i < self->ways; i++) {
        s_entry_t *entry = &set[i];
        if (!entry->is_used
            || sodium_memcmp (entry->key.bytes, key->bytes, sizeof key->bytes))
            continue;
        if (entry->epoch != epoch || now_ms < entry->born_ms
            || now_ms >= entry->expires_ms)
            return false; //  invalidated or expired: the next put replaces it
        *principal = entry->principal;
        return true;
    }
    return false;
}


void
gw_pcache_put (gw_pcache_t *self,
               const gw_pcache_key_t *key,
               int64_t born_ms,
               uint64_t epoch,
               int64_t lifetime_ms,
               const gw_principal_t *principal)
{
    edge_assert (self && key && principal);
    int64_t age_max = self->ttl_ms;
    if (lifetime_ms >= 0 && lifetime_ms < age_max)
        age_max = lifetime_ms;
    if (age_max <= 0 || atomic_load (&s_epoch) != epoch)
        return;
    s_entry_t *slot = s_slot_for (self, key);
    if (!slot->is_used)
        self->size++;
    slot->key = *key;
    slot->born_ms = born_ms;
    slot->expires_ms = born_ms + age_max;
    slot->epoch = epoch;
    slot->is_used = true;
    slot->principal = *principal;
}


size_t
gw_pcache_size (const gw_pcache_t *self)
{
    edge_assert (self);
    return self->size;
}


int64_t
gw_pcache_ttl_ms (const gw_pcache_t *self)
{
    edge_assert (self);
    return self->ttl_ms;
}
