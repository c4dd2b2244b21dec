/*  wk_trace - .tr reader (a streaming msgpack token reader over a fixed
    buffer), access-to-chunk mapper and .tr writer (msgpack_packer).  */
#include "wk_trace.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_DEPTH_MAX 32   //  nesting limit when skipping unknown values
#define S_LINKS_MAX 8    //  links followed to reach a regular file
#define S_ID_MAX    128  //  longest traceId or dxfName
#define S_PATH_MAX  4096 //  longest path
#define S_KEY_MAX   32   //  longest key kept (longer ones are unknown)

typedef struct {
    const char *path; //  borrowed from the manifest
    uint32_t index;   //  entry index
} s_path_t;

struct wk_trace_mapper {
    const wk_manifest_t *manifest; //  borrowed
    s_path_t *paths;               //  entries sorted by path
    int64_t *regular;              //  per entry: the regular file, or -1
    uint32_t *mark;                //  per chunk: epoch of its last touch
    uint32_t epoch;                //  current trace's epoch
};

typedef enum {
    S_UINT,  //  non-negative integer: u
    S_INT,   //  negative integer
    S_STR,   //  len bytes follow
    S_BIN,   //  len bytes follow
    S_EXT,   //  len bytes follow (type byte consumed)
    S_ARRAY, //  len items follow
    S_MAP,   //  len pairs follow
    S_OTHER  //  nil, bool, float (payload consumed)
} s_kind_t;

typedef struct {
    s_kind_t kind;
    uint64_t u;   //  S_UINT value
    uint32_t len; //  length or count
} s_tok_t;

typedef struct {
    FILE *file;
    unsigned char buf[65536];
    size_t pos, len;
    uint64_t base; //  file offset of buf[0]
} s_rd_t;

typedef struct {
    wk_trace_mapper_t *mapper;
    s_rd_t *rd;
    wk_trace_t *trace;
    int64_t *files; //  per trace file: its regular manifest entry
    size_t nfiles;
    size_t touches_cap;
    char *err;
    size_t errsize;
} s_load_t;


static int s_bad (s_load_t *load, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_bad (s_load_t *load, const char *fmt, ...)
{
    if (load->err[0])
        return -1; //  keep the first, most precise reason
    va_list args;
    va_start (args, fmt);
    vsnprintf (load->err, load->errsize, fmt, args);
    va_end (args);
    return -1;
}


//  Token reader


static int
s_fill (s_rd_t *rd)
{
    rd->base += rd->len;
    rd->pos = 0;
    rd->len = fread (rd->buf, 1, sizeof (rd->buf), rd->file);
    return rd->len ? 0 : -1;
}


//  Read n bytes into out (or skip them when out is NULL). Returns 0 or -1.
static int
s_bytes (s_rd_t *rd, void *out, uint64_t n)
{
    unsigned char *to = out;
    while (n > 0) {
        if (rd->pos == rd->len && s_fill (rd) != 0)
            return -1;
        size_t take = rd->len - rd->pos;
        if (take > n)
            take = (size_t) n;
        if (to) {
            memcpy (to, rd->buf + rd->pos, take);
            to += take;
        }
        rd->pos += take;
        n -= take;
    }
    return 0;
}


static int
s_be (s_rd_t *rd, unsigned size, uint64_t *value)
{
    unsigned char b[8];
    if (s_bytes (rd, b, size) != 0)
        return -1;
    *value = 0;
    for (unsigned i = 0; i < size; i++)
        *value = (*value << 8) | b[i];
    return 0;
}


//  A header whose payload length is a big-endian field of size bytes.
static int
s_sized (s_rd_t *rd, s_tok_t *tok, s_kind_t kind, unsigned size)
{
    uint64_t len;
    if (s_be (rd, size, &len) != 0)
        return -1;
    tok->kind = kind;
    tok->len = (uint32_t) len;
    if (kind == S_EXT)
        return s_bytes (rd, NULL, 1); //  the ext type
    return 0;
}


static int
s_int (s_rd_t *rd, s_tok_t *tok, unsigned size, bool is_signed)
{
    uint64_t v;
    if (s_be (rd, size, &v) != 0)
        return -1;
    bool is_negative = is_signed && (v >> (size * 8 - 1)) & 1;
    tok->kind = is_negative ? S_INT : S_UINT;
    tok->u = v;
    return 0;
}


//  The next token's header. Returns 0, or -1 at the end or on a bad byte.
static int
s_token (s_rd_t *rd, s_tok_t *tok)
{
    unsigned char b;
    if (s_bytes (rd, &b, 1) != 0)
        return -1;
    *tok = (s_tok_t){S_OTHER, 0, 0};
    if (b <= 0x7f)
        return tok->kind = S_UINT, tok->u = b, 0;
    if (b >= 0xe0)
        return tok->kind = S_INT, 0;
    if (b <= 0x8f)
        return tok->kind = S_MAP, tok->len = b & 0x0f, 0;
    if (b <= 0x9f)
        return tok->kind = S_ARRAY, tok->len = b & 0x0f, 0;
    if (b <= 0xbf)
        return tok->kind = S_STR, tok->len = b & 0x1f, 0;
    switch (b) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
            return 0;
        case 0xc4:
        case 0xc5:
        case 0xc6:
            return s_sized (rd, tok, S_BIN, 1u << (b - 0xc4));
        case 0xc7:
        case 0xc8:
        case 0xc9:
            return s_sized (rd, tok, S_EXT, 1u << (b - 0xc7));
        case 0xca:
        case 0xcb:
            return s_bytes (rd, NULL, b == 0xca ? 4 : 8);
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf:
            return s_int (rd, tok, 1u << (b - 0xcc), false);
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3:
            return s_int (rd, tok, 1u << (b - 0xd0), true);
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
            tok->kind = S_EXT;
            tok->len = 1u << (b - 0xd4);
            return s_bytes (rd, NULL, 1);
        case 0xd9:
        case 0xda:
        case 0xdb:
            return s_sized (rd, tok, S_STR, 1u << (b - 0xd9));
        case 0xdc:
        case 0xdd:
            return s_sized (rd, tok, S_ARRAY, b == 0xdc ? 2 : 4);
        case 0xde:
        case 0xdf:
            return s_sized (rd, tok, S_MAP, b == 0xde ? 2 : 4);
        default:
            return -1; //  0xc1 is never used
    }
}


//  Skip the payload of tok (nested values included).
static int
s_skip_payload (s_rd_t *rd, const s_tok_t *tok, int depth)
{
    if (tok->kind == S_STR || tok->kind == S_BIN || tok->kind == S_EXT)
        return s_bytes (rd, NULL, tok->len);
    if (tok->kind != S_ARRAY && tok->kind != S_MAP)
        return 0;
    if (depth >= S_DEPTH_MAX)
        return -1;
    uint64_t items = tok->kind == S_MAP ? 2ull * tok->len : tok->len;
    for (uint64_t i = 0; i < items; i++) {
        s_tok_t inner;
        if (s_token (rd, &inner) != 0
            || s_skip_payload (rd, &inner, depth + 1) != 0)
            return -1;
    }
    return 0;
}


static int
s_read_uint (s_rd_t *rd, uint64_t *value)
{
    s_tok_t tok;
    if (s_token (rd, &tok) != 0 || tok.kind != S_UINT)
        return -1;
    *value = tok.u;
    return 0;
}


//  A string of at most max bytes without NUL, into a new buffer.
static char *
s_read_string (s_rd_t *rd, size_t max)
{
    s_tok_t tok;
    if (s_token (rd, &tok) != 0 || tok.kind != S_STR || tok.len > max)
        return NULL;
    char *text = edge_malloc (tok.len + 1);
    if (s_bytes (rd, text, tok.len) != 0 || memchr (text, '\0', tok.len)) {
        free (text);
        return NULL;
    }
    text[tok.len] = '\0';
    return text;
}


//  Mapper


static int
s_path_cmp (const void *a, const void *b)
{
    return strcmp (((const s_path_t *) a)->path, ((const s_path_t *) b)->path);
}


static int64_t
s_lookup (const wk_trace_mapper_t *self, const char *path)
{
    s_path_t key = {path, 0};
    const s_path_t *found = bsearch (&key, self->paths, self->manifest->nfiles,
                                     sizeof (s_path_t), s_path_cmp);
    return found ? (int64_t) found->index : -1;
}


//  A symlink's target relative to the link's directory, normalised
//  ("." and ".." resolved), or NULL when it leaves the tree.
static char *
s_join (const char *link, const char *target)
{
    if (target[0] == '/')
        return NULL;
    const char *slash = strrchr (link, '/');
    char *joined =
        slash ? edge_sprintf ("%.*s/%s", (int) (slash - link), link, target)
              : edge_strdup (target);
    char *out = edge_malloc (strlen (joined) + 1);
    size_t len = 0;
    bool is_ok = true;
    for (char *seg = joined; seg && is_ok;) {
        char *end = strchr (seg, '/');
        size_t n = end ? (size_t) (end - seg) : strlen (seg);
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            is_ok = len > 0;
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
        }
        else if (n > 0 && !(n == 1 && seg[0] == '.')) {
            if (len)
                out[len++] = '/';
            memcpy (out + len, seg, n);
            len += n;
        }
        seg = end ? end + 1 : NULL;
    }
    out[len] = '\0';
    free (joined);
    if (!is_ok || len == 0) {
        free (out);
        return NULL;
    }
    return out;
}


//  The regular file entry index reaches through links, or -1.
static int64_t
s_resolve (const wk_trace_mapper_t *self, int64_t index, int depth)
{
    const wk_manifest_file_t *file = &self->manifest->files[index];
    if (file->type == 'f')
        return index;
    if ((file->type != 'l' && file->type != 'h') || depth >= S_LINKS_MAX)
        return -1;
    char *path = file->type == 'h' ? edge_strdup (file->target)
                                   : s_join (file->path, file->target);
    int64_t next = path ? s_lookup (self, path) : -1;
    free (path);
    return next < 0 ? -1 : s_resolve (self, next, depth + 1);
}


wk_trace_mapper_t *
wk_trace_mapper_new (const wk_manifest_t *manifest)
{
    edge_assert (manifest);
    wk_trace_mapper_t *self = edge_calloc (1, sizeof (*self));
    self->manifest = manifest;
    self->paths = edge_calloc (manifest->nfiles + 1, sizeof (s_path_t));
    for (size_t i = 0; i < manifest->nfiles; i++)
        self->paths[i] = (s_path_t){manifest->files[i].path, (uint32_t) i};
    qsort (self->paths, manifest->nfiles, sizeof (s_path_t), s_path_cmp);
    self->regular = edge_calloc (manifest->nfiles + 1, sizeof (int64_t));
    for (size_t i = 0; i < manifest->nfiles; i++)
        self->regular[i] = s_resolve (self, (int64_t) i, 0);
    self->mark = edge_calloc (manifest->nchunks + 1, sizeof (uint32_t));
    return self;
}


void
wk_trace_mapper_destroy (wk_trace_mapper_t **self_p)
{
    edge_assert (self_p);
    wk_trace_mapper_t *self = *self_p;
    if (!self)
        return;
    free (self->mark);
    free (self->regular);
    free (self->paths);
    free (self);
    *self_p = NULL;
}


//  Loading


static int
s_load_files (s_load_t *load)
{
    s_tok_t tok;
    if (s_token (load->rd, &tok) != 0 || tok.kind != S_ARRAY)
        return s_bad (load, "\"files\" must be an array");
    const wk_manifest_t *m = load->mapper->manifest;
    if (tok.len > m->nfiles)
        return s_bad (load, "\"files\" lists more paths than the build has");
    load->files = edge_calloc ((size_t) tok.len + 1, sizeof (int64_t));
    for (uint32_t i = 0; i < tok.len; i++) {
        char *path = s_read_string (load->rd, S_PATH_MAX);
        int64_t entry = path ? s_lookup (load->mapper, path) : -1;
        int64_t regular = entry < 0 ? -1 : load->mapper->regular[entry];
        if (regular < 0) {
            s_bad (load, "files[%u] %s%s%s", i, path ? "\"" : "",
                   path ? path : "is not a string",
                   path ? (entry < 0 ? "\" is not in the build"
                                     : "\" is not a regular file")
                        : "");
            free (path);
            return -1;
        }
        load->files[load->nfiles++] = regular;
        free (path);
    }
    return 0;
}


static void
s_touch (s_load_t *load, uint32_t chunk, uint32_t t_ms)
{
    wk_trace_mapper_t *mapper = load->mapper;
    if (mapper->mark[chunk] == mapper->epoch)
        return;
    mapper->mark[chunk] = mapper->epoch;
    wk_trace_t *trace = load->trace;
    trace->touches =
        edge_grow (trace->touches, &load->touches_cap, trace->ntouches + 1, 256,
                   sizeof (wk_trace_touch_t));
    trace->touches[trace->ntouches++] = (wk_trace_touch_t){chunk, t_ms};
}


//  Touch every chunk of file that [offset, offset + length) overlaps.
static void
s_map_range (s_load_t *load,
             const wk_manifest_file_t *file,
             uint64_t offset,
             uint64_t length,
             uint32_t t_ms)
{
    size_t lo = 0, hi = file->nrefs; //  first ref ending after offset
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (file->refs[mid].offset + file->refs[mid].length <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t r = lo;
         r < file->nrefs && file->refs[r].offset < offset + length; r++)
        s_touch (load, file->refs[r].chunk, t_ms);
}


static int
s_load_access (s_load_t *load, uint64_t index, uint64_t *last_t)
{
    s_tok_t tok;
    uint64_t v[4];
    if (s_token (load->rd, &tok) != 0 || tok.kind != S_ARRAY || tok.len != 4)
        return s_bad (load, "accesses[%llu] is not [tMs,file,offset,length]",
                      (unsigned long long) index);
    for (int i = 0; i < 4; i++)
        if (s_read_uint (load->rd, &v[i]) != 0)
            return s_bad (load,
                          "accesses[%llu][%d] is not a non-negative "
                          "integer",
                          (unsigned long long) index, i);
    if (v[0] > UINT32_MAX || v[0] < *last_t)
        return s_bad (load, "accesses[%llu]: time %llu is %s",
                      (unsigned long long) index, (unsigned long long) v[0],
                      v[0] > UINT32_MAX ? "too large" : "before the previous");
    if (v[1] >= load->nfiles)
        return s_bad (load, "accesses[%llu]: no file %llu",
                      (unsigned long long) index, (unsigned long long) v[1]);
    const wk_manifest_file_t *file =
        &load->mapper->manifest->files[load->files[v[1]]];
    if (v[3] > file->size || v[2] > file->size - v[3])
        return s_bad (load,
                      "accesses[%llu]: range %llu+%llu is outside \"%s\" "
                      "(%llu bytes)",
                      (unsigned long long) index, (unsigned long long) v[2],
                      (unsigned long long) v[3], file->path,
                      (unsigned long long) file->size);
    *last_t = v[0];
    s_map_range (load, file, v[2], v[3], (uint32_t) v[0]);
    return 0;
}


static int
s_load_accesses (s_load_t *load)
{
    s_tok_t tok;
    if (s_token (load->rd, &tok) != 0 || tok.kind != S_ARRAY)
        return s_bad (load, "\"accesses\" must be an array");
    uint64_t last_t = 0;
    for (uint32_t i = 0; i < tok.len; i++)
        if (s_load_access (load, i, &last_t) != 0)
            return -1;
    load->trace->accesses = tok.len;
    load->trace->duration_ms = (uint32_t) last_t;
    return 0;
}


//  Which root members were seen, and where "accesses" starts when it came
//  before "files".
typedef struct {
    unsigned seen;
    uint64_t accesses_at;
    bool is_deferred;
} s_root_t;

enum { S_KEY_V, S_KEY_ID, S_KEY_DXF, S_KEY_BUILD, S_KEY_FILES, S_KEY_ACC };


static int
s_load_member (s_load_t *load, int key, s_root_t *root)
{
    wk_trace_t *trace = load->trace;
    s_rd_t *rd = load->rd;
    uint64_t v;
    s_tok_t tok;
    switch (key) {
        case S_KEY_V:
            return s_read_uint (rd, &v) == 0 && v == WK_TRACE_VERSION
                       ? 0
                       : s_bad (load, "unsupported trace version");
        case S_KEY_ID:
        case S_KEY_DXF:
            *(key == S_KEY_ID ? &trace->trace_id : &trace->dxf_name) =
                s_read_string (rd, S_ID_MAX);
            return (key == S_KEY_ID ? trace->trace_id : trace->dxf_name)
                       ? 0
                       : s_bad (load, "\"%s\" must be a short string",
                                key == S_KEY_ID ? "traceId" : "dxfName");
        case S_KEY_BUILD:
            if (s_read_uint (rd, &v) != 0 || v > INT64_MAX)
                return s_bad (load, "\"buildId\" must be a non-negative "
                                    "integer");
            trace->build_id = (int64_t) v;
            return 0;
        case S_KEY_FILES:
            return s_load_files (load);
        default:
            if (root->seen & (1u << S_KEY_FILES))
                return s_load_accesses (load);
            root->is_deferred = true;
            root->accesses_at = rd->base + rd->pos;
            return s_token (rd, &tok) == 0 && s_skip_payload (rd, &tok, 0) == 0
                       ? 0
                       : s_bad (load, "\"accesses\" is malformed");
    }
}


static int
s_load_root (s_load_t *load, s_root_t *root)
{
    static const char *const keys[] = {"v",       "traceId", "dxfName",
                                       "buildId", "files",   "accesses"};
    s_tok_t tok;
    if (s_token (load->rd, &tok) != 0 || tok.kind != S_MAP)
        return s_bad (load, "not a msgpack map");
    for (uint32_t i = 0; i < tok.len; i++) {
        s_tok_t key_tok;
        char key[S_KEY_MAX + 1] = "";
        if (s_token (load->rd, &key_tok) != 0 || key_tok.kind != S_STR)
            return s_bad (load, "a key is not a string");
        bool is_kept = key_tok.len <= S_KEY_MAX;
        if (s_bytes (load->rd, is_kept ? key : NULL, key_tok.len) != 0)
            return s_bad (load, "truncated");
        int which = -1;
        for (int k = 0; is_kept && k < 6; k++)
            if (strlen (keys[k]) == key_tok.len
                && !memcmp (key, keys[k], key_tok.len))
                which = k;
        if (which >= 0 && (root->seen & (1u << which)))
            return s_bad (load, "\"%s\" appears twice", keys[which]);
        if (which >= 0)
            root->seen |= 1u << which;
        s_tok_t value;
        if (which < 0 ? (s_token (load->rd, &value) != 0
                         || s_skip_payload (load->rd, &value, 0) != 0)
                      : s_load_member (load, which, root) != 0)
            return s_bad (load, "truncated or malformed");
    }
    if (root->seen != 63u)
        return s_bad (load, "a member is missing (v, traceId, dxfName, "
                            "buildId, files and accesses are required)");
    return 0;
}


static int
s_load (s_load_t *load)
{
    s_root_t root = {0};
    if (s_load_root (load, &root) != 0)
        return -1;
    unsigned char extra;
    if (s_bytes (load->rd, &extra, 1) == 0)
        return s_bad (load, "bytes after the trace");
    if (!root.is_deferred)
        return 0;
    s_rd_t *rd = load->rd;
    if (fseek (rd->file, (long) root.accesses_at, SEEK_SET) != 0)
        return s_bad (load, "cannot seek");
    rd->base = root.accesses_at;
    rd->pos = rd->len = 0;
    return s_load_accesses (load);
}


wk_trace_t *
wk_trace_mapper_load (wk_trace_mapper_t *self,
                      const char *path,
                      char *err,
                      size_t errsize)
{
    edge_assert (self && path && err && errsize > 0);
    err[0] = '\0';
    s_rd_t *rd = edge_calloc (1, sizeof (*rd));
    wk_trace_t *trace = edge_calloc (1, sizeof (*trace));
    s_load_t load = {self, rd, trace, NULL, 0, 0, err, errsize};
    rd->file = fopen (path, "rb");
    if (!rd->file)
        snprintf (err, errsize, "cannot open %s", path);
    else {
        if (++self->epoch == 0) { //  wrapped: forget every mark
            memset (self->mark, 0, self->manifest->nchunks * sizeof (uint32_t));
            self->epoch = 1;
        }
        if (s_load (&load) != 0 && ferror (rd->file))
            snprintf (err, errsize, "cannot read %s", path);
        fclose (rd->file);
    }
    if (err[0])
        wk_trace_destroy (&trace);
    free (load.files);
    free (rd);
    return trace;
}


void
wk_trace_destroy (wk_trace_t **self_p)
{
    edge_assert (self_p);
    wk_trace_t *self = *self_p;
    if (!self)
        return;
    free (self->trace_id);
    free (self->dxf_name);
    free (self->touches);
    free (self);
    *self_p = NULL;
}


//  Writer


static int
s_file_write (void *data, const char *buf, size_t len)
{
    return len == 0 || fwrite (buf, 1, len, (FILE *) data) == len ? 0 : -1;
}


static void
s_pack_str (msgpack_packer *pk, const char *text)
{
    size_t len = strlen (text);
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, text, len);
}


static void
s_pack_header (msgpack_packer *pk, const wk_trace_header_t *header)
{
    msgpack_pack_map (pk, 6);
    s_pack_str (pk, "v");
    msgpack_pack_uint32 (pk, WK_TRACE_VERSION);
    s_pack_str (pk, "traceId");
    s_pack_str (pk, header->trace_id);
    s_pack_str (pk, "dxfName");
    s_pack_str (pk, header->dxf_name);
    s_pack_str (pk, "buildId");
    msgpack_pack_int64 (pk, header->build_id);
    s_pack_str (pk, "files");
    msgpack_pack_array (pk, header->nfiles);
    for (size_t i = 0; i < header->nfiles; i++)
        s_pack_str (pk, header->files[i]);
}


int
wk_trace_write (const char *path,
                const wk_trace_header_t *header,
                const wk_trace_access_t *accesses,
                size_t naccesses)
{
    edge_assert (path && header && header->trace_id && header->dxf_name);
    edge_assert (header->files || header->nfiles == 0);
    edge_assert (accesses || naccesses == 0);
    char *tmp = edge_sprintf ("%s.tmp", path);
    FILE *file = fopen (tmp, "wb");
    int rc = -1;
    if (!file)
        goto cleanup;
    msgpack_packer pk;
    msgpack_packer_init (&pk, file, s_file_write);
    s_pack_header (&pk, header);
    s_pack_str (&pk, "accesses");
    msgpack_pack_array (&pk, naccesses);
    for (size_t i = 0; i < naccesses; i++) {
        msgpack_pack_array (&pk, 4);
        msgpack_pack_uint64 (&pk, accesses[i].t_ms);
        msgpack_pack_uint32 (&pk, accesses[i].file);
        msgpack_pack_uint64 (&pk, accesses[i].offset);
        msgpack_pack_uint64 (&pk, accesses[i].length);
    }
    bool is_error = ferror (file);
    if (fclose (file) != 0 || is_error || rename (tmp, path) != 0)
        unlink (tmp);
    else
        rc = 0;
cleanup:
    free (tmp);
    return rc;
}
