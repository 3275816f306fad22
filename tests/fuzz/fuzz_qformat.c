/* libFuzzer harness: the format-spec parser (mxf_qformat_parse, sw/formats/qformat.c). A spec
 * that parses must print (mxf_qformat_spec) to a canonical spec that parses again to the same
 * canonical spec and format id, and must size a small tensor without error. Built by
 * `make fuzz` (docs/fuzzing.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qformat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024) return 0;
    char s[1025];
    memcpy(s, data, size);
    s[size] = 0;
    mxf_qformat f, g;
    mxf_err e;
    if (mxf_qformat_parse(s, &f, &e)) return 0;
    char c1[512], c2[512];
    mxf_qformat_spec(&f, c1, sizeof c1);
    if (mxf_qformat_parse(c1, &g, &e)) abort(); /* the canonical spec must parse */
    mxf_qformat_spec(&g, c2, sizeof c2);
    if (strcmp(c1, c2) || mxf_qformat_id(&f) != mxf_qformat_id(&g)) abort();
    size_t cl, ml;
    if (mxf_qformat_sizes(&f, 128, 96, &cl, &ml, &e)) abort();
    (void)mxf_qformat_nominal_bits(&f);
    char nm[64];
    mxf_qformat_name(&f, nm, sizeof nm);
    return 0;
}
