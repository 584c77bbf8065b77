#ifndef CJPEG_SHIM_H
#define CJPEG_SHIM_H
// A small C layer over libjpeg-turbo. It exists because libjpeg reports fatal
// errors by calling error_exit, which must longjmp back to a setjmp in C (Swift
// cannot set one), and because its default handlers exit() and print to stderr.
// Every function returns CJPEG_OK or an error code; the message is kept in the
// handle. Colour conversion to RGB (including CMYK/YCCK) happens here, so Swift
// only ever sees 8-bit interleaved RGB rows.

#include <stddef.h>

enum {
    CJPEG_OK = 0,
    CJPEG_ERROR = -1,          // libjpeg error_exit: the message says why
    CJPEG_OUT_OF_MEMORY = -2,
    CJPEG_BAD_ARGUMENT = -3,   // caller bug: wrong buffer size, call order
    CJPEG_OVER_MEMORY = -4,    // libjpeg needed more than the memory limit
    CJPEG_TOO_MANY_SCANS = -5, // more scans than the scan limit (a CPU bomb)
    CJPEG_TOO_SLOW = -6,       // the decode used more CPU time than its limit
    CJPEG_CANCELLED = -7,      // the cancel flag was raised during the decode
};

// Colour space recorded in the file (after libjpeg's JFIF/Adobe heuristics).
enum {
    CJPEG_CS_UNKNOWN = 0,
    CJPEG_CS_GRAY = 1,
    CJPEG_CS_RGB = 2,
    CJPEG_CS_YCBCR = 3,
    CJPEG_CS_CMYK = 4,
    CJPEG_CS_YCCK = 5,
};

// What libjpeg warned about while reading. Warnings mean the data was damaged
// but libjpeg carried on (grey fill for missing data); callers decide.
enum {
    CJPEG_WARNING_NONE = 0,
    CJPEG_WARNING_TRUNCATED = 1,    // "Premature end of JPEG file"
    CJPEG_WARNING_CORRUPT_DATA = 2, // any other data warning
};

typedef struct {
    int width, height;   // stored size, before any EXIF rotation
    int components;      // components in the file (1 gray, 3 colour, 4 CMYK/YCCK)
    int color_space;     // CJPEG_CS_*
    int progressive;     // 1 for progressive (SOF2) files
    // Bytes of the whole-image coefficient buffer libjpeg keeps for
    // progressive and multi-scan files (0 for single-scan ones, which decode
    // one MCU row at a time): 128 bytes per 8x8 block of every component.
    size_t coefficient_bytes;
    size_t row_bytes;    // one iMCU row of every component at full size (working rows)
} cjpeg_header;

// Limits checked while decoding, between MCU rows and scans (libjpeg's
// progress monitor). Zero means no limit. `cancel` may be NULL; when the
// int it points to becomes non-zero (set with cjpeg_flag_raise from any
// thread) the decode stops with CJPEG_CANCELLED.
typedef struct {
    long max_memory;       // libjpeg's max_memory_to_use, bytes
    int max_scans;         // input scans
    double max_cpu_seconds;// thread CPU time spent in this decoder
    const int *cancel;
} cjpeg_limits;

typedef struct cjpeg_decoder cjpeg_decoder;

// One handle decodes one image; not shared between threads.
cjpeg_decoder *cjpeg_decoder_create(void);
void cjpeg_decoder_destroy(cjpeg_decoder *decoder);

// Installs limits before read_header; they apply to every later call.
int cjpeg_decoder_set_limits(cjpeg_decoder *decoder, const cjpeg_limits *limits);

// A flag for cjpeg_limits.cancel, raised and read atomically.
void cjpeg_flag_raise(int *flag);
int cjpeg_flag_is_raised(const int *flag);

// Reads markers up to the first scan from `data` (kept borrowed until destroy).
// APP1 markers are saved for cjpeg_decoder_exif.
int cjpeg_decoder_read_header(cjpeg_decoder *decoder, const unsigned char *data, size_t size,
                              cjpeg_header *header);

// The first APP1 segment starting with "Exif\0\0" (payload after the marker
// length), or size 0. The pointer lives until destroy.
size_t cjpeg_decoder_exif(const cjpeg_decoder *decoder, const unsigned char **payload);

// Output size when decoding at scale_num/scale_denom (libjpeg-turbo: N/8, N in 1...16).
int cjpeg_decoder_scaled_size(cjpeg_decoder *decoder, int scale_num, int scale_denom,
                              int *width, int *height);

// Starts decompression at the given scale; returns the output size.
int cjpeg_decoder_start(cjpeg_decoder *decoder, int scale_num, int scale_denom,
                        int *width, int *height);

// Decodes every scanline into `pixels` (height, width, 3) RGB; `size` must be
// exactly width*height*3 of the started output.
int cjpeg_decoder_read_rgb(cjpeg_decoder *decoder, unsigned char *pixels, size_t size);

// libjpeg's formatted message for the last error ("" when none).
const char *cjpeg_decoder_error_message(const cjpeg_decoder *decoder);
// The worst warning seen so far and the first warning's message.
// Warnings mean libjpeg lost image data and carried on (grey fill, desynced
// blocks); zero padding before the end-of-image marker is not one.
int cjpeg_decoder_warning(const cjpeg_decoder *decoder);
const char *cjpeg_decoder_warning_message(const cjpeg_decoder *decoder);

// How cjpeg_encode reads its pixels and what it stores.
enum {
    CJPEG_ENCODE_RGB = 0,   // (H, W, 3) RGB, stored as YCbCr (JFIF)
    CJPEG_ENCODE_CMYK = 1,  // (H, W, 4) Adobe-inverted CMYK, stored as CMYK
    CJPEG_ENCODE_YCCK = 2,  // (H, W, 4) Adobe-inverted CMYK, stored as YCCK
};

// Encodes pixel rows to a baseline JPEG in memory. On success *output is
// malloc'd (free with cjpeg_free) and *output_size set. On failure `message`
// (at least CJPEG_MESSAGE_CAPACITY bytes) receives libjpeg's text.
#define CJPEG_MESSAGE_CAPACITY 256
int cjpeg_encode(const unsigned char *pixels, int width, int height, int kind, int quality,
                 unsigned char **output, unsigned long *output_size, char *message);
void cjpeg_free(void *pointer);

#endif
