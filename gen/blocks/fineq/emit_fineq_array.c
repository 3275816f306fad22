/* mxf_fq_array: the FineQ arrays' top (blocks fineq and fineq-mul): the step controller, the
 * activation skew, the per-column cluster decoders and weight chains, the PE grid and the output
 * de-skew. The timing contract is in README.md in this folder. */
#include "fineq_golden.h"
#include "fineq_harness.h"
#include "gen.h"

int emit_fq_array(gen_ctx *g, mxf_err *err)
{
    vbuf b;
    vb_init(&b);
    const mxf_fq_cfg *cfg = (const mxf_fq_cfg *)(const void *)g->cfg.blob;
    const int R = cfg->rows, C = cfg->cols, AW = mxf_fq_acc_bits(cfg), TW = mxf_fq_tag_bits(cfg),
              G = mxf_fq_groups(cfg), CODEW = MXF_FQ_CODEW;
    const char *P = g->prefix;
    const int temporal = cfg->sched != MXF_FQ_MUL;
    const int AIN = 2 + MXF_FQ_ABITS; /* {valid, bank, act} */
    gen_file_header(&b, g, "mxf_fq_array",
                    temporal ? "FineQ temporal-coded systolic array top: step controller, skewed "
                               "activations, cluster decoders, PE grid, de-skewed outputs."
                             : "FineQ multiplier-array baseline top: skewed activations, cluster "
                               "decoders, PE grid, de-skewed outputs.");
    gen_top_ports(&b, g);
    vb_printf(
        &b,
        "  localparam int Rows  = %d;  // R: reduction lanes\n"
        "  localparam int Cols  = %d;  // C: output lanes\n"
        "  localparam int ActW  = %d;  // activation bits\n"
        "  localparam int CodeW = %d;  // decoded weight code bits\n"
        "  localparam int AccW  = %d; // partial-sum bits\n"
        "  localparam int TagW  = %d;  // cluster-row / chain countdown bits\n"
        "  localparam int Groups = %d; // cluster groups: rows 3g .. 3g+2\n\n"
        "  // Links between PEs: horizontal link r*(Cols+1) + c (c = 0..Cols) enters PE (r, c);\n"
        "  // vertical link r*Cols + c (r = 0..Rows) enters PE (r, c) from above; weight-chain\n"
        "  // link g*Cols + c (g = 0..Groups) enters group g's stage of column c.\n"
        "  logic [Rows*(Cols+1)-1:0]          h_valid, h_bank;\n"
        "  logic [Rows*(Cols+1)*ActW-1:0]     h_act;\n"
        "  logic [(Rows+1)*Cols*AccW-1:0]     v_psum;\n"
        "  logic [(Groups+1)*Cols-1:0]        l_valid, l_bank;\n"
        "  logic [(Groups+1)*Cols*TagW-1:0]   l_cnt;\n"
        "  logic [(Groups+1)*Cols*3*CodeW-1:0] l_w;\n"
        "  logic [Groups*Cols-1:0]            g_we, g_bank;   // stage -> its PEs\n"
        "  logic [Groups*Cols*3*CodeW-1:0]    g_code;\n"
        "  logic                              step, stepped_q;\n\n",
        R, C, MXF_FQ_ABITS, CODEW, AW, TW, G);

    /* The step controller. */
    if (temporal) vb_printf(&b, "  logic [Rows*Cols-1:0] busy;  // per PE: pulses left\n");
    if (cfg->sched == MXF_FQ_LOCK)
        vb_printf(&b, "  // Lock-step: a step every 4 cycles, the longest MAC of the code grid;\n"
                      "  // every MAC fits in one step, so the busy flags are not needed.\n"
                      "  logic unused_busy;\n  assign unused_busy = ^busy;\n"
                      "  localparam int SlotW = 2;\n"
                      "  logic [SlotW-1:0] slot_q;\n"
                      "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
                      "    if (!rst_ni) slot_q <= '0;\n"
                      "    else         slot_q <= slot_q + SlotW'(1);\n"
                      "  end\n"
                      "  assign step = (slot_q == '0);\n");
    else if (cfg->sched == MXF_FQ_ELASTIC)
        vb_printf(&b,
                  "  // Elastic: a step on every cycle no PE has pulses left.\n"
                  "%s",
                  cfg->fault == MXF_FQ_FAULT_BUSY
                      ? "  // FAULT busy: PE (0, 0)'s busy flag is missing from the tree\n"
                        "  assign step = ~|busy[Rows*Cols-1:1];\n"
                        "  logic unused_busy;\n  assign unused_busy = busy[0];\n"
                      : "  assign step = ~|busy;\n");
    else
        vb_printf(&b, "  // Multiplier PEs: a step every cycle.\n  assign step = 1'b1;\n");
    vb_printf(&b, "  assign act_ready_o = step;\n"
                  "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
                  "    if (!rst_ni) stepped_q <= 1'b0;\n"
                  "    else         stepped_q <= step;\n"
                  "  end\n\n");

    /* Left edge: row r's activations are delayed r steps. */
    vb_printf(&b, "  // Activation skew: row r delayed by r steps.\n");
    for (int r = 0; r < R; r++) {
        char dst[128];
        const int i = r * (C + 1);
        snprintf(dst, sizeof dst, "{h_valid[%d], h_bank[%d], h_act[%d +: %d]}", i, i,
                 i * MXF_FQ_ABITS, MXF_FQ_ABITS);
        if (r == 0)
            vb_printf(&b, "  assign %s = {act_valid_i, act_bank_i, act_i[0 +: %d]};\n", dst,
                      MXF_FQ_ABITS);
        else
            vb_printf(&b,
                      "  %smxf_delay_en #(.Width(%d), .Depth(%d), .CtrlWidth(1)) u_askew_%d (\n"
                      "    .clk_i (clk_i),\n    .rst_ni(rst_ni),\n    .en_i  (step),\n"
                      "    .d_i   ({act_valid_i, act_bank_i, act_i[%d +: %d]}),\n"
                      "    .q_o   (%s)\n  );\n",
                      P, AIN, r, r, r * MXF_FQ_ABITS, MXF_FQ_ABITS, dst);
    }

    /* Top edge: one decoder per column, then one chain stage per cluster group. */
    vb_printf(&b,
              "\n  // Weight entry: the decoded cluster row g enters the chain with countdown g.\n"
              "  for (genvar c = 0; c < Cols; c++) begin : gen_dec\n"
              "    %smxf_fq_dec u_dec (\n"
              "      .cluster_i(w_i[8*c +: 8]),\n"
              "      .q_o      (l_w[c*3*CodeW +: 3*CodeW])\n"
              "    );\n"
              "    assign l_valid[c] = w_valid_i;\n"
              "    assign l_bank[c]  = w_bank_i;\n"
              "    assign l_cnt[c*TagW +: TagW] = w_row_i;\n"
              "  end\n"
              "  for (genvar g = 0; g < Groups; g++) begin : gen_grp\n"
              "    for (genvar c = 0; c < Cols; c++) begin : gen_col\n"
              "      %smxf_fq_wlink u_wlink (\n"
              "        .clk_i      (clk_i),\n"
              "        .rst_ni     (rst_ni),\n"
              "        .valid_i    (l_valid[g*Cols + c]),\n"
              "        .bank_i     (l_bank[g*Cols + c]),\n"
              "        .cnt_i      (l_cnt[(g*Cols + c)*TagW +: TagW]),\n"
              "        .w_i        (l_w[(g*Cols + c)*3*CodeW +: 3*CodeW]),\n"
              "        .we_o       (g_we[g*Cols + c]),\n"
              "        .bank_o     (g_bank[g*Cols + c]),\n"
              "        .code_o     (g_code[(g*Cols + c)*3*CodeW +: 3*CodeW]),\n"
              "        .valid_o    (l_valid[(g+1)*Cols + c]),\n"
              "        .next_bank_o(l_bank[(g+1)*Cols + c]),\n"
              "        .cnt_o      (l_cnt[((g+1)*Cols + c)*TagW +: TagW]),\n"
              "        .w_o        (l_w[((g+1)*Cols + c)*3*CodeW +: 3*CodeW])\n"
              "      );\n"
              "    end\n"
              "  end\n"
              "  assign v_psum[Cols*AccW-1:0] = '0;  // row 0 starts from zero\n\n",
              P, P);

    vb_printf(&b,
              "  for (genvar r = 0; r < Rows; r++) begin : gen_row\n"
              "    for (genvar c = 0; c < Cols; c++) begin : gen_col\n"
              "      // the PE's parameter defaults are this config's widths, so it keeps its own\n"
              "      // name in synthesis reports\n"
              "      %s%s u_pe (\n"
              "        .clk_i    (clk_i),\n"
              "        .rst_ni   (rst_ni),\n"
              "%s"
              "        .a_valid_i(h_valid[r*(Cols+1) + c]),\n"
              "        .a_bank_i (h_bank[r*(Cols+1) + c]),\n"
              "        .a_i      (h_act[(r*(Cols+1) + c)*ActW +: ActW]),\n"
              "        .a_valid_o(h_valid[r*(Cols+1) + c + 1]),\n"
              "        .a_bank_o (h_bank[r*(Cols+1) + c + 1]),\n"
              "        .a_o      (h_act[(r*(Cols+1) + c + 1)*ActW +: ActW]),\n"
              "        .psum_i   (v_psum[(r*Cols + c)*AccW +: AccW]),\n"
              "        .psum_o   (v_psum[((r+1)*Cols + c)*AccW +: AccW]),\n"
              "        .w_we_i   (g_we[(r/3)*Cols + c]),\n"
              "        .w_bank_i (g_bank[(r/3)*Cols + c]),\n"
              "        .w_i      (g_code[((r/3)*Cols + c)*3*CodeW + (r%%3)*CodeW +: CodeW])\n"
              "      );\n"
              "    end\n"
              "  end\n\n",
              P, temporal ? "mxf_fq_pe" : "mxf_fq_mul_pe",
              temporal ? "        .step_i   (step),\n        .busy_o   (busy[r*Cols + c]),\n" : "");

    /* Bottom edge: column c's sum is delayed C - c steps so a whole row leaves on one step. */
    const int vout = (R - 1) * (C + 1) + C; /* valid leaving PE(R-1, C-1) */
    const int late = cfg->fault == MXF_FQ_FAULT_LATE_VALID;
    vb_printf(&b,
              "  // Output de-skew: column c delayed by %d - c steps; y_valid_o lasts one cycle.\n"
              "  logic [Cols*AccW-1:0] y_q;\n  logic yv_q;\n",
              C);
    for (int c = 0; c < C; c++)
        vb_printf(&b,
                  "  %smxf_delay_en #(.Width(%d), .Depth(%d), .CtrlWidth(0)) u_yskew_%d (\n"
                  "    .clk_i (clk_i),\n    .rst_ni(rst_ni),\n    .en_i  (step),\n"
                  "    .d_i   (v_psum[%d +: %d]),\n"
                  "    .q_o   (y_q[%d +: %d])\n  );\n",
                  P, AW, C - c, c, (R * C + c) * AW, AW, c * AW, AW);
    vb_printf(&b,
              "  %smxf_delay_en #(.Width(1), .Depth(1), .CtrlWidth(1)) u_yvalid (\n"
              "    .clk_i (clk_i),\n    .rst_ni(rst_ni),\n    .en_i  (step),\n"
              "    .d_i   (h_valid[%d]),\n    .q_o   (yv_q)\n  );\n",
              P, vout);
    if (late)
        vb_printf(&b,
                  "  // FAULT late-valid: whole output row (values and valid) one cycle late\n"
                  "  %smxf_delay_en #(.Width(%d), .Depth(1), .CtrlWidth(1)) u_ylate (\n"
                  "    .clk_i (clk_i),\n    .rst_ni(rst_ni),\n    .en_i  (1'b1),\n"
                  "    .d_i   ({yv_q & stepped_q, y_q}),\n    .q_o   ({y_valid_o, y_o})\n  );\n",
                  P, C * AW + 1);
    else
        vb_printf(&b, "  assign y_valid_o = yv_q & stepped_q;\n  assign y_o       = y_q;\n");

    /* Signals leaving the grid's far edges are not needed; name them so lint knows. */
    vb_printf(&b, "\n  logic unused_edges;\n  assign unused_edges = ^{");
    int first = 1;
    for (int r = 0; r < R; r++) {
        int i = r * (C + 1) + C;
        if (i != vout) {
            vb_printf(&b, "%sh_valid[%d]", first ? "" : ", ", i);
            first = 0;
        }
        vb_printf(&b, "%sh_bank[%d], h_act[%d +: %d]", first ? "" : ", ", i, i * MXF_FQ_ABITS,
                  MXF_FQ_ABITS);
        first = 0;
    }
    vb_printf(&b, ", l_valid[%d +: %d], l_bank[%d +: %d], l_cnt[%d +: %d], l_w[%d +: %d]", G * C, C,
              G * C, C, G * C * TW, C * TW, G * C * 3 * CODEW, C * 3 * CODEW);
    /* codes of the last group's missing rows (R not a multiple of 3) */
    for (int c = 0; c < C && R % 3; c++)
        vb_printf(&b, ", g_code[%d +: %d]", ((G - 1) * C + c) * 3 * CODEW + (R % 3) * CODEW,
                  (3 - R % 3) * CODEW);
    vb_printf(&b, "};\n");
    vb_printf(&b, "endmodule\n");
    return gen_save_rtl(g, "mxf_fq_array", &b, err);
}
