#!/usr/bin/env bash
# Brings a checkout up to date for running or testing, idempotently.
#
#   scripts/bootstrap.sh            Python venv + node_modules + front-end assets
#   scripts/bootstrap.sh --browser  ... and Debian's Chromium (for `make test`)
#   scripts/bootstrap.sh --assets   node_modules + rebuild the assets (always)
#
# Each step records a stamp in .stamps/ holding the sha256 of what it was
# built from (the lock files, and for assets their sources), and is skipped
# when the stamp still matches, so a second run takes about a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STAMPS="$ROOT/.stamps"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
CHROMIUM=/usr/bin/chromium

want_python=1 want_node=1 want_assets=1 want_browser=0 force_assets=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --assets) want_python=0 force_assets=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bootstrap: unknown option $arg" >&2; exit 2 ;;
  esac
done

log() { echo "bootstrap: $*"; }
die() { echo "bootstrap: ERROR: $*" >&2; exit 1; }

# sha256 over the named files' contents and names, plus any extra words.
fingerprint() {
  { for f in "$@"; do
      if [[ -f "$f" ]]; then echo "== $f"; cat "$f"; else echo "== $f"; fi
    done
  } | sha256sum | cut -d' ' -f1
}
stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
stamp_set() { mkdir -p "$STAMPS"; echo "$2" >"$STAMPS/$1"; }

# --- Python ----------------------------------------------------------------
if (( want_python )); then
  [[ -f requirements.lock ]] || die "requirements.lock missing"
  command -v "$PYTHON" >/dev/null || die "$PYTHON not found: Python 3.11+ is needed"
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$("$PYTHON" --version 2>&1) found, Python 3.11+ is needed"
  key="$(fingerprint requirements.lock pyproject.toml) $ROOT $("$PYTHON" --version 2>&1)"
  if stamp_ok python "$key" && "$VENV/bin/python" -c '' 2>/dev/null; then
    :
  else
    start=$SECONDS
    if ! "$VENV/bin/python" -c '' 2>/dev/null; then
      log "creating $VENV"
      rm -rf "$VENV"
      "$PYTHON" -m venv "$VENV"
    fi
    log "installing Python packages from requirements.lock"
    # The machine's pip config may list local index folders that lack most
    # packages: drop pip's "Location ... is ignored" noise about them.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      --require-hashes -r requirements.lock \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
    stamp_set python "$key"
    log "Python packages ready ($((SECONDS - start))s)"
  fi
fi

# --- node_modules ----------------------------------------------------------
if (( want_node )); then
  [[ -f package-lock.json ]] || die "package-lock.json missing"
  command -v npm >/dev/null || die "npm not found: Node.js 20+ with npm is needed"
  key="$(fingerprint package.json package-lock.json) $(node --version)"
  if stamp_ok node "$key" && [[ -d node_modules/govuk-frontend ]]; then
    :
  else
    start=$SECONDS
    log "installing node_modules (npm ci)"
    # --omit=optional: only sass's file watcher (@parcel/watcher) is optional.
    npm ci --no-audit --no-fund --omit=optional --loglevel=error
    stamp_set node "$key"
    log "node_modules ready ($((SECONDS - start))s)"
  fi
fi

# --- front-end assets --------------------------------------------------------
if (( want_assets )); then
  mapfile -t sources < <(find assets scripts/build-assets.sh -type f | LC_ALL=C sort)
  key="$(fingerprint package-lock.json "${sources[@]}")"
  if (( ! force_assets )) && stamp_ok assets "$key" \
      && [[ -f app/static/dist/application.css && -f app/static/dist/application.mjs ]]; then
    :
  else
    rm -f "$STAMPS/assets"
    bash scripts/build-assets.sh
    stamp_set assets "$key"
  fi
fi

# --- Chromium (browser tests) -------------------------------------------------
if (( want_browser )); then
  if [[ ! -x "$CHROMIUM" ]]; then
    if [[ "$(id -u)" != 0 ]]; then
      die "$CHROMIUM is missing and installing it needs root.
  Run as root:  apt-get update && apt-get install -y chromium
  (Debian's Chromium only: Playwright must never download a browser.)"
    fi
    start=$SECONDS
    log "installing Debian's chromium with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
    [[ -x "$CHROMIUM" ]] || die "apt-get installed chromium but $CHROMIUM is not there"
    log "chromium ready ($((SECONDS - start))s)"
  fi
fi
