#!/usr/bin/env bash
# synth/fpga.sh CFG_DIR: the FPGA flow of one generated config (docs/fpga.md).
#   1. fit check before any long run: the top's I/O bits (manifest port table) and an estimate of
#      the logic cells against the part (synth/fpga_parts.tsv); a config that does not fit is
#      refused naming the resource
#   2. constraints: fpga/<name>.pcf (iCE40 clock pin) and fpga/<name>.xdc (Xilinx clock)
#   3. Yosys synth_ice40 of the whole array, nextpnr-ice40 place and route: utilization, Fmax,
#      the critical path
#   4. Yosys synth_xilinx of the whole array: LUT, FF, DSP, BRAM, SRL (a Xilinx FPGA_PART gets this
#      and the fit check only: Debian has no free Xilinx placer)
#   5. gate-level re-simulation: the generic and the iCE40 netlists, with Yosys's cell models,
#      through the same Icarus testbench, stimulus and golden-model check as the RTL
#   FPGA_PART (default hx8k-ct256), FPGA_FREQ (MHz, default 12), GATE_SIM=0 skips step 5,
#   FPGA_TOP=array|stream|auto (default auto: the array itself when its ports fit the package,
#   else the streaming top <top>_stream with byte-wide ready/valid ports, 22 pins).
# Outputs in CFG_DIR/fpga/: report.txt, report.json, the constraint files, netlists and logs;
# written in a temp directory and renamed into place at the end.
set -euo pipefail
die() {
    echo "fpga: $*" >&2
    exit 2
}
need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "mxforge: required tool '$1' not found on PATH; run 'bash scripts/setup.sh' as root (it installs the Debian packages: $2) or: sudo apt-get install $2" >&2
        exit 127
    }
}
[[ $# -eq 1 && -n $1 ]] || die "usage: bash synth/fpga.sh CFG_DIR (a directory written by 'mxfgen rtl')"
cfg=$1
[[ -f $cfg/manifest.json ]] || die "$cfg: no manifest.json (not a directory written by 'mxfgen rtl')"
need yosys yosys
need iverilog iverilog
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cfg=$(cd "$cfg" && pwd)
part=${FPGA_PART:-hx8k-ct256}
freq=${FPGA_FREQ:-12}
[[ $freq =~ ^[0-9]+$ && $freq -ge 1 && $freq -le 1000 ]] || die "FPGA_FREQ=$freq: expected 1..1000 (MHz)"
line=$(awk -F'\t' -v p="$part" '!/^#/ && $1 == p' "$root/synth/fpga_parts.tsv")
[[ -n $line ]] || die "FPGA_PART=$part: unknown part (known: $(awk -F'\t' '!/^#/ {printf "%s ", $1}' "$root/synth/fpga_parts.tsv"))"
IFS=$'\t' read -r _ popts plc pio pclk pdsp <<<"$line"
xilinx=0
[[ $part == xc7* ]] && xilinx=1
[[ $xilinx == 1 ]] || need nextpnr-ice40 nextpnr-ice40

sr=$root/build/bin/synth_report fr=$root/build/bin/fpga_report vec=$root/build/bin/mxfvec
for b in "$sr" "$fr" "$vec"; do [[ -x $b ]] || die "$b is not built (run 'make fpga' or 'make all')"; done
name='' top='' rtl=''
while read -r k v; do
    case $k in
    name) name=$v ;;
    top) top=$v ;;
    rtl) rtl+="${rtl:+ }$v" ;;
    esac
done < <("$sr" manifest "$cfg/manifest.json")

# 1. fit check: I/O bits are exact (the port table); logic cells are estimated per PE from
# measured iCE40 runs of this array (docs/fpga.md), rows and cols from the manifest.
field() { sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\"\{0,1\}\([0-9]*\)\"\{0,1\},\{0,1\}$/\1/p" "$cfg/manifest.json" | head -n1; }
io=$(awk '/"width":/ { gsub(/[^0-9]/, "", $2); s += $2 } END { print s }' "$cfg/manifest.json")
# The per-PE figures are the block's own derived parameters (lc_per_pe, dsp_per_pe, lut_per_pe).
rows=$(field rows) cols=$(field cols) per_pe=$(field lc_per_pe) dsp_pe=$(field dsp_per_pe)
[[ -n $rows && -n $cols && -n $per_pe && -n $dsp_pe ]] ||
    die "$cfg/manifest.json: derived rows/cols/lc_per_pe/dsp_per_pe missing (regenerate with make rtl)"
[[ $xilinx == 1 ]] && per_pe=$(field lut_per_pe)
lc=$((rows * cols * per_pe))
ftop=${FPGA_TOP:-auto}
case $ftop in
auto) if [[ $io -le $pio ]]; then ftop=array; else ftop=stream; fi ;;
array | stream) ;;
*) die "FPGA_TOP=$ftop: expected array, stream or auto" ;;
esac
if [[ $ftop == stream ]]; then
    [[ -f $cfg/tb/tb_${top}_stream.sv ]] ||
        die "$name does not fit $part: SB_IO: the top has $io I/O bits, the package has $pio user I/O pins, and this block has no streaming top (its latency depends on the data)"
    top=${top}_stream
    io=22 # clk, rst, 8 data + valid + ready each way
fi
[[ $io -le $pio ]] || die "$name does not fit $part: SB_IO: the top has $io I/O bits, the package has $pio user I/O pins (FPGA_TOP=stream needs 22)"
if [[ $xilinx == 1 ]]; then
    [[ $((rows * cols * dsp_pe)) -le $pdsp ]] || die "$name does not fit $part: DSP48E1: $((rows * cols * dsp_pe)) needed ($dsp_pe per PE), the part has $pdsp"
    [[ $lc -le $plc ]] || die "$name does not fit $part: LUT: about $lc needed, the part has $plc"
else
    [[ $lc -le $plc ]] || die "$name does not fit $part: ICESTORM_LC: about $lc logic cells needed ($((rows * cols)) PEs x ~$per_pe), the part has $plc"
fi

out=$cfg/fpga
mkdir -p "$out"
wd=$(mktemp -d "$out/.run.XXXXXX")
trap 'rm -rf "$wd"' EXIT
declare -A wall mem
step() { # step NAME CMD...: one flow step, its time and peak memory recorded
    local n=$1 t0 t1
    shift
    t0=$EPOCHREALTIME
    if ! /usr/bin/time -f '%M' -o "$wd/$n.mem" "$@" >"$wd/$n.log" 2>&1; then
        cp "$wd/$n.log" "$out/$n-failed.log"
        echo "fpga: step $n failed on $name; log: $out/$n-failed.log" >&2
        tail -n 8 "$out/$n-failed.log" | sed 's/^/  | /' >&2
        exit 1
    fi
    t1=$EPOCHREALTIME
    wall[$n]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    mem[$n]=$(($(tail -n1 "$wd/$n.mem") / 1024))
}
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (Debian package 'time')"

# 2. constraints
period=$(awk -v f="$freq" 'BEGIN { printf "%.3f", 1000 / f }')
if [[ $xilinx == 0 ]]; then
    printf '# %s on %s: the clock on a global-buffer pin; other I/O placed by nextpnr\nset_io clk_i %s\n' \
        "$name" "$part" "$pclk" >"$wd/$name.pcf"
    printf '# %s: %s MHz target (Xilinx flows)\ncreate_clock -period %s -name clk_i [get_ports clk_i]\n' \
        "$name" "$freq" "$period" >"$wd/$name.xdc"
else
    printf '# %s on %s: %s MHz clock on pin %s\nset_property PACKAGE_PIN %s [get_ports clk_i]\nset_property IOSTANDARD LVCMOS33 [get_ports clk_i]\ncreate_clock -period %s -name clk_i [get_ports clk_i]\n' \
        "$name" "$part" "$freq" "$pclk" "$pclk" "$period" >"$wd/$name.xdc"
fi

# 3-5, cheapest first so that a netlist that computes wrong fails within seconds: generic synthesis
# and its gate-level run, iCE40 synthesis and its gate-level run, place and route, Xilinx counts.
# Yosys runs in CFG_DIR on relative paths.
rd="read_verilog -sv $rtl"
rel=${wd#"$cfg"/}
yshare=$(yosys-config --datdir 2>/dev/null || echo /usr/share/yosys)
gate_cmd="gemm --m 9 --k $((2 * rows + 1)) --n $((cols + 1)) --seed 1"
step synth-generic bash -c "cd '$cfg' && yosys -q -p '$rd; synth -flatten -top $top; write_verilog -noexpr -noattr $rel/gate-generic.v'"
if [[ ${GATE_SIM:-1} != 0 ]]; then
    step gate-generic env NETLIST="$wd/gate-generic.v $yshare/simcells.v" STREAM=$([[ $ftop == stream ]] && echo 1 || echo 0) bash -c "cd '$root' && bash scripts/icarus.sh '$cfg' $gate_cmd"
fi
if [[ $xilinx == 0 ]]; then
    step synth-ice40 bash -c "cd '$cfg' && yosys -q -p '$rd; synth_ice40 -top $top -json $rel/ice40.json; write_verilog -noattr $rel/gate-ice40.v; tee -q -o $rel/ice40-stat.txt stat'"
    if [[ ${GATE_SIM:-1} != 0 ]]; then
        step gate-ice40 env NETLIST="$wd/gate-ice40.v $yshare/ice40/cells_sim.v" ICARUS_DEFS=-DNO_ICE40_DEFAULT_ASSIGNMENTS \
            STREAM=$([[ $ftop == stream ]] && echo 1 || echo 0) \
            bash -c "cd '$root' && bash scripts/icarus.sh '$cfg' $gate_cmd"
    fi
    # shellcheck disable=SC2086
    step pnr-ice40 nextpnr-ice40 $popts --json "$wd/ice40.json" --pcf "$wd/$name.pcf" --pcf-allow-unconstrained \
        --freq "$freq" --timing-allow-fail --report "$wd/pnr.json" --asc "$wd/$name.asc"
fi
step synth-xilinx bash -c "cd '$cfg' && yosys -q -p '$rd; synth_xilinx -flatten -top $top -noiopad -noclkbuf; tee -q -o $rel/xilinx-stat.json stat -json'"

info=(--info "config=$name" --info "top=$top" --info "part=$part" --info "target_mhz=$freq" --info "yosys=$(yosys -V)")
[[ $xilinx == 1 ]] || info+=(--info "nextpnr=$(nextpnr-ice40 --version 2>&1 | head -n1)")
for s in "${!wall[@]}"; do info+=(--info "wall_s.$s=${wall[$s]}" --info "peak_mb.$s=${mem[$s]}"); done
if [[ ${GATE_SIM:-1} != 0 ]]; then
    info+=(--info "gate_sim.generic=$(tail -n1 "$wd/gate-generic.log")")
    [[ $xilinx == 1 ]] || info+=(--info "gate_sim.ice40=$(tail -n1 "$wd/gate-ice40.log")")
fi
pnr=()
[[ $xilinx == 0 ]] && pnr=(--pnr "$wd/pnr.json")
"$fr" "${pnr[@]}" --xilinx "$wd/xilinx-stat.json" --xilinx-part "$part,$plc,$pdsp" "${info[@]}" --json "$wd/report.json" \
    --txt "$wd/report.txt" --md "$wd/report.md" >/dev/null || exit 2
for f in "$wd"/*; do
    [[ -f $f ]] || continue
    case $f in *.mem | */report.txt | */report.md | */report.json) continue ;; esac
    mv -f "$f" "$out/"
done
mv -f "$wd/report.txt" "$out/report.txt" && mv -f "$wd/report.md" "$out/report.md" &&
    mv -f "$wd/report.json" "$out/report.json"
# next to the gate equivalents, when `make synth` has run for this config
if [[ -f $cfg/synth/report.json ]]; then "$fr" merge "$out/report.json" "$cfg/synth/report.json" || exit 2; fi
rm -f "$out"/*-failed.log
cat "$out/report.txt"
echo "fpga: wrote $out/report.json, report.txt and report.md"
