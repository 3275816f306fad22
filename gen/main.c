/* mxfgen: emits synthesizable SystemVerilog, an Icarus testbench, a C header, a JSON manifest, a
 * file list and a FuseSoC core for one config of a registered hardware block. Yosys-style: the
 * command table and each block's option table carry their own help, which is the reference
 * documentation (docs/generator.md is generated from `mxfgen help`). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "gen.h"

typedef struct gen_opts {
    mxf_hwcfg cfg;
    const char *outroot, *outdir, *prefix, *tag;
} gen_opts;

/* Options every block has. */
enum { C_ARCH, C_PREFIX, C_TAG, C_OUTROOT, C_OUT, N_COMMON };
static const mxf_block_opt common[N_COMMON] = {
    [C_ARCH] = {"arch", "NAME", "ARCH", NULL, "hardware block (the registry); default: the first"},
    [C_PREFIX] = {"prefix", "P", NULL, NULL,
                  "prepend P to every module name, so two configs can live in one FPGA project"},
    [C_TAG] = {"tag", "VERSION", NULL, NULL,
               "project version recorded in every file header (make passes git describe)"},
    [C_OUTROOT] = {"outroot", "DIR", NULL, "build",
                   "parent of the config directory; the directory is named after the config, so "
                   "configs never share a build"},
    [C_OUT] = {"out", "DIR", NULL, NULL, "exact output directory (overrides --outroot)"},
};

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
    {"rtl", "emit the RTL, testbench, header, manifest, file list and core of a config",
     "Writes <outroot>/<name>/rtl/*.sv (one module per file) and rtl/files.f (paths relative to\n"
     "rtl/, in dependency order), tb/tb_<top>.sv (Icarus), mxf_params.h, manifest.json and\n"
     "<name>.core (FuseSoC CAPI2: lint, sim and synth targets). Files are rewritten only when\n"
     "their content changes, so downstream builds do not rerun needlessly. Prints the config\n"
     "directory as the last line of output.",
     cmd_rtl},
    {"name", "print the config's name (its build directory name)",
     "Validates the options and prints e.g. ws-a16-w8 or ws-r8c4-w4.", cmd_name},
    {"dump", "print the elaborated config (derived parameters and ports)",
     "Prints every derived parameter and the port table without writing files.", cmd_dump},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void print_opt(FILE *f, const mxf_block_opt *op)
{
    char lhs[64], mk[48] = "";
    snprintf(lhs, sizeof lhs, "--%s %s", op->name, op->arg);
    if (op->makevar) snprintf(mk, sizeof mk, "make %s=", op->makevar);
    fprintf(f, "  %-16s %s", lhs, op->help);
    if (*mk || op->dflt)
        fprintf(f, " (%s%s%s%s)", mk, *mk && op->dflt ? ", " : "", op->dflt ? "default " : "",
                op->dflt ? op->dflt : "");
    fprintf(f, "\n");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mxfgen <command> [--arch NAME] [options]\n"
               "       mxfgen help [command | block]\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\noptions of every block:\n");
    fprintf(f, "  %-16s %s\n", "--from-env",
            "take ARCH and the block's knobs (ARRAY, ...) not given as options from the "
            "environment (make does)");
    for (int i = 0; i < N_COMMON; i++) print_opt(f, &common[i]);
    fprintf(f, "\nblocks (--arch, make ARCH=):\n");
    for (int i = 0; mxf_blocks[i]; i++)
        fprintf(f, "  %-12s %s%s\n", mxf_blocks[i]->name, mxf_blocks[i]->summary,
                i ? "" : " (default)");
    fprintf(f, "\n`mxfgen help <block>` lists a block's options, faults and ports.\n");
}

static void block_help(FILE *f, const mxf_block *b)
{
    fprintf(f, "block %s: %s\ntiming contract: %s\n\noptions:\n", b->name, b->summary, b->doc);
    for (int i = 0; i < b->n_opts; i++) print_opt(f, &b->opts[i]);
    fprintf(f, "\nfaults (--fault, make FAULT=):");
    for (int i = 1; b->faults[i]; i++) fprintf(f, " %s", b->faults[i]);
    fprintf(f, "\n\nports of %s (widths for the config's parameters):\n", b->top);
    mxf_hwcfg cfg;
    mxf_port p[MXF_BLOCK_MAX_PORTS];
    if (mxf_hwcfg_parse(&cfg, b->name, NULL, NULL) == 0) {
        static const char *const roles[] = {"clock", "reset", "data", "strobe"};
        int n = mxf_hwcfg_ports(&cfg, p);
        for (int i = 0; i < n; i++)
            fprintf(f, "  %-3s %-12s %-8s %-7s %s\n", p[i].dir == MXF_IN ? "in" : "out", p[i].name,
                    p[i].width_expr, roles[p[i].role], p[i].doc);
    }
    fprintf(f, "\nmxfsim commands:\n");
    for (int i = 0; i < b->n_cmds; i++)
        fprintf(f, "  %-7s %s\n          %s\n", b->cmds[i].name, b->cmds[i].usage, b->cmds[i].help);
}

/* Fills unset options from their make variables; a knob that only other blocks have is an
 * error rather than silently ignored. */
static int env_knobs(const mxf_block *b, const char **vals)
{
    for (int i = 0; i < b->n_opts; i++) {
        const char *v = b->opts[i].makevar ? getenv(b->opts[i].makevar) : NULL;
        if (!vals[i] && v && *v) vals[i] = v;
    }
    for (int k = 0; mxf_blocks[k]; k++)
        for (int i = 0; i < mxf_blocks[k]->n_opts; i++) {
            const char *mv = mxf_blocks[k]->opts[i].makevar, *v = mv ? getenv(mv) : NULL;
            if (!v || !*v) continue;
            int mine = 0;
            for (int j = 0; j < b->n_opts; j++)
                mine |= b->opts[j].makevar && !strcmp(b->opts[j].makevar, mv);
            if (!mine) {
                fprintf(stderr, "mxfgen: %s=%s: not a knob of block %s (see mxfgen help %s)\n", mv,
                        v, b->name, b->name);
                return -1;
            }
        }
    return 0;
}

static int parse_opts(int argc, char **argv, gen_opts *o)
{
    /* --from-env: knobs not given as options come from the environment (make exports them). */
    int from_env = 0, na = 0;
    char *args[256];
    for (int i = 0; i < argc && na < 255; i++) {
        if (!strcmp(argv[i], "--from-env"))
            from_env = 1;
        else
            args[na++] = argv[i];
    }
    args[na] = NULL;
    argc = na;
    argv = args;
    /* The block decides which options exist, so find --arch first. */
    const char *arch = from_env ? getenv("ARCH") : NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--arch") && i + 1 < argc)
            arch = argv[i + 1];
        else if (!strncmp(argv[i], "--arch=", 7))
            arch = argv[i] + 7;
    }
    const mxf_block *b = arch && *arch ? mxf_block_find(arch) : mxf_blocks[0];
    if (!b) {
        char names[256];
        mxf_block_names(names, sizeof names);
        fprintf(stderr, "mxfgen: ARCH=%s: unknown block (known: %s)\n", arch, names);
        return -1;
    }
    struct option lo[N_COMMON + MXF_BLOCK_MAX_OPTS + 1];
    for (int i = 0; i < N_COMMON; i++) lo[i] = (struct option){common[i].name, 1, NULL, i};
    for (int i = 0; i < b->n_opts; i++)
        lo[N_COMMON + i] = (struct option){b->opts[i].name, 1, NULL, N_COMMON + i};
    lo[N_COMMON + b->n_opts] = (struct option){0, 0, 0, 0};
    const char *vals[MXF_BLOCK_MAX_OPTS] = {0};
    memset(o, 0, sizeof *o);
    o->outroot = "build";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c >= N_COMMON && c < N_COMMON + b->n_opts) {
            vals[c - N_COMMON] = optarg;
            continue;
        }
        switch (c) {
        case C_ARCH:
            break;
        case C_PREFIX:
            o->prefix = optarg;
            break;
        case C_TAG:
            o->tag = optarg;
            break;
        case C_OUTROOT:
            o->outroot = optarg;
            break;
        case C_OUT:
            o->outdir = optarg;
            break;
        default:
            fprintf(stderr,
                    "mxfgen: unknown or incomplete option '%s' for block %s (see mxfgen help %s)\n",
                    argv[optind - 1], b->name, b->name);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mxfgen: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (from_env && env_knobs(b, vals)) return -1;
    mxf_err e;
    if (mxf_hwcfg_parse(&o->cfg, b->name, vals, &e) ||
        (o->prefix && gen_prefix_check(o->prefix, &e))) {
        fprintf(stderr, "mxfgen: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int cmd_rtl(const gen_opts *o)
{
    gen_ctx g;
    mxf_err e;
    if (gen_ctx_init(&g, &o->cfg, o->prefix, o->tag, o->outroot, o->outdir, &e) ||
        gen_emit_config(&g, &e)) {
        fprintf(stderr, "mxfgen: %s\n", e.msg);
        return 3;
    }
    printf("%s\n", g.dir);
    return 0;
}

static int cmd_name(const gen_opts *o)
{
    gen_ctx g;
    mxf_err e;
    if (gen_ctx_init(&g, &o->cfg, o->prefix, o->tag, o->outroot, o->outdir, &e)) {
        fprintf(stderr, "mxfgen: %s\n", e.msg);
        return 2;
    }
    printf("%s\n", g.name);
    return 0;
}

static int cmd_dump(const gen_opts *o)
{
    gen_ctx g;
    mxf_err e;
    if (gen_ctx_init(&g, &o->cfg, o->prefix, o->tag, o->outroot, o->outdir, &e)) {
        fprintf(stderr, "mxfgen: %s\n", e.msg);
        return 2;
    }
    printf(
        "name        %s\nblock       %s (%s)\nargs        %s\ntop         %s%s\ndir         %s\n",
        g.name, g.block->name, g.block->summary, g.args, g.prefix, g.block->top, g.dir);
    for (int i = 0; i < g.n_derived; i++)
        printf("%-11s %ld  (%s)\n", g.derived[i].name, g.derived[i].value, g.derived[i].doc);
    for (int i = 0; i < g.n_ports; i++)
        printf("port        %-3s %-12s %5d  %s\n", g.ports[i].dir == MXF_IN ? "in" : "out",
               g.ports[i].name, g.ports[i].width, g.ports[i].width_expr);
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
                printf("mxfgen %s [--arch NAME] [options]\n\n%s\n\n%s\n", commands[i].name,
                       commands[i].summary, commands[i].help);
                return 0;
            }
        const mxf_block *b = mxf_block_find(argv[2]);
        if (b) {
            block_help(stdout, b);
            return 0;
        }
        fprintf(stderr, "mxfgen: no such command or block '%s'\n", argv[2]);
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
