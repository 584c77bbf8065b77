#include <stdlib.h>
#include <string.h>

#include "cjpeg_error.h"

void cjpeg_free(void *pointer) { free(pointer); }

int cjpeg_encode(const unsigned char *pixels, int width, int height, int kind, int quality,
                 unsigned char **output, unsigned long *output_size, char *message) {
    if (!pixels || !output || !output_size || !message || width <= 0 || height <= 0 ||
        quality < 1 || quality > 100 || kind < CJPEG_ENCODE_RGB || kind > CJPEG_ENCODE_YCCK)
        return CJPEG_BAD_ARGUMENT;
    const int components = kind == CJPEG_ENCODE_RGB ? 3 : 4;
    struct jpeg_compress_struct cinfo;
    cjpeg_error_manager errors;
    memset(&cinfo, 0, sizeof cinfo);   // so destroy is safe if create itself fails
    // jpeg_mem_dest grows this buffer with malloc; volatile so the error path frees it.
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    cinfo.err = cjpeg_error_manager_init(&errors);
    message[0] = '\0';
    if (setjmp(errors.jump)) {
        strcpy(message, errors.message);
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return CJPEG_ERROR;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, &buffer_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);   // CMYK input: stored as CMYK with an Adobe marker
    if (kind == CJPEG_ENCODE_YCCK) jpeg_set_colorspace(&cinfo, JCS_YCCK);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    const size_t stride = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        // libjpeg's row type is non-const but compression only reads it.
        JSAMPROW row = (JSAMPROW)(pixels + cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *output = buffer;
    *output_size = buffer_size;
    return CJPEG_OK;
}
