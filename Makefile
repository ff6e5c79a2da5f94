# Two commands: `make run` and `make test` (mypy, then pytest). Both build their own virtualenv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config.example.toml
# Test processes: one per core (pytest-xdist); `make test JOBS=0` runs them in this process.
JOBS ?= auto

.PHONY: run test install lock reset clean

# The versions the tests passed with (requirements.lock), then the project itself on top of them.
$(BIN)/baoxiu: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(BIN)/baoxiu

install: $(BIN)/baoxiu

run: install
	$(BIN)/baoxiu --config $(CONFIG) db upgrade
	$(BIN)/baoxiu --config $(CONFIG) demo
	$(BIN)/baoxiu --config $(CONFIG) serve

test: install
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(JOBS)

# Newest versions within pyproject's ranges, written to requirements.lock; run the tests, then commit it.
lock: install
	$(BIN)/pip install -q "pip-tools>=7.4,<8"
	$(BIN)/pip-compile --quiet --upgrade --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

# Start again from nothing: the SQLite database and downloaded photos beside the config go;
# the next `make run` loads the demo into the empty database.
reset:
	rm -rf baoxiu.db media

clean:
	rm -rf $(VENV) baoxiu.db
