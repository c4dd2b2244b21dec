/*  wk_cdc - FastCDC content-defined chunking with normalised chunking.

    The gear hash is h = (h << 1) + gear[byte]; bit k of h depends on the
    last k+1 bytes, so the masks test the top bits, which depend on the last
    64 bytes. Before the average size a mask with two more bits makes a cut
    less likely, after it a mask with two fewer bits makes it more likely
    (normalisation level 2), which narrows the chunk size distribution. No
    cut is looked for before min bytes, and max bytes always cut.  */
#include "wk_cdc.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <stdlib.h>

struct wk_cdc {
    uint64_t gear[256]; //  gear table, from WK_CDC_SEED
    uint64_t mask_s;    //  harder mask, used before avg bytes
    uint64_t mask_l;    //  easier mask, used from avg bytes on
    uint32_t min;       //  no cut before this many bytes
    uint32_t avg;       //  switch point between the masks
    uint32_t max;       //  forced cut at this many bytes
    uint32_t pos;       //  bytes of the current chunk seen so far
    uint64_t hash;      //  rolling gear hash of the current chunk
};


//  splitmix64: a small, well-mixed generator for the gear table.
static uint64_t
s_splitmix64 (uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}


static int
s_log2 (uint32_t value)
{
    int bits = 0;
    while (value > 1) {
        value >>= 1;
        bits++;
    }
    return bits;
}


//  A mask of the top `bits` bits of a 64-bit hash.
static uint64_t
s_top_mask (int bits)
{
    return bits <= 0 ? 0 : ~0ull << (64 - bits);
}


wk_cdc_t *
wk_cdc_new (void)
{
    return wk_cdc_new_sized (WK_CDC_MIN, WK_CDC_AVG, WK_CDC_MAX);
}


wk_cdc_t *
wk_cdc_new_sized (uint32_t min, uint32_t avg, uint32_t max)
{
    edge_assert (min >= 1 && min <= avg && avg <= max && min < max);
    edge_assert (avg >= 256 && (avg & (avg - 1)) == 0);
    wk_cdc_t *self = edge_calloc (1, sizeof (*self));
    uint64_t state = WK_CDC_SEED;
    for (int i = 0; i < 256; i++)
        self->gear[i] = s_splitmix64 (&state);
    int bits = s_log2 (avg);
    self->mask_s = s_top_mask (bits + 2);
    self->mask_l = s_top_mask (bits - 2);
    self->min = min;
    self->avg = avg;
    self->max = max;
    return self;
}


void
wk_cdc_destroy (wk_cdc_t **self_p)
{
    edge_assert (self_p);
    free (*self_p);
    *self_p = NULL;
}


void
wk_cdc_reset (wk_cdc_t *self)
{
    edge_assert (self);
    self->pos = 0;
    self->hash = 0;
}


size_t
wk_cdc_feed (wk_cdc_t *self, const uint8_t *data, size_t len, bool *is_cut)
{
    edge_assert (self && (data || len == 0) && is_cut);
    *is_cut = false;
    size_t i = 0;
    //  Skip hashing below the minimum size
    if (self->pos < self->min) {
        size_t skip = self->min - self->pos;
        if (skip > len)
            skip = len;
        self->pos += (uint32_t) skip;
        i = skip;
    }
    uint64_t hash = self->hash;
    while (i < len) {
        hash = (hash << 1) + self->gear[data[i++]];
        uint32_t pos = ++self->pos;
        uint64_t mask = pos < self->avg ? self->mask_s : self->mask_l;
        if ((hash & mask) == 0 || pos >= self->max) {
            *is_cut = true;
            self->pos = 0;
            self->hash = 0;
            return i;
        }
    }
    self->hash = hash;
    return i;
}


uint32_t
wk_cdc_pending (const wk_cdc_t *self)
{
    edge_assert (self);
    return self->pos;
}
