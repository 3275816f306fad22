/* The MicroScopiQ array's leaf modules: the multi-precision multiplier built from four 4b x 2b
 * multipliers (MODE 2b: two lane products; MODE 4b: one product) and the PE (double-buffered
 * words, the multiplier, the alignment shifter, the inlier adder, the bundle it hands to ReCoN and
 * its partial-sum register). README.md in this folder has the datapath. */
#include "gen.h"
#include "msq_golden.h"
#include "msq_harness.h"

static const mxf_msq_cfg *msq(const gen_ctx *g)
{
    return (const mxf_msq_cfg *)(const void *)g->cfg.blob;
}

int emit_msq_mul(gen_ctx *g, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(g);
    vbuf b;
    vb_init(&b);
    gen_file_header(&b, g, "mxf_msq_mul",
                    "Multi-precision multiplier: an 8-bit signed activation split into two 4-bit "
                    "halves times a 4-bit weight word split into two 2-bit halves, four 4b x 2b "
                    "partial products; MODE 2b: two sign-magnitude 2-bit weights (two products), "
                    "MODE 4b: one sign-magnitude 4-bit weight.");
    vb_printf(
        &b,
        "module %smxf_msq_mul #(\n"
        "  parameter int ResW = %d  // product bits (signed)\n"
        ") (\n"
        "  input  logic [7:0]      a_i,     // activation (signed)\n"
        "  input  logic [3:0]      w_i,     // weight word (sign-magnitude codes)\n"
        "  input  logic            mode2_i, // 1: MODE 2b (lanes w_i[1:0], w_i[3:2])\n"
        "  output logic [ResW-1:0] p0_o,    // lane 0's product (MODE 4b: the product)\n"
        "  output logic [ResW-1:0] p1_o     // lane 1's product (MODE 4b: 0)\n"
        ");\n"
        "  localparam int PhW = 7;  // signed high-nibble partial products\n"
        "  localparam int PlW = 6;  // unsigned low-nibble partial products\n"
        "  localparam int ActHalf = 4;  // activation half shift\n"
        "  localparam int WHalf   = 2;  // weight half shift\n\n"
        "  // MODE 4b: the four 4b x 2b multipliers, each two partial-product rows (the\n"
        "  // activation half ANDed with a weight bit) and their sum\n"
        "  logic [1:0] w_h, w_l;  // weight halves fed to the multipliers\n"
        "  assign w_h = {1'b0, w_i[2]};\n"
        "  assign w_l = w_i[1:0];\n"
        "  logic signed [PhW-1:0] a_hx;  // the high half, signed\n"
        "  logic        [PlW-1:0] a_lx;  // the low half, unsigned\n"
        "  assign a_hx = PhW'($signed(a_i[7:4]));\n"
        "  assign a_lx = PlW'(a_i[3:0]);\n"
        "  logic signed [PhW-1:0] p_hh, p_hl;\n"
        "  logic        [PlW-1:0] p_lh, p_ll;\n"
        "  assign p_hh = (a_hx & {PhW{w_h[0]}}) + ((a_hx <<< 1) & {PhW{w_h[1]}});\n"
        "  assign p_hl = (a_hx & {PhW{w_l[0]}}) + ((a_hx <<< 1) & {PhW{w_l[1]}});\n"
        "  assign p_lh = (a_lx & {PlW{w_h[0]}}) + ((a_lx << 1) & {PlW{w_h[1]}});\n"
        "  assign p_ll = (a_lx & {PlW{w_l[0]}}) + ((a_lx << 1) & {PlW{w_l[1]}});\n\n"
        "  logic signed [ResW-1:0] t_hh, t_hl, t_lh, t_ll;\n"
        "  assign t_hh = ResW'(p_hh);  // sign-extended\n"
        "  assign t_hl = ResW'(p_hl);\n"
        "  assign t_lh = {{(ResW-PlW){1'b0}}, p_lh};\n"
        "  assign t_ll = {{(ResW-PlW){1'b0}}, p_ll};\n\n"
        "  // MODE 2b: a weight half's top bit is the constant 0, so each 4b x 2b multiplier\n"
        "  // is its one row, and a lane's two (16 P_HL + P_LL for lane 0, 16 P_HH + P_LH for\n"
        "  // lane 1) are together one row: the whole activation ANDed with the half's bit\n"
        "  logic signed [ResW-1:0] a_x;\n"
        "  assign a_x = ResW'($signed(a_i));\n\n"
        "  logic signed [ResW-1:0] mag4, mag_l0, mag_l1, prod4, prod_l0, prod_l1;\n",
        g->prefix, MXF_MSQ_RESW);
    if (c->fault == MXF_MSQ_FAULT_MUL_4B)
        vb_printf(&b, "  // FAULT mul-4b: the high-act x low-weight product shifted by 2, not 4\n"
                      "  assign mag4 = (t_hh <<< (ActHalf + WHalf)) + (t_hl <<< WHalf) +\n"
                      "                (t_lh <<< WHalf) + t_ll;\n");
    else
        vb_printf(&b, "  assign mag4 = (t_hh <<< (ActHalf + WHalf)) + (t_hl <<< ActHalf) +\n"
                      "                (t_lh <<< WHalf) + t_ll;\n");
    vb_printf(&b, "  assign mag_l0 = a_x & {ResW{w_i[0]}};\n");
    if (c->fault == MXF_MSQ_FAULT_MUL_2B)
        vb_printf(&b, "  // FAULT mul-2b: lane 1 takes lane 0's weight bit\n"
                      "  assign mag_l1 = a_x & {ResW{w_i[0]}};\n");
    else
        vb_printf(&b, "  assign mag_l1 = a_x & {ResW{w_i[2]}};\n");
    vb_printf(&b,
              "  // sign-magnitude codes: a negation where the sign bit is set (invert, add 1)\n"
              "  assign prod4   = (mag4 ^ {ResW{w_i[3]}}) + ResW'(w_i[3]);\n"
              "  assign prod_l0 = (mag_l0 ^ {ResW{w_i[1]}}) + ResW'(w_i[1]);\n"
              "  assign prod_l1 = (mag_l1 ^ {ResW{w_i[3]}}) + ResW'(w_i[3]);\n"
              "  assign p0_o = mode2_i ? prod_l0 : prod4;\n"
              "  assign p1_o = mode2_i ? prod_l1 : '0;\n"
              "endmodule\n");
    return gen_save_rtl(g, "mxf_msq_mul", &b, err);
}

int emit_msq_pe(gen_ctx *g, mxf_err *err)
{
    const mxf_msq_cfg *c = msq(g);
    vbuf b;
    vb_init(&b);
    const int lanes = mxf_msq_lanes(c);
    gen_file_header(&b, g, "mxf_msq_pe",
                    "MicroScopiQ PE: two weight-word banks, the multi-precision multiplier, per "
                    "lane the alignment shift and one adder: an inlier lane adds its aligned "
                    "product, a lane holding an outlier half sends its product to ReCoN on its "
                    "wire and adds the term ReCoN returns; the partial-sum register takes the sum "
                    "when the row is enabled.");
    vb_printf(
        &b,
        "module %smxf_msq_pe #(\n"
        "  parameter int Lanes  = %d,  // outputs per PE: 2 in MODE 2b, 1 in MODE 4b\n"
        "  parameter int AccW   = %d, // partial-sum bits\n"
        "  parameter int ShW    = %d,  // alignment-shift bits\n"
        "  parameter int ResW   = %d, // product bits\n"
        "  parameter int MergeW = %d  // ReCoN term bits\n"
        ") (\n"
        "  input  logic                        clk_i,\n"
        "  input  logic                        en_i,     // the row updates this cycle\n"
        "  input  logic [7:0]                  a_i,      // the row's activation (broadcast)\n"
        "  input  logic                        bank_i,   // its weight bank\n"
        "  input  logic [Lanes*AccW-1:0]       psum_i,   // from the PE above\n"
        "  input  logic [Lanes*AccW-1:0]       term_i,   // ReCoN's term for each lane\n"
        "  input  logic                        w_we_i,\n"
        "  input  logic                        w_bank_i,\n"
        "  input  logic [ShW+5:0]              w_i,      // {shift, half[1:0], code[3:0]}\n"
        "  output logic [Lanes-1:0]            half_o,   // lane holds an outlier half\n"
        "  output logic [Lanes*(MergeW+2)-1:0] wire_o,   // ReCoN wire {valid, sign, product}\n"
        "                                                // (0 product for inliers)\n"
        "  output logic [Lanes*AccW-1:0]       psum_o\n"
        ");\n"
        "  localparam int CodeW = 4;\n"
        "  localparam int Bb    = 4 / Lanes;  // code bits per lane\n"
        "  localparam int WordW = ShW + 2 + CodeW;\n"
        "  localparam int BW    = MergeW + 2;\n\n"
        "  logic [WordW-1:0] w0_q, w1_q, w_sel;  // weight-word banks\n"
        "  logic [ShW-1:0]    sh;\n"
        "  logic [1:0]        half;\n\n"
        "  assign w_sel = bank_i ? w1_q : w0_q;\n"
        "  assign sh    = w_sel[WordW-1 -: ShW];\n"
        "  assign half  = w_sel[CodeW +: 2];\n\n"
        "  logic [ResW-1:0] prod0, prod1;\n"
        "  %smxf_msq_mul u_mul (\n"
        "    .a_i    (a_i),\n"
        "    .w_i    (w_sel[CodeW-1:0]),\n"
        "    .mode2_i(Lanes == 2),\n"
        "    .p0_o   (prod0),\n"
        "    .p1_o   (prod1)\n"
        "  );\n\n"
        "  // the weight banks hold data only: no reset\n"
        "  always_ff @(posedge clk_i) begin\n"
        "    if (w_we_i && !w_bank_i) w0_q <= w_i;\n"
        "    if (w_we_i && w_bank_i)  w1_q <= w_i;\n"
        "  end\n\n"
        "  // A half's own product leaves on its wire, so its adder is free for the term ReCoN\n"
        "  // returns (the merged outlier at an Upper column, 0 at the pruned Lower one).\n"
        "  // Each lane shifts and adds at SumW = 32 bits, one word of the Verilated model (no\n"
        "  // mask between the steps), and stores the low AccW bits; synthesis drops the others\n"
        "  // (they drive nothing).\n"
        "  localparam int SumW = %d;\n"
        "  for (genvar l = 0; l < Lanes; l++) begin : gen_lane\n"
        "    logic signed [SumW-1:0] prod, aligned, sum;\n"
        "    logic                   sgn;\n"
        "    logic [ResW-1:0]        res;\n"
        "    logic [AccW-1:0]        acc_q;  // the lane's partial sum (data: no reset)\n"
        "    logic                   unused_top;\n"
        "    assign prod = SumW'($signed((l == 0) ? prod0 : prod1));\n"
        "    assign aligned = prod <<< sh;\n"
        "    assign half_o[l] = half[l];\n"
        "    assign sgn = half[l] & w_sel[l*Bb+Bb-1];\n"
        "    assign res = half[l] ? prod[ResW-1:0] : '0;\n"
        "    assign wire_o[l*BW +: BW] = {1'b1, sgn, MergeW'($signed(res))};\n"
        "    assign sum = SumW'(psum_i[l*AccW +: AccW]) +\n"
        "        (half[l] ? SumW'(term_i[l*AccW +: AccW]) : aligned);\n"
        "    always_ff @(posedge clk_i) begin\n"
        "      if (en_i) acc_q <= sum[AccW-1:0];\n"
        "    end\n"
        "    assign psum_o[l*AccW +: AccW] = acc_q;\n"
        "    assign unused_top = ^{prod[SumW-1:ResW], sum[SumW-1:AccW]};\n"
        "  end\n",
        g->prefix, lanes, mxf_msq_acc_bits(c), mxf_msq_shift_bits(c), MXF_MSQ_RESW, MXF_MSQ_MERGEW,
        g->prefix, MXF_MSQ_SUMW);
    if (lanes == 1) vb_printf(&b, "  logic unused_pe;\n  assign unused_pe = ^{half[1], prod1};\n");
    vb_printf(&b, "endmodule\n");
    return gen_save_rtl(g, "mxf_msq_pe", &b, err);
}
