/* synth_report: turns Yosys `stat -json` output into a gate-equivalent area report.
 *   synth_report manifest MANIFEST.json
 *       prints "name N", "top T", "pe P" and one "rtl PATH" line per RTL file (for synth/run.sh)
 *   synth_report report --weights W.tsv --stat STAT.json --top TOP [--pe PE] [--names NAMES.tsv]
 *                       [--fpga LABEL=STAT.json]... [--info KEY=VALUE]... [--json OUT] [--txt OUT]
 *       per-module table (instances, cells, FFs, GE per instance, GE total) of the hierarchy under
 *       TOP, plus FPGA resource counts of the PE; the table goes to stdout unless --txt is given.
 * Every input is checked before any output is written; a bad input gives one line naming the file
 * and field and exit status 2 (3: out of memory); output paths are checked before any input is
 * read. `help`, `--help`, `-h`: usage on stdout, exit 0. Outputs are written atomically. Details:
 * docs/synth.md. */
#include <cJSON.h>
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileio.h"

#define MAX_DEPTH 64

/* ---------------- small helpers ---------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static int sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sb_printf(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return -1;
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return 0;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap <= b->len + (size_t)n) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) return -1;
        b->p = q;
        b->cap = cap;
    }
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

/* Yosys writes public names with a leading backslash in module keys ("\\mxf_ws_pe") but not in
 * cell types ("mxf_ws_pe"); compare them without it. */
static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static const char *strip_bs(const char *s)
{
    return s[0] == '\\' ? s + 1 : s;
}

/* A non-negative integral JSON number (cell counts). */
static int get_count(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0) || d > 9.0e15 || floor(d) != d) return -1;
    *out = (int64_t)d;
    return 0;
}

/* ---------------- GE weights file ---------------- */

typedef struct weight {
    char *type;
    double ge;
    int seq;
    int pattern; /* contains '?' */
} weight;

typedef struct weights {
    weight *w;
    int n;
    char path[1024];
} weights;

static void weights_free(weights *ws)
{
    for (int i = 0; i < ws->n; i++) free(ws->w[i].type);
    free(ws->w);
    ws->w = NULL;
    ws->n = 0;
}

/* Splits a line at TABs into at most `max` fields (in place). Returns the field count. */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t) break;
        *t = 0;
        p = t + 1;
    }
    return n;
}

static int is_blank_or_comment(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return *s == 0 || *s == '#';
}

static int valid_type_name(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (isspace((unsigned char)*s) || !isprint((unsigned char)*s)) return 0;
    return 1;
}

static int load_weights(const char *path, weights *ws, mxf_err *err)
{
    memset(ws, 0, sizeof *ws);
    snprintf(ws->path, sizeof ws->path, "%s", path);
    unsigned char *data;
    size_t len;
    if (mxf_read_file(path, &data, &len, err)) return -1;
    if (memchr(data, 0, len)) {
        free(data);
        return mxf_fail(err, "%s: not a text file (NUL byte)", path);
    }
    int lineno = 0;
    int cap = 0;
    char *text = (char *)data;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        lineno++;
        char *line = p;
        p = nl ? nl + 1 : NULL;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        if (is_blank_or_comment(line)) continue;
        char *f[5];
        int nf = split_tabs(line, f, 5);
        if (nf != 4) {
            mxf_fail(err, "%s:%d: expected 4 TAB-separated fields (TYPE GE KIND BASIS), got %d",
                     path, lineno, nf > 4 ? 5 : nf);
            goto fail;
        }
        if (!valid_type_name(f[0])) {
            mxf_fail(err, "%s:%d: bad cell type '%s'", path, lineno, f[0]);
            goto fail;
        }
        char *end;
        double ge = strtod(f[1], &end);
        if (end == f[1] || *end || !isfinite(ge) || ge < 0 || isspace((unsigned char)f[1][0])) {
            mxf_fail(err, "%s:%d: bad GE value '%s' for %s (want a non-negative number)", path,
                     lineno, f[1], f[0]);
            goto fail;
        }
        int seq;
        if (!strcmp(f[2], "comb"))
            seq = 0;
        else if (!strcmp(f[2], "seq"))
            seq = 1;
        else {
            mxf_fail(err, "%s:%d: bad KIND '%s' for %s (want comb or seq)", path, lineno, f[2],
                     f[0]);
            goto fail;
        }
        if (is_blank_or_comment(f[3]) && !*f[3]) {
            mxf_fail(err, "%s:%d: empty BASIS for %s (say where the number comes from)", path,
                     lineno, f[0]);
            goto fail;
        }
        for (int i = 0; i < ws->n; i++)
            if (!strcmp(ws->w[i].type, f[0])) {
                mxf_fail(err, "%s:%d: duplicate cell type %s", path, lineno, f[0]);
                goto fail;
            }
        if (ws->n == cap) {
            cap = cap ? 2 * cap : 64;
            weight *q = realloc(ws->w, (size_t)cap * sizeof *q);
            if (!q) {
                mxf_fail(err, "%s: out of memory", path);
                goto fail;
            }
            ws->w = q;
        }
        weight *w = &ws->w[ws->n];
        w->type = xstrdup(f[0]);
        if (!w->type) {
            mxf_fail(err, "%s: out of memory", path);
            goto fail;
        }
        w->ge = ge;
        w->seq = seq;
        w->pattern = strchr(f[0], '?') != NULL;
        ws->n++;
    }
    free(data);
    if (ws->n == 0) {
        weights_free(ws);
        return mxf_fail(err, "%s: no weights defined", path);
    }
    return 0;
fail:
    free(data);
    weights_free(ws);
    return -1;
}

static int pattern_match(const char *pat, const char *s)
{
    for (; *pat && *s; pat++, s++) {
        if (*pat == '?') {
            if (!strchr("NP01", *s)) return 0;
        } else if (*pat != *s)
            return 0;
    }
    return *pat == 0 && *s == 0;
}

static const weight *find_weight(const weights *ws, const char *type)
{
    for (int i = 0; i < ws->n; i++)
        if (!ws->w[i].pattern && !strcmp(ws->w[i].type, type)) return &ws->w[i];
    for (int i = 0; i < ws->n; i++)
        if (ws->w[i].pattern && pattern_match(ws->w[i].type, type)) return &ws->w[i];
    return NULL;
}

/* ---------------- display names ---------------- */

typedef struct names {
    char **raw, **disp;
    int n;
} names;

static void names_free(names *nm)
{
    for (int i = 0; i < nm->n; i++) {
        free(nm->raw[i]);
        free(nm->disp[i]);
    }
    free(nm->raw);
    free(nm->disp);
    memset(nm, 0, sizeof *nm);
}

/* NAMES.tsv: "RAW<TAB>DISPLAY" per line (run.sh derives it from the Yosys log so that
 * "$paramod$<sha1>\mxf_delay" reads as "mxf_delay(Width=18,Depth=3)"). */
static int load_names(const char *path, names *nm, mxf_err *err)
{
    memset(nm, 0, sizeof *nm);
    unsigned char *data;
    size_t len;
    if (mxf_read_file(path, &data, &len, err)) return -1;
    int lineno = 0, cap = 0;
    for (char *p = (char *)data; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        lineno++;
        char *line = p;
        p = nl ? nl + 1 : NULL;
        if (is_blank_or_comment(line)) continue;
        char *f[3];
        int nf = split_tabs(line, f, 3);
        if (nf != 2 || !valid_type_name(f[0]) || !*f[1]) {
            mxf_fail(err, "%s:%d: expected RAW<TAB>DISPLAY", path, lineno);
            goto fail;
        }
        if (nm->n == cap) {
            cap = cap ? 2 * cap : 64;
            char **a = realloc(nm->raw, (size_t)cap * sizeof *a);
            if (a) nm->raw = a;
            char **b = a ? realloc(nm->disp, (size_t)cap * sizeof *b) : NULL;
            if (b) nm->disp = b;
            if (!a || !b) {
                mxf_fail(err, "%s: out of memory", path);
                goto fail;
            }
        }
        nm->raw[nm->n] = xstrdup(strip_bs(f[0]));
        nm->disp[nm->n] = xstrdup(f[1]);
        nm->n++;
        if (!nm->raw[nm->n - 1] || !nm->disp[nm->n - 1]) {
            mxf_fail(err, "%s: out of memory", path);
            goto fail;
        }
    }
    free(data);
    return 0;
fail:
    free(data);
    names_free(nm);
    return -1;
}

static const char *display_name(const names *nm, const char *raw)
{
    for (int i = nm->n - 1; i >= 0; i--)
        if (!strcmp(nm->raw[i], raw)) return nm->disp[i];
    return raw;
}

/* ---------------- Yosys stat -json ---------------- */

typedef struct child {
    int mod;
    int64_t count;
} child;

typedef struct module {
    const char *name; /* without the leading backslash; points into the cJSON tree */
    const cJSON *by_type;
    int64_t leaf_cells, leaf_ffs; /* own gate cells, per instance */
    double leaf_ge;
    child *kids;
    int nkids;
    int64_t instances; /* under the top */
    int reachable;
} module;

typedef struct design {
    cJSON *root;
    module *m;
    int n;
} design;

static void design_free(design *d)
{
    for (int i = 0; i < d->n; i++) free(d->m[i].kids);
    free(d->m);
    cJSON_Delete(d->root);
    memset(d, 0, sizeof *d);
}

static int find_module(const design *d, const char *name)
{
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->m[i].name, strip_bs(name))) return i;
    return -1;
}

static int load_json(const char *path, cJSON **root, mxf_err *err)
{
    unsigned char *data;
    size_t len;
    if (mxf_read_file(path, &data, &len, err)) return -1;
    const char *end = NULL;
    *root = cJSON_ParseWithLengthOpts((const char *)data, len, &end, 0);
    if (!*root) {
        size_t off = end ? (size_t)(end - (const char *)data) : 0;
        free(data);
        return mxf_fail(err, "%s: invalid JSON near byte %zu", path, off);
    }
    free(data);
    if (!cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        *root = NULL;
        return mxf_fail(err, "%s: top-level JSON value is not an object", path);
    }
    return 0;
}

/* Checks one module's num_cells / num_cells_by_type pair. */
static int check_cells(const char *path, const char *mname, const cJSON *mod, const cJSON **by_type,
                       mxf_err *err)
{
    const cJSON *nc = cJSON_GetObjectItemCaseSensitive(mod, "num_cells");
    *by_type = cJSON_GetObjectItemCaseSensitive(mod, "num_cells_by_type");
    int64_t total, sum = 0;
    if (!nc || get_count(nc, &total))
        return mxf_fail(err, "%s: module %s: field 'num_cells' missing or not a count", path,
                        mname);
    if (!*by_type) {
        if (total == 0) return 0; /* Yosys omits the map for empty modules */
        return mxf_fail(err, "%s: module %s: field 'num_cells_by_type' missing", path, mname);
    }
    if (!cJSON_IsObject(*by_type))
        return mxf_fail(err, "%s: module %s: field 'num_cells_by_type' is not an object", path,
                        mname);
    const cJSON *t;
    cJSON_ArrayForEach(t, *by_type)
    {
        int64_t c = 0;
        if (get_count(t, &c))
            return mxf_fail(err, "%s: module %s: num_cells_by_type.%s is not a count", path, mname,
                            t->string);
        sum += c;
    }
    if (sum != total)
        return mxf_fail(err,
                        "%s: module %s: num_cells %" PRId64 " != sum of num_cells_by_type %" PRId64,
                        path, mname, total, sum);
    return 0;
}

static int walk(design *d, int i, int64_t mult, int depth, mxf_err *err)
{
    if (depth > MAX_DEPTH)
        return mxf_fail(err, "module hierarchy deeper than %d (recursive instantiation of %s?)",
                        MAX_DEPTH, d->m[i].name);
    d->m[i].instances += mult;
    d->m[i].reachable = 1;
    for (int k = 0; k < d->m[i].nkids; k++)
        if (walk(d, d->m[i].kids[k].mod, mult * d->m[i].kids[k].count, depth + 1, err)) return -1;
    return 0;
}

/* Parses the generic-synthesis stat, resolves the hierarchy under `top` and prices every
 * module's own gate cells. */
static int load_design(const char *path, const char *top, const weights *ws, design *d,
                       mxf_err *err)
{
    memset(d, 0, sizeof *d);
    if (load_json(path, &d->root, err)) return -1;
    const cJSON *mods = cJSON_GetObjectItemCaseSensitive(d->root, "modules");
    if (!cJSON_IsObject(mods)) {
        mxf_fail(err, "%s: field 'modules' missing or not an object", path);
        goto fail;
    }
    int cnt = cJSON_GetArraySize(mods);
    d->m = calloc(cnt ? (size_t)cnt : 1, sizeof *d->m);
    if (!d->m) {
        mxf_fail(err, "%s: out of memory", path);
        goto fail;
    }
    const cJSON *mj;
    cJSON_ArrayForEach(mj, mods)
    {
        module *m = &d->m[d->n];
        m->name = strip_bs(mj->string);
        if (!cJSON_IsObject(mj)) {
            mxf_fail(err, "%s: modules.%s is not an object", path, m->name);
            goto fail;
        }
        if (find_module(d, m->name) >= 0) {
            mxf_fail(err, "%s: module %s listed twice", path, m->name);
            goto fail;
        }
        if (check_cells(path, m->name, mj, &m->by_type, err)) goto fail;
        d->n++;
    }
    for (int i = 0; i < d->n; i++) {
        module *m = &d->m[i];
        const cJSON *t;
        int nk = 0;
        if (m->by_type) {
            m->kids = calloc((size_t)cJSON_GetArraySize(m->by_type) + 1, sizeof *m->kids);
            if (!m->kids) {
                mxf_fail(err, "%s: out of memory", path);
                goto fail;
            }
        }
        cJSON_ArrayForEach(t, m->by_type)
        {
            int64_t c = 0;
            get_count(t, &c); /* checked above */
            int sub = find_module(d, t->string);
            if (sub >= 0) {
                if (sub == i) {
                    mxf_fail(err, "%s: module %s instantiates itself", path, m->name);
                    goto fail;
                }
                m->kids[nk].mod = sub;
                m->kids[nk].count = c;
                nk++;
                continue;
            }
            const weight *w = find_weight(ws, t->string);
            if (!w) {
                mxf_fail(err, "%s: module %s: cell type %s has no GE weight in %s", path, m->name,
                         t->string, ws->path);
                goto fail;
            }
            m->leaf_cells += c;
            if (w->seq) m->leaf_ffs += c;
            m->leaf_ge += (double)c * w->ge;
        }
        m->nkids = nk;
    }
    int ti = find_module(d, top);
    if (ti < 0) {
        mxf_fail(err, "%s: top module %s not found in 'modules'", path, top);
        goto fail;
    }
    if (walk(d, ti, 1, 0, err)) {
        mxf_fail_prefix(err, "%s: ", path);
        goto fail;
    }
    return 0;
fail:
    design_free(d);
    return -1;
}

/* ---------------- flattened cell counts ---------------- */

typedef struct tally {
    char **type;
    int64_t *count;
    int n, cap;
} tally;

static void tally_free(tally *t)
{
    for (int i = 0; i < t->n; i++) free(t->type[i]);
    free(t->type);
    free(t->count);
    memset(t, 0, sizeof *t);
}

static int tally_add(tally *t, const char *type, int64_t c)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->type[i], type)) {
            t->count[i] += c;
            return 0;
        }
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 32;
        char **a = realloc(t->type, (size_t)cap * sizeof *a);
        if (!a) return -1;
        t->type = a;
        int64_t *b = realloc(t->count, (size_t)cap * sizeof *b);
        if (!b) return -1;
        t->count = b;
        t->cap = cap;
    }
    t->type[t->n] = xstrdup(type);
    if (!t->type[t->n]) return -1;
    t->count[t->n++] = c;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void tally_sort(tally *t)
{
    for (int i = 1; i < t->n; i++) /* insertion sort keeps type/count paired */
        for (int j = i; j > 0 && cmp_str(&t->type[j - 1], &t->type[j]) > 0; j--) {
            char *s = t->type[j];
            t->type[j] = t->type[j - 1];
            t->type[j - 1] = s;
            int64_t c = t->count[j];
            t->count[j] = t->count[j - 1];
            t->count[j - 1] = c;
        }
}

/* Gate cells of the whole design under the top, flattened (instances x own cells). */
static int flatten_counts(const design *d, tally *t)
{
    for (int i = 0; i < d->n; i++) {
        const module *m = &d->m[i];
        if (!m->reachable) continue;
        const cJSON *c;
        cJSON_ArrayForEach(c, m->by_type)
        {
            if (find_module(d, c->string) >= 0) continue;
            int64_t n = 0;
            get_count(c, &n);
            if (tally_add(t, c->string, n * m->instances)) return -1;
        }
    }
    tally_sort(t);
    return 0;
}

/* When the stat was run with -top, Yosys adds a "design" section with the flattened counts;
 * it must agree with the hierarchy walk. */
static int check_design_section(const char *path, const design *d, const tally *t, mxf_err *err)
{
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(d->root, "design");
    if (!ds) return 0;
    const cJSON *by;
    if (!cJSON_IsObject(ds)) return mxf_fail(err, "%s: field 'design' is not an object", path);
    if (check_cells(path, "design", ds, &by, err)) return -1;
    const cJSON *c;
    cJSON_ArrayForEach(c, by)
    {
        int64_t n = 0;
        get_count(c, &n);
        int found = 0;
        for (int i = 0; i < t->n; i++)
            if (!strcmp(t->type[i], c->string)) {
                found = 1;
                if (t->count[i] != n)
                    return mxf_fail(err,
                                    "%s: design.num_cells_by_type.%s = %" PRId64
                                    " but the hierarchy under the top gives %" PRId64,
                                    path, c->string, n, t->count[i]);
            }
        if (!found && n)
            return mxf_fail(err, "%s: design.num_cells_by_type.%s not found under the top", path,
                            c->string);
    }
    for (int i = 0; i < t->n; i++) {
        if (!t->count[i]) continue;
        if (!cJSON_GetObjectItemCaseSensitive(by, t->type[i]))
            return mxf_fail(err, "%s: design.num_cells_by_type lacks %s", path, t->type[i]);
    }
    return 0;
}

/* ---------------- FPGA stats (PE alone) ---------------- */

typedef struct fpga {
    char label[64];
    char path[1024];
    cJSON *root;
    const cJSON *by_type; /* may be NULL (no cells) */
    int64_t cells;
} fpga;

static int load_fpga(const char *spec, const char *pe, fpga *f, mxf_err *err)
{
    memset(f, 0, sizeof *f);
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= sizeof f->label)
        return mxf_fail(err, "--fpga %s: expected LABEL=STAT.json", spec);
    memcpy(f->label, spec, (size_t)(eq - spec));
    for (const char *p = f->label; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return mxf_fail(err, "--fpga %s: label may hold letters, digits, '_' and '-'", spec);
    snprintf(f->path, sizeof f->path, "%s", eq + 1);
    if (load_json(f->path, &f->root, err)) return -1;
    /* "design" (present with stat -top) is the flattened count; else the PE module itself. */
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(f->root, "design");
    const char *what = "design";
    if (!src) {
        const cJSON *mods = cJSON_GetObjectItemCaseSensitive(f->root, "modules");
        if (!cJSON_IsObject(mods)) {
            mxf_fail(err, "%s: field 'modules' missing or not an object", f->path);
            goto fail;
        }
        const cJSON *m;
        cJSON_ArrayForEach(m, mods) if (!strcmp(strip_bs(m->string), pe)) src = m;
        what = pe;
        if (!src) {
            mxf_fail(err, "%s: neither 'design' nor module %s present", f->path, pe);
            goto fail;
        }
    }
    if (!cJSON_IsObject(src)) {
        mxf_fail(err, "%s: %s is not an object", f->path, what);
        goto fail;
    }
    if (check_cells(f->path, what, src, &f->by_type, err)) goto fail;
    get_count(cJSON_GetObjectItemCaseSensitive(src, "num_cells"), &f->cells);
    return 0;
fail:
    cJSON_Delete(f->root);
    f->root = NULL;
    return -1;
}

/* ---------------- report ---------------- */

typedef struct opts {
    const char *weights, *stat, *top, *pe, *names, *json, *txt;
    const char *fpga[16];
    int nfpga;
    const char *info[32];
    int ninfo;
} opts;

static int cmp_rows(const void *a, const void *b, void *ctx);

typedef struct rowctx {
    const design *d;
    const names *nm;
    int top, pe;
} rowctx;

static rowctx g_rc; /* qsort has no context argument in C11 */

static int row_rank(int i)
{
    if (i == g_rc.top) return 0;
    if (i == g_rc.pe) return 1;
    return 2;
}

static int cmp_idx(const void *a, const void *b)
{
    return cmp_rows(a, b, &g_rc);
}

static int cmp_rows(const void *a, const void *b, void *ctx)
{
    const rowctx *rc = ctx;
    int i = *(const int *)a, j = *(const int *)b;
    int ri = row_rank(i), rj = row_rank(j);
    if (ri != rj) return ri - rj;
    /* by display name, with numbers compared numerically so Depth=10 follows Depth=9 */
    const char *x = display_name(rc->nm, rc->d->m[i].name);
    const char *y = display_name(rc->nm, rc->d->m[j].name);
    while (*x && *y) {
        if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
            char *ex, *ey;
            unsigned long long u = strtoull(x, &ex, 10), v = strtoull(y, &ey, 10);
            if (u != v) return u < v ? -1 : 1;
            x = ex;
            y = ey;
            continue;
        }
        if (*x != *y) return (unsigned char)*x - (unsigned char)*y;
        x++;
        y++;
    }
    return (unsigned char)*x - (unsigned char)*y;
}

static cJSON *counts_json(const cJSON *by_type)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *c;
    cJSON_ArrayForEach(c, by_type) cJSON_AddNumberToObject(o, c->string, c->valuedouble);
    return o;
}

/* GE of one instance of module i with everything below it (the design is a DAG: no cycles). */
static double subtree_ge(const design *d, int i)
{
    double ge = d->m[i].leaf_ge;
    for (int k = 0; k < d->m[i].nkids; k++)
        ge += (double)d->m[i].kids[k].count * subtree_ge(d, d->m[i].kids[k].mod);
    return ge;
}

static int run_report(const opts *o)
{
    mxf_err e = {{0}};
    weights ws = {0};
    names nm = {0};
    design d = {0};
    tally flat = {0};
    fpga fp[16];
    int nfp = 0;
    int rc = 2;
    int *rows = NULL;
    cJSON *out = NULL;
    char *json_text = NULL;
    sbuf txt = {0};

    /* output paths first: a missing directory fails before any input is read */
    if (o->txt && mxf_check_output_path(o->txt, &e)) goto done;
    if (o->json && mxf_check_output_path(o->json, &e)) goto done;
    if (load_weights(o->weights, &ws, &e)) goto done;
    if (o->names && load_names(o->names, &nm, &e)) goto done;
    if (load_design(o->stat, o->top, &ws, &d, &e)) goto done;
    int pe = -1;
    if (o->pe) {
        pe = find_module(&d, o->pe);
        if (pe < 0 || !d.m[pe].reachable) {
            mxf_fail(&e, "%s: PE module %s not found under top %s", o->stat, o->pe, o->top);
            goto done;
        }
    }
    if (flatten_counts(&d, &flat)) {
        mxf_fail(&e, "out of memory");
        goto done;
    }
    if (check_design_section(o->stat, &d, &flat, &e)) goto done;
    for (int i = 0; i < o->nfpga; i++) {
        if (load_fpga(o->fpga[i], o->pe ? o->pe : o->top, &fp[i], &e)) goto done;
        nfp++;
        for (int k = 0; k < i; k++)
            if (!strcmp(fp[k].label, fp[i].label)) {
                mxf_fail(&e, "--fpga %s: label given twice", fp[i].label);
                goto done;
            }
    }
    for (int i = 0; i < o->ninfo; i++) {
        const char *eq = strchr(o->info[i], '=');
        if (!eq || eq == o->info[i]) {
            mxf_fail(&e, "--info %s: expected KEY=VALUE", o->info[i]);
            goto done;
        }
    }

    /* rows: modules under the top, top first, PE second, the rest by name */
    int ti = find_module(&d, o->top);
    int nrows = 0;
    rows = malloc((size_t)d.n * sizeof *rows);
    if (!rows) {
        mxf_fail(&e, "out of memory");
        goto done;
    }
    for (int i = 0; i < d.n; i++)
        if (d.m[i].reachable) rows[nrows++] = i;
    g_rc = (rowctx){&d, &nm, ti, pe};
    qsort(rows, (size_t)nrows, sizeof *rows, cmp_idx);

    double ge_total = 0;
    int64_t cells_total = 0, ffs_total = 0;
    for (int r = 0; r < nrows; r++) {
        const module *m = &d.m[rows[r]];
        ge_total += (double)m->instances * m->leaf_ge;
        cells_total += m->instances * m->leaf_cells;
        ffs_total += m->instances * m->leaf_ffs;
    }

    /* JSON */
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "tool", "synth_report");
    cJSON_AddNumberToObject(out, "report_version", 1);
    cJSON *info = cJSON_AddObjectToObject(out, "info");
    for (int i = 0; i < o->ninfo; i++) {
        const char *eq = strchr(o->info[i], '=');
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - o->info[i]), o->info[i]);
        cJSON_DeleteItemFromObjectCaseSensitive(info, key);
        cJSON_AddStringToObject(info, key, eq + 1);
    }
    cJSON_AddStringToObject(out, "weights_file", o->weights);
    cJSON_AddStringToObject(out, "stat_file", base_name(o->stat));
    cJSON_AddStringToObject(out, "top", o->top);
    if (pe >= 0) cJSON_AddStringToObject(out, "pe", d.m[pe].name);
    cJSON *jm = cJSON_AddArrayToObject(out, "modules");
    for (int r = 0; r < nrows; r++) {
        const module *m = &d.m[rows[r]];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", display_name(&nm, m->name));
        cJSON_AddStringToObject(x, "yosys_name", m->name);
        cJSON_AddNumberToObject(x, "instances", (double)m->instances);
        cJSON_AddNumberToObject(x, "cells_per_instance", (double)m->leaf_cells);
        cJSON_AddNumberToObject(x, "ffs_per_instance", (double)m->leaf_ffs);
        cJSON_AddNumberToObject(x, "ge_per_instance", m->leaf_ge);
        cJSON_AddNumberToObject(x, "ge_total", (double)m->instances * m->leaf_ge);
        cJSON_AddNumberToObject(x, "ge_with_submodules", subtree_ge(&d, rows[r]));
        cJSON *sub = cJSON_AddObjectToObject(x, "submodules");
        for (int k = 0; k < m->nkids; k++)
            cJSON_AddNumberToObject(sub, display_name(&nm, d.m[m->kids[k].mod].name),
                                    (double)m->kids[k].count);
        cJSON *ct = cJSON_AddObjectToObject(x, "cells_by_type");
        const cJSON *c;
        cJSON_ArrayForEach(c, m->by_type) if (find_module(&d, c->string) < 0)
            cJSON_AddNumberToObject(ct, c->string, c->valuedouble);
        cJSON_AddItemToArray(jm, x);
    }
    cJSON *jt = cJSON_AddObjectToObject(out, "total");
    cJSON_AddNumberToObject(jt, "cells", (double)cells_total);
    cJSON_AddNumberToObject(jt, "ffs", (double)ffs_total);
    cJSON_AddNumberToObject(jt, "ge", ge_total);
    cJSON *jf = cJSON_AddObjectToObject(jt, "cells_by_type");
    for (int i = 0; i < flat.n; i++)
        cJSON_AddNumberToObject(jf, flat.type[i], (double)flat.count[i]);
    if (nfp) {
        cJSON *jp = cJSON_AddObjectToObject(out, "fpga_pe");
        for (int i = 0; i < nfp; i++) {
            cJSON *x = cJSON_AddObjectToObject(jp, fp[i].label);
            cJSON_AddStringToObject(x, "stat_file", base_name(fp[i].path));
            cJSON_AddNumberToObject(x, "cells", (double)fp[i].cells);
            cJSON_AddItemToObject(x, "cells_by_type", counts_json(fp[i].by_type));
        }
    }
    json_text = cJSON_Print(out);
    if (!json_text) {
        mxf_fail(&e, "out of memory");
        goto done;
    }

    /* text table */
    int w = 6;
    for (int r = 0; r < nrows; r++) {
        int l = (int)strlen(display_name(&nm, d.m[rows[r]].name));
        if (l > w) w = l;
    }
    int bad = 0;
    const char *ver = NULL, *cfg = NULL;
    for (int i = 0; i < o->ninfo; i++) {
        if (!strncmp(o->info[i], "yosys=", 6)) ver = o->info[i] + 6;
        if (!strncmp(o->info[i], "config=", 7)) cfg = o->info[i] + 7;
    }
    bad |= sb_printf(&txt, "synthesis report%s%s%s%s\n", cfg ? ": " : "", cfg ? cfg : "",
                     ver ? "   " : "", ver ? ver : "");
    bad |= sb_printf(&txt,
                     "generic synth, hierarchy kept; top %s; area in NAND2 gate "
                     "equivalents (GE) from %s\n\n",
                     o->top, o->weights);
    bad |= sb_printf(&txt, "%-*s %10s %10s %8s %12s %14s\n", w, "module", "instances", "cells/inst",
                     "FFs/inst", "GE/inst", "GE total");
    for (int r = 0; r < nrows; r++) {
        const module *m = &d.m[rows[r]];
        bad |= sb_printf(&txt, "%-*s %10" PRId64 " %10" PRId64 " %8" PRId64 " %12.2f %14.2f\n", w,
                         display_name(&nm, m->name), m->instances, m->leaf_cells, m->leaf_ffs,
                         m->leaf_ge, (double)m->instances * m->leaf_ge);
    }
    char tl[300];
    snprintf(tl, sizeof tl, "total (%s)", o->top);
    bad |= sb_printf(&txt, "%-*s %10s %10" PRId64 " %8" PRId64 " %12s %14.2f\n", w, tl, "",
                     cells_total, ffs_total, "", ge_total);
    bad |= sb_printf(&txt, "(cells/inst, FFs/inst and GE/inst count a module's own gates, not "
                           "its submodules; GE total = instances x GE/inst)\n");
    if (pe >= 0) {
        /* the PE with its submodules (a multiplier module, say): what one PE costs */
        const double pge = subtree_ge(&d, pe);
        bad |= sb_printf(&txt,
                         "\nPE %s: %.2f GE with its submodules (%" PRId64 " cells, %" PRId64
                         " FFs, %.2f GE of its own); %" PRId64 " PEs = %.1f%% of the array's GE\n",
                         d.m[pe].name, pge, d.m[pe].leaf_cells, d.m[pe].leaf_ffs, d.m[pe].leaf_ge,
                         d.m[pe].instances,
                         ge_total > 0 ? 100.0 * pge * (double)d.m[pe].instances / ge_total : 0.0);
    }
    if (nfp) {
        bad |= sb_printf(&txt, "\nFPGA resources of the PE alone (%s):\n", o->pe ? o->pe : o->top);
        for (int i = 0; i < nfp; i++) {
            const char *flow = NULL;
            char fk[96];
            snprintf(fk, sizeof fk, "flow.%.63s=", fp[i].label);
            for (int k = 0; k < o->ninfo; k++)
                if (!strncmp(o->info[k], fk, strlen(fk))) flow = o->info[k] + strlen(fk);
            bad |= sb_printf(&txt, "  %-10s %5" PRId64 " cells:", fp[i].label, fp[i].cells);
            const cJSON *c;
            int first = 1;
            cJSON_ArrayForEach(c, fp[i].by_type)
            {
                bad |= sb_printf(&txt, "%s %s %.0f", first ? "" : ",", c->string, c->valuedouble);
                first = 0;
            }
            bad |=
                sb_printf(&txt, "%s%s%s\n", flow ? "   [" : "", flow ? flow : "", flow ? "]" : "");
        }
    }
    /* remaining --info: "GROUP.ITEM=V" keys (wall_s.generic=0.9) share one line per GROUP */
    int blank = 0;
    for (int i = 0; i < o->ninfo; i++) {
        const char *k = o->info[i], *eq = strchr(k, '=');
        if (!strncmp(k, "flow.", 5) || !strncmp(k, "config=", 7) || !strncmp(k, "yosys=", 6))
            continue;
        if (!blank++) bad |= sb_printf(&txt, "\n");
        const char *dot = memchr(k, '.', (size_t)(eq - k));
        if (!dot) {
            bad |= sb_printf(&txt, "%.*s: %s\n", (int)(eq - k), k, eq + 1);
            continue;
        }
        int glen = (int)(dot - k), seen = 0;
        for (int j = 0; j < i; j++)
            if (!strncmp(o->info[j], k, (size_t)glen + 1)) seen = 1;
        if (seen) continue;
        bad |= sb_printf(&txt, "%.*s:", glen, k);
        for (int j = i; j < o->ninfo; j++) {
            const char *kj = o->info[j];
            if (strncmp(kj, k, (size_t)glen + 1)) continue;
            const char *ej = strchr(kj, '=');
            bad |= sb_printf(&txt, "%s %.*s %s", j == i ? "" : ",", (int)(ej - kj - glen - 1),
                             kj + glen + 1, ej + 1);
        }
        bad |= sb_printf(&txt, "\n");
    }
    if (bad) {
        mxf_fail(&e, "out of memory");
        goto done;
    }

    /* outputs: the text first, the JSON (the machine record) last */
    if (o->txt) {
        if (mxf_write_file_atomic(o->txt, txt.p, txt.len, &e)) goto done;
    } else {
        fputs(txt.p, stdout);
    }
    if (o->json) {
        sbuf jb = {0};
        if (sb_printf(&jb, "%s\n", json_text)) {
            mxf_fail(&e, "out of memory");
            goto done;
        }
        int r = mxf_write_file_atomic(o->json, jb.p, jb.len, &e);
        free(jb.p);
        if (r) goto done;
    }
    rc = 0;
done:
    if (rc) {
        fprintf(stderr, "synth_report: %s\n", e.msg);
        if (mxf_err_is_resource(e.msg)) rc = 3; /* resource failure, not bad input */
    }
    free(rows);
    free(json_text);
    free(txt.p);
    cJSON_Delete(out);
    for (int i = 0; i < nfp; i++) cJSON_Delete(fp[i].root);
    tally_free(&flat);
    design_free(&d);
    names_free(&nm);
    weights_free(&ws);
    return rc;
}

/* ---------------- manifest ---------------- */

/* Names and paths go into Yosys scripts unquoted: allow only a conservative character set. */
static int safe_token(const char *s)
{
    if (!*s || *s == '-') return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_./-", *s)) return 0;
    return 1;
}

static int run_manifest(const char *path)
{
    mxf_err e;
    cJSON *root;
    if (load_json(path, &root, &e)) {
        fprintf(stderr, "synth_report: %s\n", e.msg);
        return 2;
    }
    const char *keys[] = {"name", "top", "pe"};
    const char *val[3];
    sbuf out = {0};
    int rc = 2;
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, keys[i]);
        if (!cJSON_IsString(v) || !safe_token(v->valuestring)) {
            fprintf(stderr, "synth_report: %s: field '%s' missing or not a plain name\n", path,
                    keys[i]);
            goto done;
        }
        val[i] = v->valuestring;
        if (sb_printf(&out, "%s %s\n", keys[i], val[i])) goto oom;
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
    const cJSON *rtl = cJSON_GetObjectItemCaseSensitive(files, "rtl");
    if (!cJSON_IsArray(rtl) || cJSON_GetArraySize(rtl) == 0) {
        fprintf(stderr, "synth_report: %s: field 'files.rtl' missing or not a non-empty array\n",
                path);
        goto done;
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, rtl)
    {
        if (!cJSON_IsString(f) || !safe_token(f->valuestring) || strstr(f->valuestring, "..") ||
            f->valuestring[0] == '/') {
            fprintf(stderr, "synth_report: %s: files.rtl entry is not a plain relative path\n",
                    path);
            goto done;
        }
        if (sb_printf(&out, "rtl %s\n", f->valuestring)) goto oom;
    }
    fputs(out.p, stdout);
    rc = 0;
    goto done;
oom:
    fprintf(stderr, "synth_report: out of memory\n");
    rc = 3;
done:
    free(out.p);
    cJSON_Delete(root);
    return rc;
}

/* ---------------- command line ---------------- */

static void usage(FILE *f)
{
    fputs("usage: synth_report manifest MANIFEST.json\n"
          "       synth_report report --weights W.tsv --stat STAT.json --top TOP [--pe PE]\n"
          "                           [--names NAMES.tsv] [--fpga LABEL=STAT.json]...\n"
          "                           [--info KEY=VALUE]... [--json OUT] [--txt OUT]\n"
          "  manifest  print name, top, pe and the RTL files of a generator manifest\n"
          "  report    price Yosys `stat -json` output in NAND2 gate equivalents\n"
          "    --weights  GE weights (synth/ge_weights.tsv)\n"
          "    --stat     `stat -json -top TOP` of the generic synthesis\n"
          "    --top      top module; --pe names the PE module for the summary line\n"
          "    --names    RAW<TAB>DISPLAY module names (e.g. for $paramod modules)\n"
          "    --fpga     FPGA stat of the PE alone, shown under LABEL (repeatable)\n"
          "    --info     KEY=VALUE recorded in the JSON (yosys=, config=, flow.LABEL=, ...)\n"
          "    --json/--txt  outputs (atomic); without --txt the table goes to stdout\n"
          "See docs/synth.md.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc >= 2 &&
        (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "manifest")) return run_manifest(argv[2]);
    if (argc < 2 || strcmp(argv[1], "report")) {
        usage(stderr);
        return 2;
    }
    static const struct option lo[] = {
        {"weights", required_argument, NULL, 'w'},
        {"stat", required_argument, NULL, 's'},
        {"top", required_argument, NULL, 't'},
        {"pe", required_argument, NULL, 'p'},
        {"names", required_argument, NULL, 'n'},
        {"json", required_argument, NULL, 'j'},
        {"txt", required_argument, NULL, 'x'},
        {"fpga", required_argument, NULL, 'f'},
        {"info", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opts o = {0};
    opterr = 0;
    optind = 2; /* after "report" */
    for (;;) {
        int c = getopt_long(argc, argv, "+h", lo, NULL);
        if (c == -1) break;
        const char *v = optarg;
        switch (c) {
        case 'h':
            usage(stdout);
            return 0;
        case 'w':
            o.weights = v;
            break;
        case 's':
            o.stat = v;
            break;
        case 't':
            o.top = v;
            break;
        case 'p':
            o.pe = v;
            break;
        case 'n':
            o.names = v;
            break;
        case 'j':
            o.json = v;
            break;
        case 'x':
            o.txt = v;
            break;
        case 'f':
            if (o.nfpga == (int)(sizeof o.fpga / sizeof o.fpga[0])) {
                fprintf(stderr, "synth_report: too many --fpga options\n");
                return 2;
            }
            o.fpga[o.nfpga++] = v;
            break;
        case 'i':
            if (o.ninfo == (int)(sizeof o.info / sizeof o.info[0])) {
                fprintf(stderr, "synth_report: too many --info options\n");
                return 2;
            }
            o.info[o.ninfo++] = v;
            break;
        default: {
            const char *a = argv[optind - 1 < argc ? optind - 1 : argc - 1];
            if (optopt && strchr("wstpnjxfi", optopt))
                fprintf(stderr, "synth_report: %s: missing value (or unknown option)\n", a);
            else
                fprintf(stderr, "synth_report: unknown option %s (see synth_report help)\n", a);
            return 2;
        }
        }
    }
    if (optind < argc) {
        fprintf(stderr, "synth_report: unexpected argument '%s' (see synth_report help)\n",
                argv[optind]);
        return 2;
    }
    if (!o.weights || !o.stat || !o.top) {
        fprintf(stderr, "synth_report: report needs --weights, --stat and --top\n");
        return 2;
    }
    return run_report(&o);
}
