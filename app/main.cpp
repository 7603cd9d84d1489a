// geoplatform: see docs/architecture.md. Everything happens in app/cli.cpp.
#include "app/cli.hpp"

#ifdef GP_WITH_JEMALLOC
// jemalloc's options, read at its start (MALLOC_CONF in the environment still applies on top).
// By default jemalloc serves allocations of 8 MiB and more from an arena that hands their pages
// back to the system at once. GDAL's COG writer allocates and frees such buffers over and over,
// so every reuse paid a page fault per page: a raster request took 1.3x the time it takes with
// glibc's malloc. With one arena for every size it is as fast as with glibc's.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "oversize_threshold:0";
}
#endif

int main(int argc, char** argv) { return gp::app::run_cli(argc, argv); }
