# Two commands on a fresh clone: `make figures` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install test test-slow figures bench bench-torch sims clean

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

figures: $(STAMP)
	$(PY) -m lab reproduce --preset quick

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

clean:
	rm -rf .cache
