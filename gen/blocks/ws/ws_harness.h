/* The `ws` block's harness commands (mxfsim/mxfvec): random GEMMs, packed images from mxquant
 * and zoo models quantized on the fly, all checked bit for bit and cycle for cycle against the
 * golden model (ws_golden.h), which also applies the per-block scales after the array. */
#ifndef MXF_WS_HARNESS_H
#define MXF_WS_HARNESS_H

#include "block.h"
#include "gen.h"

#define MXF_WS_N_CMDS 5
extern const mxf_sim_cmd mxf_ws_cmds[MXF_WS_N_CMDS];

/* Emitters (one module per file). */
int emit_ws_pe(gen_ctx *g, mxf_err *err);    /* rtl/mxf_ws_pe.sv */
int emit_ws_array(gen_ctx *g, mxf_err *err); /* rtl/mxf_ws_array.sv */

#endif
