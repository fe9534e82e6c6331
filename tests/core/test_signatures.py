"""Every signature in the table has a sample log in the golden corpus, and negatives stay negative."""

from __future__ import annotations

import json

from kcrashd.core import analyze
from kcrashd.core.signatures import SIGNATURES
from tests.core.golden import CORPUS, golden_cases


def test_signature_names_unique() -> None:
    names = [s.name for s in SIGNATURES]
    assert len(names) == len(set(names))


def test_every_signature_has_a_sample() -> None:
    seen: set[str] = set()
    for case in golden_cases():
        if case.expected.exists():
            seen.add(json.loads(case.expected.read_text()).get("signature") or "")
    missing = sorted(s.name for s in SIGNATURES if s.name not in seen)
    assert not missing, f"signatures without a sample log under tests/corpus: {missing}"


def test_negative_lookalikes_are_not_crashes() -> None:
    report = analyze((CORPUS / "edge" / "negative-lookalikes.log").read_bytes())
    assert report.kind == "none" and report.title == ""


def test_seed_rhel8_sysrq() -> None:
    report = analyze((CORPUS / "seed" / "rhel8-sysrq.log").read_bytes())
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash"
    assert (report.kind, report.function) == ("sysrq", "sysrq_handle_crash")
    assert report.kernel_release == "4.18.0-147.3.1.el8_1.x86_64"
    assert (report.comm, report.pid, report.cpu) == ("bash", 6631, 0)
    assert report.taint.letters == "OE"


def test_sysrq_61_panic_same_kind_and_function() -> None:
    report = analyze((CORPUS / "edge" / "sysrq-6.1-panic.log").read_bytes())
    assert (report.kind, report.function) == ("sysrq", "sysrq_handle_crash")


def test_init_exit_and_signal_differ() -> None:
    exit_ = analyze((CORPUS / "edge" / "init-exit.log").read_bytes())
    sig = analyze((CORPUS / "edge" / "init-signal.log").read_bytes())
    assert exit_.fingerprint != sig.fingerprint
    assert (exit_.kind, sig.kind) == ("init-exit", "init-signal")
