# FPGA suite (sourced by tests/run.sh): `make fpga` on a 4x4 array places and routes on an
# iCE40 HX8K (the array's own ports) and on an UltraPlus UP5K (the streaming top), prints Fmax and
# utilization, and its generic and iCE40 netlists re-simulate bit-exactly; a fault planted in the
# RTL fails the gate-level run; bad input is refused before any long run. About 70 s.

fpga_a4() {
    local out d=build/ws-a4-w8/fpga
    rm -rf "$d"
    out=$(make -s fpga ARCH=ws ARRAY=4 WBITS=8) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "Fmax clk_i.*MHz" <<<"$out" || return 1
    grep -q "ICESTORM_LC" <<<"$out" || return 1
    grep -q "gate_sim.generic=icarus: ok" <<<"$out" || return 1
    grep -q "gate_sim.ice40=icarus: ok" <<<"$out" || return 1
    local f
    for f in report.json report.txt ws-a4-w8.pcf ws-a4-w8.xdc ws-a4-w8.asc gate-ice40.v gate-generic.v; do
        [[ -s $d/$f ]] || { echo "missing $d/$f"; return 1; }
    done
    grep -q '^set_io clk_i ' "$d/ws-a4-w8.pcf" && grep -q '^create_clock -period ' "$d/ws-a4-w8.xdc" || return 1
    # the whole-array Xilinx count: one DSP48E1 per PE
    grep -q '"DSP":[[:space:]]*16' "$d/report.json"
}

# The FineQ temporal array (elastic) on the HX8K: placed, routed, both netlists re-simulated
# bit-exactly with its data-dependent cycle counts; no DSP on Xilinx (no multiplier).
fpga_fineq() {
    local out d=build/fineq-a4-elastic/fpga
    rm -rf "$d"
    out=$(make -s fpga ARCH=fineq ARRAY=4 SCHED=elastic) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "Fmax clk_i.*MHz" <<<"$out" && grep -q "gate_sim.generic=icarus: ok" <<<"$out" &&
        grep -q "gate_sim.ice40=icarus: ok" <<<"$out" && grep -q '"DSP":[[:space:]]*0' "$d/report.json"
}

fpga_fault() {
    local out rc
    out=$(make -s fpga ARCH=ws ARRAY=4 WBITS=8 FAULT=mul-sign 2>&1)
    rc=$?
    echo "$out"
    [[ $rc -ne 0 ]] && grep -q "step gate-generic failed" <<<"$out" && grep -q "MISMATCH" <<<"$out"
}

# The streaming top on a pin-limited part: 22 pins, placed and routed; both gate-level runs
# stream the stimulus bytes in and check the rows that come out.
fpga_up5k_stream() {
    local out
    out=$(make -s fpga ARCH=ws ARRAY=4 WBITS=4 FPGA_PART=up5k-sg48) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "^top=mxf_ws_array_stream$" <<<"$out" && grep -q "SB_IO  *22 " <<<"$out" &&
        grep -q "gate_sim.ice40=icarus: ok" <<<"$out" && grep -q "Fmax clk_i.*MHz" <<<"$out"
}

echo "== FPGA flow"
run "fpga/ws-a4-w8-pnr-fmax-gate-sim" fpga_a4
# the FPGA figures land in the synthesis report next to the gate equivalents, and in markdown
fpga_merged() {
    make -s synth ARCH=ws ARRAY=4 WBITS=8 >/dev/null || return 1
    grep -q '^	"fpga":' build/ws-a4-w8/synth/report.json && grep -q '"fmax_mhz"' build/ws-a4-w8/synth/report.json &&
        grep -q '^| ICESTORM_LC |' build/ws-a4-w8/fpga/report.md
}
run "fpga/in-synth-report-and-markdown" fpga_merged
run "fpga/gate-level-catches-mul-sign" fpga_fault
run "fpga/ws-a4-w4-up5k-streaming-top" fpga_up5k_stream
run "fpga/fineq-a4-elastic-hx8k" fpga_fineq
# (the config is generated first: the refusal itself must leave build/ as it was)
fpga_fineq_too_big() {
    make -s rtl ARCH=fineq ARRAY=16 >/dev/null &&
        expect_error "this block has no streaming top" make -s fpga ARCH=fineq ARRAY=16
}
run "fpga/fineq-too-big-no-streaming-top" fpga_fineq_too_big
# the configs exist first, so the refusal itself must leave build/ alone
make -s rtl ARCH=ws ARRAY=8 >/dev/null && make -s rtl ARCH=ws ROWS=4 COLS=3 WBITS=4 >/dev/null &&
    make -s rtl ARCH=ws ARRAY=2 >/dev/null
run "fpga/too-big-refused-naming-io" expect_error "does not fit hx8k-ct256: SB_IO" make -s fpga ARCH=ws ARRAY=8 FPGA_TOP=array
run "fpga/too-big-stream-refused-naming-lc" expect_error "does not fit hx8k-ct256: ICESTORM_LC" make -s fpga ARCH=ws ARRAY=8
run "fpga/too-big-refused-naming-lc" expect_error "does not fit hx1k-tq144: ICESTORM_LC" \
    make -s fpga ARCH=ws ROWS=4 COLS=3 WBITS=4 FPGA_PART=hx1k-tq144
# a Xilinx part: whole-array synthesis, the generic gate-level run and utilization of the part
fpga_xilinx() {
    local out
    out=$(make -s fpga ARCH=ws ARRAY=2 FPGA_PART=xc7a35t-csg324) || { echo "$out"; return 1; }
    echo "$out"
    grep -q "DSP  *4 of  *90 " <<<"$out" && grep -q "gate_sim.generic=icarus: ok" <<<"$out" &&
        grep -q "PACKAGE_PIN E3" build/ws-a2-w8/fpga/ws-a2-w8.xdc
}
run "fpga/ws-a2-w8-xc7a35t" fpga_xilinx
make -s rtl ARCH=ws ARRAY=16 >/dev/null
run "fpga/xilinx-too-big-refused-naming-dsp" expect_error "does not fit xc7a100t-csg324: DSP48E1: 256 needed" \
    make -s fpga ARCH=ws ARRAY=16 FPGA_PART=xc7a100t-csg324
run "fpga/unknown-part" expect_error "FPGA_PART=xc9: unknown part" make -s fpga ARCH=ws ARRAY=2 FPGA_PART=xc9
NONP=$(path_without nextpnr)
run "fpga/missing-nextpnr" expect_error "apt-get install nextpnr-ice40" env PATH="$NONP" make -s fpga ARCH=ws ARRAY=2
