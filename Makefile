# Safe Referral. The two commands a person needs:
#   make run    start the service locally (SQLite, demo keys, intake + console)
#   make test   run the whole test suite (ruff + mypy + pytest, browser tests included)
# Both bootstrap everything first (.venv, node_modules, assets, Chromium for
# tests); steps already done are skipped via stamps in .stamps/.

SHELL := /bin/bash

.PHONY: run test assets lint bootstrap clean distclean

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

# Rebuild the front-end assets into app/static/ (npm ci first if needed).
assets:
	@bash scripts/bootstrap.sh --assets

lint:
	@bash scripts/bootstrap.sh
	.venv/bin/ruff check .

bootstrap:
	@bash scripts/bootstrap.sh

# Generated files only; keeps .venv, node_modules and instance/ (demo data).
clean:
	rm -rf .stamps app/static/dist app/static/govuk .pytest_cache .ruff_cache .mypy_cache
	find . -path ./.venv -prune -o -path ./node_modules -prune -o \
	  -type d -name __pycache__ -exec rm -rf {} +

# Also the installed environments (next make run/test reinstalls them).
distclean: clean
	rm -rf .venv node_modules
