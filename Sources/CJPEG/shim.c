int cjpeg_shim_version(void) { return 1; }
