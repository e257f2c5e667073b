PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv run test test-faults bench demo clean

venv: $(STAMP)

# Re-install only when the project metadata changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/journey serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The long forms of the fault and hostile-input campaigns (`make test` runs 3 kills, 1 restart and
# 10 examples per property); prints their figures.
FAULT_ROUNDS ?= 20
FAULT_RESTARTS ?= 5
HOSTILE_EXAMPLES ?= 40
test-faults: $(STAMP)
	JOURNEY_FAULT_ROUNDS=$(FAULT_ROUNDS) JOURNEY_FAULT_RESTARTS=$(FAULT_RESTARTS) $(BIN)/python -m pytest tests/faults -q $(PYTEST_ARGS)
	JOURNEY_HOSTILE_EXAMPLES=$(HOSTILE_EXAMPLES) $(BIN)/python -m pytest tests/hostile -q $(PYTEST_ARGS)
	$(BIN)/python -m tests.faults.report

bench: $(STAMP)
	$(BIN)/python -m bench

demo: $(STAMP)
	$(BIN)/journey demo

clean:
	rm -rf $(VENV) var/ .pytest_cache/ .hypothesis/ .import_linter_cache/ build/ dist/ *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
