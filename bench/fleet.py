"""Numbers for the fleet view (prints them; nothing here asserts a time).

  idle      RSS (every process of the unit) and wake-ups of `kcrashd run` with [metrics] off and
            on (after one scrape as Prometheus makes it, and after one without an Accept header)
  scrape    time and daemon CPU per scrape of a state database with 10 crashes, and 10,000
  list      `kcrashd list --journal-dir` over 100,000 real-shaped entries from 1,000 hosts
  remote    crash (final rename of the log) -> entry on a systemd-journal-remote collector,
            through the private journald and a following systemd-journal-upload (p50/p99)
  storm     500 crashes of 3 bugs on 200 hosts (bench/alerting.py's storm, moved to now), each
            host's own state database and policy, posting to two clustered Alertmanagers routed
            as contrib/prometheus/alertmanager-route.yml (group_wait 30 s, group_interval 5 min):
            notifications at a webhook receiver within 330 s (--quick: 90 s)

Run as root (private mount namespace + private journald, like the tests):
    .venv/bin/python bench/fleet.py [--quick] [--only PART]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.daemon import (  # noqa: E402
    KCRASHD,
    Notify,
    journal_mark,
    journal_traffic,
    pct,
    rss_and_switches,
    start,
    start_journald,
    stop,
    wakeups_per_minute,
)
from kcrashd.core.model import Report, Severity  # noqa: E402
from kcrashd.model.crash import CrashRecord  # noqa: E402
from kcrashd.sinks.journal import MESSAGE_ID  # noqa: E402
from kcrashd.store.database import Store  # noqa: E402
from tests.daemon.dumps import log_bytes, write_rhel  # noqa: E402

PARTS = ("idle", "scrape", "list", "remote", "storm")
REMOTE = Path("/lib/systemd/systemd-journal-remote")
UPLOAD = Path("/lib/systemd/systemd-journal-upload")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# What Prometheus 2.42 (Debian 12) sends: the daemon answers it in OpenMetrics.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


def scrape(port: int, accept: str = PROMETHEUS_ACCEPT) -> bytes:
    """One scrape as Prometheus makes it (`accept=""`: as curl makes it, the classic text format)."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(f"GET /metrics HTTP/1.0\r\nHost: bench\r\nAccept: {accept}\r\n\r\n".encode())
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def daemon(work: Path, name: str, listen: str, dumps: int = 0) -> tuple[object, Notify]:
    root = work / name
    root.mkdir()
    for i in range(dumps):
        write_rhel(root, f"host{i}-2026-11-0{i % 9 + 1}-10:00:00", log_bytes())
    config = work / f"{name}.toml"
    config.write_text(f'[metrics]\nlisten = "{listen}"\n[sources]\npstore = false\n')
    notify = Notify(work / f"{name}.sock")
    args = ["--config", str(config), "--dump-path", str(root), "--state-dir", str(work / f"{name}-state")]
    return start(args, notify), notify


def bench_idle(work: Path, idle_seconds: float) -> None:
    for label, listen, accept in (
        ("metrics off", "", ""),
        ("metrics on, after a scrape by Prometheus (OpenMetrics)", f"127.0.0.1:{free_port()}", PROMETHEUS_ACCEPT),
        ("metrics on, after a scrape without Accept (classic text format)", f"127.0.0.1:{free_port()}", ""),
    ):
        proc, notify = daemon(work, f"idle-{listen or 'off'}".replace(":", "-"), listen)
        notify.wait("READY=1")
        time.sleep(5)
        if listen:
            scrape(int(listen.rsplit(":", 1)[1]), accept)
        time.sleep(2)
        _rss, sw0 = rss_and_switches(proc.pid)  # type: ignore[attr-defined]
        mark = journal_mark()
        time.sleep(idle_seconds)
        rss, sw1 = rss_and_switches(proc.pid)  # type: ignore[attr-defined]
        print(f"idle, {label}: RSS {rss / 1024:.1f} MiB (every process of the unit); "
              f"{wakeups_per_minute(sw0, sw1, idle_seconds):.1f} wake-ups/min; {journal_traffic(mark)} "
              "(the kernel journal source reads them, docs/reboots.md)")  # fmt: skip
        stop(proc)  # type: ignore[arg-type]
        notify.close()


def fill_state(state: Path, crashes: int, bugs: int, hosts: int) -> None:
    """A state database as the pipeline leaves it, written through Store.record."""
    rng = random.Random(16)
    store = Store(state)
    start_at = datetime.now(UTC) - timedelta(days=30)
    for i in range(crashes):
        bug = int(rng.paretovariate(1.2)) % bugs
        host = f"node-{rng.randrange(hosts):04d}"
        at = start_at + timedelta(seconds=i * 250)
        title = f"BUG: unable to handle page fault in function_{bug}"
        report = Report(title=title, kind="oops", severity=Severity.CRITICAL, fingerprint=f"kc2-{bug:016x}",
                        function=f"function_{bug}", excerpt=[title])  # fmt: skip
        record = CrashRecord(crash_id=f"{i:032x}", report=report, host=host, dump_dir=f"/var/crash/{host}-{i}",
                             layout="rhel-kdump", crash_time=at, detected_at=at, first_seen=at)  # fmt: skip
        store.record(lambda _stats, r=record: r, dev=1, ino=i, log_mtime_ns=None, log_size=None,  # type: ignore[misc]
                     vmcore_state="absent", status="journaled")  # fmt: skip
    store.close()


def bench_scrape(work: Path, rounds: int, crashes: int) -> None:
    state = work / f"scrape-state-{crashes}"
    t = time.monotonic()
    fill_state(state, crashes, 300, 1)
    print(f"scrape: state database of {crashes:,} crashes written in {time.monotonic() - t:.1f} s")
    port = free_port()
    config = work / f"scrape-{crashes}.toml"
    config.write_text(f'[metrics]\nlisten = "127.0.0.1:{port}"\n[sources]\npstore = false\n')
    (work / f"scrape-dumps-{crashes}").mkdir()
    notify = Notify(work / f"scrape-{crashes}.sock")
    proc = start(
        [
            "--config",
            str(config),
            "--dump-path",
            str(work / f"scrape-dumps-{crashes}"),
            "--state-dir",
            str(state),
        ],
        notify,
    )
    notify.wait("READY=1")
    wait_port(port)
    body = scrape(port)
    size, fingerprints = len(body), body.count(b"\nkcrashd_fingerprint_crashes_total{")
    times = []
    cpu0 = cpu_seconds(proc.pid)
    for _ in range(rounds):
        t0 = time.perf_counter()
        scrape(port)
        times.append(time.perf_counter() - t0)
    cpu = (cpu_seconds(proc.pid) - cpu0) / rounds
    rss, _ = rss_and_switches(proc.pid)
    print(f"scrape of {crashes:,} crashes / {fingerprints} fingerprints ({size / 1024:.0f} KiB): p50 {pct(times, 0.5) * 1000:.1f} ms, "
          f"p99 {pct(times, 0.99) * 1000:.1f} ms; daemon CPU {cpu * 1000:.1f} ms per scrape; RSS after "
          f"{rounds} scrapes {rss / 1024:.1f} MiB")  # fmt: skip
    stop(proc)
    notify.close()


def template_entry(work: Path) -> dict[str, str]:
    """The fields of a real crash entry: `kcrashd scan` of one dump into the private journald."""
    dumps = work / "template"
    dumps.mkdir()
    write_rhel(dumps, "web1-2026-11-01-10:00:00", log_bytes())
    subprocess.run([str(KCRASHD), "scan", "--dump-path", str(dumps), "--state-dir", str(work / "template-state"),
                    "--pstore-path", str(work / "none")], check=True, capture_output=True)  # fmt: skip
    subprocess.run(["journalctl", "--sync"], check=False)
    out = subprocess.run(["journalctl", "-o", "json", "-n", "1", f"MESSAGE_ID={MESSAGE_ID}"], capture_output=True,
                         check=True, text=True).stdout  # fmt: skip
    entry: dict[str, str] = json.loads(out)
    return {k: v for k, v in entry.items() if not k.startswith("__") and isinstance(v, str)}


def export_line(key: str, value: str) -> bytes:
    return f"{key}={value}\n".encode()


def write_collector(work: Path, entries: int, hosts: int, bugs: int) -> Path:
    """A journal directory as a collector holds it, written by systemd-journal-remote from an
    export stream of real-shaped entries."""
    base = template_entry(work)
    rng = random.Random(100)
    export = work / "fleet.export"
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with export.open("wb") as stream:
        for i in range(entries):
            host, bug = f"node-{rng.randrange(hosts):04d}", int(rng.paretovariate(1.1)) % bugs
            at = t0 + timedelta(seconds=i * 30)
            fields = dict(base, KCRASHD_CRASH_ID=f"{i:032x}", KCRASHD_HOST=host, _HOSTNAME=host,
                          KCRASHD_FINGERPRINT=f"kc2-{bug:016x}", KCRASHD_KERNEL=f"6.1.0-{bug % 7}-amd64",
                          KCRASHD_CRASH_TIME=at.isoformat(), KCRASHD_TITLE=f"BUG: unable to handle page fault in f{bug}")  # fmt: skip
            stream.write(export_line("__REALTIME_TIMESTAMP", str(int(at.timestamp() * 1e6))))
            stream.write(b"".join(export_line(k, v) for k, v in fields.items() if "\n" not in v) + b"\n")
    out = work / "collector"
    out.mkdir()
    subprocess.run(
        [str(REMOTE), f"--output={out / 'remote.journal'}", str(export)], check=True, capture_output=True
    )
    return out


def bench_list(work: Path, entries: int) -> None:
    t = time.monotonic()
    out = write_collector(work, entries, 1000, 400)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"list: {entries:,} entries from 1,000 hosts written by systemd-journal-remote in "
          f"{time.monotonic() - t:.1f} s ({size / 2**20:.0f} MiB of journal files)")  # fmt: skip
    for extra in ([], ["--all"], ["--json"]):
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [str(KCRASHD), "list", "--journal-dir", str(out), *extra], stdout=subprocess.PIPE
        )
        assert proc.stdout is not None
        rows = sum(1 for _ in proc.stdout)
        _pid, status, usage = os.wait4(proc.pid, 0)  # this command's own usage (and its journalctl's)
        proc.returncode = os.waitstatus_to_exitcode(status)
        print(f"  kcrashd list --journal-dir {' '.join(extra)}: {time.monotonic() - t0:.2f} s wall, "
              f"{usage.ru_utime + usage.ru_stime:.2f} s CPU (kcrashd + journalctl), max RSS "
              f"{usage.ru_maxrss / 1024:.0f} MiB; {rows} lines; exit {proc.returncode}")  # fmt: skip


def collector_entries(out: Path) -> set[str]:
    lines = subprocess.run(["journalctl", "-D", str(out), "-o", "cat", "--output-fields=KCRASHD_DUMP_DIR",
                            f"MESSAGE_ID={MESSAGE_ID}"], capture_output=True, text=True).stdout  # fmt: skip
    return set(lines.split())


def bench_remote(work: Path, count: int) -> None:
    out = work / "remote-collector"
    out.mkdir()
    port = free_port()
    remote = subprocess.Popen([str(REMOTE), f"--listen-http=127.0.0.1:{port}", f"--output={out / 'all.journal'}",
                               "--split-mode=none"], stderr=subprocess.DEVNULL)  # fmt: skip
    wait_port(port)
    upload = subprocess.Popen([str(UPLOAD), "-u", f"http://127.0.0.1:{port}", "-D", "/run/log/journal",
                               f"--save-state={work / 'upload.state'}"], stderr=subprocess.DEVNULL)  # fmt: skip
    root = work / "remote-dumps"
    root.mkdir()
    notify = Notify(work / "remote.sock")
    config = work / "remote.toml"
    config.write_text("[sources]\npstore = false\nsettle_seconds = 0.2\n")
    proc = start(
        ["--config", str(config), "--dump-path", str(root), "--state-dir", str(work / "remote-state")], notify
    )
    notify.wait("READY=1")
    latencies = []
    for i in range(count):
        stamp = (datetime(2026, 11, 1, 10) + timedelta(minutes=i)).strftime("%Y-%m-%d-%H:%M:%S")
        t0 = time.monotonic()
        folder = write_rhel(root, f"host{i}-{stamp}", log_bytes())
        while str(folder) not in collector_entries(out):
            time.sleep(0.01)
        latencies.append(time.monotonic() - t0)
    print(f"remote: dump folder written -> entry on the collector, {count} crashes one at a time "
          f"(settle_seconds = 0.2): p50 {pct(latencies, 0.5):.2f} s, p99 {pct(latencies, 0.99):.2f} s, "
          f"max {max(latencies):.2f} s")  # fmt: skip
    for process in (proc, upload, remote):
        stop(process)
    notify.close()


def bench_storm(work: Path, window: float) -> None:
    import random as rnd
    import sqlite3
    from http.server import ThreadingHTTPServer

    from bench.alerting import Receiver, storm
    from kcrashd.config.alerting import AlertsConfig
    from kcrashd.sinks.alerting import Deliverer, enqueue, ensure_schema
    from tests.fleet.engines import alertmanager

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    gossip = [free_port(), free_port()]
    now = datetime.now(UTC)
    records = storm(rnd.Random(7))
    shift = now - records[0].crash_time
    with (
        alertmanager(
            work / "am1",
            hook,
            peers=(f"127.0.0.1:{gossip[1]}",),
            gossip=f"127.0.0.1:{gossip[0]}",
            group_wait="30s",
            group_interval="5m",
        ) as first,
        alertmanager(
            work / "am2",
            hook,
            peers=(f"127.0.0.1:{gossip[0]}",),
            gossip=f"127.0.0.1:{gossip[1]}",
            group_wait="30s",
            group_interval="5m",
        ) as second,
    ):
        time.sleep(3)  # gossip settles
        config = AlertsConfig.model_validate({"targets": [{"name": "am", "type": "alertmanager", "urls": [first, second]}],
                                              "machine_id_path": "/nonexistent"})  # fmt: skip
        t0 = time.monotonic()
        pages = 0
        for record in records:  # in crash order, compressed into as fast as the hosts can post
            moved = record.model_copy(update={"crash_time": record.crash_time + shift, "detected_at": now,
                                              "first_seen": record.crash_time + shift})  # fmt: skip
            path = work / "storm" / f"{record.host}.db"
            path.parent.mkdir(exist_ok=True)
            conn = sqlite3.connect(path)
            ensure_schema(conn)
            enqueue(conn, moved, config, now=now)
            conn.commit()
            conn.close()
            deliverer = Deliverer(path, config)
            deliverer.deliver_due(datetime.now(UTC))
            deliverer.close()
        pages = sum(1 for path in (work / "storm").iterdir() for _ in sqlite3.connect(path).execute(
            "SELECT 1 FROM outbox WHERE state IN ('done', 'active')"))  # fmt: skip
        posted = time.monotonic() - t0
        time.sleep(max(0.0, window - posted))
        notes = [post["body"] for post in Receiver.posts]
        groups = Counter(n["groupLabels"].get("fingerprint", "?") for n in notes)
        per_bug = ", ".join(f"{fingerprint}: {count}" for fingerprint, count in sorted(groups.items()))
        print(f"storm: 500 crashes, 3 bugs, 200 hosts posted in {posted:.0f} s; {pages} alert deliveries "
              f"(each to both replicas); notifications at the receiver within {window:.0f} s: {len(notes)} ({per_bug})")  # fmt: skip
    receiver.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer samples, 20 s idle windows, 10,000 entries"
    )
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kcrashd-bench-fleet-"))
    journald = start_journald(work)
    try:
        parts = {
            "idle": lambda: bench_idle(work, 20.0 if args.quick else 60.0),
            "scrape": lambda: [bench_scrape(work, 50 if args.quick else 200, n) for n in (10, 10_000)],
            "list": lambda: bench_list(work, 10_000 if args.quick else 100_000),
            "remote": lambda: bench_remote(work, 10 if args.quick else 50),
            "storm": lambda: bench_storm(work, 90.0 if args.quick else 330.0),
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
