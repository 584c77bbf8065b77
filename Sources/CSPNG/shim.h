// libspng reports every failure as a return code (spng_strerror names it) and
// never prints, so it is used directly from Swift.
#include <spng.h>
