# Two commands matter: `make run` (the demo on SQLite) and `make test` (the whole suite).
# Everything they need is installed here, from pyproject.toml/uv.lock and package.json/package-lock.json.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup run test test-fast lint typecheck format bench bench-full bench-load clean

setup: $(VENV)/.synced node_modules/.installed build/frontend/escalate.css

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --frozen --inexact --quiet
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build/frontend/escalate.css: node_modules/.installed escalate/web/frontend/escalate.scss
	npm run -s build

# `make run PORT=8080` serves on another port; links in messages follow it (SITE_URL).
PORT ?= 8000
run: setup
	@echo "Setting up the database (var/)..."
	@$(PY) manage.py migrate --noinput --verbosity 0
	@SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}" $(PY) manage.py seed_demo
	@PORT=$(PORT) scripts/run-dev.sh

test: setup
	scripts/test.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: setup
	$(VENV)/bin/mypy escalate

bench: setup
	$(PY) -m bench.run --size small

bench-full: setup
	$(PY) -m bench.run --size full

# After make bench (or bench-full: SIZE=full): gunicorn on loopback under locust, headless.
bench-load: setup
	$(PY) -m bench.load --size $(or $(SIZE),small)

clean:
	rm -rf $(VENV) node_modules build var/static
