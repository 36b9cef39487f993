#ifndef VIGIL_CCOMPRESSION_H
#define VIGIL_CCOMPRESSION_H
#include <zlib.h>
#include <bzlib.h>

// inflateInit2 is a macro in zlib.h, which Swift cannot call: wrap it.
// 15 + 32 lets zlib detect gzip or zlib headers by itself.
static inline int vigil_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

static inline int vigil_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
