/*  nt_body - a task event as read from e:events, and what is sent for it:
    the webhook request body (the documented schema plus taskName and
    timestamp) and the one-line Slack summary.  */
#ifndef NT_BODY_H_INCLUDED
#define NT_BODY_H_INCLUDED
#include <hiredis/hiredis.h>

//  The fields of one stream entry. A plain value type: every pointer is
//  borrowed from the reply it was read from and is "" when absent.
typedef struct {
    const char *id;            //  stream entry id
    const char *task_name;     //  taskName
    const char *type;          //  dltar | mkraw | deploy | hello
    const char *event;         //  submit | begin | end | error
    const char *org;           //  orgName
    const char *app;           //  appName
    const char *build;         //  buildName
    const char *dxf;           //  dxfName
    const char *build_changed; //  "true" | "false"
    const char *timestamp;     //  RFC 3339
    const char *created_ms;    //  task creation, ms
    const char *exception;     //  JSON object text
    const char *error;         //  JSON object text
    const char *message;       //  human-readable
    const char *seq;           //  the event's number within its task, or ""
} nt_event_t;

//  Fill event from entry id and its flat [field, value, ...] reply.
//  Borrowed: valid while fields lives.
void
nt_event_init (nt_event_t *event, const char *id, const redisReply *fields);
//  The webhook body: compact JSON with exactly the documented fields.
//  Caller owns the result.
char *nt_body_webhook (const nt_event_t *event);
//  A readable one-line summary for Slack (org, app, build, type, event,
//  task, error details). Caller owns the result.
char *nt_body_slack_text (const nt_event_t *event);
#endif
