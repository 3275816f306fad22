/* ReCoN in RTL: the slice of one micro-block (an 8-port butterfly of 4 stages x 8 switches, each
 * switch PASS / SWAP / four merges / two splits, docs/recon.md; or NET=benes's Benes network and
 * merge cells). The array instantiates one slice per uB of a row (a unit) or of each shared
 * unit. README.md in this folder has the choices.
 *
 * The slice is one combinational block: its network is the task `route`, whose switches are the
 * bodies of loops over word arrays (stage 0, then one loop per stage with its exchange distance
 * a constant), called inside `if (en_i)`: an idle slice (no outlier half in its uB, most of them)
 * returns 0 terms and reads nothing else. The logic is the same as 32 switch instances; written
 * this way the Verilated model skips idle slices, keeps one copy of the network's code for all
 * of them and stays compact (mk/config.mk keeps the loops rolled with --unroll-count). README.md
 * "Simulation speed" has the figures. */
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
 * (every branch writes both: an output a merge or an unused opcode leaves empty is 0). can_merge:
 * the stage may merge (1..3); can_split: it may split (the router splits in stages 0..2 only). The
 * planted switch faults live here. */
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
                  "%s    if (op == OpMergeHH || op == OpMergeLH) begin\n"
                  "%s      so_hi[k] = {1'b1, 1'b0, term}; so_lo[k] = '0;\n"
                  "%s    end else begin\n"
                  "%s      so_hi[k] = '0; so_lo[k] = {1'b1, 1'b0, term};\n"
                  "%s    end\n"
                  "%s  end\n",
                  in, in, in, in, in, in, in);
    }
    if (!can_split) {
        vb_printf(b, "%s  default: begin so_hi[k] = '0; so_lo[k] = '0; end\n%sendcase\n", in, in);
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
    vb_printf(b, "%s  end\n%s  default: begin so_hi[k] = '0; so_lo[k] = '0; end\n%sendcase\n", in,
              in, in);
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

/* The slice's module header (both networks): its parameters and ports, the uB's word in either
 * bank and the row's bank (the slice picks its word only when busy), one input port per wire and
 * one output port per term (after inlining each is a variable of its own in the Verilated model:
 * no row-wide vectors are packed or unpacked per cycle). */
static void slice_head(vbuf *b, const gen_ctx *g, int cb)
{
    const mxf_msq_cfg *c = msq(g);
    vb_printf(b,
              "module %smxf_msq_recon_ub #(\n"
              "  parameter int MergeW = %d,  // |act| (2^M + 2^(M/2) 3 + 3) fits, signed\n"
              "  parameter int AccW   = %d,  // partial-sum bits\n"
              "  parameter int ShW    = %d    // outlier-unit shift bits\n"
              ") (\n"
              "  input  logic [%d:0]         cfg0_i, cfg1_i,  // the uB's word in bank 0, 1\n"
              "  input  logic [ShW-1:0]      osh0_i, osh1_i,  // the uB's outlier unit over the "
              "tile's\n"
              "  input  logic                bank_i,  // the row's bank\n"
              "  input  logic                en_i,    // the uB holds outlier halves\n"
              "  input  logic [7:0]          act_i,   // the row's activation: hidden-bit term\n",
              g->prefix, MXF_MSQ_MERGEW, mxf_msq_acc_bits(c), mxf_msq_shift_bits(c), cb - 1);
    for (int x = 0; x < 8; x++)
        vb_printf(b,
                  "  input  logic [MergeW+1:0]   in%d_i,   // port %d's wire {valid, sign, term}\n",
                  x, x);
    for (int x = 0; x < 8; x++)
        vb_printf(b, "  output logic [AccW-1:0]     t%d_o%s  // port %d's term << osh (0: idle)\n",
                  x, x < 7 ? "," : " ", x);
    vb_printf(b,
              ");\n"
              "  localparam int BW       = MergeW + 2;  // wire {valid, sign, term[MergeW-1:0]}\n");
}

/* The network of both slices is the task `route` (its word, outlier unit, activation and the 8
 * wires in; the 8 terms out). Written as a task, the Verilated model keeps its code out of line
 * (no_inline_task) and the compiler folds the identical copies of every slice into one, so an
 * idle slice's code is two stores and a branch; synthesis inlines the task into the same
 * switches (README.md "Simulation speed"). */
static void slice_task_head(vbuf *b, int cb, const char *cfg_doc)
{
    vb_printf(
        b,
        "  // The network (README.md \"Simulation speed\": a task, one copy of code for every\n"
        "  // slice in the Verilated model; the same switches to synthesis).\n"
        "  task route;\n"
        "    input  [%d:0]         cfg;  // %s\n"
        "    input  [ShW-1:0]      osh;  // the uB's outlier unit over the tile's\n"
        "    input  [7:0]          act;  // the row's activation: hidden-bit term\n"
        "    input  [BW-1:0]       w0, w1, w2, w3, w4, w5, w6, w7;  // port x's wire\n"
        "    output [AccW-1:0]     tv0, tv1, tv2, tv3, tv4, tv5, tv6, tv7;  // its term << osh\n"
        "    /* verilator no_inline_task */\n",
        cb - 1, cfg_doc);
}

/* The slice's body: 0 terms when idle, else the task on the word of the row's bank. always @*,
 * not always_comb: Icarus 11 cannot take bit selects into an always_comb's sensitivity
 * (docs/verilog-subset.md). */
static void slice_call(vbuf *b)
{
    vb_printf(b, "  // An idle slice returns 0 terms and reads nothing else.\n"
                 "  always @* begin\n"
                 "    {t7_o, t6_o, t5_o, t4_o, t3_o, t2_o, t1_o, t0_o} = '0;\n"
                 "    if (en_i)\n"
                 "      route(bank_i ? cfg1_i : cfg0_i, bank_i ? osh1_i : osh0_i, act_i,\n"
                 "            in0_i, in1_i, in2_i, in3_i, in4_i, in5_i, in6_i, in7_i,\n"
                 "            t0_o, t1_o, t2_o, t3_o, t4_o, t5_o, t6_o, t7_o);\n"
                 "  end\n");
}

static int emit_butterfly_ub(gen_ctx *g, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(g);
    vbuf b;
    vb_init(&b);
    const int M = c->bb == 2 ? 2 : 4;
    char win[8 * 40];
    for (int x = 0, o = 0; x < 8; x++)
        o += snprintf(win + o, sizeof win - (size_t)o, "      w_in[%d] = w%d;\n", x, x);
    gen_file_header(
        &b, g, "mxf_msq_recon_ub",
        "ReCoN slice of one micro-block: an 8-port butterfly of 4 stages x 8 2x2 "
        "switches (input stage, then exchange distances 1, 2, 4; docs/recon.md "
        "section 1), each PASS, SWAP, MERGE (Upper on hi or lo, result to hi or lo: "
        "(+-act << M) + (term_U << M/2) + term_L) or SPLIT (the one valid input to one "
        "output, an empty term to the other); output x is the term on the last stage's "
        "switch x hi output, shifted by the uB's outlier unit, for port x's adder. An idle "
        "slice (en_i = 0) returns 0 terms and reads nothing else.");
    slice_head(&b, g, 96);
    vb_printf(&b,
              "  localparam int Stages   = 4;\n"
              "  localparam int Ports    = 8;\n"
              "  localparam int Switches = Stages * Ports;\n"
              "  localparam int Mant     = %d;  // M: mantissa bits of an outlier\n"
              "  localparam int HalfSh   = %d;  // M/2: the Upper half's weight\n"
              "  localparam logic [2:0] OpPass = 3'd0, OpSwap = 3'd1, OpMergeHH = 3'd2,\n"
              "                         OpMergeHL = 3'd3, OpMergeLH = 3'd4, OpMergeLL = 3'd5,\n"
              "                         OpSplitRH = 3'd6, OpSplitRL = 3'd7;\n\n",
              M, M / 2);
    slice_task_head(&b, 96, "op of switch (s, x) at 3(8s + x)");
    vb_printf(
        &b,
        "    // the switch outputs, one word per switch k = s*Ports + x (registers to Yosys)\n"
        "    reg [BW-1:0]            so_hi [Switches];\n"
        "    reg [BW-1:0]            so_lo [Switches];\n"
        "    reg [BW-1:0]            w_in [Ports];  // the input wires\n"
        "    // the switch being evaluated: its opcode, the stage's opcodes not yet taken\n"
        "    reg [2:0]               op;\n"
        "    reg [3*Ports-1:0]       ops;\n"
        "    reg [31:0]              x;  // its port (unsigned: no signed compare per switch)\n"
        "%s"
        "    reg [BW-1:0]            hi, lo, u_b, split_b, empty;\n"
        "%s"
        "    reg                     upper_lo;\n"
        "    reg [MergeW-1:0]        l_t;\n"
        "    reg signed [MergeW-1:0] act_x, hid, term;\n"
        "    reg [MergeW-1:0]        t_out;  // a last-stage term\n"
        "    begin\n"
        "      act_x = {{(MergeW-8){act[7]}}, act};\n"
        "      // wires and terms at constant offsets (a part select at a loop-variable offset\n"
        "      // costs a wide-word function call per port in the C++), a stage's opcodes as\n"
        "      // one constant slice, three bits taken per switch\n"
        "%s"
        "      // stage 0: port x's wire on hi, lo tied to an empty wire; no merge\n"
        "      ops = cfg[0 +: 3*Ports];\n"
        "      for (x = 0; x < Ports; x = x + 1) begin\n"
        "        op = ops[2:0];\n"
        "        ops = ops >> 3;\n"
        "        hi = w_in[x];\n"
        "        lo = '0;\n",
        c->fault == MXF_MSQ_FAULT_SW_SIGN
            ? "    // (FAULT sw-sign: the Upper wire's sign bit is read by nothing)\n"
              "    /* verilator lint_off UNUSEDSIGNAL */\n"
            : "",
        c->fault == MXF_MSQ_FAULT_SW_SIGN ? "    /* verilator lint_on UNUSEDSIGNAL */\n" : "", win);
    switch_body(&b, c, 0, 1, "x");
    vb_printf(&b, "      end\n");
    /* stages 1..3, one loop each: switch x of stage s takes its pair at distance d = 2^(s-1)
     * from stage s-1, the hi outputs if x is the pair's lower index, else the lo outputs */
    for (int st = 1; st < 4; st++) {
        const int d = 1 << (st - 1);
        vb_printf(&b,
                  "      // stage %d: exchange distance %d\n"
                  "      ops = cfg[3*%d*Ports +: 3*Ports];\n"
                  "      for (x = 0; x < Ports; x = x + 1) begin\n"
                  "        op = ops[2:0];\n"
                  "        ops = ops >> 3;\n"
                  "        if ((x & %d) == 0) begin\n"
                  "          hi = so_hi[%d*Ports + (x & ~%d)];\n"
                  "          lo = so_hi[%d*Ports + (x & ~%d) + %d];\n"
                  "        end else begin\n"
                  "          hi = so_lo[%d*Ports + (x & ~%d)];\n"
                  "          lo = so_lo[%d*Ports + (x & ~%d) + %d];\n"
                  "        end\n",
                  st, d, st, d, st - 1, d, st - 1, d, d, st - 1, d, st - 1, d, d);
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
                  "      tv%d = {{(AccW-MergeW){t_out[MergeW-1]}}, t_out} <<< %s;\n",
                  x, x, c->fault == MXF_MSQ_FAULT_SW_SHIFT ? "(osh & {ShW{1'b0}})" : "osh");
    vb_printf(&b, "    end\n"
                  "  endtask\n\n");
    slice_call(&b);
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
    gen_file_header(
        &b, g, "mxf_msq_recon_ub",
        "ReCoN slice of one micro-block, NET=benes: the 8 ports' products cross an 8-port "
        "Benes network (5 stages x 4 2x2 switches, each passing or crossing; every placement "
        "of Lower halves routes), then each port holding an Upper half merges (+-act << M) + "
        "(term_U << M/2) + the product that arrived, shifted by the uB's outlier unit, for the "
        "port's adder. An idle slice (en_i = 0) returns 0 terms and reads nothing else.");
    slice_head(&b, g, mxf_msq_cfg_bits(c));
    vb_printf(&b,
              "  localparam int ResW     = %d;  // a product: 8-bit act x 3-bit magnitude, "
              "signed\n"
              "  localparam int Ports    = 8;\n"
              "  localparam int Stages   = %d;\n"
              "  localparam int Switches = %d;  // Stages * Ports / 2\n"
              "  localparam int Mant     = %d;  // M: mantissa bits of an outlier\n"
              "  localparam int HalfSh   = %d;  // M/2: the Upper half's weight\n\n",
              MXF_MSQ_RESW, S, MXF_MSQ_BENES_SWITCHES, M, M / 2);
    char doc[64];
    snprintf(doc, sizeof doc, "bit k < %d: switch k crosses; bit %d + x: port x merges",
             MXF_MSQ_BENES_SWITCHES, MXF_MSQ_BENES_SWITCHES);
    slice_task_head(&b, mxf_msq_cfg_bits(c), doc);
    vb_printf(&b, "    reg [BW-1:0]            in_w [Ports];\n"
                  "    reg [ResW-1:0]          v [(Stages+1)*Ports];  // row x of stage s: "
                  "v[s*Ports + x]\n"
                  "    reg [AccW-1:0]          tw [Ports];  // the ports' terms\n"
                  "    reg signed [MergeW-1:0] act_x, hid, term;\n"
                  "    reg [ResW-1:0]          l_r;  // the product that arrived\n"
                  "    reg [31:0]              i;    // a merge cell's port\n"
                  "    begin\n"
                  "      act_x = {{(MergeW-8){act[7]}}, act};\n");
    for (int x = 0; x < 8; x++) vb_printf(&b, "      in_w[%d] = w%d;\n", x, x);
    /* (constant indices: a loop-variable index of a write in a non-inlined task is a variable
       outside it to Verilator 5.006) */
    for (int x = 0; x < 8; x++) vb_printf(&b, "      v[%d] = in_w[%d][ResW-1:0];\n", x, x);
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
                          "      v[%d] = cfg[%d] ? v[%d] : v[%d];\n"
                          "      v[%d] = cfg[%d] ? v[%d] : v[%d];\n",
                          o0, k, bb, a, o1, k, a, bb);
        }
    }
    vb_printf(&b, "      // the merge cells\n"
                  "      for (i = 0; i < Ports; i = i + 1) begin\n"
                  "        tw[i] = '0;\n"
                  "        if (cfg[Switches + i]) begin\n"
                  "          l_r = v[Stages*Ports + i];\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SIGN)
        vb_printf(&b, "          // FAULT sw-sign: the hidden-bit term is always +act\n"
                      "          hid = act_x <<< Mant;\n");
    else
        vb_printf(&b, "          hid = in_w[i][BW-2] ? -(act_x <<< Mant) : (act_x <<< Mant);\n");
    vb_printf(&b, "          term = hid + (in_w[i][MergeW-1:0] <<< HalfSh) + "
                  "{{(MergeW-ResW){l_r[ResW-1]}}, l_r};\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SHIFT)
        vb_printf(&b, "          // FAULT sw-shift: the outlier-unit shift is dropped\n"
                      "          tw[i] = {{(AccW-MergeW){term[MergeW-1]}}, term} <<< "
                      "(osh & {ShW{1'b0}});\n");
    else
        vb_printf(&b, "          tw[i] = {{(AccW-MergeW){term[MergeW-1]}}, term} <<< osh;\n");
    vb_printf(&b, "        end\n"
                  "      end\n");
    for (int x = 0; x < 8; x++) vb_printf(&b, "      tv%d = tw[%d];\n", x, x);
    vb_printf(&b, "    end\n"
                  "  endtask\n\n");
    slice_call(&b);
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
