# Subventions — two commands: `make run` and `make test` (see README.md).
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test services lint translations translations-update clean bench-requests bench-indexation bench-cli bench-dedupe bench-reports bench-report-pdf bench-import bench-match

run: install
	$(BIN)/python scripts/run_all.py

# The import rules first (.importlinter): a wrong arrow fails the build before any test runs.
test: install-test services
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install:
	bash scripts/bootstrap.sh run

install-test:
	bash scripts/bootstrap.sh test

services:
	bash scripts/services.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

translations:
	$(BIN)/pybabel compile -d grants/translations --use-fuzzy -f

translations-update:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -o grants/translations/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i grants/translations/messages.pot -d grants/translations --no-fuzzy-matching --omit-header

bench-requests: install-test services
	$(BIN)/python bench/requests.py

bench-indexation: install-test services
	$(BIN)/python bench/indexation.py

# The daily reminder scan over 25 000, 50 000 and 100 000 open reports (BENCH_ARGS="--reports 100000").
bench-reports: install-test services
	$(BIN)/python bench/reports.py $(BENCH_ARGS)
bench-report-pdf: install-test services
	$(BIN)/python bench/report_pdf.py

bench-import: install-test services
	$(BIN)/python bench/coordination_import.py $(BENCH_ARGS)
bench-match: install-test services
	$(BIN)/python bench/coordination_match.py $(BENCH_ARGS)
bench-cli: install
	$(BIN)/python bench/cli.py

# Duplicated funding: ours against Splink on generated labeled data (no database needed).
# SIZES="10000" for a quick run; BENCH_ARGS="--seed 7" for the tuning seed.
SIZES ?= 10000 100000 1000000
bench-dedupe: install-test
	$(BIN)/python -c "import splink, duckdb" 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	$(BIN)/python bench/dedupe.py --sizes $(SIZES) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
