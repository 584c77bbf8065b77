#include "craw_shim.h"

#include <dlfcn.h>
#include <libraw/libraw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// LibRaw is opened with dlopen on the first raw photo: linked in, it and its
// dependencies (lcms2, jasper, OpenMP) cost every photoq start over a
// millisecond, and most searches decode nothing.
#define CRAW_STRINGIFY(x) #x
#define CRAW_SONAME_OF(n) "libraw_r.so." CRAW_STRINGIFY(n)
#define CRAW_SONAME CRAW_SONAME_OF(LIBRAW_SHLIB_CURRENT)

#define CRAW_FUNCTIONS(X) \
    X(libraw_init) X(libraw_close) X(libraw_open_buffer) X(libraw_strerror) \
    X(libraw_set_memerror_handler) X(libraw_set_dataerror_handler) \
    X(libraw_unpack) X(libraw_unpack_thumb) X(libraw_dcraw_process) \
    X(libraw_dcraw_make_mem_image) X(libraw_dcraw_clear_mem)

#define CRAW_FIELD(name) __typeof__(name) *name;
typedef struct { CRAW_FUNCTIONS(CRAW_FIELD) } craw_library;
#undef CRAW_FIELD
static craw_library libraw;
static int libraw_opened;
static char libraw_missing[256];
static pthread_once_t libraw_once = PTHREAD_ONCE_INIT;

static int load_libraw(const char *soname, craw_library *out, char *why, size_t size) {
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *reason = dlerror();
        snprintf(why, size, "camera raw needs LibRaw (%s): %s", soname, reason ? reason : "not found");
        return 0;
    }
#define CRAW_RESOLVE(name) \
    if (!(out->name = (__typeof__(name) *)dlsym(handle, #name))) { \
        snprintf(why, size, "the LibRaw in %s lacks %s", soname, #name); \
        dlclose(handle); \
        return 0; \
    }
    CRAW_FUNCTIONS(CRAW_RESOLVE)
#undef CRAW_RESOLVE
    return 1;
}

static void open_libraw(void) {
    libraw_opened = load_libraw(CRAW_SONAME, &libraw, libraw_missing, sizeof libraw_missing);
}

int craw_try_load(const char *soname, char *why, size_t size) {
    craw_library probe;
    return load_libraw(soname ? soname : CRAW_SONAME, &probe, why, size);
}

struct craw_decoder {
    libraw_data_t *raw;
    libraw_processed_image_t *image;
    int status;
    int damaged;   // LibRaw reported bad data but carried on
    char message[128];
};

// LibRaw's default callbacks print to stderr; keep the first report instead.
static void memory_error(void *data, const char *file, const char *where) {
    (void)file;
    craw_decoder *decoder = (craw_decoder *)data;
    if (decoder->message[0] == '\0') snprintf(decoder->message, sizeof decoder->message, "out of memory in %s", where);
}

// LibRaw reports a read past the end as offset -1, damage elsewhere by offset.
static void data_error(void *data, const char *file, const int offset) {
    (void)file;
    craw_decoder *decoder = (craw_decoder *)data;
    decoder->damaged = 1;
    if (decoder->message[0] != '\0') return;
    if (offset < 0) snprintf(decoder->message, sizeof decoder->message, "unexpected end of file");
    else snprintf(decoder->message, sizeof decoder->message, "damaged data at offset %d", offset);
}

static int fail(craw_decoder *decoder, int code) {
    if (decoder->message[0] == '\0') snprintf(decoder->message, sizeof decoder->message, "%s", libraw.libraw_strerror(code));
    decoder->status = code == LIBRAW_UNSUFFICIENT_MEMORY ? CRAW_OUT_OF_MEMORY : CRAW_ERROR;
    return decoder->status;
}

craw_decoder *craw_open(const unsigned char *data, size_t size, craw_info *info) {
    memset(info, 0, sizeof *info);
    craw_decoder *decoder = calloc(1, sizeof *decoder);
    if (!decoder) return NULL;
    pthread_once(&libraw_once, open_libraw);
    if (!libraw_opened) {
        snprintf(decoder->message, sizeof decoder->message, "%s", libraw_missing);
        decoder->status = CRAW_UNAVAILABLE;
        return decoder;
    }
    decoder->raw = libraw.libraw_init(0);
    if (!decoder->raw) { free(decoder); return NULL; }
    libraw.libraw_set_memerror_handler(decoder->raw, memory_error, decoder);
    libraw.libraw_set_dataerror_handler(decoder->raw, data_error, decoder);
    int code = libraw.libraw_open_buffer(decoder->raw, (void *)data, size);
    if (code != LIBRAW_SUCCESS) { fail(decoder, code); return decoder; }
    libraw_image_sizes_t *sizes = &decoder->raw->sizes;
    info->raw_width = sizes->raw_width;
    info->raw_height = sizes->raw_height;
    info->width = sizes->width;
    info->height = sizes->height;
    info->flip = sizes->flip;
    info->preview_width = decoder->raw->thumbnail.twidth;
    info->preview_height = decoder->raw->thumbnail.theight;
    return decoder;
}

void craw_destroy(craw_decoder *decoder) {
    if (!decoder) return;
    if (decoder->image) libraw.libraw_dcraw_clear_mem(decoder->image);
    if (decoder->raw) libraw.libraw_close(decoder->raw);
    free(decoder);
}

int craw_status(const craw_decoder *decoder) { return decoder->status; }

int craw_preview_jpeg(craw_decoder *decoder, const unsigned char **jpeg, size_t *size) {
    if (decoder->status != CRAW_OK) return decoder->status;
    if (decoder->raw->thumbnail.tlength == 0 && decoder->raw->thumbnail.twidth == 0) return CRAW_NO_PREVIEW;
    int code = libraw.libraw_unpack_thumb(decoder->raw);
    if (code != LIBRAW_SUCCESS) {
        decoder->message[0] = '\0';   // a bad preview is not a bad raw
        return CRAW_NO_PREVIEW;
    }
    libraw_thumbnail_t *thumbnail = &decoder->raw->thumbnail;
    if (thumbnail->tformat != LIBRAW_THUMBNAIL_JPEG || !thumbnail->thumb || thumbnail->tlength < 4)
        return CRAW_NO_PREVIEW;
    *jpeg = (const unsigned char *)thumbnail->thumb;
    *size = thumbnail->tlength;
    return CRAW_OK;
}

int craw_half_size_rgb(craw_decoder *decoder, const unsigned char **pixels, int *width, int *height) {
    if (decoder->status != CRAW_OK) return decoder->status;
    libraw_data_t *raw = decoder->raw;
    raw->params.half_size = 1;
    raw->params.use_camera_wb = 1;
    raw->params.output_bps = 8;
    raw->params.user_flip = 0;   // the caller rotates, once
    // Exposure as shot: auto-brightening stretches by the histogram, so the
    // same scene would come out brighter or darker depending on its highlights.
    raw->params.no_auto_bright = 1;
    raw->params.gamm[0] = 1 / 2.4;   // the sRGB curve photos are encoded with (LibRaw's default is BT.709's)
    raw->params.gamm[1] = 12.92;
    int code = libraw.libraw_unpack(raw);
    if (code != LIBRAW_SUCCESS) return fail(decoder, code);
    code = libraw.libraw_dcraw_process(raw);
    if (code != LIBRAW_SUCCESS) return fail(decoder, code);
    int error = 0;
    decoder->image = libraw.libraw_dcraw_make_mem_image(raw, &error);
    if (!decoder->image) return fail(decoder, error ? error : LIBRAW_UNSPECIFIED_ERROR);
    // Like photoq's JPEG decoding, a picture LibRaw patched over damage is refused.
    if (decoder->damaged) return decoder->status = CRAW_ERROR;
    libraw_processed_image_t *image = decoder->image;
    if (image->type != LIBRAW_IMAGE_BITMAP || image->colors != 3 || image->bits != 8) {
        snprintf(decoder->message, sizeof decoder->message, "unexpected output (%d colours, %d bits)",
                 image->colors, image->bits);
        return decoder->status = CRAW_ERROR;
    }
    *pixels = image->data;
    *width = image->width;
    *height = image->height;
    return CRAW_OK;
}

const char *craw_message(const craw_decoder *decoder) { return decoder->message; }
