# Two commands: `make run` and `make test` (mypy, then pytest). Both build their own virtualenv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config.example.toml

.PHONY: run test install clean

$(BIN)/baoxiu: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(BIN)/baoxiu

install: $(BIN)/baoxiu

run: install
	$(BIN)/baoxiu --config $(CONFIG) db upgrade
	$(BIN)/baoxiu --config $(CONFIG) demo
	$(BIN)/baoxiu --config $(CONFIG) serve

test: install
	$(BIN)/mypy
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) baoxiu.db
