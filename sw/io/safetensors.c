/* safetensors reader/writer. See safetensors.h. */
#include "safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "half.h"

static const char *DT[3] = {"F32", "F16", "BF16"};
static const int DSIZE[3] = {4, 2, 2};

const char *mxf_st_dtype_name(mxf_st_dtype d)
{
    return (int)d >= 0 && d <= 2 ? DT[d] : "?";
}

int64_t mxf_st_numel(const mxf_st_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

void mxf_st_close(mxf_st *st)
{
    if (!st) return;
    for (int i = 0; i < st->n; i++) free(st->t[i].name);
    free(st->t);
    for (int i = 0; i < st->nshards; i++) {
        free(st->s[i].path);
        if (st->s[i].data && st->s[i].len) munmap(st->s[i].data, st->s[i].len);
    }
    free(st->s);
    memset(st, 0, sizeof *st);
}

int mxf_st_find(const mxf_st *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name)) return i;
    return -1;
}

/* A JSON number that is a non-negative integer below 2^53. */
static int json_u64(const cJSON *j, uint64_t *v)
{
    if (!cJSON_IsNumber(j)) return -1;
    double d = j->valuedouble;
    if (!(d >= 0 && d < 9007199254740992.0) || d != floor(d)) return -1;
    *v = (uint64_t)d;
    return 0;
}

static int add_tensor(mxf_st *st, mxf_err *err)
{
    mxf_st_tensor *t = realloc(st->t, sizeof *t * (size_t)(st->n + 1));
    if (!t) return mxf_fail(err, "out of memory");
    st->t = t;
    memset(&st->t[st->n], 0, sizeof *t);
    st->n++;
    return 0;
}

typedef struct span {
    uint64_t b, e;
    const char *name;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->b < y->b ? -1 : x->b > y->b;
}

/* Parses one shard already loaded into st->s[si]; adds its tensors (all of them when only is
 * NULL). */
static int parse_shard(mxf_st *st, int si, mxf_err *err)
{
    mxf_st_shard *sh = &st->s[si];
    const char *P = sh->path;
    if (sh->len < 8)
        return mxf_fail(err,
                        "%s: truncated: %zu bytes, a safetensors file starts with an 8-byte "
                        "header length",
                        P, sh->len);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)sh->data[i] << (8 * i);
    if (hl > sh->len - 8)
        return mxf_fail(err,
                        "%s: header length %llu beyond the file (%zu bytes after the length "
                        "field)",
                        P, (unsigned long long)hl, sh->len - 8);
    if (hl > MXF_ST_MAX_HEADER)
        return mxf_fail(err, "%s: header length %llu exceeds the %u-byte limit", P,
                        (unsigned long long)hl, MXF_ST_MAX_HEADER);
    sh->data_off = 8 + (size_t)hl;
    const uint64_t dlen = sh->len - sh->data_off;
    cJSON *root = cJSON_ParseWithLength((const char *)sh->data + 8, (size_t)hl);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return mxf_fail(err, "%s: header: invalid JSON (expected an object of tensors)", P);
    }
    int first = st->n, rc = 0;
    for (cJSON *it = root->child; it && !rc; it = it->next) {
        const char *nm = it->string ? it->string : "";
        if (!strcmp(nm, "__metadata__")) continue;
        if (!cJSON_IsObject(it)) {
            rc = mxf_fail(err, "%s: tensor '%s': entry is not an object", P, nm);
            break;
        }
        if (mxf_st_find(st, nm) >= 0) {
            rc = mxf_fail(err, "%s: tensor '%s': defined twice", P, nm);
            break;
        }
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
        const cJSON *sh_ = cJSON_GetObjectItemCaseSensitive(it, "shape");
        const cJSON *of = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
        if (!cJSON_IsString(dt)) {
            rc = mxf_fail(err, "%s: tensor '%s': dtype missing or not a string", P, nm);
            break;
        }
        int d = -1;
        for (int k = 0; k < 3; k++)
            if (!strcmp(dt->valuestring, DT[k])) d = k;
        if (d < 0) {
            rc = mxf_fail(err, "%s: tensor '%s': dtype %s unsupported (F32, F16, BF16)", P, nm,
                          dt->valuestring);
            break;
        }
        if (!cJSON_IsArray(sh_) || cJSON_GetArraySize(sh_) > MXF_ST_MAX_DIMS) {
            rc = mxf_fail(err, "%s: tensor '%s': shape missing, not an array or over %d dims", P,
                          nm, MXF_ST_MAX_DIMS);
            break;
        }
        uint64_t b, e;
        if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2 ||
            json_u64(cJSON_GetArrayItem(of, 0), &b) || json_u64(cJSON_GetArrayItem(of, 1), &e)) {
            rc =
                mxf_fail(err, "%s: tensor '%s': data_offsets must be [begin, end] integers", P, nm);
            break;
        }
        if (add_tensor(st, err)) {
            rc = -1;
            break;
        }
        mxf_st_tensor *t = &st->t[st->n - 1];
        t->name = strdup(nm);
        if (!t->name) {
            rc = mxf_fail(err, "out of memory");
            break;
        }
        t->dtype = (mxf_st_dtype)d;
        t->shard = si;
        t->ndim = cJSON_GetArraySize(sh_);
        uint64_t numel = 1;
        for (int k = 0; k < t->ndim && !rc; k++) {
            uint64_t v;
            if (json_u64(cJSON_GetArrayItem(sh_, k), &v) || v > (1ULL << 40)) {
                rc = mxf_fail(err, "%s: tensor '%s': shape[%d] is not a valid dimension", P, nm, k);
                break;
            }
            t->shape[k] = (int64_t)v;
            /* checked before multiplying: [2^32, 2^32] must not wrap to 0 */
            if (v && numel > MXF_ST_MAX_NUMEL / v) {
                rc = mxf_fail(err, "%s: tensor '%s': shape too large (over %llu elements)", P, nm,
                              (unsigned long long)MXF_ST_MAX_NUMEL);
                break;
            }
            numel *= v;
        }
        if (rc) break;
        if (e < b || e > dlen) {
            rc = mxf_fail(err,
                          "%s: tensor '%s': data_offsets [%llu, %llu) out of range (data area "
                          "is %llu bytes)",
                          P, nm, (unsigned long long)b, (unsigned long long)e,
                          (unsigned long long)dlen);
            break;
        }
        if (e - b != numel * (uint64_t)DSIZE[d]) {
            char shp[160] = "";
            for (int k = 0; k < t->ndim; k++)
                snprintf(shp + strlen(shp), sizeof shp - strlen(shp), "%s%lld", k ? "," : "",
                         (long long)t->shape[k]);
            rc = mxf_fail(err,
                          "%s: tensor '%s': shape [%s] %s needs %llu bytes, data_offsets "
                          "give %llu",
                          P, nm, shp, DT[d], (unsigned long long)(numel * (uint64_t)DSIZE[d]),
                          (unsigned long long)(e - b));
            break;
        }
        t->begin = b;
        t->end = e;
    }
    cJSON_Delete(root);
    if (rc) return -1;
    int cnt = st->n - first;
    if (cnt > 1) {
        span *sp = malloc(sizeof(span) * (size_t)cnt);
        if (!sp) return mxf_fail(err, "out of memory");
        for (int i = 0; i < cnt; i++)
            sp[i] = (span){st->t[first + i].begin, st->t[first + i].end, st->t[first + i].name};
        qsort(sp, (size_t)cnt, sizeof *sp, span_cmp);
        for (int i = 1; i < cnt; i++)
            if (sp[i].b < sp[i - 1].e && sp[i].e > sp[i].b && sp[i - 1].e > sp[i - 1].b) {
                rc = mxf_fail(err, "%s: tensors '%s' and '%s': data_offsets overlap", P,
                              sp[i - 1].name, sp[i].name);
                break;
            }
        free(sp);
    }
    return rc;
}

static int add_shard(mxf_st *st, const char *path, mxf_err *err)
{
    mxf_st_shard *s = realloc(st->s, sizeof *s * (size_t)(st->nshards + 1));
    if (!s) return mxf_fail(err, "out of memory");
    st->s = s;
    memset(&st->s[st->nshards], 0, sizeof *s);
    st->s[st->nshards].path = strdup(path);
    st->nshards++;
    if (!st->s[st->nshards - 1].path) return mxf_fail(err, "out of memory");
    /* Shards are mapped, not read: checkpoints are many GB and only the tensors asked for are
     * touched. */
    mxf_st_shard *sh = &st->s[st->nshards - 1];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return mxf_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        return mxf_fail(err, "%s: not a regular file", path);
    }
    sh->len = (size_t)sb.st_size;
    if (sh->len) {
        void *m = mmap(NULL, sh->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            sh->len = 0;
            return mxf_fail(err, "%s: cannot map: %s", path, strerror(e));
        }
        sh->data = m;
    }
    close(fd);
    return parse_shard(st, st->nshards - 1, err);
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int open_index(const char *path, mxf_st *st, mxf_err *err)
{
    unsigned char *d;
    size_t len;
    if (mxf_read_file(path, &d, &len, err)) return -1;
    cJSON *root = cJSON_ParseWithLength((const char *)d, len);
    free(d);
    const cJSON *wm = root ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
    if (!root || !cJSON_IsObject(wm)) {
        cJSON_Delete(root);
        return mxf_fail(err, "%s: invalid JSON or no \"weight_map\" object", path);
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = 0;
    else
        dir[0] = 0;
    int rc = 0;
    /* Load each shard once; keep only tensors listed in the weight map, in its order. */
    mxf_st all = {0};
    for (const cJSON *it = wm->child; it && !rc; it = it->next) {
        if (!cJSON_IsString(it) || !*it->valuestring || strchr(it->valuestring, '/')) {
            rc = mxf_fail(err, "%s: weight_map['%s']: not a file name in the index's directory",
                          path, it->string ? it->string : "");
            break;
        }
        char sp[4096 + 256];
        snprintf(sp, sizeof sp, "%s%s", dir, it->valuestring);
        int si = -1;
        for (int k = 0; k < all.nshards; k++)
            if (!strcmp(all.s[k].path, sp)) si = k;
        if (si < 0) {
            if (add_shard(&all, sp, err)) {
                rc = -1;
                break;
            }
            si = all.nshards - 1;
        }
        int ti = mxf_st_find(&all, it->string);
        if (ti < 0 || all.t[ti].shard != si) {
            rc =
                mxf_fail(err, "%s: weight_map['%s']: tensor not found in %s", path, it->string, sp);
            break;
        }
        if (mxf_st_find(st, it->string) >= 0) {
            rc = mxf_fail(err, "%s: weight_map['%s']: listed twice", path, it->string);
            break;
        }
        if (add_tensor(st, err)) {
            rc = -1;
            break;
        }
        st->t[st->n - 1] = all.t[ti];
        st->t[st->n - 1].name = strdup(all.t[ti].name);
        if (!st->t[st->n - 1].name) rc = mxf_fail(err, "out of memory");
    }
    cJSON_Delete(root);
    if (!rc && st->n == 0) rc = mxf_fail(err, "%s: weight_map is empty", path);
    /* hand the shards over */
    st->s = all.s;
    st->nshards = all.nshards;
    all.s = NULL;
    all.nshards = 0;
    mxf_st_close(&all);
    return rc;
}

int mxf_st_open(const char *path, mxf_st *st, mxf_err *err)
{
    memset(st, 0, sizeof *st);
    int rc = ends_with(path, ".index.json") ? open_index(path, st, err) : add_shard(st, path, err);
    if (rc) mxf_st_close(st);
    return rc;
}

int mxf_st_read_f32(const mxf_st *st, int i, float *out, mxf_err *err)
{
    const mxf_st_tensor *t = &st->t[i];
    const mxf_st_shard *s = &st->s[t->shard];
    const unsigned char *p = s->data + s->data_off + t->begin;
    int64_t n = mxf_st_numel(t);
    for (int64_t k = 0; k < n; k++) {
        float v;
        if (t->dtype == MXF_ST_F32) {
            uint32_t b = (uint32_t)p[4 * k] | (uint32_t)p[4 * k + 1] << 8 |
                         (uint32_t)p[4 * k + 2] << 16 | (uint32_t)p[4 * k + 3] << 24;
            memcpy(&v, &b, 4);
        } else {
            uint16_t h = (uint16_t)(p[2 * k] | p[2 * k + 1] << 8);
            v = t->dtype == MXF_ST_F16 ? mxf_fp16_to_f32(h) : mxf_bf16_to_f32(h);
        }
        if (!isfinite(v))
            return mxf_fail(err, "%s: tensor '%s': element %lld is %s", s->path, t->name,
                            (long long)k, isnan(v) ? "NaN" : "Inf");
        out[k] = v;
    }
    return 0;
}

int mxf_st_write_f32(const char *path, int n, const char *const *names, const int64_t *rows,
                     const int64_t *cols, const float *const *data, mxf_err *err)
{
    cJSON *root = cJSON_CreateObject();
    uint64_t off = 0;
    for (int i = 0; i < n && root; i++) {
        cJSON *o = cJSON_AddObjectToObject(root, names[i]);
        if (!o) break;
        cJSON_AddStringToObject(o, "dtype", "F32");
        double shp[2] = {(double)rows[i], (double)cols[i]};
        cJSON_AddItemToObject(o, "shape", cJSON_CreateDoubleArray(shp, 2));
        uint64_t len = (uint64_t)(rows[i] * cols[i]) * 4;
        double offs[2] = {(double)off, (double)(off + len)};
        cJSON_AddItemToObject(o, "data_offsets", cJSON_CreateDoubleArray(offs, 2));
        off += len;
    }
    char *js = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!js) return mxf_fail(err, "%s: out of memory", path);
    size_t hl = strlen(js), pad = (8 - hl % 8) % 8; /* data area 8-byte aligned */
    mxf_atomic_file af;
    if (mxf_atomic_open(&af, path, err)) {
        free(js);
        return -1;
    }
    unsigned char lenb[8];
    for (int k = 0; k < 8; k++) lenb[k] = (unsigned char)((uint64_t)(hl + pad) >> (8 * k));
    int ok = fwrite(lenb, 1, 8, af.f) == 8 && fwrite(js, 1, hl, af.f) == hl &&
             fwrite("        ", 1, pad, af.f) == pad;
    free(js);
    for (int i = 0; i < n && ok; i++) {
        int64_t m = rows[i] * cols[i];
        for (int64_t k = 0; k < m && ok; k++) {
            uint32_t b;
            memcpy(&b, &data[i][k], 4);
            unsigned char q[4] = {(unsigned char)b, (unsigned char)(b >> 8),
                                  (unsigned char)(b >> 16), (unsigned char)(b >> 24)};
            ok = fwrite(q, 1, 4, af.f) == 4;
        }
    }
    if (!ok) {
        mxf_atomic_abort(&af);
        return mxf_fail(err, "%s: write failed", path);
    }
    return mxf_atomic_commit(&af, err);
}
