/* The hardware-block registry: what every block folder (gen/blocks/<name>/) provides, and what
 * the generator, the harnesses, the manifest and the docs read instead of knowing any block.
 *
 * A block is one mxf_block descriptor (its `<name>_block.c`): options with their help text,
 * validation, the config-name rule, derived parameters, its fault list, its declarative port
 * table (`<name>_ports.def`), its emitters and its harness commands. docs/architecture.md has the
 * recipe for adding one; gen/core/registry.c is the one line per block. */
#ifndef MXF_BLOCK_H
#define MXF_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MXF_BLOCK_MAX_OPTS 16
#define MXF_BLOCK_MAX_PORTS 64
#define MXF_BLOCK_MAX_DERIVED 32
#define MXF_BLOCK_MAX_FILES 32

/* A block's configuration: an opaque, aligned blob its descriptor interprets. */
typedef struct mxf_hwcfg {
    const struct mxf_block *block;
    _Alignas(16) unsigned char blob[512];
} mxf_hwcfg;

/* One block option: `mxfgen --NAME ARG`, `make VAR=`. */
typedef struct mxf_block_opt {
    const char *name;    /* long option, e.g. "array" */
    const char *arg;     /* metavariable, e.g. "N" */
    const char *makevar; /* make knob that sets it, e.g. "ARRAY" (NULL: none) */
    const char *dflt;    /* default value (NULL: unset) */
    const char *help;
} mxf_block_opt;

typedef enum mxf_port_dir { MXF_IN = 0, MXF_OUT = 1 } mxf_port_dir;
typedef enum mxf_port_role {
    MXF_ROLE_CLOCK = 0, /* driven by the harness's tick, never by stimulus */
    MXF_ROLE_RESET,     /* active-low asynchronous reset, driven by the harness's reset */
    MXF_ROLE_DATA,      /* stimulus (inputs) or observed values (outputs) */
    MXF_ROLE_STROBE     /* output: the row of outputs is meaningful when this bit is 1 */
} mxf_port_role;

/* One port of the block's top module, with its width evaluated for one config. */
typedef struct mxf_port {
    const char *name;
    mxf_port_dir dir;
    mxf_port_role role;
    int width;
    const char *width_expr; /* the width as written in the port table, e.g. "R * 8" */
    const char *doc;
} mxf_port;

/* A derived parameter: written into mxf_params.h (MXF_<NAME upper-cased>), the manifest and
 * `mxfgen dump`. */
typedef struct mxf_derived {
    const char *name; /* e.g. "acc_bits" */
    long value;
    const char *doc; /* formula and reason, e.g. "8 + WBITS + clog2(R)" */
} mxf_derived;

struct gen_ctx;
struct mxf_sim_ctx;
struct mxf_sim_opts;

/* One `mxfsim`/`mxfvec` command of a block. fn returns 0 (every output and cycle matched), 1 (a
 * mismatch; the context holds the first failure) or 2 (bad input; err says why). */
typedef struct mxf_sim_cmd {
    const char *name;
    const char *usage; /* options, e.g. "--m M --k K --n N [--seed S]" */
    const char *help;
    int (*fn)(struct mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const struct mxf_sim_opts *o,
              mxf_err *err);
    int single_job; /* runs exactly one job: usable from the file-driven Icarus path */
} mxf_sim_cmd;

typedef struct mxf_block {
    const char *name;    /* `ARCH=` value and folder name, e.g. "ws" */
    const char *summary; /* one line */
    const char *doc;     /* the block's timing-contract doc, relative to the repository */
    const mxf_block_opt *opts;
    int n_opts;
    const char *const *faults; /* planted bugs, NULL-terminated; index 0 is "none" */
    /* vals[i] is option i's value (default applied, NULL when unset). Fills cfg->blob. Errors
     * name the make variable and value (e.g. "ARRAY=0: out of range (expected 2..128)"). */
    int (*configure)(mxf_hwcfg *cfg, const char *const *vals, mxf_err *err);
    /* Canonical option values (index-aligned with opts; NULL = omitted), the inverse of configure:
     * configure(canonical(cfg)) gives back cfg. */
    void (*canonical)(const mxf_hwcfg *cfg, char vals[][64]);
    void (*config_name)(const mxf_hwcfg *cfg, char *buf, size_t cap); /* "ws-a16-w8" */
    int (*derived)(const mxf_hwcfg *cfg, mxf_derived *out, int cap);
    int (*ports)(const mxf_hwcfg *cfg, mxf_port *out, int cap);
    const char *top; /* top module (before --prefix), e.g. "mxf_ws_array" */
    const char *pe;  /* the PE module, synthesized alone for FPGA figures */
    /* C++ optimisation of the block's Verilated model (mxf_params.h MXF_OPT_FAST, read by
     * mk/config.mk; NULL: -O2): the level measured fastest for the block (README.md). */
    const char *opt_fast;
    /* Extra Verilator options for the block's model (mxf_params.h MXF_VFLAGS, read by
     * mk/config.mk; NULL: none): optimisations measured to pay for its RTL (README.md). */
    const char *vflags;
    int (*emit)(struct gen_ctx *g, mxf_err *err); /* writes every RTL file via gen_save_rtl */
    const mxf_sim_cmd *cmds;
    int n_cmds;
    /* Active fault index (0 = none) of a config; faults the harness must report. */
    int (*fault_of)(const mxf_hwcfg *cfg);
} mxf_block;

/* The registry (gen/core/registry.c), NULL-terminated. */
extern const mxf_block *const mxf_blocks[];
const mxf_block *mxf_block_find(const char *name);
/* "ws, microscopiq, ..." */
void mxf_block_names(char *buf, size_t cap);

/* Parses `--arch NAME` plus the block's options (strings as typed; NULL = not given) into cfg.
 * arch NULL means the default block (the first registered). */
int mxf_hwcfg_parse(mxf_hwcfg *cfg, const char *arch, const char *const *vals, mxf_err *err);
/* Parses a canonical argument string ("--arch ws --rows 8 --cols 8 --wbits 8") as written in
 * mxf_params.h and the manifest. */
int mxf_hwcfg_parse_args(mxf_hwcfg *cfg, const char *args, mxf_err *err);
/* The canonical argument string of cfg (reproduces it exactly). */
void mxf_hwcfg_args(const mxf_hwcfg *cfg, char *buf, size_t cap);
void mxf_hwcfg_name(const mxf_hwcfg *cfg, char *buf, size_t cap);
int mxf_hwcfg_ports(const mxf_hwcfg *cfg, mxf_port *out);
/* Value of a derived parameter by name; -1 when the block has none by that name. */
long mxf_hwcfg_derived(const mxf_hwcfg *cfg, const char *name);
/* Peak useful MACs per cycle: the block's `macs_per_cycle` (PEs doing more than one), else
 * rows x cols. */
double mxf_hwcfg_peak_macs(const mxf_hwcfg *cfg);

int mxf_clog2(long x); /* ceil(log2(x)), 0 for x <= 1 */

#endif
