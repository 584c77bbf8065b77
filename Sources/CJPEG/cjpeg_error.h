#ifndef CJPEG_ERROR_H
#define CJPEG_ERROR_H
// The error manager shared by the decoder and encoder: error_exit longjmps to
// the setjmp of the shim function that called libjpeg, and nothing is printed.

#include <setjmp.h>
#include <stdio.h>
#include <jpeglib.h>

#include "cjpeg_shim.h"

typedef struct {
    struct jpeg_error_mgr base;   // first, so a j_common_ptr's err casts to this
    jmp_buf jump;
    char message[CJPEG_MESSAGE_CAPACITY];
    int status;                    // CJPEG_* code the longjmp returns with
    // The compressed bytes (decoder only), to tell padding from lost data.
    const unsigned char *data;
    size_t size;
    int warning;                   // CJPEG_WARNING_*
    char warning_message[CJPEG_MESSAGE_CAPACITY];
} cjpeg_error_manager;

// Installs the silent, longjmp-ing handlers on `manager` and returns its base.
struct jpeg_error_mgr *cjpeg_error_manager_init(cjpeg_error_manager *manager);

// Stops the decode from inside libjpeg (a limit hit): keeps `message` and
// longjmps with `status`.
void cjpeg_error_abort(j_common_ptr cinfo, int status, const char *message);

#endif
