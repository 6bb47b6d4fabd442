PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Finds initdb on PATH or in /usr/lib/postgresql/*/bin (prints nothing if absent).
PG_INITDB = $(shell command -v initdb 2>/dev/null || ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1)
# Finds the MariaDB (or MySQL) server the MySQL tests start a throwaway copy of (prints nothing if absent).
MARIADB_SERVER = $(shell PATH="$$PATH:/usr/sbin:/usr/local/sbin" command -v mariadbd 2>/dev/null || PATH="$$PATH:/usr/sbin:/usr/local/sbin" command -v mysqld 2>/dev/null)

.PHONY: venv deps test lint demo mongo-demo bench clean schemas secantus diagram-tools

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

# The diagram tests check `schemactl diagram`'s output with real tools: Mermaid's own parser (from the npm
# registry, pinned, into .diagram-tools/) and Graphviz's dot (Debian's graphviz). Test tools only.
DIAGRAM_TOOLS := .diagram-tools
DIAGRAM_PINS  := mermaid@11.17.2 jsdom@29.1.1
DIAGRAM_STAMP := $(DIAGRAM_TOOLS)/.installed-mermaid-11.17.2-jsdom-29.1.1

diagram-tools: $(DIAGRAM_STAMP)

$(DIAGRAM_STAMP):
	@command -v npm >/dev/null 2>&1 || { echo "ERROR: npm (Node.js) is needed for the Mermaid parser the diagram tests use" >&2; exit 1; }
	@mkdir -p $(DIAGRAM_TOOLS) && cd $(DIAGRAM_TOOLS) && { test -f package.json || echo '{"private": true}' > package.json; } \
		&& npm install --silent --no-audit --no-fund $(DIAGRAM_PINS)
	@if ! command -v dot >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends graphviz; \
		else \
			echo "ERROR: Graphviz's dot not found; install it (sudo apt-get install -y graphviz)" >&2; exit 1; \
		fi; \
	fi
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
	@if [ -n "$(MARIADB_SERVER)" ]; then \
		echo "MariaDB found: $(MARIADB_SERVER)"; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "MariaDB not found; installing via apt-get"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server; \
	else \
		echo "ERROR: MariaDB server binaries (mariadbd and mariadb-install-db) not found on PATH or in /usr/sbin." >&2; \
		echo "       Install them (e.g. 'sudo apt-get install -y mariadb-server') or re-run 'make deps' as root." >&2; \
		exit 1; \
	fi

test: venv deps secantus diagram-tools
	$(BIN)/pytest -q -n 2  # two workers: the tests mostly wait on the servers
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
	rm -rf $(VENV) $(SECANTUS_VENV) $(DIAGRAM_TOOLS) .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
