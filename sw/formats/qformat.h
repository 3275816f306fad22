/* One interface over every weight format of sw/: a format spec string ("mxfp4",
 * "nxfp4:nano=1,am=0", "mxint2/128", "fineq:group=126", "microscopiq2:mode=gptq"), tensor
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
                         mxint<b>/<block>, e.g. mxint2/128 (blocks along N, MicroScopiQ) */
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
 * them. Keys: MX: block, round (rne|away); MX-INT: block, axis (k|n), round; NxFP: block, nano,
 * am, cr (off|fixed|sign), vcr0, vcr1, vcr2, rule (a|b), round; FineQ: group, ratio, rescue,
 * round; MicroScopiQ: sigma, maxout (0..4), group (8|128), route (recon|any), mode (rtn|gptq),
 * damp. */
int mxf_qformat_parse(const char *spec, mxf_qformat *f, mxf_err *err);
/* Canonical spec (every key, fixed order); parsing it gives back the same format. */
void mxf_qformat_spec(const mxf_qformat *f, char *buf, size_t cap);
/* Short name ("mxfp4", "mxint2/128" when axis n, "nxfp4", "fineq"). */
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
/* Dequantizes into W (rows x cols). Fails on metadata that the format cannot hold, naming the
 * block. */
int mxf_dequantize(const mxf_qtensor *q, float *W, mxf_err *err);
void mxf_qtensor_free(mxf_qtensor *q);

#endif
