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
#                   properties), the wheel checks (wheel-smoke), stubtest
#                   and a short smoke run of each fuzz target
#   make wheel      dist/ferrograd-<version>-cp39-abi3-<platform>.whl: one
#                   stripped release wheel for every CPython >= 3.9
#   make sdist      dist/ferrograd-<version>.tar.gz, which `pip wheel` builds
#                   with only cargo and pip (`make sdist-check` does that)
#   make wheel-smoke
#                   install the wheel into a fresh virtualenv (.venv-wheel)
#                   and run tests/wheel_smoke.py there from outside the source
#                   tree, then mypy --strict on tests/typing/sample_train.py
#                   against the installed package
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
#
# One optimized compile serves everything: `maturin develop --release` (the
# extension pytest uses), `maturin build --release` (the wheel) and
# `cargo test --release -p ferrograd` all use the release profile, the same
# features and no extra RUSTFLAGS, so cargo builds the dependencies (wgpu,
# naga, ...) and the core crate once and the wheel only relinks.

PYTHON ?= python3
CARGO  ?= cargo

VENV     := .venv
WHEEL_VENV := .venv-wheel
VENV_ABS := $(abspath $(VENV))
VPY      := $(VENV)/bin/python
PIP      := $(VPY) -m pip
MATURIN  := $(VENV)/bin/maturin
# What building needs (maturin) is installed first; what the tests and the
# demo need (PyTorch above all, a large download) is installed while cargo
# compiles, when `make test` runs with -j.
BUILD_DEPS := $(VENV)/.build-deps-installed
DEPS     := $(VENV)/.deps-installed
STUB     := python/ferrograd/_ferrograd.pyi

# maturin develop installs into the environment named by VIRTUAL_ENV.
IN_VENV := VIRTUAL_ENV=$(VENV_ABS) PATH="$(VENV_ABS)/bin:$$PATH"

.DEFAULT_GOAL := help

.PHONY: help venv build build-dev demo test test-rust test-python bench \
        stubtest clean distclean fuzz fuzz-smoke fuzz-tools sanitize gpu-driver mpi mpi4py \
        wheel sdist sdist-check wheel-smoke test-compiled check-unify

help:
	@echo "make demo       build (release), run examples/tour.py and examples/train_digits.py"
	@echo "make test       build, run cargo test, pytest, the wheel smoke test, stubtest and the fuzz smoke run"
	@echo "make wheel      build the release wheel (stable ABI, CPython >= 3.9) into dist/"
	@echo "make sdist      build the source distribution into dist/ (sdist-check: pip wheel it)"
	@echo "make bench      build (release) and run benches/compare.py"
	@echo "make stubtest   check $(STUB) against the compiled module"
	@echo "make fuzz       run each cargo-fuzz target for FUZZ_SECONDS (default $(FUZZ_SECONDS)) s"
	@echo "make sanitize   the core's tests under AddressSanitizer (nightly) or valgrind"
	@echo "make clean      remove build outputs (keeps .venv)"
	@echo "make distclean  remove build outputs, .venv and .venv-wheel"

# The virtualenv is a file target so it is created once and reused.
$(VPY):
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "'$(PYTHON) -m venv' failed (on Debian: apt-get install python3-venv)"; \
		exit 1; }

# Python tools the build needs; redone when pyproject.toml changes.
$(BUILD_DEPS): pyproject.toml | $(VPY)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "maturin>=1.5,<2" numpy
	touch $@

# Python tools the tests and the demo need. mypy runs stubtest and checks
# tests/typing/sample_train.py.
$(DEPS): $(BUILD_DEPS) | mpi
	$(PIP) install pytest hypothesis mypy
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
build: $(DEPS) build-only

# The compile alone, which needs only maturin (see $(BUILD_DEPS)).
.PHONY: build-only
build-only: $(BUILD_DEPS)
	$(IN_VENV) $(MATURIN) develop --release

# Same, with the dev profile: faster to compile, slower to run.
build-dev: $(BUILD_DEPS)
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
# --release: the profile maturin builds the extension with, so the
# dependencies compiled for the extension are reused (see the top).
test-rust: gpu-driver
	$(CARGO) test --release -p ferrograd

# Inside `make test` everything is compiled first (test-compiled), and the
# test targets below skip the rebuild (BUILT=1).
BUILD_FIRST := $(if $(BUILT),$(DEPS),build)
WHEEL_FIRST := $(if $(BUILT),$(DEPS),wheel $(DEPS))

test-python: $(BUILD_FIRST) gpu-driver mpi4py
	$(VPY) -m pytest -q tests

# Compiling is the slow part, and one compile at a time keeps a small machine
# responsive; meanwhile the test tools download. Then the tests, one by one.
test: gpu-driver mpi
	$(MAKE) --no-print-directory -j2 $(DEPS) test-compiled
	$(MAKE) --no-print-directory BUILT=1 test-rust test-python wheel-smoke stubtest fuzz-smoke

# Every compile `make test` needs, in sequence: the extension, the wheel
# (a relink) and the core's tests, which reuse the extension's dependencies
# (see check-unify).
test-compiled: check-unify build-only
	$(MAKE) --no-print-directory wheel
	$(CARGO) test --release -p ferrograd --no-run

# The extension's build and the core's tests must ask for the same features
# of every shared dependency, or cargo compiles wgpu & co. twice
# (rust/unify/Cargo.toml). Reads cargo's resolution; compiles nothing.
check-unify:
	$(PYTHON) rust/unify/check_features.py $(CARGO)

# ---- wheel and sdist ---------------------------------------------------------
# The wheel is built for the stable ABI (pyo3's abi3-py39 feature) and
# stripped ([tool.maturin] in pyproject.toml); the .pyi stub and py.typed
# come with the Python package. A wheel over WHEEL_MAX_MB fails the build.
WHEEL_MAX_MB ?= 20

# The interpreter is named as `maturin develop` names it: pyo3's build
# script reruns when PYO3_PYTHON changes, and with it the bindings' compile.
wheel: $(BUILD_DEPS)
	rm -f dist/ferrograd-*.whl
	$(IN_VENV) $(MATURIN) build --release --out dist --interpreter $(VENV_ABS)/bin/python
	@$(VPY) -c 'import glob, os, sys; w, = glob.glob("dist/ferrograd-*.whl"); mb = os.path.getsize(w) / 2**20; \
		print(f"{w}: {mb:.1f} MB"); sys.exit(mb > $(WHEEL_MAX_MB) and f"{w} is over $(WHEEL_MAX_MB) MB")'

sdist: $(BUILD_DEPS)
	rm -f dist/ferrograd-*.tar.gz
	$(IN_VENV) $(MATURIN) sdist --out dist

# Builds a wheel from the sdist the way pip does for a user without a
# matching wheel: unpacked in a temporary directory and compiled there
# with its own target directory, so nothing of the source tree is used.
# A full compile.
SDIST_CHECK_DIR := target/sdist-check
sdist-check: sdist
	rm -rf $(SDIST_CHECK_DIR) && mkdir -p $(SDIST_CHECK_DIR)
	cd $(SDIST_CHECK_DIR) && $(abspath $(VPY)) -m pip wheel --no-deps --wheel-dir . $(CURDIR)/dist/ferrograd-*.tar.gz
	ls -l $(SDIST_CHECK_DIR)/*.whl

# The installed wheel in a virtualenv of its own, used from outside the
# source tree: imports, autograd, training, version, where the module was
# loaded from (tests/wheel_smoke.py); then the typed sample, run and checked
# with mypy --strict against the installed package (its py.typed and stub).
wheel-smoke: $(WHEEL_FIRST)
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet dist/ferrograd-*.whl
	cd $(WHEEL_VENV) && bin/python -I $(abspath tests/wheel_smoke.py) $(CURDIR)
	cd $(WHEEL_VENV) && bin/python -I $(abspath tests/typing/sample_train.py)
	cd $(WHEEL_VENV) && $(VENV_ABS)/bin/mypy --strict --no-incremental \
		--python-executable bin/python $(abspath tests/typing/sample_train.py)

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
stubtest: $(BUILD_FIRST)
	MYPYPATH=python $(VPY) -m mypy.stubtest ferrograd._ferrograd

clean:
	$(CARGO) clean
	rm -rf dist .pytest_cache
	find python -name '*.so' -delete
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(WHEEL_VENV)
