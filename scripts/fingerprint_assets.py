"""Give every built asset a content-hashed copy and write app/static/manifest.json.

    .venv/bin/python scripts/fingerprint_assets.py app/static

Run by scripts/build-assets.sh after the build. `dist/application.css` gets a copy named
`dist/application.<12 hex>.css`; templates ask for the plain name through `asset_url`
(app/web/static_assets.py), which looks it up in the manifest, and WhiteNoise serves names
with a hash as immutable for a year. A module that imports another by a relative name, or a
stylesheet that names an image, refers to the hashed name in its own hashed copy, so a change
to a leaf module changes the hash of everything that imports it. Hand-written because
WhiteNoise's manifest storage is Django's and no small library rewrites ES module imports.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

# `from "./x.mjs"`, `import "./x.mjs"` and `import("./x.mjs")`: the only forms our modules use.
MODULE_IMPORT = re.compile(r"""(\b(?:from|import)\s*\(?\s*)(["'])\./([^"'/]+)\2""")
# url("/static/…") in the compiled stylesheet.
STYLE_URL = re.compile(r"""url\((["']?)/static/([^"')?#]+)\1\)""")
HASHED = re.compile(r"\.[0-9a-f]{12}\.")
FINGERPRINTED = (".css", ".js", ".mjs", ".svg", ".png", ".ico")


def hashed_name(relative: str, content: bytes) -> str:
    stem, dot, suffix = relative.rpartition(".")
    digest = hashlib.sha256(content).hexdigest()[:12]
    return f"{stem}.{digest}.{suffix}" if dot else f"{relative}.{digest}"


def dependencies(relative: str, text: str) -> list[str]:
    folder = relative.rpartition("/")[0]
    prefix = f"{folder}/" if folder else ""
    if relative.endswith((".mjs", ".js")):
        return [prefix + match[2] for match in MODULE_IMPORT.findall(text)]
    if relative.endswith(".css"):
        return [match[1] for match in STYLE_URL.findall(text)]
    return []


def rewritten(relative: str, text: str, manifest: dict[str, str]) -> str:
    folder = relative.rpartition("/")[0]
    prefix = f"{folder}/" if folder else ""

    def module(match: re.Match[str]) -> str:
        target = manifest[prefix + match[3]].rpartition("/")[2]
        return f"{match[1]}{match[2]}./{target}{match[2]}"

    def style(match: re.Match[str]) -> str:
        return f"url({match[1]}/static/{manifest[match[2]]}{match[1]})"

    if relative.endswith((".mjs", ".js")):
        return MODULE_IMPORT.sub(module, text)
    if relative.endswith(".css"):
        return STYLE_URL.sub(style, text)
    return text


def fingerprint(root: Path) -> dict[str, str]:
    for old in root.rglob("*"):
        if old.is_file() and HASHED.search(old.name):
            old.unlink()  # an earlier build's copy
    sources = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix in FINGERPRINTED
    }
    manifest: dict[str, str] = {}
    pending = dict(sources)
    while pending:
        ready = [
            name
            for name, content in pending.items()
            if all(
                dep in manifest
                for dep in dependencies(name, content.decode("utf-8", "replace"))
            )
        ]
        if not ready:
            missing = {
                name: dependencies(name, content.decode("utf-8", "replace"))
                for name, content in pending.items()
            }
            raise SystemExit(f"fingerprint_assets: unresolved or circular references: {missing}")
        for name in ready:
            content = pending.pop(name)
            if dependencies(name, content.decode("utf-8", "replace")):
                content = rewritten(name, content.decode("utf-8"), manifest).encode("utf-8")
            manifest[name] = hashed_name(name, content)
            (root / manifest[name]).write_bytes(content)
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


if __name__ == "__main__":
    written = fingerprint(Path(sys.argv[1]))
    print(f"fingerprint_assets: {len(written)} hashed file(s), manifest.json written")
