"""The crash-loop rule with kernel reports read from the journal (docs/alerting.md, "Policy"): a
loop is a host rebooting over and over, so only reboots count toward `loop_crashes` (dumps,
pstore records, unexplained reboots); a report the kernel survived is not a reboot. The real
pipeline, policy and state database on the imported journal of tests/kernel_journal/data."""

from __future__ import annotations

from collections.abc import Callable

from kcrashd.sinks.journal import KERNEL_REPORT_MESSAGE_ID, UNEXPLAINED_REBOOT_MESSAGE_ID
from tests.kernel_journal.conftest import C_START, Rig
from tests.kernel_journal.make_exports import BOOTS, LAB
from tests.kernel_journal.test_kernel_source import WINDOW, dump_crash, run_due


def test_survived_reports_do_not_make_a_crash_loop(rig_factory: Callable[..., Rig]) -> None:
    """Boot A: a WARNING and an oops the kernel survived; boot B: an unexplained reboot, all within
    `loop_hours` of one host. Three crashes, one reboot: no loop, the reboot pages."""
    rig = rig_factory(history_boots=2, policy={"loop_crashes": 3, "loop_hours": 2})
    src = rig.source()
    run_due(rig, src)
    rig.clock.now = C_START + WINDOW
    run_due(rig, src)
    reports = rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)
    [reboot] = rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    assert [e["KCRASHD_SURVIVED"] for e in reports] == ["1", "1"]
    decisions = rig.decisions()
    assert decisions[reboot["KCRASHD_CRASH_ID"]] == "page"
    assert "loop" not in decisions.values(), decisions
    digests = rig.store.conn.execute("SELECT COUNT(*) FROM outbox_digests WHERE kind = 'loop'").fetchone()[0]
    assert digests == 0


def test_unexplained_reboots_count_toward_a_crash_loop(rig_factory: Callable[..., Rig]) -> None:
    """The same host with two earlier reboots in the window: boot B's unexplained reboot is the
    third and opens the loop digest."""
    rig = rig_factory(policy={"loop_crashes": 3, "loop_hours": 2})
    log = LAB / "deb12-6.1_null-deref_run1" / "vmcore-dmesg.txt"
    for n, when in enumerate((BOOTS["boot-a"][1] + 100, BOOTS["boot-a"][1] + 200)):
        dump_crash(rig, when, log, crash_id=f"{n}" * 32, ino=10 + n)
    src = rig.source()
    run_due(rig, src)
    rig.clock.now = C_START + WINDOW  # after the capture window: no dump of boot B
    run_due(rig, src)
    [reboot] = rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    assert rig.decisions()[reboot["KCRASHD_CRASH_ID"]] == "loop"
