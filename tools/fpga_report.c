/* fpga_report: the FPGA figures of one config, from the tools' own reports (synth/fpga.sh).
 *   fpga_report [--pnr NEXTPNR.json] --xilinx STAT.json [--xilinx-part NAME,LUTS,DSPS]
 *               [--info KEY=VALUE ...] --json OUT.json --txt OUT.txt [--md OUT.md]
 *   fpga_report merge FPGA.json SYNTH.json   put FPGA.json into SYNTH.json as its "fpga" field
 *                                            (synth/run.sh's report, next to the gate equivalents)
 * NEXTPNR.json is nextpnr-ice40's --report (utilization, fmax, critical paths); STAT.json is Yosys
 * `stat -json` after synth_xilinx (whole-array cell counts, summed here into LUT, FF, DSP, BRAM,
 * SRL). Outputs are written atomically. Exit: 0 ok, 2 bad input, 3 out of memory. */
#include <cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

#define MAX_INFO 32

static cJSON *load(const char *path, mxf_err *e)
{
    unsigned char *text;
    size_t len;
    if (mxf_read_file(path, &text, &len, e)) return NULL;
    cJSON *j = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (!j) mxf_fail(e, "%s: invalid JSON", path);
    return j;
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* Xilinx cell classes, by Yosys cell name prefix. */
typedef struct xclass {
    const char *name;
    const char *prefixes[6];
} xclass;
static const xclass xclasses[] = {
    {"LUT", {"LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"}},
    {"FF", {"FDRE", "FDSE", "FDCE", "FDPE", NULL}},
    {"DSP", {"DSP48E1", NULL}},
    {"BRAM", {"RAMB18E1", "RAMB36E1", NULL}},
    {"SRL", {"SRL16E", "SRLC32E", NULL}},
    {"CARRY", {"CARRY4", NULL}},
};
#define N_XCLASS ((int)(sizeof xclasses / sizeof xclasses[0]))

/* Writes v as `path`, atomically, with a final newline. */
static int save_json(const char *path, const cJSON *v, mxf_err *e)
{
    char *js = cJSON_Print(v);
    if (!js) return mxf_fail(e, "%s: out of memory", path);
    size_t n = strlen(js);
    char *buf = realloc(js, n + 2);
    if (!buf) {
        free(js);
        return mxf_fail(e, "%s: out of memory", path);
    }
    buf[n] = '\n';
    int rc = mxf_write_file_atomic(path, buf, n + 1, e);
    free(buf);
    return rc;
}

static int cmd_merge(const char *fpga, const char *synth)
{
    mxf_err e;
    cJSON *f = load(fpga, &e), *s = f ? load(synth, &e) : NULL;
    int rc = 2;
    if (!f || !s) {
        fprintf(stderr, "fpga_report: %s\n", e.msg);
    } else if (!cJSON_IsObject(s)) {
        fprintf(stderr, "fpga_report: %s: not a JSON object\n", synth);
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(s, "fpga");
        cJSON_AddItemToObject(s, "fpga", f);
        f = NULL;
        rc = save_json(synth, s, &e) ? 2 : 0;
        if (rc) fprintf(stderr, "fpga_report: %s\n", e.msg);
    }
    cJSON_Delete(f);
    cJSON_Delete(s);
    return rc;
}

/* The report as markdown: the settings, then one table per flow. */
static void write_md(FILE *m, const cJSON *out)
{
    const cJSON *info = get(out, "info"), *ice = get(out, "ice40"), *x = get(out, "xilinx"), *r;
    fprintf(m, "# FPGA report: %s\n\n",
            cJSON_GetStringValue(get(info, "config")) ? cJSON_GetStringValue(get(info, "config"))
                                                      : "?");
    cJSON_ArrayForEach(r, info)
        fprintf(m, "- %s: %s\n", r->string, cJSON_GetStringValue(r) ? cJSON_GetStringValue(r) : "");
    if (ice) {
        fprintf(m, "\n## iCE40 place and route\n\n| resource | used | available | %% "
                   "|\n|---|---|---|---|\n");
        cJSON_ArrayForEach(r, get(ice, "utilization"))
        {
            double u = cJSON_GetNumberValue(get(r, "used")),
                   a = cJSON_GetNumberValue(get(r, "available"));
            if (u > 0)
                fprintf(m, "| %s | %.0f | %.0f | %.1f |\n", r->string, u, a,
                        a > 0 ? 100 * u / a : 0);
        }
        cJSON_ArrayForEach(r, get(ice, "fmax_mhz"))
            fprintf(m, "\nFmax (%s): **%.2f MHz**\n", r->string, cJSON_GetNumberValue(r));
        const cJSON *cp = get(ice, "critical_path");
        if (cp)
            fprintf(m, "\nCritical path: %.2f ns through %.0f logic cells, from `%s` to `%s`.\n",
                    cJSON_GetNumberValue(get(cp, "delay_ns")),
                    cJSON_GetNumberValue(get(cp, "logic_levels")),
                    cJSON_GetStringValue(get(cp, "from")), cJSON_GetStringValue(get(cp, "to")));
    }
    fprintf(m,
            "\n## Xilinx 7-series, whole array (synth_xilinx)\n\n| cells | count |\n|---|---|\n");
    cJSON_ArrayForEach(r, x) if (cJSON_IsNumber(r))
        fprintf(m, "| %s | %.0f |\n", r->string, cJSON_GetNumberValue(r));
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "merge")) return cmd_merge(argv[2], argv[3]);
    static const struct option lo[] = {
        {"pnr", 1, 0, 'p'}, {"xilinx", 1, 0, 'x'},      {"info", 1, 0, 'i'}, {"json", 1, 0, 'j'},
        {"txt", 1, 0, 't'}, {"xilinx-part", 1, 0, 'X'}, {"md", 1, 0, 'M'},   {0, 0, 0, 0}};
    const char *pnr = NULL, *xil = NULL, *jout = NULL, *tout = NULL, *xpart = NULL, *mout = NULL,
               *info[MAX_INFO];
    int ninfo = 0, ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (ch == 'p')
            pnr = optarg;
        else if (ch == 'x')
            xil = optarg;
        else if (ch == 'j')
            jout = optarg;
        else if (ch == 't')
            tout = optarg;
        else if (ch == 'X')
            xpart = optarg;
        else if (ch == 'M')
            mout = optarg;
        else if (ch == 'i' && ninfo < MAX_INFO && strchr(optarg, '='))
            info[ninfo++] = optarg;
        else {
            fprintf(stderr,
                    "fpga_report: bad option '%s' (see the header of tools/fpga_report.c)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (!xil || !jout || !tout) {
        fprintf(stderr, "usage: fpga_report --pnr NEXTPNR.json --xilinx STAT.json [--info K=V] "
                        "--json OUT --txt OUT\n");
        return 2;
    }
    mxf_err e;
    cJSON *p = pnr ? load(pnr, &e) : cJSON_CreateObject(), *x = p ? load(xil, &e) : NULL;
    if (!p || !x) {
        fprintf(stderr, "fpga_report: %s\n", e.msg);
        cJSON_Delete(p);
        return 2;
    }
    const cJSON *util = get(p, "utilization"), *fmax = get(p, "fmax"),
                *crit = get(p, "critical_paths");
    const cJSON *design = get(x, "design"),
                *xcells = design ? get(design, "num_cells_by_type") : NULL;
    if ((pnr && (!cJSON_IsObject(util) || !cJSON_IsObject(fmax))) || !cJSON_IsObject(xcells)) {
        fprintf(stderr,
                "fpga_report: %s: fields utilization/fmax missing, or %s: design.num_cells_by_type "
                "missing\n",
                pnr, xil);
        cJSON_Delete(p), cJSON_Delete(x);
        return 2;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON *oi = cJSON_AddObjectToObject(out, "info");
    for (int i = 0; i < ninfo; i++) {
        char k[128];
        const char *eq = strchr(info[i], '=');
        snprintf(k, sizeof k, "%.*s", (int)(eq - info[i]), info[i]);
        cJSON_AddStringToObject(oi, k, eq + 1);
    }
    char *txt = NULL;
    size_t tlen = 0;
    FILE *t = open_memstream(&txt, &tlen);
    if (!t) return 3;
    for (int i = 0; i < ninfo; i++) fprintf(t, "%s\n", info[i]);
    /* iCE40 after place and route */
    cJSON *ice = pnr ? cJSON_AddObjectToObject(out, "ice40") : cJSON_CreateObject();
    cJSON *ou = cJSON_AddObjectToObject(ice, "utilization");
    if (pnr)
        fprintf(t, "\niCE40 place and route (nextpnr-ice40)\n  %-14s %8s %9s %6s\n", "resource",
                "used", "available", "%");
    const cJSON *r;
    cJSON_ArrayForEach(r, util)
    {
        double used = cJSON_GetNumberValue(get(r, "used")),
               av = cJSON_GetNumberValue(get(r, "available"));
        cJSON *o = cJSON_AddObjectToObject(ou, r->string);
        cJSON_AddNumberToObject(o, "used", used);
        cJSON_AddNumberToObject(o, "available", av);
        if (used > 0)
            fprintf(t, "  %-14s %8.0f %9.0f %5.1f%%\n", r->string, used, av,
                    av > 0 ? 100 * used / av : 0);
    }
    cJSON *of = cJSON_AddObjectToObject(ice, "fmax_mhz");
    cJSON_ArrayForEach(r, fmax)
    {
        double a = cJSON_GetNumberValue(get(r, "achieved")),
               c = cJSON_GetNumberValue(get(r, "constraint"));
        cJSON_AddNumberToObject(of, r->string, a);
        fprintf(t, "  Fmax %s: %.2f MHz (constraint %.0f MHz)\n", r->string, a, c);
    }
    /* the register-to-register critical path: total delay and logic levels */
    const cJSON *cp;
    cJSON_ArrayForEach(cp, crit)
    {
        const char *from = cJSON_GetStringValue(get(cp, "from")),
                   *to = cJSON_GetStringValue(get(cp, "to"));
        if (!from || !to || strncmp(from, "posedge", 7) || strncmp(to, "posedge", 7)) continue;
        double total = 0;
        int levels = 0;
        const char *start = NULL, *end = NULL;
        const cJSON *seg;
        cJSON_ArrayForEach(seg, get(cp, "path"))
        {
            total += cJSON_GetNumberValue(get(seg, "delay"));
            const char *ty = cJSON_GetStringValue(get(seg, "type"));
            if (ty && !strcmp(ty, "logic")) levels++;
            const cJSON *f = get(seg, "from"), *tt = get(seg, "to");
            if (!start && f) start = cJSON_GetStringValue(get(f, "cell"));
            if (tt) end = cJSON_GetStringValue(get(tt, "cell"));
        }
        cJSON *oc = cJSON_AddObjectToObject(ice, "critical_path");
        cJSON_AddNumberToObject(oc, "delay_ns", total);
        cJSON_AddNumberToObject(oc, "logic_levels", levels);
        cJSON_AddStringToObject(oc, "from", start ? start : "?");
        cJSON_AddStringToObject(oc, "to", end ? end : "?");
        fprintf(t, "  critical path: %.2f ns, %d logic cells\n    from %s\n    to   %s\n", total,
                levels, start ? start : "?", end ? end : "?");
        break;
    }
    if (!pnr) cJSON_Delete(ice);
    /* Xilinx 7-series, whole array; utilization when a part is named */
    cJSON *ox = cJSON_AddObjectToObject(out, "xilinx");
    char xname[64] = "";
    double xluts = 0, xdsps = 0;
    if (xpart && sscanf(xpart, "%63[^,],%lf,%lf", xname, &xluts, &xdsps) == 3)
        cJSON_AddStringToObject(ox, "part", xname);
    else
        xname[0] = 0;
    fprintf(t, "\nXilinx 7-series whole array (synth_xilinx, out of context)%s%s\n",
            xname[0] && !pnr ? " against " : "", xname[0] && !pnr ? xname : "");
    for (int c = 0; c < N_XCLASS; c++) {
        double n = 0;
        const cJSON *cell;
        cJSON_ArrayForEach(cell,
                           xcells) for (int k = 0; k < 6 && xclasses[c].prefixes[k];
                                        k++) if (!strcmp(cell->string, xclasses[c].prefixes[k]))
            n += cJSON_GetNumberValue(cell);
        cJSON_AddNumberToObject(ox, xclasses[c].name, n);
        double avail = !pnr && xname[0] ? (c == 0 ? xluts : c == 2 ? xdsps : 0) : 0;
        if (avail > 0)
            fprintf(t, "  %-6s %8.0f of %6.0f  %5.1f%%\n", xclasses[c].name, n, avail,
                    100 * n / avail);
        else
            fprintf(t, "  %-6s %8.0f\n", xclasses[c].name, n);
    }
    fclose(t);
    char *md = NULL;
    size_t mlen = 0;
    FILE *m = open_memstream(&md, &mlen);
    if (!m || !txt) return 3;
    write_md(m, out);
    fclose(m);
    int rc = mxf_write_file_atomic(tout, txt, strlen(txt), &e) || save_json(jout, out, &e) ||
             (mout && mxf_write_file_atomic(mout, md, strlen(md), &e));
    cJSON_Delete(out), cJSON_Delete(p), cJSON_Delete(x);
    if (rc)
        fprintf(stderr, "fpga_report: %s\n", e.msg);
    else
        fputs(txt, stdout);
    free(md), free(txt);
    return rc ? 2 : 0;
}
