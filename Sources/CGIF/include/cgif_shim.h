#ifndef CGIF_SHIM_H
#define CGIF_SHIM_H
// A small C layer over giflib: it feeds giflib from memory through its read
// callback and composes the first frame onto the logical screen, so Swift
// sees one RGBA buffer. giflib never prints; its error codes become messages.

#include <stddef.h>

enum {
    CGIF_OK = 0,
    CGIF_ERROR = -1,          // giflib refused or the data ran out: the message says why
    CGIF_OUT_OF_MEMORY = -2,
    CGIF_BAD_ARGUMENT = -3,   // caller bug: wrong buffer size
};

typedef struct cgif_decoder cgif_decoder;

// Reads the screen descriptor from `data` (kept borrowed until destroy).
// Returns NULL only when out of memory; check cgif_status.
cgif_decoder *cgif_open(const unsigned char *data, size_t size);
void cgif_destroy(cgif_decoder *decoder);
int cgif_status(const cgif_decoder *decoder);

// The logical screen size, the canvas the first frame is drawn on.
void cgif_size(const cgif_decoder *decoder, int *width, int *height);

// Draws the first frame into (height, width, 4) RGBA; pixels outside the
// frame or transparent are alpha 0.
int cgif_read_first_frame(cgif_decoder *decoder, unsigned char *pixels, size_t size);

const char *cgif_message(const cgif_decoder *decoder);

#endif
