# Two commands: `make run` (set up + serve) and `make test` (set up + checks + whole suite, browser tests included).
# Also `make test-fast` (no browser, no slow tests), `make lint` (import layers, dead code), `make bench`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050
RAW_FILES := $(shell find data/raw -type f ! -name '*.md' 2>/dev/null)

.PHONY: run test test-setup test-fast lint data kiosk serve worker beat bench clean system-deps vendor-dsfr

# --no-compile: Python compiles what it imports, on first import (a third of the install time saved) — and keeps
# it: PYTHONDONTWRITEBYTECODE (set in some CI images and shells) would have every process compile plotly, dash,
# pandas… again from source at each start (≈ 1 s of CPU per app server or CLI started by the suite).
unexport PYTHONDONTWRITEBYTECODE
$(BIN)/.installed: requirements.txt requirements-dev.txt requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-compile --disable-pip-version-check -r requirements-dev.txt -c requirements.lock
	touch $@

# The processed store is rebuilt when it is missing or older than any raw input.
data/processed/CURRENT: $(BIN)/.installed $(RAW_FILES)
	$(BIN)/python -m dashboard.pipeline build

data: data/processed/CURRENT

run: data
	ACCES_SOINS_HOST=$(HOST) ACCES_SOINS_PORT=$(PORT) $(BIN)/python app.py

kiosk: data
	ACCES_SOINS_PUBLIC=1 ACCES_SOINS_HOST=$(HOST) ACCES_SOINS_PORT=$(PORT) $(BIN)/python app.py

# Production: gunicorn with gunicorn.conf.py (workers, threads, timeouts; ACCES_SOINS_SECRET_KEY required with
# several workers), and the Celery worker for background callbacks when ACCES_SOINS_REDIS_URL is set.
serve: data
	ACCES_SOINS_HOST=$(HOST) ACCES_SOINS_PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py app:server

worker: data
	$(BIN)/celery -A dashboard.worker:celery_app worker --loglevel=info --concurrency=2

# One beat per instance (not per worker machine): it queues the daily e-mail reminders of the saisie.
beat:
	$(BIN)/celery -A dashboard.worker:celery_app beat --loglevel=info --schedule=$(or $(ACCES_SOINS_CACHE_DIR),.cache)/celerybeat-schedule

# Browser tests need Debian's chromium and chromium-driver, and axe-core from npm;
# tests/test_production.py needs Debian's redis-server; the saisie tests a real PostgreSQL server (postgresql).
SYSTEM_TOOLS := chromium:chromium chromedriver:chromium-driver redis-server:redis-server pg_ctlcluster:postgresql
system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installation de :$$missing…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Paquets manquants (installation impossible sans root/apt-get) :$$missing"; fi; \
	fi

# --ignore-scripts: @gouvfr/dsfr's preinstall expects a DSFR project setup; we only read its dist files (scripts/vendor_dsfr.py)
node_modules/.installed: package.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The State design system (DSFR) is shipped in vendor/dsfr/ (subset, licence, version): `make run` needs no Node.js.
# To update it: bump @gouvfr/dsfr in package.json, then `make vendor-dsfr` and commit vendor/dsfr/.
vendor-dsfr: node_modules/.installed
	$(BIN)/python scripts/vendor_dsfr.py node_modules/@gouvfr/dsfr

# Tests run in tiers (pytest.ini, tests/conftest.py) on two pytest-xdist workers, a test file per worker at a time
# (module fixtures start servers once), in the order tests/conftest.py sorts them (--no-loadscope-reorder: else
# xdist hands out the files with the most tests first, whatever they cost); PYTEST_ARGS adds options (-k, -x…).
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25 $(PYTEST_ARGS)

# The layers of docs/architecture.md (.importlinter, 0 import circles) and no dead code (vulture, 80 % confidence
# and more: unused imports, variables and unreachable code; a false positive goes in .vulture_whitelist.py).
lint: $(BIN)/.installed
	$(BIN)/lint-imports
	$(BIN)/vulture dashboard layouts callbacks app.py .vulture_whitelist.py --min-confidence 80

# The set-up's independent parts side by side (the system packages and npm's while pip installs; the lint beside
# the data build), then the suite.
test:
	$(MAKE) --no-print-directory -j3 --output-sync=target test-setup
	$(PYTEST)

test-setup: lint $(BIN)/.installed system-deps node_modules/.installed data

# Unit and integration tests only (≤ 3 min on 2 cores): no Chromium, no gunicorn/Celery, no real open-data builds.
test-fast: lint $(BIN)/.installed
	$(PYTEST) -m "not browser and not slow"

# Benchmarks: each prints JSON, kept in bench/results/<name>.json (the README quotes them).
BENCHES := pipeline pack map weight kiosk_soak load pages
bench: $(BIN)/.installed data
	mkdir -p bench/results
	@set -e; for b in $(BENCHES); do echo "bench/$$b.py → bench/results/$$b.json"; \
	  $(BIN)/python -m bench.$$b > bench/results/$$b.json; done

clean:
	rm -rf $(VENV) node_modules data/processed .cache .pytest_cache
