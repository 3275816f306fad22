/* File helpers shared by every tool: whole-file reads with clear errors, and atomic writes
 * (temp file in the same directory, then rename) so no reader ever sees a half-written output. */
#ifndef MXF_FILEIO_H
#define MXF_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

typedef struct mxf_atomic_file {
    FILE *f;
    char path[4096];
    char tmp[4096 + 16];
} mxf_atomic_file;

/* Opens a temp file beside `path`. Returns 0, or -1 with err naming the path. */
int mxf_atomic_open(mxf_atomic_file *af, const char *path, mxf_err *err);
/* Flushes, closes and renames the temp file onto the final path. On any failure the temp file
 * is removed and the final path is left as it was. */
int mxf_atomic_commit(mxf_atomic_file *af, mxf_err *err);
/* Closes and removes the temp file (for error paths). Safe to call twice. */
void mxf_atomic_abort(mxf_atomic_file *af);

/* Writes `len` bytes atomically. */
int mxf_write_file_atomic(const char *path, const void *data, size_t len, mxf_err *err);
/* Writes the bytes only when the file's current content differs (keeps mtimes stable so make
 * does not rebuild what did not change). *changed (optional) tells which happened. */
int mxf_write_file_if_changed(const char *path, const void *data, size_t len, int *changed,
                              mxf_err *err);

/* Reads a whole file into a malloc'd buffer (NUL-terminated for convenience; *len excludes it).
 * For small inputs (JSON, TSV, text): a directory, or more than MXF_READ_FILE_MAX bytes (a
 * regular file by its size, a device or pipe such as /dev/zero once that much was read), fails. */
#define MXF_READ_FILE_MAX (256u << 20)
int mxf_read_file(const char *path, unsigned char **data, size_t *len, mxf_err *err);

/* Checks, before any work, that `path` can be written as an output file: not a directory, its
 * directory exists and is a writable directory. Names the path (and the directory) in err. */
int mxf_check_output_path(const char *path, mxf_err *err);

/* mkdir -p. */
int mxf_mkdirs(const char *path, mxf_err *err);

#endif
