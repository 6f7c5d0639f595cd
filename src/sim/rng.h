/*
 * rng.h -- the simulator's own pseudo-random numbers (internal to src/sim).
 *
 * xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64, so that a run is the
 * same bytes on every platform and libc for a given seed. Each sensor gets its own stream
 * from mwxi_rng_seed(seed, sensor id): adding a sensor never changes another's noise.
 */
#ifndef MWX_SIM_RNG_H
#define MWX_SIM_RNG_H

#include <stdint.h>

typedef struct mwx_rng {
    uint64_t s[4];
} mwx_rng_t;

/* FNV-1a 64-bit hash of a string (stream ids). */
uint64_t mwxi_rng_hash(const char *s);
/* Seed from a run seed and a stream id (e.g. the sensor id). */
void mwxi_rng_seed(mwx_rng_t *r, uint64_t seed, const char *stream);
uint64_t mwxi_rng_next(mwx_rng_t *r);
/* Uniform in [0, 1) with 53 random bits. */
double mwxi_rng_uniform(mwx_rng_t *r);
/* Standard normal N(0, 1) (Box-Muller, both draws consumed for reproducibility). */
double mwxi_rng_gauss(mwx_rng_t *r);
/* Poisson(lambda), lambda in [0, 1000]: Knuth's product method in chunks of 16 so that
 * exp(-lambda) never underflows. Cost O(lambda). */
unsigned mwxi_rng_poisson(mwx_rng_t *r, double lambda);

#endif
