/*  gw_users_rec - a user record as stored in Redis and its public JSON
    object (never the password hash).  */
#ifndef GW_USERS_REC_H_INCLUDED
#define GW_USERS_REC_H_INCLUDED
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdbool.h>

//  A user record as stored; NULL for absent fields.
typedef struct {
    const char *username;
    const char *email;
    const char *firstname;
    const char *surname;
    const char *title;
    const char *label;
    const char *roles; //  JSON array text
    bool is_machine;
    const char *pwhash; //  never answered
    const char *created;
    const char *updated;
} gw_users_rec_t;

//  Read a user hash (HGETALL reply) into user; borrowed strings, pwhash
//  left NULL. False when the hash is empty.
bool gw_users_rec_from_hash (const redisReply *hash, gw_users_rec_t *user);
//  The hash fields a record reads, for HMGET, in the order
//  gw_users_rec_from_values expects (GW_USERS_REC_NFIELDS of them).
#define GW_USERS_REC_NFIELDS 10
extern const char *const gw_users_rec_fields[GW_USERS_REC_NFIELDS];
//  Read an HMGET reply of gw_users_rec_fields; borrowed strings. False when
//  the user does not exist.
bool gw_users_rec_from_values (const redisReply *values, gw_users_rec_t *user);
//  The key ids of a SMEMBERS reply, sorted. Caller owns the result.
json_t *gw_users_rec_key_ids (const redisReply *set);
//  The user object. Takes ownership of keys (machine users' key ids; NULL
//  for persons). Caller owns the result.
json_t *gw_users_rec_json (const gw_users_rec_t *user, json_t *keys);
//  The object of one {HGETALL, SMEMBERS} pair, or NULL when the user is
//  gone (empty hash) or the pair is malformed. Caller owns the result.
json_t *gw_users_rec_json_of_pair (const redisReply *pair);
#endif
