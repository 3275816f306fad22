# Bad-input suite (sourced by tests/run.sh): every bad knob gives one clear line, a non-zero
# exit, and writes nothing.

echo "== bad input"
run "cli/array-0" expect_error "ARRAY=0: out of range" make -s rtl ARRAY=0
run "cli/array-abc" expect_error "ARRAY=abc: not an integer" make -s rtl ARRAY=abc
run "cli/array-4096" expect_error "ARRAY=4096: out of range" make -s rtl ARRAY=4096
run "cli/wbits-3" expect_error "WBITS=3: unsupported" make -s rtl WBITS=3
run "cli/rows-1" expect_error "ROWS=1: out of range" make -s rtl ROWS=1
# the FineQ blocks' own knobs
run "cli/fineq-rows-2" expect_error "ROWS=2: out of range (expected 3..128)" make -s rtl ARCH=fineq ROWS=2
run "cli/fineq-sched-bogus" expect_error "SCHED=bogus: unknown schedule" make -s rtl ARCH=fineq SCHED=bogus
run "cli/fineq-busy-needs-elastic" expect_error "FAULT=busy: only the elastic schedule" make -s rtl ARCH=fineq FAULT=busy
run "cli/fineq-fault-of-other-block" expect_error "FAULT=mul-sign: unknown fault for this block" make -s rtl ARCH=fineq FAULT=mul-sign
run "cli/fineq-mul-no-sched" expect_error "SCHED=lock: not a knob of block fineq-mul" make -s rtl ARCH=fineq-mul SCHED=lock
run "cli/ws-no-sched" expect_error "SCHED=lock: not a knob of block ws" make -s rtl ARCH=ws SCHED=lock
run "cli/trace-bad" expect_error "TRACE=yes: expected 0, 1" make -s rtl TRACE=yes
run "cli/xprop-bad" expect_error "XPROP=2: expected 0 or 1" make -s rtl XPROP=2
run "cli/fault-unknown" expect_error "FAULT=nope: unknown fault" make -s rtl FAULT=nope
run "cli/model-unknown" expect_error "MODEL=gpt-9: unknown model (known: opt-125m" \
    make -s sim ARRAY=4 MODEL=gpt-9
run "cli/seed-bad" expect_error "SEED=x1: not an unsigned integer" make -s sim ARRAY=4 SEED=x1
NOVL=$(path_without verilator)
run "cli/missing-verilator" expect_error "required tool 'verilator' not found" \
    env PATH="$NOVL" make -s sim ARRAY=4
run "cli/mxfgen-unknown-option" expect_error "unknown or incomplete option '--arary'" \
    build/bin/mxfgen rtl --arary 4
run "cli/mxfvec-bad-manifest" expect_error "manifest.json: cannot open" \
    build/bin/mxfvec stim --config /nonexistent --out build/test-logs/x.hex gemm
