"""Fingerprint version 3: history under version 2 continues through `fingerprint_aliases`."""

from __future__ import annotations

from kcrashd.core import analyze
from kcrashd.core.fingerprint import FINGERPRINT_VERSION, fingerprint_title
from tests.core.golden import CORPUS


def _v2(title: str, alts: list[str]) -> str:
    return "kc2-" + fingerprint_title(title, alts).split("-", 1)[1]


def test_unchanged_title_keeps_its_version_2_key() -> None:
    report = analyze((CORPUS / "seed" / "rhel8-sysrq.log").read_bytes())
    assert FINGERPRINT_VERSION == 3 and report.fingerprint.startswith("kc3-")
    assert _v2(report.title, report.alt_titles) in report.fingerprint_aliases


def test_recovered_culprit_lists_the_version_2_key_of_its_corrupted_title() -> None:
    # Version 2 titled this `... paging request in corrupted` (the trace has only `?` frames).
    report = analyze((CORPUS / "edge" / "exec-nx.log").read_bytes())
    old = "BUG: unable to handle kernel paging request in corrupted"
    assert report.function == "lab_trigger_exec_nx"
    assert _v2(old, ["bad-access in corrupted"]) in report.fingerprint_aliases
