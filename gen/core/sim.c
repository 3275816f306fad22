#include "sim.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

void mxf_pv_init(mxf_portvals *pv, const mxf_port *ports, int n)
{
    pv->n = n;
    for (int i = 0; i < n; i++) pv->words[i] = (ports[i].width + 31) / 32;
    mxf_pv_clear(pv);
}

void mxf_pv_clear(mxf_portvals *pv)
{
    for (int i = 0; i < pv->n; i++) memset(pv->v[i], 0, sizeof(uint32_t) * (size_t)pv->words[i]);
}

/* Up to 32 bits at a time (a field touches at most three words). tests/unit/test_portvals.c
   checks these and the inline window of sim.h against a bit-by-bit reference at every offset
   and width. */
void mxf_pv_put_words(mxf_portvals *pv, int p, int bit, int width, uint64_t v)
{
    uint32_t *w = pv->v[p];
    while (width > 0) {
        const int off = bit % 32, n = 32 - off < width ? 32 - off : width;
        const uint32_t mask = (n == 32 ? ~0u : (1u << n) - 1u) << off;
        w[bit / 32] = (w[bit / 32] & ~mask) | (((uint32_t)v << off) & mask);
        v >>= n; /* n <= 32 */
        bit += n;
        width -= n;
    }
}

int64_t mxf_pv_get_words(const mxf_portvals *pv, int p, int bit, int width, int is_signed)
{
    const uint32_t *w = pv->v[p];
    uint64_t v = 0;
    for (int got = 0; got < width;) {
        const int off = bit % 32, n = 32 - off < width - got ? 32 - off : width - got;
        const uint32_t chunk = (w[bit / 32] >> off) & (n == 32 ? ~0u : (1u << n) - 1u);
        v |= (uint64_t)chunk << got;
        bit += n;
        got += n;
    }
    if (is_signed && width < 64 && (v >> (width - 1)) & 1u) v |= ~UINT64_C(0) << width;
    return (int64_t)v;
}

const char mxf_sim_opts_help[] =
    "  --m M --k K --n N   GEMM shape: M activation rows (tokens), K reduction, N outputs\n"
    "  --seed S            seed of every random operand (printed in every mismatch)\n"
    "  --count N           number of random GEMMs (random)\n"
    "  --model NAME        zoo model (model); --tokens M activation rows per layer;\n"
    "                      --window W tiles of each dimension sampled per layer\n"
    "  --format SPEC       weight format the model's layers are quantized to (model)\n"
    "  --image FILE        packed weight image written by mxquant (image); --tensor NAME\n"
    "  --layers SPEC       decoder-layer ranges and/or linear names (\"0-3,fc1\"; model)\n"
    "  --shard I/N         run every N-th selected layer from the I-th (model); --merge: report\n"
    "                      the finished shards; --fresh: run this shard's layers again\n"
    "  --out DIR           parent of the run directory (model; default: sim/ beside mxfsim)\n"
    "  --weights FILE      safetensors checkpoint for the model's weights (model)\n"
    "  --energy FILE       per-event energy table (model; default data/energy.tsv)\n"
    "  --full              every tile of every layer (model; no window)\n"
    "  --vcd FILE          write a waveform (a model built with TRACE=1: VCD, TRACE=fst: FST)\n"
    "  --wave-from C --wave-to C   only clock cycles C..C of the run (resets included)\n";

/* SHARD=i/N: 1 <= i <= N <= 4096. */
static int parse_shard(const char *s, mxf_sim_opts *o, mxf_err *err)
{
    const char *slash = strchr(s, '/');
    char a[32];
    long i, n;
    if (!slash || (size_t)(slash - s) >= sizeof a)
        return mxf_fail(err, "SHARD=%s: expected i/N (e.g. 2/4)", s);
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = 0;
    if (mxf_parse_int(slash + 1, "SHARD N", 1, 4096, &n, err) ||
        mxf_parse_int(a, "SHARD i", 1, n, &i, err))
        return mxf_fail_prefix(err, "SHARD=%s: ", s);
    o->shard_i = (int)i;
    o->shard_n = (int)n;
    return 0;
}

int mxf_sim_opts_parse(int argc, char **argv, int R, int C, mxf_sim_opts *o, mxf_err *err)
{
    static const struct option lo[] = {{"m", 1, 0, 'm'},
                                       {"k", 1, 0, 'k'},
                                       {"n", 1, 0, 'n'},
                                       {"seed", 1, 0, 's'},
                                       {"count", 1, 0, 'c'},
                                       {"vcd", 1, 0, 'v'},
                                       {"model", 1, 0, 'M'},
                                       {"tokens", 1, 0, 't'},
                                       {"window", 1, 0, 'w'},
                                       {"image", 1, 0, 'i'},
                                       {"tensor", 1, 0, 'T'},
                                       {"format", 1, 0, 'f'},
                                       {"wave-from", 1, 0, 'F'},
                                       {"wave-to", 1, 0, 'E'},
                                       {"layers", 1, 0, 'L'},
                                       {"out", 1, 0, 'o'},
                                       {"weights", 1, 0, 'W'},
                                       {"energy", 1, 0, 'e'},
                                       {"tag", 1, 0, 'g'},
                                       {"shard", 1, 0, 'S'},
                                       {"fresh", 0, 0, 'r'},
                                       {"merge", 0, 0, 'j'},
                                       {"full", 0, 0, 'u'},
                                       {"build-wall", 1, 0, 'b'},
                                       {0, 0, 0, 0}};
    *o = (mxf_sim_opts){.m = 16,
                        .k = 3 * (long)R + 1,
                        .n = 2 * (long)C + 1,
                        .count = 8,
                        .tokens = 32,
                        .window = 4,
                        .seed = 1,
                        .wave_from = -1,
                        .wave_to = -1};
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'm':
            bad = mxf_parse_int(optarg, "--m", 1, 1 << 20, &o->m, err), o->set_m = 1;
            break;
        case 'k':
            bad = mxf_parse_int(optarg, "--k", 1, 1 << 20, &o->k, err), o->set_k = 1;
            break;
        case 'n':
            bad = mxf_parse_int(optarg, "--n", 1, 1 << 20, &o->n, err), o->set_n = 1;
            break;
        case 'c':
            bad = mxf_parse_int(optarg, "--count", 1, 1 << 20, &o->count, err);
            break;
        case 't':
            bad = mxf_parse_int(optarg, "--tokens", 1, 1 << 16, &o->tokens, err);
            break;
        case 'w':
            bad = mxf_parse_int(optarg, "--window", 1, 1 << 10, &o->window, err), o->set_window = 1;
            break;
        case 's':
            bad = mxf_parse_u64(optarg, "SEED", &o->seed, err);
            break;
        case 'v':
            o->vcd = optarg;
            break;
        case 'M':
            o->model = optarg;
            break;
        case 'i':
            o->image = optarg;
            break;
        case 'T':
            o->tensor = optarg;
            break;
        case 'f':
            o->format = optarg;
            break;
        case 'F':
            bad = mxf_parse_int(optarg, "--wave-from", 0, 1L << 40, &o->wave_from, err);
            break;
        case 'E':
            bad = mxf_parse_int(optarg, "--wave-to", 0, 1L << 40, &o->wave_to, err);
            break;
        case 'L':
            o->layers = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'W':
            o->weights = optarg;
            break;
        case 'e':
            o->energy = optarg;
            break;
        case 'g':
            o->tag = optarg;
            break;
        case 'S':
            bad = parse_shard(optarg, o, err);
            break;
        case 'r':
            o->fresh = 1;
            break;
        case 'j':
            o->merge = 1;
            break;
        case 'u':
            o->full = 1;
            break;
        case 'b': {
            char *end;
            o->build_wall = strtod(optarg, &end);
            if (end == optarg || *end || !(o->build_wall >= 0) || o->build_wall > 1e7)
                bad = mxf_fail(err, "--build-wall %s: expected seconds", optarg);
            break;
        }
        default:
            return mxf_fail(err, "unknown or incomplete option '%s'",
                            argv[optind - 1] ? argv[optind - 1] : "");
        }
        if (bad) return -1;
    }
    if (optind < argc) return mxf_fail(err, "unexpected argument '%s'", argv[optind]);
    if (o->merge && (o->shard_n || o->fresh))
        return mxf_fail(err, "--merge reports the finished layers: it takes no --shard or --fresh");
    if ((long long)o->m * o->k > (1LL << 28) || (long long)o->k * o->n > (1LL << 28))
        return mxf_fail(err, "GEMM M=%ld K=%ld N=%ld: operands above 2^28 elements", o->m, o->k,
                        o->n);
    return 0;
}

const mxf_sim_cmd *mxf_sim_cmd_find(const mxf_block *b, const char *name)
{
    for (int i = 0; i < b->n_cmds; i++)
        if (!strcmp(b->cmds[i].name, name)) return &b->cmds[i];
    return NULL;
}

int mxf_port_index(const mxf_port *ports, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(ports[i].name, name)) return i;
    return -1;
}

int mxf_port_strobe(const mxf_port *ports, int n)
{
    int s = -1;
    for (int i = 0; i < n; i++)
        if (ports[i].dir == MXF_OUT && ports[i].role == MXF_ROLE_STROBE) {
            if (s >= 0) return -1;
            s = i;
        }
    return s;
}

int mxf_sim_judge(mxf_sim_ctx *ctx, mxf_job *job, const char *label, int bad, int64_t last,
                  int64_t last_simulated, mxf_err *err)
{
    const int64_t expect = job->ops->cycles(job);
    if (!bad) bad = job->ops->finish(job, last_simulated);
    if (bad == -2) return mxf_fail(err, "%s: %s", label, job->ops->failure(job));
    if (bad) {
        snprintf(ctx->failure, sizeof ctx->failure, "%s: %s", label, job->ops->failure(job));
        bad = 1;
    } else if (last + 1 != expect) {
        snprintf(ctx->failure, sizeof ctx->failure,
                 "%s: MISMATCH total cycles: the golden model expects %" PRId64
                 ", the simulation's last output was on cycle %" PRId64 " seed=%" PRIu64,
                 label, expect, last, job->seed);
        bad = 1;
    }
    ctx->st.jobs++;
    ctx->st.cycles += last + 1; /* counted from the simulation */
    if (!bad) {                 /* a failed job's work is not counted as done */
        ctx->st.tiles += job->tiles;
        ctx->st.macs += job->macs;
    }
    return bad;
}

int mxf_pv_stim_bits(const mxf_port *ports, int n)
{
    int sb = 0;
    for (int p = 0; p < n; p++)
        if (ports[p].dir == MXF_IN && ports[p].role == MXF_ROLE_DATA) sb += ports[p].width;
    return sb;
}

void mxf_pv_stim_hex(const mxf_port *ports, int n, const mxf_portvals *pv, char *line)
{
    const int sb = mxf_pv_stim_bits(ports, n), digits = (sb + 3) / 4;
    memset(line, '0', (size_t)digits);
    line[digits] = 0;
    int hi = sb; /* bit hi-1 is the MSB of the word */
    for (int p = 0; p < n; p++) {
        if (ports[p].dir != MXF_IN || ports[p].role != MXF_ROLE_DATA) continue;
        hi -= ports[p].width;
        for (int b = 0; b < ports[p].width; b++) {
            if (!((pv->v[p][b / 32] >> (b % 32)) & 1u)) continue;
            int bit = hi + b, d = digits - 1 - bit / 4;
            int x = line[d] <= '9' ? line[d] - '0' : line[d] - 'a' + 10;
            line[d] = "0123456789abcdef"[x | 1 << (bit % 4)];
        }
    }
}

int mxf_pv_from_hex(const char *hex, const mxf_port *pt, uint32_t *w, mxf_err *err)
{
    size_t len = strlen(hex);
    if (len != (size_t)(pt->width + 3) / 4)
        return mxf_fail(err, "port %s: %zu hex digits, expected %d", pt->name, len,
                        (pt->width + 3) / 4);
    memset(w, 0, sizeof(uint32_t) * (size_t)((pt->width + 31) / 32));
    int unknown = 0;
    for (int b = 0; b < pt->width; b++) {
        char ch = hex[len - 1 - (size_t)(b / 4)];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F')
            d = ch - 'A' + 10;
        else if (strchr("xXzZ", ch)) {
            unknown = 1;
            continue;
        } else
            return mxf_fail(err, "port %s: '%c' is not a hex digit", pt->name, ch);
        if ((d >> (b % 4)) & 1) w[b / 32] |= 1u << (b % 32);
    }
    return unknown;
}
