/* 16-bit float conversions: IEEE binary16 (via libfp16) and bfloat16 (here). Both directions
 * round to nearest even; NaN stays NaN (quieted), Inf stays Inf. */
#ifndef MXF_HALF_H
#define MXF_HALF_H

#include <stdint.h>

float mxf_bf16_to_f32(uint16_t h);
/* Round to nearest even; NaN -> quiet NaN with the same sign (payload kept where it fits). */
uint16_t mxf_f32_to_bf16(float f);
float mxf_fp16_to_f32(uint16_t h);
uint16_t mxf_f32_to_fp16(float f);

#endif
