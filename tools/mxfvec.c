/* mxfvec: the file side of the Icarus co-simulation (Icarus 11 has no DPI), for any block.
 *   mxfvec stim  --config DIR --out FILE  COMMAND [options]   -> prints the cycle count to run
 *   mxfvec check --config DIR --got FILE [--order-only] COMMAND [options]
 * The config comes from DIR/manifest.json (mxfgen writes it with the RTL); COMMAND is one of the
 * block's single-job mxfsim commands (e.g. `gemm --m 11 --k 19 --n 13 --seed 1`, `image --image
 * F`), so the stimulus and the checker are exactly those of the Verilator harness. Exit: 0 all
 * match, 1 mismatch, 2 bad input or usage, 3 internal failure. */
#include <cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "fileio.h"
#include "sim.h"

typedef struct vec_impl {
    int check;
    int order_only; /* --order-only: rows judged in order, their cycle numbers ignored */
    const char *path;
    int runs;
    int64_t ncycles;
    mxf_portvals pv;
} vec_impl;

static int load_config(const char *dir, mxf_hwcfg *cfg, mxf_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    unsigned char *text;
    size_t len;
    if (mxf_read_file(path, &text, &len, e)) return -1;
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (!root) return mxf_fail(e, "%s: invalid JSON", path);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(root, "args");
    int rc = -1;
    if (!cJSON_IsString(args))
        mxf_fail(e, "%s: field 'args' missing (a manifest from an older mxfgen? run make rtl)",
                 path);
    else if (mxf_hwcfg_parse_args(cfg, args->valuestring, e) == 0)
        rc = 0;
    else
        mxf_fail_prefix(e, "%s: args: ", path);
    cJSON_Delete(root);
    return rc;
}

/* The data inputs, MSB first in table order, as one hex word per cycle. */
static int write_stim(mxf_sim_ctx *ctx, mxf_job *job, mxf_err *err)
{
    vec_impl *v = ctx->impl;
    mxf_atomic_file af;
    if (mxf_atomic_open(&af, v->path, err)) return -1;
    const int digits = (mxf_pv_stim_bits(ctx->ports, ctx->n_ports) + 3) / 4;
    char *line = malloc((size_t)digits + 2);
    if (!line) {
        mxf_atomic_abort(&af);
        return mxf_fail(err, "out of memory");
    }
    v->ncycles = job->ops->cycles(job) + MXF_SIM_SLACK;
    for (int64_t c = 0; c < v->ncycles; c++) {
        mxf_pv_clear(&v->pv);
        job->ops->stim(job, c, &v->pv);
        mxf_pv_stim_hex(ctx->ports, ctx->n_ports, &v->pv, line);
        fprintf(af.f, "%s\n", line);
    }
    free(line);
    return mxf_atomic_commit(&af, err);
}

/* "<cycle> <hex of each output in table order>" for every cycle whose strobe was not 0. An x/z
 * digit on such a cycle (an X strobe, or unknown data on a valid cycle) is a mismatch. */
static int check_outputs(mxf_sim_ctx *ctx, mxf_job *job, const char *label, mxf_err *err)
{
    vec_impl *v = ctx->impl;
    FILE *f = fopen(v->path, "r");
    if (!f) return mxf_fail(err, "%s: cannot open", v->path);
    const int strobe = mxf_port_strobe(ctx->ports, ctx->n_ports);
    char line[65536];
    int64_t last = -1;
    int lineno = 0, bad = 0, rc = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        lineno++;
        char *save = NULL, *tok = strtok_r(line, " \n", &save);
        long long cyc;
        char *end;
        if (!tok || (cyc = strtoll(tok, &end, 10), *end)) {
            rc = mxf_fail(err, "%s:%d: expected '<cycle> <hex>...'", v->path, lineno);
            break;
        }
        int xport = -1;
        for (int p = 0; p < ctx->n_ports && rc == 0; p++) {
            if (ctx->ports[p].dir != MXF_OUT) continue;
            tok = strtok_r(NULL, " \n", &save);
            int h = tok ? mxf_pv_from_hex(tok, &ctx->ports[p], v->pv.v[p], err) : 0;
            if (!tok)
                rc = mxf_fail(err, "%s:%d: output %s missing", v->path, lineno, ctx->ports[p].name);
            else if (h < 0)
                rc = mxf_fail_prefix(err, "%s:%d: ", v->path, lineno);
            else if (h > 0 && xport < 0)
                xport = p;
        }
        if (rc) break;
        if (xport >= 0) {
            snprintf(ctx->failure, sizeof ctx->failure,
                     "%s: MISMATCH cycle=%lld: output %s holds x/z (unknown) bits on a cycle whose "
                     "strobe %s is not 0 seed=%" PRIu64,
                     label, cyc, ctx->ports[xport].name, ctx->ports[strobe].name, job->seed);
            fclose(f);
            return 1;
        }
        if (!(v->pv.v[strobe][0] & 1u)) {
            rc = mxf_fail(err, "%s:%d: strobe %s is not 1", v->path, lineno,
                          ctx->ports[strobe].name);
            break;
        }
        if (v->order_only) cyc = job->ops->next_cycle ? job->ops->next_cycle(job) : -1;
        last = cyc;
        ctx->st.outputs++;
        bad = job->ops->push(job, cyc, &v->pv);
    }
    fclose(f);
    if (rc) return -1;
    return mxf_sim_judge(ctx, job, label, bad, last, v->ncycles - 1, err);
}

static int vec_run(mxf_sim_ctx *ctx, mxf_job *job, const char *label, mxf_err *err)
{
    vec_impl *v = ctx->impl;
    if (v->runs++)
        return mxf_fail(err,
                        "this command runs more than one job; Icarus runs one (use gemm or image)");
    v->ncycles = job->ops->cycles(job) + MXF_SIM_SLACK;
    if (v->check) return check_outputs(ctx, job, label, err);
    ctx->st.jobs++;
    return write_stim(ctx, job, err);
}

static void vec_log(mxf_sim_ctx *ctx, const char *fmt, ...)
{
    vec_impl *v = ctx->impl;
    if (!v->check) return; /* stim prints only the cycle count */
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"config", 1, 0, 'c'},
                                       {"out", 1, 0, 'o'},
                                       {"got", 1, 0, 'g'},
                                       {"order-only", 0, 0, 'r'},
                                       {0, 0, 0, 0}};
    if (argc < 2 || (strcmp(argv[1], "stim") && strcmp(argv[1], "check"))) {
        fprintf(
            stderr,
            "usage: mxfvec stim|check --config DIR (--out FILE | --got FILE) COMMAND [options]\n");
        return 2;
    }
    static vec_impl v;
    v.check = !strcmp(argv[1], "check");
    const char *config = NULL;
    int ch;
    optind = 2;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
        if (ch == 'c')
            config = optarg;
        else if (ch == 'o' && !v.check)
            v.path = optarg;
        else if (ch == 'g' && v.check)
            v.path = optarg;
        else if (ch == 'r' && v.check)
            v.order_only = 1;
        else {
            fprintf(stderr, "mxfvec: unknown or incomplete option '%s'\n", argv[optind - 1]);
            return 2;
        }
    }
    mxf_err e;
    mxf_hwcfg cfg;
    if (!config || !v.path || optind >= argc) {
        fprintf(stderr, "mxfvec: --config DIR, %s FILE and a COMMAND are required\n",
                v.check ? "--got" : "--out");
        return 2;
    }
    if (load_config(config, &cfg, &e)) {
        fprintf(stderr, "mxfvec: %s\n", e.msg);
        return 2;
    }
    const mxf_sim_cmd *cmd = mxf_sim_cmd_find(cfg.block, argv[optind]);
    if (!cmd || !cmd->single_job) {
        fprintf(stderr, "mxfvec: '%s' is not a single-job command of block %s\n", argv[optind],
                cfg.block->name);
        return 2;
    }
    mxf_sim_opts o;
    if (mxf_sim_opts_parse(argc - optind, argv + optind, (int)mxf_hwcfg_derived(&cfg, "rows"),
                           (int)mxf_hwcfg_derived(&cfg, "cols"), &o, &e)) {
        fprintf(stderr, "mxfvec: %s\n", e.msg);
        return 2;
    }
    mxf_port ports[MXF_BLOCK_MAX_PORTS];
    int n = mxf_hwcfg_ports(&cfg, ports);
    mxf_pv_init(&v.pv, ports, n);
    mxf_sim_ctx ctx = {.run = vec_run,
                       .log = vec_log,
                       .impl = &v,
                       .stim_only = !v.check,
                       .ports = ports,
                       .n_ports = n};
    int rc = cmd->fn(&ctx, &cfg, &o, &e);
    if (rc == 1) fprintf(stderr, "mxfvec: %s\n", ctx.failure);
    if (rc == 2 && mxf_err_is_resource(e.msg)) rc = 3; /* exit 3: out of memory, not bad input */
    if (rc >= 2) fprintf(stderr, "mxfvec: %s\n", e.msg);
    if (rc == 0 && !v.check) printf("%" PRId64 "\n", v.ncycles);
    if (rc == 0 && v.check)
        printf("icarus: ok, %" PRId64 " outputs, %" PRId64 " cycles (%s), 0 mismatches\n",
               ctx.st.outputs, ctx.st.cycles,
               v.order_only ? "outputs in order; cycles not judged" : "counted");
    return rc;
}
