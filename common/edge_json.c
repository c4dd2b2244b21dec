/*  edge_json - request bodies: strict parsing with jansson (no duplicate keys,
    no NUL, valid UTF-8, nothing after the value), a table-driven check of an
    object's members, typed getters and compact encoding.

    Error texts end up in JSON responses, so they are kept valid UTF-8: bytes
    jansson quotes from the input are replaced when not printable ASCII, and a
    message cut by its buffer never ends inside a multi-byte character.  */
#include "edge_json.h"
#include "edge_assert.h"
#include "edge_util.h"
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


//  Drop a multi-byte UTF-8 sequence left incomplete at the end of text.
static void
s_utf8_trim (char *text)
{
    size_t len = strlen (text);
    size_t lead = len;
    //  Walk back over continuation bytes (at most 3) to the lead byte
    while (lead > 0 && len - lead < 4
           && ((unsigned char) text[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0)
        return;
    unsigned char c = (unsigned char) text[lead - 1];
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len - (lead - 1) < need)
        text[lead - 1] = 0;
}


//  Copy src into dst (size bytes) keeping only printable ASCII.
static void
s_ascii_copy (char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++) {
        unsigned char c = (unsigned char) src[i];
        dst[i] = c >= 0x20 && c < 0x7F ? (char) c : '?';
    }
    dst[i] = 0;
}


//  "a string", "an integer"... as used in "field 'x' must be <kind>".
static const char *
s_kind_name (edge_json_kind_t kind)
{
    switch (kind) {
        case EDGE_JSON_STRING:
        case EDGE_JSON_NAME:
            return "a string";
        case EDGE_JSON_BOOL:
            return "a boolean";
        case EDGE_JSON_INT:
            return "an integer";
        case EDGE_JSON_OBJECT:
            return "an object";
        case EDGE_JSON_ARRAY:
            return "an array";
    }
    return "a value";
}


static bool
s_kind_matches (edge_json_kind_t kind, const json_t *value)
{
    switch (kind) {
        case EDGE_JSON_STRING:
        case EDGE_JSON_NAME:
            return json_is_string (value);
        case EDGE_JSON_BOOL:
            return json_is_boolean (value);
        case EDGE_JSON_INT:
            return json_is_integer (value);
        case EDGE_JSON_OBJECT:
            return json_is_object (value);
        case EDGE_JSON_ARRAY:
            return json_is_array (value);
    }
    return false;
}


//  Check the bounds of a value already known to be of its kind.
static int
s_check_bounds (const edge_json_field_t *spec,
                const json_t *value,
                edge_json_err_t *err)
{
    const char *name = spec->name;
    bool has_bounds = spec->min != 0 || spec->max != 0;
    if (spec->kind == EDGE_JSON_NAME) {
        const char *text = json_string_value (value);
        if (strlen (text) != json_string_length (value)
            || !edge_name_is_valid (text))
            return edge_json_err_set (err, 400, "invalid_field", name,
                                      "field '%s' must match "
                                      "^[A-Za-z0-9_]{2,50}$",
                                      name);
        return 0;
    }
    if (!has_bounds)
        return 0;
    int64_t n = 0;
    if (spec->kind == EDGE_JSON_INT)
        n = json_integer_value (value);
    else if (spec->kind == EDGE_JSON_STRING)
        n = (int64_t) json_string_length (value);
    else if (spec->kind == EDGE_JSON_ARRAY)
        n = (int64_t) json_array_size (value);
    else
        return 0;
    if (n >= spec->min && n <= spec->max)
        return 0;
    if (spec->kind == EDGE_JSON_INT)
        return edge_json_err_set (err, 400, "invalid_field", name,
                                  "field '%s' must be between %" PRId64
                                  " and %" PRId64,
                                  name, spec->min, spec->max);
    if (spec->kind == EDGE_JSON_STRING)
        return edge_json_err_set (err, 400, "invalid_field", name,
                                  "field '%s' must be %" PRId64 " to %" PRId64
                                  " bytes long",
                                  name, spec->min, spec->max);
    return edge_json_err_set (err, 400, "invalid_field", name,
                              "field '%s' must have %" PRId64 " to %" PRId64
                              " items",
                              name, spec->min, spec->max);
}


int
edge_json_check_field (const json_t *obj,
                       const edge_json_field_t *spec,
                       edge_json_err_t *err)
{
    const json_t *value = json_object_get (obj, spec->name);
    if (!value) {
        if (!spec->is_required)
            return 0;
        return edge_json_err_set (err, 400, "missing_field", spec->name,
                                  "missing field '%s'", spec->name);
    }
    if (json_is_null (value) && spec->is_nullable)
        return 0;
    if (!s_kind_matches (spec->kind, value))
        return edge_json_err_set (err, 400, "invalid_field", spec->name,
                                  "field '%s' must be %s", spec->name,
                                  s_kind_name (spec->kind));
    return s_check_bounds (spec, value, err);
}


int
edge_json_err_set (edge_json_err_t *err,
                   int status,
                   const char *code,
                   const char *field,
                   const char *fmt,
                   ...)
{
    if (!err)
        return -1;
    err->status = status;
    err->code = code;
    snprintf (err->field, sizeof err->field, "%s", field ? field : "");
    s_utf8_trim (err->field);
    va_list args;
    va_start (args, fmt);
    vsnprintf (err->message, sizeof err->message, fmt, args);
    va_end (args);
    s_utf8_trim (err->message);
    return -1;
}


bool
edge_json_is_shallow (const char *buf, size_t len, int max_depth)
{
    int depth = 0;
    bool is_in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (is_in_string) {
            if (c == '\\')
                i++; //  skip the escaped character
            else if (c == '"')
                is_in_string = false;
        }
        else if (c == '"')
            is_in_string = true;
        else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return false;
        }
        else if (c == ']' || c == '}')
            depth--;
    }
    return true;
}


json_t *
edge_json_parse (const char *buf, size_t len, edge_json_err_t *err)
{
    if (!buf || len == 0) {
        edge_json_err_set (err, 400, "malformed_json", NULL,
                           "request body is empty");
        return NULL;
    }
    if (!edge_json_is_shallow (buf, len, EDGE_JSON_MAX_DEPTH)) {
        edge_json_err_set (err, 400, "malformed_json", NULL,
                           "JSON nested deeper than %d levels",
                           EDGE_JSON_MAX_DEPTH);
        return NULL;
    }
    json_error_t error;
    //  No JSON_ALLOW_NUL, no JSON_DISABLE_EOF_CHECK: NUL and trailing
    //  garbage are errors; jansson always validates UTF-8
    json_t *value =
        json_loadb (buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (!value) {
        char reason[JSON_ERROR_TEXT_LENGTH];
        s_ascii_copy (reason, sizeof reason, error.text);
        edge_json_err_set (err, 400, "malformed_json", NULL,
                           "malformed JSON at line %d, column %d: %s",
                           error.line, error.column, reason);
    }
    return value;
}


int
edge_json_check (const json_t *value,
                 const edge_json_field_t *fields,
                 size_t count,
                 edge_json_err_t *err)
{
    if (!json_is_object (value))
        return edge_json_err_set (err, 400, "invalid_json", NULL,
                                  "request body must be a JSON object");
    const char *key;
    json_t *member;
    //  Unknown members first, in document order
    json_object_foreach ((json_t *) value, key, member)
    {
        size_t i = 0;
        while (i < count && strcmp (fields[i].name, key) != 0)
            i++;
        if (i == count)
            return edge_json_err_set (err, 400, "unknown_field", key,
                                      "unknown field '%s'", key);
    }
    for (size_t i = 0; i < count; i++)
        if (edge_json_check_field (value, &fields[i], err))
            return -1;
    return 0;
}


const char *
edge_json_str (const json_t *obj, const char *key, const char *dflt)
{
    const json_t *value =
        json_is_object (obj) ? json_object_get (obj, key) : NULL;
    return json_is_string (value) ? json_string_value (value) : dflt;
}


int64_t
edge_json_int (const json_t *obj, const char *key, int64_t dflt)
{
    const json_t *value =
        json_is_object (obj) ? json_object_get (obj, key) : NULL;
    return json_is_integer (value) ? (int64_t) json_integer_value (value)
                                   : dflt;
}


bool
edge_json_bool (const json_t *obj, const char *key, bool dflt)
{
    const json_t *value =
        json_is_object (obj) ? json_object_get (obj, key) : NULL;
    return json_is_boolean (value) ? json_is_true (value) : dflt;
}


char *
edge_json_dumps (const json_t *value)
{
    if (!value)
        return NULL;
    //  jansson >= 2.8 keeps insertion order without JSON_PRESERVE_ORDER
    char *text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
    edge_assert (text); //  only a bug (a cycle) or out of memory fails
    return text;
}


json_t *
edge_json_text (const char *text)
{
    json_t *value = text ? json_string (text) : NULL;
    return value ? value : json_null ();
}
