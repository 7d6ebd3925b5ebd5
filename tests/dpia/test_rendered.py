"""The rendered DPIA: one HTML page and a PDF with every section and every inventory row."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from app import dpia


def test_the_command_writes_every_section_and_every_inventory_row(
    console_app: Flask, tmp_path: Path
):
    result = console_app.test_cli_runner().invoke(args=["console", "dpia", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "dpia.html").read_text(encoding="utf-8")
    sections = re.findall(r"^## (.+)$", (dpia.DPIA_DIR / "dpia.md").read_text(), re.M)
    assert len(sections) >= 12
    for heading in sections:
        assert f"<h2>{heading.replace('&', '&amp;')}</h2>" in html, heading
    for item in dpia.items():
        assert f"<td>{item.name.replace('&', '&amp;')}</td>" in html, item.name
    assert "<script" not in html and "http" not in html.split("<body>")[0]
    pdf = (tmp_path / "dpia.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") > 3
