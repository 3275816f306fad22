/* The microscopiq block's harness commands (mxfsim/mxfvec) and emitters: random and directed
 * GEMMs of MicroScopiQ-quantized weights, images from mxquant and zoo models quantized on the fly,
 * each checked bit for bit and cycle for cycle against the golden model (msq_golden.h), which also
 * applies each tile's power-of-two unit after the array. */
#ifndef MXF_MSQ_HARNESS_H
#define MXF_MSQ_HARNESS_H

#include "block.h"
#include "gen.h"

#define MXF_MSQ_N_CMDS 6
extern const mxf_sim_cmd mxf_msq_cmds[MXF_MSQ_N_CMDS];

/* Emitters (one module per file). */
int emit_msq_mul(gen_ctx *g, mxf_err *err);      /* rtl/mxf_msq_mul.sv */
int emit_msq_pe(gen_ctx *g, mxf_err *err);       /* rtl/mxf_msq_pe.sv */
int emit_msq_recon_ub(gen_ctx *g, mxf_err *err); /* rtl/mxf_msq_recon_ub.sv */
int emit_msq_array(gen_ctx *g, mxf_err *err);    /* rtl/mxf_msq_array.sv */

#endif
