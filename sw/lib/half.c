/* bfloat16 / IEEE half conversions. */
#include "half.h"

#include <fp16.h>
#include <string.h>

float mxf_bf16_to_f32(uint16_t h)
{
    uint32_t b = (uint32_t)h << 16;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

uint16_t mxf_f32_to_bf16(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    if ((b & 0x7F800000u) == 0x7F800000u && (b & 0x007FFFFFu))
        return (uint16_t)((b >> 16) | 0x0040u); /* NaN: keep sign and top payload, force quiet */
    uint32_t lsb = (b >> 16) & 1u;
    return (uint16_t)((b + 0x7FFFu + lsb) >> 16); /* RNE; overflow carries into Inf correctly */
}

float mxf_fp16_to_f32(uint16_t h)
{
    return fp16_ieee_to_fp32_value(h);
}
uint16_t mxf_f32_to_fp16(float f)
{
    return fp16_ieee_from_fp32_value(f);
}
