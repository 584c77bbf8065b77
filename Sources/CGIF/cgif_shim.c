#include "cgif_shim.h"

#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cgif_decoder {
    const unsigned char *data;
    size_t size, position;
    GifFileType *gif;
    int status;
    char message[128];
};

static int read_proc(GifFileType *gif, GifByteType *buffer, int count) {
    cgif_decoder *decoder = (cgif_decoder *)gif->UserData;
    size_t available = decoder->size - decoder->position;
    size_t n = count < 0 ? 0 : (size_t)count < available ? (size_t)count : available;
    memcpy(buffer, decoder->data + decoder->position, n);
    decoder->position += n;
    return (int)n;
}

static int fail(cgif_decoder *decoder, int code) {
    const char *text = GifErrorString(code);
    snprintf(decoder->message, sizeof decoder->message, "%s", text ? text : "unknown giflib error");
    decoder->status = code == D_GIF_ERR_NOT_ENOUGH_MEM ? CGIF_OUT_OF_MEMORY : CGIF_ERROR;
    return decoder->status;
}

cgif_decoder *cgif_open(const unsigned char *data, size_t size) {
    cgif_decoder *decoder = calloc(1, sizeof *decoder);
    if (!decoder) return NULL;
    decoder->data = data;
    decoder->size = size;
    int error = 0;
    decoder->gif = DGifOpen(decoder, read_proc, &error);
    if (!decoder->gif) fail(decoder, error);
    return decoder;
}

void cgif_destroy(cgif_decoder *decoder) {
    if (!decoder) return;
    if (decoder->gif) DGifCloseFile(decoder->gif, NULL);
    free(decoder);
}

int cgif_status(const cgif_decoder *decoder) { return decoder->status; }

void cgif_size(const cgif_decoder *decoder, int *width, int *height) {
    *width = decoder->gif ? decoder->gif->SWidth : 0;
    *height = decoder->gif ? decoder->gif->SHeight : 0;
}

// The transparent index from a Graphic Control Extension, or -1.
static int transparent_index(GifByteType *block) {
    return block[0] >= 4 && (block[1] & 0x01) ? block[4] : -1;
}

int cgif_read_first_frame(cgif_decoder *decoder, unsigned char *pixels, size_t size) {
    GifFileType *gif = decoder->gif;
    if (!gif) return CGIF_ERROR;
    if (size != (size_t)gif->SWidth * gif->SHeight * 4) return CGIF_BAD_ARGUMENT;
    memset(pixels, 0, size);
    int transparent = -1;
    GifRecordType record;
    do {
        if (DGifGetRecordType(gif, &record) == GIF_ERROR) return fail(decoder, gif->Error);
        if (record == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *block = NULL;
            if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) return fail(decoder, gif->Error);
            if (code == GRAPHICS_EXT_FUNC_CODE && block) transparent = transparent_index(block);
            while (block) {
                if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) return fail(decoder, gif->Error);
            }
        } else if (record == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif) == GIF_ERROR) return fail(decoder, gif->Error);
            GifImageDesc *frame = &gif->Image;
            ColorMapObject *map = frame->ColorMap ? frame->ColorMap : gif->SColorMap;
            if (!map) { strcpy(decoder->message, "no colour map"); return decoder->status = CGIF_ERROR; }
            if (frame->Width <= 0 || frame->Height <= 0) {
                strcpy(decoder->message, "empty first frame");
                return decoder->status = CGIF_ERROR;
            }
            GifPixelType *line = malloc((size_t)frame->Width);
            if (!line) return decoder->status = CGIF_OUT_OF_MEMORY;
            // Interlaced frames store rows in four passes.
            static const int starts[] = {0, 4, 2, 1}, steps[] = {8, 8, 4, 2};
            int passes = frame->Interlace ? 4 : 1;
            for (int pass = 0; pass < passes; pass++) {
                int start = frame->Interlace ? starts[pass] : 0, step = frame->Interlace ? steps[pass] : 1;
                for (int row = start; row < frame->Height; row += step) {
                    if (DGifGetLine(gif, line, frame->Width) == GIF_ERROR) {
                        free(line);
                        return fail(decoder, gif->Error);
                    }
                    int y = frame->Top + row;
                    if (y < 0 || y >= gif->SHeight) continue;
                    for (int column = 0; column < frame->Width; column++) {
                        int x = frame->Left + column, index = line[column];
                        if (x < 0 || x >= gif->SWidth || index == transparent || index >= map->ColorCount) continue;
                        unsigned char *p = pixels + ((size_t)y * gif->SWidth + x) * 4;
                        p[0] = map->Colors[index].Red;
                        p[1] = map->Colors[index].Green;
                        p[2] = map->Colors[index].Blue;
                        p[3] = 255;
                    }
                }
            }
            free(line);
            return CGIF_OK;
        }
    } while (record != TERMINATE_RECORD_TYPE);
    strcpy(decoder->message, "no image in the file");
    return decoder->status = CGIF_ERROR;
}

const char *cgif_message(const cgif_decoder *decoder) { return decoder->message; }
