// The thin extern "C" shim around the Verilated model: the only C++ in mxforge. It knows no
// block: the top's class and its ports come from the config's mxf_params.h (MXF_VTOP,
// MXF_PORTS), which mxfgen writes from the block's port table.
#include "dut.h"

#include <cstddef>
#include <cstring>

#include "mxf_params.h"
#include MXF_VTOP_HEADER
#include "verilated.h"
#if VM_TRACE && VM_TRACE_FST
#include "verilated_fst_c.h"
typedef VerilatedFstC mxf_wave;
#elif VM_TRACE
#include "verilated_vcd_c.h"
typedef VerilatedVcdC mxf_wave;
#endif

struct mxf_dut {
    VerilatedContext ctx;
    MXF_VTOP *top;
#if VM_TRACE
    mxf_wave *vcd;
#endif
    uint64_t time;
    uint64_t ticks, from, to; /* waveform window, in clock cycles since the model was created */
};

// Ports up to 64 bits are plain integers; wider ones are VlWide<N> word arrays.
template <std::size_t N> static void put(VlWide<N> &port, const uint32_t *w)
{
    for (std::size_t i = 0; i < N; i++) port[i] = w[i];
}
template <class T> static void put(T &port, const uint32_t *w)
{
    port = sizeof(T) > 4 ? (T)(w[0] | ((uint64_t)w[1] << 32)) : (T)w[0];
}
template <std::size_t N> static void get(const VlWide<N> &port, uint32_t *w)
{
    for (std::size_t i = 0; i < N; i++) w[i] = port[i];
}
template <class T> static void get(const T &port, uint32_t *w)
{
    w[0] = (uint32_t)port;
    if (sizeof(T) > 4) w[1] = (uint32_t)((uint64_t)port >> 32);
}

// Per-role actions of the port table's X-macro.
#define SET_IN_DATA(i, n, w)                                                                       \
    case i:                                                                                        \
        put(d->top->n, words);                                                                     \
        break;
#define GET_OUT(i, n, w)                                                                           \
    case i:                                                                                        \
        get(d->top->n, words);                                                                     \
        break;
#define SET_CASE(i, n, dir, role, w) SET_##dir##_##role(i, n, w)
#define GET_CASE(i, n, dir, role, w) GET_##dir(i, n, w)
#define SET_IN_CLOCK(i, n, w)
#define SET_IN_RESET(i, n, w)
#define SET_OUT_DATA(i, n, w)
#define SET_OUT_STROBE(i, n, w)
#define GET_IN(i, n, w)
#define CLOCK_OF(i, n, dir, role, w) CLOCK_##role(n)
#define CLOCK_CLOCK(n) d->top->n = clk;
#define CLOCK_RESET(n)
#define CLOCK_DATA(n)
#define CLOCK_STROBE(n)
#define RESET_OF(i, n, dir, role, w) RESET_##role(n)
#define RESET_RESET(n) d->top->n = rst_n;
#define RESET_CLOCK(n)
#define RESET_DATA(n)
#define RESET_STROBE(n)

static void set_clock(mxf_dut *d, int clk)
{
    MXF_PORTS(CLOCK_OF)
}
static void set_reset(mxf_dut *d, int rst_n)
{
    MXF_PORTS(RESET_OF)
}

static void dump(mxf_dut *d)
{
#if VM_TRACE
    if (d->vcd && d->ticks >= d->from && d->ticks <= d->to) d->vcd->dump(d->time);
#endif
    d->time += 5;
}

extern "C" {

int mxf_dut_has_trace(void)
{
    return VM_TRACE;
}

mxf_dut *mxf_dut_new(const char *vcd_path, int argc, char **argv)
{
    if (vcd_path && !VM_TRACE) return nullptr;
    mxf_dut *d = new mxf_dut;
    d->ctx.commandArgs(argc, argv);
    d->top = new MXF_VTOP{&d->ctx};
    d->time = 0;
    d->ticks = 0;
    d->from = 0;
    d->to = UINT64_MAX;
#if VM_TRACE
    d->vcd = nullptr;
    if (vcd_path) {
        d->ctx.traceEverOn(true);
        d->vcd = new mxf_wave;
        d->top->trace(d->vcd, 99);
        d->vcd->open(vcd_path);
    }
#endif
    return d;
}

void mxf_dut_free(mxf_dut *d)
{
    if (!d) return;
    d->top->final();
#if VM_TRACE
    if (d->vcd) {
        d->vcd->close();
        delete d->vcd;
    }
#endif
    delete d->top;
    delete d;
}

void mxf_dut_wave_window(mxf_dut *d, uint64_t from, uint64_t to)
{
    d->from = from;
    d->to = to;
}

void mxf_dut_tick(mxf_dut *d)
{
    d->ticks++;
    set_clock(d, 1);
    d->top->eval();
    dump(d);
    set_clock(d, 0);
    d->top->eval();
    dump(d);
}

void mxf_dut_reset(mxf_dut *d)
{
    set_clock(d, 0);
    set_reset(d, 0);
    d->top->eval();
    dump(d);
    mxf_dut_tick(d);
    mxf_dut_tick(d);
    set_reset(d, 1);
    d->top->eval();
    dump(d);
}

void mxf_dut_set(mxf_dut *d, int port, const uint32_t *words)
{
    switch (port) {
        MXF_PORTS(SET_CASE)
    default:
        break;
    }
}

void mxf_dut_get(const mxf_dut *d, int port, uint32_t *words)
{
    switch (port) {
        MXF_PORTS(GET_CASE)
    default:
        break;
    }
}
}
