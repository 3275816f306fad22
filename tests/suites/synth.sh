# Synthesis suite (sourced by tests/run.sh): synth/run.sh on a 4x4 array, the report checked
# independently in awk, and bad input to synth_report and synth/run.sh. About 10 s in total.

SYN=build/test-logs/synth
SYN_BAD=$SYN/bad
SR=build/bin/synth_report
W=synth/ge_weights.tsv

# Prints "name<TAB>instances<TAB>ge_per_instance<TAB>ge_total" per module and "TOTAL<TAB>ge"
# from a report.json (cJSON prints one key per line).
synth_json_rows() {
    awk -F'\t' '
    /^\t"modules":/ { inmods = 1 }
    /^\t"total":/ { inmods = 0; intotal = 1 }
    function val(s) { sub(/^[^:]*:[ \t]*/, "", s); sub(/,?[ \t]*$/, "", s); gsub(/"/, "", s); return s }
    inmods && /^\t\t\t"name":/ { name = val($0) }
    inmods && /^\t\t\t"instances":/ { inst = val($0) }
    inmods && /^\t\t\t"ge_per_instance":/ { per = val($0) }
    inmods && /^\t\t\t"ge_total":/ { print name "\t" inst "\t" per "\t" val($0) }
    intotal && /^\t\t"ge":/ { print "TOTAL\t\t\t" val($0); intotal = 0 }
    ' "$1"
}

# GE of the flattened design straight from Yosys's own "design" section and the weights file,
# with the weights file's '?' patterns matched here (exact name first, then first pattern).
synth_awk_ge() {
    awk -v wfile="$W" '
    BEGIN {
        FS = "\t"
        while ((getline line < wfile) > 0) {
            if (line ~ /^#/ || line ~ /^[ \t]*$/) continue
            split(line, f, "\t"); n++; wt[n] = f[1]; wg[n] = f[2]
        }
    }
    function weight(t,   i, j, p, ok) {
        for (i = 1; i <= n; i++) if (wt[i] == t) return wg[i]
        for (i = 1; i <= n; i++) {
            p = wt[i]; if (index(p, "?") == 0 || length(p) != length(t)) continue
            ok = 1
            for (j = 1; j <= length(p); j++) {
                if (substr(p, j, 1) == "?") { if (index("NP01", substr(t, j, 1)) == 0) ok = 0 }
                else if (substr(p, j, 1) != substr(t, j, 1)) ok = 0
            }
            if (ok) return wg[i]
        }
        print "no weight for " t > "/dev/stderr"; exit 1
    }
    /"design":/ { indesign = 1 }
    indesign && /"num_cells_by_type":/ { inby = 1; next }
    inby && /}/ { inby = 0; indesign = 0 }
    inby {
        line = $0; gsub(/[" \t,]/, "", line); split(line, kv, ":")
        ge += kv[2] * weight(kv[1]); cells += kv[2]
    }
    END { printf "%.2f %d\n", ge, cells }
    ' "$1"
}

synth_4x4() {
    local d
    d=$(build/bin/mxfgen rtl --array 4 --wbits 8 --outroot "$SYN" | tail -n1) || return 1
    rm -rf "$d/synth"
    bash synth/run.sh "$d" || return 1
    local f
    for f in report.json report.txt yosys.log stat.json pe-ice40.json pe-ice40-dsp.json pe-xilinx.json; do
        [[ -s $d/synth/$f ]] || { echo "missing $d/synth/$f"; return 1; }
    done
    ! ls -a "$d/synth" | grep -q '^\.run\.' || { echo "temp dir left behind"; return 1; }
}

synth_pe_ge_positive() {
    local j=$SYN/ws-a4-w8/synth/report.json
    synth_json_rows "$j" | awk -F'\t' '
        $1 == "mxf_ws_pe" { found = 1; if ($2 != 16 || !($3 > 0)) bad = 1; print }
        END { exit !(found && !bad) }'
}

# Sum of parts, three ways: instances x GE/inst over the JSON rows, the "GE total" column of
# report.txt, and the weights applied here to Yosys's flattened "design" counts.
synth_total_is_sum() {
    local j=$SYN/ws-a4-w8/synth/report.json t=$SYN/ws-a4-w8/synth/report.txt
    local rows total parts col flat
    rows=$(synth_json_rows "$j")
    echo "$rows"
    total=$(awk -F'\t' '$1 == "TOTAL" { print $4 }' <<<"$rows")
    parts=$(awk -F'\t' '$1 != "TOTAL" { s += $2 * $3; if ($2 * $3 != $4) bad = 1 }
                        END { if (bad) print "bad-row"; else printf "%.2f", s }' <<<"$rows")
    col=$(awk '/^module / { on = 1; next } /^total / { on = 0 } on && NF >= 6 { s += $NF }
               END { printf "%.2f", s }' "$t")
    flat=$(synth_awk_ge "$SYN/ws-a4-w8/synth/stat.json") || return 1
    local txt_total
    txt_total=$(awk '/^total / { print $NF }' "$t")
    echo "json total=$total rows=$parts txt column=$col txt total=$txt_total flat=$flat"
    [[ $(printf '%.2f' "$total") == "$parts" && "$parts" == "$col" && "$col" == "$txt_total" &&
        "${flat% *}" == "$parts" ]] || return 1
    # cell count of the total line equals the flattened cell count too
    [[ $(awk '/^total / { print $(NF-2) }' "$t") == "${flat#* }" ]]
}

synth_fpga_and_version() {
    local d=$SYN/ws-a4-w8/synth
    grep -q "\"yosys\":[[:space:]]*\"$(yosys -V)\"" "$d/report.json" || return 1
    grep -q '"SB_MAC16":[[:space:]]*1$' "$d/pe-ice40-dsp.json" || return 1
    grep -q '"DSP48E1":[[:space:]]*1' "$d/report.json" || return 1
    grep -q '^  ice40 .*SB_LUT4' "$d/report.txt" || return 1
    ! grep -q 'IBUF\|OBUF' "$d/pe-xilinx.json" # out-of-context: no pads counted
}

# Hand-written stat: top = 2 AND + 3 x sub, sub = 1 async-reset DFF + 2 XOR
# -> 2*1.5 + 3*(5 + 2*3) = 36 GE, 11 cells, 3 FFs.
synth_arith() {
    local out
    out=$($SR report --weights $W --stat $SYN_BAD/small.json --top top --pe sub) || return 1
    echo "$out"
    grep -qE '^total \(top\) +11 +3 +36\.00$' <<<"$out" && grep -qE '^sub +3 +3 +1 +11\.00 +33\.00$' <<<"$out"
}

# expect_error plus: the --json/--txt outputs named below must not exist afterwards.
synth_expect_error() {
    local pat=$1
    shift
    rm -f "$SYN_BAD/out.json" "$SYN_BAD/out.txt"
    expect_error "$pat" "$@" || return 1
    [[ ! -e $SYN_BAD/out.json && ! -e $SYN_BAD/out.txt ]] || { echo "partial output written"; return 1; }
    ! ls "$SYN_BAD" | grep -q '\.tmp\.' || { echo "temp file left behind"; return 1; }
}

synth_bad_report() {
    local pat=$1 stat=$2 weights=${3:-$W}
    synth_expect_error "$pat" $SR report --weights "$weights" --stat "$stat" --top top \
        --json $SYN_BAD/out.json --txt $SYN_BAD/out.txt
}

synth_setup_bad() {
    rm -rf "$SYN_BAD" && mkdir -p "$SYN_BAD" || return 1
    cat >$SYN_BAD/small.json <<'EOF'
{ "modules": {
    "\\top": { "num_cells": 5, "num_cells_by_type": { "$_AND_": 2, "sub": 3 } },
    "\\sub": { "num_cells": 3, "num_cells_by_type": { "$_DFF_PN0_": 1, "$_XOR_": 2 } } },
  "design": { "num_cells": 11, "num_cells_by_type": { "$_AND_": 2, "$_DFF_PN0_": 3, "$_XOR_": 6 } } }
EOF
    echo '{ "modules": { "\\top": { "num_cells": 2, ' >$SYN_BAD/truncated.json
    echo '{ "creator": "x" }' >$SYN_BAD/no-modules.json
    echo '{ "modules": { "\\top": { "num_cells": 2 } } }' >$SYN_BAD/no-bytype.json
    echo '{ "modules": { "\\top": { "num_cells": 2, "num_cells_by_type": { "$_FOO_": 2 } } } }' \
        >$SYN_BAD/unknown-type.json
    echo '{ "modules": { "\\top": { "num_cells": 3, "num_cells_by_type": { "$_AND_": 2 } } } }' \
        >$SYN_BAD/count-mismatch.json
    echo '{ "modules": { "\\other": { "num_cells": 0 } } }' >$SYN_BAD/no-top.json
    printf '$_AND_\t1.5\tcomb\t6 T\n$_OR_\tabc\tcomb\t6 T\n' >$SYN_BAD/bad-ge.tsv
    printf '$_AND_\t1.5\tcomb\n' >$SYN_BAD/three-fields.tsv
    printf '$_AND_\t1.5\tcomb\t6 T\n$_AND_\t2\tcomb\t8 T\n' >$SYN_BAD/dup.tsv
    printf '$_AND_\t1.5\tlogic\t6 T\n' >$SYN_BAD/bad-kind.tsv
    mkdir -p $SYN_BAD/no-manifest
    mkdir -p $SYN_BAD/path-no-yosys && ln -sf "$(command -v bash)" $SYN_BAD/path-no-yosys/bash
}

echo "== synthesis (Yosys)"
run "synth/setup-bad-inputs" synth_setup_bad
run "synth/run-4x4" synth_4x4
run "synth/pe-ge-positive" synth_pe_ge_positive
run "synth/total-is-sum-of-parts" synth_total_is_sum
run "synth/fpga-pe-and-version" synth_fpga_and_version
run "synth/report-arithmetic" synth_arith
run "synth/bad-missing-stat" synth_bad_report "$SYN_BAD/nope.json: cannot open" $SYN_BAD/nope.json
run "synth/bad-invalid-json" synth_bad_report "truncated.json: invalid JSON near byte" $SYN_BAD/truncated.json
run "synth/bad-no-modules" synth_bad_report "no-modules.json: field 'modules' missing" $SYN_BAD/no-modules.json
run "synth/bad-no-bytype" synth_bad_report "no-bytype.json: module top: field 'num_cells_by_type' missing" \
    $SYN_BAD/no-bytype.json
run "synth/bad-unknown-cell" synth_bad_report "module top: cell type \$_FOO_ has no GE weight in synth/ge_weights.tsv" \
    $SYN_BAD/unknown-type.json
run "synth/bad-count-mismatch" synth_bad_report "module top: num_cells 3 != sum of num_cells_by_type 2" \
    $SYN_BAD/count-mismatch.json
run "synth/bad-no-top" synth_bad_report "no-top.json: top module top not found" $SYN_BAD/no-top.json
run "synth/bad-weights-value" synth_bad_report "bad-ge.tsv:2: bad GE value 'abc' for \$_OR_" \
    $SYN_BAD/small.json $SYN_BAD/bad-ge.tsv
run "synth/bad-weights-fields" synth_bad_report "three-fields.tsv:1: expected 4 TAB-separated fields" \
    $SYN_BAD/small.json $SYN_BAD/three-fields.tsv
run "synth/bad-weights-dup" synth_bad_report "dup.tsv:2: duplicate cell type \$_AND_" \
    $SYN_BAD/small.json $SYN_BAD/dup.tsv
run "synth/bad-weights-kind" synth_bad_report "bad-kind.tsv:1: bad KIND 'logic'" \
    $SYN_BAD/small.json $SYN_BAD/bad-kind.tsv
run "synth/bad-no-manifest" expect_error "no-manifest: no manifest.json" bash synth/run.sh $SYN_BAD/no-manifest
run "synth/bad-missing-yosys" expect_error "required tool 'yosys' not found" \
    env PATH="$PWD/$SYN_BAD/path-no-yosys" bash synth/run.sh $SYN/ws-a4-w8
