/*  gw_manifest - a manifest's file table read by a streaming scanner, and
    a small LRU cache of them (read from a file, or from a store through a
    temporary file).

    The scanner keeps "version" and, of every "files" entry, "path",
    "type", "size" and "target"; every other member (the chunk lists, the
    chunk table, the load order) is skipped without being kept.  */
#include "gw_manifest.h"
#include "edge_assert.h"
#include "edge_store.h"
#include "edge_util.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_VERSION  1  //  the manifest version understood
#define S_DEPTH    32 //  nesting limit of skipped values
#define S_NOT_FILE (-1)

struct gw_manifest {
    gw_pathtab_t *paths; //  every entry's path
    int64_t *sizes;      //  by path index: size, or S_NOT_FILE
    size_t cap;
    atomic_int refs;
};

//  A string being read: kept up to GW_MANIFEST_PATH_MAX bytes.
typedef struct {
    char *data;
    size_t len, cap;
    bool is_long;
} s_text_t;

typedef struct {
    FILE *file;
    unsigned char buf[65536];
    size_t pos, len;
    uint64_t consumed; //  bytes before buf
    char *err;
    size_t errsize;
    gw_manifest_t *self;
    int64_t version;
    s_text_t key, path, type, target; //  the entry being read
    int64_t size;
    char **links;  //  hard links: target path by entry index, or NULL
    size_t nlinks; //  entries with a slot in links
} s_scan_t;


static int
s_bad (s_scan_t *scan, const char *fmt, ...)
{
    if (scan->err[0])
        return -1;
    va_list args;
    va_start (args, fmt);
    vsnprintf (scan->err, scan->errsize, fmt, args);
    va_end (args);
    return -1;
}


static int
s_peek (s_scan_t *scan)
{
    if (scan->pos == scan->len) {
        scan->consumed += scan->len;
        scan->pos = 0;
        scan->len = fread (scan->buf, 1, sizeof scan->buf, scan->file);
        if (scan->len == 0)
            return EOF;
    }
    return scan->buf[scan->pos];
}


static int
s_ws (s_scan_t *scan)
{
    int c;
    while ((c = s_peek (scan)) == ' ' || c == '\t' || c == '\n' || c == '\r')
        scan->pos++;
    return c;
}


static bool
s_eat (s_scan_t *scan, int want)
{
    if (s_ws (scan) != want)
        return false;
    scan->pos++;
    return true;
}


static void
s_put (s_text_t *text, unsigned char c)
{
    if (!text)
        return;
    if (text->len + 1 >= GW_MANIFEST_PATH_MAX) {
        text->is_long = true;
        return;
    }
    text->data = edge_grow (text->data, &text->cap, text->len + 2, 256, 1);
    text->data[text->len++] = (char) c;
    text->data[text->len] = '\0';
}


//  Empty text (allocated, so data is never NULL afterwards); NULL-safe.
static void
s_reset (s_text_t *text)
{
    if (!text)
        return;
    if (!text->data) {
        text->cap = 256;
        text->data = edge_malloc (text->cap);
    }
    text->data[0] = '\0';
    text->len = 0;
    text->is_long = false;
}


//  Four hex digits, or -1.
static long
s_hex4 (s_scan_t *scan)
{
    long value = 0;
    for (int i = 0; i < 4; i++) {
        int c = s_peek (scan);
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            return -1;
        scan->pos++;
        value = value * 16 + v;
    }
    return value;
}


//  The code point of a \u escape (a surrogate pair read whole), or -1.
static long
s_escape_u (s_scan_t *scan)
{
    long cp = s_hex4 (scan);
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (!s_eat (scan, '\\') || !s_eat (scan, 'u'))
            return -1;
        long low = s_hex4 (scan);
        if (low < 0xdc00 || low > 0xdfff)
            return -1;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    else if (cp >= 0xdc00 && cp <= 0xdfff)
        return -1;
    return cp;
}


static void
s_put_utf8 (s_text_t *text, long cp)
{
    if (cp < 0x80)
        s_put (text, (unsigned char) cp);
    else if (cp < 0x800) {
        s_put (text, (unsigned char) (0xc0 | (cp >> 6)));
        s_put (text, (unsigned char) (0x80 | (cp & 0x3f)));
    }
    else if (cp < 0x10000) {
        s_put (text, (unsigned char) (0xe0 | (cp >> 12)));
        s_put (text, (unsigned char) (0x80 | ((cp >> 6) & 0x3f)));
        s_put (text, (unsigned char) (0x80 | (cp & 0x3f)));
    }
    else {
        s_put (text, (unsigned char) (0xf0 | (cp >> 18)));
        s_put (text, (unsigned char) (0x80 | ((cp >> 12) & 0x3f)));
        s_put (text, (unsigned char) (0x80 | ((cp >> 6) & 0x3f)));
        s_put (text, (unsigned char) (0x80 | (cp & 0x3f)));
    }
}


//  A JSON string into text (decoded), or skipped when text is NULL.
static int
s_string (s_scan_t *scan, s_text_t *text)
{
    s_reset (text);
    if (!s_eat (scan, '"'))
        return -1;
    int c;
    while ((c = s_peek (scan)) != '"') {
        if (c == EOF || c < 0x20)
            return -1;
        scan->pos++;
        if (c != '\\') {
            s_put (text, (unsigned char) c);
            continue;
        }
        int e = s_peek (scan);
        scan->pos++;
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *at = e == EOF || e == 0 ? NULL : strchr (from, e);
        long cp = e == 'u' ? s_escape_u (scan) : at ? to[at - from] : -1;
        if (cp <= 0)
            return -1;
        s_put_utf8 (text, cp);
    }
    scan->pos++;
    return 0;
}


//  An integer member value; -1 when it is a real or negative.
static int
s_number (s_scan_t *scan, int64_t *value)
{
    bool is_negative = s_ws (scan) == '-', is_real = false;
    if (is_negative)
        scan->pos++;
    int c = s_peek (scan);
    if (c < '0' || c > '9')
        return -1;
    uint64_t n = 0;
    for (; (c = s_peek (scan)) >= '0' && c <= '9'; scan->pos++) {
        if (n > ((uint64_t) INT64_MAX - (uint64_t) (c - '0')) / 10)
            return -1;
        n = n * 10 + (uint64_t) (c - '0');
    }
    for (; c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
           || (is_real && c >= '0' && c <= '9');
         c = s_peek (scan)) {
        is_real = true;
        scan->pos++;
    }
    *value = is_real || is_negative ? -1 : (int64_t) n;
    return 0;
}


static int
s_skip (s_scan_t *scan, int depth)
{
    int c = s_ws (scan);
    if (c == '"')
        return s_string (scan, NULL);
    if (c == '-' || (c >= '0' && c <= '9')) {
        int64_t n;
        return s_number (scan, &n);
    }
    if (c == '[' || c == '{') {
        if (depth > S_DEPTH)
            return -1;
        scan->pos++;
        int close = c == '[' ? ']' : '}';
        if (s_eat (scan, close))
            return 0;
        do
            if ((c == '{' && (s_string (scan, NULL) || !s_eat (scan, ':')))
                || s_skip (scan, depth + 1))
                return -1;
        while (s_eat (scan, ','));
        return s_eat (scan, close) ? 0 : -1;
    }
    const char *words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++)
        if (c == words[i][0]) {
            for (const char *p = words[i]; *p; p++, scan->pos++)
                if (s_peek (scan) != *p)
                    return -1;
            return 0;
        }
    return -1;
}


//  A string member value into text ("" when of another type).
static int
s_value_text (s_scan_t *scan, s_text_t *text)
{
    if (s_ws (scan) == '"')
        return s_string (scan, text);
    s_reset (text);
    return s_skip (scan, 1);
}


//  Record the entry just read. Returns 0 or -1.
static int
s_entry_add (s_scan_t *scan, size_t index)
{
    gw_manifest_t *self = scan->self;
    if (scan->path.len == 0 || scan->path.is_long)
        return s_bad (scan, "files[%zu] has no usable path", index);
    bool is_file = strcmp (scan->type.data, "file") == 0;
    bool is_link = strcmp (scan->type.data, "hardlink") == 0;
    if (is_file && scan->size < 0)
        return s_bad (scan, "files[%zu] has no size", index);
    size_t before = gw_pathtab_count (self->paths);
    size_t at =
        gw_pathtab_intern (self->paths, scan->path.data, scan->path.len);
    if (at != before)
        return s_bad (scan, "files[%zu] repeats a path", index);
    size_t cap = self->cap; //  sizes and links: one capacity
    self->sizes =
        edge_grow (self->sizes, &self->cap, at + 1, 256, sizeof (int64_t));
    scan->links = edge_grow (scan->links, &cap, at + 1, 256, sizeof (char *));
    self->sizes[at] = is_file ? scan->size : S_NOT_FILE;
    scan->links[at] =
        is_link && scan->target.len ? edge_strdup (scan->target.data) : NULL;
    scan->nlinks = at + 1;
    return 0;
}


//  Read one object's members: for each, its key into scan->key, then
//  member reads the value. Returns 0, or -1 at the first failure.
typedef int (s_member_fn) (s_scan_t *scan, void *arg);

static int
s_object (s_scan_t *scan, s_member_fn *member, void *arg)
{
    if (!s_eat (scan, '{'))
        return -1;
    if (s_eat (scan, '}'))
        return 0;
    do
        if (s_string (scan, &scan->key) || !s_eat (scan, ':')
            || member (scan, arg))
            return -1;
    while (s_eat (scan, ','));
    return s_eat (scan, '}') ? 0 : -1;
}


//  One member of a files entry: path, type, target, size; others skipped.
static int
s_entry_member (s_scan_t *scan, void *arg)
{
    (void) arg;
    static const char *const names[] = {"path", "type", "target", "size"};
    s_text_t *texts[] = {&scan->path, &scan->type, &scan->target};
    int i = 0;
    while (i < 4 && strcmp (scan->key.data, names[i]) != 0)
        i++;
    return i < 3    ? s_value_text (scan, texts[i])
           : i == 3 ? s_number (scan, &scan->size)
                    : s_skip (scan, 2);
}


static int
s_entry (s_scan_t *scan, size_t index)
{
    s_reset (&scan->path);
    s_reset (&scan->type);
    s_reset (&scan->target);
    scan->size = -1;
    if (s_object (scan, s_entry_member, NULL))
        return -1;
    return s_entry_add (scan, index);
}


static int
s_files (s_scan_t *scan)
{
    if (!s_eat (scan, '['))
        return s_bad (scan, "\"files\" must be an array");
    if (s_eat (scan, ']'))
        return 0;
    size_t index = 0;
    do
        if (s_entry (scan, index++))
            return -1;
    while (s_eat (scan, ','));
    return s_eat (scan, ']') ? 0 : -1;
}


//  One member of the manifest: version, files (once); others skipped.
static int
s_root_member (s_scan_t *scan, void *arg)
{
    bool *has_files = arg;
    if (strcmp (scan->key.data, "version") == 0)
        return s_number (scan, &scan->version);
    if (strcmp (scan->key.data, "files") == 0 && !*has_files) {
        *has_files = true;
        return s_files (scan);
    }
    return s_skip (scan, 1);
}


static int
s_root (s_scan_t *scan)
{
    bool has_files = false;
    if (s_object (scan, s_root_member, &has_files))
        return -1;
    if (s_ws (scan) != EOF)
        return -1;
    if (scan->version != S_VERSION)
        return s_bad (scan, "unsupported manifest version");
    return has_files ? 0 : s_bad (scan, "the manifest has no \"files\"");
}


//  Hard links take their target's size (a target that is not a file
//  leaves the link a non-file).
static void
s_resolve_links (s_scan_t *scan)
{
    gw_manifest_t *self = scan->self;
    for (size_t i = 0; i < scan->nlinks; i++) {
        if (!scan->links[i])
            continue;
        int64_t target = gw_pathtab_find (self->paths, scan->links[i],
                                          strlen (scan->links[i]));
        if (target >= 0 && self->sizes[target] >= 0)
            self->sizes[i] = self->sizes[target];
    }
}


static void
s_scan_free (s_scan_t *scan)
{
    for (size_t i = 0; i < scan->nlinks; i++)
        free (scan->links[i]);
    free (scan->links);
    s_text_t *texts[] = {&scan->key, &scan->path, &scan->type, &scan->target};
    for (int i = 0; i < 4; i++)
        free (texts[i]->data);
    if (scan->file)
        fclose (scan->file);
    free (scan);
}


gw_manifest_t *
gw_manifest_load (const char *path, char *err, size_t errsize)
{
    edge_assert (path && err && errsize > 0);
    err[0] = '\0';
    s_scan_t *scan = edge_calloc (1, sizeof *scan);
    scan->err = err;
    scan->errsize = errsize;
    scan->version = -1;
    scan->self = edge_calloc (1, sizeof (gw_manifest_t));
    scan->self->paths = gw_pathtab_new ();
    atomic_init (&scan->self->refs, 1);
    scan->file = fopen (path, "rb");
    if (!scan->file) {
        snprintf (err, errsize, "cannot open %s", path);
        goto failed;
    }
    int rc = s_root (scan);
    if (ferror (scan->file)) {
        snprintf (err, errsize, "cannot read %s", path);
        goto failed;
    }
    if (rc) {
        s_bad (scan, "malformed manifest near byte %llu",
               (unsigned long long) (scan->consumed + scan->pos));
        goto failed;
    }
    s_resolve_links (scan);
    gw_manifest_t *self = scan->self;
    s_scan_free (scan);
    return self;
failed:
    gw_manifest_release (&scan->self);
    s_scan_free (scan);
    return NULL;
}


void
gw_manifest_release (gw_manifest_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_manifest_t *self = *self_p;
    *self_p = NULL;
    if (atomic_fetch_sub (&self->refs, 1) != 1)
        return;
    gw_pathtab_destroy (&self->paths);
    free (self->sizes);
    free (self);
}


int64_t
gw_manifest_file_size (const gw_manifest_t *self, const char *path, size_t len)
{
    edge_assert (self && path);
    int64_t index = gw_pathtab_find (self->paths, path, len);
    return index < 0 ? -2 : self->sizes[index];
}


size_t
gw_manifest_count (const gw_manifest_t *self)
{
    edge_assert (self);
    return gw_pathtab_count (self->paths);
}


//  The cache: entries in a list, most recently used first.
typedef struct s_entry {
    char *key;
    gw_manifest_t *manifest; //  the cache's reference
    size_t bytes;
    struct s_entry *next;
} s_entry_t;

struct gw_manifest_cache {
    pthread_mutex_t mutex;
    s_entry_t *head;
    size_t count, bytes;
    size_t max_entries, max_bytes;
};


gw_manifest_cache_t *
gw_manifest_cache_new (size_t max_entries, size_t max_bytes)
{
    edge_assert (max_entries > 0);
    gw_manifest_cache_t *self = edge_calloc (1, sizeof *self);
    pthread_mutex_init (&self->mutex, NULL);
    self->max_entries = max_entries;
    self->max_bytes = max_bytes;
    return self;
}


void
gw_manifest_cache_destroy (gw_manifest_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_manifest_cache_t *self = *self_p;
    while (self->head) {
        s_entry_t *entry = self->head;
        self->head = entry->next;
        gw_manifest_release (&entry->manifest);
        free (entry->key);
        free (entry);
    }
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}


//  With the mutex held: the entry for key moved to the front, or NULL.
static s_entry_t *
s_lookup (gw_manifest_cache_t *self, const char *key)
{
    s_entry_t **link = &self->head;
    for (; *link; link = &(*link)->next)
        if (strcmp ((*link)->key, key) == 0) {
            s_entry_t *entry = *link;
            *link = entry->next;
            entry->next = self->head;
            self->head = entry;
            return entry;
        }
    return NULL;
}


//  With the mutex held: drop least recently used entries past the bounds,
//  always keeping the first.
static void
s_trim (gw_manifest_cache_t *self)
{
    while (
        self->head && self->head->next
        && (self->count > self->max_entries || self->bytes > self->max_bytes)) {
        s_entry_t **link = &self->head;
        while ((*link)->next)
            link = &(*link)->next;
        s_entry_t *last = *link;
        *link = NULL;
        self->count--;
        self->bytes -= last->bytes;
        gw_manifest_release (&last->manifest);
        free (last->key);
        free (last);
    }
}


//  Loads a manifest for the cache. Returns it, or NULL with err set.
typedef gw_manifest_t *(s_load_fn) (const void *arg, char *err, size_t errsize);


static gw_manifest_t *
s_load_file (const void *arg, char *err, size_t errsize)
{
    return gw_manifest_load (arg, err, errsize);
}


//  A manifest in a store: its key.
typedef struct {
    edge_store_t *store;
    const char *key;
} s_stored_t;


//  Download to a temporary file (TMPDIR, else /tmp), load, remove.
static gw_manifest_t *
s_load_stored (const void *arg, char *err, size_t errsize)
{
    const s_stored_t *stored = arg;
    const char *dir = getenv ("TMPDIR");
    char *path =
        edge_sprintf ("%s/edge-manifest-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp (path);
    if (fd == -1) {
        snprintf (err, errsize, "cannot create %s", path);
        free (path);
        return NULL;
    }
    close (fd);
    gw_manifest_t *manifest = NULL;
    if (edge_store_get_file (stored->store, stored->key, path))
        snprintf (err, errsize, "cannot read %s: %s", stored->key,
                  edge_store_errstr (stored->store));
    else
        manifest = gw_manifest_load (path, err, errsize);
    unlink (path);
    free (path);
    return manifest;
}


//  The cache entry name, or load (with load_fn) and cache it.
static gw_manifest_t *
s_cache_get (gw_manifest_cache_t *self,
             const char *name,
             s_load_fn *load_fn,
             const void *arg,
             char *err,
             size_t errsize)
{
    pthread_mutex_lock (&self->mutex);
    s_entry_t *entry = s_lookup (self, name);
    gw_manifest_t *manifest = entry ? entry->manifest : NULL;
    if (manifest)
        atomic_fetch_add (&manifest->refs, 1);
    pthread_mutex_unlock (&self->mutex);
    if (manifest)
        return manifest;
    manifest = load_fn (arg, err, errsize);
    if (!manifest)
        return NULL;
    pthread_mutex_lock (&self->mutex);
    if (!s_lookup (self, name)) { //  another thread may have loaded it too
        entry = edge_calloc (1, sizeof *entry);
        entry->key = edge_strdup (name);
        entry->manifest = manifest;
        atomic_fetch_add (&manifest->refs, 1);
        entry->bytes = gw_pathtab_bytes (manifest->paths)
                       + manifest->cap * sizeof (int64_t);
        entry->next = self->head;
        self->head = entry;
        self->count++;
        self->bytes += entry->bytes;
        s_trim (self);
    }
    pthread_mutex_unlock (&self->mutex);
    return manifest;
}


gw_manifest_t *
gw_manifest_cache_get (gw_manifest_cache_t *self,
                       const char *path,
                       char *err,
                       size_t errsize)
{
    edge_assert (self && path);
    return s_cache_get (self, path, s_load_file, path, err, errsize);
}


gw_manifest_t *
gw_manifest_cache_get_stored (gw_manifest_cache_t *self,
                              const char *name,
                              edge_store_t *store,
                              const char *key,
                              char *err,
                              size_t errsize)
{
    edge_assert (self && name && store && key && err && errsize > 0);
    err[0] = '\0';
    s_stored_t stored = {store, key};
    return s_cache_get (self, name, s_load_stored, &stored, err, errsize);
}


size_t
gw_manifest_cache_count (gw_manifest_cache_t *self)
{
    edge_assert (self);
    pthread_mutex_lock (&self->mutex);
    size_t count = self->count;
    pthread_mutex_unlock (&self->mutex);
    return count;
}
