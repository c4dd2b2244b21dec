/*  gw_thread - a request thread's Redis handle (its own, or one it shares
    with other threads), DEALER socket
    to the broker frontend and depot store, with the job send and the
    query round trip.  */
#include "gw_thread.h"
#include "edge_assert.h"
#include "edge_log.h"
#include "edge_util.h"
#include "gw_pcache.h"
#include "proto_job.h"
#include <czmq.h>
#include <errno.h>

#define S_SNDHWM 1000
#define S_RCVHWM 1000

struct gw_thread {
    edge_redis_t *redis;  //  this thread's Redis connection (or a shared one)
    bool is_shared;       //  redis is borrowed
    zsock_t *dealer;      //  this thread's socket to the broker frontend
    uint64_t next_req_id; //  request id of the next QUERY
    const edge_depot_cfg_t *depot_cfg; //  borrowed, or NULL: no depot
    uint64_t part_size;                //  S3 part size, 0 = the default
    edge_store_t *depot;               //  opened on first use, or NULL
    gw_pcache_t *pcache; //  authenticated principals, or NULL: none
};


#define S_JOB_SEND_WAIT_MS 20


gw_thread_t *
gw_thread_new (const char *redis_url,
               int redis_timeout_ms,
               const char *broker_endpoint)
{
    edge_assert (redis_url && broker_endpoint);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer) {
        edge_error ("gateway thread: cannot create a ZeroMQ socket");
        return NULL;
    }
    zsock_set_linger (dealer, 0);
    zsock_set_sndhwm (dealer, S_SNDHWM);
    zsock_set_rcvhwm (dealer, S_RCVHWM);
    //  Queue only on a live connection: a down broker fails sends at once
    zsock_set_immediate (dealer, 1);
    if (zsock_connect (dealer, "%s", broker_endpoint)) {
        edge_error ("gateway thread: cannot connect to %s", broker_endpoint);
        zsock_destroy (&dealer);
        return NULL;
    }
    gw_thread_t *self = edge_calloc (1, sizeof *self);
    self->dealer = dealer;
    self->redis = edge_redis_new (redis_url, redis_timeout_ms);
    self->next_req_id = 1;
    return self;
}


void
gw_thread_destroy (gw_thread_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_thread_t *self = *self_p;
    zsock_destroy (&self->dealer);
    if (!self->is_shared)
        edge_redis_destroy (&self->redis);
    edge_store_destroy (&self->depot);
    gw_pcache_destroy (&self->pcache);
    free (self);
    *self_p = NULL;
}


void
gw_thread_share_redis (gw_thread_t *self, edge_redis_t *redis)
{
    edge_assert (self && redis && !self->is_shared);
    edge_redis_destroy (&self->redis); //  never connected: lazy
    self->redis = redis;
    self->is_shared = true;
}


edge_redis_t *
gw_thread_redis (gw_thread_t *self)
{
    edge_assert (self);
    return self->redis;
}


void
gw_thread_set_depot (gw_thread_t *self,
                     const edge_depot_cfg_t *cfg,
                     uint64_t part_size)
{
    edge_assert (self && !self->depot);
    self->depot_cfg = cfg && cfg->url ? cfg : NULL;
    self->part_size = part_size;
}


void
gw_thread_set_pcache (gw_thread_t *self, int64_t ttl_ms)
{
    edge_assert (self && !self->pcache && ttl_ms >= 0);
    if (ttl_ms > 0)
        self->pcache = gw_pcache_new (GW_PCACHE_THREAD_SIZE, ttl_ms);
}


gw_pcache_t *
gw_thread_pcache (gw_thread_t *self)
{
    edge_assert (self);
    return self->pcache;
}


edge_store_t *
gw_thread_depot (gw_thread_t *self)
{
    edge_assert (self);
    if (self->depot || !self->depot_cfg)
        return self->depot;
    self->depot = edge_depot_open (self->depot_cfg);
    if (self->depot && self->part_size
        && edge_store_set_multipart (
            self->depot, EDGE_STORE_MULTIPART_THRESHOLD, self->part_size))
        edge_warn ("gateway thread: S3 part size %llu refused, default kept",
                   (unsigned long long) self->part_size);
    return self->depot;
}


int
gw_thread_redis_ping (gw_thread_t *self)
{
    edge_assert (self);
    for (int attempt = 0; attempt < 2; attempt++) {
        redisReply *reply = edge_redis_command (self->redis, "PING");
        if (!reply)
            continue; //  a connection Redis closed fails once: retry
        bool is_pong = reply->type == REDIS_REPLY_STATUS && reply->str
                       && strcmp (reply->str, "PONG") == 0;
        freeReplyObject (reply);
        return is_pong ? 0 : -1;
    }
    return -1;
}


//  Send one frame, waiting until deadline (ms, monotonic; 0 = do not
//  wait) for a connection with room: a socket still reconnecting to a
//  broker that just came up gets its chance. Returns 0, or -1.
static int
s_send_frame (gw_thread_t *self, const msgpack_sbuffer *buf, int64_t deadline)
{
    void *handle = zsock_resolve (self->dealer);
    while (true) {
        if (zmq_send (handle, buf->data, buf->size, ZMQ_DONTWAIT) >= 0)
            return 0;
        int64_t left = deadline - edge_mono_ms ();
        if (errno != EAGAIN || left <= 0)
            return -1;
        zmq_pollitem_t item = {handle, 0, ZMQ_POLLOUT, 0};
        if (zmq_poll (&item, 1, (long) left) < 0)
            return -1;
    }
}


int
gw_thread_send_job (gw_thread_t *self, const char *task, const char *type)
{
    edge_assert (self && task && type);
    proto_job_t *job = proto_job_new (task, type);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_job_encode (job, &buf);
    //  A thread's socket may still be connecting (first request, broker just
    //  restarted): give it a moment rather than leave the job to the reaper.
    int rc = s_send_frame (self, &buf, edge_mono_ms () + S_JOB_SEND_WAIT_MS);
    msgpack_sbuffer_destroy (&buf);
    proto_job_destroy (&job);
    return rc;
}


//  Receive one waiting message; returns the ANSWER for req_id, or NULL
//  when the message was something else (dropped).
static proto_answer_t *
s_recv_answer (gw_thread_t *self, uint64_t req_id)
{
    zmsg_t *msg = zmsg_recv (self->dealer); //  ready: the poll said so
    if (!msg)
        return NULL;
    //  The payload is the last frame (a broker may add an empty delimiter)
    zframe_t *frame = zmsg_last (msg);
    proto_answer_t *answer = NULL;
    if (frame
        && proto_peek_type (zframe_data (frame), zframe_size (frame))
               == PROTO_ANSWER)
        answer = proto_answer_decode (zframe_data (frame), zframe_size (frame));
    if (answer && answer->req_id != req_id) {
        edge_debug ("gateway: dropped a stale broker answer (req %llu)",
                    (unsigned long long) answer->req_id);
        proto_answer_destroy (&answer);
    }
    zmsg_destroy (&msg);
    return answer;
}


proto_answer_t *
gw_thread_query (gw_thread_t *self, proto_query_kind_t kind, int timeout_ms)
{
    edge_assert (self);
    proto_query_t query = {.kind = kind, .req_id = self->next_req_id++};
    int64_t deadline = edge_mono_ms () + timeout_ms;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    proto_query_encode (&query, &buf);
    int rc = s_send_frame (self, &buf, deadline);
    msgpack_sbuffer_destroy (&buf);
    if (rc)
        return NULL;
    void *handle = zsock_resolve (self->dealer);
    while (true) {
        int64_t left = deadline - edge_mono_ms ();
        if (left <= 0)
            return NULL;
        zmq_pollitem_t item = {handle, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, (long) left) < 0)
            return NULL;
        if (item.revents & ZMQ_POLLIN) {
            proto_answer_t *answer = s_recv_answer (self, query.req_id);
            if (answer)
                return answer;
        }
    }
}
