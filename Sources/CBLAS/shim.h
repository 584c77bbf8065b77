// OpenBLAS's CBLAS interface. Debian installs it under the multiarch include
// directory, which clang searches by default.
#include <cblas.h>
