# KetaClinic: `make demo` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
export KETACLINIC_DATABASE_URL ?= sqlite:///./ketaclinic.db

.PHONY: demo test test-sqlite test-postgresql lint bench serve clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(BIN)/ketaclinic migrate
	$(BIN)/ketaclinic demo
	$(BIN)/ketaclinic serve --host 127.0.0.1 --port 8000

serve: $(STAMP)
	$(BIN)/ketaclinic serve

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# The whole suite on SQLite, then again on PostgreSQL (a fresh database on the
# local server, dropped afterwards). In CI a PostgreSQL pass that cannot connect fails.
test: lint test-sqlite test-postgresql

test-sqlite: $(STAMP)
	KETACLINIC_TEST_DB=sqlite $(BIN)/python -m pytest --cov --cov-report=term:skip-covered -q

test-postgresql: $(STAMP)
	KETACLINIC_TEST_DB=postgresql $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage
