"""Alerting benchmark: pages for a crash storm in two topologies, and backlog delivery time.

Storm: 500 crashes of 3 distinct bugs across 200 hosts within 10 minutes.
  A. one dump-server daemon whose state DB sees all 500 crashes (policy: cooldown + storm digest);
  B. 200 daemons, one state DB each, all posting to one loopback receiver; only the target's own
     dedup (PagerDuty dedup_key / Alertmanager labels / Opsgenie alias = fingerprint) folds them.
Backlog: time to deliver 1,000 outbox rows to a loopback webhook.

Everything runs on 127.0.0.1 with a pinned clock; run: .venv/bin/python bench/alerting.py
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kcrashd.config.alerting import AlertsConfig
from kcrashd.core.model import Report, Severity
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting import Deliverer, ensure_schema
from tests.alerting.conftest import enqueue  # the crash recorded, then its alerts, as the pipeline does

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
BUGS = [
    ("kcrash-1111111111111111", "BUG: unable to handle page fault in ext4_find_extent"),
    ("kcrash-2222222222222222", "general protection fault in nf_conntrack_tuple_taken"),
    ("kcrash-3333333333333333", "kernel BUG at mm/slub.c:435"),
]


class Receiver(BaseHTTPRequestHandler):
    posts: ClassVar[list[dict[str, Any]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.posts.append({"path": self.path, "body": body})
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def storm(rng: random.Random) -> list[CrashRecord]:
    records = []
    hosts = [f"node-{i:03d}" for i in range(200)]
    for i in range(500):
        host = hosts[i] if i < 200 else rng.choice(hosts)  # every host crashes at least once
        fp, title = BUGS[rng.choices(range(3), weights=[6, 3, 1])[0]]
        at = T0 + timedelta(seconds=rng.uniform(0, 600))
        report = Report(title=title, kind="bug", severity=Severity.CRITICAL, fingerprint=fp, excerpt=[title])
        records.append(
            CrashRecord(
                crash_id=f"{host}-{i}",
                report=report,
                host=host,
                dump_dir=f"/var/crash/{host}-{i}",
                layout="kdump",
                crash_time=at,
                detected_at=at,
                first_seen=at,
            )
        )
    return sorted(records, key=lambda r: r.crash_time)


def config(port: int) -> AlertsConfig:
    return AlertsConfig.model_validate(
        {
            "machine_id_path": "/nonexistent",
            "targets": [
                {"name": "pd", "type": "pagerduty", "routing_key_ref": "env:BENCH_PD_KEY",
                 "url": f"http://127.0.0.1:{port}/v2/enqueue"},
            ],
            "retry": {"batch": 1000},
        }
    )  # fmt: skip


def drain(path: Path, cfg: AlertsConfig, clock: Clock) -> None:
    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        while (wait := deliverer.deliver_due()) is not None:
            clock.now += timedelta(seconds=wait)
    finally:
        deliverer.close()


def summarize(posts: list[dict[str, Any]]) -> tuple[int, int, int]:
    events = [p["body"] for p in posts]
    pages = [e for e in events if e["payload"]["class"] == "kernel-crash"]
    digests = [e for e in events if e["payload"]["class"] == "kernel-crash-digest"]
    return len(pages), len(digests), len({e["dedup_key"] for e in pages})


def main() -> None:
    import os

    os.environ["BENCH_PD_KEY"] = "R" * 32
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    cfg = config(port)
    records = storm(random.Random(7))
    print(f"storm: {len(records)} crashes, {len({r.host for r in records})} hosts, "
          f"{len({r.report.fingerprint for r in records})} bugs, within 10 minutes")  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        # A. one dump server sees everything
        Receiver.posts = []
        path = Path(tmp) / "server.db"
        conn = sqlite3.connect(path)
        ensure_schema(conn)
        start = time.perf_counter()
        for r in records:
            enqueue(conn, r, cfg, now=r.crash_time)
            conn.commit()
        enqueue_s = time.perf_counter() - start
        conn.close()
        clock = Clock()
        clock.now = records[-1].crash_time
        drain(path, cfg, clock)
        pages, digests, keys = summarize(Receiver.posts)
        print(f"A one state DB:      pages posted {pages:4d}, digests {digests}, distinct dedup keys {keys}"
              f"  (record and enqueue 500 crashes: {enqueue_s * 1000:.0f} ms)")  # fmt: skip

        # B. 200 daemons, each with its own state
        Receiver.posts = []
        by_host: dict[str, list[CrashRecord]] = {}
        for r in records:
            by_host.setdefault(r.host, []).append(r)
        for host, crashes in by_host.items():
            path = Path(tmp) / f"{host}.db"
            conn = sqlite3.connect(path)
            ensure_schema(conn)
            for r in crashes:
                enqueue(conn, r, cfg, now=r.crash_time)
            conn.commit()
            conn.close()
            clock = Clock()
            clock.now = crashes[-1].crash_time
            drain(path, cfg, clock)
        pages, digests, keys = summarize(Receiver.posts)
        loops = Counter(len(c) for c in by_host.values())
        print(f"B 200 state DBs:     pages posted {pages:4d}, digests {digests}, distinct dedup keys {keys}"
              f"  -> pages after target dedup (dedup_key = fingerprint): {keys}")  # fmt: skip
        print(f"  crashes per host in B: {dict(sorted(loops.items()))}")

        # Backlog: 1,000 rows to a loopback webhook
        Receiver.posts = []
        path = Path(tmp) / "backlog.db"
        conn = sqlite3.connect(path)
        ensure_schema(conn)
        hook = AlertsConfig.model_validate(
            {"machine_id_path": "/nonexistent", "retry": {"batch": 1000},
             "policy": {"cooldown_hours": 0, "storm_hosts": 100000, "loop_crashes": 100000},
             "targets": [{"name": "wh", "type": "webhook", "url": f"http://127.0.0.1:{port}/hook"}]}
        )  # fmt: skip
        for i in range(1000):
            at = T0 + timedelta(seconds=i)
            report = Report(
                title=f"bug {i}", kind="bug", severity=Severity.CRITICAL, fingerprint=f"kcrash-{i:016x}"
            )
            rec = CrashRecord(crash_id=f"b{i}", report=report, host=f"h{i}", dump_dir="/var/crash/x", layout="kdump",
                              crash_time=at, detected_at=at, first_seen=at)  # fmt: skip
            enqueue(conn, rec, hook, now=at)
        conn.commit()
        (rows,) = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()
        conn.close()
        clock = Clock()
        clock.now = T0 + timedelta(seconds=1000)
        start = time.perf_counter()
        drain(path, hook, clock)
        took = time.perf_counter() - start
        print(f"backlog: {rows} outbox rows delivered to a loopback webhook in {took:.2f} s "
              f"({rows / took:.0f} rows/s), received {len(Receiver.posts)}")  # fmt: skip
    server.shutdown()


if __name__ == "__main__":
    main()
