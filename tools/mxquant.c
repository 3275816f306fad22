/* mxquant: quantize model weights into packed weight images, inspect / dequantize / check them,
 * and report what each format costs and loses. `mxquant help` lists the commands.
 * Exit status: 0 ok, 1 `check` ran and found a mismatch, 2 bad usage or bad input (the message
 * names the file, field and value), 3 internal or resource failure (out of memory). */
#include <cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileio.h"
#include "image.h"
#include "models.h"
#include "parse.h"
#include "qformat.h"
#include "qmetrics.h"
#include "safetensors.h"
#include "synthetic.h"

#define MAXF 16

typedef struct opts {
    const char *formats[MAXF];
    int nformats;
    const char *model, *in, *out, *json, *csv, *layers, *tensors, *ref;
    const char *seed_s, *tokens_s, *calib, *calib_tokens_s, *eval;
    const char *pos[4];
    int npos;
} opts;

/* Exit status (one contract for every tool): 0 ok, 1 a check ran and found a mismatch, 2 bad
 * input or usage, 3 an internal or resource failure (out of memory). Library errors say "out of
 * memory" when an allocation failed; every other library error is about its input. */
enum { EX_OK = 0, EX_MISMATCH = 1, EX_INPUT = 2, EX_INTERNAL = 3 };

static int die(const char *cmd, const char *msg)
{
    fprintf(stderr, "mxquant %s: %s\n", cmd, msg);
    return mxf_err_is_resource(msg) ? EX_INTERNAL : EX_INPUT;
}

/* An output path is checked before any work starts (a missing directory, a directory). */
static int check_out(const char *cmd, const char *path)
{
    mxf_err e;
    if (path && mxf_check_output_path(path, &e)) return die(cmd, e.msg);
    return 0;
}

/* ---- option parsing (getopt_long, as in every tool) ---- */

static const struct option ALL_OPTS[] = {
    {"format", required_argument, NULL, 'f'},       {"model", required_argument, NULL, 'm'},
    {"in", required_argument, NULL, 'i'},           {"out", required_argument, NULL, 'o'},
    {"json", required_argument, NULL, 'j'},         {"csv", required_argument, NULL, 'c'},
    {"layers", required_argument, NULL, 'l'},       {"tensors", required_argument, NULL, 't'},
    {"ref", required_argument, NULL, 'r'},          {"seed", required_argument, NULL, 's'},
    {"tokens", required_argument, NULL, 'T'},       {"calib", required_argument, NULL, 'C'},
    {"calib-tokens", required_argument, NULL, 'K'}, {"eval", required_argument, NULL, 'E'},
};
#define NALL ((int)(sizeof ALL_OPTS / sizeof ALL_OPTS[0]))

static int cmd_help(int argc, char **argv);

/* Parses argv[0..argc) of one command (argv[-1] is the command name); `allowed` lists the long
 * options the command takes (" a b "). Returns 0, 2 on bad usage, or -1 after printing the
 * command's usage for --help / -h. */
static int parse_opts(const char *cmd, int argc, char **argv, const char *allowed, opts *o)
{
    memset(o, 0, sizeof *o);
    struct option lo[NALL + 2];
    int n = 0;
    for (int i = 0; i < NALL; i++) {
        char key[64];
        snprintf(key, sizeof key, " %s ", ALL_OPTS[i].name);
        if (strstr(allowed, key)) lo[n++] = ALL_OPTS[i];
    }
    lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n] = (struct option){NULL, 0, NULL, 0};
    optind = 0; /* full reset: every command parses its own argv */
    opterr = 0;
    for (;;) {
        int li = -1;
        int c = getopt_long(argc + 1, argv - 1, "h", lo, &li);
        if (c == -1) break;
        const char *v = optarg;
        switch (c) {
        case 'h': {
            char *hv[1] = {(char *)cmd};
            cmd_help(1, hv);
            return -1;
        }
        case 'f':
            if (o->nformats >= MAXF) return die(cmd, "too many --format options");
            o->formats[o->nformats++] = v;
            break;
        case 'm':
            o->model = v;
            break;
        case 'i':
            o->in = v;
            break;
        case 'o':
            o->out = v;
            break;
        case 'j':
            o->json = v;
            break;
        case 'c':
            o->csv = v;
            break;
        case 'l':
            o->layers = v;
            break;
        case 't':
            o->tensors = v;
            break;
        case 'r':
            o->ref = v;
            break;
        case 's':
            o->seed_s = v;
            break;
        case 'T':
            o->tokens_s = v;
            break;
        case 'C':
            o->calib = v;
            break;
        case 'K':
            o->calib_tokens_s = v;
            break;
        case 'E':
            o->eval = v;
            break;
        default: {
            char m[300];
            int bad = optind - 2; /* the element getopt stopped at, in argv[0..argc) */
            if (bad < 0) bad = 0;
            if (bad >= argc) bad = argc - 1;
            snprintf(m, sizeof m, "unknown or incomplete option '%s' (try: mxquant help %s)",
                     argc > 0 ? argv[bad] : "?", cmd);
            return die(cmd, m);
        }
        }
    }
    for (int i = optind - 1; i < argc; i++) {
        if (o->npos >= 4) return die(cmd, "too many arguments");
        o->pos[o->npos++] = argv[i];
    }
    return 0;
}

/* ---- weight sources: model zoo (synthetic) or safetensors ---- */

typedef struct wsrc {
    int n;
    char **name;
    int64_t *rows, *cols;
    char **act; /* calibration activation stream name */
    const mxf_model *model;
    mxf_st st;
    int *st_idx;
    uint64_t seed;
    mxf_synth_params sp;
    mxf_st cal; /* --calib file, when given */
    const char *cal_path;
    long cal_tokens; /* synthetic calibration tokens (--calib-tokens) */
} wsrc;

static void wsrc_free(wsrc *w)
{
    for (int i = 0; i < w->n; i++) {
        free(w->name[i]);
        free(w->act[i]);
    }
    free(w->name);
    free(w->act);
    free(w->rows);
    free(w->cols);
    free(w->st_idx);
    mxf_st_close(&w->st);
    mxf_st_close(&w->cal);
    memset(w, 0, sizeof *w);
}

static int wsrc_add(wsrc *w, const char *name, int64_t r, int64_t c, const char *act, int st_idx)
{
    int n = w->n + 1;
    char **nm = realloc(w->name, sizeof(char *) * (size_t)n);
    if (nm) w->name = nm;
    char **ac = realloc(w->act, sizeof(char *) * (size_t)n);
    if (ac) w->act = ac;
    int64_t *rr = realloc(w->rows, sizeof(int64_t) * (size_t)n);
    if (rr) w->rows = rr;
    int64_t *cc = realloc(w->cols, sizeof(int64_t) * (size_t)n);
    if (cc) w->cols = cc;
    int *si = realloc(w->st_idx, sizeof(int) * (size_t)n);
    if (si) w->st_idx = si;
    if (!nm || !ac || !rr || !cc || !si) return -1;
    w->name[w->n] = strdup(name);
    w->act[w->n] = strdup(act);
    w->rows[w->n] = r;
    w->cols[w->n] = c;
    w->st_idx[w->n] = st_idx;
    w->n = n;
    return w->name[n - 1] && w->act[n - 1] ? 0 : -1;
}

/* Hugging Face module path of a linear layer. */
static int parse_layers(const char *cmd, const char *s, int nl, int *sel)
{
    for (int i = 0; i < nl; i++) sel[i] = 0;
    if (!s) {
        sel[0] = 1;
        return 0;
    }
    if (!strcmp(s, "all")) {
        for (int i = 0; i < nl; i++) sel[i] = 1;
        return 0;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    mxf_err e;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        long v;
        if (mxf_parse_int(t, "--layers", 0, nl - 1, &v, &e)) return die(cmd, e.msg);
        sel[v] = 1;
    }
    return 0;
}

static int wsrc_open(const char *cmd, const opts *o, wsrc *w)
{
    memset(w, 0, sizeof *w);
    mxf_synth_default_params(&w->sp);
    mxf_err e;
    w->seed = 1;
    if (o->seed_s && mxf_parse_u64(o->seed_s, "--seed", &w->seed, &e)) return die(cmd, e.msg);
    if (!!o->model == !!o->in) return die(cmd, "give exactly one of --model NAME or --in FILE");
    w->cal_tokens = 256;
    if (o->calib_tokens_s &&
        mxf_parse_int(o->calib_tokens_s, "--calib-tokens", 1, 1 << 20, &w->cal_tokens, &e))
        return die(cmd, e.msg);
    if (o->calib) {
        if (o->calib_tokens_s)
            return die(cmd, "--calib-tokens goes with synthetic calibration, not --calib");
        if (mxf_st_open(o->calib, &w->cal, &e)) return die(cmd, e.msg);
        w->cal_path = o->calib;
    }
    if (o->model) {
        if (o->tensors) return die(cmd, "--tensors goes with --in");
        w->model = mxf_model_find(o->model);
        if (!w->model) {
            char names[512], m[700];
            mxf_model_names(names, sizeof names);
            snprintf(m, sizeof m, "--model=%s: unknown model (known: %s)", o->model, names);
            return die(cmd, m);
        }
        int *sel = calloc((size_t)w->model->n_layers, sizeof(int));
        if (!sel) return die(cmd, "out of memory");
        if (parse_layers(cmd, o->layers, w->model->n_layers, sel)) {
            free(sel);
            return 2;
        }
        for (int L = 0; L < w->model->n_layers; L++) {
            if (!sel[L]) continue;
            for (int k = 0; k < w->model->n_linear; k++) {
                const mxf_linear *li = &w->model->linear[k];
                char nm[256], act[256];
                mxf_model_tensor_name(w->model, L, k, nm, sizeof nm);
                mxf_model_act_name(w->model, L, k, act, sizeof act);
                if (wsrc_add(w, nm, li->out_features, li->in_features, act, -1)) {
                    free(sel);
                    return die(cmd, "out of memory");
                }
            }
        }
        free(sel);
        return 0;
    }
    if (o->layers) return die(cmd, "--layers goes with --model");
    if (mxf_st_open(o->in, &w->st, &e)) return die(cmd, e.msg);
    for (int i = 0; i < w->st.n; i++) {
        const mxf_st_tensor *t = &w->st.t[i];
        if (o->tensors) {
            char buf[4096];
            snprintf(buf, sizeof buf, ",%s,", o->tensors);
            char key[1100];
            snprintf(key, sizeof key, ",%s,", t->name);
            if (!strstr(buf, key)) continue;
        } else if (t->ndim != 2) {
            continue;
        }
        if (t->ndim != 2) {
            char m[600];
            snprintf(m, sizeof m, "%s: tensor '%s': %d-D, only 2-D weights can be quantized", o->in,
                     t->name, t->ndim);
            return die(cmd, m);
        }
        if (wsrc_add(w, t->name, t->shape[0], t->shape[1], t->name, i))
            return die(cmd, "out of memory");
    }
    if (o->tensors) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", o->tensors);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (mxf_st_find(&w->st, t) < 0) {
                char m[1200];
                snprintf(m, sizeof m, "%s: --tensors: no tensor named '%s'", o->in, t);
                return die(cmd, m);
            }
    }
    if (w->n == 0) {
        char m[600];
        snprintf(m, sizeof m, "%s: no 2-D tensors to quantize", o->in);
        return die(cmd, m);
    }
    return 0;
}

/* Loads weight i (malloc'd). */
static float *wsrc_load(const char *cmd, wsrc *w, int i, int *rc)
{
    float *W = malloc(sizeof(float) * (size_t)(w->rows[i] * w->cols[i]));
    mxf_err e;
    if (!W) {
        *rc = die(cmd, "out of memory");
        return NULL;
    }
    int r = w->model ? mxf_synth_weights(&w->sp, w->seed, w->name[i], w->rows[i], w->cols[i], W, &e)
                     : mxf_st_read_f32(&w->st, w->st_idx[i], W, &e);
    if (r) {
        free(W);
        *rc = die(cmd, e.msg);
        return NULL;
    }
    return W;
}

/* Activations for weight i from a safetensors file (--calib or --eval; `what` says which): the
 * tensor named after the layer's input (w->act[i]), else the file's only 2-D tensor; it must be
 * tokens x in_features of the weight. */
static int st_acts(const char *cmd, const wsrc *w, int i, const mxf_st *st, const char *path,
                   const char *what, float **X, int64_t *T, int64_t *xc)
{
    *X = NULL;
    *T = *xc = 0;
    mxf_err e;
    char m[1400];
    int k = mxf_st_find(st, w->act[i]);
    if (k < 0) {
        int n2 = 0;
        for (int j = 0; j < st->n; j++)
            if (st->t[j].ndim == 2) n2++, k = j;
        if (n2 != 1) {
            snprintf(m, sizeof m,
                     "%s: no %s tensor '%s' (and not exactly one 2-D tensor to use instead)", path,
                     what, w->act[i]);
            return die(cmd, m);
        }
    }
    const mxf_st_tensor *t = &st->t[k];
    if (t->ndim != 2) {
        snprintf(m, sizeof m, "%s: %s tensor '%s': %d-D, expected tokens x features", path, what,
                 t->name, t->ndim);
        return die(cmd, m);
    }
    if (t->shape[1] != w->cols[i]) {
        snprintf(m, sizeof m, "%s: %s tensor '%s': %lld features, the weight '%s' has %lld inputs",
                 path, what, t->name, (long long)t->shape[1], w->name[i], (long long)w->cols[i]);
        return die(cmd, m);
    }
    *T = t->shape[0];
    *xc = t->shape[1];
    *X = malloc(sizeof(float) * (size_t)(*T * *xc) + 1);
    if (!*X) return die(cmd, "out of memory");
    if (mxf_st_read_f32(st, k, *X, &e)) {
        free(*X);
        *X = NULL;
        return die(cmd, e.msg);
    }
    return 0;
}

/* Calibration activations for weight i (formats with mxf_qformat_needs_calib): from --calib
 * (st_acts); without it, seeded synthetic activations: token sample 1 of the layer input, whose
 * tokens are independent of the evaluation sample 0 that `report` measures on. */
static int calib_load(const char *cmd, const wsrc *w, int i, float **X, int64_t *T, int64_t *xc)
{
    mxf_err e;
    if (w->cal_path) return st_acts(cmd, w, i, &w->cal, w->cal_path, "calibration", X, T, xc);
    *T = w->cal_tokens;
    *xc = w->cols[i];
    *X = malloc(sizeof(float) * (size_t)(*T * *xc));
    if (!*X) return die(cmd, "out of memory");
    if (mxf_synth_acts_sample(&w->sp, w->seed, w->act[i], 1, *T, *xc, *X, &e)) {
        free(*X);
        *X = NULL;
        return die(cmd, e.msg);
    }
    return 0;
}

/* Real weights with a format that calibrates but no --calib: say that the calibration is
 * synthetic (the quantizer would otherwise look as if it had used the model's activations). */
static void note_synthetic_calib(const char *cmd, const opts *o, const mxf_qformat *F, int nf)
{
    if (!o->in || o->calib) return;
    for (int f = 0; f < nf; f++)
        if (mxf_qformat_needs_calib(&F[f])) {
            fprintf(stderr,
                    "mxquant %s: note: no --calib given: the Hessian mode calibrates on seeded "
                    "synthetic activations, not on this model's\n",
                    cmd);
            return;
        }
}

/* Quantizes weight i with calibration X (NULL when its format needs none); target (optional)
 * receives the weights the quantizer encoded (mxf_quantize_target). Errors name the tensor. */
static int quantize_with(const char *cmd, const wsrc *w, int i, const mxf_qformat *f,
                         const float *W, const float *X, int64_t T, int64_t xc, mxf_qtensor *q,
                         float *target)
{
    mxf_err e;
    if (!mxf_quantize_target(f, W, w->rows[i], w->cols[i], X, T, xc, q, target, &e)) return 0;
    char m[1000];
    snprintf(m, sizeof m, "tensor '%s': %s", w->name[i], e.msg);
    return die(cmd, m);
}

/* The same, loading calibration when the format uses it. */
static int quantize_one(const char *cmd, const wsrc *w, int i, const mxf_qformat *f, const float *W,
                        mxf_qtensor *q, float *target)
{
    float *X = NULL;
    int64_t T = 0, xc = 0;
    memset(q, 0, sizeof *q);
    int rc = mxf_qformat_needs_calib(f) ? calib_load(cmd, w, i, &X, &T, &xc) : 0;
    if (!rc) rc = quantize_with(cmd, w, i, f, W, X, T, xc, q, target);
    free(X);
    return rc;
}

/* ---- commands ---- */

static int cmd_quantize(int argc, char **argv)
{
    const char *C = "quantize";
    opts o;
    int pr = parse_opts(C, argc, argv,
                        " format model in out seed layers tensors calib calib-tokens ", &o);
    if (pr) return pr < 0 ? 0 : pr;
    if (o.npos) return die(C, "unexpected argument");
    if (o.nformats != 1) return die(C, "give exactly one --format SPEC");
    if (!o.out) return die(C, "--out IMAGE is required");
    mxf_qformat f;
    mxf_err e;
    if (mxf_qformat_parse(o.formats[0], &f, &e)) return die(C, e.msg);
    if (check_out(C, o.out)) return EX_INPUT;
    wsrc w;
    int rc = wsrc_open(C, &o, &w);
    if (rc) {
        wsrc_free(&w);
        return rc;
    }
    note_synthetic_calib(C, &o, &f, 1);
    mxf_qtensor *q = calloc((size_t)w.n, sizeof *q);
    if (!q) {
        wsrc_free(&w);
        return die(C, "out of memory");
    }
    for (int i = 0; i < w.n && !rc; i++) {
        float *W = wsrc_load(C, &w, i, &rc);
        if (!W) break;
        rc = quantize_one(C, &w, i, &f, W, &q[i], NULL);
        free(W);
    }
    if (!rc && mxf_image_write(o.out, w.n, (const char *const *)w.name, q, &e)) rc = die(C, e.msg);
    if (!rc) {
        char spec[512];
        mxf_qformat_spec(&f, spec, sizeof spec);
        printf("wrote %s: %d tensors, format %s\n", o.out, w.n, spec);
    }
    for (int i = 0; i < w.n; i++) mxf_qtensor_free(&q[i]);
    free(q);
    wsrc_free(&w);
    return rc;
}

static int cmd_inspect(int argc, char **argv)
{
    const char *C = "inspect";
    opts o;
    int pr = parse_opts(C, argc, argv, " ", &o);
    if (pr) return pr < 0 ? 0 : pr;
    if (o.npos != 1) return die(C, "usage: mxquant inspect IMAGE");
    mxf_image img;
    mxf_err e;
    if (mxf_image_read(o.pos[0], &img, &e)) return die(C, e.msg);
    char name[64];
    mxf_qformat_name(&img.fmt, name, sizeof name);
    printf("image     %s\nversion   %u\nformat    %s (id 0x%x)\nspec      %s\n", o.pos[0],
           img.version, name, img.format_id, img.spec);
    printf("bits/w    %.4f (format, elements + metadata)\n", mxf_qformat_nominal_bits(&img.fmt));
    printf("tensors   %d, file %llu bytes, header %u bytes\n\n", img.n,
           (unsigned long long)img.file_len, img.header_len);
    printf("%-48s %7s %7s %12s %10s %9s  %-8s\n", "tensor", "rows", "cols", "codes(B)", "meta(B)",
           "stored b/w", "crc");
    double tot_w = 0, tot_b = 0;
    for (int i = 0; i < img.n; i++) {
        const mxf_image_tensor *t = &img.t[i];
        double nw = (double)t->rows * (double)t->cols;
        double b = 8.0 * (double)(t->codes_len + t->meta_len);
        tot_w += nw;
        tot_b += b;
        printf("%-48s %7lld %7lld %12llu %10llu %9.4f  %08x\n", t->name, (long long)t->rows,
               (long long)t->cols, (unsigned long long)t->codes_len,
               (unsigned long long)t->meta_len, b / nw, t->codes_crc);
    }
    printf("\ntotal %.0f weights, %.4f stored bits/weight\n", tot_w, tot_b / tot_w);
    mxf_image_free(&img);
    return 0;
}

static int cmd_dequant(int argc, char **argv)
{
    const char *C = "dequant";
    opts o;
    int pr = parse_opts(C, argc, argv, " out ", &o);
    if (pr) return pr < 0 ? 0 : pr;
    if (o.npos != 1 || !o.out) return die(C, "usage: mxquant dequant IMAGE --out OUT.safetensors");
    if (check_out(C, o.out)) return EX_INPUT;
    mxf_image img;
    mxf_err e;
    if (mxf_image_read(o.pos[0], &img, &e)) return die(C, e.msg);
    float **d = calloc((size_t)img.n, sizeof *d);
    int64_t *r = calloc((size_t)img.n, sizeof *r), *c = calloc((size_t)img.n, sizeof *c);
    const char **nm = calloc((size_t)img.n, sizeof *nm);
    int rc = (!d || !r || !c || !nm) ? die(C, "out of memory") : 0;
    for (int i = 0; i < img.n && !rc; i++) {
        mxf_qtensor q;
        mxf_image_view(&img, i, &q);
        r[i] = q.rows;
        c[i] = q.cols;
        nm[i] = img.t[i].name;
        d[i] = malloc(sizeof(float) * (size_t)(q.rows * q.cols));
        if (!d[i])
            rc = die(C, "out of memory");
        else if (mxf_dequantize(&q, d[i], &e)) {
            char m[900];
            snprintf(m, sizeof m, "%s: tensor '%s': %s", o.pos[0], img.t[i].name, e.msg);
            rc = die(C, m);
        }
    }
    if (!rc && mxf_st_write_f32(o.out, img.n, nm, r, c, (const float *const *)d, &e))
        rc = die(C, e.msg);
    if (!rc) printf("wrote %s: %d tensors (F32)\n", o.out, img.n);
    for (int i = 0; d && i < img.n; i++) free(d[i]);
    free(d);
    free(r);
    free(c);
    free(nm);
    mxf_image_free(&img);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    const char *C = "check";
    opts o;
    int pr = parse_opts(C, argc, argv, " model in seed layers tensors calib calib-tokens ", &o);
    if (pr) return pr < 0 ? 0 : pr;
    if (o.npos != 1)
        return die(C, "usage: mxquant check IMAGE [--model NAME --seed S | --in FILE]");
    mxf_image img;
    mxf_err e;
    if (mxf_image_read(o.pos[0], &img, &e)) return die(C, e.msg);
    int bad = 0, badin = 0; /* a finding (exit 1) / an undecodable image (exit 2) */
    for (int i = 0; i < img.n; i++) {
        mxf_qtensor q;
        mxf_image_view(&img, i, &q);
        float *d = malloc(sizeof(float) * (size_t)(q.rows * q.cols));
        if (!d) {
            mxf_image_free(&img);
            return die(C, "out of memory");
        }
        if (mxf_dequantize(&q, d, &e)) {
            fprintf(stderr, "mxquant check: %s: tensor '%s': %s\n", o.pos[0], img.t[i].name, e.msg);
            badin = 1;
            if (mxf_err_is_resource(e.msg)) badin = EX_INTERNAL;
        } else {
            int64_t nn = 0;
            for (int64_t k = 0; k < q.rows * q.cols; k++) nn += !isfinite(d[k]);
            if (nn) {
                fprintf(stderr,
                        "mxquant check: %s: tensor '%s': %lld non-finite values (NaN "
                        "scales)\n",
                        o.pos[0], img.t[i].name, (long long)nn);
                bad = 1;
            }
        }
        free(d);
    }
    int64_t cls_total[MXF_QC_COUNT] = {0};
    if (badin) {
        mxf_image_free(&img);
        return badin == EX_INTERNAL ? EX_INTERNAL : EX_INPUT;
    }
    if (!bad && (o.model || o.in)) {
        /* With a reference: (1) every decoded weight against its source within the format's
         * bound (docs/formats.md, "Error bounds"), the source being what the quantizer encodes
         * (for MicroScopiQ mode=gptq the error-updated weights of a fresh Hessian run with the
         * same calibration); (2) a self-consistency check: re-quantizing the reference with the
         * image's format must give the image's sections byte for byte. */
        wsrc w;
        int rc = wsrc_open(C, &o, &w);
        if (rc) {
            wsrc_free(&w);
            mxf_image_free(&img);
            return rc;
        }
        for (int i = 0; i < w.n && !rc; i++) {
            int k = mxf_image_find(&img, w.name[i]);
            if (k < 0) {
                printf("MISMATCH %s: reference tensor missing from the image\n", w.name[i]);
                bad = 1;
                continue;
            }
            mxf_qtensor q, v;
            mxf_image_view(&img, k, &v);
            if (v.rows != w.rows[i] || v.cols != w.cols[i]) {
                printf("MISMATCH %s: shape %lldx%lld, reference %lldx%lld\n", w.name[i],
                       (long long)v.rows, (long long)v.cols, (long long)w.rows[i],
                       (long long)w.cols[i]);
                bad = 1;
                continue;
            }
            float *W = wsrc_load(C, &w, i, &rc);
            if (!W) break;
            const size_t nw = (size_t)(v.rows * v.cols);
            float *T = malloc(sizeof(float) * nw), *D = malloc(sizeof(float) * nw);
            if (!T || !D) {
                free(W), free(T), free(D);
                rc = die(C, "out of memory");
                break;
            }
            if ((rc = quantize_one(C, &w, i, &img.fmt, W, &q, T))) {
                free(W), free(T), free(D);
                break;
            }
            mxf_qverify vr;
            if (mxf_dequantize(&v, D, &e) || mxf_qverify_tensor(&v, T, D, &vr, &e)) {
                fprintf(stderr, "mxquant check: %s: tensor '%s': %s\n", o.pos[0], w.name[i], e.msg);
                rc = mxf_err_is_resource(e.msg) ? EX_INTERNAL : EX_INPUT;
            } else if (vr.violations) {
                printf("MISMATCH %s: decoded weight [%lld][%lld] (block %lld, %s) is %.9g, "
                       "source %.9g: |error| %.6g exceeds its bound %.6g (%lld of %lld weights "
                       "out of bound)\n",
                       w.name[i], (long long)vr.row, (long long)vr.col, (long long)vr.block,
                       mxf_qclass_name(vr.cls), vr.decoded, vr.source, fabs(vr.decoded - vr.source),
                       vr.bound, (long long)vr.violations, (long long)vr.checked);
                bad = 1;
            } else {
                for (int c = 0; c < MXF_QC_COUNT; c++) cls_total[c] += vr.count[c];
            }
            if (q.meta_len != v.meta_len) {
                printf("MISMATCH %s: %zu metadata bytes, re-encoding the reference gives %zu "
                       "(self-consistency check)\n",
                       w.name[i], v.meta_len, q.meta_len);
                bad = 1;
            } else {
                for (int s = 0, done = 0; s < 2 && !done; s++) {
                    const uint8_t *a = s ? q.meta : q.codes, *b = s ? v.meta : v.codes;
                    size_t l = s ? q.meta_len : q.codes_len;
                    for (size_t j = 0; j < l; j++)
                        if (a[j] != b[j]) {
                            printf("MISMATCH %s: %s byte %zu is 0x%02x, re-encoding the "
                                   "reference gives 0x%02x (self-consistency check)\n",
                                   w.name[i], s ? "metadata" : "codes", j, b[j], a[j]);
                            bad = done = 1;
                            break;
                        }
                }
            }
            mxf_qtensor_free(&q);
            free(W), free(T), free(D);
        }
        if (!rc && w.n != img.n) {
            printf("MISMATCH image has %d tensors, reference %d\n", img.n, w.n);
            bad = 1;
        }
        wsrc_free(&w);
        if (rc) {
            mxf_image_free(&img);
            return rc;
        }
    }
    if (!bad) {
        printf("%s: OK (%d tensors, %s)\n", o.pos[0], img.n, img.spec);
        if (o.model || o.in)
            printf("every decoded weight is within its bound of the reference (%lld inliers, "
                   "%lld outliers, %lld pruned, %lld saturated), and re-encoding the reference "
                   "gives the image byte for byte (self-consistency)\n",
                   (long long)cls_total[MXF_QC_INLIER], (long long)cls_total[MXF_QC_OUTLIER],
                   (long long)cls_total[MXF_QC_PRUNED], (long long)cls_total[MXF_QC_SATURATED]);
    }
    mxf_image_free(&img);
    return bad ? 1 : 0;
}

/* ---- report ---- */

typedef struct row {
    const char *tensor;
    int fmt;
    int64_t rows, cols;
    mxf_qmetrics m;
    double bits, stored_bits;
    double ub_frac, ebw_paper; /* MicroScopiQ: uBs with outliers, paper-convention EBW; else NaN */
} row;

static const char *DEFAULT_FORMATS[] = {"mxfp4", "mxint4", "mxint2/128", "nxfp4", "fineq"};

static void put_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

/* The activations `report` measures output SQNR on, for weight i (Xe: Te x cols), and the
 * calibration the Hessian mode uses (Xc: Tc x cols, when a format needs it):
 *  - --eval FILE: that file's tokens; calibration from --calib (all tokens) or synthetic;
 *  - --calib FILE alone: its tokens are split, the first half calibrates and the second half
 *    (held out) is measured on, so the Hessian mode is never judged on its own calibration set;
 *  - neither: seeded synthetic activations (sample 0, `tokens` tokens) and synthetic calibration
 *    (sample 1). */
static int report_acts(const char *C, const wsrc *w, int i, const mxf_st *ev, const char *ev_path,
                       long tokens, int need_cal, float **Xe, int64_t *Te, float **Xc, int64_t *Tc)
{
    int64_t xc;
    mxf_err e;
    *Xe = *Xc = NULL;
    *Te = *Tc = 0;
    if (ev_path) {
        int rc = st_acts(C, w, i, ev, ev_path, "evaluation", Xe, Te, &xc);
        if (!rc && need_cal) rc = calib_load(C, w, i, Xc, Tc, &xc);
        return rc;
    }
    if (w->cal_path) {
        float *X;
        int64_t T;
        int rc = st_acts(C, w, i, &w->cal, w->cal_path, "calibration", &X, &T, &xc);
        if (rc) return rc;
        if (T < 2) {
            free(X);
            char m[900];
            snprintf(m, sizeof m,
                     "%s: calibration tensor for '%s' has %lld token(s): at least 2 are needed to "
                     "hold out half for evaluation (or give --eval FILE)",
                     w->cal_path, w->name[i], (long long)T);
            return die(C, m);
        }
        *Tc = T / 2;
        *Te = T - *Tc;
        *Xe = malloc(sizeof(float) * (size_t)(*Te * xc));
        if (!*Xe) {
            free(X);
            return die(C, "out of memory");
        }
        memcpy(*Xe, X + *Tc * xc, sizeof(float) * (size_t)(*Te * xc));
        if (need_cal)
            *Xc = X;
        else
            free(X);
        return 0;
    }
    *Te = tokens;
    *Xe = malloc(sizeof(float) * (size_t)(tokens * w->cols[i]) + 1);
    if (!*Xe) return die(C, "out of memory");
    if (mxf_synth_acts(&w->sp, w->seed, w->act[i], tokens, w->cols[i], *Xe, &e))
        return die(C, e.msg);
    return need_cal ? calib_load(C, w, i, Xc, Tc, &xc) : 0;
}

static int cmd_report(int argc, char **argv)
{
    const char *C = "report";
    opts o;
    int pr = parse_opts(
        C, argc, argv,
        " format model in seed layers tensors tokens json csv calib calib-tokens eval ", &o);
    if (pr) return pr < 0 ? 0 : pr;
    if (o.npos) return die(C, "unexpected argument");
    int nf = o.nformats ? o.nformats : 5;
    const char **fs = o.nformats ? o.formats : DEFAULT_FORMATS;
    mxf_qformat F[MAXF];
    mxf_err e;
    for (int i = 0; i < nf; i++)
        if (mxf_qformat_parse(fs[i], &F[i], &e)) return die(C, e.msg);
    long tokens = 128;
    if (o.tokens_s && (o.eval || o.calib))
        return die(C, "--tokens sets synthetic evaluation tokens; with --calib or --eval the "
                      "file's tokens are used");
    if (o.tokens_s && mxf_parse_int(o.tokens_s, "--tokens", 1, 65536, &tokens, &e))
        return die(C, e.msg);
    if (check_out(C, o.json) || check_out(C, o.csv)) return EX_INPUT;
    if (o.json && o.csv && !strcmp(o.json, o.csv))
        return die(C, "--json and --csv name the same file");
    int need_cal = 0;
    for (int f = 0; f < nf; f++) need_cal |= mxf_qformat_needs_calib(&F[f]);
    wsrc w;
    int rc = wsrc_open(C, &o, &w);
    mxf_st ev;
    memset(&ev, 0, sizeof ev);
    if (!rc && o.eval && mxf_st_open(o.eval, &ev, &e)) rc = die(C, e.msg);
    if (rc) {
        wsrc_free(&w);
        return rc;
    }
    note_synthetic_calib(C, &o, F, nf);
    char evsrc[700], calsrc[700];
    if (o.eval)
        snprintf(evsrc, sizeof evsrc, "%s (every token, --eval)", o.eval);
    else if (o.calib)
        snprintf(evsrc, sizeof evsrc, "%s, held-out second half of each tensor's tokens", o.calib);
    else
        snprintf(evsrc, sizeof evsrc, "synthetic, seed %llu, %ld tokens per layer",
                 (unsigned long long)w.seed, tokens);
    if (!need_cal)
        snprintf(calsrc, sizeof calsrc, "none (no format calibrates)");
    else if (o.calib)
        snprintf(calsrc, sizeof calsrc, "%s, %s", o.calib,
                 o.eval ? "every token" : "first half of each tensor's tokens");
    else
        snprintf(calsrc, sizeof calsrc, "synthetic, seed %llu, %ld tokens per layer",
                 (unsigned long long)w.seed, w.cal_tokens);
    row *rows = calloc((size_t)(w.n * nf), sizeof *rows);
    if (!rows) {
        wsrc_free(&w);
        mxf_st_close(&ev);
        return die(C, "out of memory");
    }
    int nr = 0;
    long tok_eval = 0;
    for (int i = 0; i < w.n && !rc; i++) {
        float *W = wsrc_load(C, &w, i, &rc);
        if (!W) break;
        float *D = malloc(sizeof(float) * (size_t)(w.rows[i] * w.cols[i]));
        float *X = NULL, *Xc = NULL;
        int64_t Te = 0, Tc = 0;
        const int64_t xcc = w.cols[i];
        if (!D)
            rc = die(C, "out of memory");
        else
            rc = report_acts(C, &w, i, &ev, o.eval, tokens, need_cal, &X, &Te, &Xc, &Tc);
        tok_eval += (long)Te;
        for (int f = 0; f < nf && !rc; f++) {
            mxf_qtensor q;
            row *r = &rows[nr];
            const int cal = mxf_qformat_needs_calib(&F[f]);
            if ((rc = quantize_with(C, &w, i, &F[f], W, cal ? Xc : NULL, Tc, xcc, &q, NULL))) break;
            mxf_msq_stats ms;
            if (mxf_dequantize(&q, D, &e) ||
                mxf_qmetrics_compute(W, D, w.rows[i], w.cols[i], X, Te, &r->m, &e) ||
                (F[f].family == MXF_QF_MSQ &&
                 mxf_msq_meta_stats((int)q.rows, (int)q.cols, q.meta, q.meta_len, &ms, &e))) {
                char m[900];
                snprintf(m, sizeof m, "tensor '%s' in %s: %s", w.name[i], fs[f], e.msg);
                rc = die(C, m);
            } else {
                r->tensor = w.name[i];
                r->fmt = f;
                r->rows = w.rows[i];
                r->cols = w.cols[i];
                r->bits = mxf_qformat_nominal_bits(&F[f]);
                r->stored_bits = 8.0 * (double)(q.codes_len + q.meta_len) /
                                 ((double)w.rows[i] * (double)w.cols[i]);
                r->ub_frac = r->ebw_paper = NAN;
                if (F[f].family == MXF_QF_MSQ) {
                    r->ub_frac = (double)ms.outlier_mubs / (double)ms.mubs;
                    r->ebw_paper = mxf_msq_ebw_paper(F[f].msq.bb, &ms);
                }
                nr++;
            }
            mxf_qtensor_free(&q);
        }
        free(Xc);
        free(X);
        free(D);
        free(W);
    }
    mxf_st_close(&ev);
    if (rc) {
        free(rows);
        wsrc_free(&w);
        return rc;
    }
    /* Aggregates per format: weight-count-weighted MSE, SQNR over all tensors. */
    double agg_mse[MAXF] = {0}, agg_sig[MAXF] = {0}, agg_out[MAXF] = {0}, agg_bits[MAXF] = {0};
    double agg_ub[MAXF] = {0}, agg_ebw[MAXF] = {0};
    int64_t agg_n[MAXF] = {0};
    int agg_cnt[MAXF] = {0};
    for (int k = 0; k < nr; k++) {
        row *r = &rows[k];
        double n = (double)r->m.weights;
        agg_mse[r->fmt] += r->m.w_mse * n;
        agg_sig[r->fmt] += r->m.w_mse * n * pow(10, r->m.w_sqnr_db / 10);
        agg_out[r->fmt] += r->m.out_sqnr_db;
        agg_bits[r->fmt] += r->stored_bits * n;
        agg_ub[r->fmt] += r->ub_frac * n; /* stays NaN for formats without outlier uBs */
        agg_ebw[r->fmt] += r->ebw_paper * n;
        agg_n[r->fmt] += r->m.weights;
        agg_cnt[r->fmt]++;
    }
    char src[600];
    if (w.model)
        snprintf(src, sizeof src, "%s (synthetic, seed %llu)", w.model->name,
                 (unsigned long long)w.seed);
    else
        snprintf(src, sizeof src, "%s", o.in);
    printf("accuracy report: %s, %d tensors\n"
           "  output SQNR measured on: %s (%ld tokens in all)\n"
           "  Hessian-mode calibration: %s\n\n",
           src, w.n, evsrc, tok_eval, calsrc);
    /* "stored" counts every byte of both sections; "uB out" and "EBW" (the MicroScopiQ paper's
     * convention, Eq. 4) only exist for MicroScopiQ formats. */
    printf("%-46s %-12s %12s %9s %9s %8s %8s %7s %7s\n", "tensor", "format", "weight MSE", "W SQNR",
           "Y SQNR", "bits/w", "stored", "uB out", "EBW");
    for (int k = 0; k < nr; k++) {
        row *r = &rows[k];
        char extra[64] = "";
        if (isfinite(r->ub_frac))
            snprintf(extra, sizeof extra, " %6.2f%% %7.4f", 100 * r->ub_frac, r->ebw_paper);
        printf("%-46s %-12s %12.4e %8.2fdB %8.2fdB %8.4f %8.4f%s\n", r->tensor, fs[r->fmt],
               r->m.w_mse, r->m.w_sqnr_db, r->m.out_sqnr_db, r->bits, r->stored_bits, extra);
    }
    printf("\n%-12s %12s %10s %9s %11s %8s %8s %7s %7s\n", "format", "weight MSE", "vs first",
           "W SQNR", "mean Y SQNR", "bits/w", "stored", "uB out", "EBW");
    for (int f = 0; f < nf; f++) {
        double mse = agg_mse[f] / (double)agg_n[f];
        double first = agg_mse[0] / (double)agg_n[0];
        char extra[64] = "";
        if (isfinite(agg_ub[f]))
            snprintf(extra, sizeof extra, " %6.2f%% %7.4f", 100 * agg_ub[f] / (double)agg_n[f],
                     agg_ebw[f] / (double)agg_n[f]);
        printf("%-12s %12.4e %+9.1f%% %8.2fdB %9.2fdB %8.4f %8.4f%s\n", fs[f], mse,
               100.0 * (mse / first - 1.0), 10 * log10(agg_sig[f] / agg_mse[f]),
               agg_out[f] / agg_cnt[f], mxf_qformat_nominal_bits(&F[f]),
               agg_bits[f] / (double)agg_n[f], extra);
    }
    /* JSON and CSV, built completely before anything is written. */
    char *js = NULL, *csv = NULL;
    size_t csv_len = 0;
    if (o.json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "source", src);
        cJSON_AddStringToObject(root, "eval_activations", evsrc);
        cJSON_AddNumberToObject(root, "eval_tokens", (double)tok_eval);
        cJSON_AddStringToObject(root, "calib_activations", calsrc);
        if (w.model) {
            cJSON_AddStringToObject(root, "model", w.model->name);
            cJSON_AddNumberToObject(root, "seed", (double)w.seed);
        }
        cJSON_AddNumberToObject(root, "tokens", (double)tokens);
        cJSON *fa = cJSON_AddArrayToObject(root, "formats");
        for (int f = 0; f < nf; f++) {
            cJSON *x = cJSON_CreateObject();
            char spec[512];
            mxf_qformat_spec(&F[f], spec, sizeof spec);
            cJSON_AddStringToObject(x, "name", fs[f]);
            cJSON_AddStringToObject(x, "spec", spec);
            put_num(x, "bits_per_weight", mxf_qformat_nominal_bits(&F[f]));
            put_num(x, "stored_bits_per_weight", agg_bits[f] / (double)agg_n[f]);
            put_num(x, "weight_mse", agg_mse[f] / (double)agg_n[f]);
            put_num(x, "weight_sqnr_db", 10 * log10(agg_sig[f] / agg_mse[f]));
            put_num(x, "mean_output_sqnr_db", agg_out[f] / agg_cnt[f]);
            put_num(x, "outlier_ub_fraction", agg_ub[f] / (double)agg_n[f]);
            put_num(x, "ebw_paper", agg_ebw[f] / (double)agg_n[f]);
            cJSON_AddItemToArray(fa, x);
        }
        cJSON *la = cJSON_AddArrayToObject(root, "layers");
        for (int k = 0; k < nr; k++) {
            row *r = &rows[k];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "tensor", r->tensor);
            cJSON_AddStringToObject(x, "format", fs[r->fmt]);
            cJSON_AddNumberToObject(x, "rows", (double)r->rows);
            cJSON_AddNumberToObject(x, "cols", (double)r->cols);
            put_num(x, "weight_mse", r->m.w_mse);
            put_num(x, "weight_sqnr_db", r->m.w_sqnr_db);
            put_num(x, "output_sqnr_db", r->m.out_sqnr_db);
            put_num(x, "bits_per_weight", r->bits);
            put_num(x, "stored_bits_per_weight", r->stored_bits);
            put_num(x, "outlier_ub_fraction", r->ub_frac);
            put_num(x, "ebw_paper", r->ebw_paper);
            cJSON_AddItemToArray(la, x);
        }
        js = cJSON_Print(root);
        cJSON_Delete(root);
        if (!js) rc = die(C, "out of memory");
    }
    if (!rc && o.csv) {
        size_t cap = 256 + (size_t)nr * 1200;
        csv = malloc(cap);
        if (!csv)
            rc = die(C, "out of memory");
        else {
            csv_len = (size_t)snprintf(csv, cap,
                                       "tensor,format,rows,cols,weight_mse,"
                                       "weight_sqnr_db,output_sqnr_db,bits_per_weight,"
                                       "stored_bits_per_weight,outlier_ub_fraction,ebw_paper\n");
            for (int k = 0; k < nr; k++) {
                row *r = &rows[k];
                char nm[600];
                snprintf(nm, sizeof nm, "\"%s\"", fs[r->fmt]); /* specs may hold commas */
                char msq[64] = ","; /* MicroScopiQ columns, empty for other formats */
                if (isfinite(r->ub_frac))
                    snprintf(msq, sizeof msq, "%.6f,%.6f", r->ub_frac, r->ebw_paper);
                csv_len += (size_t)snprintf(
                    csv + csv_len, cap - csv_len, "%s,%s,%lld,%lld,%.9g,%.6f,%.6f,%.6f,%.6f,%s\n",
                    r->tensor, nm, (long long)r->rows, (long long)r->cols, r->m.w_mse,
                    r->m.w_sqnr_db, r->m.out_sqnr_db, r->bits, r->stored_bits, msq);
            }
        }
    }
    if (!rc && js && mxf_write_file_atomic(o.json, js, strlen(js), &e)) rc = die(C, e.msg);
    if (!rc && csv && mxf_write_file_atomic(o.csv, csv, csv_len, &e)) rc = die(C, e.msg);
    free(js);
    free(csv);
    free(rows);
    wsrc_free(&w);
    return rc;
}

/* ---- command table ---- */

typedef struct command {
    const char *name;
    int (*run)(int, char **);
    const char *usage;
    const char *help;
} command;

static const command CMDS[] = {
    {"quantize", cmd_quantize,
     "quantize --format SPEC --out IMAGE (--model NAME [--seed S] [--layers L] | --in FILE "
     "[--tensors A,B])",
     "Quantize every linear weight of the selected layers (default: layer 0; L = all or "
     "0,5,..) of a zoo model (seeded synthetic weights) or the 2-D tensors of a safetensors "
     "file / sharded index, and write one packed weight image atomically."},
    {"inspect", cmd_inspect, "inspect IMAGE",
     "Validate an image and print its format, tensors, section sizes and bits per weight."},
    {"dequant", cmd_dequant, "dequant IMAGE --out OUT.safetensors",
     "Decode every tensor of an image back to F32 and write them as safetensors."},
    {"check", cmd_check,
     "check IMAGE [--model NAME [--seed S] [--layers L] | --in FILE [--tensors A,B]] [--calib F "
     "| --calib-tokens T]",
     "Validate an image completely (checksums, metadata, finite values). With a reference: "
     "judge the decode, every decoded weight against its source within the format's "
     "per-element error bound (docs/formats.md), and, as a self-consistency check, re-quantize "
     "the reference and compare byte for byte. Exit 1 and MISMATCH naming the first violation "
     "(tensor, row, col, block, decoded, source, bound) or differing byte."},
    {"report", cmd_report,
     "report [--format SPEC]... (--model NAME [--seed S] [--layers L] | --in FILE) "
     "[--tokens T | --calib F [--eval F] | --eval F] [--calib-tokens T] [--json F] [--csv F]",
     "Per tensor and format: weight MSE/SQNR, output SQNR of X W^T, bits per weight; default "
     "formats mxfp4, mxint4, mxint2/128, nxfp4, fineq. The activations X: --eval F (every "
     "token); else with --calib F the held-out second half of each calibration tensor's tokens "
     "(the first half calibrates the Hessian mode); else seeded synthetic ones (T tokens, "
     "default 128). The report says which it used."},
    {"help", cmd_help, "help [COMMAND]", "Show this list, or one command's usage."},
};
#define NCMDS ((int)(sizeof CMDS / sizeof CMDS[0]))

static int cmd_help(int argc, char **argv)
{
    if (argc >= 1) {
        for (int i = 0; i < NCMDS; i++)
            if (!strcmp(argv[0], CMDS[i].name)) {
                printf("usage: mxquant %s\n\n%s\n", CMDS[i].usage, CMDS[i].help);
                return 0;
            }
        fprintf(stderr, "mxquant help: unknown command '%s'\n", argv[0]);
        return 2;
    }
    printf("usage: mxquant COMMAND [options]\n\ncommands:\n");
    for (int i = 0; i < NCMDS; i++) printf("  %s\n      %s\n", CMDS[i].usage, CMDS[i].help);
    printf("\nformats: %s\n  (parameters: NAME:key=value,...; see docs/formats.md)\n",
           mxf_qformat_known());
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mxquant COMMAND [options] (mxquant help lists the commands)\n");
        return EX_INPUT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return cmd_help(argc - 2, argv + 2);
    for (int i = 0; i < NCMDS; i++)
        if (!strcmp(argv[1], CMDS[i].name)) return CMDS[i].run(argc - 2, argv + 2);
    fprintf(stderr, "mxquant: unknown command '%s' (try: mxquant help)\n", argv[1]);
    return 2;
}
