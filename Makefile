# neuroworm: two commands do all the set-up.
#   make demo   runs the main job (creates .venv and installs the project when missing)
#   make test   runs the test suite (same set-up)
# Python >= 3.12 is looked for as: $(PYTHON) if given, python3.12 on PATH,
# pyenv's 3.12.x, then python3 if it is recent enough.

SHELL := /bin/bash
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

find_python = $(shell \
  for p in $(PYTHON) python3.12 python3.13 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -V | head -1) python3; do \
    command -v $$p >/dev/null 2>&1 || continue; \
    $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; \
  done)

.PHONY: demo test test-all venv clean bench data-check claims-table

$(STAMP): setup.cfg pyproject.toml
	@py="$(find_python)"; \
	if [ -z "$$py" ]; then echo "neuroworm needs Python >= 3.12 (set PYTHON=/path/to/python3.12)"; exit 1; fi; \
	echo "using $$py ($$($$py --version))"; \
	[ -x $(VPY) ] || $$py -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[dev,dask]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/neuroworm demo --out runs/demo

test: $(STAMP)
	$(VENV)/bin/lint-imports
	$(VPY) -m pytest -m "not slow" -q $(PYTEST_ARGS)

test-all: $(STAMP)
	$(VPY) -m pytest -q $(PYTEST_ARGS)

claims-table: $(STAMP)
	$(VPY) -c 'from neuroworm.papers.reproduce import update_readme; update_readme()'
	$(VENV)/bin/neuroworm reproduce --report

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(VPY) $$b || exit 1; done

data-check: $(STAMP)
	$(VPY) connectome_data/build.py --check

clean:
	rm -rf $(VENV) build dist *.egg-info runs/demo
