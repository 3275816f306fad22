/* mxfgen: emits synthesizable Verilog, a C header and a JSON manifest for one array config.
 * Yosys-style: a table of commands whose help text is the reference documentation. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "emit.h"
#include "fileio.h"
#include "parse.h"

const char *const gen_rtl_files[] = {"mxf_delay.v", "mxf_ws_pe.v", "mxf_ws_array.v"};
const int gen_rtl_nfiles = 3;

typedef struct gen_opts {
    mxf_ws_cfg cfg;
    const char *outroot;
    const char *outdir;
} gen_opts;

typedef struct gen_option {
    const char *name;
    const char *arg;
    const char *help;
} gen_option;

/* One table drives getopt, `mxfgen help` and docs/generator.md. */
static const gen_option options[] = {
    {"array", "N", "square array size, N x N PEs (2..128; make ARRAY=, default 16)"},
    {"rows", "R", "PE rows = reduction lanes, overrides --array (make ROWS=)"},
    {"cols", "C", "PE columns = output lanes, overrides --array (make COLS=)"},
    {"wbits", "B", "signed weight width, 4 or 8 (make WBITS=, default 8)"},
    {"fault", "NAME", "plant a known bug for fault-injection tests: mul-sign | wbank | skew | "
                      "late-valid (make FAULT=)"},
    {"outroot", "DIR", "parent of the config directory (default build); the directory name "
                       "is the config name, so configs never share a build"},
    {"out", "DIR", "exact output directory (overrides --outroot)"},
};
#define N_OPTIONS ((int)(sizeof options / sizeof options[0]))

typedef struct gen_cmd {
    const char *name;
    const char *summary;
    const char *help;
    int (*fn)(const gen_opts *o);
} gen_cmd;

static int cmd_rtl(const gen_opts *o);
static int cmd_name(const gen_opts *o);
static int cmd_dump(const gen_opts *o);

static const gen_cmd commands[] = {
    {"rtl", "emit RTL, Icarus testbench, C header and manifest for a config",
     "Writes <outroot>/<name>/rtl/*.v (one module per file), tb/tb_mxf_ws_array.v,\n"
     "mxf_params.h and manifest.json. Files are rewritten only when their content changes,\n"
     "so downstream builds (Verilator, Yosys) do not rerun needlessly. Prints the config\n"
     "directory as the last line of output.",
     cmd_rtl},
    {"name", "print the config's name (its build directory name)",
     "Validates the options and prints e.g. ws-a16-w8 or ws-r8c4-w4.", cmd_name},
    {"dump", "print the elaborated config (derived widths, latency, cycle formula)",
     "Prints every derived parameter without writing files.", cmd_dump},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: mxfgen <command> [options]\n       mxfgen help [command]\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\noptions:\n");
    for (int i = 0; i < N_OPTIONS; i++) {
        char lhs[64];
        snprintf(lhs, sizeof lhs, "--%s %s", options[i].name, options[i].arg);
        fprintf(f, "  %-15s %s\n", lhs, options[i].help);
    }
}

static int parse_opts(int argc, char **argv, gen_opts *o)
{
    struct option lo[N_OPTIONS + 1];
    for (int i = 0; i < N_OPTIONS; i++) lo[i] = (struct option){options[i].name, 1, NULL, i};
    lo[N_OPTIONS] = (struct option){0, 0, 0, 0};
    const char *array = "16", *rows = NULL, *cols = NULL, *wbits = "8", *fault = NULL;
    memset(o, 0, sizeof *o);
    o->outroot = "build";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 0: array = optarg; break;
        case 1: rows = (optarg && *optarg) ? optarg : NULL; break;
        case 2: cols = (optarg && *optarg) ? optarg : NULL; break;
        case 3: wbits = optarg; break;
        case 4: fault = (optarg && *optarg) ? optarg : NULL; break;
        case 5: o->outroot = optarg; break;
        case 6: o->outdir = optarg; break;
        default:
            fprintf(stderr, "mxfgen: unknown or incomplete option '%s' (see mxfgen help)\n",
                    argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mxfgen: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    mxf_err e;
    long v;
    if (mxf_parse_int(array, "ARRAY", MXF_WS_MIN_DIM, MXF_WS_MAX_DIM, &v, &e)) goto bad;
    o->cfg.rows = o->cfg.cols = (int)v;
    if (rows) {
        if (mxf_parse_int(rows, "ROWS", MXF_WS_MIN_DIM, MXF_WS_MAX_DIM, &v, &e)) goto bad;
        o->cfg.rows = (int)v;
    }
    if (cols) {
        if (mxf_parse_int(cols, "COLS", MXF_WS_MIN_DIM, MXF_WS_MAX_DIM, &v, &e)) goto bad;
        o->cfg.cols = (int)v;
    }
    if (mxf_parse_int(wbits, "WBITS", 1, 64, &v, &e)) goto bad; /* 4|8 checked below */
    o->cfg.wbits = (int)v;
    if (fault && mxf_ws_fault_parse(fault, &o->cfg.fault, &e)) goto bad;
    if (mxf_ws_cfg_validate(&o->cfg, &e)) goto bad;
    return 0;
bad:
    fprintf(stderr, "mxfgen: %s\n", e.msg);
    return -1;
}

int gen_ctx_init(gen_ctx *g, const mxf_ws_cfg *cfg, const char *outroot, const char *outdir,
                 mxf_err *err)
{
    memset(g, 0, sizeof *g);
    if (mxf_ws_cfg_validate(cfg, err)) return -1;
    g->cfg = *cfg;
    mxf_ws_cfg_name(cfg, g->name, sizeof g->name);
    if (outdir)
        snprintf(g->dir, sizeof g->dir, "%s", outdir);
    else
        snprintf(g->dir, sizeof g->dir, "%s/%s", outroot, g->name);
    snprintf(g->rtl_dir, sizeof g->rtl_dir, "%s/rtl", g->dir);
    snprintf(g->tb_dir, sizeof g->tb_dir, "%s/tb", g->dir);
    g->R = cfg->rows;
    g->C = cfg->cols;
    g->WB = cfg->wbits;
    g->PW = mxf_ws_prod_bits(cfg);
    g->AW = mxf_ws_acc_bits(cfg);
    g->CW = mxf_ws_cnt_bits(cfg);
    g->L = mxf_ws_latency(cfg);
    return 0;
}

void emit_file_header(vbuf *b, const gen_ctx *g, const char *module, const char *purpose)
{
    vb_printf(b,
              "// SPDX-License-Identifier: Apache-2.0\n"
              "// %s: %s\n"
              "// Config %s (R=%d C=%d WBITS=%d ACC=%d). Generated by mxfgen; do not edit.\n\n",
              module, purpose, g->name, g->R, g->C, g->WB, g->AW);
}

static int cmd_rtl(const gen_opts *o)
{
    gen_ctx g;
    mxf_err e;
    if (gen_ctx_init(&g, &o->cfg, o->outroot, o->outdir, &e) || mxf_mkdirs(g.rtl_dir, &e) ||
        mxf_mkdirs(g.tb_dir, &e) || emit_delay(&g, &e) || emit_ws_pe(&g, &e) ||
        emit_ws_array(&g, &e) || emit_ws_tb(&g, &e) || emit_meta(&g, &e)) {
        fprintf(stderr, "mxfgen: %s\n", e.msg);
        return 1;
    }
    printf("%s\n", g.dir);
    return 0;
}

static int cmd_name(const gen_opts *o)
{
    char name[96];
    mxf_ws_cfg_name(&o->cfg, name, sizeof name);
    printf("%s\n", name);
    return 0;
}

static int cmd_dump(const gen_opts *o)
{
    gen_ctx g;
    mxf_err e;
    if (gen_ctx_init(&g, &o->cfg, o->outroot, o->outdir, &e)) {
        fprintf(stderr, "mxfgen: %s\n", e.msg);
        return 1;
    }
    printf("name        %s\nvariant     ws (weight-stationary, double-buffered weights)\n"
           "rows        %d\ncols        %d\nabits       %d\nwbits       %d\n"
           "prod_bits   %d\nacc_bits    %d\ncnt_bits    %d\nlatency     %d (R + C - 2)\n"
           "stim_bits   %d\nfault       %s\ncycles      2R + C - 2 + M + (tiles - 1) * max(M, R)\n"
           "dir         %s\n",
           g.name, g.R, g.C, MXF_WS_ABITS, g.WB, g.PW, g.AW, g.CW, g.L, mxf_ws_stim_bits(&g.cfg),
           mxf_ws_fault_name(g.cfg.fault), g.dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "help")) {
        if (argc == 2) {
            usage(stdout);
            return 0;
        }
        for (int i = 0; i < N_COMMANDS; i++)
            if (!strcmp(argv[2], commands[i].name)) {
                printf("mxfgen %s [options]\n\n%s\n\n%s\n", commands[i].name, commands[i].summary,
                       commands[i].help);
                return 0;
            }
        fprintf(stderr, "mxfgen: no such command '%s'\n", argv[2]);
        return 2;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            gen_opts o;
            if (parse_opts(argc - 1, argv + 1, &o)) return 2;
            return commands[i].fn(&o);
        }
    fprintf(stderr, "mxfgen: unknown command '%s' (commands: rtl, name, dump, help)\n", argv[1]);
    return 2;
}
