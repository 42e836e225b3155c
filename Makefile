# The two commands a newcomer needs: `make run` and `make test`. Both do all the set-up.
PY_SYS ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export PYTHONUNBUFFERED := 1

.PHONY: run test setup system-deps migrate demo worker web lint fuzz bench bench-feed bench-generation bench-load messages clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PY_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Chromium, for the browser tests, comes from Debian's packages.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installing Chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	fi

migrate: setup
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

# The site over ASGI (Daphne) plus real Celery workers, on SQLite and a broker that needs no server:
# one renders (queue gpu); the other runs the checks and Celery beat (--beat), whose sweep of
# generation jobs thus never waits behind a render.
run: demo
	@echo "Serving on http://127.0.0.1:8000 (Ctrl-C stops the site and the workers)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(VENV)/bin/celery -A config.celery_app worker --loglevel=INFO --concurrency=1 -Q gpu -n render@%h & \
	  $(VENV)/bin/celery -A config.celery_app worker --beat --loglevel=INFO --concurrency=1 -Q celery -n tasks@%h & \
	  $(VENV)/bin/daphne -b 127.0.0.1 -p 8000 config.asgi:application

test: setup system-deps
	$(PY) -m pytest

# ruff, the types (mypy with django-stubs) and the import contracts between apps.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	PYTHONPATH=platform:. $(VENV)/bin/lint-imports --no-cache

# The API fuzzed from its OpenAPI schema with many more examples than the suite uses.
fuzz: setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PY) -m pytest -q -p no:cacheprovider tests/config/test_fuzz.py -W ignore::Warning

bench: bench-feed bench-generation

bench-feed: setup
	$(PY) bench/feed_api.py

bench-generation: setup
	$(PY) bench/generation_e2e.py

# Many clients at once over HTTP against the production server processes (deploy/serve) on
# PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL), with wrk and pgbench.
bench-load: setup
	@if ! command -v wrk >/dev/null 2>&1; then \
	  echo "Installing wrk for the load benchmark…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi
	$(PY) bench/load.py $(ARGS)

# Translations: the compiled .mo files are committed; this target needs GNU gettext.
messages: setup
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=bench --ignore=tests
	$(PY) manage.py makemessages -d djangojs -l fr --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
