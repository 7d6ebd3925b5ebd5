#!/usr/bin/env bash
# The production-like stack on one machine (docs/deploy.md): two intake instances and one
# console under gunicorn, PostgreSQL and Redis on 127.0.0.1, production configuration.
#   scripts/stack.sh start [--cheap-argon2] | stop | status | flask console sync
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
exec .venv/bin/python -m stack "$@"
