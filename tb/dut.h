/* C view of the Verilated array: the only interface between the C harness and C++.
 * Port values travel as little-endian arrays of 32-bit words (bit i of the port is bit i%32 of
 * word i/32), whatever width Verilator chose to represent the port with. */
#ifndef MXF_DUT_H
#define MXF_DUT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxf_dut mxf_dut;

/* vcd_path: waveform file to write, or NULL. Returns NULL if tracing was requested from a model
 * built without it (build with TRACE=1). */
mxf_dut *mxf_dut_new(const char *vcd_path);
void mxf_dut_free(mxf_dut *d);
/* Holds rst_ni low for two clock edges, then releases it. */
void mxf_dut_reset(mxf_dut *d);
void mxf_dut_set_act(mxf_dut *d, uint32_t valid, uint32_t bank, const uint32_t *act);
void mxf_dut_set_w(mxf_dut *d, uint32_t valid, uint32_t bank, uint32_t row, const uint32_t *w);
/* One clock cycle: rising edge (inputs sampled), then falling edge. */
void mxf_dut_tick(mxf_dut *d);
uint32_t mxf_dut_y_valid(const mxf_dut *d);
void mxf_dut_get_y(const mxf_dut *d, uint32_t *y);
int mxf_dut_has_trace(void);

#ifdef __cplusplus
}
#endif
#endif
