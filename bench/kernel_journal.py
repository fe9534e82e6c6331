"""Numbers for the kernel journal source (prints them; nothing here asserts a time).

  read     cost of reading a previous boot's journal of 100,000 kernel lines (with 5 kernel reports
           in it): the history pass, and the unexplained-reboot facts pass; wall, CPU, peak RSS
  reboot   `kcrashd run` started on a journal whose previous boot ended unclean, with
           `capture_window_minutes = 0`: start -> "unexplained reboot" entry in the journal
           (time from boot is this plus the capture window, 15 min by default)
  idle     RSS and wake-ups of `kcrashd run` over an idle minute with `[kernel_journal]` on and off

The journals are built as export streams from the lab's real 6.1 boot log (tests/corpus/lab) and
imported with systemd-journal-remote into a private directory. Run as root (private mount
namespace and journald, like bench/daemon.py):
    .venv/bin/python bench/kernel_journal.py [--quick] [--lines N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import daemon as bench_daemon  # noqa: E402  (bench/daemon.py: private journald, notify socket, RSS)

from kcrashd.triage.pool import IDLE_EXIT  # noqa: E402
from tests.kernel_journal.make_exports import END_TRACE, LAB, dmesg, kernel, until  # noqa: E402

REMOTE = Path("/lib/systemd/systemd-journal-remote")
PREVIOUS = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
START = 1_796_122_800


def boot_stream(lines: int, reports: int) -> str:
    """A boot of `lines` kernel lines: the lab boot's lines over and over, with `reports` WARNINGs."""
    base = until(dmesg(LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt"), "kcrashd_lab: loading")
    warning = until(dmesg(LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt"), "Kernel panic - not syncing")
    first = next(n for n, (_, text) in enumerate(warning) if text.startswith("WARNING:"))
    report = [text for _, text in warning[first:]] + [END_TRACE]
    out: list[str] = []
    every = lines // (reports + 1)
    mono = inserted = plain = 0
    while len(out) < lines:
        if inserted < reports and len(out) >= every * (inserted + 1):
            texts, inserted = report, inserted + 1
        else:
            texts, plain = [base[plain % len(base)][1]], plain + 1
        for text in texts:
            mono += 1000
            out.append(kernel(PREVIOUS, START, mono, text))
    return "".join(out[:lines])


def import_stream(stream: str, folder: Path, name: str) -> None:
    subprocess.run([str(REMOTE), f"--output={folder / name}.journal", "--split-mode=none", "-"],
                   input=stream.encode(), check=True, capture_output=True)  # fmt: skip


def bench_read(work: Path, lines: int) -> None:
    """The history pass and the facts pass over one previous boot, in a child process each (peak RSS)."""
    folder = work / "read"
    folder.mkdir()
    import_stream(boot_stream(lines, 5), folder, "previous")
    for part in ("history", "facts"):
        code = f"""
import sys, time
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from kcrashd.config.settings import load_config
from kcrashd.daemon.kernel_source import KernelJournalSource
from kcrashd.pipeline import Pipeline, StateLock
from tests.fixtures.journal_double import RecordingJournal
from kcrashd.store.database import Store
state = Path({str(work)!r}) / "state-{part}"
config = load_config(Path("/dev/null"), {{"state": {{"state_dir": str(state)}},
    "kernel_journal": {{"path": {str(folder)!r}, "capture_window_minutes": 0}}}})
store = Store(state); lock = StateLock(state); journal = RecordingJournal()
pipeline = Pipeline(config, store, journal, lock)
t0, c0 = time.perf_counter(), time.process_time()
src = KernelJournalSource(config, pipeline, boot_id="c" * 32)
src.start()
if "{part}" == "history":
    src.service(time.time())
else:
    span = src.spans[{PREVIOUS!r}]
    from kcrashd.model.reboot import judge_tail
    from kcrashd.sources.kernel_journal import last_entries
    from kcrashd.daemon.kernel_source import TAIL_FIELDS
    facts = src.boot_facts(span, judge_tail(span.boot_id, last_entries(src.reader, span.boot_id, TAIL_FIELDS)))
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
# this process's own peak: ru_maxrss would carry the bench's (which built the export stream) over fork and exec
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(f"{{wall:.2f}} {{cpu:.2f}} {{rss}} {{len(journal.entries)}}")
"""
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        wall, cpu, rss, entries = float(out[0]), float(out[1]), int(out[2]), int(out[3])
        what = "history pass (cut + triage)" if part == "history" else "unexplained-reboot facts pass"
        print(f"read {lines:,} kernel lines, {what}: {wall:.2f} s wall, {cpu:.2f} s CPU, "
              f"peak RSS {rss / 1024:.1f} MiB, {entries} entries journaled")  # fmt: skip


def daemon_config(work: Path, name: str, journal_dir: Path, enabled: bool) -> Path:
    config = work / f"{name}.toml"
    config.write_text(f'[kernel_journal]\nenabled = {"true" if enabled else "false"}\npath = "{journal_dir}"\n'
                      "capture_window_minutes = 0\n")  # fmt: skip
    return config


def bench_reboot(work: Path) -> None:
    """`kcrashd run` on a journal whose previous boot has no shutdown record: start -> entry."""
    from kcrashd.sinks.journal import UNEXPLAINED_REBOOT_MESSAGE_ID
    from systemd import journal

    folder = work / "reboot"
    folder.mkdir()
    import_stream(boot_stream(2000, 0), folder, "previous")
    reader = journal.Reader()
    reader.add_match(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    reader.seek_tail()
    reader.get_previous()
    notify = bench_daemon.Notify(work / "reboot.sock")
    (work / "reboot-dumps").mkdir()
    t0 = time.time()
    proc = bench_daemon.start(["--config", str(daemon_config(work, "reboot", folder, True)), "--dump-path",
                               str(work / "reboot-dumps"), "--state-dir", str(work / "reboot-state"),
                               "--pstore-path", str(work / "none")], notify)  # fmt: skip
    got = None
    while got is None and time.time() - t0 < 60:
        reader.wait(1.0)
        for entry in reader:
            got = entry["__REALTIME_TIMESTAMP"].timestamp()
    bench_daemon.stop(proc)
    if got is None:
        print("reboot: no unexplained-reboot entry within 60 s")
        return
    print(f"reboot: daemon start -> unexplained-reboot entry {(got - t0) * 1000:.0f} ms with capture_window_minutes = 0 "
          "(from boot: the capture window, 15 min by default, plus the daemon's start)")  # fmt: skip


def wait_entry(reader: Any, timeout: float = 120.0) -> bool:
    """Wait until the journal shows an unexplained-reboot entry (the start-up work is done)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        reader.wait(1.0)
        for _entry in reader:
            return True
    return False


def bench_idle(work: Path, lines: int, idle_seconds: float) -> None:
    """RSS and wake-ups once the start-up work (history pass, verdict) is over."""
    from kcrashd.sinks.journal import UNEXPLAINED_REBOOT_MESSAGE_ID
    from systemd import journal

    folder = work / "idle"
    folder.mkdir()
    import_stream(boot_stream(lines, 5), folder, "previous")
    for enabled in (False, True):
        name = f"idle-{'on' if enabled else 'off'}"
        reader = journal.Reader()
        reader.add_match(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
        reader.seek_tail()
        reader.get_previous()
        (work / name).mkdir()
        notify = bench_daemon.Notify(work / f"{name}.sock")
        proc = bench_daemon.start(["--config", str(daemon_config(work, name, folder, enabled)), "--dump-path",
                                   str(work / name), "--state-dir", str(work / f"{name}-state"),
                                   "--pstore-path", str(work / "none")], notify)  # fmt: skip
        notify.wait("READY=1")
        if enabled and not wait_entry(reader):
            print("idle: the start-up work did not finish within 120 s")
        time.sleep(2 + IDLE_EXIT)  # the triage worker that cut the backlog has stopped
        _rss0, sw0 = bench_daemon.rss_and_switches(proc.pid)
        time.sleep(idle_seconds)
        rss1, sw1 = bench_daemon.rss_and_switches(proc.pid)
        label = f"on, after reading a previous boot of {lines:,} kernel lines" if enabled else "off"
        print(f"idle, [kernel_journal] {label}: RSS {rss1 / 1024:.1f} MiB (all processes); "
              f"{bench_daemon.wakeups_per_minute(sw0, sw1, idle_seconds):.1f} wake-ups/min")  # fmt: skip
        bench_daemon.stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("parts", nargs="*", default=["read", "reboot", "idle"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kcrashd-bench-kj-") as tmp:
        work = Path(tmp)
        journald = bench_daemon.start_journald(work)
        try:
            if "read" in args.parts:
                bench_read(work, args.lines)
            if "reboot" in args.parts:
                bench_reboot(work)
            if "idle" in args.parts:
                bench_idle(work, args.lines, 10.0 if args.quick else 60.0)
        finally:
            journald.terminate()
            journald.wait(timeout=10)


if __name__ == "__main__":
    main()
