# Co-simulation suite (sourced by tests/run.sh; uses its `run`).
# Verilator: every shape in COSIM_SHAPES x both weight widths, lint-clean, seeded random GEMMs
# covering every schedule case; Icarus: 4 and 8; fault injection proves both checkers can fail.

COSIM_SHAPES=("ARRAY=2" "ARRAY=4" "ARRAY=8" "ARRAY=16" "ARRAY=6" "ROWS=8 COLS=4")
if [[ -n "${LONG:-}" ]]; then COSIM_SHAPES+=("ARRAY=32" "ROWS=5 COLS=12" "ARRAY=64"); fi
FAULTS=(mul-sign wbank skew late-valid)

cfg_dir() { build/bin/mxfgen name $(gen_args "$@") | sed 's|^|build/|'; }
# "ARRAY=4 WBITS=8" -> mxfgen options
gen_args() {
    local a
    for a in "$@"; do
        case $a in
        ARRAY=*) echo "--array ${a#*=}" ;;
        ROWS=*) echo "--rows ${a#*=}" ;;
        COLS=*) echo "--cols ${a#*=}" ;;
        WBITS=*) echo "--wbits ${a#*=}" ;;
        FAULT=*) echo "--fault ${a#*=}" ;;
        esac
    done
}

echo "== Verilator builds (all shapes x WBITS 4/8 + fault configs; parallel)"
cosim_cfgs=()
for shape in "${COSIM_SHAPES[@]}"; do
    for wb in 4 8; do cosim_cfgs+=("$shape WBITS=$wb"); done
done
for f in "${FAULTS[@]}"; do cosim_cfgs+=("ARRAY=4 WBITS=8 FAULT=$f"); done
build_all() {
    printf '%s\n' "${cosim_cfgs[@]}" |
        xargs -P "${JOBS:-2}" -I{} bash -c 'make -s sim-config {} >/dev/null 2>build/test-logs/build-$(echo {} | tr " =" "_-").err || { cat build/test-logs/build-$(echo {} | tr " =" "_-").err; exit 1; }'
}
run "cosim/build-all-configs" build_all
# Harness bad input needs a built harness, so it lives here rather than in cli.sh.
run "cli/mxfsim-bad-m" expect_error "--m=0: out of range" build/ws-a4-w8/mxfsim gemm --m 0

echo "== Verilator co-simulation"
seed=${SEED:-1}
for c in "${cosim_cfgs[@]}"; do
    [[ $c == *FAULT=* ]] && continue
    # shellcheck disable=SC2086
    d=$(cfg_dir $c)
    n=$(basename "$d")
    run "lint/$n" make -s lint $c
    run "cosim/$n" "$d/mxfsim" random --count "${COSIM_COUNT:-12}" --seed "$seed"
done
# M >= R, many tiles: the no-stall steady state, checked on a mid-size array.
run "cosim/ws-a16-w8-steady" build/ws-a16-w8/mxfsim gemm --m 40 --k 70 --n 50 --seed "$seed"

echo "== fault injection (each planted bug must be reported as a mismatch)"
for f in "${FAULTS[@]}"; do
    run "fault/verilator-$f" expect_mismatch build/ws-a4-w8-f$f/mxfsim random --count 12 --seed "$seed"
done

echo "== Icarus co-simulation"
icarus_cfg() {
    # shellcheck disable=SC2046
    build/bin/mxfgen rtl $(gen_args "$@") --outroot build | tail -n1
}
for c in "ARRAY=4 WBITS=8" "ARRAY=4 WBITS=4" "ARRAY=8 WBITS=8" "ROWS=8 COLS=4 WBITS=4"; do
    # shellcheck disable=SC2086
    d=$(icarus_cfg $c)
    run "icarus/$(basename "$d")" bash scripts/icarus.sh "$d" 11 19 13 "$seed"
done
for f in late-valid mul-sign; do
    d=$(icarus_cfg ARRAY=4 WBITS=8 FAULT=$f)
    run "fault/icarus-$f" expect_mismatch bash scripts/icarus.sh "$d" 11 19 13 "$seed"
done

echo "== waveforms"
trace_vcd() {
    make -s sim-config ARRAY=4 WBITS=8 TRACE=1 >/dev/null || return 1
    rm -f build/test-logs/trace.vcd
    build/ws-a4-w8/mxfsim-trace gemm --m 3 --k 5 --n 6 --seed 2 --vcd build/test-logs/trace.vcd || return 1
    grep -q 'y_valid_o' build/test-logs/trace.vcd && grep -q 'enddefinitions' build/test-logs/trace.vcd
}
run "trace/vcd-written" trace_vcd
run "trace/untraced-model-refuses-vcd" expect_error "TRACE=1" \
    build/ws-a4-w8/mxfsim gemm --m 2 --vcd build/test-logs/never.vcd

echo "== lint of extreme shapes (not simulated by default)"
LINT_ONLY=("ROWS=2 COLS=128 WBITS=4" "ROWS=128 COLS=2 WBITS=8" "ARRAY=3 WBITS=4" "ROWS=100 COLS=7 WBITS=8")
if [[ -n "${LONG:-}" ]]; then LINT_ONLY+=("ARRAY=128 WBITS=8"); fi # ~1-2 min of Verilator alone
for c in "${LINT_ONLY[@]}"; do
    # shellcheck disable=SC2086
    run "lint/$(basename "$(cfg_dir $c)")" make -s lint $c
done
