#!/usr/bin/env bash
# `make run`: bootstrap, then start the demo (app/demo.py): demo keys, SQLite
# databases in instance/, intake on http://127.0.0.1:5000 and the provider
# console on http://127.0.0.1:5001. Extra arguments go to app.demo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/bootstrap.sh
[[ -f app/demo.py ]] || { echo "run.sh: app/demo.py does not exist yet" >&2; exit 1; }
exec .venv/bin/python -m app.demo "$@"
