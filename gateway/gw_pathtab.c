/*  gw_pathtab - distinct strings numbered by first appearance: one arena of
    NUL-terminated copies and an open-addressing index (linear probing,
    load at most 1/2). The strings come from clients (trace paths), so the
    hash is keyed SipHash-2-4 (libsodium crypto_shorthash) with a key drawn
    once per process: nobody can choose paths that collide.  */
#include "gw_pathtab.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_EMPTY UINT32_MAX

struct gw_pathtab {
    char *arena; //  the strings, NUL-terminated, back to back
    size_t arena_len, arena_cap;
    size_t *offsets;   //  offset of string i in arena
    size_t *lens;      //  length of string i
    size_t count, cap; //  strings, and room in offsets/lens
    uint32_t *slots;   //  index of the string in each slot, or S_EMPTY
    size_t nslots;     //  a power of two
};


static unsigned char s_key[crypto_shorthash_KEYBYTES]; //  per process
static pthread_once_t s_key_once = PTHREAD_ONCE_INIT;


static void
s_key_init (void)
{
    randombytes_buf (s_key, sizeof s_key);
}


static uint64_t
s_hash (const char *text, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash (out, (const unsigned char *) text, len, s_key);
    uint64_t hash;
    memcpy (&hash, out, sizeof hash);
    return hash;
}


//  The slot holding path, or the empty slot where it would go.
static size_t
s_slot (const gw_pathtab_t *self, const char *path, size_t len)
{
    size_t mask = self->nslots - 1;
    size_t slot = (size_t) s_hash (path, len) & mask;
    while (self->slots[slot] != S_EMPTY) {
        uint32_t i = self->slots[slot];
        if (self->lens[i] == len
            && memcmp (self->arena + self->offsets[i], path, len) == 0)
            break;
        slot = (slot + 1) & mask;
    }
    return slot;
}


static void
s_grow_index (gw_pathtab_t *self)
{
    free (self->slots);
    self->nslots = self->nslots ? self->nslots * 2 : 64;
    self->slots = edge_malloc (self->nslots * sizeof (uint32_t));
    memset (self->slots, 0xff, self->nslots * sizeof (uint32_t));
    for (size_t i = 0; i < self->count; i++) {
        size_t slot =
            s_slot (self, self->arena + self->offsets[i], self->lens[i]);
        self->slots[slot] = (uint32_t) i;
    }
}


gw_pathtab_t *
gw_pathtab_new (void)
{
    pthread_once (&s_key_once, s_key_init);
    gw_pathtab_t *self = edge_calloc (1, sizeof *self);
    s_grow_index (self);
    return self;
}


void
gw_pathtab_destroy (gw_pathtab_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_pathtab_t *self = *self_p;
    free (self->slots);
    free (self->lens);
    free (self->offsets);
    free (self->arena);
    free (self);
    *self_p = NULL;
}


size_t
gw_pathtab_intern (gw_pathtab_t *self, const char *path, size_t len)
{
    edge_assert (self && path);
    size_t slot = s_slot (self, path, len);
    if (self->slots[slot] != S_EMPTY)
        return self->slots[slot];
    edge_assert (self->count < S_EMPTY - 1);
    size_t cap = self->cap; //  offsets and lens: one capacity
    self->offsets = edge_grow (self->offsets, &self->cap, self->count + 1, 64,
                               sizeof (size_t));
    self->lens =
        edge_grow (self->lens, &cap, self->count + 1, 64, sizeof (size_t));
    self->arena = edge_grow (self->arena, &self->arena_cap,
                             self->arena_len + len + 1, 4096, 1);
    memcpy (self->arena + self->arena_len, path, len);
    self->arena[self->arena_len + len] = '\0';
    size_t index = self->count++;
    self->offsets[index] = self->arena_len;
    self->lens[index] = len;
    self->arena_len += len + 1;
    self->slots[slot] = (uint32_t) index;
    if (self->count * 2 > self->nslots)
        s_grow_index (self);
    return index;
}


int64_t
gw_pathtab_find (const gw_pathtab_t *self, const char *path, size_t len)
{
    edge_assert (self && path);
    uint32_t index = self->slots[s_slot (self, path, len)];
    return index == S_EMPTY ? -1 : (int64_t) index;
}


size_t
gw_pathtab_count (const gw_pathtab_t *self)
{
    edge_assert (self);
    return self->count;
}


const char *
gw_pathtab_at (const gw_pathtab_t *self, size_t index, size_t *len)
{
    edge_assert (self && index < self->count);
    if (len)
        *len = self->lens[index];
    return self->arena + self->offsets[index];
}


size_t
gw_pathtab_bytes (const gw_pathtab_t *self)
{
    edge_assert (self);
    return self->arena_cap + self->cap * 2 * sizeof (size_t)
           + self->nslots * sizeof (uint32_t) + sizeof *self;
}
