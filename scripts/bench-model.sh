#!/usr/bin/env bash
# `make bench-model`: every weight of a model through the RTL (make sim FULL=1, every layer,
# every tile, bit-exact), timed as a whole, with the report's split of where the time went.
# Knobs: MODEL (opt-1.3b) ARRAY (32) JOBS (2) SIM_ARGS (default --tokens 32) and the block's.
# Prints figures only; asserts nothing about speed.
set -uo pipefail
model=${MODEL:-opt-1.3b} arr=${ARRAY:-32} jobs=${JOBS:-2}
export MODEL=$model ARRAY=$arr JOBS=$jobs FULL=1 FRESH=1
export SIM_ARGS=${SIM_ARGS:---tokens 32}
echo "== bench-model: $model, every tile of every linear layer, ARRAY=$arr, JOBS=$jobs, $SIM_ARGS"
t0=$(date +%s.%N)
log=$(mktemp)
make -s sim >"$log" 2>&1
rc=$?
t1=$(date +%s.%N)
tail -n 6 "$log"
[[ $rc -eq 0 ]] || { echo "bench-model: make sim failed (exit $rc)"; rm -f "$log"; exit "$rc"; }
dir=$(sed -n 's/^  reports: \(.*\)\/report\.{json,csv,md}$/\1/p' "$log" | tail -n 1)
rm -f "$log"
awk -F, -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" -v j="$jobs" '
    $1 == "total" {
        printf "bench-model: %.1f s wall (%.1f min) on %d processes; %.4g weight-MACs bit-exact, %.3g M weight-MAC/s\n",
            wall, wall / 60, j, $15, $15 / wall / 1e6
        printf "bench-model: process seconds: generate %.1f, quantize %.1f, simulate %.1f, check %.1f (sum %.1f; the build is extra)\n",
            $20, $21, $22, $23, $20 + $21 + $22 + $23
    }' "$dir/report.csv"
