#!/usr/bin/env bash
# Runs libFuzzer targets (built by `make fuzz` / `make fuzz-short`, docs/fuzzing.md):
#   tests/fuzz/run.sh SECONDS TARGET...
# Each target first replays its checked-in corpus (tests/fuzz/corpus/TARGET: seeds and the
# regression input of every crash fixed), then fuzzes for SECONDS with new inputs kept in
# build/fuzz/work/TARGET (the checked-in corpus is never written). A crash leaves its input in
# build/fuzz/artifacts/TARGET/ and fails the run. One summary line per target.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=$1
shift
B=build/fuzz
rc=0
for t in "$@"; do
    bin=$B/bin/fuzz_$t seeds=tests/fuzz/corpus/$t work=$B/work/$t art=$B/artifacts/$t
    mkdir -p "$work" "$art" "$B/logs"
    log=$B/logs/$t.log
    # replay: every corpus file once, no mutation
    if ! "$bin" -runs=0 "$seeds" >"$log.replay" 2>&1 && ! grep -q "^INFO: .* Done" "$log.replay"; then
        echo "fuzz $t: replaying $seeds FAILED (log: $log.replay)"
        tail -n 20 "$log.replay"
        rc=1
        continue
    fi
    "$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1
    r=$?
    execs=$(LC_ALL=C sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -n1)
    ncorp=$(find "$work" -type f | wc -l)
    if [[ $r -ne 0 ]]; then
        echo "fuzz $t: CRASH after ${secs}s (exit $r, log: $log, input: $(ls -t "$art" | head -n1))"
        grep -m1 -E "ERROR: |runtime error|SUMMARY" "$log"
        rc=1
    else
        echo "fuzz $t: ${secs}s, ${execs:-?} executions, ${cov:-cov: ?}, $ncorp corpus inputs, 0 crashes"
    fi
done
exit $rc
