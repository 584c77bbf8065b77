// libwebp returns status codes and never prints; the demuxer reaches the
// first frame of an animation and the EXIF chunk.
#include <webp/decode.h>
#include <webp/demux.h>
