/* Benes permutation network: wiring and router (the looping algorithm, Waksman 1968 / Benes 1965;
 * docs/recon.md section 8 has the definition and how the MicroScopiQ array uses it for NET=benes).
 *
 * A Benes network of W ports (a power of two, 2..256) has S = 2 log2(W) - 1 stages of W/2 2x2
 * switches; each switch passes (bit 0: in0 -> out0, in1 -> out1) or crosses (bit 1). It is
 * rearrangeable: every permutation of the W inputs is realized by some setting of the switches,
 * so every placement routes. The wiring is defined recursively; a stage s has a row vector
 * v[s][0..W-1] (v[0] the inputs, v[S] the outputs) and switch (s, i) reads rows in[0], in[1] of
 * v[s] and writes rows out[0], out[1] of v[s+1]:
 *   - W = 2: one switch, rows 0, 1 -> 0, 1;
 *   - W > 2 at row offset o: first-stage switch i (global index o/2 + i) reads rows o + 2i,
 *     o + 2i + 1 and writes row o + i (the upper half-size network's input i) and o + W/2 + i
 *     (the lower's); last-stage switch i reads rows o + i and o + W/2 + i (the two sub-networks'
 *     outputs i) and writes o + 2i, o + 2i + 1; the stages between are the two sub-networks at
 *     offsets o and o + W/2. */
#ifndef MXF_BENES_H
#define MXF_BENES_H

#include <stdint.h>

#include "err.h"

#define MXF_BENES_MAX_WIDTH 256
#define MXF_BENES_MAX_STAGES 15 /* 2 log2(256) - 1 */

typedef struct mxf_benes_switch {
    uint16_t in[2], out[2]; /* rows of v[s] read, rows of v[s+1] written */
} mxf_benes_switch;

/* The wiring of a W-port network: sw[s * W/2 + i] for stage s, switch i. Returns the number of
 * stages, or -1 if W is not a power of two in [2, 256]. sw holds at least S * W / 2 entries. */
int mxf_benes_wiring(int width, mxf_benes_switch *sw);
int mxf_benes_stages(int width); /* 2 log2(W) - 1, or -1 */

/* Switch settings (bits[s * W/2 + i] = 0 pass, 1 cross) that send input x to output dst[x];
 * dst must be a permutation of 0..W-1. 0, or -1 with err for a bad width or not a permutation. */
int mxf_benes_route(int width, const int *dst, uint8_t *bits, mxf_err *err);

/* Applies the network to the values in[0..W-1]: out[y] is the value that reaches output y. */
void mxf_benes_apply(int width, const uint8_t *bits, const int64_t *in, int64_t *out);

#endif
