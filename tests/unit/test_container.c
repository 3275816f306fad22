/* Tensor-level formats (layouts, round trips), the packed weight image (round trip and every
 * corruption the reader must catch), safetensors (dtypes, sharding, bad input), synthetic
 * tensors and accuracy metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fileio.h"
#include "half.h"
#include "image.h"
#include "qformat.h"
#include "qmetrics.h"
#include "rng.h"
#include "safetensors.h"
#include "synthetic.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mxf-test-container-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void tpath(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tmpdir, name);
}

static float *rand_w(int64_t rows, int64_t cols, uint64_t seed)
{
    float *w = malloc(sizeof(float) * (size_t)(rows * cols));
    mxf_rng r;
    mxf_rng_seed(&r, seed);
    for (int64_t i = 0; i < rows * cols; i++) {
        w[i] = (float)(mxf_rng_normal(&r) * 0.02);
        if (mxf_rng_range(&r, 0, 99) == 0) w[i] *= 10;
    }
    return w;
}

static const char *ALL[] = {"mxfp8_e4m3",
                            "mxfp8_e5m2",
                            "mxfp6_e2m3",
                            "mxfp6_e3m2",
                            "mxfp4",
                            "mxint8",
                            "mxint2",
                            "mxint4",
                            "mxint2/128",
                            "mxint4/128",
                            "mxint8/128",
                            "nxfp4",
                            "nxfp5",
                            "nxfp6",
                            "fineq",
                            "fineq:group=9,rescue=0",
                            "mxfp4:block=7,round=away",
                            "nxfp4:block=5,nano=1,am=0,cr=fixed"};

/* Every format: dequantized tensor equals a block-by-block reference built here from the block
 * codecs (tests gather/scatter, packing and padding), spec round trip, and size formula. */
static void every_format_roundtrip(void **state)
{
    (void)state;
    const int64_t shapes[3][2] = {{37, 70}, {130, 64}, {1, 1}};
    for (size_t k = 0; k < sizeof ALL / sizeof ALL[0]; k++)
        for (int s = 0; s < 3; s++) {
            mxf_qformat f, f2;
            mxf_err e;
            assert_int_equal(mxf_qformat_parse(ALL[k], &f, &e), 0);
            char spec[512], spec2[512];
            mxf_qformat_spec(&f, spec, sizeof spec);
            assert_int_equal(mxf_qformat_parse(spec, &f2, &e), 0);
            mxf_qformat_spec(&f2, spec2, sizeof spec2);
            assert_string_equal(spec, spec2);
            int64_t R = shapes[s][0], C = shapes[s][1];
            float *w = rand_w(R, C, 100 + k * 3 + (uint64_t)s);
            float *d = malloc(sizeof(float) * (size_t)(R * C));
            float *ref = malloc(sizeof(float) * (size_t)(R * C));
            mxf_qtensor q;
            assert_int_equal(mxf_quantize(&f, w, R, C, &q, &e), 0);
            assert_int_equal(mxf_dequantize(&q, d, &e), 0);
            /* reference */
            float x[1024], y[1024];
            uint8_t c[1024];
            if (f.family == MXF_QF_FINEQ) {
                int64_t kp = (C + 2) / 3 * 3;
                for (int64_t r = 0; r < R; r++)
                    for (int64_t c0 = 0; c0 < kp; c0 += f.fq.group) {
                        int n = (int)(kp - c0 < f.fq.group ? kp - c0 : f.fq.group);
                        for (int i = 0; i < n; i++) x[i] = c0 + i < C ? w[r * C + c0 + i] : 0;
                        uint16_t h;
                        mxf_fineq_quantize_group(&f.fq, x, n, &h, c);
                        mxf_fineq_dequant_group(h, c, n, y);
                        for (int i = 0; i < n && c0 + i < C; i++) ref[r * C + c0 + i] = y[i];
                    }
            } else {
                int B = f.family == MXF_QF_MX      ? f.mx.block
                        : f.family == MXF_QF_MXINT ? f.mxint.block
                                                   : f.nx.block;
                int alongn = f.family == MXF_QF_MXINT && f.axis == MXF_AXIS_N;
                int64_t outer = alongn ? C : R, inner = alongn ? R : C;
                for (int64_t o = 0; o < outer; o++)
                    for (int64_t i0 = 0; i0 < inner; i0 += B) {
                        for (int i = 0; i < B; i++) {
                            int64_t ii = i0 + i;
                            x[i] = ii >= inner ? 0 : alongn ? w[ii * C + o] : w[o * C + ii];
                        }
                        if (f.family == MXF_QF_MX) {
                            uint8_t sc = mxf_mx_quantize_block(&f.mx, x, B, c);
                            mxf_mx_dequant_block(&f.mx, sc, c, B, y);
                        } else if (f.family == MXF_QF_MXINT) {
                            uint8_t sc = mxf_mxint_quantize_block(&f.mxint, x, B, c);
                            mxf_mxint_dequant_block(&f.mxint, sc, c, B, y);
                        } else {
                            mxf_nxfp_meta m;
                            mxf_nxfp_quantize_block(&f.nx, x, B, &m, c);
                            mxf_nxfp_dequant_block(&f.nx, &m, c, B, y);
                        }
                        for (int i = 0; i < B && i0 + i < inner; i++) {
                            int64_t ii = i0 + i;
                            if (alongn)
                                ref[ii * C + o] = y[i];
                            else
                                ref[o * C + ii] = y[i];
                        }
                    }
            }
            assert_memory_equal(d, ref, sizeof(float) * (size_t)(R * C));
            mxf_qtensor_free(&q);
            free(w);
            free(d);
            free(ref);
        }
}

static void layouts_by_hand(void **state)
{
    (void)state;
    mxf_qformat f;
    mxf_err e;
    mxf_qtensor q;
    /* MXFP6 E3M2, 4 elements 1.0, 2.0, -0.25, 28 in one block of 4: amax 28 -> X = 1 (2^4/2^4).
     * Codes (s|eee|mm, bias 3): 1.0 = 0 011 00 = 0x0C, 2.0 = 0 100 00 = 0x10,
     * -0.25 = 1 001 00 = 0x24, 28 = 0 111 11 = 0x1F. LSB-first 6-bit stream:
     * byte0 = c0 | c1<<6 = 0x0C | 0x00 = 0x0C; byte1 = c1>>2 | c2<<4 = 0x04 | 0x40 = 0x44;
     * byte2 = c2>>4 | c3<<2 = 0x02 | 0x7C = 0x7E. */
    assert_int_equal(mxf_qformat_parse("mxfp6_e3m2:block=4", &f, &e), 0);
    const float w6[4] = {1.0f, 2.0f, -0.25f, 28.0f};
    assert_int_equal(mxf_quantize(&f, w6, 1, 4, &q, &e), 0);
    assert_int_equal(q.codes_len, 3);
    assert_int_equal(q.codes[0], 0x0C);
    assert_int_equal(q.codes[1], 0x44);
    assert_int_equal(q.codes[2], 0x7E);
    assert_int_equal(q.meta[0], 127);
    mxf_qtensor_free(&q);
    /* mxint2/128 on 256 x 2: metadata order (row block, k) with k fastest */
    assert_int_equal(mxf_qformat_parse("mxint2/128", &f, &e), 0);
    float *w = calloc(512, sizeof(float));
    w[0 * 2 + 0] = 1.0f;   /* rows 0..127, k=0: I = 0 */
    w[5 * 2 + 1] = 4.0f;   /* rows 0..127, k=1: I = 2 */
    w[200 * 2 + 0] = 0.5f; /* rows 128..255, k=0: I = -1 */
    w[130 * 2 + 1] = -8.f; /* rows 128..255, k=1: I = 3 */
    assert_int_equal(mxf_quantize(&f, w, 256, 2, &q, &e), 0);
    assert_int_equal(q.meta_len, 4);
    assert_int_equal(q.meta[0], 127);
    assert_int_equal(q.meta[1], 129);
    assert_int_equal(q.meta[2], 126);
    assert_int_equal(q.meta[3], 130);
    assert_int_equal(q.codes_len, 4 * 32);
    assert_int_equal(q.codes[0], 0x01);           /* element 0 of block 0 = +1 */
    assert_int_equal(q.codes[32 + 1], 0x01 << 2); /* block 1 (k=1), element 5 -> byte 1 bits 3:2 */
    assert_int_equal(q.codes[96], 0x03 << 4);     /* block 3, element 2 (row 130) = -1 = 0b11 */
    mxf_qtensor_free(&q);
    free(w);
    /* sizes: mxfp4 2048x2048 is exactly 4.25 bits per weight; nxfp4 stores 16-bit metadata */
    size_t cl, ml;
    assert_int_equal(mxf_qformat_parse("mxfp4", &f, &e), 0);
    assert_int_equal(mxf_qformat_sizes(&f, 2048, 2048, &cl, &ml, &e), 0);
    assert_int_equal(cl, 2048 * 2048 / 2);
    assert_int_equal(ml, 2048 * 64);
    assert_true(mxf_qformat_nominal_bits(&f) == 4.25);
    assert_int_equal(mxf_qformat_parse("nxfp4", &f, &e), 0);
    assert_true(mxf_qformat_nominal_bits(&f) == 4.0 + 13.0 / 32);
    assert_int_equal(mxf_qformat_sizes(&f, 2, 64, &cl, &ml, &e), 0);
    assert_int_equal(ml, 8);
    assert_int_equal(mxf_qformat_parse("fineq", &f, &e), 0);
    assert_int_equal(mxf_qformat_sizes(&f, 3, 100, &cl, &ml, &e), 0);
    assert_int_equal(cl, 3 * 34);
    assert_int_equal(ml, 3 * 2 * 2);
}

static void spec_errors(void **state)
{
    (void)state;
    mxf_qformat f;
    mxf_err e;
    assert_int_equal(mxf_qformat_parse("mxfp3", &f, &e), -1);
    assert_non_null(strstr(e.msg, "format=mxfp3: unknown format"));
    assert_int_equal(mxf_qformat_parse("nxfp4:nano=3", &f, &e), -1);
    assert_non_null(strstr(e.msg, "nano"));
    assert_int_equal(mxf_qformat_parse("nxfp4:bogus=1", &f, &e), -1);
    assert_non_null(strstr(e.msg, "unknown parameter 'bogus'"));
    assert_int_equal(mxf_qformat_parse("fineq:group=100", &f, &e), -1);
    assert_non_null(strstr(e.msg, "multiple of 3"));
    assert_int_equal(mxf_qformat_parse("mxfp4:block=abc", &f, &e), -1);
    assert_int_equal(mxf_qformat_parse("mxfp4:block", &f, &e), -1);
    float w[4] = {1, 2, NAN, 4};
    mxf_qtensor q;
    assert_int_equal(mxf_qformat_parse("mxfp4", &f, &e), 0);
    assert_int_equal(mxf_quantize(&f, w, 2, 2, &q, &e), -1);
    assert_non_null(strstr(e.msg, "weight[1][0]"));
}

/* ---- image ---- */

static unsigned char *slurp(const char *p, size_t *len)
{
    unsigned char *d;
    mxf_err e;
    assert_int_equal(mxf_read_file(p, &d, len, &e), 0);
    return d;
}

static void spit(const char *p, const unsigned char *d, size_t len)
{
    mxf_err e;
    assert_int_equal(mxf_write_file_atomic(p, d, len, &e), 0);
}

static uint32_t rd32(const unsigned char *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void refresh_header_crc(unsigned char *d)
{
    uint32_t hl = rd32(d + 12);
    wr32(d + hl - 4, (uint32_t)crc32(0, d, hl - 4));
}

static void expect_read_error(const char *path, const char *pat)
{
    mxf_image img;
    mxf_err e;
    assert_int_equal(mxf_image_read(path, &img, &e), -1);
    if (!strstr(e.msg, pat)) fail_msg("message '%s' lacks '%s'", e.msg, pat);
    assert_non_null(strstr(e.msg, path));
}

static void image_roundtrip_and_corruption(void **state)
{
    (void)state;
    char p[512], bad[512];
    tpath(p, sizeof p, "w.img");
    tpath(bad, sizeof bad, "bad.img");
    for (size_t k = 0; k < sizeof ALL / sizeof ALL[0]; k++) {
        mxf_qformat f;
        mxf_err e;
        assert_int_equal(mxf_qformat_parse(ALL[k], &f, &e), 0);
        float *w1 = rand_w(64, 96, 7 + k), *w2 = rand_w(33, 30, 8 + k);
        mxf_qtensor q[2];
        assert_int_equal(mxf_quantize(&f, w1, 64, 96, &q[0], &e), 0);
        assert_int_equal(mxf_quantize(&f, w2, 33, 30, &q[1], &e), 0);
        const char *names[2] = {"layers.0.q_proj", "layers.0.fc1"};
        assert_int_equal(mxf_image_write(p, 2, names, q, &e), 0);
        mxf_image img;
        if (mxf_image_read(p, &img, &e)) fail_msg("%s", e.msg);
        assert_int_equal(img.n, 2);
        for (int i = 0; i < 2; i++) {
            mxf_qtensor v;
            mxf_image_view(&img, mxf_image_find(&img, names[i]), &v);
            assert_int_equal(v.rows, q[i].rows);
            assert_int_equal(v.codes_len, q[i].codes_len);
            assert_memory_equal(v.codes, q[i].codes, q[i].codes_len);
            assert_memory_equal(v.meta, q[i].meta, q[i].meta_len);
            assert_int_equal(v.codes - img.data, (v.codes - img.data) / 64 * 64);
            float *a = malloc(sizeof(float) * (size_t)(v.rows * v.cols));
            float *b = malloc(sizeof(float) * (size_t)(v.rows * v.cols));
            assert_int_equal(mxf_dequantize(&v, a, &e), 0);
            assert_int_equal(mxf_dequantize(&q[i], b, &e), 0);
            assert_memory_equal(a, b, sizeof(float) * (size_t)(v.rows * v.cols));
            free(a);
            free(b);
        }
        mxf_image_free(&img);
        mxf_qtensor_free(&q[0]);
        mxf_qtensor_free(&q[1]);
        free(w1);
        free(w2);
    }
    /* corruptions of the last image written */
    size_t len;
    unsigned char *d = slurp(p, &len);
    unsigned char *c = malloc(len);
    uint32_t hl = rd32(d + 12);
    memcpy(c, d, len);
    c[0] = 'X';
    spit(bad, c, len);
    expect_read_error(bad, "magic");
    memcpy(c, d, len);
    wr32(c + 8, 2);
    spit(bad, c, len);
    expect_read_error(bad, "version: 2 unsupported");
    memcpy(c, d, len);
    c[40] ^= 1; /* inside the spec text */
    spit(bad, c, len);
    expect_read_error(bad, "header_crc");
    memcpy(c, d, len);
    c[len - 70] ^= 0x10; /* inside the last section */
    spit(bad, c, len);
    expect_read_error(bad, "_crc: stored");
    memcpy(c, d, len);
    c[len - 1] = 7; /* tail padding */
    spit(bad, c, len);
    expect_read_error(bad, "padding: byte at offset");
    memcpy(c, d, len);
    spit(bad, c, len - 40); /* only padding lost */
    expect_read_error(bad, "file_len: header says");
    expect_read_error(bad, "truncated");
    spit(bad, c, (hl + 63) / 64 * 64 + 65); /* cut inside the first section */
    expect_read_error(bad, "codes section");
    expect_read_error(bad, "beyond the end of the file (");
    spit(bad, c, hl - 10);
    expect_read_error(bad, "header_len");
    spit(bad, c, 5);
    expect_read_error(bad, "magic");
    unsigned char *c2 = malloc(len + 64);
    memcpy(c2, d, len);
    memset(c2 + len, 0, 64);
    spit(bad, c2, len + 64);
    expect_read_error(bad, "trailing bytes");
    free(c2);
    /* overlap: point the second tensor's codes at the first tensor's codes */
    memcpy(c, d, len);
    {
        size_t pos = 34 + (rd32(d + 32) & 0xFFFF);
        size_t nl0 = c[pos] | c[pos + 1] << 8;
        size_t e0 = pos + 2 + nl0; /* first entry after its name */
        unsigned char codes0[8];
        memcpy(codes0, c + e0 + 20, 8); /* codes_off of tensor 0 */
        size_t pos1 = e0 + 60;
        size_t nl1 = c[pos1] | c[pos1 + 1] << 8;
        memcpy(c + pos1 + 2 + nl1 + 20, codes0, 8);
        refresh_header_crc(c);
    }
    spit(bad, c, len);
    expect_read_error(bad, "overlap");
    /* wrong section size for the shape */
    memcpy(c, d, len);
    {
        size_t pos = 34 + (rd32(d + 32) & 0xFFFF);
        size_t nl0 = c[pos] | c[pos + 1] << 8;
        c[pos + 2 + nl0 + 4] ^= 1; /* rows */
        refresh_header_crc(c);
    }
    spit(bad, c, len);
    expect_read_error(bad, "codes_len");
    /* unknown format spec */
    memcpy(c, d, len);
    memcpy(c + 34, "zz", 2);
    refresh_header_crc(c);
    spit(bad, c, len);
    expect_read_error(bad, "format spec");
    free(c);
    free(d);
    /* writing into a missing directory fails and leaves nothing */
    mxf_qtensor q;
    mxf_qformat f;
    mxf_err e;
    float w[2] = {1, 2};
    assert_int_equal(mxf_qformat_parse("mxfp4", &f, &e), 0);
    assert_int_equal(mxf_quantize(&f, w, 1, 2, &q, &e), 0);
    const char *nm[1] = {"x"};
    char nodir[512];
    tpath(nodir, sizeof nodir, "nodir/x.img");
    assert_int_equal(mxf_image_write(nodir, 1, nm, &q, &e), -1);
    assert_int_equal(access(nodir, F_OK), -1);
    mxf_qtensor_free(&q);
}

/* ---- safetensors ---- */

/* MicroScopiQ metadata has a data-dependent length: an image must hold between 3 bytes (scale +
 * bitmap) and 67 bytes (every uB with outliers) per MaB; outside that range the reader names
 * the range. */
static void image_msq_meta_len_range(void **state)
{
    (void)state;
    char p[512], bad[512];
    tpath(p, sizeof p, "msq.img");
    tpath(bad, sizeof bad, "msq-bad.img");
    mxf_qformat f;
    mxf_qtensor q;
    mxf_err e;
    assert_int_equal(mxf_qformat_parse("microscopiq2", &f, &e), 0);
    float *w = rand_w(64, 96, 3);
    assert_int_equal(mxf_quantize(&f, w, 64, 96, &q, &e), 0);
    const char *nm[1] = {"layers.0.fc1"};
    assert_int_equal(mxf_image_write(p, 1, nm, &q, &e), 0);
    size_t len;
    unsigned char *d = slurp(p, &len);
    const size_t pos = 34 + (rd32(d + 32) & 0xFFFF), nl = d[pos] | d[pos + 1] << 8;
    unsigned char *ml = d + pos + 2 + nl + 48; /* meta_len of the only tensor */
    assert_int_equal(rd32(ml), q.meta_len);
    static const uint32_t bad_len[2] = {96 * 3 - 1, 96 * 67 + 1}; /* 96 MaBs */
    for (int k = 0; k < 2; k++) {
        wr32(ml, bad_len[k]);
        refresh_header_crc(d);
        spit(bad, d, len);
        char want[64];
        snprintf(want, sizeof want, "meta_len %u, shape 64x96 in", bad_len[k]);
        expect_read_error(bad, want);
        expect_read_error(bad, "needs 288..6432");
    }
    free(d);
    free(w);
    mxf_qtensor_free(&q);
}

static void write_st(const char *path, const char *json, const unsigned char *data, size_t dlen)
{
    size_t hl = strlen(json);
    unsigned char *b = malloc(8 + hl + dlen);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, json, hl);
    if (dlen) memcpy(b + 8 + hl, data, dlen);
    spit(path, b, 8 + hl + dlen);
    free(b);
}

static void expect_st_error(const char *path, const char *pat)
{
    mxf_st st;
    mxf_err e;
    int rc = mxf_st_open(path, &st, &e);
    if (rc == 0) {
        /* errors found only when reading values */
        for (int i = 0; i < st.n && rc == 0; i++) {
            float *o = malloc(sizeof(float) * (size_t)(mxf_st_numel(&st.t[i]) + 1));
            rc = mxf_st_read_f32(&st, i, o, &e);
            free(o);
        }
        mxf_st_close(&st);
    }
    assert_int_equal(rc, -1);
    if (!strstr(e.msg, pat)) fail_msg("message '%s' lacks '%s'", e.msg, pat);
}

static void safetensors_dtypes_and_errors(void **state)
{
    (void)state;
    char p[512];
    tpath(p, sizeof p, "a.safetensors");
    /* F16: 1.0 = 0x3C00, -2.0 = 0xC000; BF16: 1.0 = 0x3F80, 3.140625 = 0x4049; F32 0.5 */
    const unsigned char data[] = {0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F,
                                  0x49, 0x40, 0x00, 0x00, 0x00, 0x3F};
    write_st(p,
             "{\"__metadata__\":{\"format\":\"pt\"},"
             "\"h\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[0,4]},"
             "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]},"
             "\"f\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]}}",
             data, sizeof data);
    mxf_st st;
    mxf_err e;
    if (mxf_st_open(p, &st, &e)) fail_msg("%s", e.msg);
    assert_int_equal(st.n, 3);
    float o[2];
    assert_int_equal(mxf_st_read_f32(&st, mxf_st_find(&st, "h"), o, &e), 0);
    assert_true(o[0] == 1.0f && o[1] == -2.0f);
    assert_int_equal(mxf_st_read_f32(&st, mxf_st_find(&st, "b"), o, &e), 0);
    assert_true(o[0] == 1.0f && o[1] == 3.140625f);
    assert_int_equal(mxf_st_read_f32(&st, mxf_st_find(&st, "f"), o, &e), 0);
    assert_true(o[0] == 0.5f);
    mxf_st_close(&st);

    /* writer round trip */
    float w[6] = {1, -2, 3.5f, 0, 1e-3f, -7};
    const float *dp[1] = {w};
    const char *nm[1] = {"model.w"};
    int64_t r = 2, c = 3;
    assert_int_equal(mxf_st_write_f32(p, 1, nm, &r, &c, dp, &e), 0);
    assert_int_equal(mxf_st_open(p, &st, &e), 0);
    assert_int_equal(st.t[0].ndim, 2);
    assert_int_equal(st.t[0].shape[1], 3);
    float back[6];
    assert_int_equal(mxf_st_read_f32(&st, 0, back, &e), 0);
    assert_memory_equal(back, w, sizeof w);
    mxf_st_close(&st);

    /* bad inputs */
    spit(p, (const unsigned char *)"abc", 3);
    expect_st_error(p, "truncated");
    write_st(p, "{}", NULL, 0);
    {
        size_t len;
        unsigned char *d = slurp(p, &len);
        d[0] = 200; /* header length 200 > file */
        spit(p, d, len);
        free(d);
    }
    expect_st_error(p, "header length 200 beyond the file");
    write_st(p, "{\"a\":{\"dtype\":", NULL, 0);
    expect_st_error(p, "invalid JSON");
    const unsigned char z[8] = {0};
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", z, 8);
    expect_st_error(p, "out of range");
    write_st(p,
             "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
             "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}",
             z, 8);
    expect_st_error(p, "overlap");
    write_st(p, "{\"a\":{\"dtype\":\"I8\",\"shape\":[8],\"data_offsets\":[0,8]}}", z, 8);
    expect_st_error(p, "dtype I8 unsupported");
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", z, 8);
    expect_st_error(p, "needs 12 bytes");
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", z, 8);
    expect_st_error(p, "data_offsets");
    const unsigned char nanb[4] = {0x00, 0x00, 0xC0, 0x7F};
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", nanb, 4);
    expect_st_error(p, "element 0 is NaN");
    const unsigned char infh[2] = {0x00, 0x7C};
    write_st(p, "{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", infh, 2);
    expect_st_error(p, "is Inf");
}

static void safetensors_sharded(void **state)
{
    (void)state;
    char p1[512], p2[512], idx[512];
    tpath(p1, sizeof p1, "m-00001-of-00002.safetensors");
    tpath(p2, sizeof p2, "m-00002-of-00002.safetensors");
    tpath(idx, sizeof idx, "m.safetensors.index.json");
    const unsigned char one[4] = {0x00, 0x00, 0x80, 0x3F}, two[4] = {0x00, 0x00, 0x00, 0x40};
    write_st(p1, "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", one, 4);
    write_st(p2, "{\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", two, 4);
    const char *js = "{\"metadata\":{},\"weight_map\":{\"x\":\"m-00001-of-00002.safetensors\","
                     "\"y\":\"m-00002-of-00002.safetensors\"}}";
    spit(idx, (const unsigned char *)js, strlen(js));
    mxf_st st;
    mxf_err e;
    if (mxf_st_open(idx, &st, &e)) fail_msg("%s", e.msg);
    assert_int_equal(st.n, 2);
    float v;
    assert_int_equal(mxf_st_read_f32(&st, mxf_st_find(&st, "y"), &v, &e), 0);
    assert_true(v == 2.0f);
    assert_int_equal(mxf_st_read_f32(&st, mxf_st_find(&st, "x"), &v, &e), 0);
    assert_true(v == 1.0f);
    mxf_st_close(&st);
    const char *js2 = "{\"weight_map\":{\"x\":\"m-00002-of-00002.safetensors\"}}";
    spit(idx, (const unsigned char *)js2, strlen(js2));
    expect_st_error(idx, "weight_map['x']: tensor not found");
    const char *js3 = "{\"weight_map\":{\"x\":\"missing.safetensors\"}}";
    spit(idx, (const unsigned char *)js3, strlen(js3));
    expect_st_error(idx, "missing.safetensors");
    spit(idx, (const unsigned char *)"[1,2]", 5);
    expect_st_error(idx, "weight_map");
}

/* ---- synth and metrics ---- */

static void synth_deterministic_and_heavy_tailed(void **state)
{
    (void)state;
    mxf_synth_params p;
    mxf_synth_default_params(&p);
    mxf_err e;
    const int64_t R = 256, C = 512;
    float *a = malloc(sizeof(float) * R * C), *b = malloc(sizeof(float) * R * C),
          *c = malloc(sizeof(float) * R * C);
    assert_int_equal(mxf_synth_weights(&p, 1, "l0.q", R, C, a, &e), 0);
    assert_int_equal(mxf_synth_weights(&p, 1, "l0.q", R, C, b, &e), 0);
    assert_int_equal(mxf_synth_weights(&p, 2, "l0.q", R, C, c, &e), 0);
    assert_memory_equal(a, b, sizeof(float) * R * C);
    assert_memory_not_equal(a, c, sizeof(float) * R * C);
    assert_int_equal(mxf_synth_weights(&p, 1, "l0.k", R, C, c, &e), 0);
    assert_memory_not_equal(a, c, sizeof(float) * R * C);
    double s2 = 0, s4 = 0;
    for (int64_t i = 0; i < R * C; i++) {
        s2 += (double)a[i] * a[i];
        s4 += (double)a[i] * a[i] * a[i] * a[i];
    }
    double var = s2 / (R * C), kurt = s4 / (R * C) / (var * var);
    assert_true(sqrt(var) > 0.015 && sqrt(var) < 0.04);
    assert_true(kurt > 4.0); /* heavier than Gaussian (3) */
    /* activations: a few channels much larger than the rest */
    float *x = malloc(sizeof(float) * 64 * 1024);
    assert_int_equal(mxf_synth_acts(&p, 1, "l0.in", 64, 1024, x, &e), 0);
    double cmax = 0, cmed = 0;
    double *cm = calloc(1024, sizeof(double));
    for (int t = 0; t < 64; t++)
        for (int k = 0; k < 1024; k++) cm[k] += fabs(x[t * 1024 + k]) / 64;
    for (int k = 0; k < 1024; k++) cmax = fmax(cmax, cm[k]);
    for (int k = 0; k < 1024; k++) cmed += cm[k] / 1024;
    assert_true(cmax > 10 * cmed);
    free(cm);
    free(x);
    free(a);
    free(b);
    free(c);
    float one;
    p.outlier_frac = 2;
    assert_int_equal(mxf_synth_weights(&p, 1, "x", 1, 1, &one, &e), -1);
}

static void metrics_by_hand(void **state)
{
    (void)state;
    const float W[4] = {1, 0, 0, 1}, Wq[4] = {1, 0, 0, 0.5f}, X[4] = {1, 0, 0, 1};
    mxf_qmetrics m;
    mxf_err e;
    assert_int_equal(mxf_qmetrics_compute(W, Wq, 2, 2, X, 2, &m, &e), 0);
    assert_true(fabs(m.w_mse - 0.0625) < 1e-12);
    assert_true(fabs(m.w_sqnr_db - 10 * log10(2 / 0.25)) < 1e-9);
    assert_true(fabs(m.out_sqnr_db - 10 * log10(2 / 0.25)) < 1e-6);
    /* X = [[2, 1]]: Y = [2, 1], Yq = [2, 0.5] -> 10 log10(5 / 0.25) */
    const float X2[2] = {2, 1};
    assert_int_equal(mxf_qmetrics_compute(W, Wq, 2, 2, X2, 1, &m, &e), 0);
    assert_true(fabs(m.out_sqnr_db - 10 * log10(5 / 0.25)) < 1e-6);
    assert_int_equal(mxf_qmetrics_compute(W, W, 2, 2, NULL, 0, &m, &e), 0);
    assert_true(isinf(m.w_sqnr_db));
}

/* MX-INT-b names state the axis (docs/formats.md, "Format specs"): mxint<b>/k<B> blocks B along K,
 * mxint<b>/n<B> B along N; the canonical spec is that name and round. The older spellings still
 * parse to the same formats: mxint2/mxint4 (k32), mxint<b>/<B> (n<B>), `block` and `axis` keys,
 * and the canonical specs earlier images recorded ("mxint4/32:block=32,axis=k,round=away"). */
static void mxint_names_state_the_axis(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"mxint4", "mxint4/k32:round=away"},
        {"mxint2", "mxint2/k32:round=away"},
        {"mxint4:block=12", "mxint4/k12:round=away"},
        {"mxint4/12", "mxint4/n12:round=away"},
        {"mxint2/128", "mxint2/n128:round=away"},
        {"mxint2/n128", "mxint2/n128:round=away"},
        {"mxint8/k32", "mxint8/k32:round=away"},
        {"mxint4:axis=n", "mxint4/n32:round=away"},
        {"mxint4/k32:axis=n,block=64,round=rne", "mxint4/n64:round=rne"},
        {"mxint4/32:block=32,axis=k,round=away", "mxint4/k32:round=away"},
        {"mxint2/128:block=128,axis=n,round=away", "mxint2/n128:round=away"},
        {"mxint4/12:block=12,axis=k,round=away", "mxint4/k12:round=away"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mxf_qformat f, g;
        mxf_err e;
        char spec[512], name[64];
        assert_int_equal(mxf_qformat_parse(cases[i][0], &f, &e), 0);
        mxf_qformat_spec(&f, spec, sizeof spec);
        assert_string_equal(spec, cases[i][1]);
        assert_int_equal(mxf_qformat_parse(spec, &g, &e), 0);
        assert_int_equal(g.axis, f.axis);
        assert_int_equal(g.mxint.block, f.mxint.block);
        mxf_qformat_name(&f, name, sizeof name);
        assert_non_null(strstr(spec, name));
        assert_int_equal(name[7], f.axis == MXF_AXIS_N ? 'n' : 'k');
    }
    const char *bad[] = {"mxint4/k0", "mxint4/012", "mxint3/k8",  "mxint4/x8", "mxint4/k65537",
                         "mxint4/",   "mxint4/k",   "mxint4/n-2", "mxint/k4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mxf_qformat f;
        mxf_err e;
        assert_int_equal(mxf_qformat_parse(bad[i], &f, &e), -1);
        assert_non_null(strstr(e.msg, "unknown format"));
    }
    /* OCP MXINT8 (two's complement) is a different format from MX-INT-8 (sign-magnitude) */
    mxf_qformat f;
    mxf_err e;
    assert_int_equal(mxf_qformat_parse("mxint8", &f, &e), 0);
    assert_int_equal(f.family, MXF_QF_MX);
    assert_int_equal(mxf_qformat_parse("mxint8:axis=k", &f, &e), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_format_roundtrip),
        cmocka_unit_test(layouts_by_hand),
        cmocka_unit_test(spec_errors),
        cmocka_unit_test(mxint_names_state_the_axis),
        cmocka_unit_test(image_roundtrip_and_corruption),
        cmocka_unit_test(image_msq_meta_len_range),
        cmocka_unit_test(safetensors_dtypes_and_errors),
        cmocka_unit_test(safetensors_sharded),
        cmocka_unit_test(synth_deterministic_and_heavy_tailed),
        cmocka_unit_test(metrics_by_hand),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
