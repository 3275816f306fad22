# mxforge top-level Makefile. Users type:
#   make test | make sim MODEL=opt-1.3b | make rtl ARRAY=32 | make synth | make bench
# Every config-specific artefact lives in build/<config-name>/ (the name carries the config), so a
# changed ARRAY never meets a stale build.
SHELL := /bin/bash
.DEFAULT_GOAL := all

# ---- user-facing knobs ----
# Hardware knobs (ARCH and each block's own: ARRAY ROWS COLS WBITS FAULT for ws) are not
# defaulted here: the generator reads them from the environment (`mxfgen --from-env`), applies
# the block's defaults and validates them, so a new block's knobs need no Makefile line.
.EXPORT_ALL_VARIABLES:
MODEL ?= opt-1.3b
SEED ?= 1
TRACE ?= 0
XPROP ?= 0
JOBS ?= 2
ifeq ($(filter $(TRACE),0 1 fst),)
$(error TRACE=$(TRACE): expected 0, 1 (VCD waveform) or fst (FST waveform))
endif
ifeq ($(shell [ "$(JOBS)" -ge 1 ] 2>/dev/null && [ "$(JOBS)" -le 64 ] && echo ok),)
$(error JOBS=$(JOBS): expected 1..64)
endif
ifeq ($(filter $(XPROP),0 1),)
$(error XPROP=$(XPROP): expected 0 or 1)
endif
Q ?= @

# ---- C toolchain ----
CC := gcc
CXX := g++
PKGS := libcjson openblas lapacke zlib
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-error=unused-function
SW_DIRS := sw/lib sw/formats sw/quant sw/io sw/zoo
BLOCK_DIRS := $(wildcard gen/blocks/*)
INC := $(addprefix -I,$(SW_DIRS) gen/core $(BLOCK_DIRS))
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -g $(INC)
OPT := -O2
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

B := build
SW_SRC := $(wildcard $(addsuffix /*.c,$(SW_DIRS)))
# libmxfhw: the block registry, the generator core and every block folder (tests aside)
HW_SRC := $(wildcard gen/core/*.c) \
          $(foreach f,$(wildcard gen/blocks/*/*.c),$(if $(findstring /test_,$(f)),,$(f)))
GEN_SRC := gen/main.c
TB_SRC := $(wildcard tb/*.c)
TOOL_SRC := $(wildcard tools/*.c)
BENCH_SRC := $(wildcard bench/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c) $(wildcard gen/blocks/*/test_*.c)
TAG := $(shell git describe --tags --always --dirty 2>/dev/null || echo unversioned)

LIB := $(B)/lib/libmxfhw.a $(B)/lib/libmxf.a
LIB_ASAN := $(B)/asan/lib/libmxfhw.a $(B)/asan/lib/libmxf.a
MXFGEN := $(B)/bin/mxfgen
TOOLS := $(patsubst tools/%.c,$(B)/bin/%,$(TOOL_SRC))
BENCHES := $(patsubst bench/%.c,$(B)/bin/%,$(BENCH_SRC))
UNITS := $(foreach u,$(UNIT_SRC),$(B)/tests/$(basename $(notdir $(u))))
UNITS_ASAN := $(foreach u,$(UNIT_SRC),$(B)/asan/tests/$(basename $(notdir $(u))))
SETUP := $(B)/.setup-ok

GEN_ARGS = --from-env --tag "$(TAG)"

.PHONY: all setup rtl lint sim sim-merge sim-config compare bench-model synth fpga mutate bench test test-long unit unit-asan clean format help
all: $(LIB) $(MXFGEN) $(TOOLS) $(BENCHES)

help:
	@echo "targets:"
	@echo "  all         libraries, mxfgen and the tools (build/bin/)"
	@echo "  rtl         emit one config's RTL, testbenches, header, manifest, file list, core"
	@echo "  lint        verilator --lint-only -Wall of one config"
	@echo "  sim-config  build one config's Verilated harness (build/<config>/mxfsim)"
	@echo "  sim         every linear layer of MODEL, quantized, through the RTL, bit-exact, with"
	@echo "              reports (default ARCH=microscopiq; docs/sim.md); sim-merge: merge SHARD runs"
	@echo "  compare     every scheme on one MODEL (default opt-125m, ARRAY=8): accuracy, bits/weight,"
	@echo "              cycles, area, energy side by side (build/compare/)"
	@echo "  synth       Yosys area report (gate equivalents, FPGA PE resources)"
	@echo "  fpga        place and route, Fmax, whole-array resources, gate-level re-simulation"
	@echo "  mutate      mutation campaign over every block's emitted RTL"
	@echo "  fuzz        libFuzzer runs of the parsers (FUZZ_S seconds each)"
	@echo "  bench       throughput figures (RTL vs golden model, quantizers)"
	@echo "  bench-model every weight of MODEL (opt-1.3b, ARRAY=32) through the RTL, timed"
	@echo "  test        everything make test runs; test-long: longer sweeps"
	@echo "  format      clang-format the sources; clean: remove build/"
	@echo "knobs: ARCH ARRAY ROWS COLS WBITS SCHED BB RECON NET CPORTS ALIGN FAULT MODEL FORMAT LAYERS SHARD MERGE FULL WEIGHTS FRESH SEED TRACE XPROP JOBS FPGA_PART FPGA_FREQ FPGA_TOP"
	@echo "(mxfgen help lists every block and its options)"

# ---- setup: installs missing Debian packages (or prints the command) ----
setup: $(SETUP)
$(SETUP): scripts/setup.sh
	@bash scripts/setup.sh
	@mkdir -p $(@D) && touch $@

# ---- C objects (normal and sanitizer builds share the sources) ----
$(B)/obj/%.o: %.c | $(SETUP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_BASE) $(OPT) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(B)/asan/obj/%.o: %.c | $(SETUP)
	@mkdir -p $(@D)
	@echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS_BASE) -O1 $(SAN) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(B)/lib/libmxf.a: $(patsubst %.c,$(B)/obj/%.o,$(SW_SRC))
	@mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^
$(B)/asan/lib/libmxf.a: $(patsubst %.c,$(B)/asan/obj/%.o,$(SW_SRC))
	@mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^
$(B)/lib/libmxfhw.a: $(patsubst %.c,$(B)/obj/%.o,$(HW_SRC))
	@mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^
$(B)/asan/lib/libmxfhw.a: $(patsubst %.c,$(B)/asan/obj/%.o,$(HW_SRC))
	@mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^

$(MXFGEN): $(patsubst %.c,$(B)/obj/%.o,$(GEN_SRC)) $(LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(PKG_LIBS) -lm
$(B)/bin/%: $(B)/obj/tools/%.o $(LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(PKG_LIBS) -lm
$(B)/bin/%: $(B)/obj/bench/%.o $(LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(PKG_LIBS) -lm
# Unit tests live in tests/unit/ and in block folders; each file is one binary.
define unit_rules
$(B)/tests/$(basename $(notdir $(1))): $(B)/obj/$(1:.c=.o) $(LIB)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$(CC) -o $$@ $$^ $(PKG_LIBS) -lcmocka -lm
$(B)/asan/tests/$(basename $(notdir $(1))): $(B)/asan/obj/$(1:.c=.o) $(LIB_ASAN)
	@mkdir -p $$(@D)
	@echo "  LD-SAN  $$@"
	$(Q)$(CC) $(SAN) -o $$@ $$^ $(PKG_LIBS) -lcmocka -lm
endef
$(foreach u,$(UNIT_SRC),$(eval $(call unit_rules,$(u))))

-include $(shell find $(B)/obj $(B)/asan/obj -name '*.d' 2>/dev/null)

# ---- hardware configs: the generator validates the knobs and names the build directory ----
# `mxfgen rtl` prints the config directory it wrote (build/<name>), and nothing else; its exit
# status stops the rule.
rtl: $(MXFGEN)
	@$(MXFGEN) rtl $(GEN_ARGS) --outroot $(B)

lint: $(MXFGEN)
	@bash scripts/need.sh verilator
	@dir=$$($(MXFGEN) rtl $(GEN_ARGS) --outroot $(B)) && \
	  $(MAKE) --no-print-directory -f mk/config.mk CFG_DIR=$$dir lint

# Builds the Verilated harness of one config (used by tests and bench).
sim-config: $(MXFGEN) $(LIB)
	@bash scripts/need.sh verilator g++
	@dir=$$($(MXFGEN) rtl $(GEN_ARGS) --outroot $(B)) && \
	  $(MAKE) --no-print-directory -f mk/config.mk CFG_DIR=$$dir TRACE=$(TRACE) XPROP=$(XPROP) sim

# `make sim` runs the MicroScopiQ array (BB=2) unless ARCH says otherwise; scripts/sim.sh runs
# JOBS shard processes and merges them (docs/sim.md: LAYERS SHARD MERGE FULL WEIGHTS FRESH).
# (the tools build with JOBS jobs: `make sim` is often the first command on a fresh machine)
sim sim-merge:
	@$(MAKE) --no-print-directory -j$(JOBS) $(MXFGEN) $(LIB) $(B)/bin/mxfzoo
	@$(B)/bin/mxfzoo check "$(MODEL)" "$(SEED)"
	@bash scripts/need.sh verilator g++
	@export ARCH=$${ARCH:-microscopiq} $(if $(filter sim-merge,$@),MERGE=1) && \
	  dir=$$($(MXFGEN) rtl $(GEN_ARGS) --outroot $(B)) && t0=$$(date +%s.%N) && \
	  $(MAKE) --no-print-directory -f mk/config.mk CFG_DIR=$$dir TRACE=$(TRACE) sim && \
	  bw=$$(awk -v a=$$t0 -v b=$$(date +%s.%N) 'BEGIN { printf "%.1f", b - a }') && \
	  TAG="$(TAG)" bash scripts/sim.sh $$dir \
	    $$dir/mxfsim$(if $(filter 1,$(TRACE)),-trace)$(if $(filter fst,$(TRACE)),-fst) $$bw \
	    $(if $(filter 1,$(TRACE)),--vcd $$dir/wave.vcd)$(if $(filter fst,$(TRACE)),--vcd $$dir/wave.fst) $(SIM_ARGS)

# Every scheme on one model: make sim + make synth of each, the side-by-side table and its plot
# (scripts/compare.sh; docs/sim.md "make compare").
# (no target-specific defaults: GNU make 4.3 then loses a knob given both in the environment and
# on the command line for every other target; compare.sh defaults ARRAY to 8)
compare: all
	@bash scripts/need.sh verilator g++ yosys
	@MODEL=$(if $(filter command line environment,$(origin MODEL)),$(MODEL),opt-125m) \
	  bash scripts/compare.sh

synth: $(MXFGEN) $(B)/bin/synth_report $(B)/bin/fpga_report
	@bash scripts/need.sh yosys
	@dir=$$($(MXFGEN) rtl $(GEN_ARGS) --outroot $(B)) && \
	  bash synth/run.sh $$dir

# FPGA flow: fit check, constraints, synth_ice40 + nextpnr-ice40 (FPGA_PART, FPGA_FREQ),
# synth_xilinx counts, gate-level re-simulation (docs/fpga.md).
fpga: $(MXFGEN) $(B)/bin/synth_report $(B)/bin/fpga_report $(B)/bin/mxfvec
	@bash scripts/need.sh yosys nextpnr-ice40 iverilog
	@dir=$$($(MXFGEN) rtl $(GEN_ARGS) --outroot $(B)) && bash synth/fpga.sh $$dir

# Mutation campaign over every block's emitted RTL (scripts/mutate.sh, gen/blocks/*/*_mutants.tsv).
mutate: $(MXFGEN) $(LIB) $(B)/bin/mxfvec
	@bash scripts/need.sh verilator iverilog
	@for b in $(notdir $(BLOCK_DIRS)); do bash scripts/mutate.sh $$b || exit 1; done

bench: all
	@bash bench/run.sh

# Every weight of MODEL through the RTL (FULL=1), timed, with where the time went.
bench-model: all
	@bash scripts/need.sh verilator g++
	@MODEL=$(if $(filter command line environment,$(origin MODEL)),$(MODEL),opt-1.3b) \
	  bash scripts/bench-model.sh

# ---- tests ----
unit: $(UNITS)
unit-asan: $(UNITS_ASAN)

test: all $(UNITS) $(UNITS_ASAN)
	@bash tests/run.sh

test-long: all $(UNITS) $(UNITS_ASAN)
	@LONG=1 bash tests/run.sh

format:
	clang-format -i $(SW_SRC) $(HW_SRC) $(GEN_SRC) $(TB_SRC) $(TOOL_SRC) $(BENCH_SRC) $(UNIT_SRC) \
	  $(wildcard sw/*/*.h gen/core/*.h gen/blocks/*/*.h tb/*.h tb/*.cpp)

clean:
	rm -rf $(B)

.SECONDARY:

# ---- fuzzing: libFuzzer harnesses in tests/fuzz/ (docs/fuzzing.md) ----
# The library sources are compiled again with clang-14 under ASan+UBSan and libFuzzer's coverage
# instrumentation into build/fuzz/ (the gcc build above is untouched). `make fuzz FUZZ_S=600`
# fuzzes each target for FUZZ_S seconds; `make fuzz-short` (part of `make test` through
# tests/suites/badinput.sh) runs each for FUZZ_SHORT_S seconds.
.PHONY: fuzz fuzz-short fuzz-build
FUZZ_CC ?= clang-14
FUZZ_S ?= 60
FUZZ_SHORT_S ?= 5
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(B)/fuzz/bin/fuzz_,$(FUZZ_TARGETS))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -Wno-unknown-warning-option -Wno-unknown-attributes \
  -g -O1 $(INC) $(PKG_CFLAGS) $(FUZZ_SAN)
$(B)/fuzz/obj/%.o: %.c | $(SETUP)
	@mkdir -p $(@D)
	@echo "  CC-FUZZ $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(B)/fuzz/bin/fuzz_%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(patsubst %.c,$(B)/fuzz/obj/%.o,$(HW_SRC) $(SW_SRC))
	@mkdir -p $(@D)
	@echo "  LD-FUZZ $@"
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm
-include $(shell find $(B)/fuzz/obj -name '*.d' 2>/dev/null)
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_S) $(FUZZ_TARGETS)
fuzz-short: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_SHORT_S) $(FUZZ_TARGETS)
