/* Seeded, platform-independent random numbers (xoshiro256** seeded by splitmix64).
 * Same seed -> same sequence on every machine, so every test and synthetic tensor is
 * reproducible from the seed printed in its report. */
#ifndef MXF_RNG_H
#define MXF_RNG_H

#include <stdint.h>

typedef struct mxf_rng {
    uint64_t s[4];
    int has_spare;
    double spare;
} mxf_rng;

void mxf_rng_seed(mxf_rng *r, uint64_t seed);
uint64_t mxf_rng_u64(mxf_rng *r);
/* Uniform integer in [lo, hi] (inclusive), unbiased. */
int64_t mxf_rng_range(mxf_rng *r, int64_t lo, int64_t hi);
/* Uniform double in [0, 1) with 53 random bits. */
double mxf_rng_uniform(mxf_rng *r);
/* Standard normal (Marsaglia polar method; deterministic given the seed). */
double mxf_rng_normal(mxf_rng *r);

#endif
