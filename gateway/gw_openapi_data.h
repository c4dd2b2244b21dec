/*  gw_openapi_data - docs/openapi.yaml embedded at build time: CMake
    writes gw_openapi_data.c from gw_openapi_data.c.in, so the gateway
    serves its API description without needing the file at run time.  */
#ifndef GW_OPENAPI_DATA_H_INCLUDED
#define GW_OPENAPI_DATA_H_INCLUDED
#include <stddef.h>

//  The document's bytes, followed by a NUL. Static.
extern const unsigned char gw_openapi_data[];
//  Its length, without the NUL.
extern const size_t gw_openapi_data_size;
#endif
