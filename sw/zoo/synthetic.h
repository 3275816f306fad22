/* Seeded synthetic LLM-like tensors for the model zoo (sw/models.h): weights with a Gaussian bulk,
 * per-output- and per-input-channel scale spread and a sparse heavy-tailed outlier population,
 * and calibration activations with a few large outlier channels. Every tensor draws from its own
 * stream seeded by (seed, tensor name), so the same seed gives the same bytes whatever else is
 * generated. Parameters and their provenance: docs/formats.md "Synthetic weights". */
#ifndef MXF_SYNTHETIC_H
#define MXF_SYNTHETIC_H

#include <stdint.h>

#include "err.h"

typedef struct mxf_synth_params {
    double std;          /* bulk standard deviation (0.02) */
    double row_sigma;    /* lognormal sigma of the per-output-channel scale (0.25) */
    double col_sigma;    /* lognormal sigma of the per-input-channel scale (0.10) */
    double outlier_frac; /* fraction of weights drawn from the heavy tail (0.002) */
    int outlier_df;      /* Student-t degrees of freedom of the tail (3) */
    double outlier_gain; /* tail scale relative to the local std (6) */
    /* activations */
    double act_outlier_frac; /* fraction of input channels that are outlier channels (0.005) */
    double act_outlier_gain; /* their magnitude relative to the other channels (20) */
    double act_token_sigma;  /* lognormal sigma of the per-token scale (0.3) */
    int act_rank;            /* shared factors per token: activations are correlated across
                                channels through a rank-act_rank mixing (16); 0 = independent */
    double act_shared;       /* fraction of each channel's variance from those factors (0.7) */
} mxf_synth_params;

void mxf_synth_default_params(mxf_synth_params *p);
int mxf_synth_check_params(const mxf_synth_params *p, mxf_err *err);
/* Stream seed of one named tensor (FNV-1a of the name mixed with seed). */
uint64_t mxf_synth_stream(uint64_t seed, const char *name);
/* W[rows][cols] (out x in). */
int mxf_synth_weights(const mxf_synth_params *p, uint64_t seed, const char *name, int64_t rows,
                      int64_t cols, float *W, mxf_err *err);
/* X[tokens][cols] calibration activations for a layer whose input is `name`. */
int mxf_synth_acts(const mxf_synth_params *p, uint64_t seed, const char *name, int64_t tokens,
                   int64_t cols, float *X, mxf_err *err);
/* Another token sample of the same layer input: the same channel profile (outlier channels and
 * per-channel gains, as in a real model), tokens from an independent stream. Sample 0 is
 * mxf_synth_acts. Used to calibrate on one sample and evaluate on another. */
int mxf_synth_acts_sample(const mxf_synth_params *p, uint64_t seed, const char *name,
                          uint64_t sample, int64_t tokens, int64_t cols, float *X, mxf_err *err);

#endif
