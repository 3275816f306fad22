/* One emitter per hardware block. Each writes one file (one module per file) into the config
 * directory, with concrete widths baked in so every tool sees plain Verilog-2005 + logic. */
#ifndef MXF_EMIT_H
#define MXF_EMIT_H

#include "err.h"
#include "vbuf.h"
#include "ws_array.h"

typedef struct gen_ctx {
    mxf_ws_cfg cfg;
    char name[96];     /* config name, also the build directory's name */
    char dir[4096];    /* build/<name> */
    char rtl_dir[4200];
    char tb_dir[4200];
    int R, C, WB, PW, AW, CW, L;
} gen_ctx;

int gen_ctx_init(gen_ctx *g, const mxf_ws_cfg *cfg, const char *outroot, const char *outdir,
                 mxf_err *err);

/* Common file header: SPDX line, purpose, provenance. */
void emit_file_header(vbuf *b, const gen_ctx *g, const char *module, const char *purpose);

int emit_delay(const gen_ctx *g, mxf_err *err);     /* rtl/mxf_delay.v */
int emit_ws_pe(const gen_ctx *g, mxf_err *err);     /* rtl/mxf_ws_pe.v */
int emit_ws_array(const gen_ctx *g, mxf_err *err);  /* rtl/mxf_ws_array.v */
int emit_ws_tb(const gen_ctx *g, mxf_err *err);     /* tb/tb_mxf_ws_array.v (Icarus) */
int emit_meta(const gen_ctx *g, mxf_err *err);      /* mxf_params.h + manifest.json */

/* The files every emitter writes, in dependency order (for file lists and the manifest). */
extern const char *const gen_rtl_files[];
extern const int gen_rtl_nfiles;

#endif
