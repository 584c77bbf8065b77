#include "cjpeg_error.h"

#include <string.h>
#include <jerror.h>

static void format_into(j_common_ptr cinfo, char *destination) {
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    strncpy(destination, buffer, CJPEG_MESSAGE_CAPACITY - 1);
    destination[CJPEG_MESSAGE_CAPACITY - 1] = '\0';
}

// Fatal error: keep the message and unwind to the caller's setjmp. libjpeg's
// default would print and exit() the whole process.
static void error_exit(j_common_ptr cinfo) {
    cjpeg_error_manager *manager = (cjpeg_error_manager *)cinfo->err;
    format_into(cinfo, manager->message);
    switch (cinfo->err->msg_code) {
    // Over max_memory_to_use: libjpeg would need a temporary file, which
    // this build does not have.
    case JERR_NO_BACKING_STORE: manager->status = CJPEG_OVER_MEMORY; break;
    case JERR_OUT_OF_MEMORY: manager->status = CJPEG_OUT_OF_MEMORY; break;
    default: manager->status = CJPEG_ERROR; break;
    }
    longjmp(manager->jump, 1);
}

void cjpeg_error_abort(j_common_ptr cinfo, int status, const char *message) {
    cjpeg_error_manager *manager = (cjpeg_error_manager *)cinfo->err;
    strncpy(manager->message, message, CJPEG_MESSAGE_CAPACITY - 1);
    manager->message[CJPEG_MESSAGE_CAPACITY - 1] = '\0';
    manager->status = status;
    longjmp(manager->jump, 1);
}

// JWRN_EXTRANEOUS_DATA before EOI: libjpeg skipped `discarded` bytes between
// the end of the last scan and the EOI marker. Zero (or 0xFF) fill there is
// padding some cameras and editors write, and the image is complete. Any
// other byte is entropy-coded data the decoder never used: it lost sync
// (a flipped bit changed a code's length), so the blocks it produced after
// that point are garbage.
static int skipped_bytes_are_padding(const cjpeg_error_manager *manager, const struct jpeg_source_mgr *src,
                                     long discarded) {
    if (!manager->data || !src || discarded <= 0) return 1;
    const unsigned char *start = manager->data, *end = manager->data + manager->size;
    // libjpeg syncs the source after each skipped byte, so it points just
    // past the last one (the marker's 0xFF and any fill are not counted).
    const unsigned char *p = src->next_input_byte;
    if (p - start < discarded || p > end) return 0;
    for (long i = 1; i <= discarded; i++) {
        if (p[-i] != 0x00 && p[-i] != 0xFF) return 0;
    }
    return 1;
}

// Warnings (level -1) are recorded, never printed; trace messages are dropped.
static void emit_message(j_common_ptr cinfo, int msg_level) {
    cjpeg_error_manager *manager = (cjpeg_error_manager *)cinfo->err;
    if (msg_level >= 0) return;
    cinfo->err->num_warnings++;
    if (cinfo->err->msg_code == JWRN_EXTRANEOUS_DATA && cinfo->err->msg_parm.i[1] == JPEG_EOI &&
        cinfo->is_decompressor &&
        skipped_bytes_are_padding(manager, ((j_decompress_ptr)cinfo)->src, cinfo->err->msg_parm.i[0]))
        return;
    if (manager->warning == CJPEG_WARNING_NONE) format_into(cinfo, manager->warning_message);
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        manager->warning = CJPEG_WARNING_TRUNCATED;
    } else if (manager->warning == CJPEG_WARNING_NONE) {
        manager->warning = CJPEG_WARNING_CORRUPT_DATA;
    }
}

// Never write to stderr, whoever calls this.
static void output_message(j_common_ptr cinfo) { (void)cinfo; }

struct jpeg_error_mgr *cjpeg_error_manager_init(cjpeg_error_manager *manager) {
    struct jpeg_error_mgr *base = jpeg_std_error(&manager->base);
    base->error_exit = error_exit;
    base->emit_message = emit_message;
    base->output_message = output_message;
    manager->message[0] = '\0';
    manager->status = CJPEG_ERROR;
    manager->data = NULL;
    manager->size = 0;
    manager->warning = CJPEG_WARNING_NONE;
    manager->warning_message[0] = '\0';
    return base;
}
