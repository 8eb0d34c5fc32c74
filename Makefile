# Two commands: `make run` starts the whole product, `make test` runs the whole suite.
# The inner loop: `make dev` (auto-reload) and `make test-fast` (no browser, no benchmarks).
# Both install what they need first (Python packages from PyPI, front-end assets from npm).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := connector_app/static/vendor

.PHONY: install assets run dev test test-fast screenshots lint format bench migrate lock

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

# The web app reloads on code and template changes (flask run --debug); Redis, worker, cron and the
# sandbox run as in `make run`.
dev: migrate
	$(BIN)/python -m connector_app.devstack --dev

test: install
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The developer's loop: everything but the browser journey, the benchmark smoke tests and the `slow`
# process-level fault tests (real worker processes SIGKILLed, racing scheduler processes, the launcher),
# and the route fuzzer with 3 examples per route instead of 10. `make test` and CI run all of them.
# More workers than cores: many tests wait on sockets and subprocesses; worksteal evens out the tail.
# Compiled bytecode (and pytest's rewritten test modules) is cached in __pycache__ even where the
# environment sets PYTHONDONTWRITEBYTECODE: recompiling every module in every worker cost seconds.
FAST_WORKERS ?= 3
test-fast: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-3} PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest \
		-m "not e2e and not bench and not slow" -n $(FAST_WORKERS) --dist worksteal -q $(PYTEST_ARGS)

# Refresh the tracked screenshots in docs/screenshots/ from the browser journey (`make test` writes
# them to build/screenshots/, which git ignores).
screenshots: install
	bash scripts/ensure-chromium.sh
	SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest tests/e2e -q $(PYTEST_ARGS)

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
