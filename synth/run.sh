#!/usr/bin/env bash
# synth/run.sh CFG_DIR: Yosys area report of one generated config (see docs/synth.md).
#   1. generic `synth` of the whole array with the hierarchy kept (synth/generic.ys)
#   2. FPGA resources of the PE module alone: iCE40 without and with DSP, Xilinx 7-series
#      (synth/pe_ice40.ys, synth/pe_ice40_dsp.ys, synth/pe_xilinx.ys)
#   3. tools/synth_report prices the generic cells in NAND2 gate equivalents (synth/ge_weights.tsv)
# Outputs in CFG_DIR/synth/: report.txt, report.json, yosys.log (generic flow), pe-*.log,
# stat.json/stat.txt/stat-cmos.txt and pe-*.json. Everything is produced in a temp directory and
# renamed into place at the end, reports last; a failed run leaves the previous outputs alone.
# The synth_report binary: $SYNTH_REPORT, else <outroot>/bin/synth_report (CFG_DIR's parent is
# the --outroot the generator used, i.e. make's B), else build/bin/synth_report of this checkout.
set -euo pipefail

die() {
    echo "synth: $*" >&2
    exit 2
}

[[ $# -eq 1 && -n $1 ]] || die "usage: bash synth/run.sh CFG_DIR (a directory written by 'mxfgen rtl')"
cfg=$1
[[ -d $cfg ]] || die "$cfg: no such config directory (run 'make rtl' first)"
[[ -f $cfg/manifest.json ]] || die "$cfg: no manifest.json (not a directory written by 'mxfgen rtl')"
if ! command -v yosys >/dev/null 2>&1; then
    echo "mxforge: required tool 'yosys' not found on PATH; run 'bash scripts/setup.sh' as root (it installs the Debian packages) or see README.md" >&2
    exit 127
fi

if [[ ${BASH_SOURCE[0]} == */* ]]; then here=${BASH_SOURCE[0]%/*}; else here=.; fi
here=$(cd "$here" && pwd)
root=${here%/*}
cfg=$(cd "$cfg" && pwd)

sr=${SYNTH_REPORT:-}
if [[ -z $sr ]]; then
    for c in "${cfg%/*}/bin/synth_report" "$root/build/bin/synth_report"; do
        if [[ -x $c ]]; then
            sr=$c
            break
        fi
    done
fi
[[ -n $sr && -x $sr ]] || die "synth_report is not built (run 'make synth', or 'make build/bin/synth_report')"
if [[ $sr == */* ]]; then sr=$(cd "${sr%/*}" && pwd)/${sr##*/}; fi

# name/top/pe/rtl from the manifest (synth_report checks the fields and their characters)
name='' top='' pe='' rtl=''
manifest=$("$sr" manifest "$cfg/manifest.json") || exit 2
while read -r k v; do
    case $k in
    name) name=$v ;;
    top) top=$v ;;
    pe) pe=$v ;;
    rtl) rtl+="${rtl:+ }$v" ;;
    esac
done <<<"$manifest"
for f in $rtl; do
    [[ -f $cfg/$f ]] || die "$cfg/manifest.json: files.rtl lists $f, which does not exist"
done

out=$cfg/synth
mkdir -p "$out"
wd=$(mktemp -d "$out/.run.XXXXXX")
trap 'rm -rf "$wd"' EXIT
wdrel=synth/${wd##*/} # Yosys runs in CFG_DIR, so scripts only ever see relative paths

declare -A wall mem
# flow NAME SCRIPT LOG: one Yosys run; on failure its log is kept as CFG_DIR/synth/NAME-failed.log.
flow() {
    local fname=$1 ys=$2 log=$3 t0 t1
    sed -e "s|@RTL@|$rtl|g" -e "s|@TOP@|$top|g" -e "s|@PE@|$pe|g" -e "s|@OUT@|$wdrel|g" \
        "$here/$ys" >"$wd/$ys"
    t0=$EPOCHREALTIME
    if ! (cd "$cfg" && yosys -q -l "$wdrel/$log" -s "$wdrel/$ys") >"$wd/$fname.console" 2>&1; then
        cp "$wd/$log" "$out/$fname-failed.log" 2>/dev/null || cp "$wd/$fname.console" "$out/$fname-failed.log"
        echo "synth: yosys $fname flow ($ys) failed on $cfg; log: $out/$fname-failed.log" >&2
        tail -n 5 "$out/$fname-failed.log" | sed 's/^/  | /' >&2
        exit 1
    fi
    t1=$EPOCHREALTIME
    wall[$fname]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    mem[$fname]=$(sed -n 's/^End of script.*MEM: \([0-9.]*\) MB peak.*/\1/p' "$wd/$log" | tail -n1)
}

ver=$(yosys -V)
echo "synth: $name with $ver (top $top, PE $pe)"
flow generic generic.ys yosys.log
flow ice40 pe_ice40.ys pe-ice40.log
flow ice40-dsp pe_ice40_dsp.ys pe-ice40-dsp.log
flow xilinx pe_xilinx.ys pe-xilinx.log

# Yosys 0.23's `stat -json` writes the text hierarchy of modules nested more than one level deep
# ("    name   count" lines, no quotes) into the JSON's design section; drop those lines.
sed -i -E '/^[[:space:]]+[^"[:space:]{}]+[[:space:]]+[0-9]+$/d' "$wd/stat.json"

# Readable names for the parameterized modules: Yosys names them "$paramod$<sha1>\mxf_delay"
# and logs the parameter values just before "Generating RTLIL representation for module ...".
awk '
/Executing AST frontend in derive mode/ { params = ""; next }
/^Parameter \\[^ ]+ = / {
    p = $0; sub(/^Parameter \\/, "", p); sub(/ = /, "=", p)
    params = params (params == "" ? "" : ",") p; next
}
/^Generating RTLIL representation for module `\$paramod/ {
    m = $0; sub(/^[^`]*`/, "", m); sub(/'"'"'\.?$/, "", m)
    base = m; sub(/.*\\/, "", base)
    if (params != "") print m "\t" base "(" params ")"
    params = ""
}' "$wd/yosys.log" >"$wd/names.tsv"

info=(--info "config=$name" --info "yosys=$ver"
    --info "flow.generic=synth -top $top (hierarchy kept)"
    --info "flow.ice40=synth_ice40 -top $pe -noflatten"
    --info "flow.ice40-dsp=synth_ice40 -top $pe -noflatten -dsp"
    --info "flow.xilinx=synth_xilinx -top $pe -noiopad -noclkbuf (xc7)")
for f in generic ice40 ice40-dsp xilinx; do
    info+=(--info "wall_s.$f=${wall[$f]}" --info "peak_mb.$f=${mem[$f]:-?}")
done
(cd "$root" && "$sr" report --weights synth/ge_weights.tsv --stat "$wd/stat.json" --top "$top" --pe "$pe" \
    --names "$wd/names.tsv" --fpga "ice40=$wd/pe-ice40.json" \
    --fpga "ice40-dsp=$wd/pe-ice40-dsp.json" --fpga "xilinx=$wd/pe-xilinx.json" "${info[@]}" \
    --json "$wd/report.json" --txt "$wd/report.txt") || exit 2

for f in yosys.log pe-ice40.log pe-ice40-dsp.log pe-xilinx.log stat.json stat.txt \
    stat-cmos.txt pe-ice40.json pe-ice40-dsp.json pe-xilinx.json names.tsv report.txt report.json; do
    mv -f "$wd/$f" "$out/$f"
done
rm -f "$out"/*-failed.log
# the whole-array FPGA figures of `make fpga`, when it has run for this config (docs/fpga.md)
fr=${sr%/*}/fpga_report
if [[ -f $cfg/fpga/report.json && -x $fr ]]; then "$fr" merge "$cfg/fpga/report.json" "$out/report.json" || exit 2; fi
cat "$out/report.txt"
echo "synth: wrote $out/report.json and report.txt"
