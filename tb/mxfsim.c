/* mxfsim: the Verilator harness of one generated config. It knows no block: the config's
 * mxf_params.h names the block and its canonical options, the registry gives the block's
 * commands, and this file runs their jobs cycle by cycle through tb/dut.h, letting the block's
 * golden-model checker judge every output and its cycle. Exit: 0 all match, 1 mismatch, 2 bad
 * input or usage, 3 internal failure. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "block.h"
#include "dut.h"
#include "mxf_params.h"
#include "sim.h"

typedef struct vl_impl {
    mxf_dut *dut;
    mxf_portvals in, out;
    int strobe;
} vl_impl;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int vl_run(mxf_sim_ctx *ctx, mxf_job *job, const char *label, mxf_err *err)
{
    vl_impl *v = ctx->impl;
    const int64_t expect = job->ops->cycles(job);
    int64_t c, last = -1, outputs = 0;
    int bad = 0;
    mxf_dut_reset(v->dut);
    double t0 = now();
    for (c = 0; c < expect + MXF_SIM_SLACK && !bad; c++) {
        job->ops->stim(job, c, &v->in);
        for (int p = 0; p < ctx->n_ports; p++)
            if (ctx->ports[p].dir == MXF_IN && ctx->ports[p].role == MXF_ROLE_DATA)
                mxf_dut_set(v->dut, p, v->in.v[p]);
        mxf_dut_tick(v->dut);
        mxf_dut_get(v->dut, v->strobe, v->out.v[v->strobe]);
        if (v->out.v[v->strobe][0] & 1u) {
            for (int p = 0; p < ctx->n_ports; p++)
                if (ctx->ports[p].dir == MXF_OUT && p != v->strobe)
                    mxf_dut_get(v->dut, p, v->out.v[p]);
            last = c;
            outputs++;
            bad = job->ops->push(job, c, &v->out);
        }
    }
    ctx->st.wall += now() - t0;
    ctx->st.outputs += outputs;
    return mxf_sim_judge(ctx, job, label, bad, last, c - 1, err);
}

static void vl_log(mxf_sim_ctx *ctx, const char *fmt, ...)
{
    (void)ctx;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static void usage(FILE *f, const mxf_block *b)
{
    fprintf(f, "usage: mxfsim <command> [options]   (config %s, block %s)\n", MXF_CFG_NAME,
            b->name);
    for (int i = 0; i < b->n_cmds; i++)
        fprintf(f, "  %-7s %s\n          %s\n", b->cmds[i].name, b->cmds[i].usage, b->cmds[i].help);
    fprintf(f, "options:\n%s", mxf_sim_opts_help);
    fprintf(f,
            "Verilator plusargs (e.g. +verilator+seed+7 +verilator+rand+reset+2) go to the model.\n"
            "Exit status: 0 all outputs and cycles match, 1 mismatch, 2 bad input or usage.\n");
}

/* The compiled-in header and the library must agree on the config (a stale build otherwise). */
static int check_header(mxf_hwcfg *cfg, mxf_port *ports, int *n_ports)
{
    mxf_err e;
    if (mxf_hwcfg_parse_args(cfg, MXF_CONFIG_ARGS, &e)) {
        fprintf(stderr, "mxfsim: %s: %s\n", MXF_CFG_NAME, e.msg);
        return -1;
    }
    *n_ports = mxf_hwcfg_ports(cfg, ports);
    int ok = *n_ports == MXF_N_PORTS;
#define CHECK_PORT(i, n, dir, role, w)                                                             \
    ok = ok && !strcmp(ports[i].name, #n) && ports[i].width == (w);
    MXF_PORTS(CHECK_PORT)
#undef CHECK_PORT
    if (!ok || strcmp(cfg->block->name, MXF_BLOCK) || mxf_port_strobe(ports, *n_ports) < 0) {
        fprintf(stderr,
                "mxfsim: %s: mxf_params.h disagrees with the block's port table (stale build?)\n",
                MXF_CFG_NAME);
        return -1;
    }
    return 0;
}

static int mxfsim_main(int argc, char **argv)
{
    mxf_hwcfg cfg;
    mxf_port ports[MXF_BLOCK_MAX_PORTS];
    int n_ports;
    if (check_header(&cfg, ports, &n_ports)) return 3;
    const mxf_block *b = cfg.block;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout, b);
        return argc < 2 ? 2 : 0;
    }
    const mxf_sim_cmd *cmd = mxf_sim_cmd_find(b, argv[1]);
    if (!cmd) {
        fprintf(stderr, "mxfsim: unknown command '%s'\n", argv[1]);
        usage(stderr, b);
        return 2;
    }
    /* Verilator plusargs are for the model, not for the option parser. */
    char **args = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (!args) return 3;
    int na = 0;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '+') args[na++] = argv[i];
    args[na] = NULL;
    mxf_sim_opts o;
    mxf_err e = {{0}};
    if (mxf_sim_opts_parse(na, args, (int)mxf_hwcfg_derived(&cfg, "rows"),
                           (int)mxf_hwcfg_derived(&cfg, "cols"), &o, &e)) {
        fprintf(stderr, "mxfsim: %s\n", e.msg);
        free(args);
        return 2;
    }
    free(args);
    /* a model run's results go beside the harness (build/<config>/sim), its energy table is the
       repository's, found from the working directory or from the harness */
    char out_dir[4096], etab[4096];
    const char *slash = strrchr(argv[0], '/');
    const int bl = slash ? (int)(slash - argv[0]) : 1;
    const char *bd = slash ? argv[0] : ".";
    if (!o.out) {
        snprintf(out_dir, sizeof out_dir, "%.*s/sim", bl, bd);
        o.out = out_dir;
    }
    if (!o.energy && access("data/energy.tsv", R_OK) != 0) {
        snprintf(etab, sizeof etab, "%.*s/../../data/energy.tsv", bl, bd);
        if (access(etab, R_OK) == 0) o.energy = etab;
    }
    static vl_impl v;
    v.dut = mxf_dut_new(o.vcd, argc, argv);
    if (!v.dut) {
        fprintf(stderr,
                "mxfsim: --vcd needs a model built with tracing (make ... TRACE=1 or TRACE=fst)\n");
        return 2;
    }
    if (o.vcd && (o.wave_from >= 0 || o.wave_to >= 0))
        mxf_dut_wave_window(v.dut, o.wave_from >= 0 ? (uint64_t)o.wave_from : 0,
                            o.wave_to >= 0 ? (uint64_t)o.wave_to : UINT64_MAX);
    mxf_pv_init(&v.in, ports, n_ports);
    mxf_pv_init(&v.out, ports, n_ports);
    v.strobe = mxf_port_strobe(ports, n_ports);
    mxf_sim_ctx ctx = {
        .run = vl_run, .log = vl_log, .impl = &v, .ports = ports, .n_ports = n_ports};
    int rc = cmd->fn(&ctx, &cfg, &o, &e);
    mxf_dut_free(v.dut);
    if (o.vcd) fprintf(stderr, "mxfsim: waveform written to %s\n", o.vcd);
    if (rc == 1) fprintf(stderr, "mxfsim: %s\n", ctx.failure);
    if (rc == 2 && mxf_err_is_resource(e.msg)) rc = 3; /* exit 3: out of memory, not bad input */
    if (rc >= 2) fprintf(stderr, "mxfsim: %s\n", e.msg);
    const double peak = (double)ctx.st.cycles * mxf_hwcfg_peak_macs(&cfg);
    if (ctx.st.jobs == 0 && rc == 0) return rc; /* e.g. a merge: nothing simulated */
    printf("%s: config=%s jobs=%" PRId64 " tiles=%" PRId64 " MACs=%.0f cycles=%" PRId64
           " utilization=%.1f%% mismatches=%d wall=%.2fs sim=%.0f cycles/s %.1f MMAC/s\n",
           cmd->name, MXF_CFG_NAME, ctx.st.jobs, ctx.st.tiles, ctx.st.macs, ctx.st.cycles,
           peak > 0 ? 100.0 * ctx.st.macs / peak : 0.0, rc == 1, ctx.st.wall,
           ctx.st.wall > 0 ? ctx.st.cycles / ctx.st.wall : 0.0,
           ctx.st.wall > 0 ? ctx.st.macs / ctx.st.wall / 1e6 : 0.0);
    return rc;
}

/* The Verilated model of a large array built at -O0 (make test builds the big configs that way)
 * keeps wide temporaries on the stack, more than the default 8 MiB holds; the run happens in a
 * thread with a 1 GiB stack (reserved, touched only as needed). */
typedef struct main_args {
    int argc;
    char **argv;
    int rc;
} main_args;

static void *main_thread(void *p)
{
    main_args *a = p;
    a->rc = mxfsim_main(a->argc, a->argv);
    return NULL;
}

int main(int argc, char **argv)
{
    main_args a = {argc, argv, 3};
    /* one BLAS thread: `make sim` runs one mxfsim process per core (JOBS) */
    openblas_set_num_threads(1);
    pthread_attr_t attr;
    pthread_t th;
    if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, (size_t)1 << 30) ||
        pthread_create(&th, &attr, main_thread, &a)) {
        fprintf(stderr, "mxfsim: cannot start the simulation thread\n");
        return 3;
    }
    pthread_join(th, NULL);
    pthread_attr_destroy(&attr);
    return a.rc;
}
