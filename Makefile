# BVP workbench: every routine action is a target. `make` alone lists them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# LOCKED=0 installs from pyproject.toml's ranges instead of the lock (to try newer versions)
LOCKED ?= 1
UPGRADE ?=
DATE ?=
YEAR ?= 2015
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help setup db populate data lab report backtest-report test bench clean strip lock

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
ifeq ($(LOCKED),1)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
else
	$(BIN)/pip install --quiet -e ".[dev]"
endif
	$(BIN)/python -m ipykernel install --sys-prefix --name bvp --display-name "BVP workbench" >/dev/null
	@echo "$(if $(filter 1,$(LOCKED)),locked,unlocked)" > $(STAMP)

# (a variable: a comma written inside $(if ...) would split its arguments)
SETUP_DONE := Set up. Next: make report, make lab.

setup: $(STAMP) db ## virtual environment in .venv, embedded PostgreSQL, schema migrated, bundled data loaded
	$(BIN)/bvp db populate --structure --data --if-empty
	@$(if $(filter setup,$(MAKECMDGOALS)),echo "$(SETUP_DONE)",true)

populate: $(STAMP) db ## (re)load the whole bundled data set, YEAR=2015 (default) or YEAR=2018 (idempotent)
	$(BIN)/bvp db populate --structure --data --year $(YEAR)

data: $(STAMP) ## regenerate the bundled data set of YEAR (2015 or 2018) from data/raw, offline
	$(BIN)/python -m bvp_lib.data.bundled --year $(YEAR)

report: setup ## the daily report into reports/<day>/ (DATE=YYYY-MM-DD, default the last complete day)
	$(BIN)/bvp report $(if $(DATE),--date $(DATE),)

backtest-report: setup ## a stored backtest run's report into reports/backtests/<NAME>/ (NAME=run name)
	@test -n "$(NAME)" || { echo "Give the run: make backtest-report NAME=<run name> (bvp backtest --from D1 --to D2 --name NAME stores one)"; exit 1; }
	$(BIN)/bvp backtest report $(NAME)

lab: setup ## JupyterLab on notebooks/ with the project kernel and the database running
	$(BIN)/jupyter lab --notebook-dir=notebooks

db: $(STAMP) ## start the embedded PostgreSQL server and migrate the schema
	$(BIN)/bvp db start
	$(BIN)/bvp db upgrade

test: $(STAMP) ## run the whole test suite (unit, database, notebooks)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP) db ## run the benchmarks and print their figures
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lock: ## regenerate requirements.lock from pyproject.toml (Linux x86_64, Python 3.11; UPGRADE=1 for newest versions)
	@test -x $(BIN)/uv || { test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV); $(BIN)/pip install --quiet uv; }
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" \
	  $(if $(UPGRADE),--upgrade,) --quiet -o $(LOCK)
	@echo "$(LOCK) written; make setup installs it."

strip: $(STAMP) ## strip outputs from every notebook (nbstripout)
	$(BIN)/nbstripout notebooks/*.ipynb

clean: ## remove caches and reports (keeps the database and .venv)
	rm -rf .pytest_cache reports/*/ reports/index.html
	find . -name __pycache__ -prune -exec rm -rf {} +
