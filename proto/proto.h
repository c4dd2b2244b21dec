/*  proto - versioned msgpack messages between gateways, broker and workers.

    Every message is one ZeroMQ frame (after any routing envelope) holding a
    msgpack array whose first element is PROTO_VERSION and second the
    message type. Decoders copy strings out of msgpack's zone, check every
    field's type, and return NULL on anything malformed.

    gateway/reaper --DEALER--> [frontend ROUTER] broker [backend ROUTER] <--DEALER-- worker
      JOB      gateway -> broker -> worker    a task to run
      QUERY    gateway -> broker              ping or versions, with a request id
      ANSWER   broker  -> gateway             reply to QUERY
      READY    worker  -> broker              worker joins / has free slots
      HEARTBEAT worker -> broker              liveness, every heartbeat interval
      DONE     worker  -> broker              a task finished on the worker

    Credit: every worker message carries `free` (idle slots) and `last_seq`
    (the seq of the last JOB it received). The broker stamps each JOB it
    sends a worker with that worker's next seq, so the worker's credit is
    free - (sent_seq - last_seq), exact even across broker restarts.  */
#ifndef PROTO_H_INCLUDED
#define PROTO_H_INCLUDED
#include <msgpack.h>
#include <stdint.h>

#define PROTO_VERSION 1

//  Decoders refuse longer strings (every string is 1..max bytes, no NUL):
//  worker ids, task names, task types and DONE states; software versions;
//  and the number of workers an ANSWER may list.
#define PROTO_NAME_MAX           255
#define PROTO_VERSION_MAX        64
#define PROTO_ANSWER_WORKERS_MAX 10000

typedef enum {
    PROTO_JOB       = 1,
    PROTO_READY     = 2,
    PROTO_HEARTBEAT = 3,
    PROTO_DONE      = 4,
    PROTO_QUERY     = 5,
    PROTO_ANSWER    = 6
} proto_type_t;

//  Type of an encoded message, or -1 when it is not a message of our version.
//  Silent: the caller decides whether to warn. Only the envelope is checked
//  ([PROTO_VERSION, known type, ...], no trailing bytes); the type's decoder
//  checks the fields.
int proto_peek_type (const void *data, size_t size);
#endif
