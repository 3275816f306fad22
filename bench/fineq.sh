#!/usr/bin/env bash
# The FineQ trade-off (part of make bench): for the temporal-coded array (lock-step and elastic)
# and its multiplier baseline at one size, the area from `make synth` (NAND2 gate equivalents)
# next to the cycles and utilization the Verilated arrays take on every linear layer of a zoo
# model with FineQ-quantized weights (a sampled window of each, every output checked), and the
# products GE x cycles and GE x cycles per MAC, so the area saving is weighed against the time.
# The int8 x int8 ws array of the same size is listed for its area (the kind of multiplier array
# temporal-coding papers compare against). Knobs: BENCH_FQ_ARRAY (16), BENCH_FQ_MODEL (opt-1.3b),
# BENCH_FQ_TOKENS (32), BENCH_FQ_WINDOW (2).
set -euo pipefail
cd "$(dirname "$0")/.."
arr=${BENCH_FQ_ARRAY:-16}
model=${BENCH_FQ_MODEL:-opt-1.3b}
tokens=${BENCH_FQ_TOKENS:-32}
window=${BENCH_FQ_WINDOW:-2}
ge_of() { awk '/^total \(/ { print $NF }' "$1/synth/report.txt"; }
pe_ge_of() { sed -n 's/^PE [^:]*: .* \([0-9.]*\) GE;.*/\1/p' "$1/synth/report.txt"; }
echo "== FineQ trade-off: ARRAY=$arr, $model, $tokens tokens, a ${window}x${window}-tile window of every layer"
make -s synth ARCH=ws ARRAY="$arr" WBITS=8 >/dev/null
wsdir=build/$(build/bin/mxfgen name --arch ws --array "$arr" --wbits 8)
printf '| %-22s | %8s | %10s | %10s | %11s | %6s | %12s | %10s | %9s |\n' config "PE GE" "array GE" cycles MACs util \
    "GE x cycles" "GE*cyc/MAC" "vs mul"
printf '|%s|\n' "------------------------|----------|------------|------------|-------------|--------|--------------|------------|-----------"
base=''
for spec in "ARCH=fineq-mul" "ARCH=fineq SCHED=lock" "ARCH=fineq SCHED=elastic"; do
    # shellcheck disable=SC2086
    make -s sim-config $spec ARRAY="$arr" >/dev/null
    # shellcheck disable=SC2086
    make -s synth $spec ARRAY="$arr" >/dev/null
    # shellcheck disable=SC2046
    dir=build/$(build/bin/mxfgen name $(sed 's/ARCH=/--arch /; s/SCHED=/--sched /' <<<"$spec") --array "$arr")
    out=$("$dir/mxfsim" model --model "$model" --tokens "$tokens" --window "$window" --seed 1 --fresh)
    sum=$(grep '^model: config=' <<<"$out")
    cyc=$(sed -n 's/.* cycles=\([0-9]*\) .*/\1/p' <<<"$sum")
    macs=$(sed -n 's/.* MACs=\([0-9]*\) .*/\1/p' <<<"$sum")
    util=$(sed -n 's/.* utilization=\([0-9.]*%\) .*/\1/p' <<<"$sum")
    ge=$(ge_of "$dir") pe=$(pe_ge_of "$dir")
    prod=$(awk -v g="$ge" -v c="$cyc" 'BEGIN { printf "%.4g", g * c }')
    [[ -n $base ]] || base=$prod
    printf '| %-22s | %8s | %10s | %10s | %11s | %6s | %12s | %10.1f | %8.2fx |\n' "$(basename "$dir")" "$pe" "$ge" \
        "$cyc" "$macs" "$util" "$prod" "$(awk -v p="$prod" -v m="$macs" 'BEGIN { print p / m }')" \
        "$(awk -v p="$prod" -v b="$base" 'BEGIN { print p / b }')"
done
printf '| %-22s | %8s | %10s | %10s | %11s | %6s | %12s | %10s | %9s |\n' "$(basename "$wsdir") (area only)" \
    "$(pe_ge_of "$wsdir")" "$(ge_of "$wsdir")" - - - - - -
echo "(cycles and MACs: the sampled windows of all layers, every output bit and cycle checked; GE: make synth, docs/synth.md)"
