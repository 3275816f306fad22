# The ws block's suite (sourced by tests/run.sh; uses its `run`, `expect_error`, `expect_mismatch`).
# Verilator: every shape in COSIM_SHAPES x both weight widths, lint-clean, seeded random GEMMs
# covering every schedule case; packed images from mxquant (mxint8, mxint4) and a zoo model
# through the array; Icarus on small configs (random and image); fault injection proves that
# both checkers can fail, at both weight widths and two sizes.

COSIM_SHAPES=("ARRAY=2" "ARRAY=4" "ARRAY=8" "ARRAY=16" "ARRAY=6" "ROWS=8 COLS=4")
if [[ -n "${LONG:-}" ]]; then COSIM_SHAPES+=("ARRAY=32" "ROWS=5 COLS=12" "ARRAY=64"); fi
FAULTS=(mul-sign wbank skew late-valid wskew noreset)
FAULT_CFGS=("ARRAY=4 WBITS=8" "ROWS=6 COLS=5 WBITS=4")
# noreset is caught only with random or X start-up state (the xprop and Icarus steps below)

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
# shellcheck disable=SC2046
cfg_dir() { build/bin/mxfgen name --arch ws $(gen_args "$@") | sed 's|^|build/|'; }

echo "== ws: Verilator builds (all shapes x WBITS 4/8 + fault configs; parallel)"
cosim_cfgs=()
for shape in "${COSIM_SHAPES[@]}"; do
    for wb in 4 8; do cosim_cfgs+=("$shape WBITS=$wb"); done
done
fault_cfgs=()
for fc in "${FAULT_CFGS[@]}"; do
    for f in "${FAULTS[@]}"; do [[ $f == noreset ]] || fault_cfgs+=("$fc FAULT=$f"); done
done
XPROP_CFGS=("ARRAY=4 WBITS=8" "ROWS=6 COLS=5 WBITS=4" "ARRAY=8 WBITS=4")
xprop_builds=()
for c in "${XPROP_CFGS[@]}"; do xprop_builds+=("$c XPROP=1"); done
xprop_builds+=("ARRAY=4 WBITS=8 FAULT=noreset XPROP=1")
build_all() {
    printf '%s\n' "${cosim_cfgs[@]}" "${fault_cfgs[@]}" "${xprop_builds[@]}" |
        xargs -P "${JOBS:-2}" -I{} bash -c 'make -s sim-config ARCH=ws {} >/dev/null 2>build/test-logs/build-$(echo {} | tr " =" "_-").err || { cat build/test-logs/build-$(echo {} | tr " =" "_-").err; exit 1; }'
}
run "ws/build-all-configs" build_all
# Harness bad input needs a built harness, so it lives here rather than in cli.sh.
run "cli/mxfsim-bad-m" expect_error "--m=0: out of range" build/ws-a4-w8/mxfsim gemm --m 0
run "cli/mxfsim-bad-image" expect_error "cannot open" build/ws-a4-w8/mxfsim image --image /nonexistent.img

echo "== ws: Verilator co-simulation"
seed=${SEED:-1}
for c in "${cosim_cfgs[@]}"; do
    # shellcheck disable=SC2086
    d=$(cfg_dir $c)
    n=$(basename "$d")
    run "lint/$n" make -s lint ARCH=ws $c
    run "cosim/$n" "$d/mxfsim" random --count "${COSIM_COUNT:-12}" --seed "$seed"
done
# M >= R, many tiles: the no-stall steady state, checked on a mid-size array.
run "cosim/ws-a16-w8-steady" build/ws-a16-w8/mxfsim gemm --m 40 --k 70 --n 50 --seed "$seed"

echo "== ws: packed images from mxquant through the array"
WSIMG=build/test-logs/ws-images
ws_images() {
    mkdir -p "$WSIMG" &&
        build/bin/mxquant quantize --format mxint8 --model opt-125m --out "$WSIMG/mxint8.img" &&
        build/bin/mxquant quantize --format mxint4 --model opt-125m --out "$WSIMG/mxint4.img" &&
        build/bin/mxquant quantize --format mxint2 --model opt-125m --out "$WSIMG/mxint2.img" &&
        build/bin/mxquant quantize --format mxfp4 --model opt-125m --out "$WSIMG/mxfp4.img"
}
run "ws/quantize-images" ws_images
# Whole 768x768 q_proj tensors, and a window of fc1 (3072x768) on arrays whose rows do not divide
# the 32-element scale block (6 -> K tiles of 4 rows) or exceed it (64 in test-long).
run "image/ws-a8-w8-mxint8" build/ws-a8-w8/mxfsim image --image "$WSIMG/mxint8.img" --m 8 --seed "$seed"
run "image/ws-a8-w4-mxint4" build/ws-a8-w4/mxfsim image --image "$WSIMG/mxint4.img" --m 8 --seed "$seed"
run "image/ws-a6-w4-mxint4-fc1" build/ws-a6-w4/mxfsim image --image "$WSIMG/mxint4.img" \
    --tensor model.decoder.layers.0.fc1.weight --m 5 --window 6 --seed "$seed"
run "image/ws-r8c4-w8-mxint2" build/ws-r8c4-w8/mxfsim image --image "$WSIMG/mxint2.img" --m 3 --window 5 --seed "$seed"
run "image/ws-a4-w4-rejects-mxint8" expect_error "do not fit WBITS=4" \
    build/ws-a4-w4/mxfsim image --image "$WSIMG/mxint8.img"
run "image/ws-a4-w8-rejects-mxfp4" expect_error "no integer codes the ws array runs" \
    build/ws-a4-w8/mxfsim image --image "$WSIMG/mxfp4.img"
for f in mul-sign late-valid; do
    run "fault/image-$f" expect_mismatch build/ws-a4-w8-f$f/mxfsim image --image "$WSIMG/mxint8.img" --window 3
done

# make sim MODEL=opt-125m: the quantizer's weights for every layer, bit-exact, SQNR reported.
# The SQNR floor is far below what mxint8 (~37 dB) and mxint4 (~17 dB) reach, so only a broken
# scale path (e.g. a wrong block exponent: below 0 dB) fails it.
sim_model() {
    local out
    out=$(make -s sim MODEL=opt-125m FRESH=1 ARCH=ws ARRAY=8 WBITS="$1" SIM_ARGS="--tokens 8 --window 2") || {
        echo "$out"
        return 1
    }
    echo "$out"
    grep -q "mismatches=0" <<<"$out" || return 1
    local db
    db=$(sed -n "s/^model opt-125m: format $2, output SQNR \([-0-9.]*\) dB.*/\1/p" <<<"$out")
    [[ -n $db ]] && awk -v d="$db" -v lo="$3" 'BEGIN { exit !(d > lo) }'
}
run "sim/opt-125m-mxint8" sim_model 8 mxint8 30
run "sim/opt-125m-mxint4" sim_model 4 mxint4 12

echo "== ws: fault injection (each planted bug must be reported as a mismatch)"
for c in "${fault_cfgs[@]}"; do
    # shellcheck disable=SC2086
    d=$(cfg_dir $c)
    run "fault/verilator-$(basename "$d")" expect_mismatch "$d/mxfsim" random --count 12 --seed "$seed"
done

echo "== ws: X and reset (start-up state and X assignments random per run, 4 seeds per size)"
for c in "${XPROP_CFGS[@]}"; do
    # shellcheck disable=SC2086
    d=$(cfg_dir $c)
    for xs in 1 2 3 4; do
        run "xprop/$(basename "$d")-seed$xs" "$d/mxfsim-x" random --count 8 --seed "$seed" \
            +verilator+seed+$xs +verilator+rand+reset+2
    done
done
# A valid bit without reset passes with zero start-up state; random state must expose it.
xprop_noreset_caught() {
    local xs out caught=0
    for xs in 1 2 3 4 5 6 7 8; do
        out=$(build/ws-a4-w8-fnoreset/mxfsim-x random --count 4 +verilator+seed+$xs +verilator+rand+reset+2 2>&1)
        [[ $? -eq 1 ]] && grep -q MISMATCH <<<"$out" && caught=$((caught + 1))
    done
    echo "caught in $caught of 8 seeds"
    [[ $caught -gt 0 ]]
}
run "fault/xprop-noreset" xprop_noreset_caught

echo "== ws: Icarus co-simulation"
icarus_cfg() {
    # shellcheck disable=SC2046
    build/bin/mxfgen rtl --arch ws $(gen_args "$@") --outroot build | tail -n1
}
for c in "ARRAY=4 WBITS=8" "ARRAY=4 WBITS=4" "ARRAY=8 WBITS=8" "ROWS=8 COLS=4 WBITS=4"; do
    # shellcheck disable=SC2086
    d=$(icarus_cfg $c)
    run "icarus/$(basename "$d")" bash scripts/icarus.sh "$d" gemm --m 11 --k 19 --n 13 --seed "$seed"
done
d=$(icarus_cfg ARRAY=4 WBITS=4)
run "icarus/ws-a4-w4-image-mxint4" bash scripts/icarus.sh "$d" image --image "$WSIMG/mxint4.img" --m 5 --window 2
for f in late-valid mul-sign skew noreset; do
    d=$(icarus_cfg ARRAY=4 WBITS=8 FAULT=$f)
    run "fault/icarus-$f" expect_mismatch bash scripts/icarus.sh "$d" gemm --m 11 --k 19 --n 13 --seed "$seed"
done
# The streaming top (FPGA prototypes): stimulus bytes in, output rows out under random
# backpressure; rows judged in order. A wrong product still fails; a late valid does not
# (the stream carries no cycles), which is why the cycle-exact runs above exist.
for c in "ARRAY=4 WBITS=8" "ROWS=8 COLS=4 WBITS=4" "ARRAY=2 WBITS=8"; do
    # shellcheck disable=SC2086
    d=$(icarus_cfg $c)
    for rp in 75 7; do # 7 %: the FIFO fills and words wait for credit
        run "icarus/stream-$(basename "$d")-ready$rp" env STREAM=1 STREAM_READY=$rp bash scripts/icarus.sh "$d" \
            gemm --m 13 --k 21 --n 9 --seed "$seed"
    done
done
d=$(icarus_cfg ARRAY=4 WBITS=4)
run "icarus/stream-ws-a4-w4-image-mxint4" env STREAM=1 bash scripts/icarus.sh "$d" image --image "$WSIMG/mxint4.img" --m 5 --window 2
d=$(icarus_cfg ARRAY=4 WBITS=8 FAULT=mul-sign)
run "fault/icarus-stream-mul-sign" expect_mismatch env STREAM=1 bash scripts/icarus.sh "$d" gemm --m 11 --k 19 --n 13 --seed "$seed"

echo "== ws: mutation campaign sample (make mutate runs every mutant of ws_mutants.tsv)"
run "mutate/ws-sample" bash scripts/mutate.sh ws pe-valid-noreset arr-yskew-short stream-byte-order

echo "== ws: waveforms"
trace_vcd() {
    make -s sim-config ARCH=ws ARRAY=4 WBITS=8 TRACE=1 >/dev/null || return 1
    rm -f build/test-logs/trace.vcd
    build/ws-a4-w8/mxfsim-trace gemm --m 3 --k 5 --n 6 --seed 2 --vcd build/test-logs/trace.vcd || return 1
    grep -q 'y_valid_o' build/test-logs/trace.vcd && grep -q 'enddefinitions' build/test-logs/trace.vcd
}
run "trace/vcd-written" trace_vcd
# a cycle window keeps a trace of a long run small; FST is offered for large ones
trace_window_fst() {
    local full=build/test-logs/trace.vcd win=build/test-logs/trace-win.vcd fst=build/test-logs/trace.fst
    build/ws-a4-w8/mxfsim-trace gemm --m 3 --k 5 --n 6 --seed 2 --vcd "$win" --wave-from 5 --wave-to 9 || return 1
    [[ -s $win && $(stat -c %s "$win") -lt $(stat -c %s "$full") ]] || { echo "window not smaller"; return 1; }
    make -s sim-config ARCH=ws ARRAY=4 WBITS=8 TRACE=fst >/dev/null || return 1
    rm -f "$fst"
    local out
    out=$(build/ws-a4-w8/mxfsim-fst gemm --m 3 --k 5 --n 6 --seed 2 --vcd "$fst" 2>&1) || return 1
    grep -q "waveform written to $fst" <<<"$out" && [[ -s $fst ]]
}
run "trace/window-and-fst" trace_window_fst
run "trace/untraced-model-refuses-vcd" expect_error "TRACE=1" \
    build/ws-a4-w8/mxfsim gemm --m 2 --vcd build/test-logs/never.vcd

echo "== ws: lint of extreme shapes (not simulated by default)"
LINT_ONLY=("ROWS=2 COLS=128 WBITS=4" "ROWS=128 COLS=2 WBITS=8" "ARRAY=3 WBITS=4" "ROWS=100 COLS=7 WBITS=8")
if [[ -n "${LONG:-}" ]]; then LINT_ONLY+=("ARRAY=128 WBITS=8"); fi # ~1-2 min of Verilator alone
for c in "${LINT_ONLY[@]}"; do
    # shellcheck disable=SC2086
    run "lint/$(basename "$(cfg_dir $c)")" make -s lint ARCH=ws $c
done
