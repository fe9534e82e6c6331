"""The metrics of kernel reports and unexplained reboots (docs/fleet.md): counted apart, reports by
kind and whether the kernel survived them, read from the real state database the kernel journal
source filled from the imported journal (two survived reports of boot A, boot B's unexplained
reboot, a report that took boot D down); the exposition passes `promtool check metrics`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from kcrashd.daemon.metrics import StateCollector
from tests.kernel_journal.conftest import C_START, Rig, import_export
from tests.kernel_journal.make_exports import BOOTS, LAB, dmesg, kernel, until
from tests.kernel_journal.test_kernel_source import WINDOW, run_due

PROMTOOL = shutil.which("promtool")


def scrape(rig: Rig) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector(rig.config.state.state_dir, 365, []))
    return generate_latest(registry).decode()


def values(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def filled(rig_factory: Callable[..., Rig], journal_dir: Path) -> str:
    """The scrape after the source read boots A, B and D and judged D's end."""
    rig = rig_factory(history_boots=3)
    # boot D, between B and C: its oops is the last thing it wrote (the machine went down with it)
    oops = until(dmesg(LAB / "deb12-6.1_null-deref_run1" / "vmcore-dmesg.txt"), "Kernel panic - not syncing")
    start = BOOTS["boot-b"][1] + 1800
    import_export("".join(kernel("d4" * 16, start, mono, text) for mono, text in oops), journal_dir, "boot-d")
    src = rig.source()
    run_due(rig, src)
    rig.clock.now = C_START + WINDOW
    run_due(rig, src)
    return scrape(rig)


def test_reports_and_unexplained_reboots_are_counted_apart(rig_factory: Callable[..., Rig], journal_dir: Path) -> None:
    found = values(filled(rig_factory, journal_dir))
    reports = {
        (dict(labels)["kind"], dict(labels)["survived"]): value
        for (name, labels), value in found.items()
        if name == "kcrashd_kernel_reports_total"
    }
    assert reports == {("warning", "1"): 1, ("null-deref", "1"): 1, ("null-deref", "0"): 1}
    assert found[("kcrashd_unexplained_reboots_total", frozenset())] == 1  # boot D, the previous boot
    crashes = sum(v for (name, _), v in found.items() if name == "kcrashd_crashes_total")
    assert crashes == 4  # every one is also a crash of its kind


def test_no_journal_counts_are_zero(rig: Rig) -> None:
    found = values(scrape(rig))
    assert found[("kcrashd_unexplained_reboots_total", frozenset())] == 0
    assert not [name for name, _ in found if name == "kcrashd_kernel_reports_total"]


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package prometheus)")
def test_exposition_passes_promtool(rig_factory: Callable[..., Rig], journal_dir: Path) -> None:
    text = filled(rig_factory, journal_dir)
    assert "kcrashd_kernel_reports_total{" in text
    result = subprocess.run([str(PROMTOOL), "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr
