#include "cheif_library.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static cheif_library library;
static const cheif_library *opened;
static char message[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

int cheif_load(const char *soname, cheif_library *out, char *why, size_t size) {
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *reason = dlerror();
        snprintf(why, size, "HEIF and AVIF need libheif (%s): %s", soname, reason ? reason : "not found");
        return 0;
    }
#define CHEIF_RESOLVE(name) \
    if (!(out->name = (__typeof__(name) *)dlsym(handle, #name))) { \
        snprintf(why, size, "the libheif in %s lacks %s", soname, #name); \
        dlclose(handle); \
        return 0; \
    }
    CHEIF_FUNCTIONS(CHEIF_RESOLVE)
#undef CHEIF_RESOLVE
    return 1;
}

static void open_library(void) {
    if (!cheif_load(CHEIF_SONAME, &library, message, sizeof message)) return;
    // Registering the decoders once, before any thread decodes, keeps
    // concurrent first calls from racing.
    struct heif_error status = library.heif_init(NULL);
    if (status.code != heif_error_Ok) {
        snprintf(message, sizeof message, "libheif failed to initialise: %s",
                 status.message ? status.message : "no reason given");
        return;
    }
    opened = &library;
}

const cheif_library *cheif_open(const char **error) {
    pthread_once(&once, open_library);
    if (!opened && error) *error = message;
    return opened;
}
