#!/usr/bin/env bash
# Runs one single-job command of a generated config through its Icarus testbench and checks it:
#   scripts/icarus.sh build/<cfg> COMMAND [options]      e.g. gemm --m 11 --k 19 --n 13 --seed 1
# The stimulus and the checker are the block's mxfsim command (tools/mxfvec.c); the RTL is read
# through the config's rtl/files.f, as a user's flow would. With NETLIST="F.v [CELLS.v ...]" the
# design is those files instead (gate-level re-simulation of a synthesized netlist, synth/fpga.sh);
# ICARUS_DEFS adds -D options (e.g. -DNO_ICE40_DEFAULT_ASSIGNMENTS for the iCE40 cell models).
# STREAM=1 runs the streaming top (<top>_stream, byte-wide ready/valid, random backpressure seeded
# by STREAM_SEED; STREAM_READY is the percentage of cycles the reader accepts a byte) and checks
# the rows in order (mxfvec check --order-only).
set -euo pipefail
dir=${1:?usage: icarus.sh CFG_DIR COMMAND [options]}
shift
[[ $# -gt 0 ]] || { echo "icarus.sh: a COMMAND (e.g. gemm --m 8) is required" >&2; exit 2; }
[[ -f "$dir/manifest.json" && -f "$dir/mxf_params.h" ]] || { echo "icarus.sh: $dir/manifest.json missing (run make rtl)" >&2; exit 2; }
command -v iverilog >/dev/null || { echo "icarus.sh: iverilog not found (run scripts/setup.sh)" >&2; exit 2; }
top=$(sed -n 's/^#define MXF_TOP //p' "$dir/mxf_params.h")
tbm=tb_$top
order=()
plus=()
if [[ ${STREAM:-0} == 1 ]]; then
    tbm=tb_${top}_stream
    order=(--order-only)
    plus=(+seed="${STREAM_SEED:-1}" +ready="${STREAM_READY:-75}")
fi
work="$dir/icarus"
mkdir -p "$work"
ncyc=$(build/bin/mxfvec stim --config "$dir" --out "$work/stim.hex" "$@")
if [[ -n ${NETLIST:-} ]]; then
    # shellcheck disable=SC2086
    iverilog -g2012 ${ICARUS_DEFS:-} -P"$tbm".NCycles="$ncyc" -o "$work/tb.vvp" "$dir/tb/$tbm.sv" $NETLIST
else
    (cd "$dir/rtl" && iverilog -g2012 -P"$tbm".NCycles="$ncyc" -o ../icarus/tb.vvp -c files.f ../tb/"$tbm".sv)
fi
vvp -n "$work/tb.vvp" +stim="$work/stim.hex" +out="$work/out.txt" "${plus[@]}" >"$work/vvp.log"
build/bin/mxfvec check --config "$dir" --got "$work/out.txt" "${order[@]}" "$@"
