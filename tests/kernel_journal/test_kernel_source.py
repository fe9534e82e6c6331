"""The kernel journal source on real journal files (imported with systemd-journal-remote from
tests/kernel_journal/data): reports of previous boots, the unexplained reboot, the cursor across
restarts, the cap, paging by severity, links to a dump, and the current boot read as it grows."""

from __future__ import annotations

import json
import select
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kcrashd.core import analyze
from kcrashd.daemon.kernel_source import KernelJournalSource
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.journal import KERNEL_REPORT_MESSAGE_ID, UNEXPLAINED_REBOOT_MESSAGE_ID
from kcrashd.triage.pool import DeadlineAnalyzer, TriagePool
from tests.kernel_journal.conftest import BOOT_A, BOOT_B, BOOT_C, C_START, Rig, import_export
from tests.kernel_journal.make_exports import BOOTS, END_TRACE, LAB, dmesg, kernel, until

WINDOW = 15 * 60
CORPUS = {
    "warning": json.loads((LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt.expected.json").read_text()),
    "null-deref": json.loads(
        (LAB / "deb12-6.1_null-deref_run1" / "vmcore-dmesg.txt.expected.json").read_text()
    ),
}


def run_due(rig: Rig, src: KernelJournalSource) -> None:
    """Call the source's service as the daemon loop would, for everything due now."""
    due = src.next_at()
    if due is not None and due <= rig.clock.now:
        src.service(rig.clock.now)


def settle(rig: Rig, src: KernelJournalSource) -> None:
    """Start, then let this boot's lines settle (the kernel has been quiet for settle_seconds)."""
    run_due(rig, src)
    rig.clock.now += 2
    run_due(rig, src)


def test_previous_boots_reports_get_the_fingerprint_of_the_dump(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(history_boots=2)
    src = rig.source()
    run_due(rig, src)
    reports = rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)
    by_kind = {e["KCRASHD_KIND"]: e for e in reports}
    assert sorted(by_kind) == ["null-deref", "warning"]
    for kind, expected in CORPUS.items():
        entry = by_kind[kind]
        assert entry["KCRASHD_FINGERPRINT"] == expected["fingerprint"]  # as if it had been in the dump
        assert entry["KCRASHD_TITLE"] == expected["title"]
        assert entry["KCRASHD_BOOT_ID"] == BOOT_A
        assert entry["KCRASHD_SURVIVED"] == "1"  # boot A went on and was rebooted cleanly
        assert entry["KCRASHD_LAYOUT"] == "kernel-journal"
    assert len(reports) == 2


def test_first_start_reads_only_the_previous_boot(rig: Rig) -> None:
    src = rig.source()
    run_due(rig, src)
    assert rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID) == []  # boot B has no report, boot A is not read
    assert (
        rig.store.conn.execute(
            "SELECT boot_id FROM kernel_journal_boots WHERE boot_id = ?", (BOOT_A,)
        ).fetchone()
        is None
    )


def test_unexplained_reboot_after_the_capture_window(rig: Rig) -> None:
    src = rig.source()
    settle(rig, src)
    assert rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID) == []  # the window is still open
    assert src.next_at() == C_START + WINDOW
    rig.clock.now = C_START + WINDOW
    run_due(rig, src)
    [entry] = rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    assert entry["KCRASHD_BOOT_ID"] == BOOT_B
    assert entry["KCRASHD_KIND"] == "unexplained-reboot"
    hints = entry["KCRASHD_HINTS"]
    assert "hardware watchdog messages" in hints
    assert "crashkernel memory reserved" in hints
    assert "kdump not armed" in hints
    assert "pstore: empty" in hints
    assert "i6300esb" in entry["KCRASHD_LAST_LINES"]
    last_mono = int(
        (Path(__file__).parent / "data" / "boot-b.export")
        .read_text()
        .split("__MONOTONIC_TIMESTAMP=")[-1]
        .split("\n")[0]
    )
    assert entry["KCRASHD_UPTIME"] == f"{last_mono / 1e6:.0f}"
    [crash_id] = [
        e["KCRASHD_CRASH_ID"] for e in rig.entries() if e["KCRASHD_KIND"] == "unexplained-reboot"
    ]
    assert rig.decisions()[crash_id] == "page"  # [kernel_journal] page_unexplained_reboot = true
    assert src.next_at() is None  # nothing left to do: the loop sleeps on the descriptor only


def test_restart_reads_nothing_twice(rig_factory: Callable[..., Rig], tmp_path: Path) -> None:
    rig = rig_factory(history_boots=2)
    src = rig.source()
    run_due(rig, src)
    rig.clock.now = C_START + WINDOW
    run_due(rig, src)
    before = len(rig.entries())
    assert before == 3
    src.close()
    rig.sources.remove(src)
    again = rig.source()
    run_due(rig, again)
    rig.clock.now += 2 * WINDOW
    run_due(rig, again)
    assert len(rig.entries()) == before
    assert again.next_at() is None


def test_cap_per_boot(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(history_boots=2, max_reports_per_boot=1)
    src = rig.source()
    run_due(rig, src)
    assert [e["KCRASHD_KIND"] for e in rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)] == ["warning"]


def dump_crash(rig: Rig, when: float, log: Path, crash_id: str = "d" * 32, ino: int = 7) -> CrashRecord:
    """A crash from a kdump folder, recorded as the pipeline records one."""
    report = analyze(log.read_bytes(), source=str(log))
    moment = datetime.fromtimestamp(when, UTC)
    record = CrashRecord(
        crash_id=crash_id, report=report, host=rig.pipeline.local_host, dump_dir=f"/var/crash/127.0.0.1-{ino}", layout="kdump-tools",
        crash_time=moment, detected_at=moment, first_seen=moment,
    )  # fmt: skip
    return rig.pipeline.record_found(record, ino=ino, page=True) or record


def test_unclean_end_with_a_dump_links_to_it(rig: Rig) -> None:
    b_end = BOOTS["boot-b"][1] + 60
    dump = dump_crash(rig, b_end, LAB / "deb12-6.1_null-deref_run1" / "vmcore-dmesg.txt")
    src = rig.source()
    rig.clock.now = C_START + WINDOW
    run_due(rig, src)
    run_due(rig, src)
    assert rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID) == []
    row = rig.store.conn.execute(
        "SELECT verdict, crash_id FROM kernel_journal_boots WHERE boot_id = ?", (BOOT_B,)
    ).fetchone()
    assert tuple(row) == ("dump", dump.crash_id)


def test_report_in_a_dump_of_the_same_boot_is_linked_and_pages_once(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(history_boots=2)
    rig.clock.now = BOOTS["boot-a"][1] + 3600  # fresh enough to page
    a_oops = BOOTS["boot-a"][1] + 40
    dump = dump_crash(rig, a_oops, LAB / "deb12-6.1_null-deref_run1" / "vmcore-dmesg.txt")
    src = rig.source()
    run_due(rig, src)
    [oops] = [
        e for e in rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID) if e["KCRASHD_KIND"] == "null-deref"
    ]
    assert oops["KCRASHD_LINKED_CRASH_ID"] == dump.crash_id
    decisions = rig.decisions()
    assert decisions[dump.crash_id] == "page"
    assert decisions[oops["KCRASHD_CRASH_ID"]] == "cooldown"  # same fingerprint: paged once


def test_survived_warning_pages_only_when_asked(rig_factory: Callable[..., Rig], tmp_path: Path) -> None:
    quiet = rig_factory(history_boots=2)
    quiet.clock.now = BOOTS["boot-a"][1] + 3600
    run_due(quiet, quiet.source())
    kinds = {
        e["KCRASHD_KIND"]: e["KCRASHD_CRASH_ID"] for e in quiet.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)
    }
    assert quiet.decisions()[kinds["warning"]] == "quiet"
    assert quiet.decisions()[kinds["null-deref"]] == "page"
    loud = rig_factory(tmp_path / "state2", history_boots=2, page_min_severity="warning")
    loud.clock.now = BOOTS["boot-a"][1] + 3600
    run_due(loud, loud.source())
    kinds = {
        e["KCRASHD_KIND"]: e["KCRASHD_CRASH_ID"] for e in loud.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)
    }
    assert loud.decisions()[kinds["warning"]] == "page"


def append_warning(journal_dir: Path) -> None:
    """The lab's WARNING printed in boot C 600 s after it began (a line a millisecond)."""
    boot, start = BOOTS["boot-c"]
    lines = until(dmesg(LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt"), "Kernel panic - not syncing")
    first = next(n for n, (_, text) in enumerate(lines) if text.startswith("WARNING:"))
    texts = [text for _, text in lines[first:]] + [END_TRACE]
    stream = "".join(kernel(boot, start, 600_000_000 + n * 1000, text) for n, text in enumerate(texts))
    import_export(stream, journal_dir, "boot-c-later")


def test_current_boot_is_read_as_it_grows(rig: Rig, journal_dir: Path) -> None:
    src = rig.source()
    settle(rig, src)
    assert src.next_at() == C_START + WINDOW  # only the verdict of boot B is armed
    append_warning(journal_dir)
    ready, _, _ = select.select([src.fileno()], [], [], 5)
    assert ready  # the reader's descriptor wakes the loop: nothing polls
    src.on_ready()
    assert rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID) == []  # waits for the kernel to be quiet
    rig.clock.now += 2
    run_due(rig, src)
    [entry] = rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)
    assert entry["KCRASHD_BOOT_ID"] == BOOT_C
    assert entry["KCRASHD_SURVIVED"] == "1"
    assert entry["KCRASHD_FINGERPRINT"] == CORPUS["warning"]["fingerprint"]


def test_report_at_an_unclean_end_did_not_survive(rig: Rig, journal_dir: Path) -> None:
    """A boot (between B and C) whose oops is the last thing it wrote: the machine went down with it."""
    boot, start = "d4" * 16, BOOTS["boot-b"][1] + 1800
    oops = until(dmesg(LAB / "deb12-6.1_null-deref_run1" / "vmcore-dmesg.txt"), "Kernel panic - not syncing")
    stream = "".join(kernel(boot, start, mono, text) for mono, text in oops)
    import_export(stream, journal_dir, "boot-d")
    src = rig.source()
    settle(rig, src)
    [entry] = rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)
    assert (entry["KCRASHD_BOOT_ID"], entry["KCRASHD_KIND"]) == (boot, "null-deref")
    assert entry["KCRASHD_SURVIVED"] == "0"
    assert "the machine went down" in entry["MESSAGE"]


def test_reports_wait_for_a_triage_worker_without_blocking(rig_factory: Callable[..., Rig]) -> None:
    """Under the daemon the analyzer is a worker process with a deadline (kcrashd.triage.pool); a
    report it has not finished yet ends the pass (nothing skipped, nothing moved) and the pass
    resumes at `next_at`, taking the finished report."""
    rig = rig_factory(history_boots=2)
    pool = TriagePool(10.0, 1)  # real worker processes: python -m kcrashd.triage.worker
    try:
        rig.pipeline.analyze = DeadlineAnalyzer(pool, patience=0.0)
        src = rig.source()
        src.service(rig.clock.now)
        assert rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID) == []  # the worker has the first report
        assert src.next_at() is not None and src.next_at() > rig.clock.now
        for _ in range(200):
            pool.service(wait=0.2)
            rig.clock.now = max(rig.clock.now, src.next_at() or rig.clock.now)
            src.service(rig.clock.now)
            if len(rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)) == 2:
                break
        kinds = sorted(e["KCRASHD_KIND"] for e in rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID))
        assert kinds == ["null-deref", "warning"]
    finally:
        pool.close()


def test_first_pass_is_due_before_any_later_now(rig_factory: Callable[..., Rig]) -> None:
    """The daemon takes `now`, then asks when the source is due and serves it if that is not later:
    with a clock that moves (as time.time does), the first pass must be due at a time already
    past, or it is never served and the loop spins with a zero timeout."""
    rig = rig_factory()
    ticks = iter(range(10**9))

    def moving() -> float:
        return C_START + 60 + next(ticks) * 1e-6

    src = KernelJournalSource(rig.config, rig.pipeline, boot_id=BOOT_C, clock=moving)
    rig.sources.append(src)
    src.start()
    now = moving()
    due = src.next_at()
    assert due is not None and due <= now
    src.service(now)
    assert not src.history_due


def test_a_reports_text_is_kept_for_retriage(rig_factory: Callable[..., Rig]) -> None:
    """A report read from the journal keeps its text in the state as a dump keeps its log
    (kcrashd.store.crash_logs), so `kcrashd retriage` re-triages it too."""
    from kcrashd.store.crash_logs import stored_crashes

    rig = rig_factory(history_boots=2)
    run_due(rig, rig.source())
    kept = {c.crash_id: c for c in stored_crashes(rig.store.conn)}
    reports = rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)
    assert len(reports) == 2
    for entry in reports:
        crash = kept[entry["KCRASHD_CRASH_ID"]]
        assert crash.log is not None and analyze(crash.log).fingerprint == entry["KCRASHD_FINGERPRINT"]


def test_an_unexplained_reboot_has_nothing_to_retriage(rig: Rig) -> None:
    """It never had a log: retriage counts it as unchanged, not as a crash whose log was not kept."""
    from kcrashd.retriage import retriage

    src = rig.source()
    settle(rig, src)
    rig.clock.now = C_START + WINDOW
    run_due(rig, src)
    assert len(rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)) == 1
    found = retriage(rig.store.conn, analyze)
    assert (found.moves, found.no_log, found.unchanged) == ([], [], 1)
