#!/usr/bin/env bash
# Builds the front-end assets into app/static/ (generated, never committed).
#
#   app/static/dist/application.css          compiled assets/scss/application.scss
#   app/static/dist/govuk-frontend.min.js    GOV.UK Frontend ES module (+ .map)
#   app/static/dist/*.mjs                    our entry point and the modules it imports
#   app/static/govuk/assets/images/...       only images the CSS refers to
#   app/static/**/name.<hash>.ext + manifest.json   content-hashed copies (scripts/fingerprint_assets.py)
#   app/static/**/*.gz, *.br                  pre-compressed copies WhiteNoise serves
#
# Fails if the CSS names "GDS Transport" or refers to anything but our own
# /static/ paths (the service must make no third-party request).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

GOVUK="node_modules/govuk-frontend/dist/govuk"
SASS="node_modules/.bin/sass"
DIST="app/static/dist"
IMAGES="app/static/govuk/assets/images"

die() { echo "build-assets: ERROR: $*" >&2; exit 1; }

[[ -x "$SASS" && -d "$GOVUK" ]] || die "node_modules missing: run 'npm ci' (or 'make assets')"

rm -rf "$DIST" "app/static/govuk"
mkdir -p "$DIST" "$IMAGES"

# pkg: URLs resolve govuk-frontend through node_modules (Node resolution).
"$SASS" --pkg-importer=node --style=compressed --no-source-map \
  --quiet-deps --no-error-css \
  assets/scss/application.scss "$DIST/application.css"

cp "$GOVUK/govuk-frontend.min.js" "$GOVUK/govuk-frontend.min.js.map" "$DIST/"
cp assets/js/*.mjs "$DIST/"  # our entry point and the modules it imports

CSS="$DIST/application.css"

if grep -qi 'GDS Transport' "$CSS"; then
  die "$CSS mentions GDS Transport: the font must not be used or shipped"
fi
if grep -Eqi '(https?:)?//[a-z0-9.-]+\.[a-z]{2,}' <(grep -Eo 'url\([^)]*\)' "$CSS"); then
  die "$CSS refers to another host: $(grep -Eo 'url\([^)]*\)' "$CSS" | grep -Ei '//' | sort -u | tr '\n' ' ')"
fi
# Attribute selectors such as [href^="https://"] (GOV.UK print styles) are
# not requests; anything else naming http(s):// is.
if sed -E 's/\[[^]]*\]//g' "$CSS" | grep -Eqi 'https?://'; then
  die "$CSS contains an absolute http(s) URL: $(sed -E 's/\[[^]]*\]//g' "$CSS" | grep -Eoi 'https?://[^") ]*' | sort -u | tr '\n' ' ')"
fi
if grep -Eqi '@import' "$CSS"; then
  die "$CSS contains an @import (would be a further request)"
fi
if grep -q 'sourceMappingURL' "$CSS"; then
  die "$CSS references a source map"
fi

# Copy exactly the images the CSS references; any other url() is an error.
while IFS= read -r ref; do
  url="${ref#url(}"; url="${url%)}"; url="${url//\"/}"; url="${url//\'/}"
  case "$url" in
    data:*) ;;
    /static/govuk/assets/images/*)
      name="${url#/static/govuk/assets/images/}"; name="${name%%[?#]*}"
      [[ "$name" != */* && "$name" != *..* && -f "$GOVUK/assets/images/$name" ]] \
        || die "CSS refers to $url, which GOV.UK Frontend does not ship"
      cp "$GOVUK/assets/images/$name" "$IMAGES/" ;;
    *) die "CSS refers to unexpected URL: $url" ;;
  esac
done < <(grep -Eo 'url\([^)]*\)' "$CSS" | sort -u)

ls "$GOVUK/assets/fonts" >/dev/null  # fonts exist upstream; we never copy them
if find app/static -name '*.woff*' | grep -q .; then
  die "font files found under app/static"
fi

images=$(find "$IMAGES" -type f | wc -l)
echo "build-assets: $CSS ($(wc -c <"$CSS") bytes), JS copied, $images image(s) referenced by CSS"

# Content-hashed names (served immutable), then gzip and brotli beside every file that
# shrinks; WhiteNoise (app/web/static_assets.py) picks what the browser accepts.
PYTHON="${PYTHON:-.venv/bin/python}"
find app/static -name '*.gz' -delete -o -name '*.br' -delete
"$PYTHON" scripts/fingerprint_assets.py app/static
"$PYTHON" -m whitenoise.compress --quiet app/static
