"""Golden tests: each corpus log gives exactly its recorded result (`--update-golden` rewrites them)."""

from __future__ import annotations

import json

import pytest

from kcrashd.core import analyze
from tests.core.golden import Case, expectation, golden_cases

CASES = golden_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Case, update_golden: bool) -> None:
    got = expectation(analyze(case.data(), source=case.name))
    if not update_golden and not case.expected.exists():
        if case.name.startswith("lab/"):
            pytest.skip("lab case without expectation yet: run pytest tests/core --update-golden")
        pytest.fail(f"{case.expected} missing: run pytest tests/core --update-golden")
    if update_golden:
        case.expected.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        return
    want = json.loads(case.expected.read_text())
    assert got == want
