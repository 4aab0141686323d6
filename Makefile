# The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# setup.py and the C sources it builds are part of the install: a change rebuilds.
NATIVE := setup.py adapters/http/ingest_formats/_rwscan.c
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml $(NATIVE) | sha1sum | cut -c1-12)

.PHONY: run test install lint unit clean frontend

$(STAMP): requirements.lock pyproject.toml $(NATIVE)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# The dashboard's production build, rebuilt when its sources changed (scripts/frontend.sh).
frontend: $(STAMP)
	bash scripts/frontend.sh build

run: $(STAMP) frontend
	$(BIN)/observer-eye run

lint: $(STAMP)
	$(BIN)/lint-imports

test: $(STAMP)
	bash scripts/test.sh

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .import_linter_cache frontend/node_modules frontend/dist frontend/.angular
