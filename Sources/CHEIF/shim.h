// libheif returns a struct heif_error from every call and never prints. In
// Debian 12 its HEVC (libde265) and AV1 (dav1d, aom) decoders are built in.
#include <libheif/heif.h>
