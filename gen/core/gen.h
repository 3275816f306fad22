/* The generator's shared core: one config's context, the provenance header every file carries,
 * and the outputs every block gets from its port table (top-level port list, Icarus testbench,
 * C header, JSON manifest, file list, FuseSoC core). Emitters print into a vbuf and hand it to
 * gen_save_rtl, so the file list and the manifest always name exactly the files written. */
#ifndef MXF_GEN_H
#define MXF_GEN_H

#include "block.h"
#include "err.h"
#include "vbuf.h"

#define MXF_PREFIX_MAX 32

typedef struct gen_ctx {
    mxf_hwcfg cfg;
    const mxf_block *block;
    char name[128]; /* config name, also the build directory's name */
    char args[512]; /* canonical mxfgen options that reproduce this config */
    char prefix[MXF_PREFIX_MAX + 1];
    char tag[96];   /* project version recorded in every header (git describe) */
    char dir[4096]; /* build/<name> */
    char rtl_dir[4200];
    char tb_dir[4200];
    mxf_port ports[MXF_BLOCK_MAX_PORTS];
    int n_ports;
    mxf_derived derived[MXF_BLOCK_MAX_DERIVED];
    int n_derived;
    char files[MXF_BLOCK_MAX_FILES][96]; /* rtl/ files in dependency order, as written */
    int n_files;
} gen_ctx;

/* prefix: module-name prefix ("" for none; letters, digits, '_', starting with a letter).
 * tag: version string for the headers (NULL: "unversioned"). outdir overrides outroot/name. */
int gen_ctx_init(gen_ctx *g, const mxf_hwcfg *cfg, const char *prefix, const char *tag,
                 const char *outroot, const char *outdir, mxf_err *err);
/* Checks a --prefix value. */
int gen_prefix_check(const char *prefix, mxf_err *err);

/* Value of a derived parameter (the block's own names); aborts the emit with -1 if missing. */
long gen_param(const gen_ctx *g, const char *name);

/* "// SPDX ...", module and purpose, config, the reproducing command and the version. */
void gen_file_header(vbuf *b, const gen_ctx *g, const char *module, const char *purpose);
/* Writes rtl/<prefix><module>.sv and records it in the file list (dependency order: call in
 * the order a tool must read them). */
int gen_save_rtl(gen_ctx *g, const char *module, vbuf *b, mxf_err *err);
/* "module <prefix><top> (\n  input logic ... ,\n ... );\n" from the port table, each port with
 * its doc line as a comment. */
void gen_top_ports(vbuf *b, const gen_ctx *g);

/* Shared module: rtl/<prefix>mxf_delay.sv, a Depth-stage register chain whose top CtrlWidth bits
 * (valid bits) are reset and whose data bits are not (so FPGA tools infer shift registers). */
int gen_emit_delay(gen_ctx *g, mxf_err *err);
/* The same chain with a shift enable: rtl/<prefix>mxf_delay_en.sv (port en_i). */
int gen_emit_delay_en(gen_ctx *g, mxf_err *err);

/* Everything for one config: mkdirs, the block's RTL, the Icarus testbench, mxf_params.h,
 * manifest.json, rtl/files.f and the .core file. */
int gen_emit_config(gen_ctx *g, mxf_err *err);

#endif
