/* libFuzzer harness: the generator's config parsing (mxf_hwcfg_parse_args, gen/core/registry.c),
 * the path every harness takes from MXF_CONFIG_ARGS or a manifest's "args" back to a config.
 * A string that parses must print (mxf_hwcfg_args) to canonical arguments that parse again to
 * the same canonical arguments and config name, and its block must give a port table with a
 * strobe and positive widths. Built by `make fuzz` (docs/fuzzing.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1000) return 0;
    char s[1001];
    memcpy(s, data, size);
    s[size] = 0;
    mxf_hwcfg c, d;
    mxf_err e;
    if (mxf_hwcfg_parse_args(&c, s, &e)) return 0;
    char a1[512], a2[512], n1[128], n2[128];
    mxf_hwcfg_args(&c, a1, sizeof a1);
    if (mxf_hwcfg_parse_args(&d, a1, &e)) abort(); /* canonical arguments must parse */
    mxf_hwcfg_args(&d, a2, sizeof a2);
    mxf_hwcfg_name(&c, n1, sizeof n1);
    mxf_hwcfg_name(&d, n2, sizeof n2);
    if (strcmp(a1, a2) || strcmp(n1, n2)) abort();
    mxf_port p[MXF_BLOCK_MAX_PORTS];
    int n = mxf_hwcfg_ports(&c, p);
    if (n <= 0 || mxf_port_strobe(p, n) < 0) abort();
    for (int i = 0; i < n; i++)
        if (p[i].width < 1) abort();
    return 0;
}
