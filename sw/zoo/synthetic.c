/* Synthetic weights and activations. See synth.h. */
#include "synthetic.h"

#include <math.h>
#include <stdlib.h>

#include "rng.h"

void mxf_synth_default_params(mxf_synth_params *p)
{
    p->std = 0.02;
    p->row_sigma = 0.25;
    p->col_sigma = 0.10;
    p->outlier_frac = 0.002;
    p->outlier_df = 3;
    p->outlier_gain = 6.0;
    p->act_outlier_frac = 0.005;
    p->act_outlier_gain = 20.0;
    p->act_token_sigma = 0.3;
    p->act_rank = 16;
    p->act_shared = 0.7;
}

int mxf_synth_check_params(const mxf_synth_params *p, mxf_err *err)
{
    if (!(p->std > 0 && p->std < 1e3)) return mxf_fail(err, "synth: std=%g: out of range", p->std);
    if (!(p->row_sigma >= 0 && p->row_sigma <= 3) || !(p->col_sigma >= 0 && p->col_sigma <= 3))
        return mxf_fail(err, "synth: row_sigma/col_sigma: out of range 0..3");
    if (!(p->outlier_frac >= 0 && p->outlier_frac <= 0.5))
        return mxf_fail(err, "synth: outlier_frac=%g: out of range 0..0.5", p->outlier_frac);
    if (p->outlier_df < 1 || p->outlier_df > 100)
        return mxf_fail(err, "synth: outlier_df=%d: out of range 1..100", p->outlier_df);
    if (!(p->outlier_gain >= 0 && p->outlier_gain <= 1e3))
        return mxf_fail(err, "synth: outlier_gain=%g: out of range", p->outlier_gain);
    if (!(p->act_outlier_frac >= 0 && p->act_outlier_frac <= 0.5) ||
        !(p->act_outlier_gain >= 0 && p->act_outlier_gain <= 1e4) ||
        !(p->act_token_sigma >= 0 && p->act_token_sigma <= 3) || p->act_rank < 0 ||
        p->act_rank > 1024 || !(p->act_shared >= 0 && p->act_shared < 1) ||
        (p->act_rank == 0 && p->act_shared > 0))
        return mxf_fail(err, "synth: activation parameters out of range");
    return 0;
}

uint64_t mxf_synth_stream(uint64_t seed, const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        h ^= *s;
        h *= 1099511628211ULL;
    }
    return h ^ (seed * 0x9E3779B97F4A7C15ULL);
}

static double student_t(mxf_rng *r, int df)
{
    double z = mxf_rng_normal(r), chi = 0;
    for (int i = 0; i < df; i++) {
        double g = mxf_rng_normal(r);
        chi += g * g;
    }
    return z / sqrt(chi / df);
}

int mxf_synth_weights(const mxf_synth_params *p, uint64_t seed, const char *name, int64_t rows,
                      int64_t cols, float *W, mxf_err *err)
{
    if (mxf_synth_check_params(p, err)) return -1;
    if (rows < 1 || cols < 1) return mxf_fail(err, "synth %s: empty shape", name);
    mxf_rng r;
    mxf_rng_seed(&r, mxf_synth_stream(seed, name));
    double *cs = malloc(sizeof(double) * (size_t)cols);
    if (!cs) return mxf_fail(err, "synth %s: out of memory", name);
    for (int64_t c = 0; c < cols; c++) cs[c] = exp(p->col_sigma * mxf_rng_normal(&r));
    for (int64_t i = 0; i < rows; i++) {
        double rs = p->std * exp(p->row_sigma * mxf_rng_normal(&r));
        for (int64_t c = 0; c < cols; c++) {
            double s = rs * cs[c];
            double v = s * mxf_rng_normal(&r);
            if (mxf_rng_uniform(&r) < p->outlier_frac)
                v = s * p->outlier_gain * student_t(&r, p->outlier_df);
            W[i * cols + c] = (float)v;
        }
    }
    free(cs);
    return 0;
}

int mxf_synth_acts(const mxf_synth_params *p, uint64_t seed, const char *name, int64_t tokens,
                   int64_t cols, float *X, mxf_err *err)
{
    return mxf_synth_acts_sample(p, seed, name, 0, tokens, cols, X, err);
}

int mxf_synth_acts_sample(const mxf_synth_params *p, uint64_t seed, const char *name,
                          uint64_t sample, int64_t tokens, int64_t cols, float *X, mxf_err *err)
{
    if (mxf_synth_check_params(p, err)) return -1;
    if (tokens < 1 || cols < 1) return mxf_fail(err, "synth %s: empty shape", name);
    mxf_rng r;
    mxf_rng_seed(&r, mxf_synth_stream(seed, name) ^ 0xA5A5A5A5A5A5A5A5ULL);
    double *g = malloc(sizeof(double) * (size_t)cols);
    if (!g) return mxf_fail(err, "synth %s: out of memory", name);
    int64_t nout = (int64_t)ceil(p->act_outlier_frac * (double)cols);
    for (int64_t c = 0; c < cols; c++) g[c] = exp(0.2 * mxf_rng_normal(&r));
    for (int64_t i = 0; i < nout; i++) {
        int64_t c = mxf_rng_range(&r, 0, cols - 1);
        g[c] = p->act_outlier_gain * (1.0 + 0.5 * fabs(mxf_rng_normal(&r)));
    }
    /* Correlated part: a fixed random mixing A (cols x rank, from the channel-profile stream)
     * of per-token factors z, scaled so each channel keeps unit variance before its gain. */
    const int rk = p->act_rank;
    double *A = malloc(sizeof(double) * (size_t)cols * (size_t)(rk ? rk : 1));
    double *z = malloc(sizeof(double) * (size_t)(rk ? rk : 1));
    if (!A || !z) {
        free(g), free(A), free(z);
        return mxf_fail(err, "synth %s: out of memory", name);
    }
    const double a = rk ? sqrt(p->act_shared / rk) : 0, b = sqrt(1 - p->act_shared);
    for (int64_t i = 0; i < cols * rk; i++) A[i] = a * mxf_rng_normal(&r);
    /* Sample 0 continues the channel-profile stream; other samples draw their tokens from a
     * stream of their own. */
    if (sample) mxf_rng_seed(&r, mxf_synth_stream(seed, name) ^ (0x5DEECE66DULL * sample));
    for (int64_t t = 0; t < tokens; t++) {
        double ts = exp(p->act_token_sigma * mxf_rng_normal(&r));
        for (int j = 0; j < rk; j++) z[j] = mxf_rng_normal(&r);
        for (int64_t c = 0; c < cols; c++) {
            double v = b * mxf_rng_normal(&r);
            for (int j = 0; j < rk; j++) v += A[c * rk + j] * z[j];
            X[t * cols + c] = (float)(ts * g[c] * v);
        }
    }
    free(g), free(A), free(z);
    return 0;
}
