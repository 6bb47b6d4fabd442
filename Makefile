PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Finds initdb on PATH or in /usr/lib/postgresql/*/bin (prints nothing if absent).
PG_INITDB = $(shell command -v initdb 2>/dev/null || ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1)

.PHONY: venv deps test lint demo mongo-demo bench clean schemas secantus

# SecantusDB: a MongoDB wire-protocol server the MongoDB tests run against. A test tool, never a
# dependency of schemactl: it lives in its own venv, outside pyproject.toml. Only pre-releases exist,
# hence the exact pin.
SECANTUS_PIN   := SecantusDB==0.7.0b3
SECANTUS_VENV  ?= .venv-secantus
SECANTUS_STAMP := $(SECANTUS_VENV)/.installed-$(SECANTUS_PIN)

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

secantus: $(SECANTUS_STAMP)

# A failed install fails `make test` (no stamp is written, nothing is skipped).
$(SECANTUS_STAMP):
	@test -x $(SECANTUS_VENV)/bin/python || $(PYTHON) -m venv $(SECANTUS_VENV)
	$(SECANTUS_VENV)/bin/python -m pip install --quiet '$(SECANTUS_PIN)'
	@test -x $(SECANTUS_VENV)/bin/secantusd-py || { echo "ERROR: $(SECANTUS_PIN) installed no secantusd-py in $(SECANTUS_VENV)/bin" >&2; exit 1; }
	@touch '$@'

deps:
	@if [ -n "$(PG_INITDB)" ]; then \
		echo "PostgreSQL found: $(PG_INITDB)"; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "PostgreSQL not found; installing via apt-get"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; \
	else \
		echo "ERROR: PostgreSQL server binaries (initdb/pg_ctl/postgres) not found on PATH or in /usr/lib/postgresql/*/bin." >&2; \
		echo "       Install them (e.g. 'sudo apt-get install -y postgresql') or re-run 'make deps' as root." >&2; \
		exit 1; \
	fi

test: venv deps secantus
	$(BIN)/pytest -q
	$(BIN)/ruff check reconciler tests

lint: venv
	$(BIN)/ruff check reconciler tests

# The published JSON Schemas, assembled from the backends' fragments and the hazard registry.
schemas: venv
	$(BIN)/python -m reconciler.spec.schemas

demo: venv
	$(BIN)/python -m reconciler.demo

# MongoDB without a server of your own: the multi-tenant example on a throwaway SecantusDB.
mongo-demo: venv secantus
	$(BIN)/python examples/mongodb-tenants/demo.py

bench: venv deps secantus
	$(BIN)/python bench/run.py
	$(BIN)/python bench/mongo_tenants.py

clean:
	rm -rf $(VENV) $(SECANTUS_VENV) .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
