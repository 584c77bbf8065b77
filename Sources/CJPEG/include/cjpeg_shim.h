#ifndef CJPEG_SHIM_H
#define CJPEG_SHIM_H
// Placeholder until the decoder lands.
int cjpeg_shim_version(void);
#endif
