/* The harness core shared by every simulator path (Verilator's mxfsim, Icarus's mxfvec): a block
 * turns a command (`gemm`, `random`, `image`, `model`, ...) into jobs; a job says, cycle by cycle,
 * what its input ports carry and checks what its output ports show when the strobe is high; the
 * simulator path runs the cycles. Port values travel as little-endian 32-bit words per port (bit
 * i of a port is bit i%32 of word i/32), indexed like the block's port table. */
#ifndef MXF_SIM_H
#define MXF_SIM_H

#include <stdint.h>

#include "block.h"
#include "err.h"

#define MXF_PORT_MAX_WORDS 320 /* 10240-bit ports */
#define MXF_SIM_SLACK 8        /* cycles simulated past the expected end: late outputs are caught */

typedef struct mxf_portvals {
    int n;
    int words[MXF_BLOCK_MAX_PORTS];
    uint32_t v[MXF_BLOCK_MAX_PORTS][MXF_PORT_MAX_WORDS];
} mxf_portvals;

void mxf_pv_init(mxf_portvals *pv, const mxf_port *ports, int n);
void mxf_pv_clear(mxf_portvals *pv);
/* The general cases of mxf_pv_put / mxf_pv_get (any width up to 64, any words). */
void mxf_pv_put_words(mxf_portvals *pv, int p, int bit, int width, uint64_t v);
int64_t mxf_pv_get_words(const mxf_portvals *pv, int p, int bit, int width, int is_signed);

/* Writes the low `width` bits of v at bit `bit` of port p. Inline: the harnesses pack every
 * port field on every cycle: a field inside one word is one masked store, one of up to 32 bits
 * across two of the port's words moves through a 64-bit window of the two. */
static inline void mxf_pv_put(mxf_portvals *pv, int p, int bit, int width, uint64_t v)
{
    uint32_t *w = pv->v[p];
    const int i = bit / 32, off = bit % 32;
    if (off + width <= 32) { /* inside one word */
        const uint32_t m = (width == 32 ? ~0u : (1u << width) - 1u) << off;
        w[i] = (w[i] & ~m) | (((uint32_t)v << off) & m);
    } else if (width <= 32 && i + 1 < pv->words[p]) {
        const uint64_t m = (width == 32 ? 0xffffffffu : (UINT64_C(1) << width) - 1u) << off;
        const uint64_t nw = ((((uint64_t)w[i + 1] << 32) | w[i]) & ~m) | ((v << off) & m);
        w[i] = (uint32_t)nw;
        w[i + 1] = (uint32_t)(nw >> 32);
    } else {
        mxf_pv_put_words(pv, p, bit, width, v);
    }
}

/* Reads `width` bits (<= 64) at bit `bit` of port p, sign-extended when is_signed. */
static inline int64_t mxf_pv_get(const mxf_portvals *pv, int p, int bit, int width, int is_signed)
{
    const uint32_t *w = pv->v[p];
    const int i = bit / 32, off = bit % 32;
    if (width > 32 || (off + width > 32 && i + 1 >= pv->words[p]))
        return mxf_pv_get_words(pv, p, bit, width, is_signed);
    const uint64_t win = off + width <= 32 ? w[i] : (((uint64_t)w[i + 1] << 32) | w[i]);
    uint64_t v = (win >> off) & (width == 32 ? 0xffffffffu : (UINT64_C(1) << width) - 1u);
    if (is_signed && (v >> (width - 1)) & 1u) v |= ~UINT64_C(0) << width;
    return (int64_t)v;
}

typedef struct mxf_job mxf_job;
typedef struct mxf_job_ops {
    int64_t (*cycles)(const mxf_job *j); /* the golden model's cycle count */
    void (*stim)(const mxf_job *j, int64_t cycle, mxf_portvals *in);
    /* One cycle whose strobe was 1. Returns 0, -1 on the first mismatch, or -2 when the golden
     * model could not be computed (out of memory: an error, not a mismatch); failure() says. */
    int (*push)(mxf_job *j, int64_t cycle, const mxf_portvals *out);
    /* After the run (last_cycle: last simulated). Returns 0, -1 or -2 as push, failure() set. */
    int (*finish)(mxf_job *j, int64_t last_cycle);
    const char *(*failure)(const mxf_job *j);
    /* The cycle the next output row is expected on (-1: none left). Used by paths that
     * preserve the order of outputs but not their cycles (the streaming top). */
    int64_t (*next_cycle)(const mxf_job *j);
} mxf_job_ops;

struct mxf_job {
    const mxf_job_ops *ops;
    void *state;
    double macs;   /* useful multiply-accumulates */
    int64_t tiles; /* array passes */
    uint64_t seed;
};

typedef struct mxf_sim_stats {
    int64_t jobs, tiles, cycles, outputs;
    double macs, wall;
} mxf_sim_stats;

/* What a simulator path gives a block's command. */
typedef struct mxf_sim_ctx mxf_sim_ctx;
struct mxf_sim_ctx {
    /* Runs one job: 0 every output and the cycle count matched, 1 mismatch (first failure in
     * ctx->failure), -1 error (err). The cycle count is counted from the simulation (one past the
     * last strobe) and compared with the golden model's. */
    int (*run)(mxf_sim_ctx *ctx, mxf_job *job, const char *label, mxf_err *err);
    void (*log)(mxf_sim_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    int stim_only; /* the path only writes stimulus (Icarus, first pass): no outputs to judge */
    void *impl;
    const mxf_port *ports;
    int n_ports;
    mxf_sim_stats st;
    char failure[1024];
};

/* Command options shared by every block's commands (each command uses those it needs). */
typedef struct mxf_sim_opts {
    long m, k, n, count, tokens, window;
    uint64_t seed;
    const char *vcd;         /* waveform file (VCD, or FST from a TRACE=fst model) */
    long wave_from, wave_to; /* waveform window in clock cycles (-1: unbounded) */
    const char *model;
    const char *image;
    const char *tensor;
    const char *format;
    /* the model runner (mrun.h) */
    const char *layers;   /* LAYERS: decoder-layer ranges and/or linear names */
    const char *out;      /* parent directory of the run directories */
    const char *weights;  /* safetensors checkpoint (default: the seeded synthetic zoo) */
    const char *energy;   /* per-event energy table */
    const char *tag;      /* the build's version, part of a run's fingerprint */
    int shard_i, shard_n; /* this shard (1..n) of n; n = 0: no sharding */
    int fresh, merge, full;
    double build_wall; /* seconds the harness build took (reported) */
    int set_m, set_k, set_n, set_window;
} mxf_sim_opts;

/* The end of one job on any simulator path: runs the job's own finish check unless a push
 * already failed (bad: the first nonzero push result), then compares the cycle count counted
 * from the simulation (one past the last strobe cycle, `last`) with the golden model's. Sets
 * ctx->failure and the statistics; returns 1 on a mismatch, -1 (err set) when the golden model
 * ran out of memory, else 0. */
int mxf_sim_judge(mxf_sim_ctx *ctx, mxf_job *job, const char *label, int bad, int64_t last,
                  int64_t last_simulated, mxf_err *err);

/* File form of the port values (the Icarus testbench's): the data inputs in port-table order from
 * the MSB down as one hex word per cycle, and each output as hex. */
int mxf_pv_stim_bits(const mxf_port *ports, int n);
/* Writes ceil(stim_bits / 4) hex digits and a NUL into line. */
void mxf_pv_stim_hex(const mxf_port *ports, int n, const mxf_portvals *pv, char *line);
/* Parses one output's hex (MSB first, exactly ceil(width / 4) digits) into its words: 0, -1
 * malformed (err names the port), 1 the value holds x/z digits. */
int mxf_pv_from_hex(const char *hex, const mxf_port *pt, uint32_t *w, mxf_err *err);

/* Parses argv[0..argc) (argv[0] is the command name). Defaults depend on the array (R, C). */
int mxf_sim_opts_parse(int argc, char **argv, int R, int C, mxf_sim_opts *o, mxf_err *err);
/* The options text for usage lines. */
extern const char mxf_sim_opts_help[];

/* Finds a block command by name. */
const mxf_sim_cmd *mxf_sim_cmd_find(const mxf_block *b, const char *name);

/* Index of the port called name, or -1. */
int mxf_port_index(const mxf_port *ports, int n, const char *name);
/* The strobe port's index (exactly one output with MXF_ROLE_STROBE), or -1. */
int mxf_port_strobe(const mxf_port *ports, int n);

#endif
