#!/usr/bin/env bash
# The one test runner behind `make test` (and `make test-long` with LONG=1).
# Each check is a step; the last line is "N passed, N failed" and the exit code is the verdict.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build
LOG=$B/test-logs
# The suites build their Verilator models at -O0: their runs are short and -O0 halves the C++
# build time; simulation speed is measured by `make bench` (-O3). OPT_FAST=... overrides.
export OPT_FAST=${OPT_FAST:--O0}
mkdir -p "$LOG"
pass=0
fail=0
failed=()
passed=()

# run NAME CMD... : one step, output kept in build/test-logs/NAME.log, shown on failure.
# st_header JSON: a safetensors file's first bytes (the JSON length as u64 little endian, then
# the JSON); the suites append the tensor data.
st_header() {
    local n=${#1}
    printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00' $((n & 255)) \
        $((n >> 8 & 255)) $((n >> 16 & 255)) $((n >> 24 & 255)))"
    printf '%s' "$1"
}

run() {
    local name=$1
    shift
    local t0=$SECONDS
    mkdir -p "$(dirname "$LOG/$name")"
    if "$@" >"$LOG/$name.log" 2>&1; then
        pass=$((pass + 1))
        passed+=("$name")
        printf '  ok    %-44s %4ds\n' "$name" $((SECONDS - t0))
    else
        fail=$((fail + 1))
        failed+=("$name")
        printf '  FAIL  %-44s %4ds  (log: %s)\n' "$name" $((SECONDS - t0)) "$LOG/$name.log"
        tail -n 15 "$LOG/$name.log" | sed 's/^/        | /'
    fi
}

# expect_error "PATTERN" CMD...: CMD must fail, print PATTERN, not crash, and leave build/ alone.
expect_error() {
    local pat=$1
    shift
    local before after out rc
    before=$(ls build)
    out=$("$@" 2>&1)
    rc=$?
    after=$(ls build)
    echo "rc=$rc: $out"
    [[ $rc -ne 0 && $rc -lt 128 ]] || return 1
    grep -qF -- "$pat" <<<"$out" || { echo "expected message: $pat"; return 1; }
    [[ "$before" == "$after" ]] || { echo "build/ changed"; return 1; }
}

# expect_error_noout PATTERN OUT CMD...: expect_error, and OUT must not exist afterwards.
expect_error_noout() {
    local pat=$1 out=$2
    shift 2
    rm -f "$out"
    expect_error "$pat" "$@" || return 1
    [[ ! -e "$out" ]] || { echo "partial output $out left behind"; return 1; }
}

# expect_mismatch CMD...: passes only if CMD exits 1 and reports a MISMATCH.
expect_mismatch() {
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    echo "$out"
    [[ $rc -eq 1 ]] && grep -q "MISMATCH" <<<"$out"
}

# Suites: tests/suites/NAME.sh and each block's gen/blocks/NAME/NAME_suite.sh (suite NAME).
suite_file() {
    local n=$1
    if [[ -f tests/suites/$n.sh ]]; then echo "tests/suites/$n.sh"
    elif [[ -f gen/blocks/$n/${n}_suite.sh ]]; then echo "gen/blocks/$n/${n}_suite.sh"
    fi
}
all_suites=()
for f in tests/suites/*.sh gen/blocks/*/*_suite.sh; do [[ -e $f ]] && all_suites+=("$f"); done
# path_without TOOL: a PATH (printed) holding every program of /usr/bin and /usr/local/bin except
# those whose name starts with TOOL, for "missing tool" tests.
path_without() {
    local d=$B/test-logs/path-without-$1 f
    rm -rf "$d" && mkdir -p "$d"
    for f in /usr/bin/* /usr/local/bin/*; do
        case $(basename "$f") in "$1"*) continue ;; esac
        ln -sf "$f" "$d/$(basename "$f")" 2>/dev/null
    done
    echo "$PWD/$d"
}

# With arguments (suite names, e.g. `tests/run.sh msq quant ws`), only those suites run; an unknown
# name is an error, never an empty pass.
suites=("${all_suites[@]}")
if [[ $# -gt 0 ]]; then
    suites=()
    for n in "$@"; do
        f=$(suite_file "$n")
        if [[ -z $f ]]; then
            echo "tests/run.sh: no test suite '$n' (known: $(for x in "${all_suites[@]}"; do basename "$x" .sh; done | sed 's/_suite$//' | tr '\n' ' '))" >&2
            exit 2
        fi
        suites+=("$f")
    done
else
    echo "== unit tests (sw/, gen/)"
    for t in $B/tests/test_*; do run "unit/$(basename "$t")" "$t"; done
    echo "== unit tests under ASan+UBSan"
    for t in $B/asan/tests/test_*; do run "asan/$(basename "$t")" "$t"; done
fi

for f in "${suites[@]}"; do
    # shellcheck source=/dev/null
    source "$f"
done
# Every registered block must have been linted, co-simulated, had each of its faults caught and
# have its doc (docs/architecture.md, "Adding a block"). Checked on full runs only.
registry_complete() {
    local b doc dir fb f ok=0 names
    names=$(printf '%s\n' "${passed[@]}")
    for b in $(build/bin/mxfgen help | awk '/^blocks/{f=1;next} /^$/{f=0} f{print $1}'); do
        doc=$(build/bin/mxfgen help "$b" | sed -n 's/^timing contract: //p')
        [[ -n $doc && -s $doc ]] || { echo "block $b: doc '$doc' missing"; ok=1; }
        # the block's folder is its doc's (two blocks may share one, e.g. fineq and fineq-mul)
        dir=${doc%/*}
        fb=${dir##*/}
        [[ $dir == gen/blocks/* ]] || { echo "block $b: doc '$doc' is not in a gen/blocks/ folder"; ok=1; }
        [[ -f $dir/${fb}_suite.sh ]] || { echo "block $b: no $dir/${fb}_suite.sh"; ok=1; }
        [[ -f $dir/${fb}_mutants.tsv ]] || { echo "block $b: no $dir/${fb}_mutants.tsv"; ok=1; }
        grep -q "^@config.*--arch $b\b" "$dir/${fb}_mutants.tsv" 2>/dev/null || [[ $b == "$fb" ]] ||
            { echo "block $b: $dir/${fb}_mutants.tsv plants no mutant in an --arch $b config"; ok=1; }
        grep -q "^lint/$b-" <<<"$names" || { echo "block $b: no passing lint step"; ok=1; }
        grep -q "^cosim/$b-" <<<"$names" || { echo "block $b: no passing co-simulation step"; ok=1; }
        for f in $(build/bin/mxfgen help "$b" | sed -n 's/^faults (--fault, make FAULT=)://p'); do
            grep -q "^fault/.*$f" <<<"$names" || { echo "block $b: fault $f never shown to be caught"; ok=1; }
        done
    done
    return $ok
}
if [[ $# -eq 0 ]]; then
    echo "== registry"
    run "registry/every-block-complete" registry_complete
fi
if [[ $((pass + fail)) -eq 0 ]]; then
    echo "tests/run.sh: no test ran" >&2
    exit 1
fi

echo
if [[ $fail -gt 0 ]]; then echo "failed: ${failed[*]}"; fi
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
