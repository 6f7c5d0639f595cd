/* xoshiro256** + splitmix64 seeding, Gaussian and Poisson samplers (see rng.h). */
#include "sim/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t mwxi_rng_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void mwxi_rng_seed(mwx_rng_t *r, uint64_t seed, const char *stream)
{
    /* Mix the seed and the stream hash through splitmix64 so that nearby seeds and ids
     * give unrelated streams; xoshiro must not start from all zeros (splitmix64 output
     * of four consecutive states never is). */
    uint64_t x = seed;
    uint64_t h = splitmix64(&x) ^ mwxi_rng_hash(stream);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&h);
}

uint64_t mwxi_rng_next(mwx_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double mwxi_rng_uniform(mwx_rng_t *r)
{
    return (double)(mwxi_rng_next(r) >> 11) * 0x1.0p-53;
}

double mwxi_rng_gauss(mwx_rng_t *r)
{
    /* 1 - u lies in (0, 1], so the log is finite. */
    double u1 = 1.0 - mwxi_rng_uniform(r);
    double u2 = mwxi_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

unsigned mwxi_rng_poisson(mwx_rng_t *r, double lambda)
{
    unsigned n = 0;
    if (!(lambda > 0))
        return 0;
    if (lambda > 1000)
        lambda = 1000;
    /* A sum of independent Poissons is Poisson: draw in chunks of at most 16. */
    while (lambda > 0) {
        double l = lambda > 16 ? 16 : lambda;
        double limit = exp(-l), p = 1.0;
        lambda -= l;
        for (;;) {
            p *= mwxi_rng_uniform(r);
            if (p <= limit)
                break;
            n++;
        }
    }
    return n;
}
