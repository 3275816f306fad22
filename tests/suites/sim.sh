# Model-scale runs (`make sim`, gen/core/mrun.c, docs/sim.md) on a 4x4 MicroScopiQ array, the
# smallest config that builds fast: the default scheme and its reports, four shards merged give
# the report of one run, a killed run resumed gives it too, WEIGHTS= checkpoints, and bad input
# (unknown model or scheme, mismatched checkpoints, corrupt or foreign partial results, bad
# layer selections, shards and energy tables).

SD=build/test-logs/sim
SIM4=build/msq-a4-bb2/mxfsim
rm -rf "$SD" && mkdir -p "$SD"

# msim OUT [options]: the model command straight from the harness (what scripts/sim.sh runs)
msim() {
    local out=$1
    shift
    "$SIM4" model --model opt-125m --tokens 4 --window 1 --seed 1 --out "$out" \
        --energy data/energy.tsv "$@"
}
# report_core DIR: report.json without its wall times (the only fields runs may differ in)
report_core() {
    grep -v '"wall_' "$1"/*/report.json
}

# make sim with no ARCH: the MicroScopiQ array at BB=2, bit-exact, reports written; the CSV's
# total row is the sum of its layer rows, the markdown names the scheme.
sim_default() {
    local out d
    out=$(make -s sim MODEL=opt-125m ARRAY=4 FRESH=1 SIM_ARGS="--tokens 4 --window 1") || {
        echo "$out"
        return 1
    }
    echo "$out" | tail -n 4
    grep -q "mismatches=0" <<<"$out" && grep -q "^model opt-125m: format microscopiq2, output SQNR" <<<"$out" || return 1
    d=build/msq-a4-bb2/sim/opt-125m-microscopiq2-syn-s1-t4-w1
    [[ -s $d/report.json && -s $d/report.md && -s $d/report.png ]] || { echo "no report in $d"; return 1; }
    grep -Eq '"config":[[:space:]]*"msq-a4-bb2"' "$d/report.json" || return 1
    [[ $(grep -c '"tensor":' "$d/report.json") -eq 72 ]] || { echo "expected 72 layers"; return 1; }
    [[ $(wc -l <"$d/report.csv") -eq 74 ]] || { echo "report.csv: expected header, 72 layers, total"; return 1; }
    awk -F, 'NR > 1 && $1 != "total" { c += $13; s += $14 } $1 == "total" { tc = $13; ts = $14 }
        END { if (c != tc || s != ts) { print "csv total " tc "/" ts " != sum " c "/" s; exit 1 } }' "$d/report.csv" &&
        grep -q "microscopiq2" "$d/report.md"
}
run "sim/default-microscopiq-reports" sim_default

# Four shards (in any order), merged, give the one run's report; the merge refuses while a shard
# is missing.
sim_shards() {
    msim "$SD/one" >/dev/null || return 1
    for i in 3 1 4; do msim "$SD/four" --shard "$i/4" | tail -n 1 || return 1; done
    local out rc
    out=$(msim "$SD/four" --merge 2>&1)
    rc=$?
    echo "$out" | tail -n 2
    [[ $rc -eq 2 ]] && grep -q "is missing: run every shard first" <<<"$out" || { echo "merge with a shard missing: rc=$rc"; return 1; }
    msim "$SD/four" --shard 2/4 | tail -n 1 || return 1
    msim "$SD/four" --merge | tail -n 3 || return 1
    diff <(report_core "$SD/one") <(report_core "$SD/four")
}
run "sim/four-shards-merge-to-one-run" sim_shards

# A run killed (SIGKILL) after some layers, then resumed, gives the one run's report: finished
# layers are kept, the rest run; no half-written result is ever read.
sim_killed() {
    local d="$SD/kill/opt-125m-microscopiq2-syn-s1-t4-w1/layers" pid n=0 out
    "$SIM4" model --model opt-125m --tokens 4 --window 1 --seed 1 --out "$SD/kill" \
        --energy data/energy.tsv >/dev/null 2>&1 &
    pid=$! # the harness itself (a function would put a subshell in between)
    while [[ $n -lt 4 ]] && kill -0 "$pid" 2>/dev/null; do
        n=$(find "$d" -name '*.json' 2>/dev/null | wc -l)
        sleep 0.02
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    n=$(find "$d" -name '*.json' | wc -l)
    echo "killed with $n of 72 layer results written"
    out=$(msim "$SD/kill") || { echo "$out"; return 1; }
    echo "$out" | tail -n 3
    [[ $n -ge 72 ]] || grep -q "$((72 - n)) run now, $n kept" <<<"$out" || return 1
    diff <(report_core "$SD/one") <(report_core "$SD/kill")
}
run "sim/killed-run-resumed" sim_killed

# WEIGHTS=: layer 0 of opt-125m as a safetensors file (mxquant's MX-INT8 decode of the synthetic
# weights, so the values differ from the synthetic ones): the report names the file and its
# figures differ from the synthetic run's; a checkpoint of another model, or without a selected
# layer's tensor, is refused naming the tensor, before any work.
sim_weights() {
    build/bin/mxquant quantize --format mxint8 --model opt-125m --layers 0 --out "$SD/w.img" >/dev/null &&
        build/bin/mxquant dequant "$SD/w.img" --out "$SD/w.safetensors" >/dev/null || return 1
    msim "$SD/w" --layers 0 --weights "$SD/w.safetensors" | tail -n 3 || return 1
    msim "$SD/syn" --layers 0 >/dev/null || return 1
    grep -Eq "\"weights\":[[:space:]]*\"$SD/w.safetensors\"" "$SD"/w/*/report.json || { echo "report does not name the checkpoint"; return 1; }
    ! diff -q <(grep '"signal"' "$SD"/w/*/report.json) <(grep '"signal"' "$SD"/syn/*/report.json) ||
        { echo "the checkpoint's weights were not used"; return 1; }
}
run "sim/weights-checkpoint" sim_weights
run "sim/weights-other-model" expect_error "tensor 'model.decoder.layers.0.self_attn.q_proj.weight' has shape [768, 768], model opt-1.3b expects [2048, 2048]" \
    "$SIM4" model --model opt-1.3b --layers 0 --weights "$SD/w.safetensors" --out "$SD/never" --energy data/energy.tsv
run "sim/weights-missing-tensor" expect_error "no tensor 'model.decoder.layers.1.self_attn.q_proj.weight'" \
    msim "$SD/never" --layers 1 --weights "$SD/w.safetensors"
run "sim/weights-not-a-file" expect_error "WEIGHTS: " msim "$SD/never" --weights "$SD/none.safetensors"

# Bad input: one clear message, exit 2, the other results untouched.
run "sim/unknown-model" expect_error "MODEL=nope: unknown model" make -s sim MODEL=nope ARRAY=4
run "sim/unknown-scheme" expect_error "ARCH=nope" make -s sim MODEL=opt-125m ARCH=nope
run "sim/model-unknown-in-harness" expect_error "MODEL=nope: unknown model" msim "$SD/never" --model nope
run "sim/layers-range" expect_error "LAYERS" msim "$SD/never" --layers 12
run "sim/layers-name" expect_error "'fc3' is neither a decoder-layer range nor a linear layer of opt-125m" msim "$SD/never" --layers 0,fc3
run "sim/shard-range" expect_error "SHARD=5/4" msim "$SD/never" --shard 5/4
run "sim/shard-form" expect_error "SHARD=2: expected i/N" msim "$SD/never" --shard 2
run "sim/merge-with-shard" expect_error "--merge reports the finished layers" msim "$SD/never" --merge --shard 1/2
sim_corrupt() {
    local d="$SD/one/opt-125m-microscopiq2-syn-s1-t4-w1" before after out rc
    cp "$d/layers/0007.json" "$SD/0007.keep"
    head -c 40 "$SD/0007.keep" >"$d/layers/0007.json"
    before=$(cat "$d"/layers/*.json "$d"/report.* | md5sum)
    out=$(msim "$SD/one" 2>&1)
    rc=$?
    after=$(cat "$d"/layers/*.json "$d"/report.* | md5sum)
    cp "$SD/0007.keep" "$d/layers/0007.json"
    echo "rc=$rc: $out"
    [[ $rc -eq 2 && $before == "$after" ]] && grep -q "0007.json: corrupt partial result" <<<"$out"
}
run "sim/corrupt-partial-result" sim_corrupt
# sim_bad_result NNNN EXPECT CMD...: spoils result NNNN.json of the one-process run with CMD (the
# file's path appended), runs again and expects a refusal (exit 2) naming it; the file is put back.
SIM_ONE="$SD/one/opt-125m-microscopiq2-syn-s1-t4-w1"
sim_bad_result() {
    local f="$SIM_ONE/layers/$1.json" keep="$SD/$1.keep" want=$2 out rc
    shift 2
    cp "$f" "$keep"
    "$@" "$f"
    out=$(msim "$SD/one" 2>&1)
    rc=$?
    cp "$keep" "$f"
    echo "rc=$rc: $out"
    [[ $rc -eq 2 ]] && grep -qF -- "$want" <<<"$out"
}
run "sim/foreign-partial-result" sim_bad_result 0003 "0003.json: a result of another run" \
    sed -i 's/"config=\[/"config=[other /'
# A result file holding another layer (copied or renamed) is refused, naming both layers.
run "sim/misplaced-partial-result" sim_bad_result 0004 \
    "0004.json: corrupt partial result (it holds layer 2" cp "$SIM_ONE/layers/0002.json"
run "sim/jobs-range" expect_error "JOBS=0: expected 1..64" make -s sim MODEL=opt-125m ARRAY=4 JOBS=0
run "sim/full-value" expect_error "FULL=2: expected 0 or 1" make -s sim MODEL=opt-125m ARRAY=4 FULL=2
run "sim/build-wall-value" expect_error "--build-wall x: expected seconds" msim "$SD/never" --build-wall x
# A result of another version of the tools is stale: that layer runs again, the report is the
# one run's.
sim_stale() {
    local d="$SD/one/opt-125m-microscopiq2-syn-s1-t4-w1" out
    sed -i 's/"version":[[:space:]]*""/"version": "older"/' "$d/layers/0005.json"
    grep -q '"older"' "$d/layers/0005.json" || { echo "could not plant the old version"; return 1; }
    out=$(msim "$SD/one" 2>&1) || { echo "$out"; return 1; }
    echo "$out" | tail -n 3
    grep -q "1 results of another version of the tools are run again" <<<"$out" &&
        grep -q "(1 run now, 71 kept" <<<"$out" && ! grep -q '"older"' "$d/layers/0005.json"
}
run "sim/stale-version-rerun" sim_stale
sim_energy_bad() {
    local t="$SD/energy-bad.tsv" rc=0
    grep -v '^recon_term' data/energy.tsv >"$t"
    expect_error "$t: event 'recon_term' is missing" msim "$SD/never" --energy "$t" || rc=1
    sed 's/^mul8x4\t0.1/mul8x4\tlots/' data/energy.tsv >"$t"
    expect_error "picojoules 'lots' of event 'mul8x4' is not a number" msim "$SD/never" --energy "$t" || rc=1
    { cat data/energy.tsv; printf 'mul8x2\t0.05\tagain\n'; } >"$t"
    expect_error "event 'mul8x2' listed twice" msim "$SD/never" --energy "$t" || rc=1
    return $rc
}
run "sim/energy-table-bad" sim_energy_bad

# make compare: two schemes on one model (a 4x4 array, layer 0): the table holds each scheme's
# own report figures and its synthesized area, and the plot is drawn; bad input refused.
sim_compare() {
    local out d=build/compare/opt-125m-a4-s1 s r csvq repq
    out=$(make -s compare MODEL=opt-125m ARRAY=4 LAYERS=0 SCHEMES=microscopiq-bb2,ws-mxint4 \
        SIM_ARGS="--tokens 4 --window 1" 2>&1) || { echo "$out"; return 1; }
    echo "$out" | tail -n 6
    [[ -s $d/compare.md && -s $d/compare.png && $(wc -l <"$d/compare.csv") -eq 3 ]] || { echo "no table/plot in $d"; return 1; }
    for s in microscopiq-bb2 ws-mxint4; do
        r=$(sed -n 's/^  reports: \(.*\)\/report\.{json,csv,md}$/\1/p' "$d/$s.sim.log" | tail -n 1)/report.json
        repq=$(awk '/"total":/ { t = 1 } t && /"output_sqnr_db":/ { gsub(/[^-0-9.e]/, "", $2); printf "%.4f", $2; exit }' "$r")
        csvq=$(awk -F, -v s="$s" '$1 == s { print $4 }' "$d/compare.csv")
        [[ -n $repq && $repq == "$csvq" ]] || { echo "$s: compare.csv SQNR '$csvq' != report's '$repq'"; return 1; }
        awk -F, -v s="$s" '$1 == s && $6 > 0 { ok = 1 } END { exit !ok }' "$d/compare.csv" || { echo "$s: no area"; return 1; }
    done
}
run "sim/compare-two-schemes" sim_compare
run "sim/compare-unknown-scheme" expect_error "SCHEMES=nope: no scheme 'nope'" make -s compare SCHEMES=nope
# a scheme's bad input keeps its exit code (2) through make compare
sim_compare_rc() {
    local out rc
    out=$(MODEL=opt-125m ARRAY=4 SEED=x SCHEMES=ws-mxint4 SYNTH=0 bash scripts/compare.sh 2>&1)
    rc=$?
    echo "rc=$rc: $out"
    [[ $rc -eq 2 ]] && grep -q "make sim for ws-mxint4 failed (exit 2)" <<<"$out"
}
run "sim/compare-keeps-exit-code" sim_compare_rc
run "sim/compare-no-out" expect_error "--out DIR is required" build/bin/mxfcompare x=y
run "sim/compare-bad-pair" expect_error "expected NAME=SIM_REPORT.json" build/bin/mxfcompare --out "$SD" justafile
echo '{"a": 1}' >"$SD/not-a-report.json"
run "sim/compare-not-a-report" expect_error "not-a-report.json: field 'config' missing" \
    build/bin/mxfcompare --out "$SD" x="$SD/not-a-report.json"
run "sim/compare-not-json" expect_error "README.md: not valid JSON" build/bin/mxfcompare --out "$SD" x=tests/vectors/README.md
sim_compare_models() {
    local r1
    r1=$(ls "$SD"/one/*/report.json)
    # a report of another model: opt-125m's with its model field changed
    sed 's/"model":[[:space:]]*"opt-125m"/"model": "opt-1.3b"/' "$r1" >"$SD/other-model.json"
    expect_error "model opt-1.3b, but a ran opt-125m: compare one model" \
        build/bin/mxfcompare --out "$SD" a="$r1" b="$SD/other-model.json"
}
run "sim/compare-two-models" sim_compare_models
