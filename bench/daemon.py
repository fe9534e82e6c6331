"""Numbers for the daemon (prints them; nothing here asserts a time).

  latency   final rename of vmcore-dmesg.txt -> journal entry (p50/p99), `kcrashd run` + real journald
  ready     time to READY=1 with a backlog of 1,000 and 10,000 dump folders (+ time to journal 1,000);
            RSS right after the 1,000, then RSS and wake-ups idling once the triage workers have stopped
  idle      RSS and wake-ups (context switches of all threads) over a minute of idling
            (RSS and PSS summed over every process of the unit: the daemon and its triage workers)
  alerting  the same with one alert target configured and nothing to send
  vmcore    triage time with a 64 GiB sparse vmcore beside the log vs without
  deadline  a pathological log (one header pattern took ~95 s on it) in the backlog, default
            triage_timeout (10 s), WatchdogSec=21s (--watchdog-sec): watchdog ping gaps, when another
            dump written meanwhile is journaled, when the pathological one is

Run as root (private mount namespace + private journald, like the tests):
    .venv/bin/python bench/daemon.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kcrashd.config.settings import Config, SourcesConfig, StateConfig  # noqa: E402
from kcrashd.pipeline import Pipeline, StateLock  # noqa: E402
from kcrashd.sinks.journal import MESSAGE_ID  # noqa: E402
from kcrashd.sources.units import classify_name  # noqa: E402
from kcrashd.store.database import Store  # noqa: E402
from kcrashd.triage.pool import IDLE_EXIT  # noqa: E402
from tests.daemon.dumps import kdump_header, log_bytes, write_rhel  # noqa: E402
from tests.fixtures import journald as jd  # noqa: E402
from tests.fixtures.journal_double import RecordingJournal  # noqa: E402

KCRASHD = Path(sys.executable).parent / "kcrashd"
PARTS = ("vmcore", "latency", "ready", "idle", "alerting", "deadline")
PATHOLOGICAL_LOG = b"BUG: " + b"a" * 680 + b" " * 1355 + b"[\n"

BREAKDOWN = False


def start_journald(work: Path) -> subprocess.Popen[bytes]:
    reason = jd.enter_namespace()
    if reason:
        raise SystemExit(f"bench needs a private journald: {reason}")
    for directory in jd.TMPFS_DIRS:
        directory.mkdir(parents=True, exist_ok=True)
        jd.mount("-t", "tmpfs", "tmpfs", str(directory))
    proc = subprocess.Popen([str(jd.JOURNALD)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not jd.SOCKET.exists():
        time.sleep(0.02)
    return proc


class Notify:
    """$NOTIFY_SOCKET, read continuously like systemd does (sd_notify blocks on a full queue)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.lines: list[tuple[float, str]] = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self) -> None:
        while not self.closed:
            try:
                data = self.sock.recv(65536).decode()
            except TimeoutError:
                continue
            now = time.monotonic()
            with self.cond:
                self.lines.extend((now, line) for line in data.splitlines())
                self.cond.notify_all()

    def wait(self, line: str, timeout: float = 600.0) -> float:
        with self.cond:
            self.cond.wait_for(lambda: any(text == line for _, text in self.lines), timeout)
            return next(at for at, text in self.lines if text == line)

    def close(self) -> None:
        self.closed = True
        self.thread.join()
        self.sock.close()


def start(args: list[str], notify: Notify, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    environ = dict(os.environ, NOTIFY_SOCKET=str(notify.path), **(env or {}))
    return subprocess.Popen([str(KCRASHD), "run", *args], env=environ, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_latency(work: Path, count: int) -> None:
    from systemd import journal

    root = work / "lat"
    root.mkdir()
    notify = Notify(work / "lat.sock")
    proc = start(["--dump-path", str(root), "--state-dir", str(work / "lat-state"), "--pstore-path", str(work / "none")], notify)
    notify.wait("READY=1")
    reader = journal.Reader()
    reader.add_match(MESSAGE_ID=MESSAGE_ID)
    reader.seek_tail()
    reader.get_previous()
    latencies = []
    log = log_bytes()
    for i in range(count):
        folder = write_rhel(root, f"10.0.{i // 250}.{i % 250}-2024-05-01-10:00:00", log, finish_log=False, kexec_log=False)
        time.sleep(0.02)
        t0 = time.time()
        os.rename(folder / "vmcore-dmesg-incomplete.txt", folder / "vmcore-dmesg.txt")
        got = None
        while got is None:
            reader.wait(1.0)
            for entry in reader:
                if entry.get("KCRASHD_DUMP_DIR") == str(folder):
                    got = entry["__REALTIME_TIMESTAMP"].timestamp()
        latencies.append((got - t0) * 1000)
    stop(proc)
    print(f"latency rename->journal entry over {count} crashes: p50 {pct(latencies, 0.5):.1f} ms, "
          f"p99 {pct(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms")  # fmt: skip


def make_backlog(root: Path, count: int) -> None:
    """Dumps written before the daemon starts (log, vmcore header, the capture kernel's log), an hour
    old: a recent folder without a vmcore would rightly be looked at again until it is quiet."""
    root.mkdir()
    log = log_bytes()
    core = kdump_header()
    old = time.time() - 3600
    for i in range(count):
        folder = root / f"10.{i // 62500}.{i // 250 % 250}.{i % 250}-2024-05-01-10:00:00"
        folder.mkdir()
        for name, data in (("vmcore-dmesg.txt", log), ("vmcore", core), ("kexec-dmesg.log", b"kdump: saving vmcore complete\n")):
            (folder / name).write_bytes(data)
            os.utime(folder / name, (old, old))


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (what systemd's cgroup of the unit would hold)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def rss_and_switches(pid: int) -> tuple[int, dict[int, int]]:
    """RSS (KiB) summed over every process of the tree, and the context switches of all the
    threads of each; prints one line per process and the PSS total (shared pages counted once)."""
    rss = pss = 0
    switches: dict[int, int] = {}
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text().splitlines()
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()
            tasks = [(task / "status").read_text() for task in Path(f"/proc/{member}/task").iterdir()]
        except OSError:
            continue  # exited meanwhile (an idle triage worker stopping)
        parts = []
        for line in status:
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
            if line.startswith(("RssAnon:", "RssFile:", "RssShmem:")):
                parts.append(f"{line.split(':')[0]} {int(line.split()[1]) / 1024:.1f} MiB")
        pss += sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
        name = next((line.split(None, 1)[1] for line in status if line.startswith("Name:")), "?")
        print(f"  pid {member} ({name}): " + ", ".join(parts))
        if BREAKDOWN:
            print_mappings(member)
        for text in tasks:
            for line in text.splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches[member] = switches.get(member, 0) + int(line.split()[1])
    print(f"  all processes: RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB")
    return rss, switches


def workers_stopped(pid: int, timeout: float) -> float:
    """Wait until the daemon is alone in its tree (idle triage workers stop after IDLE_EXIT s);
    returns the seconds waited."""
    t0 = time.monotonic()
    while len(process_tree(pid)) > 1 and time.monotonic() - t0 < timeout:
        time.sleep(0.2)
    return time.monotonic() - t0


def wakeups_per_minute(before: dict[int, int], after: dict[int, int], seconds: float) -> float:
    """Context switches per minute of the processes alive at both samples."""
    return sum(after[pid] - before[pid] for pid in after if pid in before) * 60 / seconds


def print_mappings(pid: int, top: int = 10) -> None:
    """The mappings holding the most resident memory (anonymous heap vs each shared library)."""
    sizes: dict[str, int] = {}
    name = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5 and not fields[0].endswith(":"):
            name = fields[5] if len(fields) > 5 else "[anon]"
        elif fields[0] == "Rss:":
            sizes[name] = sizes.get(name, 0) + int(fields[1])
    for mapping, kib in sorted(sizes.items(), key=lambda item: -item[1])[:top]:
        print(f"    {kib / 1024:5.1f} MiB  {mapping}")


def count_entries(root: Path) -> int:
    """Entries whose dump folder is `root` or under it."""
    out = subprocess.run(
        ["journalctl", "-o", "cat", "--output-fields=KCRASHD_DUMP_DIR", f"MESSAGE_ID={MESSAGE_ID}"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    return sum(1 for line in out.splitlines() if line.startswith(str(root)))


def bench_ready(work: Path, count: int, idle_seconds: float) -> None:
    root = work / f"backlog{count}"
    t = time.monotonic()
    make_backlog(root, count)
    made = time.monotonic() - t
    notify = Notify(work / f"ready{count}.sock")
    t0 = time.monotonic()
    args = ["--dump-path", str(root), "--state-dir", str(work / f"state{count}"), "--pstore-path", str(work / "none")]
    proc = start(args, notify)
    ready = notify.wait("READY=1") - t0
    line = f"backlog {count}: READY after {ready:.2f} s (folders made in {made:.1f} s)"
    if count <= 2000:
        while count_entries(root) < count:
            time.sleep(0.2)
        line += f"; all {count} journaled after {time.monotonic() - t0:.1f} s"
    print(line)
    if idle_seconds:
        time.sleep(2)
        rss0, _ = rss_and_switches(proc.pid)
        print(f"right after a backlog of {count}: RSS {rss0 / 1024:.1f} MiB (all processes, triage workers not yet stopped)")
        stopped = workers_stopped(proc.pid, IDLE_EXIT + 10)
        _, sw0 = rss_and_switches(proc.pid)
        mark = journal_mark()
        time.sleep(idle_seconds)
        rss1, sw1 = rss_and_switches(proc.pid)
        print(f"idle (no watchdog) after a backlog of {count}: RSS {rss1 / 1024:.1f} MiB (all processes of the unit); "
              f"{wakeups_per_minute(sw0, sw1, idle_seconds):.1f} wake-ups/min (context switches, all threads), "
              f"counted once the triage workers had stopped, {stopped + 2:.1f} s after the last crash was journaled; "
              f"{journal_traffic(mark)}")  # fmt: skip
    stop(proc)


def journal_mark() -> str:
    """The cursor of the private journal's last entry (journal_traffic counts what comes after)."""
    from systemd import journal

    reader = journal.Reader()
    reader.seek_tail()
    cursor: str = reader.get_previous()["__CURSOR"]
    reader.close()
    return cursor


def journal_traffic(mark: str) -> str:
    """What the private journald wrote since `journal_mark`: every entry, and the kernel's lines. The
    private journald reads this machine's /dev/kmsg, which every process here shares (other tests'
    mounts, other journalds' own messages): the kernel journal source reads those lines as it would
    on a real host, and each write wakes it (docs/reboots.md). A fresh reader, so that files
    journald rotated to meanwhile are read too."""
    from systemd import journal

    reader = journal.Reader()
    reader.seek_cursor(mark)
    entries = kernel = 0
    for entry in reader:
        if entry["__CURSOR"] == mark:
            continue
        entries += 1
        kernel += entry.get("_TRANSPORT") == "kernel"
    reader.close()
    return f"{entries} journal entries written meanwhile, {kernel} of them kernel lines"


def quiet_journal(work: Path, name: str) -> list[str]:
    """`--config` pointing the kernel journal source at a journal directory nobody writes to."""
    (work / f"{name}-journal").mkdir()
    config = work / f"{name}.toml"
    config.write_text(f'[kernel_journal]\npath = "{work / f"{name}-journal"}"\n')
    return ["--config", str(config)]


def idle_daemon(work: Path, name: str, label: str, idle_seconds: float, extra: list[str], env: dict[str, str] | None = None) -> None:
    """Start a daemon on an empty dump path, let it settle, then count RSS and wake-ups."""
    root = work / name
    root.mkdir()
    notify = Notify(work / f"{name}.sock")
    proc = start([*extra, "--dump-path", str(root), "--state-dir", str(work / f"{name}-state"),
                  "--pstore-path", str(work / "none")], notify, env=env)  # fmt: skip
    notify.wait("READY=1")
    time.sleep(2)
    _rss0, sw0 = rss_and_switches(proc.pid)
    mark = journal_mark()
    time.sleep(idle_seconds)
    rss1, sw1 = rss_and_switches(proc.pid)
    print(f"{label}: RSS {rss1 / 1024:.1f} MiB (all processes); {wakeups_per_minute(sw0, sw1, idle_seconds):.1f} wake-ups/min; "
          f"{journal_traffic(mark)}")  # fmt: skip
    stop(proc)


def bench_watchdog_idle(work: Path, idle_seconds: float) -> None:
    """The default configuration (the kernel journal source reads the system journal, here the
    private journald's, and wakes for the kernel lines it gets), then the same with the source on a
    journal nobody writes to: the daemon's own wake-ups, the watchdog's pings alone."""
    watchdog = {"WATCHDOG_USEC": "30000000"}
    idle_daemon(work, "wd", "idle with WatchdogSec=30s (ping every 15 s)", idle_seconds, [], watchdog)
    idle_daemon(work, "wdq", "idle with WatchdogSec=30s, the kernel journal source on a journal nobody writes",
                idle_seconds, quiet_journal(work, "wdq"), watchdog)  # fmt: skip


def bench_idle_with_target(work: Path, idle_seconds: float) -> None:
    """Alerting configured (one webhook) but nothing to send: the HTTP stack stays unloaded."""
    config = work / "alerting.toml"
    config.write_text('[[alerts.targets]]\ntype = "webhook"\nname = "ops"\nurl = "http://127.0.0.1:9/hook"\n')
    idle_daemon(work, "alerting", "idle with one webhook target, nothing due", idle_seconds, ["--config", str(config)])
    quiet = quiet_journal(work, "alertingq")
    Path(quiet[1]).write_text(Path(quiet[1]).read_text() + config.read_text())
    idle_daemon(work, "alertingq", "idle with one webhook target, nothing due, the kernel journal source on a journal "
                "nobody writes", idle_seconds, quiet)  # fmt: skip


def bench_vmcore(work: Path, rounds: int) -> None:
    def once(with_vmcore: int, i: int) -> float:
        base = work / f"vm-{with_vmcore}-{i}"
        dumps = base / "crash"
        dumps.mkdir(parents=True)
        folder = write_rhel(dumps, "127.0.0.1-2024-05-01-10:00:00", log_bytes())
        if with_vmcore:
            with (folder / "vmcore").open("wb") as stream:
                stream.write(kdump_header())
                stream.truncate(with_vmcore)
        config = Config(sources=SourcesConfig(dump_paths=[dumps], pstore=False), state=StateConfig(state_dir=base / "state"))
        store = Store(config.state.state_dir)
        lock = StateLock(config.state.state_dir)
        pipeline = Pipeline(config, store, RecordingJournal(), lock)
        unit = classify_name(folder.name, dumps)
        assert unit is not None
        t0 = time.perf_counter()
        outcome = pipeline.handle(unit)
        elapsed = time.perf_counter() - t0
        assert outcome.action == "journaled", outcome
        store.close()
        lock.close()
        return elapsed * 1000

    once(0, -1)  # warm up imports and caches
    once(2**20, -1)
    without = [once(0, i) for i in range(rounds)]
    small = [once(2**20, i) for i in range(rounds)]
    huge = [once(64 * 2**30, i) for i in range(rounds)]
    print(f"triage of one crash, median of {rounds}: {statistics.median(without):.1f} ms without a vmcore, "
          f"{statistics.median(small):.1f} ms with a 1 MiB vmcore, "
          f"{statistics.median(huge):.1f} ms with a 64 GiB sparse vmcore beside the log")  # fmt: skip


def bench_deadline(work: Path, watchdog_sec: float) -> None:
    root = work / "deadline"
    root.mkdir()
    bad = write_rhel(root, "10.9.0.1-2024-05-01-10:00:00", PATHOLOGICAL_LOG)
    notify = Notify(work / "deadline.sock")
    args = ["--dump-path", str(root), "--state-dir", str(work / "deadline-state"), "--pstore-path", str(work / "none")]
    proc = start(args, notify, {"WATCHDOG_USEC": str(int(watchdog_sec * 1e6))})
    ready = notify.wait("READY=1")
    other = write_rhel(root, "10.9.0.2-2024-05-01-10:00:00", log_bytes())
    written = time.monotonic()
    times: dict[Path, float] = {}
    while len(times) < 2 and time.monotonic() - written < 120:
        for folder in (bad, other):
            if folder not in times and count_entries(folder) == 1:
                times[folder] = time.monotonic()
        time.sleep(0.05)
    time.sleep(1)
    stop(proc)
    with notify.cond:
        pings = [at for at, text in notify.lines if text == "WATCHDOG=1" and at >= ready]
    end = times.get(bad, time.monotonic())
    points = [ready, *[at for at in pings if at <= end], end]
    gaps = [b - a for a, b in itertools.pairwise(points)]
    print(f"pathological log: other dump journaled {times.get(other, float('nan')) - written:.2f} s after it was "
          f"written; the pathological one {times.get(bad, float('nan')) - ready:.1f} s after READY; "
          f"watchdog pings (every {watchdog_sec / 2:g} s) meanwhile: {len(pings)}, longest gap {max(gaps):.2f} s")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer samples, 20 s idle windows")
    parser.add_argument("--only", choices=sorted(PARTS), action="append", help="run only these parts")
    parser.add_argument("--mappings", action="store_true", help="also list the mappings holding the most RSS")
    parser.add_argument("--watchdog-sec", type=float, default=21.0, help="WatchdogSec of the 'deadline' part")
    args = parser.parse_args()
    global BREAKDOWN
    BREAKDOWN = args.mappings
    idle = 20.0 if args.quick else 60.0
    work = Path(tempfile.mkdtemp(prefix="kcrashd-bench-"))
    journald = start_journald(work)
    try:
        parts = {
            "vmcore": lambda: bench_vmcore(work, 10 if args.quick else 30),
            "latency": lambda: bench_latency(work, 50 if args.quick else 200),
            "ready": lambda: (bench_ready(work, 1000, idle), bench_ready(work, 10000, 0)),
            "idle": lambda: bench_watchdog_idle(work, idle),
            "alerting": lambda: bench_idle_with_target(work, idle),
            "deadline": lambda: bench_deadline(work, args.watchdog_sec),
        }
        for part in args.only or PARTS:
            parts[part]()
    finally:
        journald.terminate()
        journald.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
