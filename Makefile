# Set-up and common tasks. `make demo` and `make test` create the virtual environment first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint bench gpu-check model report realism clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) -m disclabel.cli.demo

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check src tests tools
	$(VENV)/bin/lint-imports --no-logo

# label.py's speed is also timed side by side with that of the last 2-D slab search
SLAB_SEARCH_REV ?= 2836330
bench: $(STAMP)
	$(PY) tools/benchmark.py --against $(SLAB_SEARCH_REV)

# everything that needs a GPU, in one command (under 8 minutes on one H100/H200)
gpu-check: $(STAMP)
	PYTHON=$(PY) bash tools/gpu_check.sh

# the shipped model, rebuilt from scratch on ../shared/data (about an hour on 2 CPU cores)
model: $(STAMP)
	$(PY) tools/make_model.py --install

# the README's accuracy report (leave-one-subject-out, robustness, ablation, shipped model)
report: $(STAMP)
	$(PY) tools/accuracy_report.py

# synthetic-only models per generator style, scored on the real volumes
realism: $(STAMP)
	$(PY) tools/realism_check.py

clean:
	rm -rf demo runs dataset .pytest_cache .ruff_cache
