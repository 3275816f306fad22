#!/usr/bin/env bash
# Runs one seeded GEMM through the Icarus testbench of a generated config and checks it:
#   scripts/icarus.sh build/<cfg> M K N SEED
set -euo pipefail
dir=${1:?usage: icarus.sh CFG_DIR M K N SEED}
m=${2:-8} k=${3:-8} n=${4:-8} seed=${5:-1}
[[ -f "$dir/manifest.json" ]] || { echo "icarus.sh: $dir/manifest.json missing (run make rtl)" >&2; exit 2; }
command -v iverilog >/dev/null || { echo "icarus.sh: iverilog not found (run scripts/setup.sh)" >&2; exit 2; }
work="$dir/icarus"
mkdir -p "$work"
args=(--config "$dir" --m "$m" --k "$k" --n "$n" --seed "$seed")
ncyc=$(build/bin/mxfvec stim "${args[@]}" --out "$work/stim.hex")
iverilog -g2012 -Ptb_mxf_ws_array.NCycles="$ncyc" -o "$work/tb.vvp" \
    "$dir/tb/tb_mxf_ws_array.v" "$dir"/rtl/*.v
vvp -n "$work/tb.vvp" +stim="$work/stim.hex" +out="$work/out.txt" >"$work/vvp.log"
build/bin/mxfvec check "${args[@]}" --got "$work/out.txt"
