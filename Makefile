# Two commands on a fresh machine with Python 3.11+, git and make:
#   make run    set up, migrate, load demo data, start web + worker
#   make test   set up and run the whole suite (ruff, mypy, pytest)
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell command -v $(PYTHON))

# Test services at their default local addresses; override from the environment.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hatecrime
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: help install run test lint typecheck manage bench bench-quick services system-packages clean

help:
	@echo "make run | make test | make manage CMD=... | make bench | make lint"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

install: $(VENV)/.installed

run: install
	@bin/run "$(PORT)"

manage: install
	@$(PY) manage.py $(CMD)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	DATABASE_URL= $(VENV)/bin/mypy .

test: install system-packages services lint typecheck
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" bin/test $(ARGS)

# Debian packages the suite needs (installed when run as root; otherwise named).
system-packages:
	@bin/system-packages

# PostgreSQL and Redis on their default local addresses, started if down.
services:
	@bin/services

bench: install system-packages services
	@bin/bench full

bench-quick: install system-packages services
	@bin/bench quick

clean:
	rm -rf $(VENV) $(TOOLS) data .mypy_cache .ruff_cache .pytest_cache
