"""The package stands alone: no Flask or app imports, and the documented API is exported."""

import ast
import sys
from pathlib import Path

import crypto

PACKAGE = Path(crypto.__file__).parent
ALLOWED = {"crypto", "cryptography", "argon2", "mnemonic"} | set(sys.stdlib_module_names)


def _imported_top_level_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_crypto_package_imports_only_the_standard_library_and_its_three_dependencies():
    for path in PACKAGE.rglob("*.py"):
        unexpected = _imported_top_level_modules(path) - ALLOWED
        assert not unexpected, f"{path.name} imports {unexpected}"


def test_every_name_in_all_is_exported():
    for name in crypto.__all__:
        assert hasattr(crypto, name), name


def test_the_error_hierarchy_is_as_documented():
    assert issubclass(crypto.DecryptionError, crypto.CryptoError)
    assert issubclass(crypto.PhraseError, crypto.CryptoError)
    assert issubclass(crypto.PhraseError, ValueError)
    assert not issubclass(crypto.DecryptionError, ValueError)
