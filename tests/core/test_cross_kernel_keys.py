"""One event the kernel printed differently across releases keeps one key on every kernel.

The deliberate sysrq-c crash (kcrashd/core/fingerprint.py SYSRQ_KEY): drivers/tty/sysrq.c sysrq_handle_crash wrote through NULL up to Linux 5.5 (`*killer = 1`: RHEL 7 and 8, an oops
titled as a NULL dereference) and calls `panic("sysrq triggered crash")` since; where panic() is a tail call the
handler's frame is gone from the trace and __handle_sysrq is the culprit.  A fleet that upgrades its kernels keeps
one history for the operator's test crash, and version 3's keys of both forms stay aliases.

HPE iLO's NMI (signatures.py hpwdt-nmi-panic): drivers/watchdog/hpwdt.c panicked with three messages up to 4.15
and since with the NMI status byte before the third (`00: An NMI occurred. ...`): one title for all four.
"""

from __future__ import annotations

import hashlib

from kcrashd.core import analyze
from kcrashd.core.fingerprint import SYSRQ_KEY, fingerprint_key
from tests.core.golden import CORPUS

NULL_WRITE = (CORPUS / "seed" / "rhel8-sysrq.log").read_text()
PANIC = (CORPUS / "edge" / "sysrq-6.1-panic.log").read_text()


def _v3(title: str, alts: list[str]) -> str:
    return "kc3-" + hashlib.sha256(fingerprint_key(title, alts, version=3).encode()).hexdigest()[:16]


def test_the_null_write_and_the_panic_share_one_key() -> None:
    old, new = analyze(NULL_WRITE), analyze(PANIC)
    assert (old.kind, new.kind) == ("sysrq", "sysrq")
    assert old.title.startswith("BUG: unable to handle kernel NULL pointer dereference")
    assert new.title == "kernel panic: sysrq triggered crash"
    assert old.alt_titles[0] == new.alt_titles[0] == SYSRQ_KEY
    assert old.fingerprint == new.fingerprint
    assert fingerprint_key(old.title, old.alt_titles) == SYSRQ_KEY


def test_each_form_keeps_its_version_3_key_as_an_alias() -> None:
    old, new = analyze(NULL_WRITE), analyze(PANIC)
    assert _v3(old.title, ["bad-access in sysrq_handle_crash"]) in old.fingerprint_aliases
    assert _v3(new.title, []) in new.fingerprint_aliases
    assert _v3(old.title, ["bad-access in sysrq_handle_crash"]) != _v3(new.title, [])


def test_a_tail_called_panic_keys_as_the_handler_does() -> None:
    # The trace without the handler's frame: panic's caller is __handle_sysrq.
    lines = [line for line in PANIC.splitlines(keepends=True) if "sysrq_handle_crash" not in line]
    report = analyze("".join(lines))
    assert report.kind == "sysrq" and report.function != "sysrq_handle_crash"
    assert report.fingerprint == analyze(PANIC).fingerprint


def test_other_panics_and_null_dereferences_keep_their_own_keys() -> None:
    other = analyze(PANIC.replace("sysrq triggered crash", "foo triggered crash").replace("sysrq_handle_crash", "foo_crash"))
    assert other.kind != "sysrq" and SYSRQ_KEY not in other.alt_titles
    assert other.fingerprint != analyze(PANIC).fingerprint
    renamed = analyze(NULL_WRITE.replace("sysrq_handle_crash", "mydrv_handle_crash"))
    assert renamed.kind == "null-deref" and SYSRQ_KEY not in renamed.alt_titles


HPWDT = (CORPUS / "edge" / "hpwdt-nmi.log").read_text()
HPWDT_OLD = (CORPUS / "edge" / "hpwdt-nmi-old.log").read_text()
_HPWDT_MESSAGES = (
    "An NMI occurred, please see the Integrated Management Log for details.",
    "An NMI occurred, but unable to determine source.",
    "An NMI occurred. Depending on your system the reason for the NMI is logged in any one of the following resources:",
    "00: An NMI occurred. Depending on your system the reason for the NMI is logged in any one of the following resources:",
    "3d: An NMI occurred. Depending on your system the reason for the NMI is logged in any one of the following resources:",
)


def _with_message(message: str) -> str:
    head, _, rest = HPWDT.partition("Kernel panic - not syncing: ")
    return head + "Kernel panic - not syncing: " + message + "\n" + rest.partition("\n")[2]


def test_every_hpwdt_nmi_message_is_one_title_and_key() -> None:
    reports = [analyze(_with_message(m)) for m in _HPWDT_MESSAGES] + [analyze(HPWDT_OLD)]
    assert {r.title for r in reports} == {"kernel panic: An NMI occurred"}
    assert {r.signature for r in reports} == {"hpwdt-nmi-panic"}
    assert len({r.fingerprint for r in reports}) == 1
    assert analyze(HPWDT).function == "hpwdt_pretimeout"


def test_each_hpwdt_form_keeps_its_version_3_key() -> None:
    for message in _HPWDT_MESSAGES[:2]:
        report = analyze(_with_message(message))
        assert _v3(f"kernel panic: {message}", []) in report.fingerprint_aliases


def test_other_nmi_panics_keep_their_own_titles() -> None:
    for message in ("NMI: Not continuing", "NMI IOCK error: Not continuing", "Why did an NMI occur?"):
        report = analyze(_with_message(message))
        assert report.signature != "hpwdt-nmi-panic" and report.title == f"kernel panic: {message}"
