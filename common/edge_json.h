/*  edge_json - parsing and validating request bodies over jansson, with
    precise error messages, and small typed getters.  */
#ifndef EDGE_JSON_H_INCLUDED
#define EDGE_JSON_H_INCLUDED
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  An API error as answered by the gateway (architecture §5).
typedef struct {
    int status;        //  HTTP status, e.g. 400
    const char *code;  //  static: "malformed_json", "invalid_field", ...
    char message[256]; //  human-readable, never holds a secret
    char field[64];    //  the offending field, or ""
} edge_json_err_t;

//  Set err to (status, code, field, printf message). Returns -1.
int edge_json_err_set (edge_json_err_t *err,
                       int status,
                       const char *code,
                       const char *field,
                       const char *fmt,
                       ...) __attribute__ ((format (printf, 5, 6)));

//  Deepest nesting of arrays and objects the parsers accept. jansson's
//  parser recurses per level, and request threads have small stacks.
#define EDGE_JSON_MAX_DEPTH 64

//  True when buf nests arrays/objects no deeper than max_depth (string
//  contents are skipped). Reads len bytes; no allocation.
bool edge_json_is_shallow (const char *buf, size_t len, int max_depth);

//  Parse exactly one JSON value from buf. Rejects invalid UTF-8, NUL bytes
//  and trailing garbage, and nesting deeper than EDGE_JSON_MAX_DEPTH.
//  Returns the value (caller owns) or NULL with err
//  (400 malformed_json, "... at line L, column C: reason").
json_t *edge_json_parse (const char *buf, size_t len, edge_json_err_t *err);

typedef enum {
    EDGE_JSON_STRING, //  min..max is the length in bytes
    EDGE_JSON_NAME,   //  string matching ^[A-Za-z0-9_]{2,50}$
    EDGE_JSON_BOOL,
    EDGE_JSON_INT, //  integer within min..max
    EDGE_JSON_OBJECT,
    EDGE_JSON_ARRAY //  min..max is the number of items
} edge_json_kind_t;

typedef struct {
    const char *name;
    edge_json_kind_t kind;
    bool is_required;
    int64_t min, max; //  ignored when both are 0
    bool is_nullable; //  null accepted (PATCH: clears the field)
} edge_json_field_t;

//  Check that value is an object holding only the listed fields, each of
//  its kind and within its bounds, and every required one present.
//  Returns 0, or -1 with err set (400 invalid_json / unknown_field /
//  missing_field / invalid_field naming the field).
int edge_json_check (const json_t *value,
                     const edge_json_field_t *fields,
                     size_t count,
                     edge_json_err_t *err);
//  Check one field of obj, an object (presence when required, null, kind,
//  bounds), whatever other members it has. Returns 0, or -1 with err set
//  (missing_field / invalid_field); err may be NULL.
int edge_json_check_field (const json_t *obj,
                           const edge_json_field_t *field,
                           edge_json_err_t *err);

//  Getters: the member's value, or dflt when absent, null or of another type.
//  Borrowed: valid while obj lives.
const char *
edge_json_str (const json_t *obj, const char *key, const char *dflt);
int64_t edge_json_int (const json_t *obj, const char *key, int64_t dflt);
bool edge_json_bool (const json_t *obj, const char *key, bool dflt);

//  A JSON string of text, or null when text is NULL. Caller owns.
json_t *edge_json_text (const char *text);

//  Compact encoding, keys in insertion order. Caller owns (free).
char *edge_json_dumps (const json_t *value);
#endif
