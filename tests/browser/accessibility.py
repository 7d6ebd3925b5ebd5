"""Browser-test helpers: Debian's Chromium and axe-core accessibility checks.

Chromium comes from Debian (/usr/bin/chromium, installed by `make test`);
Playwright never downloads a browser. axe-core comes from node_modules
(pinned in package.json, installed by `npm ci`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def launch_chromium(playwright: Playwright, **kwargs: Any) -> Browser:
    """Launch Debian's Chromium headless with the flags this machine needs."""
    if not Path(CHROMIUM_PATH).exists():
        raise RuntimeError(
            f"{CHROMIUM_PATH} is missing: run `make test`, or as root "
            "`apt-get update && apt-get install -y chromium`"
        )
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True, **kwargs
    )


@cache
def _axe_source() -> str:
    if not AXE_PATH.is_file():
        raise RuntimeError(f"{AXE_PATH} is missing: run `npm ci` (or `make test`)")
    return AXE_PATH.read_text(encoding="utf-8")


def axe_violations(page: Page, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """Run axe-core on the page's document and return its violations.

    axe is injected with page.evaluate (the DevTools protocol), which the
    page's Content-Security-Policy does not apply to; add_script_tag would
    add an inline script that `script-src 'self'` blocks.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source() + "\n;undefined")
    options = {"runOnly": {"type": "tag", "values": tags or WCAG_TAGS}}
    result = page.evaluate(
        """async (options) => {
            const results = await axe.run(document, options);
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({target: n.target, html: n.html})),
            }));
        }""",
        options,
    )
    return list(result)


def format_violations(violations: list[dict[str, Any]], url: str = "") -> str:
    lines = [f"{len(violations)} accessibility violation(s){' on ' + url if url else ''}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}]: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {node['html'][:200]}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page, tags: list[str] | None = None) -> None:
    """Fail with a readable list if axe-core finds WCAG 2.2 AA violations."""
    violations = axe_violations(page, tags)
    if violations:
        raise AssertionError(format_violations(violations, page.url))
