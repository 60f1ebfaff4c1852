# Two commands do all set-up on a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the dashboard on data/lagesbild.duckdb (demo data are loaded into a new database).
## FORWARDED_ALLOW_IPS= : the request guard, not uvicorn, decides whose proxy headers count.
run: $(STAMP)
	FORWARDED_ALLOW_IPS= $(BIN)/streamlit run app.py

## Install everything (Chromium included), check the rules the tools enforce (style, the
## architecture's import contracts, types) and run the whole test suite.
test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

## Debian's Chromium drives the browser tests and renders static chart images; Caddy is the
## TLS reverse proxy of the deployment (deploy/Caddyfile), tested in the browser suite.
chromium:
	@command -v chromium >/dev/null 2>&1 && command -v caddy >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium caddy fonts-dejavu-core fonts-liberation >/dev/null; \
	  else \
	    echo "Chromium eller Caddy saknas: kör 'sudo apt-get install -y chromium caddy' och sedan 'make test' igen."; \
	    exit 1; \
	  fi; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	for script in bench/*.py; do PYTHONPATH=. $(BIN)/python $$script; done
