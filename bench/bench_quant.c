/* Quantize + pack throughput per weight format on one core (weights/s), on a seeded synthetic
 * opt-1.3b fc1-shaped tensor. Prints figures and the targets; never asserts on time.
 * Usage: bench_quant [ROWS COLS]  (default 8192 2048). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "parse.h"
#include "qformat.h"
#include "synthetic.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long rows = 8192, cols = 2048;
    mxf_err err;
    if (argc == 3 && (mxf_parse_int(argv[1], "ROWS", 1, 1 << 20, &rows, &err) ||
                      mxf_parse_int(argv[2], "COLS", 1, 1 << 20, &cols, &err))) {
        fprintf(stderr, "bench_quant: %s\n", err.msg);
        return 2;
    }
    if (argc != 1 && argc != 3) {
        fprintf(stderr, "usage: bench_quant [ROWS COLS]\n");
        return 2;
    }
    float *W = malloc(sizeof(float) * (size_t)rows * (size_t)cols);
    if (!W) return 1;
    mxf_synth_params sp;
    mxf_synth_default_params(&sp);
    if (mxf_synth_weights(&sp, 1, "bench.fc1", rows, cols, W, &err)) {
        fprintf(stderr, "bench_quant: %s\n", err.msg);
        return 1;
    }
    static const struct {
        const char *spec;
        double target;
    } F[] = {
        {"mxfp8_e4m3", 100e6}, {"mxfp8_e5m2", 100e6},  {"mxfp6_e2m3", 100e6},
        {"mxfp6_e3m2", 100e6}, {"mxfp4", 100e6},       {"mxint8", 100e6},
        {"mxint4", 100e6},     {"mxint2/128", 100e6},  {"nxfp4", 20e6},
        {"nxfp5", 20e6},       {"nxfp6", 20e6},        {"nxfp4:am=0,cr=off", 20e6},
        {"fineq", 50e6},       {"microscopiq2", 20e6}, {"microscopiq4", 20e6},
    };
    printf("quantize+pack, %ldx%ld weights, one core\n", rows, cols);
    printf("%-22s %14s %10s %8s\n", "format", "weights/s", "target", "met");
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
        mxf_qformat f;
        if (mxf_qformat_parse(F[i].spec, &f, &err)) {
            fprintf(stderr, "bench_quant: %s\n", err.msg);
            return 1;
        }
        mxf_qtensor q;
        double best = 0;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            if (mxf_quantize(&f, W, rows, cols, &q, &err)) {
                fprintf(stderr, "bench_quant: %s\n", err.msg);
                return 1;
            }
            double dt = now() - t0;
            mxf_qtensor_free(&q);
            double r = (double)rows * (double)cols / dt;
            if (r > best) best = r;
        }
        printf("%-22s %12.1f M %8.0f M %8s\n", F[i].spec, best / 1e6, F[i].target / 1e6,
               best >= F[i].target ? "yes" : "no");
    }
    free(W);
    return 0;
}
