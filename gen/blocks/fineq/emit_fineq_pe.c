/* The FineQ blocks' leaf modules: the cluster decoder at the top of each column, the
 * temporal-coded PE (block fineq) and the multiplier PE (block fineq-mul). Both PEs share the
 * weight-load chain and the double-buffered 3-bit weight banks; only the MAC differs. */
#include "fineq_golden.h"
#include "fineq_harness.h"
#include "gen.h"

static const mxf_fq_cfg *fq(const gen_ctx *g)
{
    return (const mxf_fq_cfg *)(const void *)g->cfg.blob;
}

int emit_fq_dec(gen_ctx *g, mxf_err *err)
{
    const mxf_fq_cfg *c = fq(g);
    vbuf b;
    vb_init(&b);
    gen_file_header(&b, g, "mxf_fq_dec",
                    "FineQ cluster decoder: one byte (2-bit index + 6 data bits) -> three signed "
                    "3-bit codes for three consecutive K positions; muxes only, no arithmetic.");
    vb_printf(&b,
              "module %smxf_fq_dec #(\n"
              "  parameter int CodeW = %d  // decoded code bits (signed)\n"
              ") (\n"
              "  input  logic [7:0]         cluster_i,\n"
              "  output logic [3*CodeW-1:0] q_o  // q_o[CodeW*i +: CodeW]: position i\n"
              ");\n"
              "  localparam int IdxW  = 2;  // cluster index bits\n"
              "  localparam int SlotW = 3;  // outlier slot bits\n\n"
              "  logic [IdxW-1:0]  idx;\n"
              "  logic [SlotW-1:0] slot_a, slot_b;\n"
              "  logic [CodeW-1:0] n0, n1, n2;  // the three 2-bit codes, sign-extended\n"
              "  logic [CodeW-1:0] zero;\n\n"
              "  assign idx    = cluster_i[7:6];\n"
              "  assign slot_a = cluster_i[5:3];\n"
              "  assign slot_b = cluster_i[2:0];\n"
              "  assign zero   = '0;\n",
              g->prefix, MXF_FQ_CODEW);
    if (c->fault == MXF_FQ_FAULT_DEC_SEXT)
        vb_printf(&b, "  // FAULT dec-sext: 2-bit codes zero-extended\n"
                      "  assign n0 = {1'b0, cluster_i[5:4]};\n"
                      "  assign n1 = {1'b0, cluster_i[3:2]};\n"
                      "  assign n2 = {1'b0, cluster_i[1:0]};\n");
    else
        vb_printf(&b, "  assign n0 = {cluster_i[5], cluster_i[5:4]};\n"
                      "  assign n1 = {cluster_i[3], cluster_i[3:2]};\n"
                      "  assign n2 = {cluster_i[1], cluster_i[1:0]};\n");
    const int slot = c->fault == MXF_FQ_FAULT_DEC_SLOT;
    vb_printf(&b,
              "\n  // idx 00: three 2-bit codes; idx p+1: position p is the zeroed weight and the\n"
              "  // two 3-bit slots hold the other two positions in K order.\n"
              "%s"
              "  always_comb begin\n"
              "    case (idx)\n"
              "      2'd0:    q_o = {n2, n1, n0};\n"
              "      2'd1:    q_o = {slot_b, slot_a, zero};\n"
              "      2'd2:    q_o = %s;\n"
              "      default: q_o = {zero, slot_b, slot_a};\n"
              "    endcase\n"
              "  end\n"
              "endmodule\n",
              slot ? "  // FAULT dec-slot: idx 10 swaps its slots\n" : "",
              slot ? "{slot_a, zero, slot_b}" : "{slot_b, zero, slot_a}");
    return gen_save_rtl(g, "mxf_fq_dec", &b, err);
}

/* The ports and the weight chain both PEs share. */
static void pe_head(vbuf *b, const gen_ctx *g, const char *mod, int with_step)
{
    const mxf_fq_cfg *c = fq(g);
    vb_printf(b,
              "module %s%s #(\n"
              "  parameter int ActW  = %d,  // activation bits (signed)\n"
              "  parameter int CodeW = %d,  // weight code bits (signed)\n"
              "  parameter int AccW  = %d  // partial-sum bits: ActW + CodeW + clog2(rows)\n"
              ") (\n"
              "  input  logic            clk_i,\n"
              "  input  logic            rst_ni,\n"
              "%s"
              "  // activation stream (moves right one PE per step)\n"
              "  input  logic            a_valid_i,\n"
              "  input  logic            a_bank_i,\n"
              "  input  logic [ActW-1:0] a_i,\n"
              "  output logic            a_valid_o,\n"
              "  output logic            a_bank_o,\n"
              "  output logic [ActW-1:0] a_o,\n"
              "  // partial sums (move down one PE per step)\n"
              "  input  logic [AccW-1:0] psum_i,\n"
              "  output logic [AccW-1:0] psum_o,\n"
              "  // weight write from this cluster group's load-chain stage (mxf_fq_wlink)\n"
              "  input  logic             w_we_i,\n"
              "  input  logic             w_bank_i,\n"
              "  input  logic [CodeW-1:0] w_i\n"
              ");\n"
              "  logic [CodeW-1:0] w0_q, w1_q;  // weight banks\n"
              "  logic [CodeW-1:0] w_sel;\n\n"
              "  assign w_sel = a_bank_i ? w1_q : w0_q;\n\n",
              g->prefix, mod, MXF_FQ_ABITS, MXF_FQ_CODEW, mxf_fq_acc_bits(c),
              with_step
                  ? "  input  logic            step_i,  // the array advances on this cycle\n"
                    "  output logic            busy_o,  // pulses left: the next step must wait\n"
                  : "");
}

/* The banks (no reset: a bank is written before any activation names it). */
static void pe_banks(vbuf *b)
{
    vb_printf(b, "  always_ff @(posedge clk_i) begin\n"
                 "    if (w_we_i && !w_bank_i) w0_q <= w_i;\n"
                 "    if (w_we_i && w_bank_i)  w1_q <= w_i;\n"
                 "  end\n"
                 "endmodule\n");
}

/* Reset of the control bits: the activation valid (FAULT noreset: none) and extra ones. */
static void pe_ctrl(vbuf *b, int noreset, const char *extra_rst, const char *extra_run)
{
    vb_printf(b,
              "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
              "    if (!rst_ni) begin\n"
              "%s%s"
              "    end else begin\n"
              "%s%s"
              "    end\n"
              "  end\n"
              "%s\n",
              noreset ? "" : "      a_valid_o <= 1'b0;\n", extra_rst,
              noreset ? "" : "      if (step_en) a_valid_o <= a_valid_i;\n", extra_run,
              noreset ? "  // FAULT noreset: the activation valid bit has no reset\n"
                        "  always_ff @(posedge clk_i) if (step_en) a_valid_o <= a_valid_i;\n"
                      : "");
}

int emit_fq_pe(gen_ctx *g, mxf_err *err)
{
    const mxf_fq_cfg *c = fq(g);
    vbuf b;
    vb_init(&b);
    gen_file_header(&b, g, "mxf_fq_pe",
                    "Temporal-coded PE: a MAC is |q| additions (subtractions for q < 0) of the "
                    "activation, one per cycle, counted down by a pulse counter; zero weights and "
                    "zero activations cost no pulses. No multiplier.");
    pe_head(&b, g, "mxf_fq_pe", 1);
    const char *load = c->fault == MXF_FQ_FAULT_CNT_SHORT
                           ? "  // FAULT cnt-short: the counter starts one pulse short\n"
                             "  assign cnt_load = (mag > MagW'(1)) ? CntW'(mag - MagW'(2)) : '0;\n"
                           : "  assign cnt_load = CntW'(mag - MagW'(1));\n";
    const char *neg =
        c->fault == MXF_FQ_FAULT_ADDSUB
            ? "  // FAULT addsub: negative codes add\n  assign neg = 1'b0 & (step_i ? "
              "w_sel[CodeW-1] : neg_q);\n"
            : "  assign neg     = step_i ? w_sel[CodeW-1] : neg_q;\n";
    vb_printf(
        &b,
        "  localparam int MagW = CodeW;      // |q| <= 4\n"
        "  localparam int CntW = CodeW - 1;  // pulses left after the first: <= 3\n\n"
        "  logic [MagW-1:0] mag;\n"
        "  logic [CntW-1:0] cnt_q, cnt_load;\n"
        "  logic            neg_q, neg, neg_g, fire, pulse, step_en;\n"
        "  logic [ActW-1:0] a_sel, a_g;\n"
        "  logic [AccW-1:0] base, term;\n"
        "  logic [AccW:0]   sum1;\n\n"
        "  assign step_en = step_i;\n"
        "  assign mag     = w_sel[CodeW-1] ? MagW'(-w_sel) : w_sel;\n"
        "  // a MAC starts on a step whose activation is valid, non-zero and meets q != 0\n"
        "  assign fire    = a_valid_i && (mag != '0) && (a_i != '0);\n"
        "%s"
        "  assign pulse   = step_i ? fire : (cnt_q != '0);\n"
        "%s"
        "  assign a_sel   = step_i ? a_i : a_o;\n"
        "  assign base    = step_i ? psum_i : psum_o;\n"
        "  // One adder: base + a, base - a (= base + ~a + 1) or base + 0. The activation is\n"
        "  // gated and inverted at 8 bits, then sign-extended; the +1 enters as the carry\n"
        "  // out of a low guard bit, so no separate negation or second adder is needed.\n"
        "  assign a_g     = pulse ? a_sel : '0;\n"
        "  assign neg_g   = pulse & neg;\n"
        "  assign term    = {{(AccW-ActW){a_g[ActW-1] ^ neg_g}}, a_g ^ {ActW{neg_g}}};\n"
        "  assign sum1    = {base, 1'b1} + {term, neg_g};\n"
        "  logic unused_guard;\n"
        "  assign unused_guard = sum1[0];\n"
        "  assign busy_o  = (cnt_q != '0);\n\n",
        load, neg);
    pe_ctrl(&b, c->fault == MXF_FQ_FAULT_NORESET, "      cnt_q     <= '0;\n",
            "      if (step_i)              cnt_q <= fire ? cnt_load : '0;\n"
            "      else if (cnt_q != '0)    cnt_q <= cnt_q - CntW'(1);\n");
    vb_printf(&b, "  // Datapath registers: no reset (the block's README.md, \"Reset\").\n"
                  "  always_ff @(posedge clk_i) begin\n"
                  "    if (step_i) begin\n"
                  "      a_bank_o <= a_bank_i;\n"
                  "      a_o      <= a_i;\n"
                  "      neg_q    <= w_sel[CodeW-1];\n"
                  "    end\n"
                  "    if (step_i || pulse) psum_o <= sum1[AccW:1];\n"
                  "  end\n\n");
    pe_banks(&b);
    return gen_save_rtl(g, "mxf_fq_pe", &b, err);
}

int emit_fq_mul_pe(gen_ctx *g, mxf_err *err)
{
    const mxf_fq_cfg *c = fq(g);
    vbuf b;
    vb_init(&b);
    gen_file_header(&b, g, "mxf_fq_mul_pe",
                    "Multiplier PE (the baseline of the temporal-coded array): psum_o <= psum_i + "
                    "a * q[bank] every cycle; same weight chain, banks and widths.");
    pe_head(&b, g, "mxf_fq_mul_pe", 0);
    vb_printf(&b,
              "  localparam int ProdW = ActW + CodeW;  // exact signed product\n\n"
              "  logic signed [ProdW-1:0] prod;\n"
              "  logic step_en;\n\n"
              "  assign step_en = 1'b1;\n"
              "%s\n",
              c->fault == MXF_FQ_FAULT_MUL_SIGN
                  ? "  // FAULT mul-sign: activation zero-extended\n"
                    "  assign prod = $signed({{CodeW{1'b0}}, a_i}) * "
                    "$signed({{ActW{w_sel[CodeW-1]}}, w_sel});"
                  : "  assign prod = $signed({{CodeW{a_i[ActW-1]}}, a_i}) * "
                    "$signed({{ActW{w_sel[CodeW-1]}}, w_sel});");
    pe_ctrl(&b, c->fault == MXF_FQ_FAULT_NORESET, "", "");
    vb_printf(&b, "  // Datapath registers: no reset (the block's README.md, \"Reset\").\n"
                  "  always_ff @(posedge clk_i) begin\n"
                  "    a_bank_o <= a_bank_i;\n"
                  "    a_o      <= a_i;\n"
                  "    psum_o   <= psum_i + {{(AccW-ProdW){prod[ProdW-1]}}, prod};\n"
                  "  end\n\n");
    pe_banks(&b);
    return gen_save_rtl(g, "mxf_fq_mul_pe", &b, err);
}

int emit_fq_wlink(gen_ctx *g, mxf_err *err)
{
    const mxf_fq_cfg *c = fq(g);
    vbuf b;
    vb_init(&b);
    gen_file_header(&b, g, "mxf_fq_wlink",
                    "One stage of a column's weight-load chain, shared by the three PE rows of a "
                    "cluster group: the decoded cluster moves down one group per cycle with a "
                    "countdown; the group that sees 0 writes its three codes into the named bank.");
    vb_printf(&b,
              "module %smxf_fq_wlink #(\n"
              "  parameter int CodeW = %d,  // decoded code bits (signed)\n"
              "  parameter int TagW  = %d   // countdown bits: cluster row g counts down to 0\n"
              ") (\n"
              "  input  logic               clk_i,\n"
              "  input  logic               rst_ni,\n"
              "  input  logic               valid_i,\n"
              "  input  logic               bank_i,\n"
              "  input  logic [TagW-1:0]    cnt_i,\n"
              "  input  logic [3*CodeW-1:0] w_i,\n"
              "  // to the group's PEs: position i of the cluster goes to the group's row i\n"
              "  output logic               we_o,\n"
              "  output logic               bank_o,\n"
              "  output logic [3*CodeW-1:0] code_o,\n"
              "  // to the next group down\n"
              "  output logic               valid_o,\n"
              "  output logic               next_bank_o,\n"
              "  output logic [TagW-1:0]    cnt_o,\n"
              "  output logic [3*CodeW-1:0] w_o\n"
              ");\n"
              "  assign we_o   = valid_i && (cnt_i == '0);\n"
              "  assign bank_o = bank_i;\n"
              "  assign code_o = w_i;\n\n"
              "  // Only the valid bit is reset; the word stops at the group that takes it.\n"
              "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
              "    if (!rst_ni) valid_o <= 1'b0;\n"
              "    else         valid_o <= valid_i && !we_o;\n"
              "  end\n"
              "  always_ff @(posedge clk_i) begin\n"
              "    next_bank_o <= bank_i;\n"
              "    cnt_o       <= cnt_i - TagW'(1);\n"
              "    w_o         <= w_i;\n"
              "  end\n"
              "endmodule\n",
              g->prefix, MXF_FQ_CODEW, mxf_fq_tag_bits(c));
    return gen_save_rtl(g, "mxf_fq_wlink", &b, err);
}
