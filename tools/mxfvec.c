/* mxfvec: the file side of the Icarus co-simulation (Icarus 11 has no DPI).
 *   mxfvec stim  --config DIR --m M --k K --n N --seed S --out FILE   -> prints cycle count
 *   mxfvec check --config DIR --m M --k K --n N --seed S --got FILE
 * The config comes from DIR/manifest.json, written by mxfgen with the RTL. Operands are the
 * same seeded ones mxfsim uses, and `check` runs the same checker as the Verilator harness. */
#include <cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "parse.h"
#include "ws_array.h"

#define SLACK_CYCLES 8

typedef struct vec_opts {
    const char *config, *out, *got;
    long m, k, n;
    uint64_t seed;
} vec_opts;

static int json_int(const cJSON *obj, const char *key, const char *path, int *out, mxf_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v)) return mxf_fail(e, "%s: field config.%s missing or not a number", path, key);
    *out = v->valueint;
    return 0;
}

static int load_config(const char *dir, mxf_ws_cfg *cfg, mxf_err *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    unsigned char *text;
    size_t len;
    if (mxf_read_file(path, &text, &len, e)) return -1;
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (!root) return mxf_fail(e, "%s: invalid JSON", path);
    int rc = -1;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "config");
    const cJSON *fault = c ? cJSON_GetObjectItemCaseSensitive(c, "fault") : NULL;
    memset(cfg, 0, sizeof *cfg);
    if (!cJSON_IsObject(c)) {
        mxf_fail(e, "%s: field config missing", path);
    } else if (!json_int(c, "rows", path, &cfg->rows, e) && !json_int(c, "cols", path, &cfg->cols, e) &&
               !json_int(c, "wbits", path, &cfg->wbits, e)) {
        if (!cJSON_IsString(fault))
            mxf_fail(e, "%s: field config.fault missing", path);
        else if (mxf_ws_fault_parse(fault->valuestring, &cfg->fault, e) == 0 &&
                 mxf_ws_cfg_validate(cfg, e) == 0)
            rc = 0;
        else
            mxf_fail_prefix(e, "%s: ", path);
    }
    cJSON_Delete(root);
    return rc;
}

static int parse_opts(int argc, char **argv, vec_opts *o, mxf_err *e)
{
    static const struct option lo[] = {{"config", 1, 0, 'c'}, {"out", 1, 0, 'o'}, {"got", 1, 0, 'g'},
                                       {"m", 1, 0, 'm'},      {"k", 1, 0, 'k'},   {"n", 1, 0, 'n'},
                                       {"seed", 1, 0, 's'},   {0, 0, 0, 0}};
    *o = (vec_opts){.m = 8, .k = 8, .n = 8, .seed = 1};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'c': o->config = optarg; break;
        case 'o': o->out = optarg; break;
        case 'g': o->got = optarg; break;
        case 'm': bad = mxf_parse_int(optarg, "--m", 1, 1 << 16, &o->m, e); break;
        case 'k': bad = mxf_parse_int(optarg, "--k", 1, 1 << 16, &o->k, e); break;
        case 'n': bad = mxf_parse_int(optarg, "--n", 1, 1 << 16, &o->n, e); break;
        case 's': bad = mxf_parse_u64(optarg, "--seed", &o->seed, e); break;
        default: return mxf_fail(e, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
        if (bad) return -1;
    }
    if (!o->config) return mxf_fail(e, "--config DIR is required");
    return 0;
}

typedef struct operands {
    int8_t *A, *W;
    mxf_ws_gemm g;
} operands;

static int make_operands(const vec_opts *o, const mxf_ws_cfg *cfg, operands *op, mxf_err *e)
{
    op->A = malloc((size_t)(o->m * o->k));
    op->W = malloc((size_t)(o->k * o->n));
    if (!op->A || !op->W) return mxf_fail(e, "out of memory");
    mxf_ws_random_operands(cfg, o->seed, (int)o->m, (int)o->k, (int)o->n, op->A, op->W);
    return mxf_ws_gemm_init(&op->g, cfg, (int)o->m, (int)o->k, (int)o->n, op->A, op->W, e);
}

static int cmd_stim(const vec_opts *o, const mxf_ws_gemm *g, mxf_err *e)
{
    if (!o->out) return mxf_fail(e, "stim: --out FILE is required");
    mxf_atomic_file af;
    if (mxf_atomic_open(&af, o->out, e)) return -1;
    int64_t n = mxf_ws_total_cycles(g) + SLACK_CYCLES;
    mxf_ws_stim s;
    for (int64_t c = 0; c < n; c++) {
        mxf_ws_stim_at(g, c, &s);
        mxf_ws_stim_hex(&g->cfg, &s, af.f);
    }
    if (mxf_atomic_commit(&af, e)) return -1;
    printf("%" PRId64 "\n", n);
    return 0;
}

static int cmd_check(const vec_opts *o, const mxf_ws_gemm *g, mxf_err *e)
{
    if (!o->got) return mxf_fail(e, "check: --got FILE is required");
    FILE *f = fopen(o->got, "r");
    if (!f) return mxf_fail(e, "%s: cannot open", o->got);
    mxf_ws_checker k;
    if (mxf_ws_checker_init(&k, g, o->seed, e)) {
        fclose(f);
        return -1;
    }
    char line[8192], hex[8192];
    int64_t y[MXF_WS_MAX_DIM], last = -1;
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        long long cyc;
        if (sscanf(line, "%lld %8191s", &cyc, hex) != 2) {
            rc = mxf_fail(e, "%s:%d: expected '<cycle> <hex>'", o->got, lineno);
            break;
        }
        if (mxf_ws_parse_y_hex(&g->cfg, hex, y, e)) {
            rc = mxf_fail_prefix(e, "%s:%d: ", o->got, lineno);
            break;
        }
        last = cyc;
        if (mxf_ws_checker_push(&k, cyc, y)) rc = -1;
    }
    fclose(f);
    if (rc == 0) rc = mxf_ws_checker_finish(&k, mxf_ws_total_cycles(g) + SLACK_CYCLES - 1);
    if (rc == 0 && last + 1 != mxf_ws_total_cycles(g))
        rc = mxf_fail(e, "MISMATCH total cycles: expected %" PRId64 ", last output on cycle %" PRId64,
                      mxf_ws_total_cycles(g), last);
    else if (rc && k.failed)
        mxf_fail(e, "%s", k.first_failure);
    if (rc == 0)
        printf("icarus: config ok, %" PRId64 " outputs, %" PRId64 " cycles, 0 mismatches\n",
               k.outputs, mxf_ws_total_cycles(g));
    mxf_ws_checker_free(&k);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "stim") && strcmp(argv[1], "check"))) {
        fprintf(stderr, "usage: mxfvec stim|check --config DIR [--m M --k K --n N --seed S] "
                        "(--out FILE | --got FILE)\n");
        return 2;
    }
    vec_opts o;
    mxf_err e;
    mxf_ws_cfg cfg;
    operands op = {0};
    int rc = 2;
    if (parse_opts(argc - 1, argv + 1, &o, &e) || load_config(o.config, &cfg, &e) ||
        make_operands(&o, &cfg, &op, &e)) {
        fprintf(stderr, "mxfvec: %s\n", e.msg);
    } else if (!strcmp(argv[1], "stim")) {
        rc = cmd_stim(&o, &op.g, &e) ? 2 : 0;
        if (rc) fprintf(stderr, "mxfvec: %s\n", e.msg);
    } else {
        rc = cmd_check(&o, &op.g, &e) ? 1 : 0;
        if (rc) fprintf(stderr, "mxfvec: %s\n", e.msg);
    }
    free(op.A);
    free(op.W);
    return rc;
}
