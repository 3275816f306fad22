/* The FineQ blocks' harness commands (mxfsim/mxfvec) and emitters. Both blocks (fineq, fineq-mul)
 * share them: random and directed GEMMs of cluster bytes, FineQ images from mxquant and zoo
 * models quantized on the fly, checked bit for bit and cycle for cycle against the golden model
 * (fineq_golden.h), which also applies the per-group steps after the array. */
#ifndef MXF_FINEQ_HARNESS_H
#define MXF_FINEQ_HARNESS_H

#include "block.h"
#include "gen.h"

#define MXF_FQ_N_CMDS 6
extern const mxf_sim_cmd mxf_fq_cmds[MXF_FQ_N_CMDS];

/* Emitters (one module per file). */
int emit_fq_dec(gen_ctx *g, mxf_err *err);    /* rtl/mxf_fq_dec.sv */
int emit_fq_wlink(gen_ctx *g, mxf_err *err);  /* rtl/mxf_fq_wlink.sv (weight-chain stage) */
int emit_fq_pe(gen_ctx *g, mxf_err *err);     /* rtl/mxf_fq_pe.sv (temporal-coded) */
int emit_fq_mul_pe(gen_ctx *g, mxf_err *err); /* rtl/mxf_fq_mul_pe.sv (baseline) */
int emit_fq_array(gen_ctx *g, mxf_err *err);  /* rtl/mxf_fq_array.sv */

#endif
