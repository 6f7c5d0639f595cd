/* The stateful fuzz targets' input reader: each op of the little program an input is
 * takes a few bytes, big-endian, zeros past the end (so every input is a whole program). */
#ifndef MWX_FUZZ_INPUT_H
#define MWX_FUZZ_INPUT_H

#include <stdint.h>

typedef struct rd {
    const uint8_t *p, *e;
} rd_t;

static inline uint64_t take(rd_t *r, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | (r->p < r->e ? *r->p++ : 0);
    return v;
}

#endif
