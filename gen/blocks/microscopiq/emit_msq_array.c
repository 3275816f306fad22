/* mxf_msq_array: the MicroScopiQ array's top: activation skew (one register per row and step),
 * the PE grid, the instruction buffer (per row and uB slice, one ReCoN word per bank) next to the
 * slices that read it (a unit per row) or feeding U shared units behind the arbiter and step
 * controller, and the output row. Every row-to-row and row-to-ReCoN signal is read and written
 * one PE or one lane at a time, never as a row-wide vector (README.md "Simulation speed"). The
 * timing contract is in README.md in this folder. */
#include <stdio.h>

#include "gen.h"
#include "msq_golden.h"
#include "msq_harness.h"

/* Configuration port j's field of a K-port signal: the whole signal when K = 1, else bit j
 * (w NULL) or the j-th w-bit field. */
static void port_field(char *buf, size_t cap, const char *name, const char *w, int K, int j)
{
    if (K == 1)
        snprintf(buf, cap, "%s", name);
    else if (!w)
        snprintf(buf, cap, "%s[%d]", name, j);
    else
        snprintf(buf, cap, "%s[%d*%s +: %s]", name, j, w, w);
}

int emit_msq_array(gen_ctx *g, mxf_err *err)
{
    vbuf b;
    vb_init(&b);
    const mxf_msq_cfg *c = (const mxf_msq_cfg *)(const void *)g->cfg.blob;
    const int R = c->rows, C = c->cols, P = mxf_msq_ports(c), L = mxf_msq_lanes(c),
              G = mxf_msq_slices(c), AW = mxf_msq_acc_bits(c), SHW = mxf_msq_shift_bits(c),
              WW = mxf_msq_word_bits(c), U = mxf_msq_units(c), RK = mxf_msq_rank_bits(c);
    const int shared = c->units != MXF_MSQ_UNITS_ROW;
    const char *P_ = g->prefix;
    gen_file_header(&b, g, "mxf_msq_array",
                    shared ? "MicroScopiQ array top: activation skew, instruction buffer, "
                             "multi-precision PE grid, shared ReCoN units behind a bottom-first "
                             "arbiter and the step controller (stalls on contention)."
                           : "MicroScopiQ array top: activation skew, instruction buffer, "
                             "multi-precision PE grid, one ReCoN unit per PE row.");
    gen_top_ports(&b, g);
    vb_printf(&b,
              "  localparam int Rows   = %d;  // R: reduction lanes\n"
              "  localparam int Cols   = %d;  // C: PE columns\n"
              "  localparam int Lanes  = %d;  // outputs per PE (MODE %s)\n"
              "  localparam int Ports  = %d;  // P = Cols * Lanes outputs per row\n"
              "  localparam int Slices = %d;  // uB slices: P / 8\n"
              "  localparam int AccW   = %d;  // partial-sum bits\n"
              "  localparam int ShW    = %d;  // alignment-shift bits\n"
              "  localparam int WordW  = %d;  // PE word bits\n"
              "  localparam int MergeW = %d;  // ReCoN term bits\n"
              "  localparam int BW     = MergeW + 2;  // ReCoN wire {valid, sign, term}\n"
              "  localparam int CfgB   = %d;  // slice configuration bits (NET=%s)\n"
              "  localparam int ActW   = 8;\n",
              R, C, L, L == 2 ? "2b" : "4b", P, G, AW, SHW, WW, MXF_MSQ_MERGEW, mxf_msq_cfg_bits(c),
              mxf_msq_net_of(c)->name);
    const int RW = mxf_msq_row_bits(c), TW = mxf_msq_cport_tag_bits(c),
              IW = mxf_clog2((long)R * G) < 1 ? 1 : mxf_clog2((long)R * G);
    vb_printf(&b,
              "  localparam int CfgW   = CfgB + ShW;  // instruction-buffer word {osh, cfg}\n"
              "  localparam int IdxW   = %d;  // instruction-buffer word index r*Slices + s\n",
              IW);
    if (c->cports > 1)
        vb_printf(&b,
                  "  localparam int CPorts = %d;  // K: configuration ports; slice s's is s %% K\n"
                  "  localparam int RowW   = %d;  // row-tag bits\n"
                  "  localparam int CTagW  = %d;  // a port's slice tag: s / K\n"
                  "  localparam int CInW   = CfgW;  // a port's word {osh, cfg}\n",
                  c->cports, RW, TW);
    if (shared) vb_printf(&b, "  localparam int RankW  = %d;  // clog2(Rows + 1)\n", RK);
    vb_printf(&b, "\n");

    /* Activation skew: row r sees the row sampled r + 1 step ends ago. */
    vb_printf(&b,
              "  logic              step_end;            // last cycle of the step: sample\n"
              "  logic [Rows-1:0]   en;                  // row r updates this cycle\n"
              "  logic [Rows-1:0]   r_valid, r_bank;     // what row r works on this step\n"
              "  logic [Rows*ActW-1:0] r_act /* verilator split_var */;\n"
              "  assign act_ready_o = step_end;\n"
              "%s"
              "  for (genvar r = 0; r < Rows; r++) begin : gen_skew\n"
              "    %smxf_delay_en #(.Width(ActW + 2), .Depth(r + 1), .CtrlWidth(%d)) u_askew (\n"
              "      .clk_i (clk_i),\n"
              "      .rst_ni(rst_ni),\n"
              "      .en_i  (step_end),\n"
              "      .d_i   ({act_valid_i, act_bank_i, act_i[ActW*r +: ActW]}),\n"
              "      .q_o   ({r_valid[r], r_bank[r], r_act[ActW*r +: ActW]})\n"
              "    );\n"
              "  end\n\n",
              c->fault == MXF_MSQ_FAULT_NORESET
                  ? "  // FAULT noreset: the skew registers' valid bits have no reset\n"
                  : "",
              P_, c->fault == MXF_MSQ_FAULT_NORESET ? 0 : 1);

    /* The PE grid. */
    vb_printf(
        &b,
        "  // Row-to-row and row-to-ReCoN signals, one flat vector each, only ever read and\n"
        "  // written a PE lane or a PE at a time at constant offsets (split_var: each lane a\n"
        "  // variable of its own in the Verilated model; README.md \"Simulation speed\").\n"
        "  // v_psum[(r*Ports + p)*AccW]: output p of row r-1 into row r (row 0: zero)\n"
        "  logic [(Rows+1)*Ports*AccW-1:0] v_psum /* verilator split_var */;\n"
        "  logic [Rows*Ports*BW-1:0]       bnd /* verilator split_var */;   // each lane's ReCoN "
        "wire\n"
        "  logic [Rows*Ports*AccW-1:0]     term /* verilator split_var */;  // the term ReCoN "
        "returns to it\n"
        "  logic [Rows*Ports-1:0]          half /* verilator split_var */;\n"
        "  assign v_psum[0 +: Ports*AccW] = '0;\n"
        "  for (genvar r = 0; r < Rows; r++) begin : gen_row\n"
        "    for (genvar j = 0; j < Cols; j++) begin : gen_col\n"
        "      %smxf_msq_pe u_pe (\n"
        "        .clk_i   (clk_i),\n"
        "        .en_i    (en[r]),\n"
        "        .a_i     (r_act[ActW*r +: ActW]),\n"
        "        .bank_i  (r_bank[r]),\n"
        "        .psum_i  (v_psum[(r*Ports + j*Lanes)*AccW +: Lanes*AccW]),\n"
        "        .term_i  (term[(r*Ports + j*Lanes)*AccW +: Lanes*AccW]),\n"
        "        .w_we_i  (w_valid_i && w_row_i == %d'(r)),\n"
        "        .w_bank_i(w_bank_i),\n"
        "        .w_i     (w_i[WordW*j +: WordW]),\n"
        "        .half_o  (half[r*Ports + j*Lanes +: Lanes]),\n"
        "        .wire_o  (bnd[(r*Ports + j*Lanes)*BW +: Lanes*BW]),\n"
        "        .psum_o  (v_psum[((r+1)*Ports + j*Lanes)*AccW +: Lanes*AccW])\n"
        "      );\n"
        "    end\n"
        "  end\n\n",
        P_, RW);

    /* Per row: which slices hold halves (and, shared, the request). */
    vb_printf(&b, "  logic [Rows*Slices-1:0] sl_en /* verilator split_var */;  // slice holds "
                  "outlier halves\n"
                  "  for (genvar r = 0; r < Rows; r++) begin : gen_req\n"
                  "    for (genvar s = 0; s < Slices; s++) begin : gen_sl\n"
                  "      assign sl_en[r*Slices + s] = |half[r*Ports + s*8 +: 8];\n"
                  "    end\n"
                  "  end\n");
    if (shared)
        vb_printf(&b, "  logic [Rows-1:0] req;  // row holds a token and halves\n"
                      "  for (genvar r = 0; r < Rows; r++) begin : gen_rq\n"
                      "    assign req[r] = r_valid[r] && (|sl_en[r*Slices +: Slices]);\n"
                      "  end\n");
    else if (R > 1)
        vb_printf(&b, "  // (the rows' own valid bits matter only to shared units)\n"
                      "  logic unused_valid;\n"
                      "  assign unused_valid = ^r_valid[Rows-2:0];\n");
    vb_printf(&b, "\n");

    /* The instruction buffer, next to the slice that reads it (a unit per row) or feeding the
     * units' selection (shared). conn: a slice's wire and term ports, row r's lanes or the
     * unit's selection and terms. */
    vbuf conn;
    vb_init(&conn);
    for (int x = 0; x < 8; x++)
        vb_printf(&conn, "        .in%d_i (%s[(%s*Ports + 8*s + %d)*BW +: BW]),\n", x,
                  shared ? "c_in" : "bnd", shared ? "Rows" : "r", x);
    for (int x = 0; x < 8; x++)
        vb_printf(&conn, "        .t%d_o  (%s[(%s*Ports + 8*s + %d)*AccW +: AccW])%s\n", x,
                  shared ? "u_t" : "term", shared ? "u" : "r", x, x < 7 ? "," : "");
    if (conn.oom) b.oom = 1;
    const int cfgbank = c->fault == MXF_MSQ_FAULT_CFG_BANK, K = c->cports;
    /* One register array per bank, word r*Slices + s, written through an address decoder: the
       Verilated model tests each port's write once per cycle instead of every word's enable
       (README.md "Simulation speed"). Port j writes the words of slices t*K + j (its tag t);
       a word whose row or tag does not exist is not written (the guards are emitted only where
       the field can hold such a value). */
    vb_printf(&b,
              "  // Instruction buffer: per bank, row and uB slice one ReCoN word (data: no "
              "reset)%s:\n"
              "  // one register array per bank, word r*Slices + s, written through the address\n"
              "  // decoder of each configuration port (mem2reg: registers, not a memory macro).\n"
              "  localparam int IbN = Rows * Slices;\n"
              "  (* mem2reg *) logic [CfgW-1:0] ib0_q [IbN];\n"
              "  (* mem2reg *) logic [CfgW-1:0] ib1_q [IbN];\n",
              cfgbank ? "; FAULT cfg-bank: words land in the other bank" : "");
    if (K > 1)
        vb_printf(&b, "  logic [CPorts-1:0]      c_we;   // port j's word is valid, its row and "
                      "slice exist\n"
                      "  logic [CPorts*IdxW-1:0] c_idx;  // port j's word index\n");
    else
        vb_printf(&b, "  logic            c_we;   // the word is valid, its row and slice exist\n"
                      "  logic [IdxW-1:0] c_idx;  // its index\n");
    for (int j = 0; j < K; j++) {
        char row[48], tag[48], we[24], valid[24], idx[40];
        const int tags = (G - j + K - 1) / K; /* slices j, j + K, ... */
        port_field(row, sizeof row, "c_row_i", "RowW", K, j);
        port_field(tag, sizeof tag, "c_ub_i", "CTagW", K, j);
        port_field(we, sizeof we, "c_we", NULL, K, j);
        port_field(valid, sizeof valid, "c_valid_i", NULL, K, j);
        port_field(idx, sizeof idx, "c_idx", "IdxW", K, j);
        if (K > 1) vb_printf(&b, "  // port %d: slices %d + %d t (its tag t)\n", j, j, K);
        vb_printf(&b, "  assign %s = %s", we, valid);
        if ((1L << RW) > R) vb_printf(&b, " && %s < %d'(Rows)", row, RW);
        if ((1L << TW) > tags) vb_printf(&b, " && %s < %d'(%d)", tag, TW, tags);
        vb_printf(&b, ";\n  assign %s = IdxW'(%s) * IdxW'(Slices) +\n      IdxW'(%s)", idx, row,
                  tag);
        if (K > 1) vb_printf(&b, " * IdxW'(CPorts)");
        if (j > 0) vb_printf(&b, " + IdxW'(%d)", j);
        vb_printf(&b, ";\n");
    }
    vb_printf(&b, "  always_ff @(posedge clk_i) begin\n");
    for (int j = 0; j < K; j++) {
        char we[24], idx[40], bank[32], data[40];
        port_field(we, sizeof we, "c_we", NULL, K, j);
        port_field(idx, sizeof idx, "c_idx", "IdxW", K, j);
        port_field(bank, sizeof bank, "c_bank_i", NULL, K, j);
        port_field(data, sizeof data, "c_i", "CInW", K, j);
        vb_printf(&b,
                  "    if (%s && %s%s)  ib1_q[%s] <= %s;\n"
                  "    if (%s && %s%s) ib0_q[%s] <= %s;\n",
                  we, cfgbank ? "!" : "", bank, idx, data, we, cfgbank ? "" : "!", bank, idx, data);
    }
    vb_printf(&b, "  end\n");
    if (shared)
        vb_printf(&b, "  logic [Rows*Slices*CfgW-1:0] r_cfg /* verilator split_var */;  // the "
                      "row's words, its token's bank\n");
    vb_printf(&b, "  for (genvar r = 0; r < Rows; r++) begin : gen_ib_row\n"
                  "    for (genvar s = 0; s < Slices; s++) begin : gen_ib\n");
    if (shared)
        vb_printf(&b, "      assign r_cfg[(r*Slices + s)*CfgW +: CfgW] =\n"
                      "          r_bank[r] ? ib1_q[r*Slices + s] : ib0_q[r*Slices + s];\n");
    else
        vb_printf(&b,
                  "      logic [CfgB-1:0] cfg0, cfg1;  // the slice's words\n"
                  "      logic [ShW-1:0]  osh0, osh1;\n"
                  "      assign {osh0, cfg0} = ib0_q[r*Slices + s];\n"
                  "      assign {osh1, cfg1} = ib1_q[r*Slices + s];\n"
                  "      // one ReCoN unit per row: the row's slices, each reading its own words\n"
                  "      %smxf_msq_recon_ub u_ub (\n"
                  "        .cfg0_i(cfg0),\n"
                  "        .cfg1_i(cfg1),\n"
                  "        .osh0_i(osh0),\n"
                  "        .osh1_i(osh1),\n"
                  "        .bank_i(r_bank[r]),\n"
                  "        .en_i  (sl_en[r*Slices + s]),\n"
                  "        .act_i (r_act[ActW*r +: ActW]),\n"
                  "%s"
                  "      );\n",
                  P_, conn.s ? conn.s : "");
    vb_printf(&b, "    end\n"
                  "  end\n\n");

    if (!shared) {
        vb_printf(&b, "  // One ReCoN unit per row: every step is one cycle.\n"
                      "  assign step_end = 1'b1;\n"
                      "  assign en = '1;\n\n");
    } else {
        const int arb = c->fault == MXF_MSQ_FAULT_ARB;
        vb_printf(
            &b,
            "  // Shared ReCoN units. A step serves its m requesting rows bottom first, U "
            "per\n"
            "  // cycle: row r updates on in-step cycle min(floor(rank_r / U), L - 1), rank_r = "
            "the\n"
            "  // requesting rows below r, so every row reads the row above before it "
            "changes.\n"
            "  localparam int Units = %d;\n"
            "  localparam int BaseW = %d;          // holds (cycle + 1) * Units\n"
            "  logic [RankW-1:0] cyc_q, cyc_d;     // cycle within the step\n"
            "  logic [Rows*RankW-1:0] rank;        // rank[r]: requesting rows below r\n"
            "  logic [RankW-1:0] rank_acc;\n"
            "  logic [BaseW-1:0] base, m_req;      // first rank served this cycle; m\n"
            "  always_comb begin\n"
            "    rank_acc = '0;\n"
            "    for (int r = Rows - 1; r >= 0; r--) begin\n"
            "      rank[r*RankW +: RankW] = rank_acc;\n"
            "      rank_acc = rank_acc + RankW'(req[r]);\n"
            "    end\n"
            "  end\n"
            "  assign m_req = BaseW'(rank_acc);\n"
            "  assign base = BaseW'(cyc_q) * BaseW'(Units);\n"
            "  assign step_end = m_req <= base + BaseW'(Units);\n"
            "  for (genvar r = 0; r < Rows; r++) begin : gen_en\n"
            "    logic [BaseW-1:0] rk;\n"
            "    assign rk = BaseW'(rank[r*RankW +: RankW]);\n"
            "    // rows above the last requester update on the step's last cycle\n"
            "    assign en[r] = (rk >= base) && ((rk < base + BaseW'(Units%s)) || step_end);\n"
            "  end\n"
            "  assign cyc_d = step_end ? '0 : cyc_q + RankW'(1);\n"
            "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
            "    if (!rst_ni) cyc_q <= '0;\n"
            "    else         cyc_q <= cyc_d;\n"
            "  end\n\n",
            U, RK + mxf_clog2(U + 1) + 1, arb ? " - 1" : "");
        if (arb) vb_printf(&b, "  // FAULT arb: each grant window is one row short\n");
        vb_printf(
            &b,
            "  // Unit u takes the requesting row whose rank is base + u: an AND-OR chain over\n"
            "  // the rows (c_*[(r+1)] = c_*[r] | row r's value if selected), and returns only\n"
            "  // terms: every column's partial sum stays in its PE.\n"
            "  logic [Units*Rows-1:0] sel;\n"
            "  logic [Units*Ports*AccW-1:0] u_t /* verilator split_var */;\n"
            "  for (genvar u = 0; u < Units; u++) begin : gen_unit\n"
            "    logic [(Rows+1)*Slices*CfgW-1:0] c_cfg /* verilator split_var */;\n"
            "    logic [(Rows+1)*Slices-1:0]      c_sen /* verilator split_var */;\n"
            "    logic [(Rows+1)*ActW-1:0]        c_act /* verilator split_var */;\n"
            "    logic [(Rows+1)*Ports*BW-1:0]    c_in /* verilator split_var */;\n"
            "    assign c_cfg[0 +: Slices*CfgW] = '0;\n"
            "    assign c_sen[0 +: Slices] = '0;\n"
            "    assign c_act[0 +: ActW] = '0;\n"
            "    assign c_in[0 +: Ports*BW] = '0;\n"
            "    for (genvar r = 0; r < Rows; r++) begin : gen_sel\n"
            "      logic s;\n"
            "      assign s = req[r] && en[r] &&\n"
            "          (BaseW'(rank[r*RankW +: RankW]) == base + BaseW'(u));\n"
            "      assign sel[u*Rows + r] = s;\n"
            "      assign c_cfg[(r+1)*Slices*CfgW +: Slices*CfgW] = c_cfg[r*Slices*CfgW +: "
            "Slices*CfgW] |\n"
            "          (s ? r_cfg[r*Slices*CfgW +: Slices*CfgW] : '0);\n"
            "      assign c_sen[(r+1)*Slices +: Slices] = c_sen[r*Slices +: Slices] |\n"
            "          (s ? sl_en[r*Slices +: Slices] : '0);\n"
            "      assign c_act[(r+1)*ActW +: ActW] = c_act[r*ActW +: ActW] |\n"
            "          (s ? r_act[ActW*r +: ActW] : '0);\n"
            "      for (genvar p = 0; p < Ports; p++) begin : gen_p\n"
            "        assign c_in[((r+1)*Ports + p)*BW +: BW] = c_in[(r*Ports + p)*BW +: BW] |\n"
            "            (s ? bnd[(r*Ports + p)*BW +: BW] : '0);\n"
            "      end\n"
            "    end\n"
            "    // the served row's words are already its bank's\n"
            "    for (genvar s = 0; s < Slices; s++) begin : gen_slice\n"
            "      %smxf_msq_recon_ub u_ub (\n"
            "        .cfg0_i(c_cfg[(Rows*Slices + s)*CfgW +: CfgB]),\n"
            "        .cfg1_i(c_cfg[(Rows*Slices + s)*CfgW +: CfgB]),\n"
            "        .osh0_i(c_cfg[(Rows*Slices + s)*CfgW + CfgB +: ShW]),\n"
            "        .osh1_i(c_cfg[(Rows*Slices + s)*CfgW + CfgB +: ShW]),\n"
            "        .bank_i(1'b0),\n"
            "        .en_i  (c_sen[Rows*Slices + s]),\n"
            "        .act_i (c_act[Rows*ActW +: ActW]),\n"
            "%s"
            "      );\n"
            "    end\n"
            "  end\n"
            "  // Row r takes its terms from the unit that served it (none: 0).\n"
            "  for (genvar r = 0; r < Rows; r++) begin : gen_pd\n"
            "    for (genvar p = 0; p < Ports; p++) begin : gen_p\n"
            "      logic [(Units+1)*AccW-1:0] c_got /* verilator split_var */;\n"
            "      assign c_got[0 +: AccW] = '0;\n"
            "      for (genvar u = 0; u < Units; u++) begin : gen_got\n"
            "        assign c_got[(u+1)*AccW +: AccW] = c_got[u*AccW +: AccW] |\n"
            "            (sel[u*Rows + r] ? u_t[(u*Ports + p)*AccW +: AccW] : '0);\n"
            "      end\n"
            "      assign term[(r*Ports + p)*AccW +: AccW] = c_got[Units*AccW +: AccW];\n"
            "    end\n"
            "  end\n\n",
            P_, conn.s ? conn.s : "");
    }
    vb_free(&conn);

    /* The output row. */
    const int late = c->fault == MXF_MSQ_FAULT_LATE_VALID;
    vb_printf(&b, "  // Output: the bottom row's partial sums; valid on the cycle it updated.\n"
                  "  logic yv_q, upd_q;\n"
                  "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
                  "    if (!rst_ni) upd_q <= 1'b0;\n"
                  "    else         upd_q <= en[Rows-1];\n"
                  "  end\n");
    vb_printf(&b, "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
                  "    if (!rst_ni)          yv_q <= 1'b0;\n"
                  "    else if (en[Rows-1])  yv_q <= r_valid[Rows-1];\n"
                  "  end\n");
    if (late)
        vb_printf(&b,
                  "  // FAULT late-valid: whole output row (values and valid) one cycle late\n"
                  "  %smxf_delay_en #(.Width(Ports*AccW + 1), .Depth(1), .CtrlWidth(1)) u_ylate (\n"
                  "    .clk_i (clk_i),\n    .rst_ni(rst_ni),\n    .en_i  (1'b1),\n"
                  "    .d_i   ({yv_q & upd_q, v_psum[Rows*Ports*AccW +: Ports*AccW]}),\n"
                  "    .q_o   ({y_valid_o, y_o})\n  );\n",
                  P_);
    else
        vb_printf(&b, "  assign y_valid_o = yv_q & upd_q;\n"
                      "  assign y_o       = v_psum[Rows*Ports*AccW +: Ports*AccW];\n");
    vb_printf(&b, "endmodule\n");
    return gen_save_rtl(g, "mxf_msq_array", &b, err);
}
