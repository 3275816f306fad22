/* Packed weight image: a versioned little-endian container holding quantized tensors of one
 * weight format, the way the hardware reads them (docs/image-format.md):
 *
 *   header  magic "MXFIMAGE", version, header length, file length, format id, tensor count,
 *           canonical format spec, then per tensor: name, shape, and for each of its two sections
 *           (element codes, metadata) offset, length and CRC-32; the header ends with its own
 *           CRC-32.
 *   body    sections, each starting on a 64-byte boundary, in table order (codes then metadata
 *           per tensor), zero padding between.
 *
 * Writing is atomic (sw/fileio.h). The reader checks every field and names the file and field in
 * its error. */
#ifndef MXF_IMAGE_H
#define MXF_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "qformat.h"

#define MXF_IMAGE_MAGIC "MXFIMAGE"
#define MXF_IMAGE_VERSION 1u
#define MXF_IMAGE_ALIGN 64u
#define MXF_IMAGE_MAX_NAME 1024
#define MXF_IMAGE_MAX_TENSORS 1000000

typedef struct mxf_image_tensor {
    char *name;
    int64_t rows, cols;
    uint64_t codes_off, codes_len, meta_off, meta_len;
    uint32_t codes_crc, meta_crc;
} mxf_image_tensor;

typedef struct mxf_image {
    uint32_t version;
    uint32_t format_id;
    char spec[512];
    mxf_qformat fmt;
    uint32_t header_len;
    uint64_t file_len;
    int n;
    mxf_image_tensor *t;
    unsigned char *data; /* whole file */
    size_t len;
    int owns_data;
} mxf_image;

/* Writes an image of n tensors (all quantized with the same format) to path, atomically. */
int mxf_image_write(const char *path, int n, const char *const *names, const mxf_qtensor *q,
                    mxf_err *err);
/* Reads and validates path completely (magic, version, lengths, header and section CRCs,
 * format spec, shapes vs section sizes, overlaps). Errors start with "PATH: field: ". */
int mxf_image_read(const char *path, mxf_image *img, mxf_err *err);
/* Same on bytes in memory (not copied; label names them in errors). */
int mxf_image_parse(const char *label, const unsigned char *data, size_t len, mxf_image *img,
                    mxf_err *err);
/* A view of tensor i (pointers into img->data; do not free). */
void mxf_image_view(const mxf_image *img, int i, mxf_qtensor *q);
int mxf_image_find(const mxf_image *img, const char *name);
void mxf_image_free(mxf_image *img);

#endif
