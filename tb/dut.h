/* C view of one Verilated config: the only interface between the C harness and C++. Ports are
 * addressed by their index in the block's port table (mxf_params.h, MXF_PORTS); values travel as
 * little-endian arrays of 32-bit words (bit i of the port is bit i%32 of word i/32), whatever
 * width Verilator chose to represent the port with. */
#ifndef MXF_DUT_H
#define MXF_DUT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxf_dut mxf_dut;

/* vcd_path: waveform file to write, or NULL. argc/argv go to the Verilated context, so
 * +verilator+seed+N and +verilator+rand+reset+2 work. Returns NULL if tracing was requested from
 * a model built without it (build with TRACE=1). */
mxf_dut *mxf_dut_new(const char *vcd_path, int argc, char **argv);
void mxf_dut_free(mxf_dut *d);
/* Holds the reset low for two clock edges, then releases it. */
void mxf_dut_reset(mxf_dut *d);
/* Sets input port `port` (a data input of the table). */
void mxf_dut_set(mxf_dut *d, int port, const uint32_t *words);
/* Reads output port `port`. */
void mxf_dut_get(const mxf_dut *d, int port, uint32_t *words);
/* Waveform only for clock cycles from..to (counted from the model's creation, resets included). */
void mxf_dut_wave_window(mxf_dut *d, uint64_t from, uint64_t to);
/* One clock cycle: rising edge (inputs sampled), then falling edge. */
void mxf_dut_tick(mxf_dut *d);
int mxf_dut_has_trace(void);

#ifdef __cplusplus
}
#endif
#endif
