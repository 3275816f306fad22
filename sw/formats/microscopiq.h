/* MicroScopiQ weight quantization and packing (paper: Ramachandran, Kundu, Krishna, ISCA'25).
 *
 * Orientation: a linear layer's weight W[N][K] (out x in). A micro-block (uB) is 8 weights with
 * the same input index k and 8 consecutive output channels; a macro-block (MaB) is 128
 * consecutive output channels at one k (16 uBs). Inliers: MX-INT-bb with one power-of-two scale
 * per MaB. Outliers (3-sigma per MaB, at most 4 per uB): pre-scaled MX-FP with one shared
 * exponent per uB, stored as an Upper half in the outlier's own slot and a Lower half in the slot
 * of a pruned inlier of the same uB. Every choice the paper leaves open is in
 * docs/microscopiq-format.md. */
#ifndef MXF_MICROSCOPIQ_H
#define MXF_MICROSCOPIQ_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MXF_MSQ_MAB 128
#define MXF_MSQ_MUB 8
#define MXF_MSQ_NMUB (MXF_MSQ_MAB / MXF_MSQ_MUB)
#define MXF_MSQ_MAX_OUT (MXF_MSQ_MUB / 2)
#define MXF_MSQ_MAX_META (3 + 4 * MXF_MSQ_NMUB) /* metadata bytes of one MaB, at most */

/* Whether the set of (Upper, Lower) slot pairs of one uB can be merged by ReCoN at once.
 * Return 1 if routable. NULL predicate = every placement accepted. */
typedef int (*mxf_msq_route_fn)(void *ctx, int n, const int *upper, const int *lower);

typedef struct mxf_msq_params {
    int bb;            /* slot width: 2 (e1m2 outliers) or 4 (e3m4 outliers) */
    double sigma;      /* outlier threshold in standard deviations (3.0) */
    int max_outliers;  /* per uB, at most MXF_MSQ_MAX_OUT (4); 0 = MX-INT-bb alone */
    int outlier_group; /* weights sharing one outlier exponent: 8 (per uB, the paper's
                          MX-FP_{8,8}) or 128 (per MaB, the ablation's MX-FP_{128,128}) */
    mxf_msq_route_fn routable;
    void *route_ctx;
} mxf_msq_params;

void mxf_msq_default_params(mxf_msq_params *p, int bb);
int mxf_msq_check_params(const mxf_msq_params *p, mxf_err *err);

typedef struct mxf_msq_mub {
    int n_out;                  /* outliers kept in this uB (0..4) */
    int upper[MXF_MSQ_MAX_OUT]; /* slot of each outlier, ascending */
    int lower[MXF_MSQ_MAX_OUT]; /* pruned slot holding that outlier's Lower half */
    int O_sf;                   /* shared outlier exponent (after any saturation) */
    uint8_t mxscale;            /* {L1, uX} byte */
    uint32_t perm;              /* 24-bit permutation list */
} mxf_msq_mub;

typedef struct mxf_msq_mab {
    int I_sf;                  /* inlier exponent; step 2^(I_sf - (bb - 2)) */
    uint8_t code[MXF_MSQ_MAB]; /* bb-bit sign-magnitude slot codes */
    uint16_t bitmap;           /* bit j: uB j has outliers */
    mxf_msq_mub mub[MXF_MSQ_NMUB];
} mxf_msq_mab;

typedef struct mxf_msq_stats {
    int64_t weights;         /* real (unpadded) weights */
    int64_t mabs, mubs;      /* real MaBs and uBs (a uB with any real weight counts) */
    int64_t outlier_mubs;    /* uBs with at least one outlier */
    int64_t outliers;        /* outliers kept */
    int64_t demoted;         /* 3-sigma outliers beyond the per-uB cap, quantized as inliers */
    int64_t rerouted;        /* uBs whose placement differs from the naive one for routing */
    int64_t scale_saturated; /* uBs whose outlier exponent did not fit the MXScale field */
    int64_t scale_moved;     /* MaBs whose inlier exponent was moved off floor(log2 max|inlier|)
                                so that every outlier uB's L1 fits (docs/microscopiq-format.md) */
} mxf_msq_stats;

/* The outlier decision of one MaB (docs/microscopiq-format.md): x[0..127] (zero beyond n_valid),
 * is_out[i] = 1 for the outliers kept (x != 0 and |x - mean| > sigma * sd over the n_valid real
 * weights, at most max_outliers per uB: the largest |x| stay), in_scale[i] = 1 for the weights
 * the inlier scale covers (real weights that were not flagged; with max_outliers = 0 every real
 * weight). *demoted (optional) = flagged weights beyond the per-uB cap. */
void mxf_msq_select_outliers(const mxf_msq_params *p, const double *x, int n_valid,
                             unsigned char *is_out, unsigned char *in_scale, int *demoted);
/* The window [I_lo, I_hi] of inlier exponents for which every outlier uB's
 * L1 = E + I_sf - uX fits its field (7 bits for bb = 2, 5 for bb = 4), given the smallest and
 * largest outlier exponent E of the MaB. Returns 1 when it is not empty. */
int mxf_msq_l1_window(int bb, int E_min, int E_max, int *I_lo, int *I_hi);
/* The inlier exponent of a MaB: floor(log2 maxin) (-127 for maxin = 0) clamped into the L1
 * window of its n_out_ub outlier uBs (an empty window: its lower end), then to [-127, 127]. */
int mxf_msq_choose_isf(int bb, double maxin, int n_out_ub, int E_min, int E_max);

/* Quantizes one MaB: w[0..n_valid-1] are real weights (n_valid <= 128; the rest is padding).
 * saliency[i] ranks inliers for pruning (smaller = pruned first); NULL means w^2. deq (128
 * entries) receives the dequantized values, pruned slots 0. Fails on NaN/Inf or when no
 * routable placement exists for some uB. */
int mxf_msq_quantize_mab(const mxf_msq_params *p, const float *w, int n_valid,
                         const double *saliency, mxf_msq_mab *out, float *deq, mxf_msq_stats *st,
                         mxf_err *err);

/* Byte layout of docs/microscopiq-format.md: weights = 128*bb/8 bytes; metadata = I_sf byte,
 * 16-bit bitmap (LE), then per set bit {MXScale, 24-bit permutation list LE}. */
size_t mxf_msq_weight_bytes(int bb);
size_t mxf_msq_meta_bytes(const mxf_msq_mab *m);
void mxf_msq_pack_mab(int bb, const mxf_msq_mab *m, uint8_t *weights, uint8_t *meta);
/* Decoder used by the accelerator model: bytes -> 128 dequantized weights. Reads at most
 * meta_avail bytes of metadata and reports how many it used. Validates permutation entries and
 * that both halves of an outlier carry the same sign. */
int mxf_msq_unpack_mab(int bb, const uint8_t *weights, const uint8_t *meta, size_t meta_avail,
                       size_t *meta_used, float *deq, mxf_err *err);

/* Whole tensor, round-to-nearest mode (no calibration). W is N x K row-major (out x in).
 * Sections follow k-major, MaB-minor order. deq (N x K, optional) gets dequantized weights. */
typedef struct mxf_msq_tensor {
    int N, K, bb, n_mab_per_col;
    uint8_t *weights;
    size_t weights_len;
    uint8_t *meta;
    size_t meta_len;
    uint32_t *meta_offset; /* per MaB, for random access (k * n_mab_per_col + m) */
    mxf_msq_stats stats;
    int next_k; /* columns put so far (mxf_msq_tensor_put_column) */
} mxf_msq_tensor;

int mxf_msq_quantize_rtn(const mxf_msq_params *p, const float *W, int N, int K, mxf_msq_tensor *t,
                         float *deq, mxf_err *err);

/* Incremental form used by both modes: init allocates for N x K; put_column quantizes input
 * column k (w: N weights, saliency: N values or NULL for w^2, deq: N outputs or NULL) and
 * appends its MaBs. Columns must come in order k = 0..K-1. */
int mxf_msq_tensor_init(mxf_msq_tensor *t, const mxf_msq_params *p, int N, int K, mxf_err *err);
int mxf_msq_tensor_put_column(mxf_msq_tensor *t, const mxf_msq_params *p, int k, const float *w,
                              const double *saliency, float *deq, mxf_err *err);

/* Hessian-guided mode (docs/microscopiq-quantizer.md): the GPTQ column loop of sw/gptq.h with
 * this quantizer per column, pruning by the OBS saliency w^2 / [H_F^-1]_kk of the error-updated
 * weights, the pruned weights' error compensated like any rounding error. U and dead come from
 * mxf_hessian_prepare; block is the lazy-update block (128). deq (N x K, optional) receives the
 * dequantized weights; gst (optional) GPTQ's loss statistics. */
struct mxf_gptq_stats;
int mxf_msq_quantize_gptq(const mxf_msq_params *p, const float *W, int N, int K, const double *U,
                          const unsigned char *dead, int block, mxf_msq_tensor *t, float *deq,
                          struct mxf_gptq_stats *gst, mxf_err *err);
/* The same; target (N x K, optional) receives the weights the quantizer encoded: the
 * error-updated value of every weight at the time its column was quantized (dead inputs 0).
 * Decoded weights are within the format's bound of these, not of W (sw/formats/qformat.h). */
int mxf_msq_quantize_gptq_target(const mxf_msq_params *p, const float *W, int N, int K,
                                 const double *U, const unsigned char *dead, int block,
                                 mxf_msq_tensor *t, float *deq, float *target,
                                 struct mxf_gptq_stats *gst, mxf_err *err);

/* Statistics of a packed tensor's metadata stream (weights, uBs, uBs with outliers, outliers
 * kept), validating its structure: every MaB's header and uB records present, nothing left. */
int mxf_msq_meta_stats(int N, int K, const uint8_t *meta, size_t meta_len, mxf_msq_stats *st,
                       mxf_err *err);
void mxf_msq_tensor_free(mxf_msq_tensor *t);

/* Effective bit width. Paper convention: bb for uBs without outliers, (24 + 8 bb + 8) / 8 for
 * uBs with outliers, MaB scales and identifiers ignored. Full: every stored bit / real weights. */
double mxf_msq_ebw_paper(int bb, const mxf_msq_stats *st);
double mxf_msq_ebw_full(int bb, const mxf_msq_stats *st, size_t weight_bytes, size_t meta_bytes);

#endif
