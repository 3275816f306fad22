/* mxf_delay: a Depth-stage register chain. Used for the activation skew at the array's left
 * edge, the weight skew at its top edge and the output de-skew at its bottom edge, so the array's
 * external interface is aligned (one row vector in, one row vector out per cycle). */
#include "emit.h"

int emit_delay(const gen_ctx *g, mxf_err *err)
{
    vbuf b;
    vb_init(&b);
    emit_file_header(&b, g, "mxf_delay",
                     "Depth-stage register chain (Depth >= 1), async active-low reset.");
    vb_printf(&b,
              "module mxf_delay #(\n"
              "  parameter int Width = 1,\n"
              "  parameter int Depth = 1\n"
              ") (\n"
              "  input  logic             clk_i,\n"
              "  input  logic             rst_ni,\n"
              "  input  logic [Width-1:0] d_i,\n"
              "  output logic [Width-1:0] q_o\n"
              ");\n"
              "  logic [Width*Depth-1:0] chain_q;\n"
              "\n"
              "  if (Depth == 1) begin : g_one\n"
              "    always_ff @(posedge clk_i or negedge rst_ni) begin\n"
              "      if (!rst_ni) chain_q <= '0;\n"
              "      else         chain_q <= d_i;\n"
              "    end\n"
              "  end else begin : g_many\n"
              "    always_ff @(posedge clk_i or negedge rst_ni) begin\n"
              "      if (!rst_ni) chain_q <= '0;\n"
              "      else         chain_q <= {chain_q[Width*(Depth-1)-1:0], d_i};\n"
              "    end\n"
              "  end\n"
              "\n"
              "  assign q_o = chain_q[Width*Depth-1 -: Width];\n"
              "endmodule\n");
    int rc = vb_save(&b, g->rtl_dir, "mxf_delay.v", err);
    vb_free(&b);
    return rc;
}
