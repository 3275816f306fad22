// The thin extern "C" shim around the Verilated model: the only C++ in mxforge.
#include "dut.h"

#include <cstddef>
#include <cstring>

#include "Vmxf_ws_array.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

struct mxf_dut {
    VerilatedContext ctx;
    Vmxf_ws_array *top;
#if VM_TRACE
    VerilatedVcdC *vcd;
#endif
    uint64_t time;
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

static void dump(mxf_dut *d)
{
#if VM_TRACE
    if (d->vcd) d->vcd->dump(d->time);
#endif
    d->time += 5;
}

extern "C" {

int mxf_dut_has_trace(void) { return VM_TRACE; }

mxf_dut *mxf_dut_new(const char *vcd_path)
{
    if (vcd_path && !VM_TRACE) return nullptr;
    mxf_dut *d = new mxf_dut;
    d->top = new Vmxf_ws_array{&d->ctx};
    d->time = 0;
#if VM_TRACE
    d->vcd = nullptr;
    if (vcd_path) {
        d->ctx.traceEverOn(true);
        d->vcd = new VerilatedVcdC;
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

void mxf_dut_tick(mxf_dut *d)
{
    d->top->clk_i = 1;
    d->top->eval();
    dump(d);
    d->top->clk_i = 0;
    d->top->eval();
    dump(d);
}

void mxf_dut_reset(mxf_dut *d)
{
    d->top->clk_i = 0;
    d->top->rst_ni = 0;
    d->top->eval();
    dump(d);
    mxf_dut_tick(d);
    mxf_dut_tick(d);
    d->top->rst_ni = 1;
    d->top->eval();
    dump(d);
}

void mxf_dut_set_act(mxf_dut *d, uint32_t valid, uint32_t bank, const uint32_t *act)
{
    d->top->act_valid_i = valid;
    d->top->act_bank_i = bank;
    put(d->top->act_i, act);
}

void mxf_dut_set_w(mxf_dut *d, uint32_t valid, uint32_t bank, uint32_t row, const uint32_t *w)
{
    d->top->w_valid_i = valid;
    d->top->w_bank_i = bank;
    d->top->w_row_i = row;
    put(d->top->w_i, w);
}

uint32_t mxf_dut_y_valid(const mxf_dut *d) { return d->top->y_valid_o; }

void mxf_dut_get_y(const mxf_dut *d, uint32_t *y) { get(d->top->y_o, y); }
}
