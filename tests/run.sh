#!/usr/bin/env bash
# The one test runner behind `make test` (and `make test-long` with LONG=1).
# Each check is a step; the last line is "N passed, N failed" and the exit code is the verdict.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build
LOG=$B/test-logs
mkdir -p "$LOG"
pass=0
fail=0
failed=()

# run NAME CMD... : one step, output kept in build/test-logs/NAME.log, shown on failure.
run() {
    local name=$1
    shift
    local t0=$SECONDS
    mkdir -p "$(dirname "$LOG/$name")"
    if "$@" >"$LOG/$name.log" 2>&1; then
        pass=$((pass + 1))
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

# With arguments (suite names, e.g. `tests/run.sh msq quant`), only those suites run.
suites=(tests/suites/*.sh)
if [[ $# -gt 0 ]]; then
    suites=()
    for n in "$@"; do suites+=("tests/suites/$n.sh"); done
else
    echo "== unit tests (sw/, gen/)"
    for t in $B/tests/test_*; do run "unit/$(basename "$t")" "$t"; done
    echo "== unit tests under ASan+UBSan"
    for t in $B/asan/tests/test_*; do run "asan/$(basename "$t")" "$t"; done
fi

for f in "${suites[@]}"; do
    [[ -e "$f" ]] || continue
    # shellcheck source=/dev/null
    source "$f"
done

echo
if [[ $fail -gt 0 ]]; then echo "failed: ${failed[*]}"; fi
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
