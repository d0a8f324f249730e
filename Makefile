# dstreams — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MASTER ?= local[2]
BATCHES ?= 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv run test unit lint bench soak clean

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade 'pip>=24'
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed ## create .venv with dstreams and the test tools

run: venv ## run the streaming word count on local[N] (MASTER=..., BATCHES=n to stop after n)
	$(VENV)/bin/dstreams run examples/wordcount_generator.py --master '$(MASTER)' -- --batches $(BATCHES)

test: venv ## run the whole test suite (starts the servers it needs itself)
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: venv ## ruff (pyflakes, pycodestyle, bugbear, docstrings), mypy and the import-linter layers
	$(VENV)/bin/ruff check runtime operator tests bench examples
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

unit: venv ## run the unit tests only (no servers)
	$(PY) -m pytest -q tests/unit $(PYTEST_ARGS)

bench: venv ## benchmarks side by side with PySpark (~40 min; BENCH_ARGS=--quick, see python -m bench --help)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m bench $(BENCH_ARGS)

soak: venv ## a stateful stream on local-cluster[2] with executor kills (SOAK_MINUTES=60): exactness, memory, Redis keys
	$(PY) -m bench.soak --minutes $(or $(SOAK_MINUTES),60)

clean: ## remove the venv and caches
	rm -rf $(VENV) .pytest_cache .hypothesis

-include tests/cluster/cluster.mk
