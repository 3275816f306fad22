/* The model runner behind every block's `model` command (`make sim MODEL=...`): it walks the
 * linear layers of a zoo model (LAYERS= selects some, SHARD=i/N a share of them), makes or reads
 * each layer's float weights and its activations, lets the block quantize a sampled window of the
 * layer and stream it through the simulated array (every output and the cycle count checked),
 * and keeps one result file per finished layer in a run directory, so an interrupted run picks up
 * where it stopped and shards merge into one report (report.json, report.csv, report.md).
 * Energy is estimated from event counts and a per-event table in a data file (data/energy.tsv).
 * docs/sim.md describes the run directory, the report fields and the estimate. */
#ifndef MXF_MRUN_H
#define MXF_MRUN_H

#include <stdint.h>

#include "block.h"
#include "err.h"
#include "models.h"
#include "qformat.h"
#include "qrun.h"
#include "rng.h"
#include "sim.h"

/* Events the energy estimate counts (data/energy.tsv gives each its picojoules). */
typedef enum mxf_event {
    MXF_EV_MUL8X8,    /* 8-bit x 8-bit multiply */
    MXF_EV_MUL8X4,    /* 8-bit x 4-bit */
    MXF_EV_MUL8X3,    /* 8-bit x 3-bit (FineQ multiplier PE) */
    MXF_EV_MUL8X2,    /* 8-bit x 2-bit */
    MXF_EV_ADD_ACC,   /* one accumulator addition (partial-sum width, about 24 bits) */
    MXF_EV_ADD_PULSE, /* one temporal-coded PE addition of an activation (FineQ) */
    MXF_EV_RECON,     /* one outlier term through ReCoN: the merge and its switch stages */
    MXF_EV_SRAM_BYTE, /* one byte read or written in an on-chip buffer */
    MXF_EV_DRAM_BYTE, /* one byte moved to or from off-chip memory */
    MXF_EV_COUNT
} mxf_event;

extern const char *const mxf_event_names[MXF_EV_COUNT];

typedef struct mxf_energy_table {
    double pj[MXF_EV_COUNT];
    char source[MXF_EV_COUNT][256];
    char path[1024];
} mxf_energy_table;

/* Reads the table (lines "event<TAB>picojoules<TAB>source", '#' comments). Every event must be
 * listed once; errors name the file, line and field. */
int mxf_energy_read(const char *path, mxf_energy_table *t, mxf_err *err);

/* One layer, as the runner hands it to a block. */
typedef struct mxf_mlayer {
    const mxf_model *model;
    int index;          /* position in the model: layer * n_linear + lin */
    int layer, lin;     /* decoder block, linear kind */
    const char *tensor; /* Hugging Face tensor name */
    int64_t N, K;       /* out x in */
    int M;              /* tokens */
    const float *W;     /* N x K float weights */
    const float *X;     /* M x K float activations (row stride K) */
    const mxf_qformat *fmt;
    long window;  /* tiles of each dimension to sample (the whole layer when larger) */
    mxf_rng *rng; /* the layer's own stream: the window does not depend on other layers */
    uint64_t seed;
} mxf_mlayer;

/* What a block reports of one layer (the runner adds cycles, MACs and wall times). */
typedef struct mxf_mres {
    int64_t n0, k0;
    int Ns, Ks;               /* the window run */
    double weights_q, bits_q; /* weights the block quantized and the bits their image holds */
    double tiles_layer;       /* array passes of the whole layer (the window's are counted) */
    int64_t stall_cycles;     /* ReCoN contention, temporal stalls: cycles beyond the ideal */
    double ev[MXF_EV_COUNT];
    double t_quant; /* wall seconds the block spent quantizing */
    mxf_qresult q;  /* output error against the float layer (mxf_dequant_judge) */
} mxf_mres;

/* A block's part: quantize and run one layer's window through ctx. Returns 0, 1 mismatch (the
 * context holds it), 2 bad input (err). */
typedef int (*mxf_mlayer_fn)(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_mlayer *L,
                             mxf_mres *res, mxf_err *err);

typedef struct mxf_mblock {
    const char *default_format; /* FORMAT when none is given */
    /* Whether the array runs this format: 0, or 2 with err saying why (NULL: the layer function
       judges it). */
    int (*check_format)(const mxf_hwcfg *cfg, const mxf_qformat *f, const char *spec, mxf_err *err);
    mxf_mlayer_fn layer;
    const char *array_desc; /* "16x16, BB=2, per-row ReCoN" */
    const char *stall_what; /* "ReCoN contention" */
} mxf_mblock;

/* The `model` command: runs (or, with o->merge, only reports) the selected layers. Returns 0,
 * 1 mismatch, 2 bad input or usage, 3 a resource failure. */
int mxf_model_run(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o,
                  const mxf_mblock *mb, mxf_err *err);

/* Records the window a block ran and the image it quantized: q holds weights_q weights (their
 * bits: codes and metadata), the layer has tiles_layer array passes. */
void mxf_mres_window(mxf_mres *r, int64_t n0, int Ns, int64_t k0, int Ks, const mxf_qtensor *q,
                     double weights_q, double tiles_layer, double t_quant);

/* Memory events of one window run: the weight image bytes (read once from DRAM into the weight
 * buffer and once from there into the array), activations (from DRAM once; from the buffer once
 * per N tile), and 32-bit partial sums (read and written once per K tile after the first, the
 * outputs written once to DRAM). */
void mxf_mem_events(double *ev, int M, int Ks, int Ns, int KT, int NT, double weight_bits);

#endif
