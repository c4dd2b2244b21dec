/*  gw_users_rec - user records: Redis hash in, public JSON out.  */
#include "gw_users_rec.h"
#include "edge_json.h"
#include "edge_redis.h"
#include "edge_util.h"
#include <stdlib.h>
#include <string.h>


const char *const gw_users_rec_fields[GW_USERS_REC_NFIELDS] = {
    "username", "email", "firstname", "surname", "title",
    "label",    "roles", "machine",   "created", "updated"};


//  The record of the values of gw_users_rec_fields (NULL: absent).
static bool
s_rec_of (const char *const *v, gw_users_rec_t *user)
{
    *user = (gw_users_rec_t) {
        .username = v[0],
        .email = v[1],
        .firstname = v[2],
        .surname = v[3],
        .title = v[4],
        .label = v[5],
        .roles = v[6],
        .is_machine = v[7] && strcmp (v[7], "1") == 0,
        .created = v[8],
        .updated = v[9],
    };
    return user->username != NULL;
}


//  Read a user hash (HGETALL reply); borrowed strings. False when empty.
bool
gw_users_rec_from_hash (const redisReply *hash, gw_users_rec_t *user)
{
    const char *v[GW_USERS_REC_NFIELDS];
    for (size_t i = 0; i < GW_USERS_REC_NFIELDS; i++)
        v[i] = edge_redis_hash_field (hash, gw_users_rec_fields[i]);
    return s_rec_of (v, user);
}


bool
gw_users_rec_from_values (const redisReply *values, gw_users_rec_t *user)
{
    const char *v[GW_USERS_REC_NFIELDS] = {NULL};
    if (values && values->type == REDIS_REPLY_ARRAY
        && values->elements == GW_USERS_REC_NFIELDS)
        for (size_t i = 0; i < GW_USERS_REC_NFIELDS; i++)
            if (values->element[i]->type == REDIS_REPLY_STRING)
                v[i] = values->element[i]->str;
    return s_rec_of (v, user);
}


static int
s_strcmp_p (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}


//  The key ids of a SMEMBERS reply, sorted.
json_t *
gw_users_rec_key_ids (const redisReply *set)
{
    json_t *ids = json_array ();
    if (!set || set->type != REDIS_REPLY_ARRAY || set->elements == 0)
        return ids;
    const char **names = edge_calloc (set->elements, sizeof *names);
    size_t count = 0;
    for (size_t i = 0; i < set->elements; i++)
        if (set->element[i]->type == REDIS_REPLY_STRING)
            names[count++] = set->element[i]->str;
    qsort (names, count, sizeof *names, s_strcmp_p);
    for (size_t i = 0; i < count; i++)
        json_array_append_new (ids, edge_json_text (names[i]));
    free (names);
    return ids;
}


//  The user object; keys (machine users) is taken, NULL for persons.
json_t *
gw_users_rec_json (const gw_users_rec_t *user, json_t *keys)
{
    json_t *roles = user->roles ? json_loads (user->roles, 0, NULL) : NULL;
    if (!json_is_array (roles)) {
        json_decref (roles);
        roles = json_array ();
    }
    json_t *obj = json_object ();
    json_object_set_new (obj, "username", edge_json_text (user->username));
    json_object_set_new (obj, "email", edge_json_text (user->email));
    json_object_set_new (obj, "firstname", edge_json_text (user->firstname));
    json_object_set_new (obj, "surname", edge_json_text (user->surname));
    json_object_set_new (obj, "title", edge_json_text (user->title));
    json_object_set_new (obj, "label", edge_json_text (user->label));
    json_object_set_new (obj, "roles", roles);
    json_object_set_new (obj, "machine", json_boolean (user->is_machine));
    if (user->is_machine)
        json_object_set_new (obj, "keys", keys ? keys : json_array ());
    else
        json_decref (keys);
    json_object_set_new (obj, "created", edge_json_text (user->created));
    json_object_set_new (obj, "updated", edge_json_text (user->updated));
    return obj;
}


//  The object of one {HGETALL, SMEMBERS} pair, or NULL when the user is
//  gone (empty hash) or the pair is malformed.
json_t *
gw_users_rec_json_of_pair (const redisReply *pair)
{
    gw_users_rec_t user = {0};
    if (pair->type != REDIS_REPLY_ARRAY || pair->elements != 2
        || !gw_users_rec_from_hash (pair->element[0], &user))
        return NULL;
    return gw_users_rec_json (&user, gw_users_rec_key_ids (pair->element[1]));
}
