# Generator suite (sourced by tests/run.sh): determinism, single source of truth, docs in sync.

gen_idempotent() {
    local d
    d=$(build/bin/mxfgen rtl --array 5 --wbits 4 --outroot build/test-logs/gen | tail -n1)
    local before after
    before=$(stat -c '%n %Y %s' "$d"/rtl/*.v "$d"/tb/*.v "$d"/mxf_params.h "$d"/manifest.json)
    sleep 1
    build/bin/mxfgen rtl --array 5 --wbits 4 --outroot build/test-logs/gen >/dev/null
    after=$(stat -c '%n %Y %s' "$d"/rtl/*.v "$d"/tb/*.v "$d"/mxf_params.h "$d"/manifest.json)
    [[ "$before" == "$after" ]]
}

# The header, the manifest and `mxfgen dump` state the same derived values, which match the
# formulas in docs/ws-array.md computed here in shell.
gen_one_source() {
    local R=6 C=3 W=4
    local d
    d=$(build/bin/mxfgen rtl --rows $R --cols $C --wbits $W --outroot build/test-logs/gen | tail -n1)
    local clog=0
    while (((1 << clog) < R)); do clog=$((clog + 1)); done
    local acc=$((8 + W + clog)) lat=$((R + C - 2))
    grep -q "#define MXF_ACC_BITS $acc$" "$d/mxf_params.h" || return 1
    grep -q "#define MXF_LATENCY $lat$" "$d/mxf_params.h" || return 1
    grep -q "\"acc_bits\":[[:space:]]*$acc," "$d/manifest.json" || return 1
    grep -q "\"latency\":[[:space:]]*$lat," "$d/manifest.json" || return 1
    build/bin/mxfgen dump --rows $R --cols $C --wbits $W | grep -q "^acc_bits *$acc$" || return 1
    [[ $(basename "$d") == "ws-r6c3-w4" ]] || return 1
    # every emitted file has one module, named after the file
    local f
    for f in "$d"/rtl/*.v; do
        [[ $(grep -c '^module ' "$f") -eq 1 ]] || return 1
        grep -q "^module $(basename "$f" .v)\b" "$f" || return 1
    done
}

gen_docs_in_sync() {
    bash scripts/gen-docs.sh build/test-logs/generator.md && diff -u docs/generator.md build/test-logs/generator.md
}

gen_help_lists_options() {
    local o
    for o in array rows cols wbits fault outroot out; do
        build/bin/mxfgen help | grep -q -- "--$o " || { echo "missing --$o"; return 1; }
    done
}

echo "== generator"
run "gen/idempotent" gen_idempotent
run "gen/one-source-of-truth" gen_one_source
run "gen/docs-in-sync" gen_docs_in_sync
run "gen/help-lists-options" gen_help_lists_options
