# The two front-door commands: `make run` and `make test` (README). Both set up whatever a
# fresh Debian 12 machine lacks, and are quick the second time (stamps under .make/).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := .make

# Runtime: WeasyPrint's Pango and HarfBuzz subsetting, Chinese fonts (Noto CJK; Hanazono
# Mincho for the CJK Extension B-F characters Noto lacks, rare in names), gettext for the
# catalogue. Tests add Debian's chromium (browsers are never downloaded) and poppler.
RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
	fonts-hanazono gettext
TEST_PACKAGES := chromium poppler-utils

# Certificates printed by the demo point at the address it serves on, unless .env or the
# environment says otherwise.
RUN_ENV := env $$(grep -qs '^LMS_SITE_URL=' .env || echo "LMS_SITE_URL=$${LMS_SITE_URL:-http://$(HOST):$(PORT)}")

# Tests never read a developer's .env: what they run against is set here or by .ci/run.
TEST_ENV := DOTENV_FILE= DEBUG=true SECRET_KEY=test-only-key-never-used-outside-the-test-suite

.PHONY: help run test test-services system-packages lint migrate seed clean

help:
	@echo "make run    set up and serve the portal with demo data on http://$(HOST):$(PORT)"
	@echo "make test   set up and run linters, checks and the test suite"

$(STAMP)/python:
	@mkdir -p $(STAMP)
	@command -v $(PYTHON) >/dev/null || scripts/system-packages.sh python3.11
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || scripts/system-packages.sh python3.11-venv
	@touch $@

$(STAMP)/runtime-packages: Makefile
	@mkdir -p $(STAMP)
	@scripts/system-packages.sh $(RUNTIME_PACKAGES)
	@touch $@

$(STAMP)/test-packages: $(STAMP)/runtime-packages
	@scripts/system-packages.sh $(TEST_PACKAGES)
	@touch $@

$(STAMP)/venv: requirements.txt $(STAMP)/python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(STAMP)/venv-dev: requirements-dev.txt $(STAMP)/venv
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

CATALOGUES := lms/locale/zh_Hans/LC_MESSAGES/django.mo lms/locale/zh_Hans/LC_MESSAGES/djangojs.mo

lms/locale/zh_Hans/LC_MESSAGES/%.mo: lms/locale/zh_Hans/LC_MESSAGES/%.po $(STAMP)/runtime-packages
	@msgfmt --check -o $@ $<

# Certificate fonts: Noto CJK faces cut to GB 2312 (and the rest of Noto's hanzi for rare
# names) as TrueType on this machine, never committed (1.5 to 2.5 minutes on 2 cores, once;
# only missing or stale faces are rebuilt). DEBUG only lets settings load without a secret key.
$(STAMP)/certificate-fonts: certificates/fonts.py $(STAMP)/venv $(STAMP)/runtime-packages
	@DEBUG=true $(BIN)/python manage.py certificate_fonts
	@touch $@

# Apache ECharts for the dashboards' charts, from the npm registry at a pinned version: the
# tarball must match the integrity the registry published for it (npm view
# echarts@$(ECHARTS_VERSION) dist.integrity), so a changed download fails and installs
# nothing. dist/echarts.min.js lands in the static files (gitignored, never a CDN); the
# verified tarball stays under .make/ for offline reinstalls (scripts/echarts.sh).
ECHARTS_VERSION := 6.1.0
ECHARTS_INTEGRITY := sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA==
ECHARTS_JS := dashboards/static/dashboards/vendor/echarts.min.js

$(ECHARTS_JS): Makefile scripts/echarts.sh
	@scripts/echarts.sh $(ECHARTS_VERSION) $(ECHARTS_INTEGRITY) $(@D)

# A deleted vendor file is installed again: the stamp depends on the file itself.
$(STAMP)/echarts: $(ECHARTS_JS)
	@mkdir -p $(STAMP)
	@touch $@

run: $(STAMP)/venv $(STAMP)/runtime-packages $(STAMP)/certificate-fonts $(STAMP)/echarts $(CATALOGUES)
	@scripts/dotenv.sh
	@$(BIN)/python manage.py migrate --no-input -v 0
	@$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@echo "Serving http://$(HOST):$(PORT)/  (Wagtail admin at /admin/; demo accounts in README.md)"
	@$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)/venv-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/mypy .
	$(TEST_ENV) $(BIN)/lint-imports
	$(TEST_ENV) $(BIN)/python manage.py check --fail-level WARNING
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

test: $(STAMP)/venv-dev $(STAMP)/test-packages $(STAMP)/certificate-fonts $(STAMP)/echarts $(CATALOGUES) lint
	$(TEST_ENV) $(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The services leg (.ci/run): the same suite on PostgreSQL, Redis and a real worker.
# Needs DATABASE_URL, REDIS_URL and CELERY_BROKER_URL in the environment.
test-services: $(STAMP)/venv-dev $(STAMP)/test-packages $(STAMP)/certificate-fonts $(STAMP)/echarts $(CATALOGUES)
	DOTENV_FILE= DEBUG=true SECRET_KEY=test-only-key-never-used-outside-the-test-suite \
	LMS_REQUIRE_SERVICES=1 $(BIN)/pytest -n 2 --create-db $(PYTEST_ARGS)

clean:
	rm -rf $(STAMP) $(VENV) var .mypy_cache .ruff_cache .pytest_cache
