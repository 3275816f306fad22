#!/usr/bin/env bash
# make bench: every benchmark, figures printed side by side; nothing here asserts on time.
#   BENCH_ARRAY (default 32) sets the array the Verilator benchmark builds.
set -euo pipefail
cd "$(dirname "$0")/.."
arr=${BENCH_ARRAY:-32}
echo "== RTL co-simulation throughput, ARRAY=$arr (C++ OPT_FAST=${OPT_FAST:--O3})"
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
for b in build/bin/bench_*; do
    [[ -x "$b" ]] || continue
    echo "== $(basename "$b")"
    "$b"
done
