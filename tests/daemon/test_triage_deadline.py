"""Triage with a deadline (kcrashd/triage/pool.py, kcrashd/triage/worker.py): a log whose analysis
never ends costs its worker, never the daemon. Real worker processes, a real journald, a real
$NOTIFY_SOCKET; the endless analysis is a worker program from tests/ (tests/daemon/slow_worker.py)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kcrashd.config.settings import Config, load_config
from kcrashd.core import analyze
from kcrashd.daemon.notify import Notifier
from kcrashd.daemon.service import Daemon
from kcrashd.sinks.journal import MESSAGE_ID
from kcrashd.triage.pool import TriagePool, Worker, headline, key_of, spawn
from kcrashd.triage.worker import as_json
from tests.daemon.conftest import NotifySocket
from tests.daemon.dumps import log_bytes, write_rhel
from tests.daemon.seccomp_worker import libseccomp
from tests.daemon.slow_worker import SLOW_MARK, command, slow_analyze
from tests.fixtures.journald import Journald

REPO = Path(__file__).resolve().parents[2]
# A header line the way the slow log shows it, then the line the worker never gets past.
HEADLINE = "[  312.071822] BUG: unable to handle page fault for address: ffffc90000a3f000"
SLOW_LOG = (
    b"[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)\n"
    + HEADLINE.encode() + b"\n[  312.071830] " + SLOW_MARK + b"\n"
)  # fmt: skip
# The input that made one header pattern backtrack for ~95 s (hostile-input issue, item 1).
PATHOLOGICAL_LOG = b"BUG: " + b"a" * 680 + b" " * 1355 + b"[\n"
# WatchdogSec=3s: a ping every 1.5 s; the deadline below half of it. A worker's first log gets
# START_GRACE more, so the slow log holds a worker ~3.4 s: a loop blocked meanwhile misses pings.
WATCHDOG_USEC, TIMEOUT, MAX_GAP = 3_000_000, 1.4, 2.5


def wait_until(predicate, timeout: float, step: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


# --- the pool ------------------------------------------------------------------------------------


def finish(pool: TriagePool, key: tuple[str, bytes], timeout: float) -> object:
    deadline = time.monotonic() + timeout
    report = pool.take(key)
    while report is None and time.monotonic() < deadline:
        pool.service(wait=0.1)
        report = pool.take(key)
    return report


@pytest.mark.parametrize("started", ["spawned", "forked"])
def test_a_log_past_its_deadline_costs_its_worker_and_others_go_on(started: str) -> None:
    pool = TriagePool(1.5, 2, command=command()) if started == "spawned" else TriagePool(1.5, 2, fork=as_json(slow_analyze))
    try:
        slow, normal = key_of(SLOW_LOG, "slow"), key_of(log_bytes(), "normal")
        pool.submit(slow, SLOW_LOG, "slow")
        stuck = next(w for w in pool.workers if w.job is not None).proc
        pool.submit(normal, log_bytes(), "normal")
        report = finish(pool, normal, 20)
        assert report is not None and report == analyze(log_bytes(), source="normal")
        assert stuck.poll() is None, "the slow log is still being analysed meanwhile"
        timed_out = finish(pool, slow, 20)
        assert timed_out is not None
        assert timed_out.error == "triage timed out after 1.5 s"  # type: ignore[attr-defined]
        assert timed_out.title == HEADLINE and timed_out.kind == "unknown"  # type: ignore[attr-defined]
        assert stuck.returncode == -signal.SIGKILL
        assert pool.take(slow) is None, "a result is handed out once"
        again = key_of(log_bytes("edge/oom-panic"), "after")
        pool.submit(again, log_bytes("edge/oom-panic"), "after")
        assert finish(pool, again, 20) == analyze(log_bytes("edge/oom-panic"), source="after")
    finally:
        pool.close()


def test_a_worker_limits_its_own_cpu_time_when_nobody_kills_it() -> None:
    """The parent may be gone (or stuck): RLIMIT_CPU ends the worker anyway."""
    worker = Worker.start(lambda: spawn(command()), time.monotonic())
    from kcrashd.triage.pool import Job

    assert worker.give(Job(key_of(SLOW_LOG, "x"), SLOW_LOG, "x"), 1.0, time.monotonic())
    try:
        status = worker.proc.wait(timeout=60)
    finally:
        worker.stop(kill=worker.proc.poll() is None)
    assert status == -signal.SIGXCPU


def ignores(pid: int, signum: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:")), 16)
    return bool(mask & (1 << (signum - 1)))


def test_a_worker_leaves_the_units_sigterm_to_the_daemon() -> None:
    """`systemctl stop` signals every process of the unit: a worker that died of it would have
    its log journaled as one that kills workers."""
    pool = TriagePool(30.0, 1, command=command())
    try:
        pool.submit(key_of(SLOW_LOG, "slow"), SLOW_LOG, "slow")
        (worker,) = pool.workers
        assert wait_until(lambda: ignores(worker.proc.pid, signal.SIGTERM), 20)
        os.kill(worker.proc.pid, signal.SIGTERM)
        time.sleep(0.3)
        assert worker.proc.poll() is None and pool.service() == 0
    finally:
        pool.close()
    assert worker.proc.returncode == -signal.SIGKILL, "the pool kills a busy worker when it closes"


@pytest.mark.skipif(libseccomp() is None, reason="libseccomp is not installed")
def test_a_worker_whose_sandbox_refuses_resource_limits_still_answers() -> None:
    """No CPU limit then, but the parent's deadline: the worker must not die of the refusal."""
    pool = TriagePool(30.0, 1, command=[sys.executable, "-m", "tests.daemon.seccomp_worker"])
    try:
        key = key_of(log_bytes(), "sandboxed")
        pool.submit(key, log_bytes(), "sandboxed")
        assert finish(pool, key, 20) == analyze(log_bytes(), source="sandboxed")
    finally:
        pool.close()


def test_idle_workers_exit_and_come_back_on_demand() -> None:
    pool = TriagePool(10.0, 2, idle_exit=0.3)
    try:
        key = key_of(log_bytes(), "a")
        pool.submit(key, log_bytes(), "a")
        assert finish(pool, key, 20) is not None
        (proc,) = [w.proc for w in pool.workers]
        assert wait_until(lambda: pool.service() >= 0 and not pool.workers, 5)
        assert proc.returncode == 0, "an idle worker is stopped by closing its input"
        key = key_of(log_bytes(), "b")
        pool.submit(key, log_bytes(), "b")
        assert finish(pool, key, 20) is not None
    finally:
        pool.close()


def test_headline_is_the_first_line_holding_a_report_header() -> None:
    assert headline(SLOW_LOG) == HEADLINE
    assert headline(b"[    1.0] nothing here\n") == ""
    assert headline(PATHOLOGICAL_LOG).startswith("BUG: aaaa") and len(headline(PATHOLOGICAL_LOG)) <= 200


# --- settings ------------------------------------------------------------------------------------


def test_triage_timeout_setting_and_the_watchdog(tmp_path: Path) -> None:
    config = tmp_path / "kcrashd.toml"
    config.write_text("[daemon]\ntriage_timeout = 0\n")
    with pytest.raises(Exception, match="triage_timeout"):
        load_config(config)
    config.write_text("[daemon]\ntriage_timeout = 45\n")
    assert load_config(config).daemon.triage_timeout == 45
    assert Config().daemon.triage_timeout == 10
    watchdog = Notifier(notify=lambda _m: True, environ={"NOTIFY_SOCKET": "x", "WATCHDOG_USEC": "60000000"})
    daemon = Daemon(config, {"state": {"state_dir": str(tmp_path)}}, notifier=watchdog)
    assert daemon.triage_timeout(daemon.config) == 15.0, "45 s is not below half of WatchdogSec=60s"
    config.write_text("[daemon]\ntriage_timeout = 12\n")
    daemon = Daemon(config, {}, notifier=watchdog)
    assert daemon.triage_timeout(daemon.config) == 12.0


# --- the daemon ----------------------------------------------------------------------------------


class Run:
    """The daemon as systemd starts it (module `tests.daemon.deadline_daemon`: slow workers, or
    `kcrashd`: the shipped ones)."""

    def __init__(self, module: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as stream:
            command = [sys.executable, "-m", module, *([] if module == "tests.daemon.deadline_daemon" else ["run"]), *args]
            self.proc = subprocess.Popen(command, env=env, stdout=stream, stderr=subprocess.STDOUT, cwd=REPO)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start(module: str, tmp_path: Path, notify: NotifySocket, timeout: float, watchdog_usec: int, n: int) -> Run:
    config = tmp_path / "kcrashd.toml"
    config.write_text(f"[daemon]\ntriage_timeout = {timeout}\n")
    args = ["--config", str(config), "--dump-path", str(tmp_path / "crash"), "--state-dir", str(tmp_path / "state"),
            "--pstore-path", str(tmp_path / "pstore")]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env.update(NOTIFY_SOCKET=str(notify.path), WATCHDOG_USEC=str(watchdog_usec), PYTHONPATH=str(REPO))
    env.update(PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1")
    return Run(module, args, env, tmp_path / f"daemon-{n}.log")


def start_beside_other(
    module: str, journald: Journald, tmp_path: Path, notify: NotifySocket, log: bytes
) -> tuple[Run, Path, Path, float]:
    """A dump with `log` in the backlog, the daemon started, then another dump written live and
    journaled at once. (daemon, slow folder, other folder, when READY=1 came)."""
    root = tmp_path / "crash"
    root.mkdir()
    slow = write_rhel(root, "10.0.0.1-2024-05-01-10:00:00", log)
    run = start(module, tmp_path, notify, TIMEOUT, WATCHDOG_USEC, 0)
    assert wait_until(lambda: notify.times("READY=1"), 20), run.output()
    other = write_rhel(root, "10.0.0.2-2024-05-01-10:00:00", log_bytes("edge/oom-panic"))
    if not wait_until(lambda: entries(journald, other), 8):
        run.stop()
        pytest.fail(f"the other dump was not journaled while the slow log was analysed: {run.output()}")
    return run, slow, other, notify.times("READY=1")[0]


def entries(journald: Journald, folder: Path) -> list[dict[str, str]]:
    return [e for e in journald.entries(MESSAGE_ID=MESSAGE_ID) if e.get("KCRASHD_DUMP_DIR") == str(folder)]


def max_gap(times: list[float], start: float, end: float) -> float:
    points = [start, *[t for t in times if start < t < end], end]
    return max(b - a for a, b in itertools.pairwise(points))


@pytest.mark.journal
def test_a_log_that_never_finishes_is_journaled_once_and_never_again(
    journald: Journald, tmp_path: Path, notify_socket: NotifySocket
) -> None:
    run, slow, other, began = start_beside_other("tests.daemon.deadline_daemon", journald, tmp_path, notify_socket, SLOW_LOG)
    try:
        assert wait_until(lambda: entries(journald, slow), 15), run.output()
        # The other dump was not queued behind the slow log: journaled before the slow log's deadline
        # gave it up (compared by the journal's own clock, so a loaded machine cannot fake an order).
        [first_other] = entries(journald, other)
        assert int(first_other["__REALTIME_TIMESTAMP"]) < int(entries(journald, slow)[0]["__REALTIME_TIMESTAMP"])
        ended = time.monotonic()
        time.sleep(1.5)
        (entry,) = entries(journald, slow)
        assert entry["KCRASHD_ERROR"] == "triage timed out after 1.4 s"
        assert entry["KCRASHD_TITLE"] == HEADLINE and entry["KCRASHD_KIND"] == "unknown"
        assert len(entries(journald, other)) == 1
        gap = max_gap(notify_socket.times("WATCHDOG=1"), began, ended)
        assert gap < MAX_GAP, f"watchdog pings stopped for {gap:.1f} s (every 1.5 s expected)"
        assert run.output().count("timed out after 1.4 s") == 1
    finally:
        assert run.stop() == 0, run.output()
    again = start("tests.daemon.deadline_daemon", tmp_path, notify_socket, TIMEOUT, WATCHDOG_USEC, 1)
    try:
        assert wait_until(lambda: len(notify_socket.times("READY=1")) == 2, 20), again.output()
        time.sleep(5)  # longer than the deadline: a retry would have timed out again by now
        assert len(entries(journald, slow)) == 1 and len(entries(journald, other)) == 1
        assert "timed out" not in again.output()
    finally:
        assert again.stop() == 0, again.output()


@pytest.mark.journal
def test_the_daemon_keeps_going_beside_a_pathological_log(
    journald: Journald, tmp_path: Path, notify_socket: NotifySocket
) -> None:
    """The shipped worker on the input that took ~95 s in one header pattern: whether the core
    is fast on it or not, pings go on, another dump is journaled at once, the log gets one entry."""
    run, bad, _other, began = start_beside_other("kcrashd", journald, tmp_path, notify_socket, PATHOLOGICAL_LOG)
    try:
        assert wait_until(lambda: entries(journald, bad), 15), run.output()
        gap = max_gap(notify_socket.times("WATCHDOG=1"), began, time.monotonic())
        assert gap < MAX_GAP, f"watchdog pings stopped for {gap:.1f} s (every 1.5 s expected)"
    finally:
        assert run.stop() == 0, run.output()
    assert len(entries(journald, bad)) == 1
