/*  gw_hash - a stored hash as JSON by rows; see gw_hash.h.  */
#include "gw_hash.h"
#include "edge_json.h"
#include "edge_redis.h"
#include <stdlib.h>


//  Stored JSON text: of type (or any type when type is -1), else dflt
//  (taken).
static json_t *
s_json (const char *text, int type, json_t *dflt)
{
    json_t *value = text ? json_loads (text, JSON_DECODE_ANY, NULL) : NULL;
    if (value && (type < 0 || (int) json_typeof (value) == type)) {
        json_decref (dflt);
        return value;
    }
    json_decref (value);
    return dflt;
}


static json_t *
s_value (const char *text, const gw_hash_row_t *row)
{
    switch (row->kind) {
    case GW_HASH_INT:
        return json_integer (text ? strtoll (text, NULL, 10) : row->dflt);
    case GW_HASH_BOOL:
        return json_boolean (text && text[0] == '1' && !text[1]);
    case GW_HASH_ARRAY:
        return s_json (text, JSON_ARRAY, json_array ());
    case GW_HASH_OBJECT:
        return s_json (text, JSON_OBJECT, json_null ());
    case GW_HASH_JSON:
        return s_json (text, -1, json_null ());
    case GW_HASH_TEXT:
    default:
        return edge_json_text (text);
    }
}


json_t *
gw_hash_json (const redisReply *hash, const gw_hash_row_t *rows, size_t count)
{
    json_t *obj = json_object ();
    for (size_t i = 0; i < count; i++) {
        const char *field = rows[i].field ? rows[i].field : rows[i].member;
        json_object_set_new (obj, rows[i].member,
                             s_value (edge_redis_hash_field (hash, field),
                                      &rows[i]));
    }
    return obj;
}
