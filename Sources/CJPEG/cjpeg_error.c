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
    longjmp(manager->jump, 1);
}

// Warnings (level -1) are recorded, never printed; trace messages are dropped.
static void emit_message(j_common_ptr cinfo, int msg_level) {
    cjpeg_error_manager *manager = (cjpeg_error_manager *)cinfo->err;
    if (msg_level >= 0) return;
    cinfo->err->num_warnings++;
    // Padding between the last scan and EOI (written by some cameras and
    // editors) leaves the image complete: not worth failing a photo for.
    if (cinfo->err->msg_code == JWRN_EXTRANEOUS_DATA && cinfo->err->msg_parm.i[1] == JPEG_EOI) return;
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
    manager->warning = CJPEG_WARNING_NONE;
    manager->warning_message[0] = '\0';
    return base;
}
