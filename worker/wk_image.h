/*  wk_image - builds a DxF image from an uncompressed tar.

    One streaming pass over the tar (libarchive): each regular file is cut
    into content-defined chunks (wk_cdc), each chunk is named by its SHA-256
    and stored once, zstd-compressed when that saves space, in segment files
    of at most segment_max bytes, in load order (the tar's file order until
    traces exist). Then a manifest (manifest.json, described in
    wk_manifest.h) is written. Memory holds one chunk and a small table entry
    per unique chunk; never a whole file or the tar.

    Output directory layout: manifest.json, seg_00000.bin, seg_00001.bin ...
    The image's dxfName is "dxf_" + the first 16 hex digits of the SHA-256
    of manifest.json, so identical builds give identical names.  */
#ifndef WK_IMAGE_H_INCLUDED
#define WK_IMAGE_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WK_IMAGE_VERSION     1
#define WK_IMAGE_SEGMENT_MAX (64ull * 1024 * 1024)
#define WK_IMAGE_MANIFEST    "manifest.json"
#define WK_IMAGE_ZSTD_LEVEL  3
#define WK_IMAGE_NAME_SIZE   24 //  "dxf_" + 16 hex + NUL, rounded up

typedef enum {
    WK_IMAGE_OK = 0,
    WK_IMAGE_ERR_TYPE,     //  not a plain tar: see type_detected
    WK_IMAGE_ERR_READ,     //  unreadable, truncated or corrupt tar
    WK_IMAGE_ERR_PATH,     //  an entry's path is absolute or has ".."
    WK_IMAGE_ERR_WRITE,    //  the output could not be written
    WK_IMAGE_ERR_CANCELLED //  *opts->stop became true
} wk_image_err_t;

typedef struct {
    uint64_t segment_max; //  0: WK_IMAGE_SEGMENT_MAX (tests use less)
    int zstd_level;       //  0: WK_IMAGE_ZSTD_LEVEL
    bool is_uncompressed; //  true: never compress chunks
    volatile int *stop;   //  optional: cancel when *stop becomes non-zero
} wk_image_opts_t;

//  Why a build failed: the fields of exception.fileReadFailed.
typedef struct {
    wk_image_err_t code;
    char filename[512];     //  the tar path as given
    char type_expected[8];  //  always "tar"
    char type_detected[32]; //  "tar", "gzip", "zip", "empty", "unknown" ...
    char message[512];      //  one readable sentence
} wk_image_error_t;

typedef struct {
    char dxf_name[WK_IMAGE_NAME_SIZE]; //  "dxf_" + 16 lowercase hex
    uint64_t files;                    //  manifest entries (files, dirs, links)
    uint64_t chunks;                   //  unique chunks
    uint64_t chunk_refs;               //  chunk references from files
    uint64_t raw_bytes;                //  sum of regular file sizes
    uint64_t unique_bytes;             //  sum of unique chunk sizes
    uint64_t stored_bytes;             //  sum of segment sizes
    uint64_t segments;                 //  segment files written
} wk_image_info_t;

//  Build the image of tar_path into out_dir (created if missing; existing
//  image files in it are overwritten). Returns 0 and fills info, or -1 and
//  fills error (logged once here). opts may be NULL.
int wk_image_build (const char *tar_path,
                    const char *out_dir,
                    const wk_image_opts_t *opts,
                    wk_image_info_t *info,
                    wk_image_error_t *error);
//  Compute the dxfName of a manifest file into name. Returns 0, or -1 if the
//  file cannot be read.
int wk_image_dxf_name (const char *manifest_path,
                       char name[WK_IMAGE_NAME_SIZE]);
//  Segment file name for index into buf ("seg_00042.bin").
void wk_image_segment_name (uint32_t index, char *buf, size_t size);
#endif
