/* libFuzzer harness: the safetensors reader (mxf_st_open / mxf_st_read_f32, sw/io/safetensors.c),
 * which is also the calibration reader (`--calib` goes through the same entry point). The input
 * is written to a temp file (the reader maps files) and every tensor of a file that opens is
 * converted to F32. Built by `make fuzz` (docs/fuzzing.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(path, sizeof path, "%s/mxf-fuzz-st-%d.safetensors", dir, (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return 0;
    }
    fclose(f);
    mxf_st st;
    mxf_err e;
    if (mxf_st_open(path, &st, &e) == 0) {
        for (int i = 0; i < st.n; i++) {
            int64_t n = mxf_st_numel(&st.t[i]);
            float *w = malloc(sizeof(float) * (size_t)(n ? n : 1));
            if (!w) continue;
            (void)mxf_st_read_f32(&st, i, w, &e);
            free(w);
        }
        mxf_st_close(&st);
    }
    unlink(path);
    return 0;
}
