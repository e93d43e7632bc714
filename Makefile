# Two commands: `make run` (set up + serve) and `make test` (set up + whole suite, browser tests included).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050
RAW_FILES := $(shell find data/raw -type f ! -name '*.md' 2>/dev/null)

.PHONY: run test data kiosk serve worker bench clean system-deps

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
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
	$(BIN)/celery -A dashboard.jobs:celery_app worker --loglevel=info --concurrency=2

# Browser tests need Debian's chromium and chromium-driver, and axe-core from npm;
# tests/test_production.py needs Debian's redis-server.
system-deps:
	@if ! command -v redis-server >/dev/null 2>&1 && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installation de redis-server…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installation de chromium et chromium-driver…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium absent et installation impossible (ni root ni apt-get) : installez chromium et chromium-driver"; fi; \
	fi

node_modules/.installed: package.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: $(BIN)/.installed system-deps node_modules/.installed data
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) node_modules data/processed .cache .pytest_cache
