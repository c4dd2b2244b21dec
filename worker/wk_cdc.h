/*  wk_cdc - content-defined chunking (FastCDC with normalised chunking).

    A streaming chunker: feed the bytes of one stream (a file) in pieces of
    any size and it reports the cut points. The cuts depend only on the
    content, never on how the stream was split into feeds, so identical
    content gives identical chunks. The gear table is generated at
    construction from a fixed seed (splitmix64), so every build of the
    program cuts the same way.  */
#ifndef WK_CDC_H_INCLUDED
#define WK_CDC_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WK_CDC_MIN  (16u * 1024u)  //  smallest chunk (except a stream's last)
#define WK_CDC_AVG  (64u * 1024u)  //  target average chunk size
#define WK_CDC_MAX  (256u * 1024u) //  largest chunk
#define WK_CDC_SEED 0x726f636b69746564ull //  gear table seed ("rockited")

typedef struct wk_cdc wk_cdc_t;

//  Create a chunker with the sizes above. Caller owns the result.
wk_cdc_t *wk_cdc_new (void);
//  Create a chunker with other sizes (tests): min <= avg <= max, min < max,
//  avg a power of two of at least 256. Caller owns the result.
wk_cdc_t *wk_cdc_new_sized (uint32_t min, uint32_t avg, uint32_t max);
//  Destroy the chunker and nullify the caller's reference; NULL-safe.
void wk_cdc_destroy (wk_cdc_t **self_p);
//  Start a new stream: the next byte fed begins a new chunk.
void wk_cdc_reset (wk_cdc_t *self);
//  Scan up to len bytes of data. Returns how many bytes were consumed; when
//  *is_cut is true, the current chunk ends after the last consumed byte and
//  the next byte begins a new chunk. Call again with the rest of the data.
//  The end of a stream is always a cut (the caller ends its last chunk).
size_t
wk_cdc_feed (wk_cdc_t *self, const uint8_t *data, size_t len, bool *is_cut);
//  Bytes of the current (unfinished) chunk seen so far.
uint32_t wk_cdc_pending (const wk_cdc_t *self);
#endif
