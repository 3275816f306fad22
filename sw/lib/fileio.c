#include "fileio.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mxf_atomic_open(mxf_atomic_file *af, const char *path, mxf_err *err)
{
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path) return mxf_fail(err, "%s: path too long", path);
    snprintf(af->path, sizeof af->path, "%s", path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(af->tmp);
    if (fd < 0) {
        af->tmp[0] = 0;
        return mxf_fail(err, "%s: cannot create temp file: %s", path, strerror(errno));
    }
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        close(fd);
        unlink(af->tmp);
        af->tmp[0] = 0;
        return mxf_fail(err, "%s: fdopen: %s", path, strerror(errno));
    }
    return 0;
}

void mxf_atomic_abort(mxf_atomic_file *af)
{
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) unlink(af->tmp);
    af->tmp[0] = 0;
}

int mxf_atomic_commit(mxf_atomic_file *af, mxf_err *err)
{
    if (!af->f) return mxf_fail(err, "%s: file not open", af->path);
    int bad = ferror(af->f);
    if (fflush(af->f) != 0) bad = 1;
    if (fclose(af->f) != 0) bad = 1;
    af->f = NULL;
    if (bad) {
        mxf_atomic_abort(af);
        return mxf_fail(err, "%s: write failed: %s", af->path, strerror(errno));
    }
    if (chmod(af->tmp, 0644) != 0 || rename(af->tmp, af->path) != 0) {
        int e = errno;
        mxf_atomic_abort(af);
        return mxf_fail(err, "%s: cannot rename temp file into place: %s", af->path, strerror(e));
    }
    af->tmp[0] = 0;
    return 0;
}

int mxf_write_file_atomic(const char *path, const void *data, size_t len, mxf_err *err)
{
    mxf_atomic_file af;
    if (mxf_atomic_open(&af, path, err)) return -1;
    if (len && fwrite(data, 1, len, af.f) != len) {
        mxf_atomic_abort(&af);
        return mxf_fail(err, "%s: write failed: %s", path, strerror(errno));
    }
    return mxf_atomic_commit(&af, err);
}

int mxf_write_file_if_changed(const char *path, const void *data, size_t len, int *changed,
                              mxf_err *err)
{
    unsigned char *old = NULL;
    size_t old_len = 0;
    if (changed) *changed = 1;
    if (mxf_read_file(path, &old, &old_len, NULL) == 0) {
        int same = old_len == len && (len == 0 || memcmp(old, data, len) == 0);
        free(old);
        if (same) {
            if (changed) *changed = 0;
            return 0;
        }
    }
    return mxf_write_file_atomic(path, data, len, err);
}

int mxf_read_file(const char *path, unsigned char **data, size_t *len, mxf_err *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return mxf_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return mxf_fail(err, "%s: is a directory", path);
    }
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
        (uint64_t)sb.st_size > MXF_READ_FILE_MAX) {
        fclose(f);
        return mxf_fail(err, "%s: %lld bytes, over the %u-byte limit of a whole-file input", path,
                        (long long)sb.st_size, MXF_READ_FILE_MAX);
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return mxf_fail(err, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return mxf_fail(err, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
        if (n > MXF_READ_FILE_MAX) { /* a device or pipe that never ends (/dev/zero) */
            free(buf);
            fclose(f);
            return mxf_fail(err, "%s: over the %u-byte limit of a whole-file input", path,
                            MXF_READ_FILE_MAX);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return mxf_fail(err, "%s: read error", path);
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

int mxf_mkdirs(const char *path, mxf_err *err)
{
    char tmp[4096];
    if (strlen(path) >= sizeof tmp) return mxf_fail(err, "%s: path too long", path);
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return mxf_fail(err, "%s: cannot create directory: %s", tmp, strerror(errno));
            *p = c;
            if (c == 0) break;
        }
    }
    return 0;
}

int mxf_check_output_path(const char *path, mxf_err *err)
{
    if (!path || !*path) return mxf_fail(err, "output path is empty");
    size_t n = strlen(path);
    if (n >= 4096) return mxf_fail(err, "%s: output path too long", path);
    struct stat sb;
    if (path[n - 1] == '/' || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)))
        return mxf_fail(err, "%s: output is a directory, expected a file path", path);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    if (stat(dir, &sb) != 0)
        return mxf_fail(err, "%s: output directory '%s' does not exist", path, dir);
    if (!S_ISDIR(sb.st_mode)) return mxf_fail(err, "%s: '%s' is not a directory", path, dir);
    if (access(dir, W_OK) != 0)
        return mxf_fail(err, "%s: output directory '%s' is not writable", path, dir);
    return 0;
}
