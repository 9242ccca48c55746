# Two commands set Siaga up on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run demo test install install-test lint migrate messages clean bench-import bench-dashboard bench-dashboard-sqlite bench-duplicates bench-documents bench-bulk bench-bulk-sqlite

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Re-install only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[test,dev]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# migrate loads SIAGA_REGION's villages once; load_region adds them again if missing and refuses
# a database that holds workers of another region (README "Region").
migrate: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_region

# The background worker (django-tasks-db) runs beside the web server and stops with it
# (Ctrl+C reaches both; the trap only cleans up a worker that is still running).
run: migrate
	$(PY) manage.py ensure_local_admin --url http://$(HOST):$(PORT)/admin/
	@$(PY) manage.py db_worker --no-reload & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null; wait $$WORKER 2>/dev/null; exit 0' INT TERM; \
	trap 'kill $$WORKER 2>/dev/null; wait $$WORKER 2>/dev/null' EXIT; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# A fresh demo database: the embedded SQLite file is replaced by one with the reference data,
# a new local administrator (its password is printed) and the seed_demo figures.
demo: install
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "make demo resets the embedded SQLite database only; unset DATABASE_URL," \
		     "or run seed_demo yourself on an empty PostgreSQL database."; exit 2; fi
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_region
	$(PY) manage.py ensure_local_admin --url http://$(HOST):$(PORT)/admin/
	$(PY) manage.py seed_demo

test: install-test
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Each app keeps its own catalog in <app>/locale; project-wide strings live in locale/.
APPS_WITH_LOCALE := $(patsubst %/locale,%,$(wildcard */locale))
messages: install
	$(PY) manage.py makemessages -l id --no-location --no-wrap $(addprefix --ignore=,$(APPS_WITH_LOCALE) .venv tests)
	for app in $(filter-out locale,$(APPS_WITH_LOCALE)); do \
		(cd $$app && ../$(PY) ../manage.py makemessages -l id --no-location --no-wrap) || exit 1; \
	done
	$(PY) manage.py compilemessages -l id --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# Import benchmark (docs/benchmarks.md); set DATABASE_URL to a PostgreSQL database first.
bench-import: install
	$(PY) benchmarks/bench_import.py $(BENCH_ARGS)

# Dashboard timings at 1,000,000 workers on PostgreSQL (BENCH_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/siaga_dash_bench); records docs/benchmarks.md.
bench-dashboard: install
	$(PY) benchmarks/bench_dashboard.py $(BENCH_ARGS)

# Possible-duplicate rule: precision/recall and scan time on a registry with known duplicates
# (docs/duplicates.md). PEOPLE=1000000 with DATABASE_URL at PostgreSQL for the large run.
PEOPLE ?= 16000
bench-duplicates: install
	$(PY) benchmarks/bench_duplicates.py --people $(PEOPLE)
# The same on SQLite (the default database) with `seed_demo`'s default data, in a scratch
# file (BENCH_SQLITE, default /tmp/siaga_dash_bench.sqlite3); records docs/benchmarks.md.
BENCH_SQLITE ?= /tmp/siaga_dash_bench.sqlite3
bench-dashboard-sqlite: install
	$(PY) benchmarks/bench_dashboard.py --database-url sqlite:///$(BENCH_SQLITE) $(BENCH_ARGS)

# Official documents: the SK attachment for 16,413 people as PDF and xlsx (docs/benchmarks.md).
# reportlab and XlsxWriter are pure pip installs: no system library to check for.
bench-documents: install
	$(PY) benchmarks/bench_documents.py $(BENCH_ARGS)

# Bulk jobs (renewal, dashboard rebuild, propose top N, DTKS and BPJS imports) at registry
# scale, each in its own process: wall, CPU and peak RSS (docs/benchmarks.md "Bulk jobs").
# PostgreSQL at 1,000,000 workers by default (BENCH_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/siaga_bulk_bench); `make bench-bulk PEOPLE=200000` for
# another size. bench-bulk-sqlite: the same jobs on SQLite at an office's 16,000.
BENCH_BULK_SQLITE ?= /tmp/siaga_bulk_bench.sqlite3
BULK_PEOPLE = $(if $(filter command line environment,$(origin PEOPLE)),--people $(PEOPLE))
bench-bulk: install
	$(PY) benchmarks/bench_bulk.py $(BULK_PEOPLE) $(BENCH_ARGS)
bench-bulk-sqlite: install
	$(PY) benchmarks/bench_bulk.py --database-url sqlite:///$(BENCH_BULK_SQLITE) $(BULK_PEOPLE) $(BENCH_ARGS)
