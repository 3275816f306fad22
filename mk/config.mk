# Builds the Verilated harness of one generated config:  make -f mk/config.mk CFG_DIR=build/<name>
# Everything lands inside CFG_DIR, so a different config never reuses these objects. The top
# module and the RTL files come from the config itself (mxf_params.h, rtl/files.f): no block is
# named here.
SHELL := /bin/bash
CFG_DIR ?= $(error CFG_DIR is required)
TRACE ?= 0
# XPROP=1: a model whose uninitialised state and X assignments are random per run
# (--x-assign unique --x-initial unique; seed with +verilator+seed+N +verilator+rand+reset+2),
# so a result that depends on state the reset does not set fails.
XPROP ?= 0
# JOBS: C++ compile jobs of the Verilated model (unless a parallel parent make shares its own)
JOBS ?= 2
Q ?= @
TOP := $(shell sed -n 's/^\#define MXF_TOP //p' $(CFG_DIR)/mxf_params.h)
VROOT := $(shell verilator --getenv VERILATOR_ROOT 2>/dev/null)
# $(call cfg_define,NAME): the string value of #define NAME "..." in the config's mxf_params.h
cfg_define = $(shell sed -n 's/^\#define $(1) "\(.*\)".*/\1/p' $(CFG_DIR)/mxf_params.h)
RTL := $(addprefix $(CFG_DIR)/rtl/,$(shell cat $(CFG_DIR)/rtl/files.f))
# C++ optimisation is what matters for Verilator speed. Each block names the level measured
# fastest for its model (mxf_params.h MXF_OPT_FAST): -O2 for ws (ws-a32-w8 104 k cycles/s, -Os
# 71 k) and fineq (the same either way), -Os for microscopiq (msq-a32-bb2 2.5x faster than at
# -O2 or -O1: gen/blocks/microscopiq/README.md "Simulation speed"). OPT_FAST= overrides it.
# (-O3: the same speed as -O2, a fifth more compile time.)
ifeq ($(origin OPT_FAST),undefined)
OPT_FAST := $(or $(call cfg_define,MXF_OPT_FAST),-O2)
endif
XFLAGS := $(if $(filter 1,$(XPROP)),--x-assign unique --x-initial unique,--x-assign fast --x-initial fast)
# --unroll-count 4: loops of more than 4 iterations in always_comb stay loops in the C++ (the
# MicroScopiQ Benes slice's merge cells, the shared-unit arbiter's row scan). Chosen when the
# butterfly slice was loops too: unrolled, its C++ was 8x larger and 11 % slower; the butterfly's
# switches are now written out by the generator, so the flag no longer touches them.
# The block's own Verilator options (mxf_params.h MXF_VFLAGS: microscopiq's -fno-case).
BLOCK_VFLAGS := $(call cfg_define,MXF_VFLAGS)
VFLAGS := -O3 $(XFLAGS) --noassert -Wall --unroll-count 4 $(BLOCK_VFLAGS) --top-module $(TOP)
# TRACE=1: VCD waveforms, TRACE=fst: FST (smaller, for GTKWave); each its own model.
TRACEFLAGS := $(if $(filter 1,$(TRACE)),--trace,$(if $(filter fst,$(TRACE)),--trace-fst,))
VMTRACE := -DVM_TRACE=$(if $(TRACEFLAGS),1,0) -DVM_TRACE_FST=$(if $(filter fst,$(TRACE)),1,0)
SUFFIX := $(if $(filter 1,$(TRACE)),-trace,)$(if $(filter fst,$(TRACE)),-fst,)$(if $(filter 1,$(XPROP)),-x,)
OBJ := $(CFG_DIR)/obj$(SUFFIX)
VLIB := $(OBJ)/V$(TOP)__ALL.a
# The Verilator runtime does not depend on the model (only on the Verilator version and the trace
# kind): it is compiled once into build/vlrt-<version><trace>/ and linked into every config's
# harness (make test builds some 80 configs; compiling it for each cost 7 s of CPU apiece).
VVER := $(shell verilator --version 2>/dev/null | awk '{print $$2}')
TRSUFFIX := $(if $(filter 1,$(TRACE)),-trace,)$(if $(filter fst,$(TRACE)),-fst,)
VRT := build/vlrt-$(VVER)$(TRSUFFIX)
RT_OBJS := verilated.o verilated_threads.o $(if $(filter 1,$(TRACE)),verilated_vcd_c.o) \
           $(if $(filter fst,$(TRACE)),verilated_fst_c.o)
RUNTIME := $(addprefix $(VRT)/,$(RT_OBJS))
SIM := $(CFG_DIR)/mxfsim$(SUFFIX)
TB_SRC := $(wildcard tb/*.c)
TB_OBJ := $(patsubst tb/%.c,$(OBJ)/tb_%.o,$(TB_SRC))
INC := -Isw/lib -Isw/formats -Isw/quant -Isw/io -Isw/zoo -Igen/core $(addprefix -I,$(wildcard gen/blocks/*))
CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O2 -g \
          $(INC) -Itb -I$(CFG_DIR) $(shell pkg-config --cflags openblas)
LIBS := build/lib/libmxfhw.a build/lib/libmxf.a $(shell pkg-config --libs libcjson openblas lapacke zlib) -lz -lm

# The C++ optimisation level the model was built with: a build at another level rebuilds it
# (the suites build big configs at -O0 to save compile time; make bench must not reuse those).
OPT_STAMP := $(CFG_DIR)/.opt-fast$(SUFFIX)

.PHONY: sim lint FORCE
sim: $(SIM)

$(OPT_STAMP): FORCE
	@[[ -f $@ && "$$(cat $@)" == "$(OPT_FAST)" ]] || echo "$(OPT_FAST)" > $@

# Both views of the RTL: what Verilator reads, and (VERILATOR undefined) what every other tool
# reads: a block may place a task differently for the model's speed (microscopiq's ReCoN slice).
lint:
	@cd $(CFG_DIR)/rtl && verilator --lint-only -Wall --top-module $(TOP) -f files.f && \
	  verilator --lint-only -Wall -UVERILATOR --top-module $(TOP) -f files.f && echo "lint clean: $(CFG_DIR)"

$(VLIB): $(RTL) $(CFG_DIR)/rtl/files.f $(CFG_DIR)/mxf_params.h $(OPT_STAMP)
	@echo "  VERILATE $(CFG_DIR) (OPT_FAST=$(OPT_FAST)$(if $(BLOCK_VFLAGS), $(BLOCK_VFLAGS)))"
	$(Q)rm -rf $(OBJ) && verilator --cc $(VFLAGS) $(TRACEFLAGS) --Mdir $(OBJ) $(RTL)
	$(Q)$(MAKE) -s $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(JOBS)) -C $(OBJ) -f V$(TOP).mk OPT_FAST="$(OPT_FAST)" OPT_SLOW=-O1 OPT_GLOBAL=-O2 \
	  V$(TOP)__ALL.a >/dev/null

# The first config to need the runtime compiles it with its own generated makefile (so with
# Verilator's own flags) under a lock, into a temporary directory renamed into place: configs
# built in parallel never see a half-written runtime.
$(VRT)/.done: | $(VLIB)
	$(Q)mkdir -p build && flock build/.vlrt.lock bash -c '[[ -f $@ ]] && exit 0; \
	  $(MAKE) -s -C $(OBJ) -f V$(TOP).mk OPT_GLOBAL=-O2 $(RT_OBJS) >/dev/null && \
	  t=$$(mktemp -d build/.vlrt.XXXXXX) && cp $(addprefix $(OBJ)/,$(RT_OBJS)) $$t/ && \
	  touch $$t/.done && rm -rf $(VRT) && mv $$t $(VRT)'

$(RUNTIME): $(VRT)/.done

$(OBJ)/shim.o: tb/shim.cpp tb/dut.h $(CFG_DIR)/mxf_params.h $(VLIB)
	$(Q)g++ -std=c++17 -O2 $(VMTRACE) -I$(OBJ) -I$(CFG_DIR) -I$(VROOT)/include \
	  -I$(VROOT)/include/vltstd -Itb -c $< -o $@

$(OBJ)/tb_%.o: tb/%.c $(CFG_DIR)/mxf_params.h $(wildcard tb/*.h gen/core/*.h) $(VLIB)
	$(Q)gcc $(CFLAGS) -c $< -o $@

$(SIM): $(TB_OBJ) $(OBJ)/shim.o $(VLIB) $(RUNTIME) build/lib/libmxfhw.a build/lib/libmxf.a
	@echo "  LD       $@"
	$(Q)g++ -o $@ $(TB_OBJ) $(OBJ)/shim.o $(VLIB) $(RUNTIME) $(LIBS) -pthread -latomic
