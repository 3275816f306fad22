/* safetensors reader (F32, F16, BF16; single file or a sharded *.safetensors.index.json) and a
 * small F32 writer. File layout: u64 little-endian header length N, N bytes of JSON
 * {"name": {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__": {...}}, then the
 * data area; offsets are relative to the data area. Every check names the file, tensor and field:
 * truncated file, header length beyond the file, invalid JSON, missing/ill-typed fields,
 * unsupported dtype, offsets out of range or overlapping, shape/byte-size mismatch, and NaN/Inf
 * values (at read time). */
#ifndef MXF_SAFETENSORS_H
#define MXF_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MXF_ST_MAX_DIMS 8
#define MXF_ST_MAX_HEADER (100u << 20)
/* Elements per tensor (2^42); shapes and byte sizes below it never overflow int64. */
#define MXF_ST_MAX_NUMEL (1ULL << 42)

typedef enum mxf_st_dtype { MXF_ST_F32 = 0, MXF_ST_F16 = 1, MXF_ST_BF16 = 2 } mxf_st_dtype;

typedef struct mxf_st_tensor {
    char *name;
    mxf_st_dtype dtype;
    int ndim;
    int64_t shape[MXF_ST_MAX_DIMS];
    int shard;
    uint64_t begin, end; /* in the shard's data area */
} mxf_st_tensor;

typedef struct mxf_st_shard {
    char *path;
    unsigned char *data; /* read-only mapping of the whole file */
    size_t len;
    size_t data_off; /* 8 + header length */
} mxf_st_shard;

typedef struct mxf_st {
    int n;
    mxf_st_tensor *t;
    int nshards;
    mxf_st_shard *s;
} mxf_st;

/* Opens a .safetensors file, or a sharded model through its *.index.json ("weight_map": tensor
 * name -> shard file in the same directory). */
int mxf_st_open(const char *path, mxf_st *st, mxf_err *err);
void mxf_st_close(mxf_st *st);
int mxf_st_find(const mxf_st *st, const char *name);
int64_t mxf_st_numel(const mxf_st_tensor *t);
const char *mxf_st_dtype_name(mxf_st_dtype d);
/* Converts tensor i to float (numel values). Fails on NaN/Inf, naming the tensor and index. */
int mxf_st_read_f32(const mxf_st *st, int i, float *out, mxf_err *err);

/* Writes n 2-D F32 tensors (rows x cols each) to path, atomically. */
int mxf_st_write_f32(const char *path, int n, const char *const *names, const int64_t *rows,
                     const int64_t *cols, const float *const *data, mxf_err *err);

#endif
