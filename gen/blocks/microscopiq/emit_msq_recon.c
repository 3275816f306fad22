/* ReCoN in RTL: the slice of one micro-block (an 8-port butterfly of 4 stages x 8 switches, each
 * switch PASS / SWAP / four merges / two splits, docs/recon.md; or NET=benes's Benes network and
 * merge cells). The array instantiates one slice per uB of a row (a unit) or of each shared
 * unit. README.md in this folder has the choices.
 *
 * The slice is one combinational block: its network is the task `mxf_msq_route` (the butterfly's
 * 32 switches written out, one pair of words per switch), called inside `if (en_i)`: an idle
 * slice (no outlier half in its uB, most of them) returns 0 terms and reads nothing else. The
 * logic is the same as 32 switch instances. The task's one text is written twice into the file:
 * at compilation-unit scope for Verilator, where every slice instance then calls one C++
 * function, and inside the module for Icarus and synthesis (a compilation-unit task shared by
 * many instances livelocks Icarus 11). README.md "Simulation speed" has the figures. */
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

/* The task's locals are indented under it; a switch's lines under its case. */
#define IN "    "

/* One switch's outputs: "oh = vh; ol = vl;" (ol NULL: a last-stage switch, whose lo output
 * nothing reads). */
static void outs(vbuf *b, const char *oh, const char *vh, const char *ol, const char *vl)
{
    vb_printf(b, "%s = %s;", oh, vh);
    if (ol) vb_printf(b, " %s = %s;", ol, vl);
}

/* The body of one switch: its inputs hi, lo (set just before) and opcode op give its hi output
 * oh and lo output ol (every branch writes both: an output a merge or an unused opcode leaves
 * empty is 0). can_merge: the stage may merge (1..3); can_split: it may split (the router splits
 * in stages 0..2 only). The planted switch faults live here. */
static void switch_case(vbuf *b, const mxf_msq_cfg *c, const char *oh, const char *ol,
                        int can_merge, int can_split)
{
    /* The items' order matters to the model's speed, not its logic: Verilated with -fno-case
       (msq_block.c vflags) the case is a chain of compares in this order, and PASS and SWAP
       are most switches of a busy slice. */
    vb_printf(b, IN "case (op)\n" IN "  OpPass: begin ");
    outs(b, oh, "hi", ol, "lo");
    vb_printf(b, " end\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SWAP) {
        vb_printf(b, IN "  // FAULT sw-swap: SWAP passes straight\n" IN "  OpSwap: begin ");
        outs(b, oh, "hi", ol, "lo");
    } else {
        vb_printf(b, IN "  OpSwap: begin ");
        outs(b, oh, "lo", ol, "hi");
    }
    vb_printf(b, " end\n");
    if (can_merge) {
        vb_printf(b, IN "  OpMergeHH, OpMergeHL, OpMergeLH, OpMergeLL: begin\n");
        if (c->fault == MXF_MSQ_FAULT_SW_MIRROR)
            vb_printf(b, IN
                      "    // FAULT sw-mirror: MERGE_LH takes the Upper half from the hi port\n" IN
                      "    upper_lo = (op == OpMergeLL);\n");
        else
            vb_printf(b, IN "    upper_lo = (op == OpMergeLH) || (op == OpMergeLL);\n");
        vb_printf(b,
                  IN "    u_b = upper_lo ? lo : hi;  // the Upper wire\n" IN
                     "    l_t = upper_lo ? hi[MergeW-1:0] : lo[MergeW-1:0];  // the Lower term\n");
        if (c->fault == MXF_MSQ_FAULT_SW_SIGN)
            vb_printf(b, IN "    // FAULT sw-sign: the hidden-bit term is always +act\n" IN
                            "    hid = act_x <<< Mant;\n");
        else
            vb_printf(b, IN "    hid = u_b[BW-2] ? -(act_x <<< Mant) : (act_x <<< Mant);\n");
        vb_printf(b, IN "    term = hid + (u_b[MergeW-1:0] <<< HalfSh) + l_t;\n" IN
                        "    if (op == OpMergeHH || op == OpMergeLH) begin ");
        outs(b, oh, "{1'b1, 1'b0, term}", ol, "'0");
        vb_printf(b, " end\n" IN "    else begin ");
        outs(b, oh, "'0", ol, "{1'b1, 1'b0, term}");
        vb_printf(b, " end\n" IN "  end\n");
    }
    if (can_split) {
        vb_printf(b, IN "  OpSplitRH, OpSplitRL: begin\n" IN
                        "    split_b = hi[BW-1] ? hi : lo;  // the one valid input\n" IN
                        "    empty = {split_b[BW-1], 1'b0, {MergeW{1'b0}}};\n");
        if (c->fault == MXF_MSQ_FAULT_SW_SPLIT) {
            vb_printf(b,
                      IN "    // FAULT sw-split: SPLIT_RH behaves as SPLIT_RL\n" IN "    begin ");
            outs(b, oh, "empty", ol, "split_b");
        } else {
            vb_printf(b, IN "    if (op == OpSplitRH) begin ");
            outs(b, oh, "split_b", ol, "empty");
            vb_printf(b, " end\n" IN "    else begin ");
            outs(b, oh, "empty", ol, "split_b");
        }
        vb_printf(b, " end\n" IN "  end\n");
    }
    vb_printf(b, IN "  default: begin ");
    outs(b, oh, "'0", ol, "'0");
    vb_printf(b, " end\n" IN "endcase\n");
}

/* The slice's module header (both networks): its parameters and ports, the uB's word in either
 * bank and the row's bank (the slice picks its word only when busy), one input port per wire and
 * one output port per term (after inlining each is a variable of its own in the Verilated model:
 * no row-wide vectors are packed or unpacked per cycle). Its parameter names differ from the
 * task's local ones, which would hide them inside the module. */
static void slice_head(vbuf *b, const gen_ctx *g, int cb)
{
    const mxf_msq_cfg *c = msq(g);
    vb_printf(b,
              "module %smxf_msq_recon_ub #(\n"
              "  parameter int WireW  = %d,  // a wire {valid, sign, term}: |act| (2^M + 2^(M/2) 3 "
              "+ 3) fits the term, signed\n"
              "  parameter int TermW  = %d,  // a term out: partial-sum bits\n"
              "  parameter int OshW   = %d    // outlier-unit shift bits\n"
              ") (\n"
              "  input  logic [%d:0]         cfg0_i, cfg1_i,  // the uB's word in bank 0, 1\n"
              "  input  logic [OshW-1:0]     osh0_i, osh1_i,  // the uB's outlier unit over the "
              "tile's\n"
              "  input  logic                bank_i,  // the row's bank\n"
              "  input  logic                en_i,    // the uB holds outlier halves\n"
              "  input  logic [7:0]          act_i,   // the row's activation: hidden-bit term\n",
              g->prefix, MXF_MSQ_MERGEW + 2, mxf_msq_acc_bits(c), mxf_msq_shift_bits(c), cb - 1);
    for (int x = 0; x < 8; x++)
        vb_printf(b, "  input  logic [WireW-1:0]    in%d_i,   // port %d's wire\n", x, x);
    for (int x = 0; x < 8; x++)
        vb_printf(b, "  output logic [TermW-1:0]    t%d_o%s  // port %d's term << osh (0: idle)\n",
                  x, x < 7 ? "," : " ", x);
    vb_printf(b, ");\n");
}

/* The network's task up to its body (both networks): its ports, with the slice's widths as
 * numbers (at compilation-unit scope it sees no module parameter), then the same widths as
 * local parameters for the body, with M (mant) and M/2. */
static void task_head(vbuf *b, const gen_ctx *g, int cb, const char *cfg_doc)
{
    const mxf_msq_cfg *c = msq(g);
    const int aw = mxf_msq_acc_bits(c), shw = mxf_msq_shift_bits(c), bw = MXF_MSQ_MERGEW + 2,
              mant = c->bb == 2 ? 2 : 4;
    vb_printf(b,
              "task automatic %smxf_msq_route;\n"
              "  input  [%d:0]  cfg;  // %s\n"
              "  input  [%d:0]   osh;  // the uB's outlier unit over the tile's\n"
              "  input  [7:0]   act;  // the row's activation: hidden-bit term\n"
              "  input  [%d:0]  w0, w1, w2, w3, w4, w5, w6, w7;  // port x's wire\n"
              "  output [%d:0]  tv0, tv1, tv2, tv3, tv4, tv5, tv6, tv7;  // its term << osh\n"
              "  /* verilator no_inline_task */\n"
              "  localparam int MergeW   = %d;  // a merged term, signed\n"
              "  localparam int AccW     = %d;  // partial-sum bits\n"
              "  localparam int BW       = MergeW + 2;  // wire {valid, sign, term[MergeW-1:0]}\n"
              "  localparam int Mant     = %d;  // M: mantissa bits of an outlier\n"
              "  localparam int HalfSh   = %d;  // M/2: the Upper half's weight\n",
              g->prefix, cb - 1, cfg_doc, shw - 1, bw - 1, aw - 1, MXF_MSQ_MERGEW, aw, mant,
              mant / 2);
}

/* The butterfly's task: 32 switches written out, switch (s, x)'s outputs the words hS_X, lS_X
 * (the last stage's hi only: output x is the term on its switch x). */
static void butterfly_task(vbuf *b, const gen_ctx *g)
{
    const mxf_msq_cfg *c = msq(g);
    task_head(b, g, MXF_MSQ_CFGW, "op of switch (s, x) at 3(8s + x)");
    vb_printf(b, "  localparam logic [2:0] OpPass = 3'd0, OpSwap = 3'd1, OpMergeHH = 3'd2,\n"
                 "                         OpMergeHL = 3'd3, OpMergeLH = 3'd4, OpMergeLL = 3'd5,\n"
                 "                         OpSplitRH = 3'd6, OpSplitRL = 3'd7;\n"
                 "  // switch (s, x)'s hi and lo outputs\n");
    for (int s = 0; s < 4; s++)
        for (int hl = 0; hl < (s < 3 ? 2 : 1); hl++) {
            vb_printf(b, "  logic [BW-1:0]        ");
            for (int x = 0; x < 8; x++)
                vb_printf(b, "%c%d_%d%s", hl ? 'l' : 'h', s, x, x < 7 ? ", " : ";\n");
        }
    vb_printf(b,
              "  // the switch being evaluated: its opcode and inputs\n"
              "  logic [2:0]           op;\n"
              "  logic [BW-1:0]        hi, lo, split_b, empty;\n"
              "%s"
              "  logic [BW-1:0]        u_b;\n"
              "%s"
              "  logic                 upper_lo;\n"
              "  logic [MergeW-1:0]    l_t;\n"
              "  logic signed [MergeW-1:0] act_x, hid, term;\n"
              "  begin\n"
              "    act_x = {{(MergeW-8){act[7]}}, act};\n",
              c->fault == MXF_MSQ_FAULT_SW_SIGN
                  ? "  // (FAULT sw-sign: the Upper wire's sign bit is read by nothing)\n"
                    "  /* verilator lint_off UNUSEDSIGNAL */\n"
                  : "",
              c->fault == MXF_MSQ_FAULT_SW_SIGN ? "  /* verilator lint_on UNUSEDSIGNAL */\n" : "");
    for (int s = 0; s < 4; s++) {
        const int d = s ? 1 << (s - 1) : 0;
        if (s)
            vb_printf(b, "    // stage %d: exchange distance %d\n", s, d);
        else
            vb_printf(b,
                      "    // stage 0: port x's wire on hi, lo tied to an empty wire; no merge\n");
        for (int x = 0; x < 8; x++) {
            vb_printf(b, "    op = cfg[%d:%d];\n", 3 * (8 * s + x) + 2, 3 * (8 * s + x));
            if (!s)
                vb_printf(b, "    hi = w%d;\n    lo = '0;\n", x);
            else {
                /* switch x takes its pair at distance d from stage s-1: the hi outputs if x is
                 * the pair's lower index, else the lo outputs */
                const char o = (x & d) ? 'l' : 'h';
                const int p = x & ~d;
                vb_printf(b, "    hi = %c%d_%d;\n    lo = %c%d_%d;\n", o, s - 1, p, o, s - 1,
                          p + d);
            }
            char oh[32], ol[32];
            snprintf(oh, sizeof oh, "h%d_%d", s, x);
            snprintf(ol, sizeof ol, "l%d_%d", s, x);
            switch_case(b, c, oh, s < 3 ? ol : NULL, s > 0, s < 3);
        }
    }
    vb_printf(b, "    // output x: the term on the last stage's switch x hi output, in the tile's "
                 "unit\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SHIFT)
        vb_printf(b, "    // FAULT sw-shift: the outlier-unit shift is dropped\n");
    for (int x = 0; x < 8; x++)
        vb_printf(b, "    tv%d = {{(AccW-MergeW){h3_%d[MergeW-1]}}, h3_%d[MergeW-1:0]} <<< %s;\n",
                  x, x, x, c->fault == MXF_MSQ_FAULT_SW_SHIFT ? "(osh & '0)" : "osh");
    vb_printf(b, "  end\n"
                 "endtask\n");
}

/* NET=benes's task: the Lower halves' products cross an 8-port Benes network (5 stages x 4
 * pass/cross switches, mxf_benes_wiring; any permutation routes), then each port's merge cell
 * adds, where the port holds an Upper half, the hidden-bit term, its own product and the product
 * that arrived. The wiring is written out as constant-index assignments from the C table. */
static void benes_task(vbuf *b, const gen_ctx *g)
{
    const mxf_msq_cfg *c = msq(g);
    mxf_benes_switch sw[MXF_MSQ_BENES_SWITCHES];
    const int S = mxf_benes_wiring(8, sw);
    char doc[64];
    snprintf(doc, sizeof doc, "bit k < %d: switch k crosses; bit %d + x: port x merges",
             MXF_MSQ_BENES_SWITCHES, MXF_MSQ_BENES_SWITCHES);
    task_head(b, g, mxf_msq_cfg_bits(c), doc);
    vb_printf(b,
              "  localparam int ResW     = %d;  // a product: 8-bit act x 3-bit magnitude, signed\n"
              "  localparam int Ports    = 8;\n"
              "  localparam int Stages   = %d;\n"
              "  localparam int Switches = %d;  // Stages * Ports / 2\n"
              "  logic [BW-1:0]        in_w [Ports];\n"
              "  logic [ResW-1:0]      v [(Stages+1)*Ports];  // row x of stage s: v[s*Ports + x]\n"
              "  logic [AccW-1:0]      tw [Ports];  // the ports' terms\n"
              "  logic signed [MergeW-1:0] act_x, hid, term;\n"
              "  logic [ResW-1:0]      l_r;  // the product that arrived\n"
              "  logic [31:0]          i;    // a merge cell's port\n"
              "  begin\n"
              "    act_x = {{(MergeW-8){act[7]}}, act};\n",
              MXF_MSQ_RESW, S, MXF_MSQ_BENES_SWITCHES);
    for (int x = 0; x < 8; x++) vb_printf(b, "    in_w[%d] = w%d;\n", x, x);
    /* (constant indices: a loop-variable index of a write in a non-inlined task is a variable
       outside it to Verilator 5.006) */
    for (int x = 0; x < 8; x++) vb_printf(b, "    v[%d] = in_w[%d][ResW-1:0];\n", x, x);
    for (int s = 0; s < S; s++) {
        vb_printf(b, "    // stage %d\n", s);
        for (int i = 0; i < 4; i++) {
            const mxf_benes_switch *w = &sw[s * 4 + i];
            const int k = s * 4 + i, a = 8 * s + w->in[0], bb = 8 * s + w->in[1],
                      o0 = 8 * (s + 1) + w->out[0], o1 = 8 * (s + 1) + w->out[1];
            if (c->fault == MXF_MSQ_FAULT_SW_SWAP)
                vb_printf(b,
                          "    v[%d] = v[%d];  // FAULT sw-swap: switch %d never crosses\n"
                          "    v[%d] = v[%d];\n",
                          o0, a, k, o1, bb);
            else
                vb_printf(b,
                          "    v[%d] = cfg[%d] ? v[%d] : v[%d];\n"
                          "    v[%d] = cfg[%d] ? v[%d] : v[%d];\n",
                          o0, k, bb, a, o1, k, a, bb);
        }
    }
    vb_printf(b, "    // the merge cells\n"
                 "    for (i = 0; i < Ports; i = i + 1) begin\n"
                 "      tw[i] = '0;\n"
                 "      if (cfg[Switches + i]) begin\n"
                 "        l_r = v[Stages*Ports + i];\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SIGN)
        vb_printf(b, "        // FAULT sw-sign: the hidden-bit term is always +act\n"
                     "        hid = act_x <<< Mant;\n");
    else
        vb_printf(b, "        hid = in_w[i][BW-2] ? -(act_x <<< Mant) : (act_x <<< Mant);\n");
    vb_printf(b, "        term = hid + (in_w[i][MergeW-1:0] <<< HalfSh) + "
                 "{{(MergeW-ResW){l_r[ResW-1]}}, l_r};\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SHIFT)
        vb_printf(b, "        // FAULT sw-shift: the outlier-unit shift is dropped\n"
                     "        tw[i] = {{(AccW-MergeW){term[MergeW-1]}}, term} <<< "
                     "(osh & '0);\n");
    else
        vb_printf(b, "        tw[i] = {{(AccW-MergeW){term[MergeW-1]}}, term} <<< osh;\n");
    vb_printf(b, "      end\n"
                 "    end\n");
    for (int x = 0; x < 8; x++) vb_printf(b, "    tv%d = tw[%d];\n", x, x);
    vb_printf(b, "  end\n"
                 "endtask\n");
}

/* Appends text t to b with every non-empty line indented by two spaces. */
static void indented(vbuf *b, const vbuf *t)
{
    const char *p = t->s ? t->s : "";
    while (*p) {
        const char *e = strchr(p, '\n');
        const int n = e ? (int)(e - p) : (int)strlen(p);
        vb_printf(b, "%s%.*s\n", n ? "  " : "", n, p);
        p += n + (e != NULL);
    }
}

/* The slice of either network: the network's task text (route) at compilation-unit scope under
 * `ifdef VERILATOR and the same text inside the module otherwise, then the body: 0 terms when
 * idle, else the task on the word of the row's bank. always @*, not always_comb: Icarus 11
 * cannot take bit selects into an always_comb's sensitivity (docs/verilog-subset.md). */
static int emit_slice(gen_ctx *g, void (*route)(vbuf *, const gen_ctx *), int cb, const char *what,
                      mxf_err *err)
{
    vbuf b, t;
    vb_init(&b);
    vb_init(&t);
    route(&t, g);
    if (t.oom) b.oom = 1;
    gen_file_header(&b, g, "mxf_msq_recon_ub", what);
    vb_printf(
        &b,
        "// The network is the task %smxf_msq_route, its one text written twice: here at\n"
        "// compilation-unit scope for Verilator (every slice instance calls one function of\n"
        "// the model, README.md \"Simulation speed\"), and inside the module for every other\n"
        "// tool (Icarus 11 livelocks on a compilation-unit task called by many instances).\n"
        "`ifdef VERILATOR\n%s`endif\n\n",
        g->prefix, t.s ? t.s : "");
    slice_head(&b, g, cb);
    vb_printf(&b, "`ifndef VERILATOR\n");
    indented(&b, &t);
    vb_printf(&b, "`endif\n\n"
                  "  // An idle slice returns 0 terms and reads nothing else.\n"
                  "  always @* begin\n"
                  "    {t7_o, t6_o, t5_o, t4_o, t3_o, t2_o, t1_o, t0_o} = '0;\n"
                  "    if (en_i)\n");
    vb_printf(&b,
              "      %smxf_msq_route(bank_i ? cfg1_i : cfg0_i, bank_i ? osh1_i : osh0_i, act_i,\n"
              "            in0_i, in1_i, in2_i, in3_i, in4_i, in5_i, in6_i, in7_i,\n"
              "            t0_o, t1_o, t2_o, t3_o, t4_o, t5_o, t6_o, t7_o);\n"
              "  end\n"
              "endmodule\n",
              g->prefix);
    vb_free(&t);
    return gen_save_rtl(g, "mxf_msq_recon_ub", &b, err);
}

int emit_msq_recon_ub(gen_ctx *g, mxf_err *err)
{
    static const struct {
        void (*route)(vbuf *, const gen_ctx *);
        const char *what;
    } net[MXF_MSQ_NET_COUNT] = {
        [MXF_MSQ_NET_BUTTERFLY] = {butterfly_task,
                                   "ReCoN slice of one micro-block: an 8-port butterfly of 4 "
                                   "stages x 8 2x2 switches (input stage, then exchange distances "
                                   "1, 2, 4; docs/recon.md section 1), each PASS, SWAP, MERGE "
                                   "(Upper on hi or lo, result to hi or lo: (+-act << M) + (term_U "
                                   "<< M/2) + term_L) or SPLIT (the one valid input to one output, "
                                   "an empty term to the other); output x is the term on the last "
                                   "stage's switch x hi output, shifted by the uB's outlier unit, "
                                   "for port x's adder. An idle slice (en_i = 0) returns 0 terms "
                                   "and reads nothing else."},
        [MXF_MSQ_NET_BENES] = {benes_task,
                               "ReCoN slice of one micro-block, NET=benes: the 8 ports' products "
                               "cross an 8-port Benes network (5 stages x 4 2x2 switches, each "
                               "passing or crossing; every placement of Lower halves routes), then "
                               "each port holding an Upper half merges (+-act << M) + (term_U << "
                               "M/2) + the product that arrived, shifted by the uB's outlier unit, "
                               "for the port's adder. An idle slice (en_i = 0) returns 0 terms and "
                               "reads nothing else."},
    };
    const mxf_msq_cfg *c = msq(g);
    return emit_slice(g, net[c->net].route, c->net == MXF_MSQ_NET_BENES ? mxf_msq_cfg_bits(c) : 96,
                      net[c->net].what, err);
}
