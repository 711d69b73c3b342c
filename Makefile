# mtm-notify — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
INFRA := $(PY) deploy/local/infra.py
PYTEST_ARGS ?=

.PHONY: help install demo test test-unit test-integration lint fmt infra-up infra-down infra-status infra-reset bench clean

help:
	@echo "make demo          a scripted clinic day, in memory (no Kafka, Redis, Docker or Twilio)"
	@echo "make test          install, start a real Kafka and Redis, run every test, stop them"
	@echo "make test-unit     the fast subset (no infrastructure)"
	@echo "make lint          ruff and mypy"
	@echo "make infra-up      start Kafka 4.x (KRaft, Maven Central jars) and redis-server on loopback"
	@echo "make infra-down    stop them;  make infra-status: what runs where"

.venv/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: .venv/.installed

demo: install
	@echo "make demo arrives with the demo issue (a scripted clinic day on the in-memory broker)."
	@echo "Until then: 'make test' runs everything against a real Kafka and Redis."
	@exit 1

# Starts Kafka and Redis unless they already run, and stops them afterwards only if it started them.
test: install
	@was_up=0; $(INFRA) status >/dev/null 2>&1 && was_up=1; \
	$(INFRA) up || exit 1; \
	set -a; source .infra/env; set +a; \
	status=0; $(PY) -m pytest -rs -q $(PYTEST_ARGS) || status=$$?; \
	if [ $$was_up = 0 ]; then $(INFRA) down; fi; \
	exit $$status

test-unit: install
	$(PY) -m pytest -q tests/unit $(PYTEST_ARGS)

test-integration: install
	@$(INFRA) up
	$(PY) -m pytest -rs -q tests/integration tests/e2e $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

fmt: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

infra-up: install
	@$(INFRA) up

infra-down:
	@$(INFRA) down

infra-status:
	@$(INFRA) status

infra-reset:
	@$(INFRA) reset

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
