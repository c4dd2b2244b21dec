/*  gw_trace - decoding (jansson, msgpack-c), validation and the .tr
    encoding of an uploaded trace.  */
#include "gw_trace.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const edge_json_field_t s_fields[] = {
    {"appName", EDGE_JSON_NAME, true, 0, 0, false},
    {"buildName", EDGE_JSON_STRING, false, 1, GW_TRACE_BUILD_MAX, false},
    {"dxfName", EDGE_JSON_NAME, false, 0, 0, false},
    {"accesses", EDGE_JSON_ARRAY, true, 1, INT64_MAX, false},
};
#define S_PATHS_MAX 65536 //  distinct paths one trace may access


static gw_trace_t *
s_new (void)
{
    gw_trace_t *self = edge_calloc (1, sizeof *self);
    self->paths = gw_pathtab_new ();
    return self;
}


void
gw_trace_destroy (gw_trace_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_trace_t *self = *self_p;
    gw_pathtab_destroy (&self->paths);
    free (self->accesses);
    free (self);
    *self_p = NULL;
}


static int
s_bad_access (edge_json_err_t *err, size_t index, const char *why)
{
    char field[40];
    snprintf (field, sizeof field, "accesses[%zu]", index);
    return edge_json_err_set (err, 400, "invalid_field", field,
                              "access %zu must be [tMs, path, offset, "
                              "length]: %s",
                              index, why);
}


//  Append one access whose values passed their type checks.
static int
s_add (gw_trace_t *self,
       size_t index,
       int64_t t_ms,
       const char *path,
       size_t path_len,
       int64_t offset,
       int64_t length,
       edge_json_err_t *err)
{
    if (t_ms < 0 || offset < 0)
        return s_bad_access (err, index, "tMs and offset must be >= 0");
    if (length < 1)
        return s_bad_access (err, index, "length must be >= 1");
    if (path_len == 0 || path_len > GW_MANIFEST_PATH_MAX)
        return s_bad_access (err, index, "path must be a non-empty string");
    if (gw_pathtab_count (self->paths) >= S_PATHS_MAX
        && gw_pathtab_find (self->paths, path, path_len) < 0)
        return edge_json_err_set (err, 400, "invalid_field", "accesses",
                                  "accesses name more than %d distinct "
                                  "paths (access %zu)",
                                  S_PATHS_MAX, index);
    self->accesses = edge_grow (self->accesses, &self->cap, self->count + 1,
                                1024, sizeof (gw_trace_access_t));
    gw_trace_access_t *access = &self->accesses[self->count++];
    access->t_ms = t_ms;
    access->offset = (uint64_t) offset;
    access->length = (uint64_t) length;
    access->file = (uint32_t) gw_pathtab_intern (self->paths, path, path_len);
    return 0;
}


//  One JSON access [tMs, path, offset, length].
static int
s_json_access (gw_trace_t *self,
               size_t index,
               const json_t *item,
               edge_json_err_t *err)
{
    if (!json_is_array (item) || json_array_size (item) != 4)
        return s_bad_access (err, index, "not an array of 4 values");
    const json_t *path = json_array_get (item, 1);
    for (size_t i = 0; i < 4; i++)
        if (i != 1 && !json_is_integer (json_array_get (item, i)))
            return s_bad_access (err, index,
                                 "tMs, offset and length must "
                                 "be integers");
    if (!json_is_string (path))
        return s_bad_access (err, index, "path must be a string");
    return s_add (self, index, json_integer_value (json_array_get (item, 0)),
                  json_string_value (path), json_string_length (path),
                  json_integer_value (json_array_get (item, 2)),
                  json_integer_value (json_array_get (item, 3)), err);
}


gw_trace_t *
gw_trace_decode_json (const char *body, size_t len, edge_json_err_t *err)
{
    edge_assert (body && err);
    json_t *root = edge_json_parse (body, len, err);
    if (!root || edge_json_check (root, s_fields, EDGE_COUNT (s_fields), err)) {
        json_decref (root);
        return NULL;
    }
    gw_trace_t *self = s_new ();
    snprintf (self->app, sizeof self->app, "%s",
              edge_json_str (root, "appName", ""));
    snprintf (self->build, sizeof self->build, "%s",
              edge_json_str (root, "buildName", ""));
    snprintf (self->dxf, sizeof self->dxf, "%s",
              edge_json_str (root, "dxfName", ""));
    const json_t *accesses = json_object_get (root, "accesses");
    size_t count = json_array_size (accesses);
    self->cap = count;
    self->accesses = edge_malloc (count * sizeof (gw_trace_access_t));
    for (size_t i = 0; i < count; i++)
        if (s_json_access (self, i, json_array_get (accesses, i), err)) {
            gw_trace_destroy (&self);
            break;
        }
    json_decref (root);
    return self;
}


//  A non-negative msgpack integer into *value; false otherwise.
static bool
s_mp_int (const msgpack_object *obj, int64_t *value)
{
    if (obj->type == MSGPACK_OBJECT_POSITIVE_INTEGER
        && obj->via.u64 <= (uint64_t) INT64_MAX) {
        *value = (int64_t) obj->via.u64;
        return true;
    }
    if (obj->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *value = -1; //  refused by s_add with its reason
        return true;
    }
    return false;
}


static int
s_mp_access (gw_trace_t *self,
             size_t index,
             const msgpack_object *item,
             edge_json_err_t *err)
{
    if (item->type != MSGPACK_OBJECT_ARRAY || item->via.array.size != 4)
        return s_bad_access (err, index, "not an array of 4 values");
    const msgpack_object *v = item->via.array.ptr;
    int64_t t_ms, offset, length;
    if (!s_mp_int (&v[0], &t_ms) || !s_mp_int (&v[2], &offset)
        || !s_mp_int (&v[3], &length))
        return s_bad_access (err, index,
                             "tMs, offset and length must be "
                             "integers");
    if (v[1].type != MSGPACK_OBJECT_STR)
        return s_bad_access (err, index, "path must be a string");
    return s_add (self, index, t_ms, v[1].via.str.ptr, v[1].via.str.size,
                  offset, length, err);
}


//  A string member into out (size bytes) when it is a valid value of
//  field: names for appName and dxfName, 1..GW_TRACE_BUILD_MAX bytes
//  without control bytes for buildName.
static int
s_mp_name (const char *field,
           const msgpack_object *value,
           char *out,
           size_t size,
           edge_json_err_t *err)
{
    bool is_build = strcmp (field, "buildName") == 0;
    if (value->type == MSGPACK_OBJECT_STR && value->via.str.size < size
        && value->via.str.size > 0) {
        memcpy (out, value->via.str.ptr, value->via.str.size);
        out[value->via.str.size] = '\0';
        bool is_clean = strlen (out) == value->via.str.size;
        for (const char *p = out; is_clean && is_build && *p; p++)
            is_clean = (unsigned char) *p >= 0x20;
        if (is_clean && (is_build || edge_name_is_valid (out)))
            return 0;
    }
    out[0] = '\0';
    return edge_json_err_set (err, 400, "invalid_field", field,
                              is_build ? "field '%s' must be a string of 1 "
                                         "to 200 printable bytes"
                                       : "field '%s' must be a name "
                                         "^[A-Za-z0-9_]{2,50}$",
                              field);
}


//  The members of the msgpack root map.
static int
s_mp_root (gw_trace_t *self, const msgpack_object *root, edge_json_err_t *err)
{
    const msgpack_object *accesses = NULL;
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object *key = &root->via.map.ptr[i].key;
        const msgpack_object *value = &root->via.map.ptr[i].val;
        char name[32] = "";
        if (key->type == MSGPACK_OBJECT_STR && key->via.str.size < sizeof name)
            memcpy (name, key->via.str.ptr, key->via.str.size);
        char *outs[] = {self->app, self->build, self->dxf};
        size_t sizes[] = {sizeof self->app, sizeof self->build,
                          sizeof self->dxf};
        int k = 0;
        while (k < 3 && strcmp (name, s_fields[k].name) != 0)
            k++;
        if (k < 3 && s_mp_name (name, value, outs[k], sizes[k], err))
            return -1;
        if (k == 3 && strcmp (name, "accesses") == 0)
            accesses = value;
        else if (k == 3)
            return edge_json_err_set (err, 400, "unknown_field", name,
                                      "unknown field '%s'", name);
    }
    if (!self->app[0] || !accesses)
        return edge_json_err_set (
            err, 400, "missing_field", self->app[0] ? "accesses" : "appName",
            "field '%s' is required", self->app[0] ? "accesses" : "appName");
    if (accesses->type != MSGPACK_OBJECT_ARRAY || accesses->via.array.size < 1)
        return edge_json_err_set (err, 400, "invalid_field", "accesses",
                                  "field 'accesses' must be a non-empty "
                                  "array");
    self->cap = accesses->via.array.size;
    self->accesses = edge_malloc (self->cap * sizeof (gw_trace_access_t));
    for (uint32_t i = 0; i < accesses->via.array.size; i++)
        if (s_mp_access (self, i, &accesses->via.array.ptr[i], err))
            return -1;
    return 0;
}


gw_trace_t *
gw_trace_decode_msgpack (const char *body, size_t len, edge_json_err_t *err)
{
    edge_assert (body && err);
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    size_t offset = 0;
    gw_trace_t *self = NULL;
    msgpack_unpack_return rc =
        msgpack_unpack_next (&unpacked, body, len, &offset);
    if (rc != MSGPACK_UNPACK_SUCCESS || offset != len
        || unpacked.data.type != MSGPACK_OBJECT_MAP)
        edge_json_err_set (err, 400, "malformed_msgpack", NULL,
                           "the body must be one whole msgpack map");
    else {
        self = s_new ();
        if (s_mp_root (self, &unpacked.data, err))
            gw_trace_destroy (&self);
    }
    msgpack_unpacked_destroy (&unpacked);
    return self;
}


static int s_bad (edge_json_err_t *err, size_t index, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));


static int
s_bad (edge_json_err_t *err, size_t index, const char *fmt, ...)
{
    char field[40];
    snprintf (field, sizeof field, "accesses[%zu]", index);
    edge_json_err_set (err, 400, "invalid_access", field, "%s", "");
    int len =
        snprintf (err->message, sizeof err->message, "access %zu: ", index);
    va_list args;
    va_start (args, fmt);
    vsnprintf (err->message + len, sizeof err->message - (size_t) len, fmt,
               args);
    va_end (args);
    return -1;
}


int
gw_trace_validate (const gw_trace_t *self,
                   const gw_manifest_t *manifest,
                   edge_json_err_t *err)
{
    edge_assert (self && manifest && err);
    size_t npaths = gw_pathtab_count (self->paths);
    int64_t *sizes = edge_malloc ((npaths ? npaths : 1) * sizeof (int64_t));
    for (size_t i = 0; i < npaths; i++) {
        size_t len;
        const char *path = gw_pathtab_at (self->paths, i, &len);
        sizes[i] = gw_manifest_file_size (manifest, path, len);
    }
    int rc = 0;
    for (size_t i = 0; i < self->count && rc == 0; i++) {
        const gw_trace_access_t *a = &self->accesses[i];
        const char *path = gw_pathtab_at (self->paths, a->file, NULL);
        int64_t size = sizes[a->file];
        if (size == -2)
            rc = s_bad (err, i, "path '%.120s' is not in the build", path);
        else if (size < 0)
            rc = s_bad (err, i, "path '%.120s' is not a regular file", path);
        else if (a->length > (uint64_t) size
                 || a->offset > (uint64_t) size - a->length)
            rc = s_bad (err, i,
                        "range %llu+%llu is outside '%.120s' (%lld bytes)",
                        (unsigned long long) a->offset,
                        (unsigned long long) a->length, path, (long long) size);
        else if (i > 0 && a->t_ms < self->accesses[i - 1].t_ms)
            rc = s_bad (err, i,
                        "time %lld ms is before the previous "
                        "access's %lld ms",
                        (long long) a->t_ms,
                        (long long) self->accesses[i - 1].t_ms);
    }
    free (sizes);
    return rc;
}


int64_t
gw_trace_duration_ms (const gw_trace_t *self)
{
    edge_assert (self);
    if (self->count == 0)
        return 0;
    return self->accesses[self->count - 1].t_ms - self->accesses[0].t_ms;
}


static void
s_pack_str (msgpack_packer *pk, const char *text, size_t len)
{
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, text, len);
}


void
gw_trace_encode (const gw_trace_t *self,
                 const char *trace_id,
                 const char *dxf_name,
                 int64_t build_id,
                 char **data,
                 size_t *size)
{
    edge_assert (self && trace_id && dxf_name && data && size);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 6);
    s_pack_str (&pk, "v", 1);
    msgpack_pack_int (&pk, 1);
    s_pack_str (&pk, "traceId", 7);
    s_pack_str (&pk, trace_id, strlen (trace_id));
    s_pack_str (&pk, "dxfName", 7);
    s_pack_str (&pk, dxf_name, strlen (dxf_name));
    s_pack_str (&pk, "buildId", 7);
    msgpack_pack_int64 (&pk, build_id);
    s_pack_str (&pk, "files", 5);
    size_t npaths = gw_pathtab_count (self->paths);
    msgpack_pack_array (&pk, npaths);
    for (size_t i = 0; i < npaths; i++) {
        size_t len;
        const char *path = gw_pathtab_at (self->paths, i, &len);
        s_pack_str (&pk, path, len);
    }
    s_pack_str (&pk, "accesses", 8);
    msgpack_pack_array (&pk, self->count);
    for (size_t i = 0; i < self->count; i++) {
        const gw_trace_access_t *a = &self->accesses[i];
        msgpack_pack_array (&pk, 4);
        msgpack_pack_int64 (&pk, a->t_ms);
        msgpack_pack_uint32 (&pk, a->file);
        msgpack_pack_uint64 (&pk, a->offset);
        msgpack_pack_uint64 (&pk, a->length);
    }
    *data = sbuf.data; //  malloc'd by msgpack_sbuffer_write
    *size = sbuf.size;
}
