/*  nt_body - webhook bodies and Slack summaries of task events.

    The body carries exactly the documented fields, in the documented order:
    type, event, orgName, appName (always; null when the task has none),
    buildName, dxfName, buildChanged (for the task types that concern a
    build: dltar, mkraw, deploy; null until known), exception, error, then
    taskName and timestamp. The exception and error
    objects are rebuilt from the event's JSON with only the documented
    sub-objects and fields, so a receiver never sees anything the schema
    does not list, and every documented field has its documented type.  */
#include "nt_body.h"
#include "edge_assert.h"
#include "edge_redis.h"
#include "edge_json.h"
#include "edge_util.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A documented sub-object: its name and fields; integer fields are listed
//  with is_int set.
typedef struct {
    const char *name;
    bool is_int;
} s_field_t;

static const s_field_t s_download_fields[] = {{"url", false},
                                              {"httpStatus", true},
                                              {"exitCode", true},
                                              {"sizeBytes", true}};
static const s_field_t s_read_fields[] = {
    {"filename", false}, {"typeExpected", false}, {"typeDetected", false}};


//  Value of field name in a flat [field, value, ...] reply, or "".
static const char *
s_field (const redisReply *fields, const char *name)
{
    const char *value = edge_redis_hash_field (fields, name);
    return value ? value : "";
}


void
nt_event_init (nt_event_t *event, const char *id, const redisReply *fields)
{
    edge_assert (event);
    event->id = id ? id : "";
    event->task_name = s_field (fields, "taskName");
    event->type = s_field (fields, "type");
    event->event = s_field (fields, "event");
    event->org = s_field (fields, "orgName");
    event->app = s_field (fields, "appName");
    event->build = s_field (fields, "buildName");
    event->dxf = s_field (fields, "dxfName");
    event->build_changed = s_field (fields, "buildChanged");
    event->timestamp = s_field (fields, "timestamp");
    event->created_ms = s_field (fields, "createdMs");
    event->exception = s_field (fields, "exception");
    event->error = s_field (fields, "error");
    event->message = s_field (fields, "message");
    event->seq = s_field (fields, "seq");
}


//  A JSON string of text; bytes of invalid UTF-8 become '?' (jansson
//  refuses them, and a receiver should still get the rest).
static json_t *
s_jstr (const char *text)
{
    json_t *value = json_string (text ? text : "");
    if (value)
        return value;
    char *copy = edge_strdup (text);
    for (char *p = copy; *p; p++)
        if ((unsigned char) *p >= 0x80)
            *p = '?';
    value = json_string (copy);
    free (copy);
    edge_assert (value);
    return value;
}


//  Parse a JSON object text, or NULL when empty or not an object.
static json_t *
s_object (const char *text)
{
    if (!text || !*text)
        return NULL;
    json_t *value = json_loads (text, JSON_REJECT_DUPLICATES, NULL);
    if (value && !json_is_object (value))
        json_decref (value);
    else
        return value;
    return NULL;
}


//  Copy of sub-object name of source holding exactly fields (strings default
//  to "", integers to 0), or NULL when source has no such object.
static json_t *
s_rebuild (const json_t *source,
           const char *name,
           const s_field_t *fields,
           size_t count)
{
    json_t *from = json_object_get (source, name);
    if (!json_is_object (from))
        return NULL;
    json_t *to = json_object ();
    for (size_t i = 0; i < count; i++) {
        json_t *value = json_object_get (from, fields[i].name);
        json_t *copy;
        if (fields[i].is_int)
            copy = json_integer (
                json_is_integer (value) ? json_integer_value (value)
                : json_is_real (value)  ? (json_int_t) json_real_value (value)
                                        : 0);
        else
            copy = json_string (
                json_is_string (value) ? json_string_value (value) : "");
        json_object_set_new (to, fields[i].name, copy);
    }
    return to;
}


//  The exception object of the body, or NULL when the event has none.
static json_t *
s_exception (const char *text)
{
    json_t *source = s_object (text);
    if (!source)
        return NULL;
    json_t *out = json_object ();
    json_t *download =
        s_rebuild (source, "httpDownloadFailed", s_download_fields, 4);
    if (download)
        json_object_set_new (out, "httpDownloadFailed", download);
    json_t *read = s_rebuild (source, "fileReadFailed", s_read_fields, 3);
    if (read)
        json_object_set_new (out, "fileReadFailed", read);
    json_decref (source);
    if (json_object_size (out) == 0)
        json_decref (out);
    else
        return out;
    return NULL;
}


//  Array of the strings of source[name] (other items dropped).
static json_t *
s_strings (const json_t *source, const char *name)
{
    json_t *out = json_array ();
    json_t *from = json_object_get (source, name);
    size_t i;
    json_t *item;
    json_array_foreach (from, i, item)
    {
        if (json_is_string (item))
            json_array_append (out, item);
    }
    return out;
}


//  The error object of the body, or NULL when the event has none.
static json_t *
s_error (const char *text)
{
    json_t *source = s_object (text);
    if (!source)
        return NULL;
    json_t *out = NULL;
    json_t *deployment = json_object_get (source, "deployment");
    if (json_is_object (deployment)) {
        json_t *copy = json_object ();
        json_object_set_new (copy, "failedDeployments",
                             s_strings (deployment, "failedDeployments"));
        json_object_set_new (copy, "succeededDeployments",
                             s_strings (deployment, "succeededDeployments"));
        out = json_object ();
        json_object_set_new (out, "deployment", copy);
    }
    json_decref (source);
    return out;
}


//  The string value, or null when the event has none.
static json_t *
s_jstr_or_null (const char *value)
{
    return value && *value ? s_jstr (value) : json_null ();
}


//  true, false, or null while unknown.
static json_t *
s_jbool_or_null (const char *value)
{
    if (strcmp (value, "true") == 0)
        return json_true ();
    return strcmp (value, "false") == 0 ? json_false () : json_null ();
}


//  The task types that concern a build (their bodies name it).
static bool
s_is_build_type (const char *type)
{
    return strcmp (type, "dltar") == 0 || strcmp (type, "mkraw") == 0
           || strcmp (type, "deploy") == 0;
}


char *
nt_body_webhook (const nt_event_t *event)
{
    edge_assert (event);
    json_t *body = json_object ();
    json_object_set_new (body, "type", s_jstr (event->type));
    json_object_set_new (body, "event", s_jstr (event->event));
    json_object_set_new (body, "orgName", s_jstr_or_null (event->org));
    json_object_set_new (body, "appName", s_jstr_or_null (event->app));
    if (s_is_build_type (event->type)) {
        json_object_set_new (body, "buildName", s_jstr_or_null (event->build));
        json_object_set_new (body, "dxfName", s_jstr_or_null (event->dxf));
        json_object_set_new (body, "buildChanged",
                             s_jbool_or_null (event->build_changed));
    }
    json_t *exception = s_exception (event->exception);
    if (exception)
        json_object_set_new (body, "exception", exception);
    json_t *error = s_error (event->error);
    if (error)
        json_object_set_new (body, "error", error);
    json_object_set_new (body, "taskName", s_jstr (event->task_name));
    json_object_set_new (body, "timestamp", s_jstr (event->timestamp));
    char *text = edge_json_dumps (body);
    json_decref (body);
    return text;
}


//  Append to a growing text; *text is owned.
static void s_append (char **text, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_append (char **text, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    int len = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    edge_assert (len >= 0);
    size_t old = *text ? strlen (*text) : 0;
    *text = edge_realloc (*text, old + (size_t) len + 1);
    va_start (args, fmt);
    vsnprintf (*text + old, (size_t) len + 1, fmt, args);
    va_end (args);
}


//  Append "a, b, c" of the strings in array (or "none").
static void
s_append_list (char **text, const json_t *array)
{
    size_t i;
    json_t *item;
    if (json_array_size (array) == 0)
        s_append (text, "none");
    json_array_foreach (array, i, item)
    {
        s_append (text, "%s%s", i ? ", " : "", json_string_value (item));
    }
}


//  Append the failure details of the event's exception and error.
static void
s_append_details (char **text, const nt_event_t *event)
{
    json_t *exception = s_exception (event->exception);
    json_t *error = s_error (event->error);
    json_t *dl = json_object_get (exception, "httpDownloadFailed");
    if (dl)
        s_append (
            text,
            "; download of %s failed (HTTP status %lld, exit code "
            "%lld, %lld bytes)",
            json_string_value (json_object_get (dl, "url")),
            (long long) json_integer_value (json_object_get (dl, "httpStatus")),
            (long long) json_integer_value (json_object_get (dl, "exitCode")),
            (long long) json_integer_value (json_object_get (dl, "sizeBytes")));
    json_t *rd = json_object_get (exception, "fileReadFailed");
    if (rd)
        s_append (text, "; could not read %s (expected %s, found %s)",
                  json_string_value (json_object_get (rd, "filename")),
                  json_string_value (json_object_get (rd, "typeExpected")),
                  json_string_value (json_object_get (rd, "typeDetected")));
    json_t *dep = json_object_get (error, "deployment");
    if (dep) {
        s_append (text, "; failed deployments: ");
        s_append_list (text, json_object_get (dep, "failedDeployments"));
        s_append (text, "; succeeded deployments: ");
        s_append_list (text, json_object_get (dep, "succeededDeployments"));
    }
    if (*event->message)
        s_append (text, "; %s", event->message);
    json_decref (exception);
    json_decref (error);
}


//  Slack's control characters: & < > must be escaped, or text like
//  "<!channel>" from task data would ping a channel. One line, too.
static char *
s_slack_escape (const char *text)
{
    size_t len = 0;
    for (const char *p = text; *p; p++)
        len += *p == '&' ? 5 : *p == '<' || *p == '>' ? 4 : 1;
    char *out = edge_malloc (len + 1);
    char *q = out;
    for (const char *p = text; *p; p++) {
        const char *entity = *p == '&'   ? "&amp;"
                             : *p == '<' ? "&lt;"
                             : *p == '>' ? "&gt;"
                                         : NULL;
        if (entity) {
            memcpy (q, entity, strlen (entity));
            q += strlen (entity);
        }
        else
            *q++ = *p == '\n' || *p == '\r' ? ' ' : *p;
    }
    *q = 0;
    return out;
}


char *
nt_body_slack_text (const nt_event_t *event)
{
    edge_assert (event);
    char *text = NULL;
    s_append (&text, "ROCKIT Edge: %s %s in org %s", event->type, event->event,
              event->org);
    if (*event->app)
        s_append (&text, ", app %s", event->app);
    if (*event->build)
        s_append (&text, ", build %s", event->build);
    if (*event->dxf)
        s_append (&text, ", DxF image %s", event->dxf);
    if (strcmp (event->build_changed, "true") == 0)
        s_append (&text, " (new build)");
    s_append (&text, " (task %s)", event->task_name);
    s_append_details (&text, event);
    char *escaped = s_slack_escape (text);
    free (text);
    return escaped;
}
