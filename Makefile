# Two commands set up everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dmarc
export CELERY_BROKER_URL ?= redis://127.0.0.1:6379/0
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the tests talk to: a real IMAP server, browser and DNS server; and Node.js with npm
# (unless a node and an npm are there already) for the OpenID Connect provider of the SSO tests.
SYSTEM_PACKAGES := dovecot-imapd chromium dnsmasq-base
OIDC := reports/harness/oidc

.PHONY: run test test-fast bench lint format services sysdeps venv db demo clean oidc

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

# panva's oidc-provider, as pinned in its package-lock.json: the SSO tests sign in through it.
$(OIDC)/node_modules/.installed: $(OIDC)/package.json $(OIDC)/package-lock.json
	cd $(OIDC) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

oidc: sysdeps $(OIDC)/node_modules/.installed

sysdeps:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# PostgreSQL and Redis normally run already; start them if they are down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done

db: venv services
	@$(BIN)/python manage.py createdb_if_missing
	$(BIN)/python manage.py migrate --noinput

.env:
	@echo "SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "DEBUG=false" >> .env
	@echo "DMARC_ENCRYPTION_KEY=$$($(PY) -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" >> .env
	@echo "Wrote .env with a new SECRET_KEY and DMARC_ENCRYPTION_KEY"

run: venv services .env db
	@$(BIN)/python manage.py collectstatic --noinput -v 0
	@$(BIN)/python manage.py demo --if-empty
	@bash scripts/run.sh $(HOST) $(PORT)

# Most of the suite waits (on workers, Dovecot, a browser), so it runs on more processes than CPUs,
# each with its own test database, servers and Celery queue; tests that need one resource of the
# machine (a fixed port) share an xdist_group and so one process.
TEST_PROCESSES ?= 4
test: venv sysdeps oidc services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadgroup

# While working: everything but the tests marked imap, browser or slow (a real Dovecot, Chromium,
# worker processes, manage.py processes, big property-based runs), on two processes.
FAST_MARKERS := not imap and not browser and not slow
test-fast: venv sysdeps services
	$(BIN)/python -m pytest -m "$(FAST_MARKERS)" -n 2 -q -p no:cacheprovider

bench: venv services
	$(BIN)/python bench/run.py

# lint-imports checks the import contract in pyproject.toml: the packages import one way, no circle.
lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
