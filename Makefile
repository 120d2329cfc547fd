# ferrograd: build, demo, tests and benchmarks.
#
# Every target that runs Python sets up its own virtualenv (.venv) and builds
# the extension into it, so a fresh clone needs only python3, cargo and access
# to PyPI and crates.io:
#
#   make demo       build (release) and run examples/tour.py
#   make test       build, then the Rust core's tests and the pytest suite
#   make bench      build (release) and run benches/compare.py
#   make stubtest   check python/ferrograd/_ferrograd.pyi against the binary

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
        stubtest clean distclean

help:
	@echo "make demo       build the extension (release) and run examples/tour.py"
	@echo "make test       build, run cargo test -p ferrograd and pytest"
	@echo "make bench      build (release) and run benches/compare.py"
	@echo "make stubtest   check $(STUB) against the compiled module"
	@echo "make clean      remove build outputs (keeps .venv)"
	@echo "make distclean  remove build outputs and .venv"

# The virtualenv is a file target so it is created once and reused.
$(VPY):
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "'$(PYTHON) -m venv' failed (on Debian: apt-get install python3-venv)"; \
		exit 1; }

# Python tools the build and the tests need; redone when pyproject.toml changes.
$(DEPS): pyproject.toml | $(VPY)
	$(PIP) install --upgrade pip
	$(PIP) install "maturin>=1.5,<2" numpy pytest hypothesis
	# PyTorch is the oracle the comparison tests check against; without it
	# those tests skip and every other test still runs.
	$(PIP) install torch || echo "PyTorch could not be installed: comparisons with it will skip"
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

# The core crate only: the bindings crate links against libpython only as
# an extension module, so it is exercised through pytest instead.
test-rust:
	$(CARGO) test -p ferrograd

test-python: build
	$(VPY) -m pytest -q tests

test: build test-rust test-python

bench: build
	$(VPY) benches/compare.py

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
