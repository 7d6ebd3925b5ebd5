"""The DPIA's tests read both apps: the console's fixtures join the shared intake ones."""

from tests.console.conftest import console_app  # noqa: F401  # a fixture, used by name
