# The microscopiq block's suite (sourced by tests/run.sh, uses its `run`, `expect_error`,
# `expect_mismatch`). Verilator: MODE 2b and 4b, per-row and shared ReCoN, square and
# non-power-of-two shapes, lint-clean, seeded random GEMMs of quantized weights and the directed
# worst cases; MicroScopiQ images from mxquant (bb = 2 and 4, RTN and Hessian mode) and a zoo
# model through the array; Icarus on small configs; fault injection (multiplier in both modes,
# every switch operation, the arbiter, the configuration path, valid timing, reset) caught.

# (ROWS=6 COLS=28 CPORTS=3: 7 slices on 3 configuration ports, tags 0..2)
MSQ_SHAPES=("ARRAY=8" "ARRAY=8 BB=4 RECON=1" "ROWS=12 COLS=12 RECON=1" "ARRAY=8 NET=benes"
    "ROWS=6 COLS=28 CPORTS=3")
# arrays of 16 and more (test-long): their co-simulation is short
MSQ_BIG=()
if [[ -n "${LONG:-}" ]]; then MSQ_SHAPES+=("ROWS=24 COLS=20 RECON=3" "ROWS=12 COLS=16 BB=4 RECON=2 NET=benes"); MSQ_BIG+=("ARRAY=16 NET=benes" "ARRAY=16 RECON=2" "ARRAY=16 BB=4" "ARRAY=32 RECON=1" "ARRAY=32 BB=4 RECON=4"); fi
# each fault on the smallest array that exercises it (ARRAY=4: 8 outputs, one uB per row)
MSQ_FAULTS=("ARRAY=4 FAULT=mul-2b" "ROWS=4 COLS=8 BB=4 FAULT=mul-4b" "ARRAY=4 FAULT=sw-swap"
    "ARRAY=4 FAULT=sw-split" "ARRAY=4 FAULT=sw-sign" "ROWS=4 COLS=8 BB=4 FAULT=sw-shift"
    "ROWS=4 COLS=8 BB=4 FAULT=sw-mirror" "ARRAY=4 RECON=1 FAULT=arb"
    "ARRAY=4 FAULT=cfg-bank" "ROWS=4 COLS=8 CPORTS=2 FAULT=cfg-bank" "ARRAY=4 RECON=1 FAULT=late-valid"
    "ARRAY=4 NET=benes FAULT=sw-swap" "ARRAY=4 NET=benes FAULT=sw-sign"
    "ROWS=4 COLS=8 BB=4 NET=benes FAULT=sw-shift")
MSQ_XPROP=("ARRAY=4" "ROWS=4 COLS=8 BB=4 RECON=1")

# "ARRAY=8 BB=4" -> mxfgen options
msq_args() {
    local a
    echo "--arch microscopiq"
    for a in "$@"; do
        case $a in
        ARRAY=*) echo "--array ${a#*=}" ;;
        ROWS=*) echo "--rows ${a#*=}" ;;
        COLS=*) echo "--cols ${a#*=}" ;;
        BB=*) echo "--bb ${a#*=}" ;;
        RECON=*) echo "--recon ${a#*=}" ;;
        NET=*) echo "--net ${a#*=}" ;;
        CPORTS=*) echo "--cports ${a#*=}" ;;
        ALIGN=*) echo "--align ${a#*=}" ;;
        FAULT=*) echo "--fault ${a#*=}" ;;
        esac
    done
}
# shellcheck disable=SC2046
msq_dir() { build/bin/mxfgen name $(msq_args "$@") | sed 's|^|build/|'; }
# step names carry the block's name: "msq-a8-bb2" -> "microscopiq-a8-bb2"
msq_step() { local n; n=$(basename "$1"); echo "microscopiq-${n#msq-}"; }

msq_builds=()
for s in "${MSQ_SHAPES[@]}"; do msq_builds+=("ARCH=microscopiq $s"); done
for s in "${MSQ_BIG[@]}"; do msq_builds+=("ARCH=microscopiq $s"); done
for s in "${MSQ_FAULTS[@]}"; do msq_builds+=("ARCH=microscopiq $s"); done
for s in "${MSQ_XPROP[@]}"; do msq_builds+=("ARCH=microscopiq $s XPROP=1"); done
msq_builds+=("ARCH=microscopiq ARRAY=4 FAULT=noreset XPROP=1")

echo "== microscopiq: Verilator builds (shapes, fault and X configs; parallel)"
msq_build_all() {
    printf '%s\n' "${msq_builds[@]}" |
        xargs -P "${JOBS:-2}" -I{} bash -c 'make -s sim-config {} >/dev/null 2>build/test-logs/build-$(echo {} | tr " =" "_-").err || { cat build/test-logs/build-$(echo {} | tr " =" "_-").err; exit 1; }'
}
run "microscopiq/build-all-configs" msq_build_all

echo "== microscopiq: Verilator co-simulation (random shapes and the directed worst cases)"
seed=${SEED:-1}
for s in "${MSQ_SHAPES[@]}" "${MSQ_BIG[@]}"; do
    # shellcheck disable=SC2086
    d=$(msq_dir $s)
    n=$(msq_step "$d")
    # shellcheck disable=SC2086
    run "lint/$n" make -s lint ARCH=microscopiq $s
    cnt=${COSIM_COUNT:-12}
    [[ " ${MSQ_BIG[*]} " == *" $s "* ]] && cnt=3
    run "cosim/$n" "$d/mxfsim" random --count "$cnt" --seed "$seed"
    run "cosim/$n-directed" "$d/mxfsim" directed --seed "$seed"
done
# Many tiles with M above the reload distance: the double-buffered steady state.
for d in build/msq-a8-bb2 build/msq-a12-bb2-u1; do
    run "cosim/$(msq_step "$d")-steady" "$d/mxfsim" gemm --m 40 --k 100 --n 70 --seed "$seed"
done
# Every row contends for one unit: each step takes one cycle per requesting row.
msq_contention() {
    local out
    out=$(build/msq-a8-bb4-u1/mxfsim directed --seed "$seed") || { echo "$out"; return 1; }
    echo "$out" | grep "every row contends"
    grep "every row contends" <<<"$out" | grep -qv " 0 stall cycles"
}
run "cosim/microscopiq-a8-bb4-u1-contention-stalls" msq_contention

echo "== microscopiq: MicroScopiQ images from mxquant through the array"
MSQIMG=build/test-logs/msq-images
msq_images() {
    mkdir -p "$MSQIMG" &&
        build/bin/mxquant quantize --format microscopiq2 --model opt-125m --out "$MSQIMG/msq2.img" &&
        build/bin/mxquant quantize --format microscopiq4 --model opt-125m --out "$MSQIMG/msq4.img" &&
        build/bin/mxquant quantize --format microscopiq2:mode=gptq --model opt-125m --out "$MSQIMG/msq2-gptq.img" &&
        build/bin/mxquant quantize --format microscopiq4:mode=gptq --model opt-125m --out "$MSQIMG/msq4-gptq.img" &&
        build/bin/mxquant quantize --format mxint8 --model opt-125m --out "$MSQIMG/mxint8.img" &&
        build/bin/mxquant quantize --format microscopiq2:route=any,sigma=1 --model opt-125m --out "$MSQIMG/any.img" &&
        cp "$MSQIMG/msq2.img" "$MSQIMG/corrupt.img" &&
        local sz &&
        sz=$(stat -c %s "$MSQIMG/corrupt.img") &&
        printf '\x5a' | dd of="$MSQIMG/corrupt.img" bs=1 seek=$((sz / 2)) conv=notrunc status=none
}
run "microscopiq/quantize-images" msq_images
run "image/microscopiq-a8-bb2" build/msq-a8-bb2/mxfsim image --image "$MSQIMG/msq2.img" --m 6 --window 3 --seed "$seed"
run "image/microscopiq-a8-bb2-gptq-fc1" build/msq-a8-bb2/mxfsim image --image "$MSQIMG/msq2-gptq.img" \
    --tensor model.decoder.layers.0.fc1.weight --m 5 --window 3 --seed "$seed"
run "image/microscopiq-a8-bb4-u1" build/msq-a8-bb4-u1/mxfsim image --image "$MSQIMG/msq4.img" --m 5 --window 3 --seed "$seed"
run "image/microscopiq-a8-bb4-u1-gptq-fc2" build/msq-a8-bb4-u1/mxfsim image --image "$MSQIMG/msq4-gptq.img" \
    --tensor model.decoder.layers.0.fc2.weight --m 4 --window 3 --seed "$seed"
run "image/microscopiq-a12-bb2-u1" build/msq-a12-bb2-u1/mxfsim image --image "$MSQIMG/msq2.img" --m 4 --window 2 --seed "$seed"
run "image/microscopiq-rejects-mxint8" expect_error "is not MicroScopiQ" \
    build/msq-a8-bb2/mxfsim image --image "$MSQIMG/mxint8.img"
run "image/microscopiq-rejects-other-bb" expect_error "microscopiq4 tensor on a BB=2 array" \
    build/msq-a8-bb2/mxfsim image --image "$MSQIMG/msq4.img"
run "image/microscopiq-rejects-corrupt" expect_error "crc: stored" \
    build/msq-a8-bb2/mxfsim image --image "$MSQIMG/corrupt.img"
run "image/microscopiq-rejects-unknown-tensor" expect_error "no tensor named 'nope'" \
    build/msq-a8-bb2/mxfsim image --image "$MSQIMG/msq2.img" --tensor nope
run "image/microscopiq-rejects-unroutable" expect_error "ReCoN W=8: " \
    build/msq-a8-bb2/mxfsim image --image "$MSQIMG/any.img" --m 2
# the same placements (quantized without the butterfly's constraint) through NET=benes
run "image/microscopiq-a8-bb2-benes-any-placement" build/msq-a8-bb2-benes/mxfsim image \
    --image "$MSQIMG/any.img" --m 4 --window 3 --seed "$seed"
# configurations that cannot map, refused by the generator
run "cli/microscopiq-bb4-needs-8-outputs" expect_error "not a multiple of 8" build/bin/mxfgen rtl --arch microscopiq --array 4 --bb 4 --out build/test-logs/msq-never
run "cli/microscopiq-recon-units" expect_error "RECON=8: expected 1..7" build/bin/mxfgen rtl --arch microscopiq --array 8 --recon 8 --out build/test-logs/msq-never
run "cli/microscopiq-recon-word" expect_error "RECON=some" build/bin/mxfgen rtl --arch microscopiq --recon some --out build/test-logs/msq-never
run "cli/microscopiq-align" expect_error "ALIGN=16" build/bin/mxfgen rtl --arch microscopiq --align 16 --out build/test-logs/msq-never
run "cli/microscopiq-cports" expect_error "CPORTS=3: expected 1..2 configuration ports" build/bin/mxfgen rtl --arch microscopiq --array 8 --cports 3 --out build/test-logs/msq-never
run "cli/microscopiq-net" expect_error "NET=omega: expected butterfly or benes" build/bin/mxfgen rtl --arch microscopiq --net omega --out build/test-logs/msq-never
run "cli/microscopiq-fault-net" expect_error "FAULT=sw-mirror: needs NET=butterfly" build/bin/mxfgen rtl --arch microscopiq --net benes --fault sw-mirror --out build/test-logs/msq-never
run "cli/microscopiq-fault-mode" expect_error "FAULT=mul-4b: needs BB=4" build/bin/mxfgen rtl --arch microscopiq --fault mul-4b --out build/test-logs/msq-never
run "image/microscopiq-model-rejects-mxint8" expect_error "microscopiq2 formats only" \
    build/msq-a8-bb2/mxfsim model --model opt-125m --format mxint8
run "fault/image-microscopiq-sw-sign" expect_mismatch build/msq-a4-bb2-fsw-sign/mxfsim image --image "$MSQIMG/msq2.img" --window 2
run "fault/model-microscopiq-sw-sign" expect_mismatch build/msq-a4-bb2-fsw-sign/mxfsim model --model opt-125m \
    --layers 0 --tokens 4 --window 2 --fresh --out build/test-logs/msq-fault-runs --energy data/energy.tsv
run "fault/image-microscopiq-mul-4b" expect_mismatch build/msq-r4c8-bb4-fmul-4b/mxfsim image --image "$MSQIMG/msq4.img" --window 2

# make sim MODEL=opt-125m ARCH=microscopiq: the quantizer's weights for every layer, bit-exact,
# SQNR reported; the floor only catches a broken path (2-bit inliers reach about 5 dB).
msq_sim_model() {
    local out db
    out=$(make -s sim MODEL=opt-125m ARCH=microscopiq FRESH=1 "$@" SIM_ARGS="--tokens 8 --window 2") || {
        echo "$out"
        return 1
    }
    echo "$out" | tail -n 3
    grep -q "mismatches=0" <<<"$out" || return 1
    db=$(sed -n "s/^model opt-125m: format microscopiq[24], output SQNR \([-0-9.]*\) dB.*/\1/p" <<<"$out")
    [[ -n $db ]] && awk -v d="$db" -v f="$MSQ_FLOOR" 'BEGIN { exit !(d > f) }'
}
MSQ_FLOOR=2 run "sim/opt-125m-microscopiq-bb2" msq_sim_model ARRAY=8
MSQ_FLOOR=10 run "sim/opt-125m-microscopiq-bb4-u1" msq_sim_model ARRAY=8 BB=4 RECON=1

echo "== microscopiq: fault injection (each planted bug must be reported as a mismatch)"
for s in "${MSQ_FAULTS[@]}"; do
    # shellcheck disable=SC2086
    d=$(msq_dir $s)
    run "fault/verilator-$(basename "$d")" expect_mismatch "$d/mxfsim" random --count 12 --seed "$seed"
done

echo "== microscopiq: X and reset (start-up state and X assignments random per run, 4 seeds per config)"
for s in "${MSQ_XPROP[@]}"; do
    # shellcheck disable=SC2086
    d=$(msq_dir $s)
    for xs in 1 2 3 4; do
        run "xprop/$(basename "$d")-seed$xs" "$d/mxfsim-x" random --count 8 --seed "$seed" \
            +verilator+seed+$xs +verilator+rand+reset+2
    done
done
msq_xprop_noreset_caught() {
    local xs out caught=0
    for xs in 1 2 3 4 5 6 7 8; do
        out=$(build/msq-a4-bb2-fnoreset/mxfsim-x random --count 4 +verilator+seed+$xs +verilator+rand+reset+2 2>&1)
        [[ $? -eq 1 ]] && grep -q MISMATCH <<<"$out" && caught=$((caught + 1))
    done
    echo "caught in $caught of 8 seeds"
    [[ $caught -gt 0 ]]
}
run "fault/xprop-microscopiq-noreset" msq_xprop_noreset_caught

echo "== microscopiq: Icarus co-simulation"
msq_icarus_cfg() {
    # shellcheck disable=SC2046
    build/bin/mxfgen rtl $(msq_args "$@") --outroot build | tail -n1
}
for c in "ARRAY=4" "ROWS=4 COLS=8 BB=4 RECON=1" "ARRAY=4 NET=benes" "ROWS=4 COLS=8 CPORTS=2"; do
    # shellcheck disable=SC2086
    d=$(msq_icarus_cfg $c)
    run "icarus/$(basename "$d")" bash scripts/icarus.sh "$d" gemm --m 11 --k 19 --n 13 --seed "$seed"
done
d=$(msq_icarus_cfg ARRAY=4)
run "icarus/msq-a4-bb2-image" bash scripts/icarus.sh "$d" image --image "$MSQIMG/msq2.img" --m 3 --window 1
for c in "ARRAY=4 FAULT=noreset" "ARRAY=4 RECON=1 FAULT=arb" "ROWS=4 COLS=8 BB=4 FAULT=sw-mirror" \
    "ARRAY=4 NET=benes FAULT=sw-swap"; do
    # shellcheck disable=SC2086
    d=$(msq_icarus_cfg $c)
    run "fault/icarus-$(basename "$d")" expect_mismatch bash scripts/icarus.sh "$d" gemm --m 11 --k 19 --n 13 --seed "$seed"
done

echo "== microscopiq: mutation campaign sample (make mutate runs every mutant of microscopiq_mutants.tsv)"
run "mutate/microscopiq-sample" bash scripts/mutate.sh microscopiq sw-hid-drop

# The slice's network is a task called only when the slice is busy, its scratch arrays written
# before they are read (README.md "Simulation speed"): Yosys must remove every latch it first
# infers for them. Planted: a slice that leaves its terms unassigned when idle keeps real
# latches, and the check must fail on it.
msq_slice_latches() {  # $1: slice file; exit 1 if the synthesized slice holds a latch cell
    local log=build/test-logs/msq-slice-synth.log
    yosys -p "read_verilog -sv $1; synth -top mxf_msq_recon_ub; stat" >"$log" 2>&1 ||
        { tail -5 "$log"; return 3; }
    if grep -q '\$_DLATCH' "$log"; then
        echo "$1: the synthesized ReCoN slice holds latch cells:"; grep '\$_DLATCH' "$log" | sort -u
        return 1
    fi
}
msq_slice_latch_caught() {
    local bad=build/test-logs/msq-slice-latch.sv
    perl -0pe "s/    \\{t7_o, t6_o, t5_o, t4_o, t3_o, t2_o, t1_o, t0_o\\} = '0;\\n//" \
        build/msq-a8-bb2/rtl/mxf_msq_recon_ub.sv >"$bad"
    cmp -s "$bad" build/msq-a8-bb2/rtl/mxf_msq_recon_ub.sv && { echo "fault not planted"; return 3; }
    msq_slice_latches "$bad" >/dev/null
    [[ $? -eq 1 ]] || { echo "a slice with a real latch passed the latch check"; return 1; }
}
echo "== microscopiq: synthesized ReCoN slice has no latch (and a planted latch is caught)"
run "synth/microscopiq-slice-no-latch" msq_slice_latches build/msq-a8-bb2/rtl/mxf_msq_recon_ub.sv
run "fault/microscopiq-slice-latch-caught" msq_slice_latch_caught

# The model's C++ optimisation comes from the config (mxf_params.h MXF_OPT_FAST, README.md
# "Simulation speed"): a MicroScopiQ config builds with -Os, a WS config with -O2, and OPT_FAST=
# given to make wins. Planted: a header without the line must fall back to -O2, so the level
# is shown to come from the header.
msq_opt_level() {  # $1: config dir; prints the OPT_FAST mk/config.mk builds it with
    make -s -f mk/config.mk CFG_DIR="$1" --eval 'print-opt-fast: ; @echo $(OPT_FAST)' print-opt-fast
}
msq_opt_fast() {
    local got ws bad=build/test-logs/msq-opt-fast
    got=$(unset OPT_FAST; msq_opt_level build/msq-a8-bb2) || return 3
    [[ $got == -Os ]] || { echo "msq-a8-bb2: OPT_FAST '$got', expected -Os"; return 1; }
    ws=$(build/bin/mxfgen rtl --array 4 --wbits 4 --outroot build/test-logs) || return 3
    got=$(unset OPT_FAST; msq_opt_level "$ws") || return 3
    [[ $got == -O2 ]] || { echo "$ws: OPT_FAST '$got', expected -O2"; return 1; }
    got=$(OPT_FAST=-O1 msq_opt_level build/msq-a8-bb2) || return 3
    [[ $got == -O1 ]] || { echo "OPT_FAST=-O1 given: '$got'"; return 1; }
    rm -rf "$bad" && mkdir -p "$bad" && cp -r build/msq-a8-bb2/rtl "$bad/" &&
        sed '/MXF_OPT_FAST/d' build/msq-a8-bb2/mxf_params.h >"$bad/mxf_params.h" || return 3
    got=$(unset OPT_FAST; msq_opt_level "$bad") || return 3
    [[ $got == -O2 ]] || { echo "a header without MXF_OPT_FAST: '$got', expected the -O2 fallback"; return 1; }
}
echo "== microscopiq: the model's C++ optimisation level comes from its config"
run "build/microscopiq-opt-fast-from-config" msq_opt_fast
msq_vflags_of() {  # $1: config dir; prints the Verilator options mk/config.mk uses for it
    make -s -f mk/config.mk CFG_DIR="$1" --eval 'print-vflags: ; @echo $(VFLAGS)' print-vflags
}
msq_vflags() {
    local got ws bad=build/test-logs/msq-vflags
    got=$(msq_vflags_of build/msq-a8-bb2) || return 3
    [[ " $got " == *" -fno-case "* ]] || { echo "msq-a8-bb2: Verilator options '$got' lack -fno-case"; return 1; }
    ws=$(build/bin/mxfgen rtl --array 4 --wbits 4 --outroot build/test-logs) || return 3
    got=$(msq_vflags_of "$ws") || return 3
    [[ " $got " != *" -fno-case "* ]] || { echo "$ws: Verilator options '$got' have the microscopiq block's -fno-case"; return 1; }
    rm -rf "$bad" && mkdir -p "$bad" && cp -r build/msq-a8-bb2/rtl "$bad/" &&
        sed '/MXF_VFLAGS/d' build/msq-a8-bb2/mxf_params.h >"$bad/mxf_params.h" || return 3
    got=$(msq_vflags_of "$bad") || return 3
    [[ " $got " != *" -fno-case "* ]] || { echo "a header without MXF_VFLAGS: '$got' still has -fno-case"; return 1; }
}
echo "== microscopiq: the block's extra Verilator options (-fno-case) come from its config"
run "build/microscopiq-vflags-from-config" msq_vflags
