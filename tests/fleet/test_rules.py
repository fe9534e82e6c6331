"""The shipped alert rules, checked and unit-tested by Prometheus's own promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
RULES = HERE.parents[1] / "contrib" / "prometheus" / "kcrashd.rules.yml"
CASES = HERE / "kcrashd.rules.test.yml"
PROMTOOL = shutil.which("promtool")

pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package prometheus)")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PROMTOOL), *args], capture_output=True, text=True, check=False, timeout=60)


def test_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 rules found" in result.stdout


def test_rules_pass_their_unit_tests() -> None:
    result = promtool("test", "rules", str(CASES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_catch_a_counter_that_appears_at_one(tmp_path: Path) -> None:
    """The cases can fail: the crash-loop rule written with increase() misses the crash that
    starts a new counter series (it appears at 1), and the cases say so."""
    text = RULES.read_text()
    start = text.index("      - alert: KcrashdHostCrashLoop")
    end = text.index("        labels:", start)
    naive = (
        "      - alert: KcrashdHostCrashLoop\n"
        "        expr: sum by (job, instance) (increase(kcrashd_crashes_total[1h])) >= 3\n"
    )
    (tmp_path / "kcrashd.rules.yml").write_text(text[:start] + naive + text[end:])
    cases = CASES.read_text().replace("../../contrib/prometheus/kcrashd.rules.yml", "kcrashd.rules.yml")
    (tmp_path / "cases.yml").write_text(cases)
    result = promtool("test", "rules", str(tmp_path / "cases.yml"))
    assert result.returncode != 0
    assert "alertname: KcrashdHostCrashLoop, time: 1h33m" in result.stdout + result.stderr
