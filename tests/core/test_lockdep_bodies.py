"""A lockdep report quoted without its banner is still read (signatures rows `lockdep-acquire-body`,
`lockdep-usage-body`): kernel/locking/lockdep.c prints `%s/%d is trying to acquire lock:` first in the body of a
circular or recursive locking report (print_circular_bug_header, print_deadlock_bug) and `inconsistent {%s} ->
{%s} usage.` in an inconsistent lock state (print_usage_bug).  Below the banner, those lines continue its report."""

from __future__ import annotations

from kcrashd.core import analyze
from tests.core.golden import CORPUS

_BANNER = """\
======================================================
WARNING: possible circular locking dependency detected
6.1.0 #1 Not tainted
------------------------------------------------------
"""

_CIRCULAR_BODY = (CORPUS / "edge" / "lockdep-circular-headless.log").read_text()

_USAGE_BODY = (CORPUS / "edge" / "lockdep-usage-headless.log").read_text()


def test_a_circular_report_without_its_banner_is_a_possible_deadlock() -> None:
    rep = analyze(_CIRCULAR_BODY.encode())
    assert (rep.title, rep.function, rep.kind) == ("possible deadlock in foo_vdd_notify", "foo_vdd_notify", "lockdep")


def test_below_its_banner_the_body_continues_the_report() -> None:
    whole = analyze((_BANNER + _CIRCULAR_BODY).encode())
    assert whole.title == "possible deadlock in foo_vdd_notify"
    assert not whole.preceding and not whole.corrupted
    assert whole.fingerprint == analyze(_CIRCULAR_BODY.encode()).fingerprint


def test_other_cpus_lines_between_banner_and_body_keep_one_report() -> None:
    noise = "".join(f"usb 1-{n}: new high-speed USB device number {n} using ehci-pci\n" for n in range(1, 6))
    rep = analyze((_BANNER + noise + _CIRCULAR_BODY).encode())
    assert rep.title == "possible deadlock in foo_vdd_notify" and not rep.preceding


def test_an_inconsistent_lock_state_without_its_banner_is_read() -> None:
    rep = analyze(_USAGE_BODY.encode())
    assert (rep.title, rep.kind) == ("inconsistent lock state in foo_dump_state", "lockdep")


def test_the_body_line_alone_or_in_other_words_is_no_report() -> None:
    assert analyze(b"kworker/0:1/12 is trying to acquire lock:\nsomething else\n").title == ""
    assert analyze(b"  the driver is trying to acquire lock: retrying\n").title == ""
    assert analyze(b"inconsistent {config} -> {state} usage. see the manual\n").title == ""
