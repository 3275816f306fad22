# Reference configs (sourced by tests/run.sh): the RTL checked in under rtl/ is exactly what the
# generator emits now, and a user's tools read it as is.
rtlref_tools() {
    local d
    for d in rtl/*/rtl; do
        (cd "$d" && verilator --lint-only -Wall -f files.f && verilator --lint-only -Wall -UVERILATOR -f files.f && iverilog -g2012 -o /dev/null -c files.f) || return 1
    done
}
echo "== reference RTL (rtl/)"
run "rtlref/current" bash scripts/rtl-refs.sh check
run "rtlref/tools-accept" rtlref_tools
