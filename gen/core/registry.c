/* The block registry: one line per hardware block. Everything that is not specific to one block
 * (mxfgen, mxfsim, mxfvec, the manifest, docs/generator.md, the registry test) iterates this. */
#include <stdio.h>
#include <string.h>

#include "block.h"

extern const mxf_block mxf_block_ws;
extern const mxf_block mxf_block_fineq;
extern const mxf_block mxf_block_fineq_mul;
extern const mxf_block mxf_block_microscopiq;

const mxf_block *const mxf_blocks[] = {
    &mxf_block_ws,    /* gen/blocks/ws: weight-stationary int8 x int4/int8 array (the default) */
    &mxf_block_fineq, /* gen/blocks/fineq: FineQ temporal-coded array */
    &mxf_block_fineq_mul,   /* gen/blocks/fineq: its multiplier-array baseline */
    &mxf_block_microscopiq, /* gen/blocks/microscopiq: MicroScopiQ array with ReCoN */
    NULL,
};

const mxf_block *mxf_block_find(const char *name)
{
    for (int i = 0; mxf_blocks[i]; i++)
        if (name && !strcmp(mxf_blocks[i]->name, name)) return mxf_blocks[i];
    return NULL;
}

void mxf_block_names(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; mxf_blocks[i] && n < cap; i++) {
        int w = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", mxf_blocks[i]->name);
        if (w < 0) break;
        n += (size_t)w;
    }
}

int mxf_clog2(long x)
{
    int b = 0;
    while ((1L << b) < x) b++;
    return b;
}

int mxf_hwcfg_parse(mxf_hwcfg *cfg, const char *arch, const char *const *vals, mxf_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    const mxf_block *b = arch && *arch ? mxf_block_find(arch) : mxf_blocks[0];
    if (!b) {
        char names[256];
        mxf_block_names(names, sizeof names);
        return mxf_fail(err, "ARCH=%s: unknown block (known: %s)", arch, names);
    }
    const char *v[MXF_BLOCK_MAX_OPTS];
    for (int i = 0; i < b->n_opts; i++)
        v[i] = (vals && vals[i] && *vals[i]) ? vals[i] : b->opts[i].dflt;
    cfg->block = b;
    return b->configure(cfg, v, err);
}

int mxf_hwcfg_parse_args(mxf_hwcfg *cfg, const char *args, mxf_err *err)
{
    char buf[1024];
    if (!args || strlen(args) >= sizeof buf)
        return mxf_fail(err, "config arguments missing or too long");
    snprintf(buf, sizeof buf, "%s", args);
    const char *arch = NULL;
    const char *vals[MXF_BLOCK_MAX_OPTS] = {0};
    char *tok[64];
    int nt = 0;
    for (char *s = strtok(buf, " "); s && nt < 64; s = strtok(NULL, " ")) tok[nt++] = s;
    for (int i = 0; i + 1 < nt; i += 2)
        if (!strcmp(tok[i], "--arch")) arch = tok[i + 1];
    const mxf_block *b = arch ? mxf_block_find(arch) : NULL;
    if (!b) return mxf_fail(err, "config arguments '%s': no known --arch", args);
    for (int i = 0; i < nt; i += 2) {
        if (tok[i][0] != '-' || tok[i][1] != '-' || i + 1 >= nt)
            return mxf_fail(err, "config arguments '%s': malformed at '%s'", args, tok[i]);
        if (!strcmp(tok[i], "--arch")) continue;
        int found = 0;
        for (int o = 0; o < b->n_opts; o++)
            if (!strcmp(tok[i] + 2, b->opts[o].name)) vals[o] = tok[i + 1], found = 1;
        if (!found)
            return mxf_fail(err, "config arguments '%s': %s has no option %s", args, b->name,
                            tok[i]);
    }
    return mxf_hwcfg_parse(cfg, arch, vals, err);
}

void mxf_hwcfg_args(const mxf_hwcfg *cfg, char *buf, size_t cap)
{
    const mxf_block *b = cfg->block;
    char vals[MXF_BLOCK_MAX_OPTS][64];
    memset(vals, 0, sizeof vals);
    b->canonical(cfg, vals);
    size_t n = (size_t)snprintf(buf, cap, "--arch %s", b->name);
    for (int i = 0; i < b->n_opts && n < cap; i++)
        if (vals[i][0])
            n += (size_t)snprintf(buf + n, cap - n, " --%s %s", b->opts[i].name, vals[i]);
}

void mxf_hwcfg_name(const mxf_hwcfg *cfg, char *buf, size_t cap)
{
    cfg->block->config_name(cfg, buf, cap);
}

int mxf_hwcfg_ports(const mxf_hwcfg *cfg, mxf_port *out)
{
    return cfg->block->ports(cfg, out, MXF_BLOCK_MAX_PORTS);
}

long mxf_hwcfg_derived(const mxf_hwcfg *cfg, const char *name)
{
    mxf_derived d[MXF_BLOCK_MAX_DERIVED];
    int n = cfg->block->derived(cfg, d, MXF_BLOCK_MAX_DERIVED);
    for (int i = 0; i < n; i++)
        if (!strcmp(d[i].name, name)) return d[i].value;
    return -1;
}

double mxf_hwcfg_peak_macs(const mxf_hwcfg *cfg)
{
    const long mpc = mxf_hwcfg_derived(cfg, "macs_per_cycle");
    return mpc > 0 ? (double)mpc
                   : (double)mxf_hwcfg_derived(cfg, "rows") * mxf_hwcfg_derived(cfg, "cols");
}
