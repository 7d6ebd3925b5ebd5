#!/usr/bin/env bash
# `make run`: bootstrap, then start the demo (demo/run.py): demo keys, SQLite
# databases in instance/, intake on http://127.0.0.1:5000 and the provider
# console on http://127.0.0.1:5001. Extra arguments go to demo.run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/bootstrap.sh

exec .venv/bin/python -m demo "$@"
