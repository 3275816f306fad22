/* One interface over every weight format of sw/: a format spec string ("mxfp4",
 * "nxfp4:nano=1,am=0", "mxint2/n128", "fineq:group=126", "microscopiq2:mode=gptq"), tensor
 * quantization of W[rows][cols] (out x in, reduction dimension = cols) into the two sections the
 * hardware reads (element codes and metadata), dequantization and exact storage cost. Layouts:
 * docs/image-format.md. */
#ifndef MXF_QFORMAT_H
#define MXF_QFORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fineq.h"
#include "mx.h"
#include "mxint.h"
#include "microscopiq.h"
#include "nxfp.h"

typedef enum mxf_qfamily {
    MXF_QF_MX = 1,    /* OCP MX: mxfp8_e4m3, mxfp8_e5m2, mxfp6_e2m3, mxfp6_e3m2, mxfp4, mxint8 */
    MXF_QF_MXINT = 2, /* MX-INT-b sign-magnitude: mxint2, mxint4 (block 32 along K) and
                         mxint<b>/k<B> (blocks of B along K) and mxint<b>/n<B>, e.g.
                         mxint2/n128 (blocks along N, MicroScopiQ) */
    MXF_QF_NXFP = 3,  /* nxfp4, nxfp5, nxfp6 */
    MXF_QF_FINEQ = 4, /* fineq */
    MXF_QF_MSQ = 5    /* microscopiq2, microscopiq4: MicroScopiQ (inliers MX-INT-bb per 128 along
                         N, outliers MX-FP; variable-length metadata) */
} mxf_qfamily;

enum { MXF_AXIS_K = 0, MXF_AXIS_N = 1 };

typedef struct mxf_qformat {
    mxf_qfamily family;
    mxf_mx_params mx;
    mxf_mxint_params mxint;
    int axis; /* MX-INT only: blocks along K (cols) or along N (rows) */
    mxf_nxfp_params nx;
    mxf_fineq_params fq;
    mxf_msq_params msq; /* routable is set from `route` by the parser */
    int msq_route;      /* 1: only ReCoN-routable Lower-half placements (default) */
    int msq_gptq;       /* 0: round to nearest; 1: Hessian-guided (needs calibration) */
    double percdamp;    /* Hessian damping for msq_gptq */
} mxf_qformat;

/* Parses "NAME[:key=value,...]"; unknown names/keys and bad values fail with a message naming
 * them. Names: mxint<b>/k<B> and mxint<b>/n<B> are MX-INT-b with blocks of B along K or N
 * (mxint2 = mxint2/k32, mxint4 = mxint4/k32; the older mxint<b>/<B> = mxint<b>/n<B>). Keys:
 * MX: block, round (rne|away); MX-INT: block, axis (k|n), round (they override the name); NxFP:
 * block, nano, am, cr (off|fixed|sign), vcr0, vcr1, vcr2, rule (a|b), round; FineQ: group, ratio,
 * rescue, round; MicroScopiQ: sigma, maxout (0..4), group (8|128), route (recon|any),
 * mode (rtn|gptq), damp. docs/formats.md documents each. */
int mxf_qformat_parse(const char *spec, mxf_qformat *f, mxf_err *err);
/* Canonical spec: the canonical name and every key it does not state, in a fixed order
 * ("mxint4/k32:round=away"); parsing it gives back the same format. */
void mxf_qformat_spec(const mxf_qformat *f, char *buf, size_t cap);
/* Canonical name ("mxfp4", "mxint4/k32", "mxint2/n128", "nxfp4", "fineq", "microscopiq2"). */
void mxf_qformat_name(const mxf_qformat *f, char *buf, size_t cap);
/* Stable numeric id (family * 256 + variant) recorded in images. */
uint32_t mxf_qformat_id(const mxf_qformat *f);
/* Names accepted by mxf_qformat_parse, comma separated. */
const char *mxf_qformat_known(void);

/* Section sizes for a rows x cols tensor. Fails when a dimension is < 1 or too large. For
 * MicroScopiQ the metadata length depends on the data: meta_len is then the largest possible and
 * mxf_qformat_meta_min the smallest (they are equal for every other format). */
int mxf_qformat_sizes(const mxf_qformat *f, int64_t rows, int64_t cols, size_t *codes_len,
                      size_t *meta_len, mxf_err *err);
size_t mxf_qformat_meta_min(const mxf_qformat *f, int64_t rows, int64_t cols);
/* Format bits per weight for large tensors: element bits + metadata bits / block (logical
 * field widths, e.g. NxFP4 L13 = 4.40625), padding excluded. MicroScopiQ: the floor, bb + 24/128
 * (a MaB without outliers); what a tensor really stores depends on its outliers. */
double mxf_qformat_nominal_bits(const mxf_qformat *f);

typedef struct mxf_qtensor {
    mxf_qformat fmt;
    int64_t rows, cols;
    uint8_t *codes;
    size_t codes_len;
    uint8_t *meta;
    size_t meta_len;
} mxf_qtensor;

/* Quantizes W (row-major rows x cols). NaN/Inf weights fail, naming row and column. */
int mxf_quantize(const mxf_qformat *f, const float *W, int64_t rows, int64_t cols, mxf_qtensor *out,
                 mxf_err *err);
/* Whether the format quantizes with calibration activations (MicroScopiQ mode=gptq). */
int mxf_qformat_needs_calib(const mxf_qformat *f);
/* Like mxf_quantize, with calibration activations X (tokens x x_cols, one token per row) for
 * formats that use them (MicroScopiQ mode=gptq); others ignore X. Fails when a format needs
 * calibration and X is missing, or x_cols != cols. */
int mxf_quantize_calib(const mxf_qformat *f, const float *W, int64_t rows, int64_t cols,
                       const float *X, int64_t tokens, int64_t x_cols, mxf_qtensor *out,
                       mxf_err *err);
/* Like mxf_quantize_calib; target (rows x cols, optional) receives the weights the quantizer
 * encoded: W itself, except for MicroScopiQ mode=gptq, where it is the error-updated weights of
 * the Hessian loop (each weight as it was when its column was quantized). Decoded weights are
 * within the format's bound of target (mxf_qbound_element). */
int mxf_quantize_target(const mxf_qformat *f, const float *W, int64_t rows, int64_t cols,
                        const float *X, int64_t tokens, int64_t x_cols, mxf_qtensor *out,
                        float *target, mxf_err *err);
/* Dequantizes into W (rows x cols). Fails on metadata that the format cannot hold, naming the
 * block. */
int mxf_dequantize(const mxf_qtensor *q, float *W, mxf_err *err);
void mxf_qtensor_free(mxf_qtensor *q);

/* ---- per-element error bounds (docs/formats.md, "Error bounds") ----
 * Every format rounds each weight to the nearest level of a grid that the format's definition
 * fixes from the source block (the MX and MX-INT scale, FineQ's step, MicroScopiQ's inlier and
 * outlier exponents and outlier set) or that the encoder chooses among a set the definition
 * allows (NxFP's format and scale, FineQ's rescue, MicroScopiQ's pruned slots: read from the
 * tensor's metadata, and only if the choice is one the definition allows). The bound of an
 * element is the distance from its source value to the nearest level of that grid (pruned: the
 * value itself), which every correct encoding meets exactly and no other value of the element
 * does (a tie aside). The class says which grid and whether the value was inside its range. */
typedef enum mxf_qclass {
    MXF_QC_INLIER = 0, /* nearest level of the block's grid, inside its range */
    MXF_QC_OUTLIER,    /* nearest level of a second grid: MicroScopiQ outliers, the two
                          survivors of a FineQ outlier cluster */
    MXF_QC_PRUNED,     /* stored as 0 by the format: MicroScopiQ pruned slots, the zeroed
                          weight of a FineQ outlier cluster; bound |source| */
    MXF_QC_SATURATED,  /* beyond its grid's range: the grid's end nearest to it */
    MXF_QC_COUNT
} mxf_qclass;

/* "inlier", "outlier", "pruned", "saturated". */
const char *mxf_qclass_name(mxf_qclass c);

typedef struct mxf_qbound {
    mxf_qclass cls;
    double bound;  /* |decoded - source| <= bound for every correct encoding */
    int64_t block; /* the element's block in section order: MX, MX-INT, NxFP blocks; FineQ step
                      groups (row-major); MicroScopiQ MaBs (k * ceil(rows / 128) + n / 128) */
} mxf_qbound;

/* Bound and class of element (row, col) of q, whose source is src (rows x cols, the weights the
 * quantizer encoded: see mxf_quantize_target). A pure function of q and src. Fails on a source
 * that is not finite, a position outside the tensor or metadata the format cannot hold. */
int mxf_qbound_element(const mxf_qtensor *q, const float *src, int64_t row, int64_t col,
                       mxf_qbound *b, mxf_err *err);

typedef struct mxf_qverify {
    int64_t checked;             /* elements compared */
    int64_t count[MXF_QC_COUNT]; /* per class */
    int64_t violations;          /* |decoded - source| > bound (or decoded not a number) */
    /* the first violation in section order (block by block) */
    int64_t row, col, block;
    mxf_qclass cls;
    double source, decoded, bound;
} mxf_qverify;

/* Compares every decoded weight dec (rows x cols, mxf_dequantize of q) with its source src
 * within its bound. Returns 0 when it could judge (v->violations tells the verdict), -1 on the
 * failures of mxf_qbound_element. */
int mxf_qverify_tensor(const mxf_qtensor *q, const float *src, const float *dec, mxf_qverify *v,
                       mxf_err *err);

#endif
