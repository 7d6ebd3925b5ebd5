"""The workflow vocabulary and the account code exist once, in the shared domain."""

from __future__ import annotations

import ast
from pathlib import Path

from app import workflow

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = sorted((ROOT / "app").rglob("*.py"))


def strings_in(path: Path) -> set[str]:
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_closure_reasons_and_event_names_are_written_only_in_the_workflow_module() -> None:
    # "withdrawn" (also a status) and "other" are everyday words; the rest are codes.
    codes = set(workflow.CLOSURE_REASONS) - {"withdrawn", "other"}
    codes |= {"first_contact_attempted", "contact_made"}
    elsewhere = {
        str(path.relative_to(ROOT)): sorted(codes & strings_in(path))
        for path in PRODUCT
        if path != ROOT / "app" / "workflow.py" and codes & strings_in(path)
    }
    assert elsewhere == {}


def test_no_module_but_the_workflow_maps_events_to_their_date_columns() -> None:
    mappings = []
    for path in PRODUCT:
        if path == ROOT / "app" / "workflow.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                pairs = {
                    (key.value, value.value)
                    for key, value in zip(node.keys, node.values, strict=True)
                    if isinstance(key, ast.Constant) and isinstance(value, ast.Constant)
                }
                if ("acknowledged", "acknowledged_on") in pairs:
                    mappings.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert mappings == []


def test_password_hashing_and_one_time_codes_live_only_in_the_accounts_package() -> None:
    users = []
    for path in PRODUCT:
        if (ROOT / "app" / "accounts") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] in {"pyotp", "argon2"} for name in names):
                users.append(str(path.relative_to(ROOT)))
    assert users == []
