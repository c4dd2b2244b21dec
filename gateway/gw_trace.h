/*  gw_trace - one uploaded play-session trace in a compact form: the
    request's names, the distinct paths it accesses and its accesses
    [tMs, path index, offset, length] (32 bytes each). Decoded from the
    upload body (JSON, or the same document as msgpack), checked against
    the build's manifest and encoded as the depot's .tr file
    (architecture §8: one msgpack map {"v":1,"traceId","dxfName",
    "buildId","files":[path...],"accesses":[[tMs,fileIndex,offset,
    length]...]}).

    Upload body: {"appName": name, "buildName": string | "dxfName": name
    (at least one), "accesses": [[tMs, path, offset, length], ...]};
    tMs, offset >= 0 and length >= 1 are integers, path a non-empty
    string.  */
#ifndef GW_TRACE_H_INCLUDED
#define GW_TRACE_H_INCLUDED
#include "edge_json.h"
#include "gw_manifest.h"
#include "gw_pathtab.h"
#include <stddef.h>
#include <stdint.h>

#define GW_TRACE_MSGPACK_TYPE "application/msgpack"
//  Longest buildName accepted.
#define GW_TRACE_BUILD_MAX 200

typedef struct {
    int64_t t_ms;
    uint64_t offset;
    uint64_t length;
    uint32_t file; //  index into the trace's paths
} gw_trace_access_t;

typedef struct {
    char app[64];                       //  appName
    char build[GW_TRACE_BUILD_MAX + 1]; //  buildName, or ""
    char dxf[64];                       //  dxfName, or ""
    gw_pathtab_t *paths;                //  distinct paths, by first access
    gw_trace_access_t *accesses;
    size_t count, cap;
} gw_trace_t;

//  Decode a JSON upload body. Returns the trace (caller owns) or NULL with
//  err set (400: malformed_json, missing_field, unknown_field,
//  invalid_field naming the field, e.g. "accesses[3]").
gw_trace_t *
gw_trace_decode_json (const char *body, size_t len, edge_json_err_t *err);
//  Same for a msgpack body (400 malformed_msgpack when it is not one
//  whole msgpack map).
gw_trace_t *
gw_trace_decode_msgpack (const char *body, size_t len, edge_json_err_t *err);
//  Free and nullify; NULL-safe.
void gw_trace_destroy (gw_trace_t **self_p);

//  Check every access against the manifest, in order: its path is a file
//  of the image, its range lies inside that file, its time is not before
//  the previous one's. Returns 0, or -1 with err (400 invalid_access,
//  field "accesses[i]" of the first bad access, and why).
int gw_trace_validate (const gw_trace_t *self,
                       const gw_manifest_t *manifest,
                       edge_json_err_t *err);
//  Time from the first access to the last, ms.
int64_t gw_trace_duration_ms (const gw_trace_t *self);
//  Encode the .tr document. Caller owns *data (free).
void gw_trace_encode (const gw_trace_t *self,
                      const char *trace_id,
                      const char *dxf_name,
                      int64_t build_id,
                      char **data,
                      size_t *size);
#endif
