# The FineQ blocks' suite (fineq and fineq-mul; sourced by tests/run.sh, uses its `run`,
# `expect_error`, `expect_mismatch`). Verilator: every shape under both temporal schedules and
# the multiplier baseline, lint-clean, seeded random GEMMs and the directed worst cases; FineQ
# images from mxquant and a zoo model through the arrays; Icarus on small configs; fault
# injection (decoder, counter, add/subtract path, step tree, valid timing, reset) caught.

# Every shape under lock, elastic and the multiplier baseline; the big ones (and ARRAY=6, which
# the fault, X and Icarus steps use) under the elastic schedule and the baseline.
FQ_SHAPES=("ARRAY=8" "ARRAY=16" "ROWS=12 COLS=5")
FQ_BIG=("ARRAY=6" "ARRAY=32")
if [[ -n "${LONG:-}" ]]; then FQ_SHAPES+=("ARRAY=32" "ROWS=24 COLS=20" "ARRAY=6"); FQ_BIG+=("ARRAY=64"); fi
FQ_FAULTS=(dec-slot dec-sext cnt-short addsub late-valid)
FQ_MUL_FAULTS=(dec-slot mul-sign late-valid)

# "ARRAY=8 SCHED=lock" -> mxfgen options
fq_args() {
    local a
    for a in "$@"; do
        case $a in
        ARCH=*) echo "--arch ${a#*=}" ;;
        ARRAY=*) echo "--array ${a#*=}" ;;
        ROWS=*) echo "--rows ${a#*=}" ;;
        COLS=*) echo "--cols ${a#*=}" ;;
        SCHED=*) echo "--sched ${a#*=}" ;;
        FAULT=*) echo "--fault ${a#*=}" ;;
        esac
    done
}
# shellcheck disable=SC2046
fq_dir() { build/bin/mxfgen name $(fq_args "$@") | sed 's|^|build/|'; }

fq_cosim=()
for s in "${FQ_SHAPES[@]}"; do
    fq_cosim+=("ARCH=fineq $s SCHED=lock" "ARCH=fineq $s SCHED=elastic" "ARCH=fineq-mul $s")
done
# arrays of 32 and more compile for minutes at -O3; their co-simulation here is short
for s in "${FQ_BIG[@]}"; do
    o=''
    [[ $s == ARRAY=6 ]] || o=' OPT_FAST=-O0'
    fq_cosim+=("ARCH=fineq $s SCHED=elastic$o" "ARCH=fineq-mul $s$o")
done
fq_faults=()
# each temporal fault in one schedule, alternating (both in test-long)
fi_=0
for f in "${FQ_FAULTS[@]}"; do
    if [[ -n "${LONG:-}" || $((fi_ % 2)) -eq 0 ]]; then fq_faults+=("ARCH=fineq ARRAY=6 SCHED=lock FAULT=$f"); fi
    if [[ -n "${LONG:-}" || $((fi_ % 2)) -eq 1 ]]; then fq_faults+=("ARCH=fineq ROWS=8 COLS=5 SCHED=elastic FAULT=$f"); fi
    fi_=$((fi_ + 1))
done
fq_faults+=("ARCH=fineq ARRAY=6 SCHED=elastic FAULT=busy")
for f in "${FQ_MUL_FAULTS[@]}"; do fq_faults+=("ARCH=fineq-mul ARRAY=6 FAULT=$f"); done
FQ_XPROP=("ARCH=fineq ARRAY=6 SCHED=lock" "ARCH=fineq ROWS=8 COLS=5 SCHED=elastic" "ARCH=fineq-mul ARRAY=6")
fq_xprop_builds=()
for c in "${FQ_XPROP[@]}"; do fq_xprop_builds+=("$c XPROP=1"); done
fq_xprop_builds+=("ARCH=fineq ARRAY=6 SCHED=elastic FAULT=noreset XPROP=1")

echo "== fineq: Verilator builds (shapes x lock/elastic/mul + fault configs; parallel)"
fq_build_all() {
    printf '%s\n' "${fq_cosim[@]}" "${fq_faults[@]}" "${fq_xprop_builds[@]}" |
        xargs -P "${JOBS:-2}" -I{} bash -c 'make -s sim-config {} >/dev/null 2>build/test-logs/build-$(echo {} | tr " =" "_-").err || { cat build/test-logs/build-$(echo {} | tr " =" "_-").err; exit 1; }'
}
run "fineq/build-all-configs" fq_build_all

echo "== fineq: Verilator co-simulation (random shapes and the directed worst cases)"
seed=${SEED:-1}
for c in "${fq_cosim[@]}"; do
    # shellcheck disable=SC2086
    d=$(fq_dir $c)
    n=$(basename "$d")
    # shellcheck disable=SC2086
    run "lint/$n" make -s lint $c
    run "cosim/$n" "$d/mxfsim" random --count "${COSIM_COUNT:-12}" --seed "$seed"
    run "cosim/$n-directed" "$d/mxfsim" directed --seed "$seed"
done
# Many tiles with M above the reload distance: the double-buffered steady state.
for d in build/fineq-a16-lock build/fineq-a16-elastic build/fineq-mul-a16; do
    run "cosim/$(basename "$d")-steady" "$d/mxfsim" gemm --m 40 --k 100 --n 50 --seed "$seed"
done

echo "== fineq: FineQ images from mxquant through the arrays"
FQIMG=build/test-logs/fineq-images
fq_images() {
    mkdir -p "$FQIMG" &&
        build/bin/mxquant quantize --format fineq --model opt-125m --out "$FQIMG/fineq.img" &&
        build/bin/mxquant quantize --format fineq:group=126,rescue=0 --model opt-125m --out "$FQIMG/fineq-g126.img" &&
        build/bin/mxquant quantize --format mxint8 --model opt-125m --out "$FQIMG/mxint8.img" &&
        cp "$FQIMG/fineq.img" "$FQIMG/corrupt.img" &&
        local sz &&
        sz=$(stat -c %s "$FQIMG/corrupt.img") &&
        printf '\x5a' | dd of="$FQIMG/corrupt.img" bs=1 seek=$((sz / 2)) conv=notrunc status=none
}
run "fineq/quantize-images" fq_images
run "image/fineq-a8-lock" build/fineq-a8-lock/mxfsim image --image "$FQIMG/fineq.img" --m 6 --seed "$seed"
run "image/fineq-a16-elastic-fc1" build/fineq-a16-elastic/mxfsim image --image "$FQIMG/fineq.img" \
    --tensor model.decoder.layers.0.fc1.weight --m 5 --window 3 --seed "$seed"
run "image/fineq-mul-r12c5-g126" build/fineq-mul-r12c5/mxfsim image --image "$FQIMG/fineq-g126.img" \
    --tensor model.decoder.layers.0.fc2.weight --m 4 --window 3 --seed "$seed"
run "image/fineq-rejects-mxint8" expect_error "is not FineQ" \
    build/fineq-a8-lock/mxfsim image --image "$FQIMG/mxint8.img"
run "image/fineq-rejects-corrupt-cluster-word" expect_error "crc: stored" \
    build/fineq-a8-lock/mxfsim image --image "$FQIMG/corrupt.img"
run "image/fineq-rejects-unknown-tensor" expect_error "no tensor named 'nope'" \
    build/fineq-a8-lock/mxfsim image --image "$FQIMG/fineq.img" --tensor nope
run "image/fineq-model-rejects-mxint8" expect_error "FineQ formats only" \
    build/fineq-a8-lock/mxfsim model --model opt-125m --format mxint8
run "fault/image-fineq-dec-slot" expect_mismatch build/fineq-a6-lock-fdec-slot/mxfsim image --image "$FQIMG/fineq.img" --window 2
run "fault/image-fineq-addsub" expect_mismatch build/fineq-r8c5-elastic-faddsub/mxfsim image --image "$FQIMG/fineq.img" --window 2

# make sim MODEL=opt-125m ARCH=fineq: the quantizer's weights for every layer, bit-exact, SQNR
# reported; the floor is far below what FineQ reaches (~11 dB), so only a broken step path fails.
fq_sim_model() {
    local out db
    out=$(make -s sim MODEL=opt-125m FRESH=1 "$@" ARRAY=8 SIM_ARGS="--tokens 8 --window 2") || {
        echo "$out"
        return 1
    }
    echo "$out" | tail -n 3
    grep -q "mismatches=0" <<<"$out" || return 1
    db=$(sed -n "s/^model opt-125m: format fineq, output SQNR \([-0-9.]*\) dB.*/\1/p" <<<"$out")
    [[ -n $db ]] && awk -v d="$db" 'BEGIN { exit !(d > 5) }'
}
run "sim/opt-125m-fineq-lock" fq_sim_model ARCH=fineq
run "sim/opt-125m-fineq-mul" fq_sim_model ARCH=fineq-mul

echo "== fineq: fault injection (each planted bug must be reported as a mismatch)"
for c in "${fq_faults[@]}"; do
    # shellcheck disable=SC2086
    d=$(fq_dir $c)
    run "fault/verilator-$(basename "$d")" expect_mismatch "$d/mxfsim" random --count 12 --seed "$seed"
done

echo "== fineq: X and reset (start-up state and X assignments random per run, 4 seeds per config)"
for c in "${FQ_XPROP[@]}"; do
    # shellcheck disable=SC2086
    d=$(fq_dir $c)
    for xs in 1 2 3 4; do
        run "xprop/$(basename "$d")-seed$xs" "$d/mxfsim-x" random --count 8 --seed "$seed" \
            +verilator+seed+$xs +verilator+rand+reset+2
    done
done
fq_xprop_noreset_caught() {
    local xs out caught=0
    for xs in 1 2 3 4 5 6 7 8; do
        out=$(build/fineq-a6-elastic-fnoreset/mxfsim-x random --count 4 +verilator+seed+$xs +verilator+rand+reset+2 2>&1)
        [[ $? -eq 1 ]] && grep -q MISMATCH <<<"$out" && caught=$((caught + 1))
    done
    echo "caught in $caught of 8 seeds"
    [[ $caught -gt 0 ]]
}
run "fault/xprop-fineq-noreset" fq_xprop_noreset_caught

echo "== fineq: Icarus co-simulation"
fq_icarus_cfg() {
    # shellcheck disable=SC2046
    build/bin/mxfgen rtl $(fq_args "$@") --outroot build | tail -n1
}
for c in "ARCH=fineq ARRAY=6 SCHED=lock" "ARCH=fineq ROWS=8 COLS=5 SCHED=elastic" "ARCH=fineq-mul ARRAY=6"; do
    # shellcheck disable=SC2086
    d=$(fq_icarus_cfg $c)
    run "icarus/$(basename "$d")" bash scripts/icarus.sh "$d" gemm --m 11 --k 25 --n 13 --seed "$seed"
done
d=$(fq_icarus_cfg ARCH=fineq ARRAY=6 SCHED=elastic)
run "icarus/fineq-a6-elastic-image" bash scripts/icarus.sh "$d" image --image "$FQIMG/fineq.img" --m 4 --window 2
for c in "ARCH=fineq ARRAY=6 SCHED=elastic FAULT=noreset" "ARCH=fineq ARRAY=6 SCHED=elastic FAULT=cnt-short" \
    "ARCH=fineq-mul ARRAY=6 FAULT=late-valid"; do
    # shellcheck disable=SC2086
    d=$(fq_icarus_cfg $c)
    run "fault/icarus-$(basename "$d")" expect_mismatch bash scripts/icarus.sh "$d" gemm --m 11 --k 25 --n 13 --seed "$seed"
done

echo "== fineq: mutation campaign sample (make mutate runs every mutant of fineq_mutants.tsv)"
run "mutate/fineq-sample" bash scripts/mutate.sh fineq pe-mag-off arr-valid-level lock-slot-phase mul-sign
