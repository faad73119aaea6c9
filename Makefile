# Backchannel: `make run` serves the demo, `make test` runs the suite. Both install first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYENV_ROOT ?= $(HOME)/.pyenv

# The first Python >= 3.12 found: python3.12/3.13 on PATH, then pyenv's versions.
PYTHON ?= $(shell for c in python3.12 python3.13 $(PYENV_ROOT)/versions/3.12*/bin/python3 \
	$(PYENV_ROOT)/versions/3.13*/bin/python3 python3; do \
	if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	2>/dev/null; then command -v $$c; break; fi; done)

.PHONY: install run test test-fast lint format bench eval audit faults clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (none found on PATH or in pyenv)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	$(PY) -m config.run

test: install
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not browser and not worker and not slow"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run.py

eval: install
	$(PY) bench/eval_extraction.py

faults: install
	$(PY) -m pytest bench/faults -p no:cacheprovider

audit: install
	$(VENV)/bin/pip-audit --skip-editable --progress-spinner off

clean:
	-$(PY) -m config.devdb stop
	rm -rf .devdata
