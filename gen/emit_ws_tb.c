/* Icarus testbench for mxf_ws_array: file-driven because Icarus 11 has no DPI. It reads one
 * stimulus word per cycle ($readmemh; layout in sw/ws_array.h), applies the same reset and
 * cycle protocol as the C harness, and writes "<cycle> <y hex>" for every valid output cycle.
 * The C side (mxfvec check) compares that file with the golden model. */
#include "emit.h"

int emit_ws_tb(const gen_ctx *g, mxf_err *err)
{
    vbuf b;
    vb_init(&b);
    const int R = g->R, C = g->C, WB = g->WB, AW = g->AW, CW = g->CW;
    const int SB = mxf_ws_stim_bits(&g->cfg);
    emit_file_header(&b, g, "tb_mxf_ws_array",
                     "File-driven Icarus testbench: +stim=<hex file> +out=<file>, "
                     "-Ptb_mxf_ws_array.NCycles=<n>.");
    vb_printf(&b,
              "`timescale 1ns/1ps\n"
              "module tb_mxf_ws_array;\n"
              "  parameter int NCycles = 1;\n"
              "  logic          clk_i = 1'b0;\n"
              "  logic          rst_ni = 1'b0;\n"
              "  logic [%d:0]   stim [0:NCycles-1];\n"
              "  logic [%d:0]   cur;\n"
              "  logic          y_valid_o;\n"
              "  logic [%d:0]   y_o;\n"
              "  integer        fd, cycle;\n"
              "  reg [8*512-1:0] stim_file, out_file;\n\n"
              "  mxf_ws_array u_dut (\n"
              "    .clk_i      (clk_i),\n"
              "    .rst_ni     (rst_ni),\n"
              "    .act_valid_i(cur[%d]),\n"
              "    .act_bank_i (cur[%d]),\n"
              "    .act_i      (cur[%d:%d]),\n"
              "    .w_valid_i  (cur[%d]),\n"
              "    .w_bank_i   (cur[%d]),\n"
              "    .w_row_i    (cur[%d:%d]),\n"
              "    .w_i        (cur[%d:0]),\n"
              "    .y_valid_o  (y_valid_o),\n"
              "    .y_o        (y_o)\n"
              "  );\n\n"
              "  always #5 clk_i = ~clk_i;\n\n",
              SB - 1, SB - 1, C * AW - 1,
              SB - 1, SB - 2, SB - 3, SB - 2 - R * 8,
              C * WB + CW + 1, C * WB + CW, C * WB + CW - 1, C * WB, C * WB - 1);
    vb_printf(&b,
              "  initial begin\n"
              "    if (!$value$plusargs(\"stim=%%s\", stim_file)) begin\n"
              "      $display(\"tb: missing +stim=<file>\");\n      $finish;\n    end\n"
              "    if (!$value$plusargs(\"out=%%s\", out_file)) begin\n"
              "      $display(\"tb: missing +out=<file>\");\n      $finish;\n    end\n"
              "    $readmemh(stim_file, stim);\n"
              "    fd = $fopen(out_file, \"w\");\n"
              "    cur = '0;\n"
              "    repeat (2) @(posedge clk_i);\n"
              "    #1 rst_ni = 1'b1;\n"
              "    for (cycle = 0; cycle < NCycles; cycle = cycle + 1) begin\n"
              "      cur = stim[cycle];\n"
              "      @(posedge clk_i);\n"
              "      #1;\n"
              "      if (y_valid_o) $fdisplay(fd, \"%%0d %%h\", cycle, y_o);\n"
              "    end\n"
              "    $fclose(fd);\n"
              "    $display(\"tb: %%0d cycles done\", NCycles);\n"
              "    $finish;\n"
              "  end\n"
              "endmodule\n");
    int rc = vb_save(&b, g->tb_dir, "tb_mxf_ws_array.v", err);
    vb_free(&b);
    return rc;
}
