/* The descriptors of the two FineQ blocks: `fineq` (temporal-coded PEs, SCHED=lock|elastic) and
 * `fineq-mul` (the multiplier baseline with the same interface, decoder, widths and scale
 * handling). Options and their help, validation, config names, derived parameters, faults and
 * the port table; everything else reads these (registered in gen/core/registry.c). */
#include <stdio.h>
#include <string.h>

#include "block.h"
#include "fineq_golden.h"
#include "fineq_harness.h"
#include "gen.h"
#include "parse.h"

static const mxf_fq_cfg *fq(const mxf_hwcfg *c)
{
    return (const mxf_fq_cfg *)(const void *)c->blob;
}

enum { OPT_ARRAY, OPT_ROWS, OPT_COLS, OPT_SCHED, OPT_FAULT, N_OPTS };

static const mxf_block_opt opts_fq[N_OPTS] = {
    [OPT_ARRAY] = {"array", "N", "ARRAY", "16", "square array, N x N PEs (3..128)"},
    [OPT_ROWS] = {"rows", "R", "ROWS", NULL,
                  "PE rows = reduction (K) lanes, three per cluster; overrides --array"},
    [OPT_COLS] = {"cols", "C", "COLS", NULL, "PE columns = output (N) lanes; overrides --array"},
    [OPT_SCHED] = {"sched", "S", "SCHED", "lock",
                   "lock: a step every 4 cycles (each wave takes the code grid's worst case) | "
                   "elastic: a step as soon as no PE has pulses left"},
    [OPT_FAULT] = {"fault", "NAME", "FAULT", NULL,
                   "plant a known bug the checkers must catch: dec-slot | dec-sext | cnt-short | "
                   "addsub | busy (elastic) | late-valid | noreset"},
};

static const mxf_block_opt opts_mul[N_OPTS - 1] = {
    [OPT_ARRAY] = {"array", "N", "ARRAY", "16", "square array, N x N PEs (3..128)"},
    [OPT_ROWS] = {"rows", "R", "ROWS", NULL,
                  "PE rows = reduction (K) lanes, three per cluster; overrides --array"},
    [OPT_COLS] = {"cols", "C", "COLS", NULL, "PE columns = output (N) lanes; overrides --array"},
    [OPT_SCHED] = {"fault", "NAME", "FAULT", NULL,
                   "plant a known bug the checkers must catch: dec-slot | mul-sign | late-valid"},
};

static const char *const faults_fq[] = {"none", "dec-slot",   "dec-sext", "cnt-short", "addsub",
                                        "busy", "late-valid", "noreset",  NULL};
static const char *const faults_mul[] = {"none", "dec-slot", "mul-sign", "late-valid", NULL};

static int parse_fault(const char *s, const char *const *list, mxf_fq_fault *out, mxf_err *err)
{
    char names[160] = "";
    for (int i = 1; list[i]; i++) {
        if (!strcmp(s, list[i]))
            for (int f = 1; f < MXF_FQ_FAULT_COUNT; f++)
                if (!strcmp(list[i], mxf_fq_fault_name((mxf_fq_fault)f)))
                    return *out = (mxf_fq_fault)f, 0;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i > 1 ? ", " : "",
                 list[i]);
    }
    return mxf_fail(err, "FAULT=%s: unknown fault for this block (known: %s)", s, names);
}

static int dims(const char *const *v, mxf_fq_cfg *c, mxf_err *err)
{
    long x;
    if (mxf_parse_int(v[OPT_ARRAY], "ARRAY", MXF_FQ_MIN_DIM, MXF_FQ_MAX_DIM, &x, err)) return -1;
    c->rows = c->cols = (int)x;
    if (v[OPT_ROWS]) {
        if (mxf_parse_int(v[OPT_ROWS], "ROWS", MXF_FQ_MIN_DIM, MXF_FQ_MAX_DIM, &x, err)) return -1;
        c->rows = (int)x;
    }
    if (v[OPT_COLS]) {
        if (mxf_parse_int(v[OPT_COLS], "COLS", MXF_FQ_MIN_DIM, MXF_FQ_MAX_DIM, &x, err)) return -1;
        c->cols = (int)x;
    }
    return 0;
}

static int configure_fq(mxf_hwcfg *cfg, const char *const *v, mxf_err *err)
{
    mxf_fq_cfg c = {0};
    if (dims(v, &c, err)) return -1;
    if (!strcmp(v[OPT_SCHED], "lock"))
        c.sched = MXF_FQ_LOCK;
    else if (!strcmp(v[OPT_SCHED], "elastic"))
        c.sched = MXF_FQ_ELASTIC;
    else
        return mxf_fail(err, "SCHED=%s: unknown schedule (expected lock or elastic)", v[OPT_SCHED]);
    if (v[OPT_FAULT] && parse_fault(v[OPT_FAULT], faults_fq, &c.fault, err)) return -1;
    if (c.fault == MXF_FQ_FAULT_BUSY && c.sched != MXF_FQ_ELASTIC)
        return mxf_fail(err,
                        "FAULT=busy: only the elastic schedule has a busy tree (SCHED=elastic)");
    if (mxf_fq_cfg_validate(&c, err)) return -1;
    memcpy(cfg->blob, &c, sizeof c);
    return 0;
}

static int configure_mul(mxf_hwcfg *cfg, const char *const *v, mxf_err *err)
{
    mxf_fq_cfg c = {0};
    c.sched = MXF_FQ_MUL;
    if (dims(v, &c, err)) return -1;
    if (v[OPT_SCHED] && parse_fault(v[OPT_SCHED], faults_mul, &c.fault, err)) return -1;
    if (mxf_fq_cfg_validate(&c, err)) return -1;
    memcpy(cfg->blob, &c, sizeof c);
    return 0;
}

static void canonical(const mxf_hwcfg *cfg, char vals[][64])
{
    const mxf_fq_cfg *c = fq(cfg);
    snprintf(vals[OPT_ROWS], 64, "%d", c->rows);
    snprintf(vals[OPT_COLS], 64, "%d", c->cols);
    const int fi = c->sched == MXF_FQ_MUL ? OPT_SCHED : OPT_FAULT;
    if (c->sched != MXF_FQ_MUL) snprintf(vals[OPT_SCHED], 64, "%s", mxf_fq_sched_name(c->sched));
    if (c->fault != MXF_FQ_FAULT_NONE) snprintf(vals[fi], 64, "%s", mxf_fq_fault_name(c->fault));
}

static void config_name(const mxf_hwcfg *cfg, char *buf, size_t cap)
{
    mxf_fq_cfg_name(fq(cfg), buf, cap);
}

static int derived(const mxf_hwcfg *cfg, mxf_derived *d, int cap)
{
    const mxf_fq_cfg *c = fq(cfg);
    const mxf_derived all[] = {
        {"rows", c->rows, "R: PE rows (reduction lanes)"},
        {"cols", c->cols, "C: PE columns (output lanes)"},
        {"groups", mxf_fq_groups(c), "G = ceil(R/3): cluster rows per weight tile"},
        {"abits", MXF_FQ_ABITS, "activation width (signed)"},
        {"codew", MXF_FQ_CODEW, "decoded weight code width (signed, -4..3)"},
        {"prod_bits", mxf_fq_prod_bits(), "8 + 3: exact signed product"},
        {"acc_bits", mxf_fq_acc_bits(c), "AW = 11 + clog2(R): exact column sum"},
        {"tag_bits", mxf_fq_tag_bits(c),
         "TW = max(1, clog2(G)): cluster-row input and chain countdown"},
        {"latency_steps", mxf_fq_latency_steps(c), "R + C - 1: activation row in -> row out"},
        {"step_cycles",
         c->sched == MXF_FQ_MUL    ? 1
         : c->sched == MXF_FQ_LOCK ? MXF_FQ_MAXMAG
                                   : 0,
         "cycles per step (0: data-dependent, elastic)"},
        {"lc_per_pe", c->sched == MXF_FQ_MUL ? 90 : 80,
         "iCE40 logic cells per PE, for make fpga's fit check (synth_ice40 of the PE alone plus "
         "its share of the chain, README.md)"},
        {"dsp_per_pe", c->sched == MXF_FQ_MUL ? 1 : 0,
         "Xilinx DSP48E1 per PE (the temporal PE has no multiplier)"},
        {"lut_per_pe", c->sched == MXF_FQ_MUL ? 12 : 60, "Xilinx LUTs per PE"},
        {"fault", (long)c->fault, "planted bug (0 = none)"},
    };
    int n = (int)(sizeof all / sizeof all[0]);
    if (n > cap) return -1;
    memcpy(d, all, sizeof all);
    return n;
}

static int ports(const mxf_hwcfg *cfg, mxf_port *out, int cap)
{
    const mxf_fq_cfg *c = fq(cfg);
    const int R = c->rows, C = c->cols, AW = mxf_fq_acc_bits(c), TW = mxf_fq_tag_bits(c);
    (void)R, (void)C, (void)AW, (void)TW;
    int n = 0;
#define MXF_PORT(nm, dir, role, width, doc)                                                        \
    if (n < cap) out[n] = (mxf_port){#nm, dir, role, (width), #width, doc};                        \
    n++;
#include "fineq_ports.def"
#undef MXF_PORT
    return n <= cap ? n : -1;
}

static int emit(gen_ctx *g, mxf_err *err)
{
    const int temporal = fq(&g->cfg)->sched != MXF_FQ_MUL;
    return gen_emit_delay_en(g, err) || emit_fq_dec(g, err) || emit_fq_wlink(g, err) ||
                   (temporal ? emit_fq_pe(g, err) : emit_fq_mul_pe(g, err)) || emit_fq_array(g, err)
               ? -1
               : 0;
}

static int fault_of(const mxf_hwcfg *cfg)
{
    return (int)fq(cfg)->fault;
}

const mxf_block mxf_block_fineq = {
    .name = "fineq",
    .summary = "FineQ temporal-coded systolic array: cluster decoders, int8 activations x 3-bit "
               "codes, adder + pulse counter PEs, lock-step or elastic",
    .doc = "gen/blocks/fineq/README.md",
    .opts = opts_fq,
    .n_opts = N_OPTS,
    .faults = faults_fq,
    .configure = configure_fq,
    .canonical = canonical,
    .config_name = config_name,
    .derived = derived,
    .ports = ports,
    .top = "mxf_fq_array",
    .pe = "mxf_fq_pe",
    .emit = emit,
    .cmds = mxf_fq_cmds,
    .n_cmds = MXF_FQ_N_CMDS,
    .fault_of = fault_of,
};

const mxf_block mxf_block_fineq_mul = {
    .name = "fineq-mul",
    .summary = "FineQ multiplier-array baseline: the fineq array's interface, decoders and widths "
               "with 8x3-bit multiplier PEs",
    .doc = "gen/blocks/fineq/README.md",
    .opts = opts_mul,
    .n_opts = N_OPTS - 1,
    .faults = faults_mul,
    .configure = configure_mul,
    .canonical = canonical,
    .config_name = config_name,
    .derived = derived,
    .ports = ports,
    .top = "mxf_fq_array",
    .pe = "mxf_fq_mul_pe",
    .emit = emit,
    .cmds = mxf_fq_cmds,
    .n_cmds = MXF_FQ_N_CMDS,
    .fault_of = fault_of,
};
