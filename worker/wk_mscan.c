/*  wk_mscan - a streaming JSON reader for manifest.json: a fixed buffer
    over a FILE, walked by recursive descent with callbacks.  */
#include "wk_mscan.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct wk_mscan {
    FILE *file;
    const char *path;         //  borrowed: for "cannot read"
    char *err;                //  the caller's error buffer
    size_t errsize;           //  its size
    unsigned char buf[65536]; //  the window on the file
    size_t pos, len;          //  next byte and bytes in buf
    uint64_t consumed;        //  bytes before buf
    FILE *out;                //  copy mode: where to, while copying
    size_t copy_from;         //  copy mode: first byte of buf to copy
};


static int
s_peek (wk_mscan_t *self)
{
    if (self->pos == self->len) {
        if (self->out && self->len > self->copy_from)
            fwrite (self->buf + self->copy_from, 1, self->len - self->copy_from,
                    self->out);
        self->copy_from = 0;
        self->consumed += self->len;
        self->pos = 0;
        self->len = fread (self->buf, 1, sizeof (self->buf), self->file);
        if (self->len == 0)
            return EOF;
    }
    return self->buf[self->pos];
}


static int
s_ws (wk_mscan_t *self)
{
    int c;
    while ((c = s_peek (self)) == ' ' || c == '\t' || c == '\n' || c == '\r')
        self->pos++;
    return c;
}


static bool
s_eat (wk_mscan_t *self, int want)
{
    if (s_ws (self) != want)
        return false;
    self->pos++;
    return true;
}


static int
s_hex4 (wk_mscan_t *self)
{
    int value = 0;
    for (int i = 0; i < 4; i++) {
        int c = s_peek (self), v = c >= '0' && c <= '9'   ? c - '0'
                                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                          : -1;
        if (v < 0)
            return -1;
        self->pos++;
        value = value * 16 + v;
    }
    return value;
}


//  A string into out (cap bytes, or skipped when out is NULL). Returns 1
//  when it did not fit (out holds ""), 0, or -1 when malformed. Escapes
//  beyond ASCII become byte 0x80: no kept string may hold them.
static int
s_string (wk_mscan_t *self, char *out, size_t cap)
{
    if (!s_eat (self, '"'))
        return -1;
    size_t len = 0;
    bool is_long = false;
    int c;
    while ((c = s_peek (self)) != '"') {
        if (c == EOF || c < 0x20)
            return -1;
        self->pos++;
        if (c == '\\') {
            int e = s_peek (self);
            self->pos++;
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *at = e == EOF || e == 0 ? NULL : strchr (from, e);
            c = e == 'u' ? s_hex4 (self) : at ? to[at - from] : -1;
            if (c < 0 || (e == 'u' && c == 0))
                return -1;
            c = c < 0x80 ? c : 0x80;
        }
        if (out && len + 1 < cap)
            out[len++] = (char) c;
        else
            is_long = true;
    }
    self->pos++;
    if (out)
        out[is_long ? 0 : len] = '\0';
    return out && is_long ? 1 : 0;
}


//  A number: its value when an integer, -1 when a real; -2 when malformed
//  or too large (jansson refuses those too).
static int
s_number (wk_mscan_t *self, int64_t *value)
{
    bool is_negative = s_ws (self) == '-', is_real = false;
    if (is_negative)
        self->pos++;
    int c = s_peek (self);
    if (c < '0' || c > '9')
        return -2;
    uint64_t n = 0;
    for (; (c = s_peek (self)) >= '0' && c <= '9'; self->pos++) {
        if (n > ((uint64_t) INT64_MAX - (uint64_t) (c - '0')) / 10)
            return -2;
        n = n * 10 + (uint64_t) (c - '0');
    }
    for (; c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
           || (is_real && c >= '0' && c <= '9');
         c = s_peek (self)) {
        is_real = true;
        self->pos++;
    }
    *value = is_real ? -1 : is_negative ? -(int64_t) n : (int64_t) n;
    return 0;
}


//  true, false or null.
static int
s_word (wk_mscan_t *self, int c)
{
    const char *words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++)
        if (c == words[i][0]) {
            for (const char *p = words[i]; *p; p++, self->pos++)
                if (s_peek (self) != *p)
                    return -1;
            return 0;
        }
    return -1;
}


static int
s_skip (wk_mscan_t *self, int depth)
{
    int c = s_ws (self);
    if (c == '"')
        return s_string (self, NULL, 0) < 0 ? -1 : 0;
    if (c == '-' || (c >= '0' && c <= '9')) {
        int64_t n;
        return s_number (self, &n) < 0 ? -1 : 0;
    }
    if (c != '[' && c != '{')
        return s_word (self, c);
    if (depth > WK_MSCAN_DEPTH || !s_eat (self, c))
        return -1;
    int close = c == '[' ? ']' : '}';
    if (s_eat (self, close))
        return 0;
    do
        if ((c == '{' && (s_string (self, NULL, 0) != 0 || !s_eat (self, ':')))
            || s_skip (self, depth + 1) != 0)
            return -1;
    while (s_eat (self, ','));
    return s_eat (self, close) ? 0 : -1;
}


//  After a walk of the whole file: the end of the file, then the reason
//  for a failure (a read error first, a callback's reason next).
static int
s_finish (wk_mscan_t *self, int rc)
{
    if (rc == 0 && s_ws (self) != EOF)
        rc = -1;
    if (ferror (self->file)) {
        snprintf (self->err, self->errsize, "cannot read %s", self->path);
        return -1;
    }
    if (rc != 0 && !self->err[0])
        wk_mscan_fail (self, "not JSON near byte %llu",
                       (unsigned long long) (self->consumed + self->pos));
    return rc;
}


wk_mscan_t *
wk_mscan_open (const char *path, char *err, size_t errsize)
{
    edge_assert (path && err && errsize > 0);
    err[0] = '\0';
    FILE *file = fopen (path, "rb");
    if (!file) {
        snprintf (err, errsize, "cannot open %s", path);
        return NULL;
    }
    wk_mscan_t *self = edge_calloc (1, sizeof (*self));
    self->file = file;
    self->path = path;
    self->err = err;
    self->errsize = errsize;
    return self;
}


void
wk_mscan_destroy (wk_mscan_t **self_p)
{
    edge_assert (self_p);
    wk_mscan_t *self = *self_p;
    if (!self)
        return;
    fclose (self->file);
    free (self);
    *self_p = NULL;
}


int
wk_mscan_root (wk_mscan_t *self, wk_mscan_member_fn *member, void *arg)
{
    edge_assert (self && member);
    return s_finish (self, wk_mscan_object (self, member, arg));
}


int
wk_mscan_object (wk_mscan_t *self, wk_mscan_member_fn *member, void *arg)
{
    edge_assert (self && member);
    if (!s_eat (self, '{'))
        return -1;
    if (s_eat (self, '}'))
        return 0;
    char key[WK_MSCAN_STRING];
    do
        if (s_string (self, key, sizeof (key)) < 0 || !s_eat (self, ':')
            || member (self, key, arg) != 0)
            return -1;
    while (s_eat (self, ','));
    return s_eat (self, '}') ? 0 : -1;
}


int
wk_mscan_array (wk_mscan_t *self, wk_mscan_item_fn *item, void *arg)
{
    edge_assert (self && item);
    if (!s_eat (self, '['))
        return -1;
    if (s_eat (self, ']'))
        return 0;
    size_t index = 0;
    do
        if (item (self, index++, arg) != 0)
            return -1;
    while (s_eat (self, ','));
    return s_eat (self, ']') ? 0 : -1;
}


int
wk_mscan_skip (wk_mscan_t *self)
{
    edge_assert (self);
    return s_skip (self, 1);
}


int
wk_mscan_number (wk_mscan_t *self, int64_t *value)
{
    edge_assert (self && value);
    return s_number (self, value) < 0 ? -1 : 0;
}


int
wk_mscan_int (wk_mscan_t *self, int64_t *value)
{
    edge_assert (self && value);
    int c = s_ws (self);
    if (c == '-' || (c >= '0' && c <= '9'))
        return s_number (self, value) < 0 ? -1 : 0;
    *value = -1;
    return s_skip (self, 1);
}


int
wk_mscan_string (wk_mscan_t *self, char *out, size_t cap)
{
    edge_assert (self && out && cap > 0);
    out[0] = '\0';
    if (s_ws (self) != '"')
        return s_skip (self, 1);
    return s_string (self, out, cap) < 0 ? -1 : 0;
}


int
wk_mscan_peek (wk_mscan_t *self)
{
    edge_assert (self);
    return s_ws (self);
}


int
wk_mscan_fail (wk_mscan_t *self, const char *fmt, ...)
{
    edge_assert (self && fmt);
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->err, self->errsize, fmt, args);
    va_end (args);
    return -1;
}


int
wk_mscan_key_index (const char *key, const char *const *names, unsigned *seen)
{
    edge_assert (key && names && seen);
    for (int i = 0; names[i]; i++)
        if (strcmp (key, names[i]) == 0) {
            if (*seen & (1u << i))
                return -2;
            *seen |= 1u << i;
            return i;
        }
    return -1;
}


//  Copy the next value to out byte for byte.
static int
s_copy_value (wk_mscan_t *self, FILE *out)
{
    if (s_ws (self) == EOF)
        return -1;
    self->copy_from = self->pos;
    self->out = out; //  from here s_peek flushes each buffer it leaves
    int rc = s_skip (self, 1);
    if (rc == 0 && self->pos > self->copy_from)
        fwrite (self->buf + self->copy_from, 1, self->pos - self->copy_from,
                out);
    self->out = NULL;
    return rc;
}


//  Walk the root object, copying the first member key's value to out;
//  *is_copied tells whether there was one.
static int
s_copy_root (wk_mscan_t *self, const char *key, FILE *out, bool *is_copied)
{
    if (!s_eat (self, '{'))
        return -1;
    if (s_eat (self, '}'))
        return 0;
    char name[WK_MSCAN_STRING];
    do {
        if (s_string (self, name, sizeof (name)) < 0 || !s_eat (self, ':'))
            return -1;
        bool is_wanted = !*is_copied && strcmp (name, key) == 0;
        if ((is_wanted ? s_copy_value (self, out) : s_skip (self, 1)) != 0)
            return -1;
        *is_copied |= is_wanted;
    } while (s_eat (self, ','));
    return s_eat (self, '}') ? 0 : -1;
}


int
wk_mscan_copy_member (
    const char *path, const char *key, FILE *out, char *err, size_t errsize)
{
    edge_assert (path && key && out && err && errsize > 0);
    wk_mscan_t *self = wk_mscan_open (path, err, errsize);
    if (!self)
        return -1;
    bool is_copied = false;
    int rc = s_finish (self, s_copy_root (self, key, out, &is_copied));
    if (rc == 0 && !is_copied)
        rc = wk_mscan_fail (self, "no member \"%s\"", key);
    wk_mscan_destroy (&self);
    return rc;
}
