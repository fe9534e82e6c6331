"""The host-side chain: real crashes written by a real capture kernel straight into the folders a
running `kcrashd run` watches, with a private journald and real loopback alert receivers.

One session-wide `Campaign` owns the daemon, the receivers and a pool of two workers (at most two
guests at once, and the lab's machine-wide slots enforce the same across processes). Each
worker owns one *lane*: a watched dump path that only its own guests write into, one at a time,
so kdump's second-resolution folder names never collide and the lab can tell which folder a run
wrote. All crashes start when the campaign starts; each test waits only for the crashes it
asserts on, so the guests of later tests run while earlier tests check their results.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any

from pytest_httpserver import HTTPServer
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from lab.crash import CrashResult
from lab.kinds import kind_named
from tests.daemon.conftest import DaemonProcess, NotifySocket, run_cli
from tests.fixtures.journald import Journald
from tests.system.timings import TIMINGS, Recognition

MESSAGE_ID = "8ba1b929042d454e9288788366b0e336"  # kcrashd.sinks.journal.MESSAGE_ID
FULL = os.environ.get("KCRASHD_SYSTEM_FULL", "") not in ("", "0")
LANES = 2  # = guests at once

# The lab's crash classes (lab/kinds.py `cls`) and the kind the triage core reports for them
# (docs/report-schema.md). They happen to be spelled the same today; the table keeps the
# mapping explicit so a renamed kind fails here with a clear message.
CLASS_TO_KIND: dict[str, str] = {
    "sysrq": "sysrq",
    "null-deref": "null-deref",
    "bug": "bug",
    "gpf": "gpf",
    "warning": "warning",
    "soft-lockup": "soft-lockup",
    "hung-task": "hung-task",
    "oom": "oom",
    "stack-protector": "stack-protector",
    "stack-overflow": "stack-overflow",
}

# every run of every class in CI; FULL adds a second run of each and the second stack arm
CI_CLASSES = (
    "sysrq",
    "null-deref",
    "bug",
    "gpf",
    "warning",
    "soft-lockup",
    "hung-task",
    "oom",
    "stack-protector",
)
CI_PAIRS = ("sysrq", "null-deref", "warning", "oom")
FULL_EXTRA = ("stack-overflow",)
# rough guest seconds under TCG, to start the long ones first (two workers, longest first)
WEIGHT = {"soft-lockup": 80, "hung-task": 50, "oom": 35}


@dataclass(frozen=True)
class Case:
    """One guest: a lab crash kind with its size and timing and the dump it must leave."""

    id: str
    kind: str
    run: int
    mem: str
    cpus: int
    delay: float
    layout: str = "rhel"
    dmesg: bool = True
    vmcore: bool = True
    group: str = "class"  # class | debian | vmcore-only

    @property
    def cls(self) -> str:
        return kind_named(self.kind).cls

    @property
    def expect_kind(self) -> str:
        return CLASS_TO_KIND[self.cls]

    @property
    def expect_function(self) -> str:
        return kind_named(self.kind).culprit

    @property
    def settings(self) -> str:
        return f"{self.mem}/{self.cpus}cpu/+{self.delay:g}s"


def plan(full: bool = FULL) -> list[Case]:
    """CI: one run per class, a second run (other memory and timing) for four classes, 1 vCPU.
    FULL: two runs of every class, the second with 2 vCPUs, plus the stack-overflow arm."""
    cases: list[Case] = []
    classes = CI_CLASSES + (FULL_EXTRA if full else ())
    for kind in classes:
        cases.append(Case(f"{kind}-1", kind, 1, "768M", 1, 1.0))
        if full or kind in CI_PAIRS:
            cases.append(Case(f"{kind}-2", kind, 2, "1G", 2 if full else 1, 3.0))
    cases.append(Case("debian-bug", "bug", 1, "1G", 1, 2.0, layout="debian", group="debian"))
    cases.append(Case("vmcore-only-sysrq", "sysrq", 1, "768M", 1, 2.0, dmesg=False, group="vmcore-only"))
    return sorted(cases, key=lambda c: -WEIGHT.get(c.kind, 30))


class EventClock(FileSystemEventHandler):
    """Host-side inotify (watchdog) on the lanes: when each file got its final name."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, float] = {}

    def _mark(self, path: str | bytes) -> None:
        now = time.time()
        with self.lock:
            self.seen.setdefault(os.fsdecode(path), now)

    def on_moved(self, event: FileSystemEvent) -> None:
        self._mark(event.dest_path)

    def on_created(self, event: FileSystemEvent) -> None:
        self._mark(event.src_path)

    def when(self, path: Path) -> float | None:
        with self.lock:
            return self.seen.get(str(path))


class Receiver:
    """A generic-webhook receiver on 127.0.0.1 (pytest-httpserver): records every POST body."""

    def __init__(self, port: int, path: str = "/kcrashd") -> None:
        self.path = path
        self.server = HTTPServer(host="127.0.0.1", port=port, threaded=True)
        self.server.expect_request(path, method="POST").respond_with_data("ok")
        self.server.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{self.path}"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.get_data()) for request, _ in list(self.server.log)]

    def wait(self, count: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.server.log) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.bodies()

    def stop(self) -> None:
        if self.server.is_running():
            self.server.stop()


def daemon_config(path: Path, lanes: Iterable[Path], state: Path, webhook: str, am: str | None) -> Path:
    """The daemon's configuration: the lanes as dump paths, both alert targets.

    Every guest here is the same machine to kcrashd (no host name set, local `127.0.0.1-` dumps:
    this host), so the crash-loop digest (3 crashes of one host in an hour) would fold the whole campaign into one
    loop alert; the test raises loop_crashes to keep one page per fingerprint observable.
    """
    machine_id = path.with_name("machine-id")
    machine_id.write_text("0123456789abcdef0123456789abcdef\n")
    dumps = ", ".join(f'"{lane}"' for lane in lanes)
    text = f"""[sources]
dump_paths = [{dumps}]
pstore = false
[state]
state_dir = "{state}"
[alerts]
machine_id_path = "{machine_id}"
[alerts.policy]
loop_crashes = 1000
[[alerts.targets]]
type = "webhook"
name = "loopback-webhook"
url = "{webhook}"
min_severity = "info"
"""
    if am:
        text += f"""[[alerts.targets]]
type = "alertmanager"
name = "loopback-alertmanager"
urls = ["{am}"]
min_severity = "info"
"""
    path.write_text(text)
    return path


@dataclass
class Outcome:
    """One finished guest and what kcrashd made of its dump."""

    case: Case
    result: CrashResult
    lane: Path
    started: float  # wall clock when the run was asked for (before waiting for a slot)
    finished: float
    entries: list[dict[str, Any]] = field(default_factory=list)
    final_name: Path | None = None
    final_at: float | None = None
    final_from: str = ""
    latency: float | None = None
    info: dict[str, Any] | None = None

    @property
    def entry(self) -> dict[str, Any]:
        assert len(self.entries) == 1, f"{self.case.id}: {len(self.entries)} journal entries"
        return self.entries[0]


class Campaign:
    def __init__(
        self, lab: Any, journald: Journald, work: Path, am_url: str | None, receiver: Receiver
    ) -> None:
        self.lab = lab
        self.journald = journald
        self.work = work
        self.state = work / "state"
        self.lanes = [work / f"lane{i}" for i in range(LANES)]
        for lane in self.lanes:
            lane.mkdir(parents=True)
        self.receiver = receiver
        self.am_url = am_url
        self.config = daemon_config(work / "kcrashd.toml", self.lanes, self.state, receiver.url, am_url)
        self.clock = EventClock()
        self.observer = Observer()
        for lane in self.lanes:
            self.observer.schedule(self.clock, str(lane), recursive=True)
        self.observer.start()
        self.notify = NotifySocket(work / "notify.sock")
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        env.update(NOTIFY_SOCKET=str(self.notify.path), PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1")
        started = time.monotonic()
        self.daemon = DaemonProcess(["--config", str(self.config)], env, work / "daemon.log")
        if not self.notify.wait_for("READY=1", timeout=60):
            raise RuntimeError(f"kcrashd run never sent READY=1:\n{self.daemon.output()}")
        TIMINGS.add("setup", "kcrashd run to READY=1", time.monotonic() - started)
        self.lane_pool: Queue[Path] = Queue()
        for lane in self.lanes:
            self.lane_pool.put(lane)
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(
            max_workers=LANES, thread_name_prefix="guest", initializer=self._take_lane
        )
        self.futures: dict[str, Future[Outcome]] = {}
        self.cases: dict[str, Case] = {}
        self.done: dict[str, Outcome] = {}
        self.lock = threading.Lock()

    def _take_lane(self) -> None:
        self.local.lane = self.lane_pool.get_nowait()

    def start(self, cases: list[Case]) -> None:
        for case in cases:
            self.cases[case.id] = case
            self.futures[case.id] = self.pool.submit(self._crash, case)

    def _crash(self, case: Case) -> Outcome:
        lane: Path = self.local.lane
        if getattr(self.local, "ran", False):
            # the lab's slots are first come, first served by polling every 0.5 s: a worker that
            # asks again at once after its guest would keep the slot and starve every other waiter
            time.sleep(1.0)
        self.local.ran = True
        started = time.time()
        result = self.lab.crash(
            case.kind,
            lane,
            layout=case.layout,
            mem=case.mem,
            cpus=case.cpus,
            delay=case.delay,
            vmcore=case.vmcore,
            dmesg=case.dmesg,
            logs_dir=self.work / "logs" / case.id,
        )
        finished = time.time()
        t = result.timings
        waited = (finished - started) - (t.get("total_s") or 0)
        TIMINGS.add("vm", f"{case.id} ({case.settings}, {result.accel})", t.get("total_s"),
                    f"panic {t.get('boot_to_panic_s')} s, capture {t.get('capture_s')} s, "
                    f"slot wait + build {waited:.1f} s")  # fmt: skip
        return Outcome(case, result, lane, started, finished)

    # --- results -----------------------------------------------------------------------------

    def entries_for(self, dump_dir: Path) -> list[dict[str, Any]]:
        return self.journald.entries(MESSAGE_ID=MESSAGE_ID, KCRASHD_DUMP_DIR=str(dump_dir))

    def all_entries(self) -> list[dict[str, Any]]:
        lanes = tuple(str(lane) + "/" for lane in self.lanes)
        return [
            e
            for e in self.journald.entries(MESSAGE_ID=MESSAGE_ID)
            if e.get("KCRASHD_DUMP_DIR", "").startswith(lanes)
        ]

    def _final_name(self, outcome: Outcome) -> Path | None:
        """The step after which kdump's folder is final for kcrashd (docs/crash-layouts.md)."""
        dump = outcome.result.dump_dir
        if dump is None:
            return None
        if outcome.case.layout == "debian":
            return dump / "dump-incomplete"  # dmesg.<STAMP> is written in place; final once the dump starts
        if not outcome.case.dmesg:
            return dump / "vmcore"
        return dump / "vmcore-dmesg.txt"

    def outcome(self, case_id: str, timeout: float = 1500) -> Outcome:
        """Wait for a guest, then for its journal entry; time the chain. Cached per case."""
        with self.lock:
            if case_id in self.done:
                return self.done[case_id]
        outcome = self.futures[case_id].result(timeout=timeout)
        result = outcome.result
        if result.dump_dir is not None:
            deadline = time.monotonic() + 60
            outcome.entries = self.entries_for(result.dump_dir)
            while not outcome.entries and time.monotonic() < deadline:
                time.sleep(0.2)
                outcome.entries = self.entries_for(result.dump_dir)
            final = self._final_name(outcome)
            outcome.final_name = final
            if final is not None:
                # both are upper bounds of the rename: inotify (dispatched by watchdog's thread a few ms
                # later) and the ctime of the final file (the host kernel's clock at the rename, or at a
                # chmod right after it); the earlier is the better estimate
                seen = {"inotify": self.clock.when(final)}
                survivor = final if final.exists() else final.with_name(final.name.replace("-incomplete", ""))
                if survivor.exists():
                    seen["ctime"] = survivor.stat().st_ctime
                known = {k: v for k, v in seen.items() if v is not None}
                if known:
                    outcome.final_from = min(known, key=lambda k: known[k])
                    outcome.final_at = known[outcome.final_from]
            if outcome.entries and outcome.final_at is not None:
                received = int(outcome.entries[0]["__REALTIME_TIMESTAMP"]) / 1e6
                outcome.latency = received - outcome.final_at
            if outcome.entries:
                outcome.info = self.info_when_complete(outcome.entries[0]["KCRASHD_CRASH_ID"])
        self._record(outcome)
        with self.lock:
            self.done[case_id] = outcome
        return outcome

    def info_when_complete(self, crash_id: str, timeout: float = 60) -> dict[str, Any]:
        """`kcrashd info --json` once the daemon has seen the finished vmcore (it lands after the log)."""
        deadline = time.monotonic() + timeout
        while True:
            result = run_cli("info", "--state-dir", str(self.state), "--json", crash_id)
            data: dict[str, Any] = json.loads(result.stdout) if result.returncode == 0 else {}
            if data.get("vmcore_state") == "complete" or time.monotonic() > deadline:
                return data
            time.sleep(0.5)

    def _record(self, o: Outcome) -> None:
        entry = o.entries[0] if len(o.entries) == 1 else {}
        got_kind = entry.get("KCRASHD_KIND", "-")
        got_func = entry.get("KCRASHD_FUNCTION", "-")
        ok = got_kind == o.case.expect_kind and got_func == o.case.expect_function and o.result.reproduced
        t = o.result.timings
        TIMINGS.crash(
            Recognition(
                case=o.case.id,
                kind=o.case.kind,
                layout=o.case.layout + ("" if o.case.dmesg else " (vmcore only)"),
                settings=o.case.settings,
                panic_s=t.get("boot_to_panic_s"),
                capture_s=t.get("capture_s"),
                latency_s=None if o.latency is None else round(o.latency, 2),
                latency_from=o.final_from,
                got_kind=got_kind,
                got_function=got_func,
                fingerprint=entry.get("KCRASHD_FINGERPRINT", "-"),
                expected=f"{o.case.expect_kind}/{o.case.expect_function}",
                ok=ok,
                notes=list(o.result.notes)
                + ([] if len(o.entries) == 1 else [f"{len(o.entries)} journal entries"]),
            )
        )

    def outbox_decisions(self) -> dict[str, str]:
        """crash_id -> the paging decision recorded in the outbox (page, cooldown, ...)."""
        uri = f"file:{self.state / 'state.db'}?mode=ro"
        with sqlite3.connect(uri, uri=True) as conn:
            return dict(conn.execute("SELECT crash_id, decision FROM crashes WHERE decision IS NOT NULL").fetchall())

    def close(self) -> int | None:
        for future in self.futures.values():
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.observer.stop()
        self.observer.join(10)
        code = self.daemon.stop()
        self.notify.close()
        return code
