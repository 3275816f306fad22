/* mxf_ws_array: R x C grid of mxf_ws_pe with skew/de-skew chains at its edges.
 * External contract (docs/ws-array.md): one activation row vector and/or one weight row per
 * cycle in; one aligned output row (one port slice per column) out, L = R + C - 2 cycles after
 * its activation row. A weight row written to bank b on cycle c is seen by activations presented
 * on cycles > c. */
#include "gen.h"
#include "ws_golden.h"
#include "ws_harness.h"

int emit_ws_array(gen_ctx *g, mxf_err *err)
{
    vbuf b;
    vb_init(&b);
    const mxf_ws_cfg *cfg = (const mxf_ws_cfg *)(const void *)g->cfg.blob;
    const int R = cfg->rows, C = cfg->cols, WB = cfg->wbits, AW = mxf_ws_acc_bits(cfg),
              CW = mxf_ws_cnt_bits(cfg);
    const char *P = g->prefix;
    const int AIN = 10;          /* {valid, bank, act[7:0]} */
    const int WIN = 2 + CW + WB; /* {valid, bank, cnt, w} */
    gen_file_header(&b, g, "mxf_ws_array",
                    "Weight-stationary systolic array top: skewed inputs, PE grid, per-column "
                    "de-skewed outputs.");
    gen_top_ports(&b, g);
    vb_printf(
        &b,
        "  localparam int Rows  = %d;  // R: reduction lanes\n"
        "  localparam int Cols  = %d;  // C: output lanes\n"
        "  localparam int ActW  = %d;  // activation bits\n"
        "  localparam int WBits = %d;  // weight bits\n"
        "  localparam int AccW  = %d; // partial-sum bits\n"
        "  localparam int CntW  = %d;  // weight-row tag bits\n\n"
        "  // Links between PEs: horizontal link r*(Cols+1) + c (c = 0..Cols) enters PE (r, c);\n"
        "  // vertical link r*Cols + c (r = 0..Rows) enters PE (r, c) from above.\n"
        "  logic [Rows*(Cols+1)-1:0]      h_valid, h_bank;\n"
        "  logic [Rows*(Cols+1)*ActW-1:0] h_act;\n"
        "  logic [(Rows+1)*Cols*AccW-1:0] v_psum;\n"
        "  logic [(Rows+1)*Cols-1:0]      v_wvalid, v_wbank;\n"
        "  logic [(Rows+1)*Cols*CntW-1:0] v_wcnt;\n"
        "  logic [(Rows+1)*Cols*WBits-1:0] v_w;\n\n",
        R, C, MXF_WS_ABITS, WB, AW, CW);

    /* Left edge: row r's activations are delayed r cycles (the systolic wavefront). */
    vb_printf(&b, "  // Activation skew: row r delayed by r cycles.\n");
    for (int r = 0; r < R; r++) {
        int depth = r;
        if (cfg->fault == MXF_WS_FAULT_SKEW && r == R - 1) depth = r - 1;
        const char *dst_fmt = "{h_valid[%d], h_bank[%d], h_act[%d +: 8]}";
        char dst[128];
        snprintf(dst, sizeof dst, dst_fmt, r * (C + 1), r * (C + 1), r * (C + 1) * 8);
        if (depth == 0) {
            vb_printf(&b, "  assign %s = {act_valid_i, act_bank_i, act_i[%d +: 8]};\n", dst, r * 8);
        } else {
            if (depth != r) vb_printf(&b, "  // FAULT skew: row %d is one stage short\n", r);
            vb_printf(&b,
                      "  %smxf_delay #(.Width(%d), .Depth(%d), .CtrlWidth(1)) u_askew_%d (\n"
                      "    .clk_i (clk_i),\n    .rst_ni(rst_ni),\n"
                      "    .d_i   ({act_valid_i, act_bank_i, act_i[%d +: 8]}),\n"
                      "    .q_o   (%s)\n  );\n",
                      P, AIN, depth, r, r * 8, dst);
        }
    }

    /* Top edge: column c's weight stream is delayed c cycles, matching the activations. */
    vb_printf(&b, "\n  // Weight skew: column c delayed by c cycles; psum enters row 0 as zero.\n");
    for (int c = 0; c < C; c++) {
        char dst[160];
        snprintf(dst, sizeof dst, "{v_wvalid[%d], v_wbank[%d], v_wcnt[%d +: %d], v_w[%d +: %d]}", c,
                 c, c * CW, CW, c * WB, WB);
        int depth = c;
        if (cfg->fault == MXF_WS_FAULT_WSKEW && c == C - 1) {
            depth = c - 1;
            vb_printf(&b, "  // FAULT wskew: column %d's weight skew is one stage short\n", c);
        }
        if (depth == 0)
            vb_printf(&b, "  assign %s = {w_valid_i, w_bank_i, w_row_i, w_i[%d +: %d]};\n", dst,
                      c * WB, WB);
        else
            vb_printf(&b,
                      "  %smxf_delay #(.Width(%d), .Depth(%d), .CtrlWidth(1)) u_wskew_%d (\n"
                      "    .clk_i (clk_i),\n    .rst_ni(rst_ni),\n"
                      "    .d_i   ({w_valid_i, w_bank_i, w_row_i, w_i[%d +: %d]}),\n"
                      "    .q_o   (%s)\n  );\n",
                      P, WIN, depth, c, c * WB, WB, dst);
    }
    vb_printf(&b, "  assign v_psum[Cols*AccW-1:0] = '0;  // row 0 starts from zero\n\n");

    vb_printf(&b,
              "  for (genvar r = 0; r < Rows; r++) begin : gen_row\n"
              "    for (genvar c = 0; c < Cols; c++) begin : gen_col\n"
              "      // the PE's parameter defaults are this config's widths, so it keeps its own\n"
              "      // name in synthesis reports\n"
              "      %smxf_ws_pe u_pe (\n"
              "        .clk_i    (clk_i),\n"
              "        .rst_ni   (rst_ni),\n"
              "        .a_valid_i(h_valid[r*(Cols+1) + c]),\n"
              "        .a_bank_i (h_bank[r*(Cols+1) + c]),\n"
              "        .a_i      (h_act[(r*(Cols+1) + c)*ActW +: ActW]),\n"
              "        .a_valid_o(h_valid[r*(Cols+1) + c + 1]),\n"
              "        .a_bank_o (h_bank[r*(Cols+1) + c + 1]),\n"
              "        .a_o      (h_act[(r*(Cols+1) + c + 1)*ActW +: ActW]),\n"
              "        .psum_i   (v_psum[(r*Cols + c)*AccW +: AccW]),\n"
              "        .psum_o   (v_psum[((r+1)*Cols + c)*AccW +: AccW]),\n"
              "        .w_valid_i(v_wvalid[r*Cols + c]),\n"
              "        .w_bank_i (v_wbank[r*Cols + c]),\n"
              "        .w_cnt_i  (v_wcnt[(r*Cols + c)*CntW +: CntW]),\n"
              "        .w_i      (v_w[(r*Cols + c)*WBits +: WBits]),\n"
              "        .w_valid_o(v_wvalid[(r+1)*Cols + c]),\n"
              "        .w_bank_o (v_wbank[(r+1)*Cols + c]),\n"
              "        .w_cnt_o  (v_wcnt[((r+1)*Cols + c)*CntW +: CntW]),\n"
              "        .w_o      (v_w[((r+1)*Cols + c)*WBits +: WBits])\n"
              "      );\n"
              "    end\n"
              "  end\n\n",
              P);

    /* Bottom edge: column c's sum is delayed C-1-c cycles so a whole output row is aligned. */
    const int late = cfg->fault == MXF_WS_FAULT_LATE_VALID;
    const char *yname = late ? "y_early" : "y_o";
    int vout = (R - 1) * (C + 1) + C; /* valid leaving PE(R-1, C-1), in step with its psum */
    if (late) vb_printf(&b, "  logic [%d:0] y_early;\n", C * AW - 1);
    vb_printf(&b, "  // Output de-skew: column c delayed by %d - c cycles.\n", C - 1);
    for (int c = 0; c < C; c++) {
        int src = (R * C + c) * AW;
        if (c == C - 1)
            vb_printf(&b, "  assign %s[%d +: %d] = v_psum[%d +: %d];\n", yname, c * AW, AW, src,
                      AW);
        else
            vb_printf(&b,
                      "  %smxf_delay #(.Width(%d), .Depth(%d), .CtrlWidth(0)) u_yskew_%d (\n"
                      "    .clk_i (clk_i),\n    .rst_ni(rst_ni),\n"
                      "    .d_i   (v_psum[%d +: %d]),\n"
                      "    .q_o   (%s[%d +: %d])\n  );\n",
                      P, AW, C - 1 - c, c, src, AW, yname, c * AW, AW);
    }
    if (late)
        vb_printf(&b,
                  "  // FAULT late-valid: whole output row (values and valid) one cycle late\n"
                  "  %smxf_delay #(.Width(%d), .Depth(1), .CtrlWidth(1)) u_ylate (\n"
                  "    .clk_i (clk_i),\n    .rst_ni(rst_ni),\n"
                  "    .d_i   ({h_valid[%d], y_early}),\n    .q_o   ({y_valid_o, y_o})\n  );\n",
                  P, C * AW + 1, vout);
    else
        vb_printf(&b, "  assign y_valid_o = h_valid[%d];\n", vout);

    /* Signals leaving the grid's far edges are not needed; name them so lint knows. */
    vb_printf(&b, "\n  logic unused_edges;\n  assign unused_edges = ^{");
    int first = 1;
    for (int r = 0; r < R; r++) {
        int i = r * (C + 1) + C;
        if (i != vout) {
            vb_printf(&b, "%sh_valid[%d]", first ? "" : ", ", i);
            first = 0;
        }
        vb_printf(&b, ", h_bank[%d], h_act[%d +: 8]", i, i * 8);
    }
    vb_printf(&b, ", v_wvalid[%d +: %d], v_wbank[%d +: %d], v_wcnt[%d +: %d], v_w[%d +: %d]};\n",
              R * C, C, R * C, C, R * C * CW, C * CW, R * C * WB, C * WB);
    vb_printf(&b, "endmodule\n");
    return gen_save_rtl(g, "mxf_ws_array", &b, err);
}
