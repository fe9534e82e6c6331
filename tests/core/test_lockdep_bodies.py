"""A lockdep report quoted without its banner is still read (signatures rows `lockdep-acquire-body`,
`lockdep-usage-body`): kernel/locking/lockdep.c prints `%s/%d is trying to acquire lock:` first in the body of a
circular or recursive locking report (print_circular_bug_header, print_deadlock_bug) and `inconsistent {%s} ->
{%s} usage.` in an inconsistent lock state (print_usage_bug).  Below the banner, those lines continue its report."""

from __future__ import annotations

from kcrashd.core import analyze

_BANNER = """\
======================================================
WARNING: possible circular locking dependency detected
6.1.0 #1 Not tainted
------------------------------------------------------
"""

_CIRCULAR_BODY = """\
kworker/u16:3/127 is trying to acquire lock:
ffff00008021fb20 (&foo->mutex){+.+.}-{4:4}, at: foo_vdd_notify+0x30/0x94

but task is already holding lock:
ffff0000835c60c0 (&(&rdev->notifier)->rwsem){++++}-{4:4}, at: blocking_notifier_call_chain+0x30/0x70

which lock already depends on the new lock.

stack backtrace:
Call trace:
 dump_backtrace+0x0/0x1e0
 __lock_acquire+0xd24/0xfe8
 lock_acquire+0x288/0x2f4
 __mutex_lock+0xa0/0x338
 mutex_lock_nested+0x3c/0x5c
 foo_vdd_notify+0x30/0x94
"""

_USAGE_BODY = """\
inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.
irq_work/0/27 [HC0[0]:SC0[0]:HE1:SE1] takes:
(&rq->__lock){?...}-{2:2}, at: raw_spin_rq_lock_nested+0x2b/0x40
{IN-HARDIRQ-W} state was registered at:
   lock_acquire+0x1e1/0x510
   _raw_spin_lock_nested+0x42/0x80
stack backtrace:
Call Trace:
 dump_stack_lvl+0x1/0x2
 lock_acquire+0x1e1/0x510
 _raw_spin_lock_nested+0x42/0x80
 raw_spin_rq_lock_nested+0x2b/0x40
 foo_dump_state+0x1b2/0x4a0
"""


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
