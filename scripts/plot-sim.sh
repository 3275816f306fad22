#!/usr/bin/env bash
# Plots a `make sim` report (report.csv of a run directory) with gnuplot into report.png: output
# SQNR per layer, and PE utilization and the share of stall cycles per layer. Usage: scripts/plot-sim.sh RUN_DIR
# Exit 0 (also when gnuplot is missing: the report files stand alone, a note says so), 2 bad
# input, 3 gnuplot failed.
set -uo pipefail
d=${1:?usage: scripts/plot-sim.sh RUN_DIR}
csv=$d/report.csv
[[ -s $csv ]] || { echo "plot-sim: $csv: no report" >&2; exit 2; }
if ! command -v gnuplot >/dev/null; then
    echo "plot-sim: gnuplot not installed (scripts/setup.sh installs it); no $d/report.png"
    exit 0
fi
title=$(sed -n '1s/^# //p' "$d/report.md" 2>/dev/null | sed 's/_/\\\\_/g')
tmp=$(mktemp "$d/report.png.tmp.XXXXXX") || exit 3
# columns: 1 index, 11 output_sqnr_db, 13 cycles, 14 stall_cycles, 16 utilization
if gnuplot <<GP; then
set terminal pngcairo size 1200,800 noenhanced font ",10"
set output "$tmp"
set datafile separator ","
set multiplot layout 2,1 title "$title"
set key outside right top
set grid ytics
set xlabel "layer index (decoder layer x linear layers + linear)"
set ylabel "output SQNR (dB)"
plot "< grep -v '^total' $csv" using 1:11 every ::1 with linespoints pt 7 ps 0.5 title "SQNR vs float layer"
set ylabel "% of the window's cycles"
set yrange [0:105]
plot "< grep -v '^total' $csv" using 1:(100*\$16) every ::1 with linespoints pt 7 ps 0.5 title "PE utilization", \
     "" using 1:(\$13 > 0 ? 100*\$14/\$13 : 0) every ::1 with linespoints pt 5 ps 0.5 title "stall cycles"
unset multiplot
GP
    chmod 644 "$tmp" && mv -f "$tmp" "$d/report.png" && echo "  plot: $d/report.png"
else
    rm -f "$tmp"
    echo "plot-sim: gnuplot failed on $csv" >&2
    exit 3
fi
