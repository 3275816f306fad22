#!/usr/bin/env bash
# `make compare`: every scheme on one model, one harness and one synthesis flow. Each scheme's
# `make sim` (bit-exact through its RTL) and `make synth` (area) of the same ARRAY, then
# build/bin/mxfcompare writes the side-by-side table and gnuplot draws it:
#   build/compare/<model>-a<ARRAY>-s<seed>/compare.{md,csv,json,png}
# Knobs: MODEL ARRAY SEED SCHEMES (comma list of the names below) SYNTH=0 (no area) and what
# make sim takes (LAYERS JOBS FULL WEIGHTS SIM_ARGS). Exit: the first failing step's code.
set -uo pipefail
model=${MODEL:-opt-125m} arr=${ARRAY:-8} seed=${SEED:-1} synth=${SYNTH:-1}
all=(
    "microscopiq-bb2|ARCH=microscopiq BB=2"
    "microscopiq-bb4|ARCH=microscopiq BB=4"
    "microscopiq-bb2-benes|ARCH=microscopiq BB=2 NET=benes"
    "fineq|ARCH=fineq SCHED=lock"
    "fineq-mul|ARCH=fineq-mul"
    "ws-mxint8|ARCH=ws WBITS=8"
    "ws-mxint4|ARCH=ws WBITS=4"
)
names() { for s in "${all[@]}"; do printf '%s ' "${s%%|*}"; done; }
pick=()
if [[ -n ${SCHEMES:-} ]]; then
    IFS=, read -ra want <<<"$SCHEMES"
    for w in "${want[@]}"; do
        found=
        for s in "${all[@]}"; do [[ ${s%%|*} == "$w" ]] && found=$s; done
        [[ -n $found ]] || { echo "SCHEMES=$SCHEMES: no scheme '$w' (known: $(names))" >&2; exit 2; }
        pick+=("$found")
    done
else
    pick=("${all[@]}")
fi
case $synth in 0 | 1) ;; *) echo "SYNTH=$synth: expected 0 or 1" >&2; exit 2 ;; esac
# each scheme sets its own block knobs; the caller's must not leak into the others
unset ARCH BB RECON NET ALIGN WBITS SCHED ROWS COLS FAULT FORMAT
out=build/compare/$model-a$arr-s$seed
mkdir -p "$out" || exit 3
args=()
echo "compare: $model, ARRAY=$arr, SEED=$seed: ${#pick[@]} schemes -> $out"
for s in "${pick[@]}"; do
    name=${s%%|*} knobs=${s#*|}
    log=$out/$name.sim.log
    # shellcheck disable=SC2086
    make -s sim MODEL="$model" ARRAY="$arr" SEED="$seed" $knobs >"$log" 2>&1
    rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "compare: make sim for $name failed (exit $rc); $log ends:" >&2
        tail -n 5 "$log" >&2
        exit "$rc"
    fi
    rdir=$(sed -n 's/^  reports: \(.*\)\/report\.{json,csv,md}$/\1/p' "$log" | tail -n 1)
    [[ -n $rdir && -s $rdir/report.json ]] || { echo "compare: $name: no report in $log" >&2; exit 3; }
    a="$name=$rdir/report.json"
    if [[ $synth == 1 ]]; then
        slog=$out/$name.synth.log
        # shellcheck disable=SC2086
        make -s synth ARRAY="$arr" $knobs >"$slog" 2>&1 || {
            rc=$?
            echo "compare: make synth for $name failed; $slog ends:" >&2
            tail -n 5 "$slog" >&2
            exit "$rc"
        }
        sp=$(sed -n 's/^synth: wrote \(.*\) and report.txt$/\1/p' "$slog" | tail -n 1)
        [[ -n $sp && -s $sp ]] || { echo "compare: $name: no synthesis report in $slog" >&2; exit 3; }
        a+=",$sp"
    fi
    args+=("$a")
    echo "  $name: $(grep '^model .*output SQNR' "$log" | tail -n 1 | sed 's/ over all.*//')"
done
build/bin/mxfcompare --out "$out" --title "make compare (ARRAY=$arr, SEED=$seed)" "${args[@]}" || exit $?
command -v gnuplot >/dev/null || { echo "compare: gnuplot not installed; no compare.png"; exit 0; }
tmp=$(mktemp "$out/compare.png.tmp.XXXXXX") || exit 3
# compare.csv columns: 1 scheme, 4 SQNR, 5 bits/w, 6 array GE, 8 model cycles, 12 on-chip pJ/MAC
gnuplot <<GP || { rm -f "$tmp"; echo "compare: gnuplot failed" >&2; exit 3; }
set terminal pngcairo size 1400,900 noenhanced font ",10"
set output "$tmp"
set datafile separator ","
set multiplot layout 2,2 title "$model, ARRAY=$arr: every scheme through its RTL (make compare)"
set grid
set key off
set xlabel "bits per weight (image)"
set ylabel "output SQNR (dB)"
set offsets graph 0.1, graph 0.2, graph 0.1, graph 0.1
plot "$out/compare.csv" every ::1 using 5:4 with points pt 7 ps 1.5, \
     "" every ::1 using 5:4:1 with labels offset 0,1
set offsets 0, 0, 0, 0
unset xlabel
set style data histograms
set style fill solid 0.6
set boxwidth 0.8
set xtics rotate by -30
set yrange [0:*]
$(if [[ $synth == 1 ]]; then
    echo 'set ylabel "array area (kGE, Yosys)"'
    echo "plot \"$out/compare.csv\" every ::1 using (\$6/1000):xtic(1)"
else
    echo 'set label 1 "no area (SYNTH=0)" at graph 0.4, graph 0.5'
    echo 'plot 0 with lines'
    echo 'unset label 1'
fi)
set ylabel "whole-model cycles (extrapolated)"
plot "$out/compare.csv" every ::1 using 8:xtic(1)
set ylabel "on-chip energy (pJ per MAC, estimate)"
plot "$out/compare.csv" every ::1 using 12:xtic(1)
unset multiplot
GP
chmod 644 "$tmp" && mv -f "$tmp" "$out/compare.png" && echo "compare: plot $out/compare.png"
