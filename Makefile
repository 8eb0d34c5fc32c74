# Two commands: `make run` starts the whole product, `make test` runs the whole suite.
# Both install what they need first (Python packages from PyPI, front-end assets from npm).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := connector_app/static/vendor

.PHONY: install assets run test lint format bench migrate lock

install: $(VENV)/.installed $(VENDOR)/.installed

# Exact versions from requirements.lock (`make lock` rewrites it from pyproject.toml's ranges).
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

lock: $(VENV)/.installed
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/
	touch $@

migrate: install
	$(BIN)/flask --app wsgi db upgrade

run: migrate
	$(BIN)/python -m connector_app.devstack

test: install
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Style (ruff) and architecture (import-linter: the contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench
