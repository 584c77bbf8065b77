#ifndef CHEIF_LIBRARY_H
#define CHEIF_LIBRARY_H
// libheif, opened with dlopen the first time a HEIF or AVIF photo is decoded:
// linked in, it and its HEVC and AV1 decoders (libde265, dav1d, aom, x265)
// cost every photoq start about 4 ms, and most searches decode nothing.
// libheif returns a struct heif_error from every call and never prints. In
// Debian 12 its HEVC (libde265) and AV1 (dav1d, aom) decoders are built in.
#include <libheif/heif.h>
#include <stddef.h>

// The libheif calls photoq makes; each becomes a field of cheif_library.
#define CHEIF_FUNCTIONS(X) \
    X(heif_init) \
    X(heif_context_alloc) \
    X(heif_context_free) \
    X(heif_context_set_maximum_image_size_limit) \
    X(heif_context_read_from_memory_without_copy) \
    X(heif_context_get_primary_image_handle) \
    X(heif_image_handle_release) \
    X(heif_image_handle_get_width) \
    X(heif_image_handle_get_height) \
    X(heif_image_handle_has_alpha_channel) \
    X(heif_image_handle_get_number_of_thumbnails) \
    X(heif_image_handle_get_list_of_thumbnail_IDs) \
    X(heif_image_handle_get_thumbnail) \
    X(heif_image_handle_get_list_of_metadata_block_IDs) \
    X(heif_image_handle_get_metadata_size) \
    X(heif_image_handle_get_metadata) \
    X(heif_decoding_options_alloc) \
    X(heif_decoding_options_free) \
    X(heif_decode_image) \
    X(heif_image_release) \
    X(heif_image_get_chroma_format) \
    X(heif_image_get_plane_readonly) \
    X(heif_image_get_width) \
    X(heif_image_get_height) \
    X(heif_image_is_premultiplied_alpha)

#define CHEIF_FIELD(name) __typeof__(name) *name;
typedef struct cheif_library {
    CHEIF_FUNCTIONS(CHEIF_FIELD)
} cheif_library;
#undef CHEIF_FIELD

// The soname of the libheif the headers describe (Debian's libheif1).
#define CHEIF_SONAME "libheif.so.1"

// Opens `soname` and resolves every function into `library`: 1, or 0 with
// the reason in `why` (no heif_init; cheif_open does that once).
int cheif_load(const char *soname, cheif_library *library, char *why, size_t size);

// The opened library with every function resolved and heif_init done, or
// NULL with a message saying what is missing. Safe to call from any thread;
// the work is done once.
const cheif_library *cheif_open(const char **error);

#endif
