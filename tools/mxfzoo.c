/* mxfzoo: the built-in model zoo (real shapes; weights are seeded synthetic tensors).
 *   mxfzoo list                      names, one line each, with their size
 *   mxfzoo show NAME                 every linear layer's shape and MACs per token
 *   mxfzoo check NAME [SEED]         validate a MODEL (and SEED) before any build starts
 *   mxfzoo help | --help | -h        this usage (stdout, exit 0)
 * Exit status: 0 ok, 2 bad usage or unknown model / bad seed (no check here finds mismatches,
 * no failure is internal). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models.h"
#include "parse.h"

static const mxf_model *find_or_complain(const char *name)
{
    const mxf_model *m = mxf_model_find(name);
    if (!m) {
        char names[256];
        mxf_model_names(names, sizeof names);
        fprintf(stderr, "mxfzoo: MODEL=%s: unknown model (known: %s)\n", name, names);
    }
    return m;
}

static const char USAGE[] = "usage: mxfzoo list | show NAME | check NAME [SEED] | help\n";

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "+h", lo, NULL)) != -1;) {
        if (c == 'h') {
            fputs(USAGE, stdout);
            return 0;
        }
        fprintf(stderr, "mxfzoo: unknown option '%s'\n%s", argv[optind - 1], USAGE);
        return 2;
    }
    argc -= optind - 1;
    argv += optind - 1;
    if (argc >= 2 && !strcmp(argv[1], "help")) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "list")) {
        for (int i = 0; i < mxf_model_count(); i++) {
            const mxf_model *m = mxf_model_at(i);
            printf("%-11s %2d layers  hidden %5d  ffn %5d  %.2f G linear MACs/token\n", m->name,
                   m->n_layers, m->hidden, m->ffn, mxf_model_linear_macs_per_token(m) / 1e9);
        }
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "show")) {
        const mxf_model *m = find_or_complain(argv[2]);
        if (!m) return 2;
        printf("%s (%s): %d decoder layers, hidden %d, ffn %d, %d heads, vocab %d\n", m->name,
               m->family, m->n_layers, m->hidden, m->ffn, m->n_heads, m->vocab);
        for (int i = 0; i < m->n_linear; i++)
            printf("  %-10s W %5d x %5d   %.1f M MACs/token/layer\n", m->linear[i].name,
                   m->linear[i].out_features, m->linear[i].in_features,
                   (double)m->linear[i].out_features * m->linear[i].in_features / 1e6);
        return 0;
    }
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "check")) {
        if (!find_or_complain(argv[2])) return 2;
        uint64_t seed;
        mxf_err e;
        if (argc == 4 && mxf_parse_u64(argv[3], "SEED", &seed, &e)) {
            fprintf(stderr, "mxfzoo: %s\n", e.msg);
            return 2;
        }
        return 0;
    }
    fputs(USAGE, stderr);
    return 2;
}
