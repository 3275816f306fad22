# Bad-input suite (sourced by tests/run.sh): every bad knob gives one clear line, a non-zero
# exit, and writes nothing.

echo "== bad input"
run "cli/array-0" expect_error "ARRAY=0: out of range" make -s rtl ARRAY=0
run "cli/array-abc" expect_error "ARRAY=abc: not an integer" make -s rtl ARRAY=abc
run "cli/array-4096" expect_error "ARRAY=4096: out of range" make -s rtl ARRAY=4096
run "cli/wbits-3" expect_error "WBITS=3: unsupported" make -s rtl WBITS=3
run "cli/rows-1" expect_error "ROWS=1: out of range" make -s rtl ROWS=1
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
