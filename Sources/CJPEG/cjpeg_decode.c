#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cjpeg_error.h"

// libjpeg calls the progress monitor after every MCU row of input and
// output and between scans, so limits are checked often enough to stop a
// hostile file within milliseconds.
typedef struct {
    struct jpeg_progress_mgr base;   // first, so cinfo->progress casts to this
    cjpeg_limits limits;
    double cpu_at_start;
} cjpeg_progress;

struct cjpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_manager errors;
    cjpeg_progress progress;
    int has_header;
    int started;
    int cmyk;        // decoding as CMYK and converting here
};

static double thread_cpu_seconds(void) {
    struct timespec now;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0) return 0;
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void cjpeg_flag_raise(int *flag) { __atomic_store_n(flag, 1, __ATOMIC_RELEASE); }

int cjpeg_flag_is_raised(const int *flag) { return __atomic_load_n(flag, __ATOMIC_ACQUIRE); }

static void check_limits(j_common_ptr common) {
    j_decompress_ptr cinfo = (j_decompress_ptr)common;
    cjpeg_progress *progress = (cjpeg_progress *)cinfo->progress;
    const cjpeg_limits *limits = &progress->limits;
    char message[CJPEG_MESSAGE_CAPACITY];
    if (limits->cancel && cjpeg_flag_is_raised(limits->cancel))
        cjpeg_error_abort(common, CJPEG_CANCELLED, "decode cancelled");
    if (limits->max_scans > 0 && cinfo->input_scan_number > limits->max_scans) {
        snprintf(message, sizeof message, "more than %d scans (a real photo has about 10)", limits->max_scans);
        cjpeg_error_abort(common, CJPEG_TOO_MANY_SCANS, message);
    }
    if (limits->max_cpu_seconds > 0) {
        double used = thread_cpu_seconds() - progress->cpu_at_start;
        if (used > limits->max_cpu_seconds) {
            snprintf(message, sizeof message, "decoding took more than %.1f s of CPU time", limits->max_cpu_seconds);
            cjpeg_error_abort(common, CJPEG_TOO_SLOW, message);
        }
    }
}

int cjpeg_decoder_set_limits(cjpeg_decoder *decoder, const cjpeg_limits *limits) {
    if (!decoder || !limits || decoder->has_header) return CJPEG_BAD_ARGUMENT;
    decoder->progress.limits = *limits;
    decoder->progress.base.progress_monitor = check_limits;
    decoder->progress.cpu_at_start = thread_cpu_seconds();
    decoder->cinfo.progress = &decoder->progress.base;
    // With a limit libjpeg refuses (JERR_NO_BACKING_STORE) rather than
    // allocating whole-image buffers beyond it.
    if (limits->max_memory > 0) decoder->cinfo.mem->max_memory_to_use = limits->max_memory;
    return CJPEG_OK;
}

cjpeg_decoder *cjpeg_decoder_create(void) {
    cjpeg_decoder *decoder = calloc(1, sizeof(cjpeg_decoder));
    if (!decoder) return NULL;
    decoder->cinfo.err = cjpeg_error_manager_init(&decoder->errors);
    if (setjmp(decoder->errors.jump)) {
        jpeg_destroy_decompress(&decoder->cinfo);
        free(decoder);
        return NULL;
    }
    jpeg_create_decompress(&decoder->cinfo);
    return decoder;
}

void cjpeg_decoder_destroy(cjpeg_decoder *decoder) {
    if (!decoder) return;
    jpeg_destroy_decompress(&decoder->cinfo);
    free(decoder);
}

static int color_space_code(J_COLOR_SPACE space) {
    switch (space) {
    case JCS_GRAYSCALE: return CJPEG_CS_GRAY;
    case JCS_RGB: return CJPEG_CS_RGB;
    case JCS_YCbCr: return CJPEG_CS_YCBCR;
    case JCS_CMYK: return CJPEG_CS_CMYK;
    case JCS_YCCK: return CJPEG_CS_YCCK;
    default: return CJPEG_CS_UNKNOWN;
    }
}

int cjpeg_decoder_read_header(cjpeg_decoder *decoder, const unsigned char *data, size_t size,
                              cjpeg_header *header) {
    if (!decoder || !data || !header || decoder->has_header) return CJPEG_BAD_ARGUMENT;
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    if (setjmp(decoder->errors.jump)) return decoder->errors.status;
    decoder->errors.data = data;
    decoder->errors.size = size;
    jpeg_mem_src(cinfo, data, (unsigned long)size);
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(cinfo, TRUE);
    decoder->has_header = 1;
    header->width = (int)cinfo->image_width;
    header->height = (int)cinfo->image_height;
    header->components = cinfo->num_components;
    header->color_space = color_space_code(cinfo->jpeg_color_space);
    header->progressive = cinfo->progressive_mode ? 1 : 0;
    // jpeg_read_header has run libjpeg's initial_setup: the block counts and
    // sampling factors below are the ones its buffers will be sized from.
    const int buffered = cinfo->progressive_mode || cinfo->comps_in_scan < cinfo->num_components;
    size_t coefficients = 0, rows = 0;
    for (int i = 0; i < cinfo->num_components; i++) {
        const jpeg_component_info *c = &cinfo->comp_info[i];
        size_t h = (size_t)c->h_samp_factor, v = (size_t)c->v_samp_factor;
        size_t wide = ((size_t)c->width_in_blocks + h - 1) / h * h;
        size_t high = ((size_t)c->height_in_blocks + v - 1) / v * v;
        coefficients += wide * high * sizeof(JBLOCK);
        rows += wide * DCTSIZE * v * DCTSIZE * 2;   // sample rows (context rows double them)
    }
    header->coefficient_bytes = buffered ? coefficients : 0;
    header->row_bytes = rows;
    return CJPEG_OK;
}

size_t cjpeg_decoder_exif(const cjpeg_decoder *decoder, const unsigned char **payload) {
    static const unsigned char signature[6] = {'E', 'x', 'i', 'f', 0, 0};
    if (!decoder || !payload || !decoder->has_header) return 0;
    for (jpeg_saved_marker_ptr m = decoder->cinfo.marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= sizeof signature &&
            memcmp(m->data, signature, sizeof signature) == 0) {
            *payload = m->data;
            return m->data_length;
        }
    }
    return 0;
}

// RGB for everything libjpeg-turbo can convert; CMYK/YCCK come out as CMYK and
// are converted row by row in read_rgb.
static void configure_output(cjpeg_decoder *decoder, int scale_num, int scale_denom) {
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    J_COLOR_SPACE source = cinfo->jpeg_color_space;
    decoder->cmyk = (source == JCS_CMYK || source == JCS_YCCK);
    cinfo->out_color_space = decoder->cmyk ? JCS_CMYK : JCS_RGB;
    cinfo->scale_num = (unsigned int)scale_num;
    cinfo->scale_denom = (unsigned int)scale_denom;
}

static int valid_scale(int scale_num, int scale_denom) {
    return scale_num >= 1 && scale_num <= 16 && scale_denom >= 1 && scale_denom <= 16;
}

int cjpeg_decoder_scaled_size(cjpeg_decoder *decoder, int scale_num, int scale_denom,
                              int *width, int *height) {
    if (!decoder || !decoder->has_header || decoder->started || !width || !height ||
        !valid_scale(scale_num, scale_denom))
        return CJPEG_BAD_ARGUMENT;
    if (setjmp(decoder->errors.jump)) return decoder->errors.status;
    configure_output(decoder, scale_num, scale_denom);
    jpeg_calc_output_dimensions(&decoder->cinfo);
    *width = (int)decoder->cinfo.output_width;
    *height = (int)decoder->cinfo.output_height;
    return CJPEG_OK;
}

int cjpeg_decoder_start(cjpeg_decoder *decoder, int scale_num, int scale_denom,
                        int *width, int *height) {
    if (!decoder || !decoder->has_header || decoder->started || !width || !height ||
        !valid_scale(scale_num, scale_denom))
        return CJPEG_BAD_ARGUMENT;
    if (setjmp(decoder->errors.jump)) return decoder->errors.status;
    configure_output(decoder, scale_num, scale_denom);
    jpeg_start_decompress(&decoder->cinfo);
    decoder->started = 1;
    *width = (int)decoder->cinfo.output_width;
    *height = (int)decoder->cinfo.output_height;
    return CJPEG_OK;
}

// Adobe applications write CMYK inverted (0 = full ink) and libjpeg marks that
// with the APP14 marker; plain CMYK stores ink amounts directly.
static void cmyk_row_to_rgb(const unsigned char *cmyk, unsigned char *rgb, size_t width,
                            int inverted) {
    for (size_t x = 0; x < width; x++, cmyk += 4, rgb += 3) {
        unsigned c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        // Here c,m,y,k are "paper left" amounts: channel = (1-ink)(1-black).
        rgb[0] = (unsigned char)((c * k + 127) / 255);
        rgb[1] = (unsigned char)((m * k + 127) / 255);
        rgb[2] = (unsigned char)((y * k + 127) / 255);
    }
}

int cjpeg_decoder_read_rgb(cjpeg_decoder *decoder, unsigned char *pixels, size_t size) {
    if (!decoder || !decoder->started || !pixels) return CJPEG_BAD_ARGUMENT;
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    const size_t width = cinfo->output_width, height = cinfo->output_height;
    const size_t stride = width * 3;
    if (size != stride * height) return CJPEG_BAD_ARGUMENT;
    // Declared before setjmp and volatile so the cleanup path sees its value.
    unsigned char *volatile cmyk_rows = NULL;
    if (setjmp(decoder->errors.jump)) {
        free(cmyk_rows);
        return decoder->errors.status;
    }
    enum { BATCH = 16 };   // rows per jpeg_read_scanlines call (>= rec_outbuf_height)
    JSAMPROW rows[BATCH];
    if (decoder->cmyk) {
        cmyk_rows = malloc(width * 4 * BATCH);
        if (!cmyk_rows) return CJPEG_OUT_OF_MEMORY;
    }
    const int inverted = cinfo->saw_Adobe_marker;
    while (cinfo->output_scanline < height) {
        size_t first = cinfo->output_scanline;
        size_t count = height - first < BATCH ? height - first : BATCH;
        for (size_t i = 0; i < count; i++)
            rows[i] = decoder->cmyk ? cmyk_rows + i * width * 4 : pixels + (first + i) * stride;
        JDIMENSION read = jpeg_read_scanlines(cinfo, rows, (JDIMENSION)count);
        if (decoder->cmyk)
            for (size_t i = 0; i < read; i++)
                cmyk_row_to_rgb(rows[i], pixels + (first + i) * stride, width, inverted);
    }
    free(cmyk_rows);
    cmyk_rows = NULL;
    jpeg_finish_decompress(cinfo);
    return CJPEG_OK;
}

const char *cjpeg_decoder_error_message(const cjpeg_decoder *decoder) {
    return decoder ? decoder->errors.message : "";
}

int cjpeg_decoder_warning(const cjpeg_decoder *decoder) {
    return decoder ? decoder->errors.warning : CJPEG_WARNING_NONE;
}

const char *cjpeg_decoder_warning_message(const cjpeg_decoder *decoder) {
    return decoder ? decoder->errors.warning_message : "";
}
