#include "ctiff_shim.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

struct ctiff_decoder {
    const unsigned char *data;
    size_t size;
    toff_t position;
    TIFF *tiff;
    int status;
    char message[CTIFF_MESSAGE_CAPACITY];
};

// Memory-backed client procs: read-only, never extends the buffer.
static tmsize_t read_proc(thandle_t handle, void *buffer, tmsize_t count) {
    ctiff_decoder *decoder = (ctiff_decoder *)handle;
    if (count < 0 || decoder->position >= decoder->size) return 0;
    size_t available = decoder->size - (size_t)decoder->position;
    size_t n = (size_t)count < available ? (size_t)count : available;
    memcpy(buffer, decoder->data + decoder->position, n);
    decoder->position += n;
    return (tmsize_t)n;
}

static tmsize_t write_proc(thandle_t handle, void *buffer, tmsize_t count) {
    (void)handle; (void)buffer; (void)count;
    return -1;
}

static toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
    ctiff_decoder *decoder = (ctiff_decoder *)handle;
    toff_t base = whence == SEEK_CUR ? decoder->position : whence == SEEK_END ? decoder->size : 0;
    decoder->position = base + offset;
    return decoder->position;
}

static int close_proc(thandle_t handle) { (void)handle; return 0; }
static toff_t size_proc(thandle_t handle) { return ((ctiff_decoder *)handle)->size; }
static int map_proc(thandle_t handle, void **base, toff_t *size) {
    (void)handle; (void)base; (void)size;
    return 0;
}
static void unmap_proc(thandle_t handle, void *base, toff_t size) { (void)handle; (void)base; (void)size; }

// Keeps the first error; returning 1 tells libtiff it was handled (no stderr).
static int error_handler(TIFF *tiff, void *user_data, const char *module, const char *format, va_list args) {
    (void)tiff; (void)module;
    ctiff_decoder *decoder = (ctiff_decoder *)user_data;
    if (decoder->message[0] == '\0') vsnprintf(decoder->message, sizeof decoder->message, format, args);
    return 1;
}

// Warnings (unknown tags, odd but readable files) are not failures: dropped.
static int warning_handler(TIFF *tiff, void *user_data, const char *module, const char *format, va_list args) {
    (void)tiff; (void)user_data; (void)module; (void)format; (void)args;
    return 1;
}

// Messages from code paths without a handle would reach the process-wide
// handlers, whose default prints: replace them once, for the whole process.
static void silence_global_handlers(void) {
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
}

ctiff_decoder *ctiff_open(const unsigned char *data, size_t size) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, silence_global_handlers);
    ctiff_decoder *decoder = calloc(1, sizeof *decoder);
    if (!decoder) return NULL;
    decoder->data = data;
    decoder->size = size;
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (!options) { free(decoder); return NULL; }
    TIFFOpenOptionsSetErrorHandlerExtR(options, error_handler, decoder);
    TIFFOpenOptionsSetWarningHandlerExtR(options, warning_handler, decoder);
    // "m": no memory mapping (the procs above are the only access path).
    decoder->tiff = TIFFClientOpenExt("memory", "rm", (thandle_t)decoder, read_proc, write_proc, seek_proc,
                                      close_proc, size_proc, map_proc, unmap_proc, options);
    TIFFOpenOptionsFree(options);
    decoder->status = decoder->tiff ? CTIFF_OK : CTIFF_ERROR;
    return decoder;
}

void ctiff_destroy(ctiff_decoder *decoder) {
    if (!decoder) return;
    if (decoder->tiff) TIFFClose(decoder->tiff);
    free(decoder);
}

int ctiff_status(const ctiff_decoder *decoder) { return decoder->status; }

int ctiff_size(ctiff_decoder *decoder, uint32_t *width, uint32_t *height) {
    if (!decoder->tiff) return CTIFF_ERROR;
    if (!TIFFGetField(decoder->tiff, TIFFTAG_IMAGEWIDTH, width) ||
        !TIFFGetField(decoder->tiff, TIFFTAG_IMAGELENGTH, height)) {
        if (decoder->message[0] == '\0') strcpy(decoder->message, "no image width or length tag");
        return CTIFF_ERROR;
    }
    return CTIFF_OK;
}

int ctiff_read_rgba(ctiff_decoder *decoder, unsigned char *pixels, size_t size) {
    uint32_t width = 0, height = 0;
    if (ctiff_size(decoder, &width, &height) != CTIFF_OK) return CTIFF_ERROR;
    if (size != (size_t)width * height * 4) return CTIFF_BAD_ARGUMENT;
    char message[1024] = "";
    if (!TIFFRGBAImageOK(decoder->tiff, message)) {
        snprintf(decoder->message, sizeof decoder->message, "%s", message);
        return CTIFF_ERROR;
    }
    TIFFRGBAImage image;
    if (!TIFFRGBAImageBegin(&image, decoder->tiff, 1, message)) {
        snprintf(decoder->message, sizeof decoder->message, "%s", message);
        return CTIFF_ERROR;
    }
    // Ask for the stored orientation so libtiff flips nothing: the caller
    // applies the Orientation tag, including the transposes libtiff ignores.
    image.req_orientation = image.orientation;
    int ok = TIFFRGBAImageGet(&image, (uint32_t *)pixels, width, height);
    TIFFRGBAImageEnd(&image);
    if (!ok) {
        if (decoder->message[0] == '\0') strcpy(decoder->message, "cannot read the image data");
        return CTIFF_ERROR;
    }
    return CTIFF_OK;
}

const char *ctiff_message(const ctiff_decoder *decoder) { return decoder->message; }
