"""Fixtures of the grouping tests: the private journald (for the journal-field tests)."""

from __future__ import annotations

import pytest

from tests.fixtures.journald import enter_namespace, journald  # noqa: F401  (the session fixture)


def pytest_configure(config: pytest.Config) -> None:
    """Enter the private mount namespace before any thread starts (see tests/daemon/conftest.py)."""
    enter_namespace()
