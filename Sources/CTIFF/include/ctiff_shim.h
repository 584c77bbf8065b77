#ifndef CTIFF_SHIM_H
#define CTIFF_SHIM_H
// A small C layer over libtiff: it reads from memory through client procs and
// routes libtiff's error and warning messages (printf-style, va_list) into the
// handle instead of stderr, which libtiff's default handlers would use.

#include <stddef.h>
#include <stdint.h>

enum {
    CTIFF_OK = 0,
    CTIFF_ERROR = -1,          // libtiff refused: the message says why
    CTIFF_OUT_OF_MEMORY = -2,
    CTIFF_BAD_ARGUMENT = -3,   // caller bug: wrong buffer size
};

#define CTIFF_MESSAGE_CAPACITY 256

typedef struct ctiff_decoder ctiff_decoder;

// Opens the first directory (page) of the TIFF in `data` (kept borrowed until
// destroy). Returns NULL only when out of memory; check ctiff_status.
ctiff_decoder *ctiff_open(const unsigned char *data, size_t size);
void ctiff_destroy(ctiff_decoder *decoder);
int ctiff_status(const ctiff_decoder *decoder);

// Size of the first page as stored (before the Orientation tag is applied).
int ctiff_size(ctiff_decoder *decoder, uint32_t *width, uint32_t *height);

// Decodes the first page to (height, width, 4) RGBA in stored row order (the
// Orientation tag is left for the caller). Handles every photometric libtiff's
// RGBA interface knows: RGB, palette, grey, CMYK, YCbCr, JPEG-in-TIFF, 16-bit.
int ctiff_read_rgba(ctiff_decoder *decoder, unsigned char *pixels, size_t size);

// The first error message libtiff reported ("" when none).
const char *ctiff_message(const ctiff_decoder *decoder);

#endif
