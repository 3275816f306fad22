#!/usr/bin/env bash
# make bench: every benchmark, figures printed side by side; nothing here asserts on time.
#   BENCH_ARRAY (default 32) sets the array the Verilator benchmarks build; MSQ_BENCH_ARRAYS the
#   MicroScopiQ ones (default "BENCH_ARRAY 64").
set -euo pipefail
cd "$(dirname "$0")/.."
arr=${BENCH_ARRAY:-32}
echo "== RTL co-simulation throughput, ARRAY=$arr (C++ OPT_FAST=${OPT_FAST:-the block default in mxf_params.h})"
make -s sim-config ARRAY="$arr" WBITS=8 >/dev/null
dir=build/$(build/bin/mxfgen name --array "$arr" --wbits 8)
m=$((arr * 16)) k=$((arr * 16)) n=$((arr * 16))
"$dir/mxfsim" bench --m "$m" --k "$k" --n "$n" --seed 1
echo "== FineQ arrays: RTL co-simulation throughput, ARRAY=$arr (weight-MACs per second)"
for spec in "ARCH=fineq SCHED=lock" "ARCH=fineq SCHED=elastic" "ARCH=fineq-mul"; do
    # shellcheck disable=SC2086
    make -s sim-config $spec ARRAY="$arr" >/dev/null
    # shellcheck disable=SC2046
    d=build/$(build/bin/mxfgen name $(sed 's/ARCH=/--arch /; s/SCHED=/--sched /' <<<"$spec") --array "$arr")
    "$d/mxfsim" bench --m "$m" --k "$k" --n "$n" --seed 1
done
if command -v yosys >/dev/null; then bash bench/fineq.sh; fi
# MSQ_BENCH_ARRAYS: the MicroScopiQ sizes (default "$arr 64"; a 64 x 64 model took 52 min
# to build at JOBS=1 here, -O3)
for a in ${MSQ_BENCH_ARRAYS:-$arr 64}; do
    echo "== MicroScopiQ array: RTL co-simulation throughput, ARRAY=$a, BB=2 (weight-MACs per second)"
    for v in "row butterfly" "1 butterfly" "row benes"; do
        read -r recon net <<<"$v"
        make -s sim-config ARCH=microscopiq ARRAY="$a" RECON="$recon" NET="$net" >/dev/null
        d=build/$(build/bin/mxfgen name --arch microscopiq --array "$a" --recon "$recon" --net "$net")
        # one shared unit serializes the rows' requests (a 64 x 64 array simulates 60x more
        # cycles than per-row units, half an hour at 16A tokens): its GEMM has A tokens
        tm=$((a * 16))
        [[ $recon == row ]] || tm=$a
        echo "RECON=$recon NET=$net (M=$tm):"
        "$d/mxfsim" bench --m "$tm" --k $((a * 16)) --n $((a * 16)) --seed 1
    done
    # A tile needs one instruction-buffer word per outlier uB (about 14 % of the R x P/8 uBs
    # here): with A tokens per tile one configuration port (CPORTS=1) is the bottleneck (86 %
    # output-lane utilization at 32 x 32, 44 % at 64 x 64), one port per uB slice (CPORTS=P/8)
    # is not.
    echo "== MicroScopiQ array: configuration bandwidth, ARRAY=$a, $a tokens per tile (CPORTS=1 and one port per uB slice)"
    for cp in 1 $((a / 4)); do
        make -s sim-config ARCH=microscopiq ARRAY="$a" CPORTS="$cp" >/dev/null
        d=build/$(build/bin/mxfgen name --arch microscopiq --array "$a" --cports "$cp")
        echo "CPORTS=$cp (M=$a):"
        "$d/mxfsim" bench --m "$a" --k $((a * 16)) --n $((a * 16)) --seed 1
    done
done
echo "== MicroScopiQ array: ReCoN contention on opt-1.3b layers (a 2x2-tile window per layer, 16 tokens)"
for recon in row 4 1; do
    make -s sim-config ARCH=microscopiq ARRAY=16 RECON=$recon >/dev/null
    d=build/$(build/bin/mxfgen name --arch microscopiq --array 16 --recon $recon)
    "$d/mxfsim" model --model opt-1.3b --tokens 16 --window 2 --seed 1 --fresh |
        sed -n 's/.*; \([0-9]*\) cycles, \([0-9]*\) stall cycles from ReCoN.*/\1 \2/p' |
        awk -v r="$recon" '{ c += $1; s += $2 } END { printf "RECON=%s: %d cycles, %d stall cycles (%.1f%%) over the sampled windows\n", r, c, s, c ? 100 * s / c : 0 }'
done
for b in build/bin/bench_*; do
    [[ -x "$b" ]] || continue
    echo "== $(basename "$b")"
    "$b"
done
