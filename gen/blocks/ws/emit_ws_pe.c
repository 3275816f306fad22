/* mxf_ws_pe: weight-stationary PE. Holds two weight banks so the next tile loads while the
 * current one computes; each activation carries the bank it must use. Weights arrive on a
 * per-column load chain tagged with a row countdown: the PE whose countdown reads 0 latches. */
#include "gen.h"
#include "ws_golden.h"
#include "ws_harness.h"

int emit_ws_pe(gen_ctx *g, mxf_err *err)
{
    vbuf b;
    vb_init(&b);
    const mxf_ws_cfg *cfg = (const mxf_ws_cfg *)(const void *)g->cfg.blob;
    const int WB = cfg->wbits, PW = mxf_ws_prod_bits(cfg), AW = mxf_ws_acc_bits(cfg),
              CW = mxf_ws_cnt_bits(cfg);
    gen_file_header(&b, g, "mxf_ws_pe",
                     "Weight-stationary PE: psum_o <= psum_i + a * w[bank]; double-buffered "
                     "weights loaded through a countdown-tagged chain.");
    vb_printf(&b,
              "module %smxf_ws_pe (\n"
              "  input  logic          clk_i,\n"
              "  input  logic          rst_ni,\n"
              "  // activation stream (moves right)\n"
              "  input  logic          a_valid_i,\n"
              "  input  logic          a_bank_i,\n"
              "  input  logic [7:0]    a_i,\n"
              "  output logic          a_valid_o,\n"
              "  output logic          a_bank_o,\n"
              "  output logic [7:0]    a_o,\n"
              "  // partial sums (move down)\n"
              "  input  logic [%d:0]   psum_i,\n"
              "  output logic [%d:0]   psum_o,\n"
              "  // weight load chain (moves down); w_cnt_i == 0 selects this row\n"
              "  input  logic          w_valid_i,\n"
              "  input  logic          w_bank_i,\n"
              "  input  logic [%d:0]   w_cnt_i,\n"
              "  input  logic [%d:0]   w_i,\n"
              "  output logic          w_valid_o,\n"
              "  output logic          w_bank_o,\n"
              "  output logic [%d:0]   w_cnt_o,\n"
              "  output logic [%d:0]   w_o\n"
              ");\n",
              g->prefix, AW - 1, AW - 1, CW - 1, WB - 1, CW - 1, WB - 1);
    vb_printf(&b,
              "  logic [%d:0] w0_q, w1_q;  // weight banks\n"
              "  logic [%d:0] w_sel;\n"
              "  logic signed [%d:0] prod;  // exact %d x %d-bit signed product\n"
              "  logic        w_hit;\n\n",
              WB - 1, WB - 1, PW - 1, 8, WB);
    if (cfg->fault == MXF_WS_FAULT_WBANK)
        vb_printf(&b, "  // FAULT wbank: bank tag ignored\n"
                      "  assign w_sel = (a_bank_i & 1'b0) ? w1_q : w0_q;\n");
    else
        vb_printf(&b, "  assign w_sel = a_bank_i ? w1_q : w0_q;\n");
    if (cfg->fault == MXF_WS_FAULT_MUL_SIGN)
        vb_printf(&b, "  // FAULT mul-sign: activation zero-extended\n"
                      "  assign prod  = $signed({%d'd0, a_i}) * $signed({{%d{w_sel[%d]}}, w_sel});\n",
                  PW - 8, PW - WB, WB - 1);
    else
        vb_printf(&b, "  assign prod  = $signed({{%d{a_i[7]}}, a_i}) * $signed({{%d{w_sel[%d]}}, w_sel});\n",
                  PW - 8, PW - WB, WB - 1);
    /* Only the valid bits are reset. Data registers need none: a bank is always written before
     * any activation names it, and a stale weight word cannot latch because w_hit is gated by
     * the reset valid. Fewer reset nets also make the model ~9% faster under Verilator. */
    vb_printf(&b,
              "  assign w_hit = w_valid_i && (w_cnt_i == %d'd0);\n"
              "\n"
              "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
              "    if (!rst_ni) begin\n"
              "      a_valid_o <= 1'b0;\n"
              "      w_valid_o <= 1'b0;\n"
              "    end else begin\n"
              "      a_valid_o <= a_valid_i;\n"
              "      w_valid_o <= w_valid_i && !w_hit;\n"
              "    end\n"
              "  end\n"
              "\n"
              "  // Datapath registers: no reset (see docs/ws-array.md, Reset).\n"
              "  always_ff @(posedge clk_i) begin\n"
              "    a_bank_o <= a_bank_i;\n"
              "    a_o      <= a_i;\n"
              "    psum_o   <= psum_i + {{%d{prod[%d]}}, prod};\n"
              "    w_bank_o <= w_bank_i;\n"
              "    w_cnt_o  <= w_cnt_i - %d'd1;\n"
              "    w_o      <= w_i;\n"
              "    if (w_hit && !w_bank_i) w0_q <= w_i;\n"
              "    if (w_hit && w_bank_i)  w1_q <= w_i;\n"
              "  end\n"
              "endmodule\n",
              CW, AW - PW, PW - 1, CW);
    return gen_save_rtl(g, "mxf_ws_pe", &b, err);
}
