/* The model runner: layer selection, shards, the run directory with one result per layer,
 * resume, the reports and the energy estimate. See mrun.h and docs/sim.md. */
#include "mrun.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "parse.h"
#include "safetensors.h"
#include "synthetic.h"

const char *const mxf_event_names[MXF_EV_COUNT] = {"mul8x8",     "mul8x4",    "mul8x3",
                                                   "mul8x2",     "add_acc",   "add_pulse",
                                                   "recon_term", "sram_byte", "dram_byte"};

/* ---- the energy table ---- */
int mxf_energy_read(const char *path, mxf_energy_table *t, mxf_err *err)
{
    unsigned char *data;
    size_t len;
    memset(t, 0, sizeof *t);
    if (mxf_read_file(path, &data, &len, err)) return -1;
    snprintf(t->path, sizeof t->path, "%s", path);
    int seen[MXF_EV_COUNT] = {0}, line = 0, rc = 0;
    char *save = NULL;
    for (char *ln = strtok_r((char *)data, "\n", &save); ln && !rc;
         ln = strtok_r(NULL, "\n", &save)) {
        line++;
        if (ln[0] == '#' || ln[strspn(ln, " \t\r")] == 0) continue;
        char *t1 = strchr(ln, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2) {
            rc = mxf_fail(err, "%s:%d: expected event<TAB>picojoules<TAB>source", path, line);
            break;
        }
        *t1 = *t2 = 0;
        int e = -1;
        for (int i = 0; i < MXF_EV_COUNT; i++)
            if (!strcmp(ln, mxf_event_names[i])) e = i;
        char *end;
        errno = 0;
        double pj = strtod(t1 + 1, &end);
        if (e < 0)
            rc = mxf_fail(err, "%s:%d: unknown event '%s'", path, line, ln);
        else if (seen[e])
            rc = mxf_fail(err, "%s:%d: event '%s' listed twice", path, line, ln);
        else if (end == t1 + 1 || *end || errno || !(pj >= 0) || pj > 1e6)
            rc = mxf_fail(err, "%s:%d: picojoules '%s' of event '%s' is not a number in 0..1e6",
                          path, line, t1 + 1, ln);
        else if (!t2[1] || t2[1] == '\r')
            rc = mxf_fail(err, "%s:%d: event '%s' names no source", path, line, ln);
        else {
            seen[e] = 1;
            t->pj[e] = pj;
            snprintf(t->source[e], sizeof t->source[e], "%s", t2 + 1);
        }
    }
    free(data);
    for (int i = 0; i < MXF_EV_COUNT && !rc; i++)
        if (!seen[i]) rc = mxf_fail(err, "%s: event '%s' is missing", path, mxf_event_names[i]);
    return rc;
}

void mxf_mres_window(mxf_mres *r, int64_t n0, int Ns, int64_t k0, int Ks, const mxf_qtensor *q,
                     double weights_q, double tiles_layer, double t_quant)
{
    r->n0 = n0, r->Ns = Ns, r->k0 = k0, r->Ks = Ks;
    r->weights_q = weights_q;
    r->bits_q = 8.0 * (double)(q->codes_len + q->meta_len);
    r->tiles_layer = tiles_layer;
    r->t_quant = t_quant;
}

void mxf_mem_events(double *ev, int M, int Ks, int Ns, int KT, int NT, double weight_bits)
{
    const double wbytes = weight_bits / 8, acts = (double)M * Ks, outs = (double)M * Ns;
    ev[MXF_EV_DRAM_BYTE] += wbytes + acts + 4 * outs;
    ev[MXF_EV_SRAM_BYTE] += 2 * wbytes + acts * (1 + NT) + 4 * outs * (2.0 * KT - 1);
}

/* ---- one layer's result, as kept in the run directory ---- */
typedef struct lrec {
    int index, layer;
    char linear[64], tensor[256];
    int64_t N, K, n0, k0, cycles, stall_cycles;
    int M, Ns, Ks;
    double weights_q, bits_q, tiles_run, tiles_layer, macs, peak_macs, sig, noise, max_rel;
    double ev[MXF_EV_COUNT];
    double t_gen, t_quant, t_sim, t_check;
    int resumed;
} lrec;

/* Numbers go out with 17 significant digits, so a result read back is the same double (cJSON's
 * own printing may keep only 15 when they are "close enough"): a merged or resumed report is
 * then byte for byte the report of one run. */
static void put_num(cJSON *o, const char *k, double v)
{
    char buf[40];
    if (!isfinite(v)) v = 0;
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, sizeof buf, "%.0f", v);
    else
        snprintf(buf, sizeof buf, "%.17g", v);
    cJSON_AddItemToObject(o, k, cJSON_CreateRaw(buf));
}

static cJSON *lrec_json(const lrec *r, const char *fingerprint, const char *version)
{
    cJSON *o = cJSON_CreateObject(), *ev = cJSON_CreateObject();
    if (fingerprint) cJSON_AddStringToObject(o, "run", fingerprint);
    if (version) cJSON_AddStringToObject(o, "version", version);
    put_num(o, "index", r->index);
    put_num(o, "layer", r->layer);
    cJSON_AddStringToObject(o, "linear", r->linear);
    cJSON_AddStringToObject(o, "tensor", r->tensor);
    put_num(o, "N", (double)r->N);
    put_num(o, "K", (double)r->K);
    put_num(o, "tokens", r->M);
    put_num(o, "n0", (double)r->n0);
    put_num(o, "rows", r->Ns);
    put_num(o, "k0", (double)r->k0);
    put_num(o, "cols", r->Ks);
    put_num(o, "weights_quantized", r->weights_q);
    put_num(o, "image_bits", r->bits_q);
    put_num(o, "tiles_run", r->tiles_run);
    put_num(o, "tiles_layer", r->tiles_layer);
    put_num(o, "cycles", (double)r->cycles);
    put_num(o, "stall_cycles", (double)r->stall_cycles);
    put_num(o, "macs", r->macs);
    put_num(o, "peak_macs", r->peak_macs);
    put_num(o, "signal", r->sig);
    put_num(o, "noise", r->noise);
    put_num(o, "max_rel_diff", r->max_rel);
    for (int e = 0; e < MXF_EV_COUNT; e++) put_num(ev, mxf_event_names[e], r->ev[e]);
    cJSON_AddItemToObject(o, "events", ev);
    put_num(o, "wall_gen_s", r->t_gen);
    put_num(o, "wall_quant_s", r->t_quant);
    put_num(o, "wall_sim_s", r->t_sim);
    put_num(o, "wall_check_s", r->t_check);
    return o;
}

static int get_num(const cJSON *o, const char *k, double lo, double hi, double *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(x) || !(x->valuedouble >= lo && x->valuedouble <= hi)) return -1;
    *v = x->valuedouble;
    return 0;
}

static int get_str(const cJSON *o, const char *k, char *buf, size_t cap)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsString(x) || strlen(x->valuestring) >= cap) return -1;
    snprintf(buf, cap, "%s", x->valuestring);
    return 0;
}

/* Loads a layer result: 0, 1 absent, 2 a result of another version of the tools (stale: run the
 * layer again), -1 unusable (err names the file and the field). */
static int lrec_load(const char *path, const char *fingerprint, const char *version, int index,
                     const char *tensor, lrec *r, mxf_err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT) return 1;
    unsigned char *data;
    size_t len;
    if (mxf_read_file(path, &data, &len, err))
        return stat(path, &sb) != 0 && errno == ENOENT ? 1 : -1; /* removed meanwhile: absent */
    cJSON *o = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    const char *bad = NULL;
    char fp[2048], ver[256];
    double v[24];
    static const char *const keys[] = {
        "index",      "layer",        "N",           "K",           "tokens",
        "n0",         "rows",         "k0",          "cols",        "weights_quantized",
        "image_bits", "tiles_run",    "tiles_layer", "cycles",      "stall_cycles",
        "macs",       "peak_macs",    "signal",      "noise",       "max_rel_diff",
        "wall_gen_s", "wall_quant_s", "wall_sim_s",  "wall_check_s"};
    memset(r, 0, sizeof *r);
    if (!cJSON_IsObject(o))
        bad = "not a JSON object";
    else if (get_str(o, "run", fp, sizeof fp))
        bad = "field 'run'";
    else if (strcmp(fp, fingerprint)) {
        cJSON_Delete(o);
        return mxf_fail(err,
                        "%s: a result of another run (%s; this run is %s): give the run its own "
                        "--out directory or delete the file",
                        path, fp, fingerprint);
    } else if (get_str(o, "version", ver, sizeof ver))
        bad = "field 'version'";
    else if (strcmp(ver, version)) {
        cJSON_Delete(o);
        return 2;
    } else if (get_str(o, "linear", r->linear, sizeof r->linear))
        bad = "field 'linear'";
    else if (get_str(o, "tensor", r->tensor, sizeof r->tensor))
        bad = "field 'tensor'";
    for (int i = 0; i < 24 && !bad; i++)
        if (get_num(o, keys[i], 0, 1e300, &v[i])) bad = keys[i];
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "events");
    if (!bad && !cJSON_IsObject(ev)) bad = "field 'events'";
    for (int e = 0; e < MXF_EV_COUNT && !bad; e++)
        if (get_num(ev, mxf_event_names[e], 0, 1e300, &r->ev[e])) bad = mxf_event_names[e];
    cJSON_Delete(o);
    if (bad)
        return mxf_fail(err,
                        "%s: corrupt partial result (%s); delete the file to run that layer again "
                        "(the other results are kept)",
                        path, bad);
    r->index = (int)v[0], r->layer = (int)v[1], r->N = (int64_t)v[2], r->K = (int64_t)v[3];
    r->M = (int)v[4], r->n0 = (int64_t)v[5], r->Ns = (int)v[6], r->k0 = (int64_t)v[7];
    r->Ks = (int)v[8], r->weights_q = v[9], r->bits_q = v[10], r->tiles_run = v[11];
    r->tiles_layer = v[12], r->cycles = (int64_t)v[13], r->stall_cycles = (int64_t)v[14];
    r->macs = v[15], r->peak_macs = v[16], r->sig = v[17], r->noise = v[18], r->max_rel = v[19];
    r->t_gen = v[20], r->t_quant = v[21], r->t_sim = v[22], r->t_check = v[23];
    r->resumed = 1;
    if (r->index != index || strcmp(r->tensor, tensor))
        return mxf_fail(err,
                        "%s: corrupt partial result (it holds layer %d, %s; this file is layer "
                        "%d, %s); delete the file to run that layer again",
                        path, r->index, r->tensor, index, tensor);
    return 0;
}

static int lrec_save(const char *path, const lrec *r, const char *fingerprint, const char *version,
                     mxf_err *err)
{
    cJSON *o = lrec_json(r, fingerprint, version);
    char *text = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    if (!text) return mxf_fail(err, "out of memory");
    int rc = mxf_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

/* ---- layer selection: "0-3,7" decoder blocks and/or linear names ("fc1,q_proj") ---- */
typedef struct lsel {
    unsigned char block[4096];
    unsigned char lin[64];
    int any_block, any_lin;
} lsel;

static int lsel_parse(const char *spec, const mxf_model *m, lsel *s, mxf_err *err)
{
    memset(s, 0, sizeof *s);
    if (m->n_layers > (int)sizeof s->block || m->n_linear > (int)sizeof s->lin)
        return mxf_fail(err, "model %s: more layers than the runner selects from", m->name);
    if (!spec || !*spec) {
        memset(s->block, 1, sizeof s->block);
        memset(s->lin, 1, sizeof s->lin);
        return 0;
    }
    char buf[1024];
    if (strlen(spec) >= sizeof buf) return mxf_fail(err, "LAYERS: too long");
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (tok[0] >= '0' && tok[0] <= '9') {
            char *dash = strchr(tok, '-');
            long a, b;
            if (dash) *dash = 0;
            if (mxf_parse_int(tok, "LAYERS", 0, m->n_layers - 1, &a, err) ||
                mxf_parse_int(dash ? dash + 1 : tok, "LAYERS", a, m->n_layers - 1, &b, err))
                return mxf_fail_prefix(err, "%s (model %s has decoder layers 0..%d): ", spec,
                                       m->name, m->n_layers - 1);
            for (long i = a; i <= b; i++) s->block[i] = 1;
            s->any_block = 1;
        } else {
            int found = -1;
            for (int i = 0; i < m->n_linear; i++)
                if (!strcmp(tok, m->linear[i].name)) found = i;
            if (found < 0) {
                char names[512] = "";
                for (int i = 0; i < m->n_linear; i++)
                    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                             i ? ", " : "", m->linear[i].name);
                return mxf_fail(err,
                                "LAYERS=%s: '%s' is neither a decoder-layer range nor a linear "
                                "layer of %s (%s)",
                                spec, tok, m->name, names);
            }
            s->lin[found] = 1;
            s->any_lin = 1;
        }
    }
    if (!s->any_block) memset(s->block, 1, sizeof s->block);
    if (!s->any_lin) memset(s->lin, 1, sizeof s->lin);
    return 0;
}

/* ---- the run ---- */
static void sanitize(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        char ch = src[i];
        dst[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                         ch == '.' || ch == '-'
                     ? ch
                     : '_';
    }
    dst[i] = 0;
}

typedef struct run {
    const mxf_model *m;
    const mxf_energy_table *et;
    lrec *rec; /* per model layer index; valid when state[i] == 1 */
    unsigned char *sel, *state;
    int n, n_sel;
    char spec[256], fingerprint[2048], dir[2048], cfgname[128], weights[1024], scope[64];
    const char *array_desc, *stall_what;
    double build_wall;
    long window;
    uint64_t seed;
    int M;
} run;

/* Energy of the events except the off-chip bytes. */
static double onchip_pj(const mxf_energy_table *et, const double *ev, double total)
{
    return total - ev[MXF_EV_DRAM_BYTE] * et->pj[MXF_EV_DRAM_BYTE];
}

static double energy_pj(const run *R, const lrec *r)
{
    double e = 0;
    for (int i = 0; i < MXF_EV_COUNT; i++) e += r->ev[i] * R->et->pj[i];
    return e;
}

/* Output SQNR (mxf_qresult_sqnr_db), 999 dB for an exact result so every report holds a number. */
static double sqnr(double sig, double noise)
{
    const double db = mxf_qresult_sqnr_db(&(mxf_qresult){sig, noise, 0});
    return db > 999 ? 999 : db;
}

/* Totals over the selected layers. */
typedef struct totals {
    double sig, noise, wq, bits, cycles, stalls, macs, peak, cycles_est, energy, energy_est, t_gen,
        t_quant, t_sim, t_check, max_rel;
    double ev[MXF_EV_COUNT];
    int resumed;
} totals;

static void totals_of(const run *R, totals *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < R->n; i++) {
        if (!R->sel[i]) continue;
        const lrec *r = &R->rec[i];
        const double scale = r->tiles_run > 0 ? r->tiles_layer / r->tiles_run : 0,
                     e = energy_pj(R, r), mlayer = (double)r->M * r->N * r->K;
        t->sig += r->sig, t->noise += r->noise, t->wq += r->weights_q, t->bits += r->bits_q;
        t->cycles += (double)r->cycles, t->stalls += (double)r->stall_cycles;
        t->macs += r->macs, t->peak += r->peak_macs, t->cycles_est += (double)r->cycles * scale;
        t->energy += e;
        t->energy_est += r->macs > 0 ? e / r->macs * mlayer : 0;
        t->t_gen += r->t_gen, t->t_quant += r->t_quant, t->t_sim += r->t_sim;
        t->t_check += r->t_check;
        if (r->max_rel > t->max_rel) t->max_rel = r->max_rel;
        for (int e2 = 0; e2 < MXF_EV_COUNT; e2++) t->ev[e2] += r->ev[e2];
        t->resumed += r->resumed;
    }
}

static int write_reports(const run *R, mxf_err *err)
{
    totals t;
    totals_of(R, &t);
    char path[2300];
    /* JSON */
    cJSON *root = cJSON_CreateObject(), *layers = cJSON_CreateArray(), *tot = cJSON_CreateObject(),
          *et = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", R->m->name);
    cJSON_AddStringToObject(root, "config", R->cfgname);
    cJSON_AddStringToObject(root, "array", R->array_desc);
    cJSON_AddStringToObject(root, "format", R->spec);
    cJSON_AddStringToObject(root, "weights", R->weights[0] ? R->weights : "synthetic (seeded zoo)");
    cJSON_AddStringToObject(root, "activations", "synthetic (seeded zoo), int8 per token");
    put_num(root, "seed", (double)R->seed);
    put_num(root, "tokens", R->M);
    put_num(root, "window_tiles", R->window >= 1L << 30 ? 0 : (double)R->window); /* 0: all */
    cJSON_AddStringToObject(et, "file", R->et->path);
    for (int e = 0; e < MXF_EV_COUNT; e++) {
        cJSON *x = cJSON_CreateObject();
        put_num(x, "pJ", R->et->pj[e]);
        cJSON_AddStringToObject(x, "source", R->et->source[e]);
        cJSON_AddItemToObject(et, mxf_event_names[e], x);
    }
    cJSON_AddItemToObject(root, "energy_table", et);
    for (int i = 0; i < R->n; i++) {
        if (!R->sel[i]) continue;
        const lrec *r = &R->rec[i];
        cJSON *o = lrec_json(r, NULL, NULL);
        put_num(o, "output_sqnr_db", sqnr(r->sig, r->noise));
        put_num(o, "bits_per_weight", r->weights_q > 0 ? r->bits_q / r->weights_q : 0);
        put_num(o, "utilization", r->peak_macs > 0 ? r->macs / r->peak_macs : 0);
        put_num(o, "cycles_layer_est",
                r->tiles_run > 0 ? (double)r->cycles * r->tiles_layer / r->tiles_run : 0);
        put_num(o, "energy_pj", energy_pj(R, r));
        put_num(o, "pj_per_mac", r->macs > 0 ? energy_pj(R, r) / r->macs : 0);
        cJSON_AddItemToArray(layers, o);
    }
    cJSON_AddItemToObject(root, "layers", layers);
    put_num(tot, "layers", R->n_sel);
    put_num(tot, "output_sqnr_db", sqnr(t.sig, t.noise));
    put_num(tot, "bits_per_weight", t.wq > 0 ? t.bits / t.wq : 0);
    put_num(tot, "cycles", t.cycles);
    put_num(tot, "stall_cycles", t.stalls);
    put_num(tot, "macs", t.macs);
    put_num(tot, "utilization", t.peak > 0 ? t.macs / t.peak : 0);
    put_num(tot, "cycles_model_est", t.cycles_est);
    put_num(tot, "energy_pj", t.energy);
    put_num(tot, "pj_per_mac", t.macs > 0 ? t.energy / t.macs : 0);
    put_num(tot, "pj_per_mac_onchip", t.macs > 0 ? onchip_pj(R->et, t.ev, t.energy) / t.macs : 0);
    put_num(tot, "energy_model_est_pj", t.energy_est);
    put_num(tot, "max_rel_diff", t.max_rel);
    put_num(tot, "wall_gen_s", t.t_gen);
    put_num(tot, "wall_quant_s", t.t_quant);
    put_num(tot, "wall_sim_s", t.t_sim);
    put_num(tot, "wall_check_s", t.t_check);
    put_num(tot, "wall_build_s", R->build_wall);
    cJSON_AddItemToObject(root, "total", tot);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return mxf_fail(err, "out of memory");
    snprintf(path, sizeof path, "%s/report.json", R->dir);
    int rc = mxf_write_file_atomic(path, text, strlen(text), err);
    free(text);
    if (rc) return rc;

    /* CSV: one row per layer, then the model; wall times last */
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (!f) return mxf_fail(err, "out of memory");
    fprintf(f, "index,layer,linear,N,K,tokens,n0,rows,k0,cols,output_sqnr_db,bits_per_weight,"
               "cycles,stall_cycles,macs,utilization,cycles_layer_est,energy_pj,pj_per_mac,"
               "wall_gen_s,wall_quant_s,wall_sim_s,wall_check_s\n");
    for (int i = 0; i < R->n; i++) {
        if (!R->sel[i]) continue;
        const lrec *r = &R->rec[i];
        const double e = energy_pj(R, r);
        fprintf(
            f,
            "%d,%d,%s,%lld,%lld,%d,%lld,%d,%lld,%d,%.4f,%.5f,%lld,%lld,%.0f,%.5f,%.0f,%.6g,%.5f,"
            "%.3f,%.3f,%.3f,%.3f\n",
            r->index, r->layer, r->linear, (long long)r->N, (long long)r->K, r->M, (long long)r->n0,
            r->Ns, (long long)r->k0, r->Ks, sqnr(r->sig, r->noise),
            r->weights_q > 0 ? r->bits_q / r->weights_q : 0, (long long)r->cycles,
            (long long)r->stall_cycles, r->macs, r->peak_macs > 0 ? r->macs / r->peak_macs : 0,
            r->tiles_run > 0 ? (double)r->cycles * r->tiles_layer / r->tiles_run : 0, e,
            r->macs > 0 ? e / r->macs : 0, r->t_gen, r->t_quant, r->t_sim, r->t_check);
    }
    fprintf(f,
            "total,,,,,%d,,,,,%.4f,%.5f,%.0f,%.0f,%.0f,%.5f,%.0f,%.6g,%.5f,%.3f,%.3f,%.3f,%.3f\n",
            R->M, sqnr(t.sig, t.noise), t.wq > 0 ? t.bits / t.wq : 0, t.cycles, t.stalls, t.macs,
            t.peak > 0 ? t.macs / t.peak : 0, t.cycles_est, t.energy,
            t.macs > 0 ? t.energy / t.macs : 0, t.t_gen, t.t_quant, t.t_sim, t.t_check);
    fclose(f);
    snprintf(path, sizeof path, "%s/report.csv", R->dir);
    rc = buf ? mxf_write_file_atomic(path, buf, blen, err) : mxf_fail(err, "out of memory");
    free(buf);
    if (rc) return rc;

    /* Markdown summary */
    buf = NULL;
    f = open_memstream(&buf, &blen);
    if (!f) return mxf_fail(err, "out of memory");
    fprintf(f, "# %s through %s (%s)\n\n", R->m->name, R->cfgname, R->array_desc);
    fprintf(f,
            "Format `%s`; weights: %s; activations: synthetic, %d tokens per layer, int8 per "
            "token; %s of each of %d linear layers (seed %llu). Every output and every cycle "
            "count was checked against the golden model.\n\n",
            R->spec, R->weights[0] ? R->weights : "seeded synthetic zoo", R->M, R->scope, R->n_sel,
            (unsigned long long)R->seed);
    fprintf(f, "| figure | value |\n|---|---|\n");
    fprintf(f, "| output SQNR vs the float layers | %.2f dB |\n", sqnr(t.sig, t.noise));
    fprintf(f, "| bits per weight (image) | %.3f |\n", t.wq > 0 ? t.bits / t.wq : 0);
    fprintf(f, "| cycles simulated | %.0f |\n", t.cycles);
    if (R->stall_what)
        fprintf(f, "| stall cycles from %s | %.0f (%.2f %%) |\n", R->stall_what, t.stalls,
                t.cycles > 0 ? 100 * t.stalls / t.cycles : 0);
    fprintf(f, "| PE utilization | %.1f %% |\n", t.peak > 0 ? 100 * t.macs / t.peak : 0);
    fprintf(f, "| whole model, %d tokens: cycles (extrapolated per layer) | %.4g |\n", R->M,
            t.cycles_est);
    fprintf(f, "| energy of the windows | %.4g pJ (%.3f pJ per MAC) |\n", t.energy,
            t.macs > 0 ? t.energy / t.macs : 0);
    fprintf(f, "| whole model, %d tokens: energy (extrapolated) | %.4g uJ |\n", R->M,
            t.energy_est * 1e-6);
    fprintf(f,
            "| wall: generate / quantize / simulate / check / build | %.1f / %.1f / %.1f / "
            "%.1f / %.1f s |\n\n",
            t.t_gen, t.t_quant, t.t_sim, t.t_check, R->build_wall);
    fprintf(f,
            "Energy by event (table `%s`):\n\n| event | count | pJ each | share |\n"
            "|---|---|---|---|\n",
            R->et->path);
    for (int e = 0; e < MXF_EV_COUNT; e++)
        fprintf(f, "| %s | %.4g | %g | %.1f %% |\n", mxf_event_names[e], t.ev[e], R->et->pj[e],
                t.energy > 0 ? 100 * t.ev[e] * R->et->pj[e] / t.energy : 0);
    fprintf(f, "\n| layer | linear | N x K | SQNR dB | bits/w | cycles | stalls | util %% | "
               "pJ/MAC |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < R->n; i++) {
        if (!R->sel[i]) continue;
        const lrec *r = &R->rec[i];
        fprintf(f, "| %d | %s | %lld x %lld | %.2f | %.3f | %lld | %lld | %.1f | %.3f |\n",
                r->layer, r->linear, (long long)r->N, (long long)r->K, sqnr(r->sig, r->noise),
                r->weights_q > 0 ? r->bits_q / r->weights_q : 0, (long long)r->cycles,
                (long long)r->stall_cycles, r->peak_macs > 0 ? 100 * r->macs / r->peak_macs : 0,
                r->macs > 0 ? energy_pj(R, r) / r->macs : 0);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/report.md", R->dir);
    rc = buf ? mxf_write_file_atomic(path, buf, blen, err) : mxf_fail(err, "out of memory");
    free(buf);
    return rc;
}

/* Progress: a bar with ETA on a terminal (stderr), nothing otherwise (the per-layer lines). */
static void progress(int done, int total, double t0, int tty)
{
    if (!tty) return;
    const int width = 30, fill = total ? done * width / total : width;
    double el = mxf_now() - t0, eta = done ? el / done * (total - done) : 0;
    fprintf(stderr, "\r  [%.*s%*s] %d/%d layers  %02d:%02d elapsed  ETA %02d:%02d ", fill,
            "##############################", width - fill, "", done, total, (int)el / 60,
            (int)el % 60, (int)eta / 60, (int)eta % 60);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

static int layer_weights(const run *R, const mxf_st *st, const mxf_synth_params *sp,
                         const char *wname, const char *aname, int64_t N, int64_t K, float *W,
                         float *X, mxf_err *err)
{
    if (st) {
        int ti = mxf_st_find(st, wname);
        if (ti < 0 || mxf_st_read_f32(st, ti, W, err)) return -1;
    } else if (mxf_synth_weights(sp, R->seed, wname, N, K, W, err))
        return -1;
    return mxf_synth_acts(sp, R->seed, aname, R->M, K, X, err);
}

/* Checks before any work that every selected layer's tensor is in the checkpoint, as N x K. */
static int check_checkpoint(const run *R, const mxf_st *st, mxf_err *err)
{
    for (int i = 0; i < R->n; i++) {
        if (!R->sel[i]) continue;
        const mxf_linear *lin = &R->m->linear[i % R->m->n_linear];
        char wname[256];
        mxf_model_tensor_name(R->m, i / R->m->n_linear, i % R->m->n_linear, wname, sizeof wname);
        int ti = mxf_st_find(st, wname);
        if (ti < 0)
            return mxf_fail(err, "WEIGHTS=%s: no tensor '%s' (model %s, layer %d %s)", R->weights,
                            wname, R->m->name, i / R->m->n_linear, lin->name);
        const mxf_st_tensor *t = &st->t[ti];
        if (t->ndim != 2 || t->shape[0] != lin->out_features || t->shape[1] != lin->in_features)
            return mxf_fail(err,
                            "WEIGHTS=%s: tensor '%s' has shape [%lld%s%lld], model %s expects "
                            "[%d, %d]",
                            R->weights, wname, (long long)t->shape[0], t->ndim > 1 ? ", " : "",
                            t->ndim > 1 ? (long long)t->shape[1] : 0LL, R->m->name,
                            lin->out_features, lin->in_features);
    }
    return 0;
}

int mxf_model_run(mxf_sim_ctx *ctx, const mxf_hwcfg *cfg, const mxf_sim_opts *o,
                  const mxf_mblock *mb, mxf_err *err)
{
    const mxf_model *m = mxf_model_find(o->model);
    if (!m) {
        char names[256];
        mxf_model_names(names, sizeof names);
        mxf_fail(err, "MODEL=%s: unknown model (known: %s)", o->model ? o->model : "", names);
        return 2;
    }
    run R;
    memset(&R, 0, sizeof R);
    R.m = m;
    R.n = m->n_layers * m->n_linear;
    R.M = (int)o->tokens;
    R.seed = o->seed;
    R.window = o->full ? 1L << 30 : o->window;
    if (o->full)
        snprintf(R.scope, sizeof R.scope, "every tile");
    else
        snprintf(R.scope, sizeof R.scope, "a %ld x %ld-tile window", o->window, o->window);
    R.array_desc = mb->array_desc;
    R.stall_what = mb->stall_what;
    R.build_wall = o->build_wall;
    snprintf(R.spec, sizeof R.spec, "%s", o->format ? o->format : mb->default_format);
    snprintf(R.weights, sizeof R.weights, "%s", o->weights ? o->weights : "");
    mxf_hwcfg_name(cfg, R.cfgname, sizeof R.cfgname);
    mxf_qformat f;
    if (mxf_qformat_parse(R.spec, &f, err)) return mxf_fail_prefix(err, "FORMAT=%s: ", R.spec), 2;
    if (mb->check_format && mb->check_format(cfg, &f, R.spec, err)) return 2;
    if (mxf_qformat_needs_calib(&f))
        return mxf_fail(err,
                        "FORMAT=%s: mode=gptq needs calibration; quantize with mxquant and run "
                        "the image",
                        R.spec),
               2;
    lsel ls;
    if (lsel_parse(o->layers, m, &ls, err)) return 2;
    mxf_energy_table et;
    const char *etp = o->energy ? o->energy : "data/energy.tsv";
    if (mxf_energy_read(etp, &et, err)) return mxf_fail_prefix(err, "energy table: "), 2;
    R.et = &et;

    /* the run directory: named after everything that changes a result */
    char args[512], wtag[300] = "syn", name[1024], fspec[256];
    mxf_hwcfg_args(cfg, args, sizeof args);
    if (R.weights[0]) {
        const char *base = strrchr(R.weights, '/');
        sanitize(wtag, sizeof wtag, base ? base + 1 : R.weights);
    }
    sanitize(fspec, sizeof fspec, R.spec);
    snprintf(name, sizeof name, "%s-%s-%s-s%llu-t%d-w%ld", m->name, fspec, wtag,
             (unsigned long long)R.seed, R.M, o->full ? 0L : o->window);
    snprintf(R.dir, sizeof R.dir, "%s/%s", o->out ? o->out : ".", name);
    snprintf(R.fingerprint, sizeof R.fingerprint,
             "config=[%s] model=%s format=%s weights=%s seed=%llu tokens=%d window=%ld", args,
             m->name, R.spec, R.weights[0] ? R.weights : "synthetic", (unsigned long long)R.seed,
             R.M, o->full ? 0L : o->window);
    char ldir[2100];
    snprintf(ldir, sizeof ldir, "%s/layers", R.dir);

    mxf_st st;
    int have_st = 0, rc = 2;
    R.rec = calloc((size_t)R.n, sizeof *R.rec);
    R.sel = calloc((size_t)R.n, 1);
    R.state = calloc((size_t)R.n, 1);
    float *W = NULL, *X = NULL;
    if (!R.rec || !R.sel || !R.state) {
        mxf_fail(err, "out of memory");
        rc = 3;
        goto out;
    }
    int my = 0, todo = 0, k = 0, stale = 0;
    const char *version = o->tag ? o->tag : "";
    for (int i = 0; i < R.n; i++) {
        R.sel[i] = ls.block[i / m->n_linear] && ls.lin[i % m->n_linear];
        if (!R.sel[i]) continue;
        R.n_sel++;
    }
    if (R.n_sel == 0) {
        mxf_fail(err, "LAYERS=%s selects no layer", o->layers ? o->layers : "");
        goto out;
    }
    if (R.weights[0]) {
        if (mxf_st_open(R.weights, &st, err)) {
            mxf_fail_prefix(err, "WEIGHTS: ");
            goto out;
        }
        have_st = 1;
        if (check_checkpoint(&R, &st, err)) goto out;
    }
    if (mxf_mkdirs(ldir, err)) goto out;
    /* this shard's layers: finished ones are kept (resume), --fresh runs them again; other
       shards' results are read after the run (they may still be running) */
    unsigned char *mine = R.state; /* 1: result present, 2: this process runs it, 4: stale */
    for (int i = 0; i < R.n; i++) {
        if (!R.sel[i]) continue;
        char path[2400];
        snprintf(path, sizeof path, "%s/%04d.json", ldir, i);
        const int in_shard = !o->merge && (o->shard_n == 0 || k % o->shard_n == o->shard_i - 1);
        k++;
        if (!in_shard) continue;
        my++;
        if (o->fresh && unlink(path) && errno != ENOENT) {
            mxf_fail(err, "%s: cannot remove (%s)", path, strerror(errno));
            goto out;
        }
        char tname[256];
        mxf_model_tensor_name(m, i / m->n_linear, i % m->n_linear, tname, sizeof tname);
        int lr = lrec_load(path, R.fingerprint, version, i, tname, &R.rec[i], err);
        if (lr < 0) goto out;
        mine[i] = lr == 0 ? 1 : 2;
        todo += lr != 0;
        stale += lr == 2;
    }
    const int tty = isatty(2) && !getenv("MXF_PLAIN");
    ctx->log(ctx,
             "model %s: %d of %d linear layers%s; format %s; array %s; %d tokens; %s of every "
             "layer; weights %s; results in %s%s\n",
             m->name, o->merge ? R.n_sel : my, R.n_sel,
             o->merge     ? " (merging)"
             : o->shard_n ? " (this shard)"
                          : "",
             R.spec, mb->array_desc, R.M, o->full ? "every tile" : "a sampled window",
             R.weights[0] ? R.weights : "synthetic", R.dir,
             my - todo > 0 && !o->merge ? " (resuming: finished layers are kept)" : "");
    if (stale) ctx->log(ctx, "  %d results of another version of the tools are run again\n", stale);
    if (!o->full && !o->merge)
        ctx->log(ctx, "  window: %ld x %ld tiles per layer at a reproducible offset (SEED=%llu)\n",
                 o->window, o->window, (unsigned long long)R.seed);
    double t0 = mxf_now();
    int done = 0;
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    for (int i = 0; i < R.n && todo; i++) {
        if (mine[i] != 2) continue;
        const int L = i / m->n_linear, li = i % m->n_linear;
        const mxf_linear *lin = &m->linear[li];
        const int64_t N = lin->out_features, K = lin->in_features;
        char wname[256], aname[256], path[2400];
        mxf_model_tensor_name(m, L, li, wname, sizeof wname);
        mxf_model_act_name(m, L, li, aname, sizeof aname);
        W = malloc(sizeof(float) * (size_t)(N * K));
        X = malloc(sizeof(float) * (size_t)R.M * (size_t)K);
        if (!W || !X) {
            mxf_fail(err, "%s: out of memory", wname);
            rc = 3;
            goto out;
        }
        double ta = mxf_now();
        if (layer_weights(&R, have_st ? &st : NULL, &sp, wname, aname, N, K, W, X, err)) {
            mxf_fail_prefix(err, "layer %d %s: ", L, lin->name);
            goto out;
        }
        double tb = mxf_now();
        mxf_rng rng;
        mxf_rng_seed(&rng, mxf_synth_stream(R.seed, wname) ^ 0x77696e646f77ULL);
        mxf_mlayer ml = {m, i, L, li, wname, N, K, R.M, W, X, &f, R.window, &rng, R.seed};
        mxf_mres res;
        memset(&res, 0, sizeof res);
        const int64_t c0 = ctx->st.cycles, tl0 = ctx->st.tiles;
        const double m0 = ctx->st.macs, s0 = ctx->st.wall;
        int lrc = mb->layer(ctx, cfg, &ml, &res, err);
        if (lrc) {
            rc = lrc;
            goto out;
        }
        lrec *r = &R.rec[i];
        memset(r, 0, sizeof *r);
        r->index = i, r->layer = L;
        snprintf(r->linear, sizeof r->linear, "%s", lin->name);
        snprintf(r->tensor, sizeof r->tensor, "%s", wname);
        r->N = N, r->K = K, r->M = R.M, r->n0 = res.n0, r->Ns = res.Ns, r->k0 = res.k0;
        r->Ks = res.Ks, r->weights_q = res.weights_q, r->bits_q = res.bits_q;
        r->tiles_run = (double)(ctx->st.tiles - tl0), r->tiles_layer = res.tiles_layer;
        r->cycles = ctx->st.cycles - c0, r->stall_cycles = res.stall_cycles;
        r->macs = ctx->st.macs - m0;
        r->peak_macs = (double)r->cycles * mxf_hwcfg_peak_macs(cfg);
        r->sig = res.q.sig, r->noise = res.q.noise, r->max_rel = res.q.max_rel_bound;
        memcpy(r->ev, res.ev, sizeof r->ev);
        r->t_gen = tb - ta, r->t_quant = res.t_quant, r->t_sim = ctx->st.wall - s0;
        r->t_check = mxf_now() - tb - r->t_quant - r->t_sim;
        if (r->t_check < 0) r->t_check = 0;
        snprintf(path, sizeof path, "%s/%04d.json", ldir, i);
        if (lrec_save(path, r, R.fingerprint, version, err)) {
            rc = 3;
            goto out;
        }
        mine[i] = 1;
        free(W), free(X);
        W = X = NULL;
        done++;
        if (!tty)
            ctx->log(
                ctx,
                "  layer %2d %-10s %5lldx%-5lld rows %lld..%lld cols %lld..%lld: %7lld cycles, "
                "%5lld stalls, SQNR %6.2f dB, %.3f bits/w, %.3f pJ/MAC\n",
                L, lin->name, (long long)N, (long long)K, (long long)r->n0,
                (long long)(r->n0 + r->Ns - 1), (long long)r->k0, (long long)(r->k0 + r->Ks - 1),
                (long long)r->cycles, (long long)r->stall_cycles, sqnr(r->sig, r->noise),
                r->weights_q > 0 ? r->bits_q / r->weights_q : 0,
                r->macs > 0 ? energy_pj(&R, r) / r->macs : 0);
        progress(done, todo, t0, tty);
    }
    /* the other layers' results: other shards, earlier runs */
    int complete = 1, present = 0;
    for (int i = 0; i < R.n; i++) {
        if (!R.sel[i]) continue;
        if (mine[i] == 0) {
            char path[2400];
            snprintf(path, sizeof path, "%s/%04d.json", ldir, i);
            char tname[256];
            mxf_model_tensor_name(m, i / m->n_linear, i % m->n_linear, tname, sizeof tname);
            int lr = lrec_load(path, R.fingerprint, version, i, tname, &R.rec[i], err);
            if (lr < 0) goto out;
            if (lr == 0) mine[i] = 1;
            if (lr == 2) mine[i] = 4; /* another version's */
        }
        if (mine[i] == 1)
            present++;
        else if (o->merge) {
            mxf_fail(err, "merge: %s/%04d.json (layer %d %s) is %s: run every shard first", ldir, i,
                     i / m->n_linear, m->linear[i % m->n_linear].name,
                     mine[i] == 4 ? "from another version of the tools" : "missing");
            goto out;
        } else
            complete = 0;
    }
    if (!complete) {
        ctx->log(ctx, "model %s: shard %d/%d done; %d of %d layers present in %s%s\n", m->name,
                 o->shard_i, o->shard_n, present, R.n_sel, R.dir,
                 getenv("MXF_MERGE_NEXT") ? ""
                                          : "; when every shard has finished, merge them (make "
                                            "sim-merge, or mxfsim model ... --merge)");
        rc = 0;
        goto out;
    }
    if (write_reports(&R, err)) {
        rc = 3;
        goto out;
    }
    totals t;
    totals_of(&R, &t);
    ctx->log(ctx,
             "model %s: format %s, output SQNR %.2f dB over %s (vs the float layers, int8 "
             "per-token activations)\n",
             m->name, R.spec, sqnr(t.sig, t.noise),
             o->full ? "every weight" : "all sampled windows");
    char origin[96], stalls[160] = "";
    if (o->merge)
        snprintf(origin, sizeof origin, "merged from the run directory");
    else
        snprintf(origin, sizeof origin, "%d run now, %d kept from earlier runs or shards",
                 R.n_sel - t.resumed, t.resumed);
    if (mb->stall_what)
        snprintf(stalls, sizeof stalls, ", %.0f stall cycles from %s (%.2f %%)", t.stalls,
                 mb->stall_what, t.cycles > 0 ? 100 * t.stalls / t.cycles : 0);
    ctx->log(ctx,
             "  %d layers (%s): %.3f bits/weight; %.0f cycles%s; PE utilization %.1f %%; "
             "energy %.3f pJ/MAC (%.3f on chip); whole model at %d tokens (extrapolated): "
             "%.4g cycles, %.4g uJ\n",
             R.n_sel, origin, t.wq > 0 ? t.bits / t.wq : 0, t.cycles, stalls,
             t.peak > 0 ? 100 * t.macs / t.peak : 0, t.macs > 0 ? t.energy / t.macs : 0,
             t.macs > 0 ? onchip_pj(&et, t.ev, t.energy) / t.macs : 0, R.M, t.cycles_est,
             t.energy_est * 1e-6);
    ctx->log(ctx,
             "  wall: generate %.1f s, quantize %.1f s, simulate %.1f s, check %.1f s, build "
             "%.1f s\n  reports: %s/report.{json,csv,md}\n",
             t.t_gen, t.t_quant, t.t_sim, t.t_check, R.build_wall, R.dir);
    rc = 0;
out:
    if (have_st) mxf_st_close(&st);
    free(W);
    free(X);
    free(R.rec);
    free(R.sel);
    free(R.state);
    return rc;
}
