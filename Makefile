# ferrograd: build, demo, tests and benchmarks.
#
# Every target that runs Python sets up its own virtualenv (.venv) and builds
# the extension into it, so a fresh clone needs only python3, cargo and access
# to PyPI and crates.io:
#
#   make demo       build (release), run examples/tour.py, then train two
#                   models on the digits (examples/train_digits.py)
#   make test       build, then the Rust core's tests (with the proptest
#                   properties), the pytest suite (with the hypothesis
#                   properties) and a short smoke run of each fuzz target
#   make gpu-driver install Mesa's Vulkan drivers (lavapipe, a software
#                   GPU) when apt-get exists and they are missing, so the
#                   wgpu device's tests run on any Debian machine
#   make mpi        install Open MPI (openmpi-bin, libopenmpi-dev) when
#                   apt-get exists and it is missing, so the distributed
#                   tests run on two ranks (mpi4py comes with .venv's deps)
#   make bench      build (release), run benches/compare.py and write its
#                   table into benches/RESULTS.md and benches/ratios.png;
#                   ARGS go to compare.py: `make bench ARGS="--device wgpu"`
#                   times ferrograd on the wgpu device (its own section)
#   make stubtest   check python/ferrograd/_ferrograd.pyi against the binary
#   make fuzz       each cargo-fuzz target in rust/ferrograd/fuzz for
#                   FUZZ_SECONDS (30) seconds; `make fuzz FUZZ_SECONDS=600`
#                   for a real run. Needs a nightly toolchain; installs
#                   cargo-fuzz when missing. Crashes land in
#                   rust/ferrograd/fuzz/artifacts/<target>/.
#   make sanitize   the core's tests under AddressSanitizer (nightly), or
#                   under valgrind when no nightly toolchain is installed
#
# Longer property runs on demand: PROPTEST_CASES=5000 make test-rust, and
# FERROGRAD_FUZZ_LONG=1 make test-python.

PYTHON ?= python3
CARGO  ?= cargo

VENV     := .venv
VENV_ABS := $(abspath $(VENV))
VPY      := $(VENV)/bin/python
PIP      := $(VPY) -m pip
MATURIN  := $(VENV)/bin/maturin
DEPS     := $(VENV)/.deps-installed
STUB     := python/ferrograd/_ferrograd.pyi

# maturin develop installs into the environment named by VIRTUAL_ENV.
IN_VENV := VIRTUAL_ENV=$(VENV_ABS) PATH="$(VENV_ABS)/bin:$$PATH"

.DEFAULT_GOAL := help

.PHONY: help venv build build-dev demo test test-rust test-python bench \
        stubtest clean distclean fuzz fuzz-smoke fuzz-tools sanitize gpu-driver mpi mpi4py

help:
	@echo "make demo       build (release), run examples/tour.py and examples/train_digits.py"
	@echo "make test       build, run cargo test -p ferrograd and pytest"
	@echo "make bench      build (release) and run benches/compare.py"
	@echo "make stubtest   check $(STUB) against the compiled module"
	@echo "make fuzz       run each cargo-fuzz target for FUZZ_SECONDS (default $(FUZZ_SECONDS)) s"
	@echo "make sanitize   the core's tests under AddressSanitizer (nightly) or valgrind"
	@echo "make clean      remove build outputs (keeps .venv)"
	@echo "make distclean  remove build outputs and .venv"

# The virtualenv is a file target so it is created once and reused.
$(VPY):
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "'$(PYTHON) -m venv' failed (on Debian: apt-get install python3-venv)"; \
		exit 1; }

# Python tools the build and the tests need; redone when pyproject.toml changes.
$(DEPS): pyproject.toml | $(VPY) mpi
	$(PIP) install --upgrade pip
	$(PIP) install "maturin>=1.5,<2" numpy pytest hypothesis
	# The digits demo: its data ships inside scikit-learn; tqdm draws the
	# progress bars, matplotlib the plot. safetensors is the reference the
	# safetensors tests compare against.
	$(PIP) install scikit-learn tqdm matplotlib safetensors
	# PyTorch is the oracle the comparison tests check against; without it
	# those tests skip and every other test still runs.
	$(PIP) install torch || echo "PyTorch could not be installed: comparisons with it will skip"
	# The distributed tests' MPI bindings; built against the MPI `make mpi`
	# installed. Without them those tests skip.
	$(PIP) install mpi4py || echo "mpi4py could not be installed: the distributed tests will skip"
	touch $@

venv: $(DEPS)

# Compile the extension (release) and install the package into .venv:
# the compiled module lands in python/ferrograd/ and the venv points at
# python/, so edits to the pure-Python package need no rebuild.
build: $(DEPS)
	$(IN_VENV) $(MATURIN) develop --release

# Same, with the dev profile: faster to compile, slower to run.
build-dev: $(DEPS)
	$(IN_VENV) $(MATURIN) develop

demo: build
	$(VPY) examples/tour.py
	$(VPY) examples/train_digits.py

# The wgpu device's tests need a Vulkan driver; Mesa's lavapipe computes on
# the CPU, so any machine has one. Never fails: without apt-get (or root or
# sudo) the wgpu tests skip and this says why.
GPU_PACKAGES := mesa-vulkan-drivers libvulkan1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

gpu-driver:
	@if ! command -v apt-get >/dev/null 2>&1; then \
		echo "gpu-driver: no apt-get here; install a Vulkan driver by hand for the wgpu tests"; \
	elif dpkg -s $(GPU_PACKAGES) >/dev/null 2>&1; then \
		:; \
	elif [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null 2>&1; then \
		echo "gpu-driver: not root and no sudo: cannot install $(GPU_PACKAGES); the wgpu tests will skip"; \
	else \
		{ $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(GPU_PACKAGES); } \
			|| echo "gpu-driver: installing $(GPU_PACKAGES) failed; the wgpu tests will skip"; \
	fi

# The distributed tests launch two ranks with Open MPI's mpirun. Never fails:
# without apt-get (or root or sudo) those tests skip and this says why.
MPI_PACKAGES := openmpi-bin libopenmpi-dev

mpi:
	@if ! command -v apt-get >/dev/null 2>&1; then \
		echo "mpi: no apt-get here; install an MPI (Open MPI or MPICH) by hand for the distributed tests"; \
	elif dpkg -s $(MPI_PACKAGES) >/dev/null 2>&1; then \
		:; \
	elif [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null 2>&1; then \
		echo "mpi: not root and no sudo: cannot install $(MPI_PACKAGES); the distributed tests will skip"; \
	else \
		{ $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(MPI_PACKAGES); } \
			|| echo "mpi: installing $(MPI_PACKAGES) failed; the distributed tests will skip"; \
	fi

# For a .venv made before mpi4py joined the dependencies. Never fails.
mpi4py: mpi | $(VPY)
	@$(VPY) -c "import mpi4py" 2>/dev/null || $(PIP) install mpi4py \
		|| echo "mpi4py could not be installed: the distributed tests will skip"

# The core crate only: the bindings crate links against libpython only as
# an extension module, so it is exercised through pytest instead.
test-rust: gpu-driver
	$(CARGO) test -p ferrograd

test-python: build gpu-driver mpi4py
	$(VPY) -m pytest -q tests

test: gpu-driver mpi build test-rust test-python fuzz-smoke

# ---- fuzzing and sanitizers ------------------------------------------------
# The fuzz targets need nightly (-Zsanitizer); without it `make fuzz` fails
# and the smoke run inside `make test` is skipped with a message.
NIGHTLY      ?= +nightly
FUZZ_DIR     := rust/ferrograd/fuzz
FUZZ_TARGETS := views indexing binary_matmul
FUZZ_SECONDS ?= 30
# Seconds per target in `make test`.
FUZZ_SMOKE_SECONDS ?= 15
# The dev profile (with ASan) compiles much faster; FUZZ_BUILD= -O for speed.
FUZZ_BUILD   ?= --dev
# A huge allocation must come back as null (so the core can turn it into an
# error) instead of ASan stopping the process; the fuzzer limits RSS itself.
FUZZ_ENV     := ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=0
# -timeout: a single input running this long is a hang; -rss_limit_mb bounds
# runaway memory; -max_len keeps programs short enough to shrink.
FUZZ_ARGS    := -timeout=20 -rss_limit_mb=3072 -max_len=256
HAVE_NIGHTLY := $(shell rustup run nightly rustc --version >/dev/null 2>&1 && echo yes)

fuzz-tools:
	@test "$(HAVE_NIGHTLY)" = yes || { echo "make fuzz needs a nightly toolchain: rustup toolchain install nightly"; exit 1; }
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

# $(1) = seconds per target.
define run_fuzzers
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t for $(1) s"; \
		mkdir -p $(FUZZ_DIR)/corpus/$$t; \
		$(FUZZ_ENV) $(CARGO) $(NIGHTLY) fuzz run $(FUZZ_BUILD) --fuzz-dir $(FUZZ_DIR) $$t \
			-- -max_total_time=$(1) $(FUZZ_ARGS) || { \
			echo "fuzz target $$t failed: reproduce with"; \
			echo "  $(CARGO) $(NIGHTLY) fuzz run $(FUZZ_BUILD) --fuzz-dir $(FUZZ_DIR) $$t $(FUZZ_DIR)/artifacts/$$t/<file>"; \
			exit 1; }; \
	done
endef

fuzz: fuzz-tools
	$(call run_fuzzers,$(FUZZ_SECONDS))

fuzz-smoke:
ifeq ($(HAVE_NIGHTLY),yes)
	@$(MAKE) --no-print-directory fuzz-tools
	$(call run_fuzzers,$(FUZZ_SMOKE_SECONDS))
else
	@echo "no nightly toolchain: skipping the cargo-fuzz smoke run"
endif

# The core's tests under AddressSanitizer. std itself is not instrumented
# (that needs -Zbuild-std and rust-src), the crate's own code is. A separate
# target dir keeps the instrumented build apart from the normal one.
SANITIZE_TARGET := x86_64-unknown-linux-gnu
SANITIZE_ENV    := ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=0 PROPTEST_CASES=64 \
                   RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=target/asan

sanitize:
ifeq ($(HAVE_NIGHTLY),yes)
	$(SANITIZE_ENV) $(CARGO) $(NIGHTLY) test -p ferrograd --target $(SANITIZE_TARGET) --lib --tests
else
	@command -v valgrind >/dev/null || { echo "make sanitize needs nightly or valgrind"; exit 1; }
	$(CARGO) test -p ferrograd --no-run --message-format=json 2>/dev/null \
		| $(PYTHON) -c 'import sys, json; [print(m["executable"]) for m in map(json.loads, sys.stdin) if m.get("profile", {}).get("test") and m.get("executable")]' \
		> target/valgrind-tests.txt
	@set -e; while read -r bin; do \
		echo "== valgrind $$bin"; \
		PROPTEST_CASES=16 valgrind -q --error-exitcode=99 --leak-check=no "$$bin" --test-threads=2; \
	done < target/valgrind-tests.txt
endif

bench: build
	$(VPY) benches/compare.py --write-results $(ARGS)

# Skipped (successfully) while the stub file does not exist.
stubtest: build
	@if [ -f $(STUB) ]; then \
		$(PIP) install --quiet mypy && \
		MYPYPATH=python $(VPY) -m mypy.stubtest ferrograd._ferrograd; \
	else \
		echo "$(STUB) not found; skipping stubtest"; \
	fi

clean:
	$(CARGO) clean
	rm -rf dist .pytest_cache
	find python -name '*.so' -delete
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
