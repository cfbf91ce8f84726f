# Two commands on a fresh clone: `make figures` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install test test-slow test-browser demos figures bench bench-torch sims clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

test-slow: $(STAMP)
	$(PY) -m pytest -q -n 2 -m slow

# The teaching notebooks: install the `demos` extra, fill their caches (every slider value; minutes the first time,
# seconds after), then serve every demos/*.py with `marimo run` on http://localhost:2718 (Ctrl-C stops it).
DEMOS_PORT ?= 2718
demos: $(STAMP)
	$(PY) -m pip install -q -e '.[test,demos]'
	$(PY) demos/_warm.py
	$(VENV)/bin/marimo run demos --host 127.0.0.1 --port $(DEMOS_PORT) --headless

# Each demo in a real headless Chromium (Debian's package, not a Playwright download): move a slider, wait for the
# re-render, save figures/demos/<name>.png; fails on an error on the page or a plot that does not change.
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
test-browser: $(STAMP)
	@test -n "$(CHROMIUM)" || { echo "make test-browser needs Debian's chromium: apt-get install -y chromium"; exit 2; }
	$(PY) -m pip install -q -e '.[test,browser]'
	$(PY) demos/_warm.py
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q -p no:xdist -m browser tests/test_demos_browser.py

# Every study but the SIMS suite (`make sims`) at its quick preset: figures/<study>.png and .json. Two worker processes:
# most of a quick cell's cost is XLA compilation, which runs on one core (benchmarks/figures.py measures it).
figures: $(STAMP)
	$(PY) -m lab reproduce --preset quick --no-sims --jobs 2

bench: $(STAMP)
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/families.py
	$(PY) benchmarks/diffusion.py

# The benchmarks against PyTorch (score network; the digits denoisers of benchmarks/gpu.py, a smoke run here: the
# real one runs on an accelerator): installs the `bench` extra (CPU torch) first.
bench-torch: $(STAMP)
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) benchmarks/scorenet.py
	$(PY) benchmarks/gpu.py --smoke --no-compile

# The SIMS suite at the cpu-quick preset (the five sims_* figures).
sims: $(STAMP)
	$(PY) -m lab sims --preset cpu-quick

# Drops the studies' results, the demos' results (.cache/demos) and JAX's compilation cache (.cache/jax).
clean:
	rm -rf .cache
