/* The `ws` block's descriptor: options and their help, validation, the config-name rule, the
 * derived parameters, the fault list and the port table. Everything the generator, the harnesses
 * and the docs know about this block comes from here (registered in gen/core/registry.c). */
#include <stdio.h>
#include <string.h>

#include "block.h"
#include "gen.h"
#include "parse.h"
#include "ws_golden.h"
#include "ws_harness.h"

static const mxf_ws_cfg *ws(const mxf_hwcfg *c)
{
    return (const mxf_ws_cfg *)(const void *)c->blob;
}

enum { OPT_ARRAY, OPT_ROWS, OPT_COLS, OPT_WBITS, OPT_FAULT, N_OPTS };

static const mxf_block_opt opts[N_OPTS] = {
    [OPT_ARRAY] = {"array", "N", "ARRAY", "16", "square array, N x N PEs (2..128)"},
    [OPT_ROWS] = {"rows", "R", "ROWS", NULL, "PE rows = reduction (K) lanes; overrides --array"},
    [OPT_COLS] = {"cols", "C", "COLS", NULL, "PE columns = output (N) lanes; overrides --array"},
    [OPT_WBITS] = {"wbits", "B", "WBITS", "8", "signed weight width: 4 or 8"},
    [OPT_FAULT] =
        {"fault", "NAME", "FAULT", NULL,
         "plant a known bug the checkers must catch: mul-sign | wbank | skew | late-valid | "
         "wskew | noreset"},
};

static const char *const faults[] = {"none",       "mul-sign", "wbank",   "skew",
                                     "late-valid", "wskew",    "noreset", NULL};

static int configure(mxf_hwcfg *cfg, const char *const *v, mxf_err *err)
{
    mxf_ws_cfg c = {0};
    long x;
    if (mxf_parse_int(v[OPT_ARRAY], "ARRAY", MXF_WS_MIN_DIM, MXF_WS_MAX_DIM, &x, err)) return -1;
    c.rows = c.cols = (int)x;
    if (v[OPT_ROWS]) {
        if (mxf_parse_int(v[OPT_ROWS], "ROWS", MXF_WS_MIN_DIM, MXF_WS_MAX_DIM, &x, err)) return -1;
        c.rows = (int)x;
    }
    if (v[OPT_COLS]) {
        if (mxf_parse_int(v[OPT_COLS], "COLS", MXF_WS_MIN_DIM, MXF_WS_MAX_DIM, &x, err)) return -1;
        c.cols = (int)x;
    }
    if (!v[OPT_WBITS] || (strcmp(v[OPT_WBITS], "4") && strcmp(v[OPT_WBITS], "8")))
        return mxf_fail(err, "WBITS=%s: unsupported weight width (expected 4 or 8)",
                        v[OPT_WBITS] ? v[OPT_WBITS] : "");
    c.wbits = v[OPT_WBITS][0] - '0';
    if (v[OPT_FAULT] && mxf_ws_fault_parse(v[OPT_FAULT], &c.fault, err)) return -1;
    if (mxf_ws_cfg_validate(&c, err)) return -1;
    memcpy(cfg->blob, &c, sizeof c);
    return 0;
}

static void canonical(const mxf_hwcfg *cfg, char vals[][64])
{
    const mxf_ws_cfg *c = ws(cfg);
    snprintf(vals[OPT_ROWS], 64, "%d", c->rows);
    snprintf(vals[OPT_COLS], 64, "%d", c->cols);
    snprintf(vals[OPT_WBITS], 64, "%d", c->wbits);
    if (c->fault != MXF_WS_FAULT_NONE)
        snprintf(vals[OPT_FAULT], 64, "%s", mxf_ws_fault_name(c->fault));
}

static void config_name(const mxf_hwcfg *cfg, char *buf, size_t cap)
{
    mxf_ws_cfg_name(ws(cfg), buf, cap);
}

static int derived(const mxf_hwcfg *cfg, mxf_derived *d, int cap)
{
    const mxf_ws_cfg *c = ws(cfg);
    const mxf_derived all[] = {
        {"rows", c->rows, "R: PE rows (reduction lanes)"},
        {"cols", c->cols, "C: PE columns (output lanes)"},
        {"abits", MXF_WS_ABITS, "activation width (signed)"},
        {"wbits", c->wbits, "WB: weight width (signed)"},
        {"prod_bits", mxf_ws_prod_bits(c), "8 + WB: exact signed product"},
        {"acc_bits", mxf_ws_acc_bits(c), "AW = 8 + WB + clog2(R): exact column sum"},
        {"cnt_bits", mxf_ws_cnt_bits(c), "CW = max(1, clog2(R)): weight-row countdown tag"},
        {"latency", mxf_ws_latency(c), "R + C - 2: activation row in -> output row out"},
        {"lc_per_pe", c->wbits > 4 ? 250 : 125,
         "iCE40 logic cells per PE, for make fpga's fit check (measured, docs/fpga.md)"},
        {"dsp_per_pe", 1, "Xilinx DSP48E1 per PE (the multiplier)"},
        {"lut_per_pe", 12, "Xilinx LUTs per PE beside its DSP48E1"},
        {"fault", (long)c->fault, "planted bug (0 = none)"},
    };
    int n = (int)(sizeof all / sizeof all[0]);
    if (n > cap) return -1;
    memcpy(d, all, sizeof all);
    return n;
}

static int ports(const mxf_hwcfg *cfg, mxf_port *out, int cap)
{
    const mxf_ws_cfg *c = ws(cfg);
    const int R = c->rows, C = c->cols, WB = c->wbits, AW = mxf_ws_acc_bits(c),
              CW = mxf_ws_cnt_bits(c);
    (void)R, (void)C, (void)WB, (void)AW, (void)CW;
    int n = 0;
#define MXF_PORT(nm, dir, role, width, doc)                                                        \
    if (n < cap) out[n] = (mxf_port){#nm, dir, role, (width), #width, doc};                        \
    n++;
#include "ws_ports.def"
#undef MXF_PORT
    return n <= cap ? n : -1;
}

static int emit(gen_ctx *g, mxf_err *err)
{
    return gen_emit_delay(g, err) || emit_ws_pe(g, err) || emit_ws_array(g, err) ? -1 : 0;
}

static int fault_of(const mxf_hwcfg *cfg)
{
    return (int)ws(cfg)->fault;
}

const mxf_block mxf_block_ws = {
    .name = "ws",
    .summary = "weight-stationary systolic array, int8 activations x int4/int8 weights, "
               "double-buffered weights",
    .doc = "gen/blocks/ws/README.md",
    .opts = opts,
    .n_opts = N_OPTS,
    .faults = faults,
    .configure = configure,
    .canonical = canonical,
    .config_name = config_name,
    .derived = derived,
    .ports = ports,
    .top = "mxf_ws_array",
    .pe = "mxf_ws_pe",
    .emit = emit,
    .cmds = mxf_ws_cmds,
    .n_cmds = MXF_WS_N_CMDS,
    .fault_of = fault_of,
};
