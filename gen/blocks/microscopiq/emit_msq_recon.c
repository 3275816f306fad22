/* ReCoN in RTL: the slice of one micro-block (an 8-port butterfly of 4 stages x 8 switches, each
 * switch PASS / SWAP / four merges / two splits, docs/recon.md) and the unit (one slice per uB of
 * the row, bypassed where the uB holds no outlier). README.md in this folder has the choices.
 *
 * The slice is one combinational block whose switches are the bodies of loops over word arrays
 * (stage 0, then one loop per stage with its exchange distance a constant), all inside
 * `if (en_i)`: an idle slice (no outlier half in its uB, most of them) passes its partial sums
 * through and reads nothing else. The logic is the same as 32 switch instances; written this way
 * the Verilated model skips idle slices and stays compact (mk/config.mk keeps the loops rolled
 * with --unroll-count). README.md "Simulation speed" has the figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benes.h"
#include "gen.h"
#include "msq_golden.h"
#include "msq_harness.h"

static const mxf_msq_cfg *msq(const gen_ctx *g)
{
    return (const mxf_msq_cfg *)(const void *)g->cfg.blob;
}

/* The body of one switch: inputs hi, lo and opcode op of switch k give so_hi[k], so_lo[k]
 * (both already zero). can_merge: the stage may merge (1..3); can_split: it may split (the
 * router splits in stages 0..2 only). The planted switch faults live here. */
static void switch_case(vbuf *b, const mxf_msq_cfg *c, int can_merge, int can_split)
{
    const char *in = "        ";
    vb_printf(b, "%scase (op)\n", in);
    vb_printf(b, "%s  OpPass: begin so_hi[k] = hi; so_lo[k] = lo; end\n", in);
    if (c->fault == MXF_MSQ_FAULT_SW_SWAP)
        vb_printf(b,
                  "%s  // FAULT sw-swap: SWAP passes straight\n"
                  "%s  OpSwap: begin so_hi[k] = hi; so_lo[k] = lo; end\n",
                  in, in);
    else
        vb_printf(b, "%s  OpSwap: begin so_hi[k] = lo; so_lo[k] = hi; end\n", in);
    if (can_merge) {
        vb_printf(b, "%s  OpMergeHH, OpMergeHL, OpMergeLH, OpMergeLL: begin\n", in);
        if (c->fault == MXF_MSQ_FAULT_SW_MIRROR)
            vb_printf(b,
                      "%s    // FAULT sw-mirror: MERGE_LH takes the Upper half from the hi port\n"
                      "%s    upper_lo = (op == OpMergeLL);\n",
                      in, in);
        else
            vb_printf(b, "%s    upper_lo = (op == OpMergeLH) || (op == OpMergeLL);\n", in);
        vb_printf(b,
                  "%s    u_b = upper_lo ? lo : hi;  // the Upper wire\n"
                  "%s    l_t = upper_lo ? hi[MergeW-1:0] : lo[MergeW-1:0];  // the Lower term\n",
                  in, in);
        if (c->fault == MXF_MSQ_FAULT_SW_SIGN)
            vb_printf(b,
                      "%s    // FAULT sw-sign: the hidden-bit term is always +act\n"
                      "%s    hid = act_x <<< Mant;\n",
                      in, in);
        else
            vb_printf(b, "%s    hid = u_b[BW-2] ? -(act_x <<< Mant) : (act_x <<< Mant);\n", in);
        vb_printf(b,
                  "%s    term = hid + (u_b[MergeW-1:0] <<< HalfSh) + l_t;\n"
                  "%s    if (op == OpMergeHH || op == OpMergeLH) so_hi[k] = {1'b1, 1'b0, term};\n"
                  "%s    else                                    so_lo[k] = {1'b1, 1'b0, term};\n"
                  "%s  end\n",
                  in, in, in, in);
    }
    if (!can_split) {
        vb_printf(b, "%s  default: ;\n%sendcase\n", in, in);
        return;
    }
    vb_printf(b, "%s  OpSplitRH, OpSplitRL: begin\n", in);
    vb_printf(b,
              "%s    split_b = hi[BW-1] ? hi : lo;  // the one valid input\n"
              "%s    empty = {split_b[BW-1], 1'b0, {MergeW{1'b0}}};\n",
              in, in);
    if (c->fault == MXF_MSQ_FAULT_SW_SPLIT)
        vb_printf(b,
                  "%s    // FAULT sw-split: SPLIT_RH behaves as SPLIT_RL\n"
                  "%s    begin so_hi[k] = empty; so_lo[k] = split_b; end\n",
                  in, in);
    else
        vb_printf(b,
                  "%s    if (op == OpSplitRH) begin so_hi[k] = split_b; so_lo[k] = empty; end\n"
                  "%s    else                 begin so_hi[k] = empty; so_lo[k] = split_b; end\n",
                  in, in);
    vb_printf(b, "%s  end\n%s  default: ;\n%sendcase\n", in, in, in);
}

/* switch_case with k written out as the index expression kx (a constant plus the loop
 * variable: Yosys unrolls the loop into constant indices, where a variable index assigned in the
 * loop would become a multiplexer over the whole array). */
static void switch_body(vbuf *b, const mxf_msq_cfg *c, int can_merge, int can_split, const char *kx)
{
    vbuf t;
    vb_init(&t);
    switch_case(&t, c, can_merge, can_split);
    if (t.oom) b->oom = 1;
    const char *p = t.s ? t.s : "", *q;
    while ((q = strstr(p, "[k]"))) {
        vb_printf(b, "%.*s[%s]", (int)(q - p), p, kx);
        p = q + 3;
    }
    vb_printf(b, "%s", p);
    vb_free(&t);
}

static int emit_butterfly_ub(gen_ctx *g, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(g);
    vbuf b;
    vb_init(&b);
    const int M = c->bb == 2 ? 2 : 4;
    char win[8 * 40];
    for (int x = 0, o = 0; x < 8; x++)
        o += snprintf(win + o, sizeof win - (size_t)o, "      w_in[%d] = in_i[%d*BW +: BW];\n", x,
                      x);
    gen_file_header(
        &b, g, "mxf_msq_recon_ub",
        "ReCoN slice of one micro-block: an 8-port butterfly of 4 stages x 8 2x2 "
        "switches (input stage, then exchange distances 1, 2, 4; docs/recon.md "
        "section 1), each PASS, SWAP, MERGE (Upper on hi or lo, result to hi or lo: "
        "(+-act << M) + (term_U << M/2) + term_L) or SPLIT (the one valid input to one "
        "output, an empty term to the other); output x is the term on the last stage's "
        "switch x hi output, shifted by the uB's outlier unit and added to port x's partial "
        "sum. An idle slice (en_i = 0) passes the partial sums through.");
    vb_printf(
        &b,
        "module %smxf_msq_recon_ub #(\n"
        "  parameter int MergeW = %d,  // |act| (2^M + 2^(M/2) 3 + 3) fits, signed\n"
        "  parameter int AccW   = %d,  // partial-sum bits\n"
        "  parameter int ShW    = %d    // outlier-unit shift bits\n"
        ") (\n"
        "  input  logic [95:0]             cfg_i,   // op of switch (s, x) at 3(8s + x)\n"
        "  input  logic [ShW-1:0]          osh_i,   // the uB's outlier unit over the tile's\n"
        "  input  logic                    en_i,    // the uB holds outlier halves\n"
        "  input  logic [7:0]              act_i,   // the row's activation: hidden-bit term\n"
        "  input  logic [8*(MergeW+2)-1:0] in_i,    // 8 wires {valid, sign, term}\n"
        "  input  logic [8*AccW-1:0]       iacc_i,  // the 8 columns' partial sums\n"
        "  output logic [8*AccW-1:0]       out_o    // iacc + (term << osh)\n"
        ");\n"
        "  localparam int BW       = MergeW + 2;  // wire {valid, sign, term[MergeW-1:0]}\n"
        "  localparam int Stages   = 4;\n"
        "  localparam int Ports    = 8;\n"
        "  localparam int Switches = Stages * Ports;\n"
        "  localparam int Mant     = %d;  // M: mantissa bits of an outlier\n"
        "  localparam int HalfSh   = %d;  // M/2: the Upper half's weight\n"
        "  localparam logic [2:0] OpPass = 3'd0, OpSwap = 3'd1, OpMergeHH = 3'd2,\n"
        "                         OpMergeHL = 3'd3, OpMergeLH = 3'd4, OpMergeLL = 3'd5,\n"
        "                         OpSplitRH = 3'd6, OpSplitRL = 3'd7;\n\n"
        "  // The switch outputs, one word per switch k = s*Ports + x; mem2reg: registers to "
        "Yosys.\n"
        "  (* mem2reg *) logic [BW-1:0] so_hi [Switches];\n"
        "  (* mem2reg *) logic [BW-1:0] so_lo [Switches];\n"
        "  (* mem2reg *) logic [BW-1:0] w_in [Ports];  // the input wires\n\n"
        "  // the switch being evaluated\n"
        "  logic [2:0]               op;\n"
        "  logic [BW-1:0]            hi, lo, u_b, split_b, empty;\n"
        "  logic                     upper_lo;\n"
        "  logic [MergeW-1:0]        l_t;\n"
        "  logic signed [MergeW-1:0] act_x, hid, term;\n"
        "  logic        [MergeW-1:0] t_out;  // a last-stage term\n"

        "  // always @*, not always_comb: Icarus 11 cannot take bit selects into an always_comb's\n"
        "  // sensitivity (docs/verilog-subset.md). An idle slice only passes the partial sums\n"
        "  // through; everything else, including reading the wires and the configuration, is\n"
        "  // inside `if (en_i)`, so the Verilated model skips it (README.md \"Simulation "
        "speed\").\n"
        "  // so_hi / so_lo are written before they are read, in that branch only: they hold\n"
        "  // nothing from one evaluation to the next (Yosys removes the latches it first infers\n"
        "  // for them; the synthesized slice has none), hence the LATCH waiver.\n"
        "  /* verilator lint_off LATCH */\n"
        "  always @* begin\n"
        "    out_o = iacc_i;\n"
        "    op = '0; hi = '0; lo = '0; u_b = '0; split_b = '0; empty = '0;\n"
        "    upper_lo = 1'b0; l_t = '0; act_x = '0; hid = '0; term = '0; t_out = '0;\n"
        "    if (en_i) begin\n"
        "      act_x = {{(MergeW-8){act_i[7]}}, act_i};\n"
        "      // the wires and the outputs are read and written at constant offsets (a part\n"
        "      // select at a loop-variable offset costs a wide-word function call per port in\n"
        "      // the C++), a stage's opcodes as one constant slice shifted by 3x\n"
        "%s"
        "      // stage 0: port x's wire on hi, lo tied to an empty wire; no merge\n"
        "      for (int x = 0; x < Ports; x++) begin\n"
        "        op = 3'(cfg_i[0 +: 3*Ports] >> (3*x));\n"
        "        hi = w_in[x];\n"
        "        lo = '0;\n"
        "        so_hi[x] = '0;\n"
        "        so_lo[x] = '0;\n",
        g->prefix, MXF_MSQ_MERGEW, mxf_msq_acc_bits(c), mxf_msq_shift_bits(c), M, M / 2, win);
    switch_body(&b, c, 0, 1, "x");
    vb_printf(&b, "      end\n");
    /* stages 1..3, one loop each: switch x of stage s takes its pair at distance d = 2^(s-1)
     * from stage s-1, the hi outputs if x is the pair's lower index, else the lo outputs */
    for (int st = 1; st < 4; st++) {
        const int d = 1 << (st - 1);
        vb_printf(&b,
                  "      // stage %d: exchange distance %d\n"
                  "      for (int x = 0; x < Ports; x++) begin\n"
                  "        op = 3'(cfg_i[3*%d*Ports +: 3*Ports] >> (3*x));\n"
                  "        if ((x & %d) == 0) begin\n"
                  "          hi = so_hi[%d*Ports + (x & ~%d)];\n"
                  "          lo = so_hi[%d*Ports + (x & ~%d) + %d];\n"
                  "        end else begin\n"
                  "          hi = so_lo[%d*Ports + (x & ~%d)];\n"
                  "          lo = so_lo[%d*Ports + (x & ~%d) + %d];\n"
                  "        end\n"
                  "        so_hi[%d*Ports + x] = '0;\n"
                  "        so_lo[%d*Ports + x] = '0;\n",
                  st, d, st, d, st - 1, d, st - 1, d, d, st - 1, d, st - 1, d, d, st, st);
        char kx[32];
        snprintf(kx, sizeof kx, "%d*Ports + x", st);
        switch_body(&b, c, 1, st < 3, kx);
        vb_printf(&b, "      end\n");
    }
    vb_printf(&b, "      // output x: the term on the last stage's switch x hi output, in the "
                  "tile's unit\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SHIFT)
        vb_printf(&b, "      // FAULT sw-shift: the outlier-unit shift is dropped\n");
    for (int x = 0; x < 8; x++)
        vb_printf(&b,
                  "      t_out = so_hi[(Stages-1)*Ports + %d][MergeW-1:0];\n"
                  "      out_o[%d*AccW +: AccW] = iacc_i[%d*AccW +: AccW] +\n"
                  "          ({{(AccW-MergeW){t_out[MergeW-1]}}, t_out} <<< %s);\n",
                  x, x, x, c->fault == MXF_MSQ_FAULT_SW_SHIFT ? "(osh_i & {ShW{1'b0}})" : "osh_i");
    vb_printf(&b, "    end\n"
                  "  end\n"
                  "  /* verilator lint_on LATCH */\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SIGN)
        vb_printf(&b, "  logic unused_sgn;\n  assign unused_sgn = ^u_b[BW-1 -: 2];\n");
    vb_printf(&b, "endmodule\n");
    return gen_save_rtl(g, "mxf_msq_recon_ub", &b, err);
}

/* NET=benes: the Lower halves' products cross an 8-port Benes network (5 stages x 4 pass/cross
 * switches, mxf_benes_wiring; any permutation routes), then each port's merge cell adds, where
 * the port holds an Upper half, the hidden-bit term, its own product and the product that
 * arrived. The wiring is written out as constant-index assignments from the C table. */
static int emit_benes_ub(gen_ctx *g, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(g);
    vbuf b;
    vb_init(&b);
    const int M = c->bb == 2 ? 2 : 4;
    mxf_benes_switch sw[MXF_MSQ_BENES_SWITCHES];
    const int S = mxf_benes_wiring(8, sw);
    char *defaults = NULL;
    size_t dlen = 0;
    FILE *df = open_memstream(&defaults, &dlen);
    if (!df) return mxf_fail(err, "out of memory");
    for (int i = 0; i < 8 * (S + 1); i++)
        fprintf(df, "%s v[%d] = '0;%s", i % 8 ? "" : "   ", i, i % 8 == 7 ? "\n" : "");
    if (fclose(df) || !defaults) {
        free(defaults);
        return mxf_fail(err, "out of memory");
    }
    gen_file_header(
        &b, g, "mxf_msq_recon_ub",
        "ReCoN slice of one micro-block, NET=benes: the 8 ports' products cross an 8-port "
        "Benes network (5 stages x 4 2x2 switches, each passing or crossing; every placement "
        "of Lower halves routes), then each port holding an Upper half merges (+-act << M) + "
        "(term_U << M/2) + the product that arrived, shifted by the uB's outlier unit and "
        "added to the port's partial sum. An idle slice (en_i = 0) passes the partial sums "
        "through.");
    vb_printf(
        &b,
        "module %smxf_msq_recon_ub #(\n"
        "  parameter int MergeW = %d,  // |act| (2^M + 2^(M/2) 3 + 3) fits, signed\n"
        "  parameter int AccW   = %d,  // partial-sum bits\n"
        "  parameter int ShW    = %d    // outlier-unit shift bits\n"
        ") (\n"
        "  input  logic [%d:0]             cfg_i,   // bit k < %d: switch k crosses; bit "
        "%d + x: port x merges\n"
        "  input  logic [ShW-1:0]          osh_i,   // the uB's outlier unit over the "
        "tile's\n"
        "  input  logic                    en_i,    // the uB holds outlier halves\n"
        "  input  logic [7:0]              act_i,   // the row's activation: hidden-bit "
        "term\n"
        "  input  logic [8*(MergeW+2)-1:0] in_i,    // 8 wires {valid, sign, term}\n"
        "  input  logic [8*AccW-1:0]       iacc_i,  // the 8 columns' partial sums\n"
        "  output logic [8*AccW-1:0]       out_o    // iacc + (term << osh)\n"
        ");\n"
        "  localparam int BW       = MergeW + 2;  // wire {valid, sign, term[MergeW-1:0]}\n"
        "  localparam int ResW     = %d;  // a product: 8-bit act x 3-bit magnitude, "
        "signed\n"
        "  localparam int Ports    = 8;\n"
        "  localparam int Stages   = %d;\n"
        "  localparam int Switches = %d;  // Stages * Ports / 2\n"
        "  localparam int Mant     = %d;  // M: mantissa bits of an outlier\n"
        "  localparam int HalfSh   = %d;  // M/2: the Upper half's weight\n\n"
        "  (* mem2reg *) logic [BW-1:0]   in_w [Ports];\n"
        "  (* mem2reg *) logic [ResW-1:0] v [(Stages+1)*Ports];  // row x of stage s: v[s*Ports "
        "+ x]\n"
        "  (* mem2reg *) logic [AccW-1:0] acc_w [Ports];\n"
        "  (* mem2reg *) logic [AccW-1:0] sum_w [Ports];\n"
        "  logic [Ports-1:0] unused_valid;\n"
        "  for (genvar x = 0; x < Ports; x++) begin : gen_port\n"
        "    assign in_w[x] = in_i[x*BW +: BW];\n"
        "    assign unused_valid[x] = in_w[x][BW-1];\n"
        "    assign acc_w[x] = iacc_i[x*AccW +: AccW];\n"
        "    assign out_o[x*AccW +: AccW] = sum_w[x];\n"
        "  end\n\n"
        "  logic signed [MergeW-1:0] act_x, hid, term;\n"
        "  logic        [BW-1:0]     u_b;  // the Upper half's own wire\n"
        "  logic        [ResW-1:0]   l_r;  // the product that arrived\n\n"
        "  always @* begin\n"
        "    act_x = '0; hid = '0; term = '0; u_b = '0; l_r = '0;\n"
        "    for (int i = 0; i < Ports; i++) sum_w[i] = acc_w[i];\n"
        "    // (constant indices: Verilator 5.006 sees a latch in a defaulting loop)\n"
        "%s"
        "    if (en_i) begin\n"
        "      act_x = {{(MergeW-8){act_i[7]}}, act_i};\n"
        "      for (int i = 0; i < Ports; i++) v[i] = in_w[i][ResW-1:0];\n",
        g->prefix, MXF_MSQ_MERGEW, mxf_msq_acc_bits(c), mxf_msq_shift_bits(c),
        mxf_msq_cfg_bits(c) - 1, MXF_MSQ_BENES_SWITCHES, MXF_MSQ_BENES_SWITCHES, MXF_MSQ_RESW, S,
        MXF_MSQ_BENES_SWITCHES, M, M / 2, defaults);
    free(defaults);
    for (int s = 0; s < S; s++) {
        vb_printf(&b, "      // stage %d\n", s);
        for (int i = 0; i < 4; i++) {
            const mxf_benes_switch *w = &sw[s * 4 + i];
            const int k = s * 4 + i, a = 8 * s + w->in[0], bb = 8 * s + w->in[1],
                      o0 = 8 * (s + 1) + w->out[0], o1 = 8 * (s + 1) + w->out[1];
            if (c->fault == MXF_MSQ_FAULT_SW_SWAP)
                vb_printf(&b,
                          "      v[%d] = v[%d];  // FAULT sw-swap: switch %d never crosses\n"
                          "      v[%d] = v[%d];\n",
                          o0, a, k, o1, bb);
            else
                vb_printf(&b,
                          "      v[%d] = cfg_i[%d] ? v[%d] : v[%d];\n"
                          "      v[%d] = cfg_i[%d] ? v[%d] : v[%d];\n",
                          o0, k, bb, a, o1, k, a, bb);
        }
    }
    vb_printf(&b, "      // the merge cells\n"
                  "      for (int i = 0; i < Ports; i++) begin\n"
                  "        if (cfg_i[Switches + i]) begin\n"
                  "          u_b = in_w[i];\n"
                  "          l_r = v[Stages*Ports + i];\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SIGN)
        vb_printf(&b, "          // FAULT sw-sign: the hidden-bit term is always +act\n"
                      "          hid = act_x <<< Mant;\n");
    else
        vb_printf(&b, "          hid = u_b[BW-2] ? -(act_x <<< Mant) : (act_x <<< Mant);\n");
    vb_printf(
        &b, "          term = hid + (u_b[MergeW-1:0] <<< HalfSh) + {{(MergeW-ResW){l_r[ResW-1]}}, "
            "l_r};\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SHIFT)
        vb_printf(&b,
                  "          // FAULT sw-shift: the outlier-unit shift is dropped\n"
                  "          sum_w[i] = acc_w[i] + ({{(AccW-MergeW){term[MergeW-1]}}, term} <<< "
                  "(osh_i & {ShW{1'b0}}));\n");
    else
        vb_printf(&b,
                  "          sum_w[i] = acc_w[i] + ({{(AccW-MergeW){term[MergeW-1]}}, term} <<< "
                  "osh_i);\n");
    vb_printf(&b, "        end\n"
                  "      end\n"
                  "    end\n"
                  "  end\n");
    vb_printf(&b, "  logic unused;\n  assign unused = ^unused_valid ^ ^u_b[BW-1 -: 2]%s;\n",
              c->fault == MXF_MSQ_FAULT_SW_SWAP ? " ^ ^cfg_i[Switches-1:0]" : "");
    vb_printf(&b, "endmodule\n");
    return gen_save_rtl(g, "mxf_msq_recon_ub", &b, err);
}

int emit_msq_recon_ub(gen_ctx *g, mxf_err *err)
{
    static int (*const emit[MXF_MSQ_NET_COUNT])(gen_ctx *, mxf_err *) = {
        [MXF_MSQ_NET_BUTTERFLY] = emit_butterfly_ub,
        [MXF_MSQ_NET_BENES] = emit_benes_ub,
    };
    return emit[msq(g)->net](g, err);
}

int emit_msq_recon(gen_ctx *g, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(g);
    vbuf b;
    vb_init(&b);
    gen_file_header(&b, g, "mxf_msq_recon",
                    "ReCoN unit for one PE row: one 8-port slice per micro-block moves "
                    "the outlier halves' products to their Upper columns and merges them; each "
                    "output adds its column's own partial sum and, where its slice holds outlier "
                    "halves, the term that arrived, shifted by the uB's outlier unit.");
    vb_printf(&b,
              "module %smxf_msq_recon #(\n"
              "  parameter int Ports  = %d,  // outputs per row\n"
              "  parameter int AccW   = %d,\n"
              "  parameter int MergeW = %d,\n"
              "  parameter int ShW    = %d,\n"
              "  parameter int CfgB   = %d   // slice configuration bits (NET=%s)\n"
              ") (\n"
              "  input  logic [(Ports/8)*(CfgB+ShW)-1:0] cfg_i,  // per slice {shift, config}\n"
              "  input  logic [Ports/8-1:0]            en_i,    // slice holds outlier halves\n"
              "  input  logic [7:0]                    act_i,\n"
              "  input  logic [Ports*(MergeW+2)-1:0]   in_i,    // wires {valid, sign, term}\n"
              "  input  logic [Ports*AccW-1:0]         iacc_i,  // the columns' partial sums\n"
              "  output logic [Ports*AccW-1:0]         out_o\n"
              ");\n"
              "  localparam int BW = MergeW + 2;\n"
              "  localparam int Slices = Ports / 8;\n"
              "  localparam int CfgW = CfgB + ShW;\n"
              "  for (genvar s = 0; s < Slices; s++) begin : gen_slice\n"
              "    %smxf_msq_recon_ub u_ub (\n"
              "      .cfg_i (cfg_i[s*CfgW +: CfgB]),\n"
              "      .osh_i (cfg_i[s*CfgW + CfgB +: ShW]),\n"
              "      .en_i  (en_i[s]),\n"
              "      .act_i (act_i),\n"
              "      .in_i  (in_i[s*8*BW +: 8*BW]),\n"
              "      .iacc_i(iacc_i[s*8*AccW +: 8*AccW]),\n"
              "      .out_o (out_o[s*8*AccW +: 8*AccW])\n"
              "    );\n"
              "  end\n"
              "endmodule\n",
              g->prefix, mxf_msq_ports(c), mxf_msq_acc_bits(c), MXF_MSQ_MERGEW,
              mxf_msq_shift_bits(c), mxf_msq_cfg_bits(c), mxf_msq_net_of(c)->name, g->prefix);
    return gen_save_rtl(g, "mxf_msq_recon", &b, err);
}
