/*  gw_hash - a stored hash (HGETALL) as a resource's JSON, by rows of
    fields, so that a resource's representation is a table.  */
#ifndef GW_HASH_H_INCLUDED
#define GW_HASH_H_INCLUDED
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>

//  A stored hash field's place in a resource's JSON.
typedef enum {
    GW_HASH_TEXT = 0, //  string, or null when absent
    GW_HASH_INT,      //  integer; absent: dflt
    GW_HASH_BOOL,     //  true when the field is "1"
    GW_HASH_ARRAY,    //  stored JSON array text; absent or not one: []
    GW_HASH_OBJECT,   //  stored JSON object text; absent or not one: null
    GW_HASH_JSON      //  stored JSON text of any type; absent: null
} gw_hash_kind_t;

typedef struct {
    const char *member;  //  the JSON member
    gw_hash_kind_t kind;
    const char *field;   //  the hash field, or NULL: the same as member
    long long dflt;      //  GW_HASH_INT: the value when absent
} gw_hash_row_t;

//  The JSON object of an HGETALL reply by rows (in their order). Caller
//  owns.
json_t *gw_hash_json (const redisReply *hash,
                      const gw_hash_row_t *rows,
                      size_t count);
#endif
