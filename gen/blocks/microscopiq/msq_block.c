/* The descriptor of the `microscopiq` block: options and their help, validation, config names,
 * derived parameters, faults and the port table; everything else reads these (registered in
 * gen/core/registry.c). */
#include <stdio.h>
#include <string.h>

#include "block.h"
#include "gen.h"
#include "msq_golden.h"
#include "msq_harness.h"
#include "parse.h"

static const mxf_msq_cfg *msq(const mxf_hwcfg *c)
{
    return (const mxf_msq_cfg *)(const void *)c->blob;
}

enum {
    OPT_ARRAY,
    OPT_ROWS,
    OPT_COLS,
    OPT_BB,
    OPT_RECON,
    OPT_NET,
    OPT_CPORTS,
    OPT_ALIGN,
    OPT_FAULT,
    N_OPTS
};

static const mxf_block_opt opts[N_OPTS] = {
    [OPT_ARRAY] = {"array", "N", "ARRAY", "16", "square array, N x N PEs (2..128)"},
    [OPT_ROWS] = {"rows", "R", "ROWS", NULL, "PE rows = reduction (K) lanes; overrides --array"},
    [OPT_COLS] = {"cols", "C", "COLS", NULL,
                  "PE columns; outputs per row are 2C (BB=2) or C (BB=4), a multiple of 8; "
                  "overrides --array"},
    [OPT_BB] = {"bb", "B", "BB", "2",
                "weight slot bits: 2 (MODE 2b, two weights per PE) or 4 (MODE 4b)"},
    [OPT_RECON] = {"recon", "U", "RECON", "row",
                   "ReCoN units: row (one per PE row, no stalls) or 1..ROWS-1 shared units "
                   "(bottom-first arbiter, the array stalls on contention)"},
    [OPT_NET] = {"net", "NAME", "NET", "butterfly",
                 "ReCoN slice network: butterfly (the paper's, 4 x 8 switches per micro-block; "
                 "the quantizer keeps to placements it routes) or benes (an 8-port Benes network "
                 "of 20 pass/cross switches and a merge cell per port: every placement routes)"},
    [OPT_CPORTS] = {"cports", "K", "CPORTS", "1",
                    "configuration write ports (1..P/8): port j loads the instruction-buffer "
                    "words of the uB slices g with g mod K = j, one word per cycle each"},
    [OPT_ALIGN] = {"align", "S", "ALIGN", "7",
                   "largest alignment shift between the inlier and outlier units of one tile "
                   "(0..15); sets the partial-sum width"},
    [OPT_FAULT] = {"fault", "NAME", "FAULT", NULL,
                   "plant a known bug the checkers must catch: mul-2b (BB=2) | mul-4b (BB=4) | "
                   "sw-swap | sw-split (butterfly) | sw-sign | sw-shift | sw-mirror (butterfly) | "
                   "arb (shared RECON) | "
                   "cfg-bank | late-valid | noreset"},
};

static const char *const faults[] = {"none",       "mul-2b",   "mul-4b",    "sw-swap", "sw-split",
                                     "sw-sign",    "sw-shift", "sw-mirror", "arb",     "cfg-bank",
                                     "late-valid", "noreset",  NULL};

static int configure(mxf_hwcfg *cfg, const char *const *v, mxf_err *err)
{
    mxf_msq_cfg c = {0};
    long x;
    if (mxf_parse_int(v[OPT_ARRAY], "ARRAY", MXF_MSQ_MIN_DIM, MXF_MSQ_MAX_DIM, &x, err)) return -1;
    c.rows = c.cols = (int)x;
    if (v[OPT_ROWS]) {
        if (mxf_parse_int(v[OPT_ROWS], "ROWS", MXF_MSQ_MIN_DIM, MXF_MSQ_MAX_DIM, &x, err))
            return -1;
        c.rows = (int)x;
    }
    if (v[OPT_COLS]) {
        if (mxf_parse_int(v[OPT_COLS], "COLS", MXF_MSQ_MIN_DIM, MXF_MSQ_MAX_DIM, &x, err))
            return -1;
        c.cols = (int)x;
    }
    if (mxf_parse_int(v[OPT_BB], "BB", 2, 4, &x, err)) return -1;
    c.bb = (int)x;
    if (!strcmp(v[OPT_RECON], "row"))
        c.units = MXF_MSQ_UNITS_ROW;
    else if (mxf_parse_int(v[OPT_RECON], "RECON", 1, MXF_MSQ_MAX_DIM, &x, err))
        return mxf_fail(err, "RECON=%s: expected row or a number of shared units (1..ROWS-1)",
                        v[OPT_RECON]);
    else
        c.units = (int)x;
    c.net = -1;
    for (int i = 0; i < MXF_MSQ_NET_COUNT; i++)
        if (!strcmp(v[OPT_NET], mxf_msq_nets[i].name)) c.net = i;
    if (c.net < 0) return mxf_fail(err, "NET=%s: expected butterfly or benes", v[OPT_NET]);
    if (mxf_parse_int(v[OPT_CPORTS], "CPORTS", 1, MXF_MSQ_MAX_CPORTS, &x, err)) return -1;
    c.cports = (int)x;
    if (mxf_parse_int(v[OPT_ALIGN], "ALIGN", 0, 15, &x, err)) return -1;
    c.align = (int)x;
    if (v[OPT_FAULT]) {
        int f = 0;
        for (int i = 1; faults[i]; i++)
            if (!strcmp(v[OPT_FAULT], faults[i])) f = i;
        if (!f)
            return mxf_fail(err,
                            "FAULT=%s: unknown fault for this block (known: mul-2b, mul-4b, "
                            "sw-swap, sw-split, sw-sign, sw-shift, sw-mirror, arb, cfg-bank, "
                            "late-valid, noreset)",
                            v[OPT_FAULT]);
        c.fault = (mxf_msq_fault)f;
    }
    if (mxf_msq_cfg_validate(&c, err)) return -1;
    memcpy(cfg->blob, &c, sizeof c);
    return 0;
}

static void canonical(const mxf_hwcfg *cfg, char vals[][64])
{
    const mxf_msq_cfg *c = msq(cfg);
    snprintf(vals[OPT_ROWS], 64, "%d", c->rows);
    snprintf(vals[OPT_COLS], 64, "%d", c->cols);
    snprintf(vals[OPT_BB], 64, "%d", c->bb);
    if (c->units == MXF_MSQ_UNITS_ROW)
        snprintf(vals[OPT_RECON], 64, "row");
    else
        snprintf(vals[OPT_RECON], 64, "%d", c->units);
    snprintf(vals[OPT_NET], 64, "%s", mxf_msq_net_of(c)->name);
    snprintf(vals[OPT_CPORTS], 64, "%d", c->cports);
    snprintf(vals[OPT_ALIGN], 64, "%d", c->align);
    if (c->fault != MXF_MSQ_FAULT_NONE)
        snprintf(vals[OPT_FAULT], 64, "%s", mxf_msq_fault_name(c->fault));
}

static void config_name(const mxf_hwcfg *cfg, char *buf, size_t cap)
{
    mxf_msq_cfg_name(msq(cfg), buf, cap);
}

static int derived(const mxf_hwcfg *cfg, mxf_derived *d, int cap)
{
    const mxf_msq_cfg *c = msq(cfg);
    const mxf_derived all[] = {
        {"rows", c->rows, "R: PE rows (reduction lanes)"},
        {"cols", c->cols, "C: PE columns"},
        {"bb", c->bb, "weight slot bits (MODE 2b or 4b)"},
        {"lanes", mxf_msq_lanes(c), "outputs per PE: 2 (BB=2) or 1"},
        {"outputs", mxf_msq_ports(c), "P = C * lanes: outputs per row and tile"},
        {"slices", mxf_msq_slices(c), "G = P / 8: uB slices per ReCoN unit"},
        {"net", c->net, "ReCoN slice network: 0 butterfly, 1 benes"},
        {"slice_switches", mxf_msq_net_of(c)->switches,
         "2x2 switches per slice: 32 (butterfly), 20 (benes, plus 8 merge cells)"},
        {"cfg_bits", mxf_msq_cfg_bits(c), "CB: one slice's configuration word (96 or 28)"},
        {"cports", c->cports, "K: configuration write ports (c_* slots)"},
        {"cport_tag_bits", mxf_msq_cport_tag_bits(c),
         "GKW: a port's slice tag, g / K of slice g (at least 1)"},
        {"units", mxf_msq_units(c), "ReCoN units (R: one per row)"},
        {"shared_recon", c->units != MXF_MSQ_UNITS_ROW, "1: units shared behind the arbiter"},
        {"align", c->align, "largest alignment shift"},
        {"shift_bits", mxf_msq_shift_bits(c), "SHW = max(1, clog2(align + 1))"},
        {"abits", MXF_MSQ_ABITS, "activation width (signed)"},
        {"prod_bits", MXF_MSQ_RESW, "raw product: 8-bit act x 3-bit magnitude, signed"},
        {"acc_bits", mxf_msq_acc_bits(c), "AW = 13 + align + clog2(R): exact column sum"},
        {"word_bits", mxf_msq_word_bits(c), "WW = SHW + 6: PE word {shift, half[1:0], code}"},
        {"macs_per_cycle", (long)c->rows * mxf_msq_ports(c),
         "R * P: peak weight-MACs per cycle (two per PE in MODE 2b)"},
        {"latency_steps", c->rows, "R: activation row sampled -> output row (steps)"},
        {"fault", (long)c->fault, "planted bug (0 = none)"},
    };
    int n = (int)(sizeof all / sizeof all[0]);
    if (n > cap) return -1;
    memcpy(d, all, sizeof all);
    return n;
}

static int ports(const mxf_hwcfg *cfg, mxf_port *out, int cap)
{
    const mxf_msq_cfg *c = msq(cfg);
    const int R = c->rows, C = c->cols, P = mxf_msq_ports(c), AW = mxf_msq_acc_bits(c),
              WW = mxf_msq_word_bits(c), SHW = mxf_msq_shift_bits(c), CB = mxf_msq_cfg_bits(c),
              CW = mxf_msq_row_bits(c), K = c->cports, GKW = mxf_msq_cport_tag_bits(c);
    (void)R, (void)C, (void)P, (void)AW, (void)WW, (void)SHW, (void)CB, (void)CW, (void)K,
        (void)GKW;
    int n = 0;
#define MXF_PORT(nm, dir, role, width, doc)                                                        \
    if (n < cap) out[n] = (mxf_port){#nm, dir, role, (width), #width, doc};                        \
    n++;
#include "microscopiq_ports.def"
#undef MXF_PORT
    return n <= cap ? n : -1;
}

static int emit(gen_ctx *g, mxf_err *err)
{
    return gen_emit_delay_en(g, err) || emit_msq_mul(g, err) || emit_msq_pe(g, err) ||
                   emit_msq_recon_ub(g, err) || emit_msq_array(g, err)
               ? -1
               : 0;
}

static int fault_of(const mxf_hwcfg *cfg)
{
    return (int)msq(cfg)->fault;
}

const mxf_block mxf_block_microscopiq = {
    .name = "microscopiq",
    .summary = "MicroScopiQ array: multi-precision INT PEs (MODE 2b/4b from 4b x 2b multipliers), "
               "ReCoN butterflies merging outlier halves, per-row or shared with stalls",
    .doc = "gen/blocks/microscopiq/README.md",
    .opts = opts,
    .n_opts = N_OPTS,
    .faults = faults,
    .configure = configure,
    .canonical = canonical,
    .config_name = config_name,
    .derived = derived,
    .ports = ports,
    .top = "mxf_msq_array",
    .pe = "mxf_msq_pe",
    .opt_fast = "-Os", /* README.md "Simulation speed": 2.5x faster than -O2 at 32 x 32 */
    /* a case as an if-chain in item order (PASS, SWAP first) instead of a tree of opcode
       bits: the network's function runs 36 % fewer instructions (README.md "Simulation
       speed") */
    .vflags = "-fno-case",
    .emit = emit,
    .cmds = mxf_msq_cmds,
    .n_cmds = MXF_MSQ_N_CMDS,
    .fault_of = fault_of,
};
