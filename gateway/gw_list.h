/*  gw_list - the list query of architecture §5 shared by the list endpoints:
    offset, limit, order[] and fields[] parsed from the raw query string,
    a stable sort of the index entries, the page's bounds, the projection
    of each item and the answer {"total","offset","limit","items"}.  */
#ifndef GW_LIST_H_INCLUDED
#define GW_LIST_H_INCLUDED
#include "edge_json.h"
#include "gw_req.h"
#include "edge_redis.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_LIST_DEFAULT_LIMIT 10
#define GW_LIST_MAX_LIMIT     1000
#define GW_LIST_MAX_OFFSET    1000000000
#define GW_LIST_MAX_FIELDS    32
#define GW_LIST_MAX_ORDER     4

typedef enum { GW_LIST_BY_NAME = 0, GW_LIST_BY_CREATED } gw_list_key_t;

typedef struct {
    gw_list_key_t key;
    bool is_descending;
} gw_list_order_t;

//  What one endpoint lists: its objects' top-level fields (NULL-ended,
//  static) and the alias of "name" in order[] ("username"), or NULL.
typedef struct {
    const char *const *fields;
    const char *name_alias;
} gw_list_spec_t;

//  A parsed list query. A plain value; field names are borrowed from the
//  spec's static table.
typedef struct {
    int64_t offset;                           //  >= 0, default 0
    int64_t limit;                            //  1..1000, default 10
    gw_list_order_t order[GW_LIST_MAX_ORDER]; //  sort keys, first wins
    size_t norder;                            //  0: by name, ascending
    const char *fields[GW_LIST_MAX_FIELDS];   //  projection
    size_t nfields;                           //  0: every field
} gw_list_t;

//  One index entry to sort: the object's name and creation time (ms).
typedef struct {
    const char *name; //  borrowed
    int64_t created_ms;
} gw_list_entry_t;

//  Parse a raw query string ("" or NULL: the defaults) into list. Accepts
//  offset, limit, order[] and fields[] (also unbracketed, repeated or
//  comma-separated, percent-encoded); any other parameter is 400
//  unknown_field, a bad value 400 invalid_field naming the parameter.
//  Returns 0, or -1 with err set.
int gw_list_parse (const char *query,
                   const gw_list_spec_t *spec,
                   gw_list_t *list,
                   edge_json_err_t *err);
//  Take the endpoint's own filter parameters (names[0..count-1]) out of a
//  raw query: values[i] gets the decoded value of names[i] (NULL when
//  absent; at most 511 bytes, longer is 400 invalid_field), and *rest the
//  other parameters, still encoded, for gw_list_parse. Strings live in
//  req's scope. Returns 0, or -1 with err set.
int gw_list_split_query (gw_req_t *req,
                         const char *const *names,
                         size_t count,
                         char **values,
                         char **rest,
                         edge_json_err_t *err);

//  Same for a single object's GET: only fields[] is accepted.
int gw_list_parse_fields (const char *query,
                          const gw_list_spec_t *spec,
                          gw_list_t *list,
                          edge_json_err_t *err);
//  gw_list_parse on the request's query (fields_only: as
//  gw_list_parse_fields); a bad query is answered here (400). Returns 0,
//  or -1 with the response set.
int gw_list_parse_req (gw_req_t *req,
                       const gw_list_spec_t *spec,
                       bool fields_only,
                       gw_list_t *list);
//  Sort entries in place by the list's order (stable; ties by name).
void
gw_list_sort (const gw_list_t *list, gw_list_entry_t *entries, size_t count);
//  The page of a sorted index of total entries: sets *first and returns
//  the number of entries on the page (0 past the end).
size_t gw_list_bounds (const gw_list_t *list, size_t total, size_t *first);

//  One page of an index, read from Redis. Owns names and their strings.
typedef struct {
    char **names; //  the page's names in order (count of them)
    size_t count; //  names on the page
    size_t total; //  entries in the whole index
} gw_list_page_t;

//  Read the zset index (member = name, score = created ms) with one
//  ZRANGE, sort it by the list's order and keep the page. Returns 0, or -1
//  when Redis could not be reached or answered oddly (logged); page is
//  then empty. Call gw_list_page_fini in both cases.
int gw_list_fetch (edge_redis_t *redis,
                   const char *index,
                   const gw_list_t *list,
                   gw_list_page_t *page);
//  Free the page's names; the page becomes empty. NULL-safe.
void gw_list_page_fini (gw_list_page_t *page);
//  An object from one HGETALL reply, or NULL when the hash is gone (empty)
//  or cannot be read. Caller owns the result.
typedef json_t *(gw_list_object_fn) (const redisReply *hash);

//  Answer a list request over a zset index of hashes: parse the query
//  (list parameters only), page the index (gw_list_fetch), read the page's
//  hashes <key_prefix><name> in one script, turn each into an object with
//  object_fn (objects gone meanwhile are left out), project them and answer
//  200 {"total","offset","limit","items"}; or the error (400, or a Redis
//  failure logged with what).
void gw_list_reply_hashes (gw_req_t *req,
                           edge_redis_t *redis,
                           const gw_list_spec_t *spec,
                           const char *index,
                           const char *key_prefix,
                           gw_list_object_fn *object_fn,
                           const char *what);

//  Keep only the list's fields of item (all when none were asked).
//  Takes ownership of item; caller owns the result.
json_t *gw_list_project (const gw_list_t *list, json_t *item);
//  {"total","offset","limit","items"}. Takes ownership of items (an
//  array); caller owns the result.
json_t *gw_list_answer (const gw_list_t *list, size_t total, json_t *items);
#endif
