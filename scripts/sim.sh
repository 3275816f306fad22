#!/usr/bin/env bash
# `make sim`: runs the `model` command of one config's Verilated harness over a zoo model.
# JOBS processes share the layers (each a shard: every JOBS-th layer), then one merge writes the
# report; SHARD=i/N runs one shard only (other machines run the others; MERGE=1 then reports).
# Usage: scripts/sim.sh CONFIG_DIR MXFSIM BUILD_SECONDS [mxfsim options...]
# Knobs from the environment: MODEL SEED FORMAT LAYERS WEIGHTS FULL FRESH SHARD MERGE JOBS TAG
# ENERGY TRACE. Exit: the worst of the processes' (1 mismatch, 2 bad input, 3 internal).
set -uo pipefail
dir=$1 sim=$2 build_s=$3
shift 3
args=(model --model "${MODEL:-opt-1.3b}" --seed "${SEED:-1}" --out "$dir/sim"
    --energy "${ENERGY:-$PWD/data/energy.tsv}" --tag "${TAG:-}" --build-wall "$build_s")
[[ -n ${FORMAT:-} ]] && args+=(--format "$FORMAT")
[[ -n ${LAYERS:-} ]] && args+=(--layers "$LAYERS")
[[ -n ${WEIGHTS:-} ]] && args+=(--weights "$WEIGHTS")
case ${FULL:-0} in 0) ;; 1) args+=(--full) ;; *) echo "FULL=$FULL: expected 0 or 1" >&2; exit 2 ;; esac
fresh=()
case ${FRESH:-0} in 0) ;; 1) fresh=(--fresh) ;; *) echo "FRESH=$FRESH: expected 0 or 1" >&2; exit 2 ;; esac
case ${MERGE:-0} in 0 | 1) ;; *) echo "MERGE=$MERGE: expected 0 or 1" >&2; exit 2 ;; esac
jobs=${JOBS:-2}
[[ $jobs =~ ^[0-9]+$ && $jobs -ge 1 && $jobs -le 64 ]] || { echo "JOBS=$jobs: expected 1..64" >&2; exit 2; }

# plots: every report of this config newer than its plot
plots() {
    local r
    for r in "$dir"/sim/*/report.csv; do
        [[ -f $r && $r -nt ${r%.csv}.png ]] && bash scripts/plot-sim.sh "$(dirname "$r")"
    done
    return 0
}
finish() {
    local rc=$1
    [[ $rc -eq 0 ]] && plots
    exit "$rc"
}

if [[ ${MERGE:-0} == 1 ]]; then "$sim" "${args[@]}" --merge "$@"; finish $?; fi
if [[ -n ${SHARD:-} ]]; then "$sim" "${args[@]}" "${fresh[@]}" --shard "$SHARD" "$@"; finish $?; fi
# one process: asked for, or a waveform (one file)
if [[ $jobs -eq 1 || ${TRACE:-0} != 0 ]]; then "$sim" "${args[@]}" "${fresh[@]}" "$@"; finish $?; fi

mkdir -p "$dir/sim" || exit 3
export MXF_MERGE_NEXT=1
pids=()
for ((i = 2; i <= jobs; i++)); do
    MXF_PLAIN=1 "$sim" "${args[@]}" "${fresh[@]}" --shard "$i/$jobs" "$@" >"$dir/sim/shard-$i.log" 2>&1 &
    pids+=($!)
done
"$sim" "${args[@]}" "${fresh[@]}" --shard "1/$jobs" "$@"
worst=$?
for ((i = 2; i <= jobs; i++)); do
    wait "${pids[$((i - 2))]}"
    rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "sim: shard $i/$jobs failed (exit $rc); its log, $dir/sim/shard-$i.log, ends:" >&2
        tail -n 5 "$dir/sim/shard-$i.log" >&2
        [[ $worst -eq 0 || $rc -lt $worst ]] && worst=$rc
    fi
done
[[ $worst -eq 0 ]] || exit "$worst"
"$sim" "${args[@]}" --merge "$@"
finish $?
