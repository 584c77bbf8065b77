#ifndef CRAW_SHIM_H
#define CRAW_SHIM_H
// A small C layer over LibRaw's C API: it installs silent memory and data
// error callbacks (LibRaw's defaults print to stderr), reaches the embedded
// preview JPEG, and otherwise runs a half-size demosaic without rotation, so
// Swift applies the orientation exactly once.

#include <stddef.h>

enum {
    CRAW_OK = 0,
    CRAW_ERROR = -1,          // LibRaw refused: the message says why
    CRAW_OUT_OF_MEMORY = -2,
    CRAW_NO_PREVIEW = -4,     // no embedded JPEG preview in the file
    CRAW_BAD_ARGUMENT = -3,
    CRAW_UNAVAILABLE = -5,    // LibRaw is not installed: the message names it
};

typedef struct {
    int raw_width, raw_height;   // sensor size (the pixel-count guard)
    int width, height;           // visible size, before orientation
    int flip;                    // LibRaw's sizes.flip (0, 3, 5, 6; bit 0/1/2 mirror, flip, transpose)
    int preview_width, preview_height;   // of the embedded preview (0 when unknown)
} craw_info;

typedef struct craw_decoder craw_decoder;

// Identifies the raw file in `data` (kept borrowed until destroy) without
// decoding pixels. Returns NULL only when out of memory; check craw_status.
craw_decoder *craw_open(const unsigned char *data, size_t size, craw_info *info);
void craw_destroy(craw_decoder *decoder);
int craw_status(const craw_decoder *decoder);

// The embedded preview when it is a JPEG; the bytes live until destroy.
int craw_preview_jpeg(craw_decoder *decoder, const unsigned char **jpeg, size_t *size);

// Half-size demosaic to 8-bit sRGB in stored orientation. On success *pixels
// (height, width, 3) lives until destroy.
int craw_half_size_rgb(craw_decoder *decoder, const unsigned char **pixels, int *width, int *height);

const char *craw_message(const craw_decoder *decoder);

// Whether LibRaw opens from `soname` (NULL: the one the headers describe) with
// every function photoq calls: 1, or 0 with the reason in `why`. craw_open
// opens it on first use; this only checks.
int craw_try_load(const char *soname, char *why, size_t size);

#endif
