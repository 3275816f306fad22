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
    /* Widths are parameters (defaults: this config), so the PE reads by name and synthesizes
     * alone with the config's widths. */
    vb_printf(&b,
              "module %smxf_ws_pe #(\n"
              "  parameter int ActW  = %d,  // activation bits (signed)\n"
              "  parameter int WBits = %d,  // weight bits (signed)\n"
              "  parameter int AccW  = %d, // partial-sum bits: ActW + WBits + clog2(rows)\n"
              "  parameter int CntW  = %d   // weight-row countdown tag bits\n"
              ") (\n"
              "  input  logic            clk_i,\n"
              "  input  logic            rst_ni,\n"
              "  // activation stream (moves right)\n"
              "  input  logic            a_valid_i,\n"
              "  input  logic            a_bank_i,\n"
              "  input  logic [ActW-1:0] a_i,\n"
              "  output logic            a_valid_o,\n"
              "  output logic            a_bank_o,\n"
              "  output logic [ActW-1:0] a_o,\n"
              "  // partial sums (move down)\n"
              "  input  logic [AccW-1:0] psum_i,\n"
              "  output logic [AccW-1:0] psum_o,\n"
              "  // weight load chain (moves down); w_cnt_i == 0 selects this row\n"
              "  input  logic             w_valid_i,\n"
              "  input  logic             w_bank_i,\n"
              "  input  logic [CntW-1:0]  w_cnt_i,\n"
              "  input  logic [WBits-1:0] w_i,\n"
              "  output logic             w_valid_o,\n"
              "  output logic             w_bank_o,\n"
              "  output logic [CntW-1:0]  w_cnt_o,\n"
              "  output logic [WBits-1:0] w_o\n"
              ");\n"
              "  localparam int ProdW = ActW + WBits;  // exact signed product\n\n"
              "  logic [WBits-1:0] w0_q, w1_q;  // weight banks\n"
              "  logic [WBits-1:0] w_sel;\n"
              "  logic signed [ProdW-1:0] prod;\n"
              "  logic w_hit;\n\n",
              g->prefix, MXF_WS_ABITS, WB, AW, CW);
    (void)PW;
    if (cfg->fault == MXF_WS_FAULT_WBANK)
        vb_printf(&b, "  // FAULT wbank: bank tag ignored\n"
                      "  assign w_sel = (a_bank_i & 1'b0) ? w1_q : w0_q;\n");
    else
        vb_printf(&b, "  assign w_sel = a_bank_i ? w1_q : w0_q;\n");
    if (cfg->fault == MXF_WS_FAULT_MUL_SIGN)
        vb_printf(&b, "  // FAULT mul-sign: activation zero-extended\n"
                      "  assign prod  = $signed({{WBits{1'b0}}, a_i}) * "
                      "$signed({{ActW{w_sel[WBits-1]}}, w_sel});\n");
    else
        vb_printf(&b, "  assign prod  = $signed({{WBits{a_i[ActW-1]}}, a_i}) * "
                      "$signed({{ActW{w_sel[WBits-1]}}, w_sel});\n");
    /* Only the valid bits are reset. Data registers need none: a bank is always written before
     * any activation names it, and a stale weight word cannot latch because w_hit is gated by
     * the reset valid. Fewer reset nets also make the model ~9% faster under Verilator. */
    const int noreset = cfg->fault == MXF_WS_FAULT_NORESET;
    vb_printf(&b,
              "  assign w_hit = w_valid_i && (w_cnt_i == '0);\n"
              "\n"
              "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
              "    if (!rst_ni) begin\n"
              "%s"
              "      w_valid_o <= 1'b0;\n"
              "    end else begin\n"
              "%s"
              "      w_valid_o <= w_valid_i && !w_hit;\n"
              "    end\n"
              "  end\n"
              "%s\n",
              noreset ? "" : "      a_valid_o <= 1'b0;\n",
              noreset ? "" : "      a_valid_o <= a_valid_i;\n",
              noreset ? "  // FAULT noreset: the activation valid bit has no reset\n"
                        "  always_ff @(posedge clk_i) a_valid_o <= a_valid_i;\n"
                      : "");
    vb_printf(
        &b, "  // Datapath registers: no reset (the block's README.md, \"Reset and registers\").\n"
            "  always_ff @(posedge clk_i) begin\n"
            "    a_bank_o <= a_bank_i;\n"
            "    a_o      <= a_i;\n"
            "    psum_o   <= psum_i + {{(AccW-ProdW){prod[ProdW-1]}}, prod};\n"
            "    w_bank_o <= w_bank_i;\n"
            "    w_cnt_o  <= w_cnt_i + {CntW{1'b1}};  // minus one, modulo 2^CntW\n"
            "    w_o      <= w_i;\n"
            "    if (w_hit && !w_bank_i) w0_q <= w_i;\n"
            "    if (w_hit && w_bank_i)  w1_q <= w_i;\n"
            "  end\n"
            "endmodule\n");
    return gen_save_rtl(g, "mxf_ws_pe", &b, err);
}
