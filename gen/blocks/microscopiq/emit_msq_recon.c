/* ReCoN in RTL: the 2x2 switch (pass / swap / four merges / two splits, docs/recon.md), the
 * 8-port butterfly of one micro-block (4 stages x 8 switches) and the unit (one slice per uB of
 * the row, bypassed where the uB holds no outlier). README.md in this folder has the choices. */
#include "gen.h"
#include "msq_golden.h"
#include "msq_harness.h"

static const mxf_msq_cfg *msq(const gen_ctx *g)
{
    return (const mxf_msq_cfg *)(const void *)g->cfg.blob;
}

/* The wire every ReCoN module shares: {valid, sign, term[MergeW-1:0]}. Only products and merged
 * terms move; each column's partial sum stays in place and is added at the unit's output. */
#define WIRE_DOC "wire {valid, sign, term[MergeW-1:0]}"

/* One switch module per stage kind (no parameter overrides, so synthesis reports name them):
 * mxf_msq_switch_in (stage 0: no merge), mxf_msq_switch (stages 1, 2), mxf_msq_switch_out
 * (stage 3: no split). */
static int emit_switch(gen_ctx *g, const char *mod, int can_merge, int can_split, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(g);
    vbuf b;
    vb_init(&b);
    const int M = c->bb == 2 ? 2 : 4;
    gen_file_header(&b, g, mod,
                    "ReCoN 2x2 switch: PASS, SWAP, MERGE (Upper on hi or lo, result to hi or lo: "
                    "(+-act << M) + (term_U << M/2) + term_L) and SPLIT (the one valid input to "
                    "one output, an empty term to the other).");
    vb_printf(&b,
              "module %s%s #(\n"
              "  parameter int MergeW = %d  // |act| (2^M + 2^(M/2) 3 + 3) fits, signed\n"
              ") (\n"
              "  input  logic [2:0]          op_i,\n"
              "  input  logic [7:0]          act_i,  // the row's activation: hidden-bit term\n"
              "  input  logic [MergeW+1:0]   hi_i,   // " WIRE_DOC "\n"
              "  input  logic [MergeW+1:0]   lo_i,\n"
              "  output logic [MergeW+1:0]   hi_o,\n"
              "  output logic [MergeW+1:0]   lo_o\n"
              ");\n"
              "  localparam bit CanMerge = 1'b%d;  // the router merges in stages 1..3\n"
              "  localparam bit CanSplit = 1'b%d;  // and splits in stages 0..2\n"
              "  localparam int BW     = MergeW + 2;\n"
              "  localparam int Mant   = %d;  // M: mantissa bits of an outlier\n"
              "  localparam int HalfSh = %d;  // M/2: the Upper half's weight\n"
              "  localparam logic [2:0] OpPass = 3'd0, OpSwap = 3'd1, OpMergeHH = 3'd2,\n"
              "                         OpMergeHL = 3'd3, OpMergeLH = 3'd4, OpMergeLL = 3'd5,\n"
              "                         OpSplitRH = 3'd6, OpSplitRL = 3'd7;\n\n"
              "  // Merge: the Upper wire on hi (HH, HL) or lo (LH, LL)\n"
              "  logic upper_lo;\n"
              "  logic [BW-1:0] u_b, merged, split_b, acc_part;\n"
              "  logic [MergeW-1:0] l_t;  // the Lower wire's term\n",
              g->prefix, mod, MXF_MSQ_MERGEW, can_merge, can_split, M, M / 2);
    if (c->fault == MXF_MSQ_FAULT_SW_MIRROR)
        vb_printf(&b, "  // FAULT sw-mirror: MERGE_LH takes the Upper half from the hi port\n"
                      "  assign upper_lo = (op_i == OpMergeLL);\n");
    else
        vb_printf(&b, "  assign upper_lo = (op_i == OpMergeLH) || (op_i == OpMergeLL);\n");
    vb_printf(&b, "  assign u_b = upper_lo ? lo_i : hi_i;\n"
                  "  assign l_t = upper_lo ? hi_i[MergeW-1:0] : lo_i[MergeW-1:0];\n"
                  "  logic signed [MergeW-1:0] act_x, hid, term;\n"
                  "  assign act_x = {{(MergeW-8){act_i[7]}}, act_i};\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SIGN)
        vb_printf(&b, "  // FAULT sw-sign: the hidden-bit term is always +act\n"
                      "  assign hid   = act_x <<< Mant;\n"
                      "  logic unused_sgn;\n  assign unused_sgn = u_b[BW-2];\n");
    else
        vb_printf(&b, "  assign hid   = u_b[BW-2] ? -(act_x <<< Mant) : (act_x <<< Mant);\n");
    vb_printf(&b, "  assign term  = hid + (u_b[MergeW-1:0] <<< HalfSh) + l_t;\n"
                  "  assign merged = {1'b1, 1'b0, term};\n\n"
                  "  // Split: the one valid input\n"
                  "  assign split_b  = hi_i[BW-1] ? hi_i : lo_i;\n"
                  "  assign acc_part = {split_b[BW-1], 1'b0, {MergeW{1'b0}}};\n\n"
                  "  always_comb begin\n"
                  "    hi_o = '0;\n"
                  "    lo_o = '0;\n"
                  "    case (op_i)\n"
                  "      OpPass: begin hi_o = hi_i; lo_o = lo_i; end\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SWAP)
        vb_printf(&b, "      // FAULT sw-swap: SWAP passes straight\n"
                      "      OpSwap: begin hi_o = hi_i; lo_o = lo_i; end\n");
    else
        vb_printf(&b, "      OpSwap: begin hi_o = lo_i; lo_o = hi_i; end\n");
    vb_printf(&b, "      OpMergeHH, OpMergeLH: if (CanMerge) hi_o = merged;\n"
                  "      OpMergeHL, OpMergeLL: if (CanMerge) lo_o = merged;\n");
    if (c->fault == MXF_MSQ_FAULT_SW_SPLIT)
        vb_printf(&b,
                  "      // FAULT sw-split: SPLIT_RH behaves as SPLIT_RL\n"
                  "      OpSplitRH: if (CanSplit) begin hi_o = acc_part; lo_o = split_b; end\n");
    else
        vb_printf(&b,
                  "      OpSplitRH: if (CanSplit) begin hi_o = split_b; lo_o = acc_part; end\n");
    vb_printf(&b, "      OpSplitRL: if (CanSplit) begin hi_o = acc_part; lo_o = split_b; end\n"
                  "      default: ;\n"
                  "    endcase\n"
                  "  end\n"
                  "endmodule\n");
    return gen_save_rtl(g, mod, &b, err);
}

int emit_msq_switch(gen_ctx *g, mxf_err *err)
{
    return emit_switch(g, "mxf_msq_switch_in", 0, 1, err) ||
                   emit_switch(g, "mxf_msq_switch", 1, 1, err) ||
                   emit_switch(g, "mxf_msq_switch_out", 1, 0, err)
               ? -1
               : 0;
}

int emit_msq_recon_ub(gen_ctx *g, mxf_err *err)
{
    vbuf b;
    vb_init(&b);
    gen_file_header(&b, g, "mxf_msq_recon_ub",
                    "ReCoN slice of one micro-block: an 8-port butterfly of 4 stages x 8 switches "
                    "(input stage, then exchange distances 1, 2, 4), wired as docs/recon.md "
                    "section 1; output x is the term on the last stage's switch x hi output.");
    vb_printf(&b,
              "module %smxf_msq_recon_ub #(\n"
              "  parameter int MergeW = %d\n"
              ") (\n"
              "  input  logic [95:0]             cfg_i,  // op of switch (s, x) at 3(8s + x)\n"
              "  input  logic [7:0]              act_i,\n"
              "  input  logic [8*(MergeW+2)-1:0] in_i,   // 8 wires {valid, sign, term}\n"
              "  output logic [8*MergeW-1:0]     out_o   // 8 terms\n"
              ");\n"
              "  localparam int BW = MergeW + 2;\n"
              "  localparam int Stages = 4;\n"
              "  localparam int Ports = 8;\n"
              "  // so_hi/so_lo[s*Ports + x]: outputs of stage s switch x\n"
              "  logic [Stages*Ports*BW-1:0] so_hi, so_lo;\n\n"
              "  for (genvar s = 0; s < Stages; s++) begin : gen_stage\n"
              "    for (genvar x = 0; x < Ports; x++) begin : gen_sw\n"
              "      logic [BW-1:0] hi, lo;\n"
              "      if (s == 0) begin : gen_in\n"
              "        assign hi = in_i[x*BW +: BW];\n"
              "        assign lo = '0;  // tied: the input stage's lo port\n"
              "      end else begin : gen_xchg\n"
              "        localparam int D = 1 << (s - 1);\n"
              "        localparam int Base = x & ~D;\n"
              "        localparam int Lane = (x & D) != 0 ? 1 : 0;\n"
              "        if (Lane == 0) begin : gen_take_hi\n"
              "          assign hi = so_hi[((s-1)*Ports + Base)*BW +: BW];\n"
              "          assign lo = so_hi[((s-1)*Ports + Base + D)*BW +: BW];\n"
              "        end else begin : gen_take_lo\n"
              "          assign hi = so_lo[((s-1)*Ports + Base)*BW +: BW];\n"
              "          assign lo = so_lo[((s-1)*Ports + Base + D)*BW +: BW];\n"
              "        end\n"
              "      end\n",
              g->prefix, MXF_MSQ_MERGEW);
    const char *kinds[3][2] = {{"s == 0", "in"}, {"s == Stages - 1", "out"}, {NULL, "mid"}};
    for (int k = 0; k < 3; k++) {
        if (k == 0)
            vb_printf(&b, "      if (%s) begin : gen_%s_sw\n", kinds[k][0], kinds[k][1]);
        else if (kinds[k][0])
            vb_printf(&b, "      end else if (%s) begin : gen_%s_sw\n", kinds[k][0], kinds[k][1]);
        else
            vb_printf(&b, "      end else begin : gen_%s_sw\n", kinds[k][1]);
        vb_printf(&b,
                  "        %smxf_msq_switch%s u_sw (\n"
                  "          .op_i (cfg_i[3*(s*Ports + x) +: 3]),\n"
                  "          .act_i(act_i),\n"
                  "          .hi_i (hi),\n"
                  "          .lo_i (lo),\n"
                  "          .hi_o (so_hi[(s*Ports + x)*BW +: BW]),\n"
                  "          .lo_o (so_lo[(s*Ports + x)*BW +: BW])\n"
                  "        );\n",
                  g->prefix,
                  k == 0   ? "_in"
                  : k == 1 ? "_out"
                           : "");
    }
    vb_printf(&b,
              "      end\n"
              "    end\n"
              "  end\n"
              "  for (genvar x = 0; x < Ports; x++) begin : gen_out\n"
              "    assign out_o[x*MergeW +: MergeW] = so_hi[((Stages-1)*Ports + x)*BW +: MergeW];\n"
              "  end\n"
              "  logic unused_ub;\n"
              "  assign unused_ub = ^{so_lo[(Stages-1)*Ports*BW +: Ports*BW]");
    for (int x = 0; x < 8; x++) vb_printf(&b, ", so_hi[(3*Ports + %d)*BW + MergeW +: 2]", x);
    vb_printf(&b, "};\nendmodule\n");
    return gen_save_rtl(g, "mxf_msq_recon_ub", &b, err);
}

int emit_msq_recon(gen_ctx *g, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(g);
    vbuf b;
    vb_init(&b);
    gen_file_header(&b, g, "mxf_msq_recon",
                    "ReCoN unit for one PE row: one 8-port butterfly slice per micro-block moves "
                    "the outlier halves' products to their Upper columns and merges them; each "
                    "output adds its column's own partial sum and, where its slice holds outlier "
                    "halves, the term that arrived, shifted by the uB's outlier unit.");
    vb_printf(&b,
              "module %smxf_msq_recon #(\n"
              "  parameter int Ports  = %d,  // outputs per row\n"
              "  parameter int AccW   = %d,\n"
              "  parameter int MergeW = %d,\n"
              "  parameter int ShW    = %d\n"
              ") (\n"
              "  input  logic [(Ports/8)*(96+ShW)-1:0] cfg_i,   // per slice {shift, config}\n"
              "  input  logic [Ports/8-1:0]            en_i,    // slice holds outlier halves\n"
              "  input  logic [7:0]                    act_i,\n"
              "  input  logic [Ports*(MergeW+2)-1:0]   in_i,    // wires {valid, sign, term}\n"
              "  input  logic [Ports*AccW-1:0]         iacc_i,  // the columns' partial sums\n"
              "  output logic [Ports*AccW-1:0]         out_o\n"
              ");\n"
              "  localparam int BW = MergeW + 2;\n"
              "  localparam int Slices = Ports / 8;\n"
              "  localparam int CfgW = 96 + ShW;\n"
              "  for (genvar s = 0; s < Slices; s++) begin : gen_slice\n"
              "    logic [8*MergeW-1:0] routed;\n"
              "    logic [ShW-1:0]      osh;\n"
              "    assign osh = cfg_i[s*CfgW + 96 +: ShW];\n"
              "    %smxf_msq_recon_ub u_ub (\n"
              "      .cfg_i(cfg_i[s*CfgW +: 96]),\n"
              "      .act_i(act_i),\n"
              "      .in_i (in_i[s*8*BW +: 8*BW]),\n"
              "      .out_o(routed)\n"
              "    );\n"
              "    for (genvar x = 0; x < 8; x++) begin : gen_port\n"
              "      logic signed [AccW-1:0] term;\n",
              g->prefix, mxf_msq_ports(c), mxf_msq_acc_bits(c), MXF_MSQ_MERGEW,
              mxf_msq_shift_bits(c), g->prefix);
    if (c->fault == MXF_MSQ_FAULT_SW_SHIFT)
        vb_printf(&b,
                  "      // FAULT sw-shift: the outlier-unit shift is dropped\n"
                  "      assign term = {{(AccW-MergeW){routed[x*MergeW+MergeW-1]}},\n"
                  "                     routed[x*MergeW +: MergeW]} <<< (osh & {ShW{1'b0}});\n");
    else
        vb_printf(&b, "      assign term = {{(AccW-MergeW){routed[x*MergeW+MergeW-1]}},\n"
                      "                     routed[x*MergeW +: MergeW]} <<< osh;\n");
    vb_printf(&b, "      assign out_o[(s*8 + x)*AccW +: AccW] =\n"
                  "          iacc_i[(s*8 + x)*AccW +: AccW] + (en_i[s] ? term : '0);\n"
                  "    end\n"
                  "  end\n");
    vb_printf(&b, "endmodule\n");
    return gen_save_rtl(g, "mxf_msq_recon", &b, err);
}
