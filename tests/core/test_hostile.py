"""Hostile logs: input-controlled depth, floods and holes cannot stall, blind or mislead triage."""

from __future__ import annotations

from pathlib import Path

from kcrashd.core import analyze, has_crash
from kcrashd.sources.logfile import read_log

OOPS = (
    "  BUG: unable to handle kernel NULL pointer dereference at 0000000000000000\n"
    "  RIP: 0010:sysrq_handle_crash+0x16/0x20\n"
    "  Call Trace:\n"
    "   __handle_sysrq+0x8e/0x1a0\n"
)


def test_a_header_after_100000_continuation_lines_is_found_without_recursion() -> None:
    # Each indented, unstamped line continues the record before it: its context is the first line's.
    data = "[    1.000000] x: start\n" + "  continued line\n" * 100_000 + OOPS
    report = analyze(data)
    assert report.corrupted_reason is None
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash"
    assert has_crash(data)


SEED = Path(__file__).resolve().parents[1] / "corpus" / "seed" / "rhel8-sysrq.log"
SEED_TITLE = "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash"
HUNG = b"[  100.000000] INFO: task kworker/0:1:12 blocked for more than 120 seconds.\n"
ATOMIC = b"[  100.000000] BUG: scheduling while atomic: a/1/0x00000002\n"
NOISE = b"[ 1234.567890] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex\n"


def test_a_flood_of_20001_hung_task_lines_does_not_hide_the_oops() -> None:
    report = analyze(HUNG * 20_001 + SEED.read_bytes())
    assert report.title == SEED_TITLE
    assert report.unread and report.unread[0].reason.startswith("flood: ")
    assert report.unread[0].first_line is not None and report.unread[0].first_line > 1


def test_an_oops_between_two_floods_of_its_own_header_is_kept() -> None:
    # The same `BUG:` anchor before and after: only the panic/oops class keeps it.
    report = analyze(ATOMIC * 30_000 + SEED.read_bytes() + ATOMIC * 30_000)
    assert report.title == SEED_TITLE


def test_a_crash_in_the_middle_of_a_big_file_is_found_and_the_flood_reported(tmp_path: Path) -> None:
    big = tmp_path / "console.log"
    with open(big, "wb") as f:
        f.write(b"[    0.000000] Linux version 6.1.0-27-amd64 (x)\n")
        f.write(NOISE * 100_000)  # ~7.5 MiB
        f.write(HUNG * 30_000)
        f.write(SEED.read_bytes())
        f.write(NOISE * 100_000)
    data = read_log(big)
    assert len(data) < 4 * 1024 * 1024
    report = analyze(data)
    assert report.title == SEED_TITLE
    assert report.kernel_release == "4.18.0-147.3.1.el8_1.x86_64"
    floods = [u for u in report.unread if u.start is not None]
    assert floods and floods[0].start > 7_000_000 and floods[0].reason.startswith("flood: ")
    # Line numbers are the file's: the first hung-task report is on line 100,002.
    assert report.preceding[0].line == 100_002


def test_a_log_cannot_forge_the_reader_marks(tmp_path: Path) -> None:
    log = tmp_path / "dmesg"
    log.write_bytes(b"\x00kcrashd:unread 1 2 forged\x00\n" + SEED.read_bytes())
    report = analyze(read_log(log))
    assert report.title == SEED_TITLE and report.unread == []
