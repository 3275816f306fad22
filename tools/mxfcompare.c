/* mxfcompare: the side-by-side table of `make compare` (scripts/compare.sh, docs/sim.md).
 *   mxfcompare --out DIR [--title TEXT] NAME=SIM_REPORT.json[,SYNTH_REPORT.json] ...
 * Reads each scheme's `make sim` report (report.json of a run directory) and, when given, its
 * `make synth` report, and writes DIR/compare.md, compare.csv and compare.json (atomically):
 * output SQNR x bits/weight x cycles x area x energy, one row per scheme, in the order given.
 * Every input is checked before anything is written; a bad input gives one line naming the file
 * and field, exit 2 (3: out of memory). */
#include <cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileio.h"

#define MAX_SCHEMES 32

typedef struct scheme {
    char name[64], config[128], format[128], model[64], array[160];
    double sqnr, bpw, cycles, stalls, util, cycles_est, pj_mac, pj_mac_onchip, energy_est, macs;
    double tokens;
    int have_area;
    double ge, pe_ge;
} scheme;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mxfcompare --out DIR [--title TEXT] NAME=SIM_REPORT.json[,SYNTH_REPORT.json] "
            "...\n"
            "  writes DIR/compare.md, compare.csv, compare.json: one row per scheme\n"
            "  (docs/sim.md, \"make compare\"). Exit: 0 written, 2 bad input, 3 out of memory.\n");
}

static cJSON *read_json(const char *path, mxf_err *err)
{
    unsigned char *data;
    size_t len;
    if (mxf_read_file(path, &data, &len, err)) return NULL;
    cJSON *j = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    if (!j) mxf_fail(err, "%s: not valid JSON", path);
    return j;
}

static int num(const cJSON *o, const char *key, const char *path, const char *where, double *v,
               mxf_err *err)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
        return mxf_fail(err, "%s: field '%s%s' missing or not a number", path, where, key);
    *v = x->valuedouble;
    return 0;
}

static int str(const cJSON *o, const char *key, const char *path, char *buf, size_t cap,
               mxf_err *err)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(x) || strlen(x->valuestring) >= cap)
        return mxf_fail(err, "%s: field '%s' missing or not a string", path, key);
    snprintf(buf, cap, "%s", x->valuestring);
    return 0;
}

static int load_sim(scheme *s, const char *path, mxf_err *err)
{
    cJSON *j = read_json(path, err);
    if (!j) return -1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "total");
    int rc = str(j, "config", path, s->config, sizeof s->config, err) ||
             str(j, "format", path, s->format, sizeof s->format, err) ||
             str(j, "model", path, s->model, sizeof s->model, err) ||
             str(j, "array", path, s->array, sizeof s->array, err) ||
             num(j, "tokens", path, "", &s->tokens, err);
    if (!rc && !cJSON_IsObject(t))
        rc = mxf_fail(err, "%s: no 'total' object (not a make sim report)", path);
    if (!rc)
        rc = num(t, "output_sqnr_db", path, "total.", &s->sqnr, err) ||
             num(t, "bits_per_weight", path, "total.", &s->bpw, err) ||
             num(t, "cycles", path, "total.", &s->cycles, err) ||
             num(t, "stall_cycles", path, "total.", &s->stalls, err) ||
             num(t, "utilization", path, "total.", &s->util, err) ||
             num(t, "cycles_model_est", path, "total.", &s->cycles_est, err) ||
             num(t, "pj_per_mac", path, "total.", &s->pj_mac, err) ||
             num(t, "pj_per_mac_onchip", path, "total.", &s->pj_mac_onchip, err) ||
             num(t, "energy_model_est_pj", path, "total.", &s->energy_est, err) ||
             num(t, "macs", path, "total.", &s->macs, err);
    cJSON_Delete(j);
    return rc ? -1 : 0;
}

static int load_synth(scheme *s, const char *path, mxf_err *err)
{
    cJSON *j = read_json(path, err);
    if (!j) return -1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "total"),
                *mods = cJSON_GetObjectItemCaseSensitive(j, "modules"),
                *pe = cJSON_GetObjectItemCaseSensitive(j, "pe");
    int rc = 0;
    if (!cJSON_IsObject(t) || !cJSON_IsArray(mods) || !cJSON_IsString(pe))
        rc = mxf_fail(err, "%s: not a make synth report (no total, modules or pe)", path);
    else
        rc = num(t, "ge", path, "total.", &s->ge, err);
    s->pe_ge = -1;
    const cJSON *m;
    if (!rc) cJSON_ArrayForEach(m, mods)
        {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(m, "name");
            if (cJSON_IsString(n) && !strcmp(n->valuestring, pe->valuestring) &&
                num(m, "ge_with_submodules", path, "modules[pe].", &s->pe_ge, err))
                rc = -1;
        }
    if (!rc && s->pe_ge < 0)
        rc = mxf_fail(err, "%s: the PE module '%s' is not in 'modules'", path, pe->valuestring);
    cJSON_Delete(j);
    s->have_area = rc == 0;
    return rc ? -1 : 0;
}

static void put(cJSON *o, const char *k, double v)
{
    cJSON_AddNumberToObject(o, k, v);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"out", 1, 0, 'o'}, {"title", 1, 0, 't'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL, *title = "make compare";
    if (argc >= 2 && !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "h", lo, NULL)) != -1;) {
        if (c == 'o')
            out = optarg;
        else if (c == 't')
            title = optarg;
        else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "mxfcompare: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    const int n = argc - optind;
    if (!out || n < 1 || n > MAX_SCHEMES) {
        fprintf(stderr, "mxfcompare: %s\n",
                !out    ? "--out DIR is required"
                : n < 1 ? "no scheme given"
                        : "too many schemes");
        usage(stderr);
        return 2;
    }
    static scheme S[MAX_SCHEMES];
    mxf_err e;
    char paths[3][4200];
    static const char *const files[3] = {"compare.md", "compare.csv", "compare.json"};
    for (int f = 0; f < 3; f++) {
        snprintf(paths[f], sizeof paths[f], "%s/%s", out, files[f]);
        if (mxf_check_output_path(paths[f], &e)) {
            fprintf(stderr, "mxfcompare: %s\n", e.msg);
            return 2;
        }
    }
    for (int i = 0; i < n; i++) {
        char arg[4096];
        snprintf(arg, sizeof arg, "%s", argv[optind + i]);
        char *eq = strchr(arg, '=');
        if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof S[i].name) {
            fprintf(stderr, "mxfcompare: '%s': expected NAME=SIM_REPORT.json[,SYNTH_REPORT.json]\n",
                    argv[optind + i]);
            return 2;
        }
        *eq = 0;
        memcpy(S[i].name, arg, (size_t)(eq - arg) + 1); /* the length was checked above */
        char *comma = strchr(eq + 1, ',');
        if (comma) *comma = 0;
        if (load_sim(&S[i], eq + 1, &e) || (comma && load_synth(&S[i], comma + 1, &e))) {
            fprintf(stderr, "mxfcompare: %s: %s\n", S[i].name, e.msg);
            return 2;
        }
        if (strcmp(S[i].model, S[0].model)) {
            fprintf(stderr, "mxfcompare: %s: model %s, but %s ran %s: compare one model\n",
                    S[i].name, S[i].model, S[0].name, S[0].model);
            return 2;
        }
    }
    /* area x cycles of the whole model, relative to the first scheme with an area */
    double base = 0;
    for (int i = 0; i < n && base == 0; i++)
        if (S[i].have_area) base = S[i].ge * S[i].cycles_est;

    char *md = NULL, *csv = NULL;
    size_t mdl = 0, csvl = 0;
    FILE *fm = open_memstream(&md, &mdl), *fc = open_memstream(&csv, &csvl);
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    if (!fm || !fc || !root || !arr) {
        fprintf(stderr, "mxfcompare: out of memory\n");
        return 3;
    }
    fprintf(fm, "# %s: %s, %.0f tokens per layer\n\n", title, S[0].model, S[0].tokens);
    fprintf(fm, "One model, one harness, one synthesis flow: every scheme's sampled windows ran "
                "bit-exactly through its Verilated RTL (`make sim`); area is `make synth` (Yosys, "
                "NAND2 gate equivalents) of the same config; energy is the event-count estimate of "
                "`data/energy.tsv`; whole-model figures extrapolate each layer's window.\n\n");
    fprintf(fm, "| scheme | config | format | SQNR dB | bits/w | array kGE | PE GE | model cycles "
                "| util %% | stall %% | pJ/MAC | on-chip pJ/MAC | model uJ | area x cycles |\n"
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    fprintf(fc, "scheme,config,format,output_sqnr_db,bits_per_weight,array_ge,pe_ge,"
                "cycles_model_est,utilization,stall_fraction,pj_per_mac,pj_per_mac_onchip,"
                "energy_model_est_uj,area_cycles_rel\n");
    for (int i = 0; i < n; i++) {
        const scheme *s = &S[i];
        const double stall = s->cycles > 0 ? s->stalls / s->cycles : 0,
                     ac = s->have_area && base > 0 ? s->ge * s->cycles_est / base : -1;
        char ge[32] = "-", pe[32] = "-", acs[32] = "-";
        if (s->have_area) {
            snprintf(ge, sizeof ge, "%.1f", s->ge / 1000);
            snprintf(pe, sizeof pe, "%.1f", s->pe_ge);
            snprintf(acs, sizeof acs, "%.2fx", ac);
        }
        fprintf(fm,
                "| %s | %s | `%s` | %.2f | %.3f | %s | %s | %.4g | %.1f | %.2f | %.3f | %.3f | "
                "%.4g | %s |\n",
                s->name, s->config, s->format, s->sqnr, s->bpw, ge, pe, s->cycles_est,
                100 * s->util, 100 * stall, s->pj_mac, s->pj_mac_onchip, s->energy_est * 1e-6, acs);
        char cge[32] = "", cpe[32] = "", cac[32] = "";
        if (s->have_area) {
            snprintf(cge, sizeof cge, "%.0f", s->ge);
            snprintf(cpe, sizeof cpe, "%.1f", s->pe_ge);
            snprintf(cac, sizeof cac, "%.4f", ac);
        }
        fprintf(fc, "%s,%s,%s,%.4f,%.5f,%s,%s,%.0f,%.5f,%.5f,%.5f,%.5f,%.6g,%s\n", s->name,
                s->config, s->format, s->sqnr, s->bpw, cge, cpe, s->cycles_est, s->util, stall,
                s->pj_mac, s->pj_mac_onchip, s->energy_est * 1e-6, cac);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "scheme", s->name);
        cJSON_AddStringToObject(o, "config", s->config);
        cJSON_AddStringToObject(o, "array", s->array);
        cJSON_AddStringToObject(o, "format", s->format);
        put(o, "output_sqnr_db", s->sqnr);
        put(o, "bits_per_weight", s->bpw);
        if (s->have_area) {
            put(o, "array_ge", s->ge);
            put(o, "pe_ge", s->pe_ge);
            put(o, "area_cycles_rel", ac);
        }
        put(o, "cycles_model_est", s->cycles_est);
        put(o, "utilization", s->util);
        put(o, "stall_fraction", stall);
        put(o, "pj_per_mac", s->pj_mac);
        put(o, "pj_per_mac_onchip", s->pj_mac_onchip);
        put(o, "energy_model_est_pj", s->energy_est);
        cJSON_AddItemToArray(arr, o);
    }
    fprintf(fm, "\narea x cycles: array gate equivalents times whole-model cycles, relative to "
                "the first scheme with an area.\n");
    fclose(fm);
    fclose(fc);
    cJSON_AddStringToObject(root, "model", S[0].model);
    cJSON_AddItemToObject(root, "schemes", arr);
    char *js = cJSON_Print(root);
    cJSON_Delete(root);
    int rc = !md || !csv || !js ? (fprintf(stderr, "mxfcompare: out of memory\n"), 3) : 0;
    if (!rc && (mxf_write_file_atomic(paths[0], md, mdl, &e) ||
                mxf_write_file_atomic(paths[1], csv, csvl, &e) ||
                mxf_write_file_atomic(paths[2], js, strlen(js), &e))) {
        fprintf(stderr, "mxfcompare: %s\n", e.msg);
        rc = 3;
    }
    if (!rc) printf("%smxfcompare: wrote %s/compare.{md,csv,json}\n", md, out);
    free(md);
    free(csv);
    free(js);
    return rc;
}
