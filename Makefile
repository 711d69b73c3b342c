# mtm-notify — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
INFRA := $(PY) deploy/local/infra.py
STACK := $(PY) deploy/local/stack.py
COMPOSE := docker compose
COMPOSE_DEV := $(COMPOSE) --env-file deploy/compose/dev.env --profile dev
PYTEST_ARGS ?=

.PHONY: help install demo test test-unit test-integration test-faults lint fmt infra-up infra-down infra-status infra-reset bench clean \
	local-up local-down local-status up up-dev down generate

help:
	@echo "make demo          a scripted clinic day, in memory (no Kafka, Redis, Docker or Twilio)"
	@echo "make test          install, start a real Kafka and Redis, run every test, stop them"
	@echo "make test-unit     the fast subset (no infrastructure)"
	@echo "make test-faults   fault injection on a private stack, full form (~18 min; tables at the end)"
	@echo "make bench         throughput and latency scenarios on a private stack (~13 min; README Performance)"
	@echo "make lint          ruff and mypy"
	@echo "make infra-up      start Kafka 4.x (KRaft, Maven Central jars) and redis-server on loopback"
	@echo "make infra-down    stop them;  make infra-status: what runs where"
	@echo "make local-up      Kafka, Redis, the fake Twilio and the six services as local processes"
	@echo "make local-down    stop them all;  make local-status: what runs, pids, logs"
	@echo "make up / down     docker compose: the stack on one host with Docker (make up-dev: fake Twilio)"
	@echo "make generate      rewrite what is generated from the code (docs/ references, AsyncAPI, topics, Kafka users)"

.venv/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: .venv/.installed

demo: install
	@$(PY) -m demo

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

# Kill services, stop Kafka, crash Redis, misbehaving Twilio, on a private Kafka and Redis of its
# own (tests/faults/README.md). `make test` runs the short form; FAULTS_SCALE=issue: issue sizes.
test-faults: install
	FAULTS_SCALE=$${FAULTS_SCALE:-full} $(PY) -m pytest -rs -q -m faults tests/faults $(PYTEST_ARGS)

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

# The whole system as local processes (deploy/local/stack.py): pid files and logs in .infra/local/.
local-up: install
	@$(STACK) up

local-down:
	@$(STACK) down

local-status:
	@$(STACK) status

# docker-compose.yml (needs a Docker engine). `up` reads the required secrets from .env or the
# shell; `up-dev` uses deploy/compose/dev.env and the fake Twilio. `down` keeps the volumes.
up:
	$(COMPOSE) up -d --build --wait

up-dev:
	$(COMPOSE_DEV) up -d --build --wait

down:
	$(COMPOSE_DEV) down

# docs/events.md, docs/configuration.md, docs/clinical-rules.md, docs/asyncapi/, deploy/k8s/.
generate: install
	$(PY) -m deploy.generate

# Throughput and latency scenarios on a private Kafka and Redis (bench/README.md); writes
# bench/results/<date>.json and .md and prints the table. BENCH_SCALE=0.1 for a quick check.
bench: install
	$(PY) -m bench

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
