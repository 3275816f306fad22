/* FineQ (DATE 2025, arXiv 2504.19746; only its abstract was available, see docs/sources.md §5)
 * as the reconstruction "FineQ-R1"; decisions in docs/formats.md.
 *
 * Weights are split into clusters of 3 consecutive weights along the reduction dimension K. A
 * cluster is an outlier cluster when max|w| > ratio * min|w|: its smallest weight (first on ties)
 * is zeroed and the other two get 3-bit two's complement codes {-4..3}; otherwise all three get
 * 2-bit codes {-2..1}. Every cluster is one byte (index + data concatenated):
 *   idx = bits[7:6]: 00 normal, q0 = [5:4], q1 = [3:2], q2 = [1:0]
 *                    p+1 (01/10/11) weight p zeroed, slot A = [5:3], slot B = [2:0] hold the two
 *                    surviving weights in K order.
 * One step Delta per group of `group` weights along K (FP16, shared by both grids):
 * Delta = fp16(absmax(group) / 4), so the largest weight reaches the 3-bit range. */
#ifndef MXF_FINEQ_H
#define MXF_FINEQ_H

#include <stdint.h>

#include "err.h"
#include "mx.h"

typedef struct mxf_fineq_params {
    int group;       /* weights per Delta along K, a multiple of 3 (96 = 32 clusters = 32 bytes) */
    double ratio;    /* outlier test threshold T (4) */
    int rescue;      /* 1: a normal cluster also takes the outlier encoding when that has lower
                        squared error (an optional safety extension of ours, default 1) */
    mxf_round round; /* ties away (default) or RNE */
} mxf_fineq_params;

void mxf_fineq_default_params(mxf_fineq_params *p);
int mxf_fineq_check_params(const mxf_fineq_params *p, mxf_err *err);
/* Bits per weight of a row of K weights: 8 bits per 3 (K padded to a multiple of 3) plus 16 per
 * group. */
double mxf_fineq_bits_per_weight(const mxf_fineq_params *p, long K);

/* Encodes one cluster with step delta (> 0). *outlier (optional) tells the path taken. */
uint8_t mxf_fineq_encode_cluster(const mxf_fineq_params *p, const float w[3], double delta,
                                 int *outlier);
/* Integer levels of one cluster byte (the zeroed weight is 0). */
void mxf_fineq_decode_cluster(uint8_t byte, int q[3]);

/* Quantizes one group of n weights (n a multiple of 3, n <= group; the caller pads with 0).
 * Writes the FP16 step and n/3 cluster bytes; returns the number of outlier clusters. A NaN/Inf
 * weight gives step 0x7E00 (NaN) and zero bytes, and returns -1. */
int mxf_fineq_quantize_group(const mxf_fineq_params *p, const float *w, int n, uint16_t *delta16,
                             uint8_t *bytes);
void mxf_fineq_dequant_group(uint16_t delta16, const uint8_t *bytes, int n, float *out);

#endif
