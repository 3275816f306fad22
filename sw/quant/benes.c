/* Benes network wiring and the looping router; see benes.h. */
#include "benes.h"

#include <string.h>

int mxf_benes_stages(int width)
{
    if (width < 2 || width > MXF_BENES_MAX_WIDTH || (width & (width - 1))) return -1;
    int l = 0;
    while ((1 << l) < width) l++;
    return 2 * l - 1;
}

/* The sub-network of n ports at row offset o whose first stage is `depth`. */
static void wire(int W, int S, int n, int o, int depth, mxf_benes_switch *sw)
{
    const int h = n / 2, first = depth, last = S - 1 - depth;
    if (n == 2) {
        sw[first * (W / 2) + o / 2] =
            (mxf_benes_switch){{(uint16_t)o, (uint16_t)(o + 1)}, {(uint16_t)o, (uint16_t)(o + 1)}};
        return;
    }
    for (int i = 0; i < h; i++) {
        sw[first * (W / 2) + o / 2 + i] =
            (mxf_benes_switch){{(uint16_t)(o + 2 * i), (uint16_t)(o + 2 * i + 1)},
                               {(uint16_t)(o + i), (uint16_t)(o + h + i)}};
        sw[last * (W / 2) + o / 2 + i] =
            (mxf_benes_switch){{(uint16_t)(o + i), (uint16_t)(o + h + i)},
                               {(uint16_t)(o + 2 * i), (uint16_t)(o + 2 * i + 1)}};
    }
    wire(W, S, h, o, depth + 1, sw);
    wire(W, S, h, o + h, depth + 1, sw);
}

int mxf_benes_wiring(int width, mxf_benes_switch *sw)
{
    const int S = mxf_benes_stages(width);
    if (S < 0) return -1;
    wire(width, S, width, 0, 0, sw);
    return S;
}

/* Looping algorithm on the sub-network of n ports at offset o (first stage `depth`); dst is the
 * local permutation (input j -> output dst[j]). */
static void route(int W, int S, int n, int o, int depth, const int *dst, uint8_t *bits)
{
    const int h = n / 2, first = depth, last = S - 1 - depth;
    if (n == 2) {
        bits[first * (W / 2) + o / 2] = dst[0] == 1;
        return;
    }
    int inv[MXF_BENES_MAX_WIDTH], color[MXF_BENES_MAX_WIDTH]; /* 0: upper sub-network */
    for (int x = 0; x < n; x++) {
        inv[dst[x]] = x;
        color[x] = -1;
    }
    for (int i = 0; i < h; i++) {
        int x = 2 * i;
        /* x goes upper, its switch partner lower; the partner's output shares its last-stage
           switch with an output that must then come from the upper network: follow its input */
        while (color[x] < 0) {
            color[x] = 0;
            color[x ^ 1] = 1;
            x = inv[dst[x ^ 1] ^ 1];
        }
    }
    int du[MXF_BENES_MAX_WIDTH / 2], dl[MXF_BENES_MAX_WIDTH / 2];
    for (int i = 0; i < h; i++) {
        const int up = color[2 * i] == 0 ? 2 * i : 2 * i + 1;
        bits[first * (W / 2) + o / 2 + i] = up != 2 * i;
        du[i] = dst[up] / 2;
        dl[i] = dst[up ^ 1] / 2;
        /* last-stage switch i: in0 from the upper network; cross when output 2i comes from the
           lower one */
        bits[last * (W / 2) + o / 2 + i] = color[inv[2 * i]] == 1;
    }
    route(W, S, h, o, depth + 1, du, bits);
    route(W, S, h, o + h, depth + 1, dl, bits);
}

int mxf_benes_route(int width, const int *dst, uint8_t *bits, mxf_err *err)
{
    const int S = mxf_benes_stages(width);
    if (S < 0)
        return mxf_fail(err, "Benes network: width %d is not a power of two in [2, %d]", width,
                        MXF_BENES_MAX_WIDTH);
    unsigned char seen[MXF_BENES_MAX_WIDTH] = {0};
    for (int x = 0; x < width; x++) {
        if (dst[x] < 0 || dst[x] >= width || seen[dst[x]])
            return mxf_fail(err, "Benes network: destination %d of input %d is %s", dst[x], x,
                            dst[x] < 0 || dst[x] >= width ? "out of range" : "taken twice");
        seen[dst[x]] = 1;
    }
    memset(bits, 0, (size_t)S * (size_t)(width / 2));
    route(width, S, width, 0, 0, dst, bits);
    return 0;
}

void mxf_benes_apply(int width, const uint8_t *bits, const int64_t *in, int64_t *out)
{
    mxf_benes_switch sw[MXF_BENES_MAX_STAGES * MXF_BENES_MAX_WIDTH / 2];
    const int S = mxf_benes_wiring(width, sw);
    int64_t v[MXF_BENES_MAX_WIDTH], nv[MXF_BENES_MAX_WIDTH];
    if (S < 0) return;
    memcpy(v, in, sizeof(int64_t) * (size_t)width);
    for (int s = 0; s < S; s++) {
        for (int i = 0; i < width / 2; i++) {
            const mxf_benes_switch *w = &sw[s * (width / 2) + i];
            const int c = bits[s * (width / 2) + i] & 1;
            nv[w->out[0]] = v[w->in[c]];
            nv[w->out[1]] = v[w->in[c ^ 1]];
        }
        memcpy(v, nv, sizeof(int64_t) * (size_t)width);
    }
    memcpy(out, v, sizeof(int64_t) * (size_t)width);
}
