#!/usr/bin/env bash
# `make test`: bootstrap (incl. Debian Chromium), ruff, mypy (app/ at the default
# level, crypto/ strict), then the whole pytest suite on 2 workers, browser tests
# included. Extra arguments go to pytest.
# Set TEST_DATABASE_URL to run against PostgreSQL instead of SQLite.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
start=$SECONDS
db="sqlite"
[[ -n "${TEST_DATABASE_URL:-}" ]] && db="${TEST_DATABASE_URL%%:*}"

fail() { echo "test.sh: FAILED at $1 [db=$db] ($((SECONDS - start))s)" >&2; exit 1; }

bash scripts/bootstrap.sh --browser || fail "bootstrap"

echo "test.sh: ruff check ."
.venv/bin/ruff check . || fail "ruff check"

echo "test.sh: mypy app; mypy --strict crypto"
.venv/bin/mypy app || fail "mypy app"
.venv/bin/mypy --strict crypto || fail "mypy --strict crypto"

echo "test.sh: pytest -q -n 2 [db=$db]"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
.venv/bin/python -m pytest -q -n 2 "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# pytest's closing line, e.g. "3 failed, 120 passed, 2 skipped, 1 error in 9.1s"
last="$(grep -E '[0-9]+ (passed|failed|errors?|skipped)|no tests ran' "$log" | tail -n 1)"
count() { grep -Eo "[0-9]+ $1" <<<"$last" | grep -Eo '^[0-9]+' || echo 0; }
passed=$(count passed) failed=$(count failed) errors=$(count 'errors?') skipped=$(count skipped)

if (( rc == 5 )); then
  echo "test.sh: pytest collected no tests: that is a failure" >&2
elif (( rc != 0 )); then
  echo "test.sh: pytest exited $rc" >&2
fi
echo "test.sh: ruff ok; mypy ok; pytest exit $rc [db=$db] ($((SECONDS - start))s)"
failed=$((failed + errors))
(( rc != 0 && failed == 0 )) && failed=1  # no tests, usage or internal error
echo "summary: $passed passed, $failed failed, $skipped skipped"
(( rc == 0 )) || exit 1
