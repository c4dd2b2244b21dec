/*  gw_list - list queries: parsing offset/limit/order[]/fields[] from the
    raw query string (percent-decoded here: civetweb hands it over as
    sent), a stable merge sort of index entries, paging and projection.

    Parameter names and values are echoed in error messages only as
    printable ASCII, so an error body is always valid UTF-8.  */
#include "gw_list.h"
#include <civetweb.h>
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include "gw_lua.h"
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#define S_KEY_MAX   64  //  longest parameter name kept
#define S_VALUE_MAX 512 //  longest parameter value kept

//  The parameters seen so far (offset and limit may appear once).
typedef struct {
    bool has_offset;
    bool has_limit;
    bool is_single; //  a single object's GET: fields[] only
} s_seen_t;


//  Copy text into out (size bytes), non-printable bytes as '?'.
static void
s_printable (const char *text, char *out, size_t size)
{
    size_t i = 0;
    for (; text[i] && i + 1 < size; i++) {
        unsigned char c = (unsigned char) text[i];
        out[i] = c >= 0x20 && c < 0x7F ? (char) c : '?';
    }
    out[i] = 0;
}


static int
s_hex_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}


//  Percent-decode len bytes of text into out (size bytes). '+' stays '+'
//  (no value here may hold a space). Returns 0, or -1 when malformed, too
//  long or decoding to a NUL byte.
static int
s_decode (const char *text, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = s_hex_value (text[i + 1]), lo = s_hex_value (text[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            c = (char) (hi * 16 + lo);
            i += 2;
        }
        if (n + 1 >= size)
            return -1;
        out[n++] = c;
    }
    out[n] = 0;
    return 0;
}


//  A decimal integer in min..max (digits only). Returns 0, or -1.
static int
s_parse_int (const char *text, int64_t min, int64_t max, int64_t *value)
{
    size_t len = strlen (text);
    if (len == 0 || len > 10 || strspn (text, "0123456789") != len)
        return -1;
    int64_t n = strtoll (text, NULL, 10);
    if (n < min || n > max)
        return -1;
    *value = n;
    return 0;
}


//  Add one order[] item ("name", "+created", "-name"...); a key already
//  given is ignored (the first one decides).
static int
s_order_add (const char *item,
             const gw_list_spec_t *spec,
             gw_list_t *list,
             edge_json_err_t *err)
{
    bool is_descending = item[0] == '-';
    const char *key = item[0] == '-' || item[0] == '+' ? item + 1 : item;
    gw_list_key_t which;
    if (strcmp (key, "name") == 0
        || (spec->name_alias && strcmp (key, spec->name_alias) == 0))
        which = GW_LIST_BY_NAME;
    else if (strcmp (key, "created") == 0)
        which = GW_LIST_BY_CREATED;
    else {
        char shown[64];
        s_printable (item, shown, sizeof shown);
        return edge_json_err_set (err, 400, "invalid_field", "order[]",
                                  "order[] '%s' is not one of name, -name, "
                                  "created, -created",
                                  shown);
    }
    for (size_t i = 0; i < list->norder; i++)
        if (list->order[i].key == which)
            return 0;
    edge_assert (list->norder < GW_LIST_MAX_ORDER);
    list->order[list->norder++] = (gw_list_order_t){which, is_descending};
    return 0;
}


//  Add one fields[] item; it must be a field of the listed objects.
static int
s_field_add (const char *item,
             const gw_list_spec_t *spec,
             gw_list_t *list,
             edge_json_err_t *err)
{
    const char *known = NULL;
    for (size_t i = 0; spec->fields[i] && !known; i++)
        if (strcmp (spec->fields[i], item) == 0)
            known = spec->fields[i];
    if (!known) {
        char shown[64];
        s_printable (item, shown, sizeof shown);
        return edge_json_err_set (err, 400, "invalid_field", "fields[]",
                                  "fields[] '%s' is not a field of these "
                                  "objects",
                                  shown);
    }
    for (size_t i = 0; i < list->nfields; i++)
        if (list->fields[i] == known)
            return 0;
    edge_assert (list->nfields < GW_LIST_MAX_FIELDS);
    list->fields[list->nfields++] = known;
    return 0;
}


//  Split a comma-separated value into items for add (order or fields).
static int
s_items (char *value,
         const char *param,
         int (*add) (const char *,
                     const gw_list_spec_t *,
                     gw_list_t *,
                     edge_json_err_t *),
         const gw_list_spec_t *spec,
         gw_list_t *list,
         edge_json_err_t *err)
{
    if (!*value)
        return edge_json_err_set (err, 400, "invalid_field", param,
                                  "%s must not be empty", param);
    for (char *item = value; item;) {
        char *comma = strchr (item, ',');
        if (comma)
            *comma = 0;
        if (!*item)
            return edge_json_err_set (err, 400, "invalid_field", param,
                                      "%s holds an empty item", param);
        if (add (item, spec, list, err))
            return -1;
        item = comma ? comma + 1 : NULL;
    }
    return 0;
}


//  offset= or limit=: once, an integer within bounds.
static int
s_number (const char *name,
          const char *value,
          bool *seen,
          int64_t min,
          int64_t max,
          int64_t *out,
          edge_json_err_t *err)
{
    if (*seen)
        return edge_json_err_set (err, 400, "invalid_field", name,
                                  "%s is given more than once", name);
    *seen = true;
    if (s_parse_int (value, min, max, out))
        return edge_json_err_set (err, 400, "invalid_field", name,
                                  "%s must be an integer from %lld to %lld",
                                  name, (long long) min, (long long) max);
    return 0;
}


//  One "key=value" segment of the query.
static int
s_param (const char *segment,
         size_t len,
         const gw_list_spec_t *spec,
         gw_list_t *list,
         s_seen_t *seen,
         edge_json_err_t *err)
{
    char key[S_KEY_MAX], value[S_VALUE_MAX];
    const char *eq = memchr (segment, '=', len);
    size_t key_len = eq ? (size_t) (eq - segment) : len;
    if (s_decode (segment, key_len, key, sizeof key)
        || (eq && s_decode (eq + 1, len - key_len - 1, value, sizeof value)))
        return edge_json_err_set (err, 400, "malformed_query", NULL,
                                  "the query string is malformed (bad "
                                  "percent-encoding or a value too long)");
    if (!eq)
        value[0] = 0;
    bool is_order = strcmp (key, "order[]") == 0 || strcmp (key, "order") == 0;
    bool is_fields =
        strcmp (key, "fields[]") == 0 || strcmp (key, "fields") == 0;
    if (is_fields)
        return s_items (value, "fields[]", s_field_add, spec, list, err);
    if (!seen->is_single) {
        if (is_order)
            return s_items (value, "order[]", s_order_add, spec, list, err);
        if (strcmp (key, "offset") == 0)
            return s_number ("offset", value, &seen->has_offset, 0,
                             GW_LIST_MAX_OFFSET, &list->offset, err);
        if (strcmp (key, "limit") == 0)
            return s_number ("limit", value, &seen->has_limit, 1,
                             GW_LIST_MAX_LIMIT, &list->limit, err);
    }
    char shown[S_KEY_MAX];
    s_printable (key, shown, sizeof shown);
    return edge_json_err_set (err, 400, "unknown_field", shown,
                              "unknown query parameter '%s'", shown);
}


static int
s_parse (const char *query,
         const gw_list_spec_t *spec,
         gw_list_t *list,
         bool is_single,
         edge_json_err_t *err)
{
    edge_assert (spec && spec->fields && list);
    *list = (gw_list_t){.offset = 0, .limit = GW_LIST_DEFAULT_LIMIT};
    s_seen_t seen = {.is_single = is_single};
    const char *p = query ? query : "";
    while (*p) {
        size_t len = strcspn (p, "&");
        if (len > 0 && s_param (p, len, spec, list, &seen, err))
            return -1;
        p += len;
        if (*p == '&')
            p++;
    }
    return 0;
}


int
gw_list_parse (const char *query,
               const gw_list_spec_t *spec,
               gw_list_t *list,
               edge_json_err_t *err)
{
    return s_parse (query, spec, list, false, err);
}


int
gw_list_parse_fields (const char *query,
                      const gw_list_spec_t *spec,
                      gw_list_t *list,
                      edge_json_err_t *err)
{
    return s_parse (query, spec, list, true, err);
}


int
gw_list_parse_req (gw_req_t *req,
                   const gw_list_spec_t *spec,
                   bool fields_only,
                   gw_list_t *list)
{
    edge_json_err_t err;
    if (s_parse (gw_req_query (req), spec, list, fields_only, &err) == 0)
        return 0;
    gw_req_reply_error (req, &err);
    return -1;
}


static int
s_compare (const gw_list_t *list,
           const gw_list_entry_t *a,
           const gw_list_entry_t *b)
{
    for (size_t i = 0; i < list->norder; i++) {
        int c;
        if (list->order[i].key == GW_LIST_BY_NAME)
            c = strcmp (a->name, b->name);
        else
            c = (a->created_ms > b->created_ms)
                - (a->created_ms < b->created_ms);
        if (list->order[i].is_descending)
            c = -c;
        if (c)
            return c;
    }
    return strcmp (a->name, b->name);
}


//  Merge sort of entries[0..count) using tmp (count entries); stable.
static void
s_merge_sort (const gw_list_t *list,
              gw_list_entry_t *entries,
              gw_list_entry_t *tmp,
              size_t count)
{
    if (count < 2)
        return;
    size_t half = count / 2;
    s_merge_sort (list, entries, tmp, half);
    s_merge_sort (list, entries + half, tmp, count - half);
    size_t i = 0, j = half, k = 0;
    while (i < half && j < count)
        tmp[k++] = s_compare (list, &entries[j], &entries[i]) < 0
                       ? entries[j++]
                       : entries[i++];
    while (i < half)
        tmp[k++] = entries[i++];
    while (j < count)
        tmp[k++] = entries[j++];
    memcpy (entries, tmp, count * sizeof *entries);
}


void
gw_list_sort (const gw_list_t *list, gw_list_entry_t *entries, size_t count)
{
    edge_assert (list && (entries || count == 0));
    if (count < 2)
        return;
    gw_list_entry_t *tmp = edge_malloc (count * sizeof *tmp);
    s_merge_sort (list, entries, tmp, count);
    free (tmp);
}


size_t
gw_list_bounds (const gw_list_t *list, size_t total, size_t *first)
{
    edge_assert (list && first);
    size_t offset = (size_t) list->offset;
    if (offset >= total) {
        *first = total;
        return 0;
    }
    *first = offset;
    size_t left = total - offset;
    return left < (size_t) list->limit ? left : (size_t) list->limit;
}


json_t *
gw_list_project (const gw_list_t *list, json_t *item)
{
    edge_assert (list);
    if (!item || list->nfields == 0 || !json_is_object (item))
        return item;
    json_t *out = json_object ();
    for (size_t i = 0; i < list->nfields; i++) {
        json_t *value = json_object_get (item, list->fields[i]);
        if (value)
            json_object_set (out, list->fields[i], value);
    }
    json_decref (item);
    return out;
}


json_t *
gw_list_answer (const gw_list_t *list, size_t total, json_t *items)
{
    edge_assert (list && json_is_array (items));
    json_t *answer =
        json_pack ("{s:I,s:I,s:I,s:o}", "total", (json_int_t) total, "offset",
                   (json_int_t) list->offset, "limit", (json_int_t) list->limit,
                   "items", items);
    edge_assert (answer);
    return answer;
}


//  Index entries from a ZRANGE ... WITHSCORES reply (names borrowed from
//  it). Returns the count, or -1 when the reply is not such a list.
static ssize_t
s_entries (const redisReply *reply, gw_list_entry_t **entries)
{
    *entries = NULL;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2)
        return -1;
    size_t count = reply->elements / 2;
    *entries = edge_calloc (count ? count : 1, sizeof **entries);
    for (size_t i = 0; i < count; i++) {
        const redisReply *name = reply->element[2 * i];
        const redisReply *score = reply->element[2 * i + 1];
        if (name->type != REDIS_REPLY_STRING
            || score->type != REDIS_REPLY_STRING) {
            free (*entries);
            *entries = NULL;
            return -1;
        }
        (*entries)[i] =
            (gw_list_entry_t){name->str, (int64_t) strtod (score->str, NULL)};
    }
    return (ssize_t) count;
}


int
gw_list_fetch (edge_redis_t *redis,
               const char *index,
               const gw_list_t *list,
               gw_list_page_t *page)
{
    edge_assert (redis && index && list && page);
    *page = (gw_list_page_t){0};
    redisReply *reply =
        edge_redis_command (redis, "ZRANGE %s 0 -1 WITHSCORES", index);
    if (!reply)
        return -1;
    gw_list_entry_t *entries;
    ssize_t count = s_entries (reply, &entries);
    if (count < 0) {
        edge_error ("list: index %s: unexpected Redis reply (type %d)", index,
                    reply->type);
        freeReplyObject (reply);
        return -1;
    }
    gw_list_sort (list, entries, (size_t) count);
    size_t first;
    page->total = (size_t) count;
    page->count = gw_list_bounds (list, page->total, &first);
    page->names = edge_calloc (page->count + 1, sizeof *page->names);
    for (size_t i = 0; i < page->count; i++)
        page->names[i] = edge_strdup (entries[first + i].name);
    free (entries);
    freeReplyObject (reply);
    return 0;
}


void
gw_list_page_fini (gw_list_page_t *page)
{
    if (!page)
        return;
    for (size_t i = 0; page->names && i < page->count; i++)
        free (page->names[i]);
    free (page->names);
    *page = (gw_list_page_t){0};
}


int
gw_list_split_query (gw_req_t *req,
                     const char *const *names,
                     size_t count,
                     char **values,
                     char **rest,
                     edge_json_err_t *err)
{
    const char *query = gw_req_query (req);
    size_t len = strlen (query);
    *rest = gw_req_alloc (req, len + 1);
    for (size_t i = 0; i < count; i++) {
        char buf[512];
        int n = mg_get_var (query, len, names[i], buf, sizeof buf);
        if (n == -2 || n == -3)
            return edge_json_err_set (err, 400, "invalid_field", names[i],
                                      "query parameter '%s' is too long",
                                      names[i]);
        values[i] = n >= 0 ? gw_req_strdup (req, buf) : NULL;
    }
    for (const char *p = query; *p;) {
        size_t part = strcspn (p, "&");
        size_t key = strcspn (p, "=&");
        bool is_filter = false;
        for (size_t i = 0; i < count && !is_filter; i++)
            is_filter =
                key == strlen (names[i]) && memcmp (p, names[i], key) == 0;
        if (!is_filter && part > 0) {
            if (**rest)
                strcat (*rest, "&");
            strncat (*rest, p, part);
        }
        p += part + (p[part] == '&');
    }
    return 0;
}


void
gw_list_reply_hashes (gw_req_t *req,
                      edge_redis_t *redis,
                      const gw_list_spec_t *spec,
                      const char *index,
                      const char *key_prefix,
                      gw_list_object_fn *object_fn,
                      const char *what)
{
    gw_list_t list;
    if (gw_list_parse_req (req, spec, false, &list))
        return;
    gw_list_page_t page;
    redisReply *reply = NULL;
    if (gw_list_fetch (redis, index, &list, &page)) {
        gw_req_reply_redis_failed (req, NULL, what);
        goto cleanup;
    }
    json_t *items = json_array ();
    if (page.count > 0) {
        const char **keys = gw_req_alloc (req, page.count * sizeof *keys);
        for (size_t i = 0; i < page.count; i++)
            keys[i] = gw_req_sprintf (req, "%s%s", key_prefix, page.names[i]);
        reply = edge_redis_eval (redis, &gw_lua_list_hashes, (int) page.count,
                                 keys, 0, NULL);
        if (!reply || reply->type != REDIS_REPLY_ARRAY) {
            json_decref (items);
            gw_req_reply_redis_failed (req, reply, what);
            goto cleanup;
        }
        for (size_t i = 0; i < reply->elements; i++) {
            json_t *obj = object_fn (reply->element[i]);
            if (obj) //  gone meanwhile: left out
                json_array_append_new (items, gw_list_project (&list, obj));
        }
    }
    gw_req_reply_json (req, 200, gw_list_answer (&list, page.total, items));
cleanup:
    freeReplyObject (reply);
    gw_list_page_fini (&page);
}
