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

.PHONY: install lock run test test-fast lint format bench eval audit faults clean

install: $(STAMP)

# Every package comes from the hashed lock, so a fresh machine gets exactly what was tested; the
# project itself is installed editable on top, without dependencies.
$(STAMP): pyproject.toml requirements-dev.lock
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (none found on PATH or in pyenv)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --requirement requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps --editable .
	@touch $(STAMP)

# Resolve the pins of pyproject.toml and everything they pull in, with the hashes of every file:
# requirements.lock for the image, requirements-dev.lock for development, tests and CI.
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.12 --quiet
lock: install
	$(LOCK) --custom-compile-command "make lock" --output-file requirements.lock
	$(LOCK) --custom-compile-command "make lock" --extra dev --output-file requirements-dev.lock
	@# pip-audit asks for CacheControl[filecache]: pinned without its extra, a newer CacheControl
	@# on the index makes pip (in --require-hashes mode) refuse the install as unpinned.
	$(PY) -c "import pathlib, re; p = pathlib.Path('requirements-dev.lock'); p.write_text(re.sub(r'(?m)^cachecontrol==', 'cachecontrol[filecache]==', p.read_text()))"

run: install
	$(PY) -m devserver.run

# Tests marked `faults` (longer than a minute each) run with `make faults` instead.
test: install
	$(PY) -m pytest -m "not faults"

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

# Strict scoring: the samples, then each real set (bench/eval/real/, and ../shared/eval/real/ when
# it exists) ingested into a scratch database and scored as the API lists its meetings.
eval: install
	$(PY) bench/eval_meetings.py

# Long fault runs, minutes each: workers SIGKILLed mid-batch, Redis killed and frozen under load,
# PostgreSQL restarted under load, thousands of generated API requests and extraction texts;
# then the suite's tests marked `faults`: three workers sharing one queue, the worker and API
# tests through a real PgBouncer.
# Everything runs on loopback with processes of its own; figures: bench/faults/README.md and
# bench/results/faults-latest.json. FAULTS_KEEP=1 keeps the logs under .devdata/faults-*/.
faults: install
	$(PY) -m pytest bench/faults -p no:cacheprovider
	$(PY) -m pytest -m faults

# Audit the pinned dependencies against PyPI's vulnerability data with pip-audit: first the pins
# of pyproject.toml exactly as written (nothing resolved or downloaded), then the installed
# environment (the pins and what they pulled in). Answers are cached under .devdata/pip-audit.
# When the vulnerability service cannot be reached, or cannot answer for the pinned versions
# (a partial mirror), nothing is audited and the target fails saying so, never passes quietly.
AUDIT_DIR := .devdata/pip-audit
AUDIT_SERVICE := https://pypi.org/pypi
# Read the pins, then ask the service about the first one: unreachable or unable to answer ends
# the audit here with the reason, before pip-audit would report packages as merely "not found".
define AUDIT_PROBE
import sys, tomllib, urllib.error, urllib.request
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
pins = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
open(sys.argv[1], "w").write("\n".join(pins) + "\n")
name, version = pins[0].split("==")
url = f"$(AUDIT_SERVICE)/{name.split('[')[0]}/{version}/json"
try:
    urllib.request.urlopen(url, timeout=15)
except urllib.error.HTTPError as error:
    sys.exit(f"make audit: {url} answered {error.code}: the vulnerability service has no data "
             "for the pinned versions (a partial mirror?), so NOTHING WAS AUDITED.")
except OSError as error:
    sys.exit(f"make audit: the vulnerability service ($(AUDIT_SERVICE)) is unreachable "
             f"({getattr(error, 'reason', error)}), so NOTHING WAS AUDITED. Run it where "
             "pypi.org answers, or through HTTPS_PROXY.")
endef
export AUDIT_PROBE
audit: install
	@mkdir -p $(AUDIT_DIR)
	@$(PY) -c "$$AUDIT_PROBE" $(AUDIT_DIR)/pinned.txt
	$(VENV)/bin/pip-audit --requirement $(AUDIT_DIR)/pinned.txt --no-deps --disable-pip --strict \
		--progress-spinner off --cache-dir $(AUDIT_DIR)/cache
	$(VENV)/bin/pip-audit --skip-editable --strict --progress-spinner off --cache-dir $(AUDIT_DIR)/cache

# The cluster may live in a private folder outside the project (a clone under /root).
clean:
	-$(PY) -m devserver.devdb stop
	-location="$$($(PY) -m devserver.devdb location)"; \
		case "$$location" in /var/tmp/backchannel-*) rm -rf "$$location";; esac
	rm -rf .devdata
