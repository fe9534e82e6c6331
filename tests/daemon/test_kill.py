"""kill -9 at every step of processing, then restart: every crash is journaled exactly once
(entries counted per KCRASHD_CRASH_ID in a real journald)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kcrashd.config.settings import Config, SourcesConfig, StateConfig
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sinks.journal import MESSAGE_ID, SystemdJournal
from kcrashd.sources.units import scan_all
from kcrashd.store.database import Store
from tests.daemon.conftest import DaemonProcess, NotifySocket, python
from tests.daemon.dumps import LOG_NAMES, log_bytes, write_rhel
from tests.daemon.kill_hook import STEPS, KillHook
from tests.fixtures.journal_double import RecordingJournal
from tests.fixtures.journald import Journald

pytestmark = pytest.mark.journal
CRASHES = 9
LAUNCHER = Path(__file__).with_name("kill_launcher.py")


def make_backlog(root: Path, count: int = CRASHES) -> None:
    root.mkdir()
    for i in range(count):
        # 9 crashes, 5 fingerprints: recurrences and counts are exercised too
        write_rhel(root, f"10.9.0.{i}-2024-05-01-10:00:{i:02d}", log_bytes(LOG_NAMES[i % 5]))


def child_scan(config: Config, spec: str | None) -> None:
    """In a forked child: what `kcrashd scan` does, with the kill hook armed."""
    code = 1
    try:
        store = Store(config.state.state_dir)
        lock = StateLock(config.state.state_dir)
        pipeline = Pipeline(config, store, SystemdJournal(), lock, on_step=KillHook(spec))
        pipeline.recover()
        for unit in scan_all(config.sources):
            pipeline.handle(unit)
        code = 0
    finally:
        os._exit(code)


def run_child(config: Config, spec: str | None) -> int:
    pid = os.fork()
    if pid == 0:
        child_scan(config, spec)
    _, status = os.waitpid(pid, 0)
    return status


def count_entries(journald: Journald, root: Path) -> Counter[str]:
    entries = journald.entries(MESSAGE_ID=MESSAGE_ID)
    return Counter(e["KCRASHD_CRASH_ID"] for e in entries if e.get("KCRASHD_DUMP_DIR", "").startswith(str(root) + "/"))


@pytest.mark.parametrize("step", range(1, len(STEPS) + 1), ids=lambda s: f"step-{s}-{STEPS[s - 1]}")
def test_kill_at_every_step(journald: Journald, tmp_path: Path, step: int) -> None:
    root = tmp_path / "crash"
    make_backlog(root)
    config = Config(sources=SourcesConfig(dump_paths=[root], pstore=False), state=StateConfig(state_dir=tmp_path / "state"))
    # before recording (steps 1-2) a killed crash is simply redone, so let each child finish one first
    spec = f"step-{step}:{2 if step <= 2 else 1}"
    kills = 0
    for _ in range(CRASHES):
        status = run_child(config, spec)
        if os.WIFSIGNALED(status):
            assert os.WTERMSIG(status) == signal.SIGKILL
            kills += 1
    assert kills >= CRASHES - 1
    assert run_child(config, None) == 0
    counts = count_entries(journald, root)
    assert len(counts) == CRASHES, counts
    assert set(counts.values()) == {1}, counts
    store = Store(config.state.state_dir)
    assert store.pending() == []
    assert store.counts()["crashes"] == CRASHES
    store.close()


def test_kill_the_real_daemon(journald: Journald, tmp_path: Path, start_daemon, notify_socket: NotifySocket) -> None:  # type: ignore[no-untyped-def]
    """`kcrashd run` killed by SIGKILL at each step, then restarted: nothing lost, nothing twice."""
    root = tmp_path / "crash"
    make_backlog(root, 3)
    state = tmp_path / "state"
    args = ["--dump-path", str(root), "--state-dir", str(state), "--pstore-path", str(tmp_path / "none")]
    for step in range(1, len(STEPS) + 1):
        proc: DaemonProcess = start_daemon(*args, command=[python(), str(LAUNCHER), f"step-{step}"])
        assert proc.proc.wait(timeout=30) == -signal.SIGKILL, proc.output()
        proc.stop()
    final: DaemonProcess = start_daemon(*args, env={"NOTIFY_SOCKET": str(notify_socket.path)})
    assert notify_socket.wait_for("READY=1"), final.output()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(count_entries(journald, root)) < 3:
        time.sleep(0.1)
    assert final.stop() == 0
    counts = count_entries(journald, root)
    assert len(counts) == 3 and set(counts.values()) == {1}, (counts, final.output())


class Receiver:
    """A webhook receiver on 127.0.0.1 counting the alerts posted to it (stopped by the test)."""

    def __init__(self) -> None:
        bodies = self.bodies = []  # type: list[bytes]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver")
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def wait_until(done: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.1)
    return False


def test_lost_wal_is_recovered_through_the_journal(
    journald: Journald, tmp_path: Path, start_daemon, notify_socket: NotifySocket  # type: ignore[no-untyped-def]
) -> None:
    """state.db-wal deleted while the daemon runs, then kill -9: the database has lost its newest
    crashes, the journal has them. On restart they are found in the journal and recorded as
    journaled: each crash has one entry and was paged once."""
    root = tmp_path / "crash"
    root.mkdir()
    now = datetime.now()
    for i in range(2):  # recent crashes: they page
        write_rhel(root, f"10.9.1.{i}-{now:%Y-%m-%d-%H:%M}:{i:02d}", log_bytes(LOG_NAMES[i]))
    state = tmp_path / "state"
    receiver = Receiver()
    try:
        config = tmp_path / "kcrashd.toml"
        config.write_text(f'[[alerts.targets]]\ntype = "webhook"\nname = "ops"\nurl = "{receiver.url}"\n')
        args = ["--config", str(config), "--dump-path", str(root), "--state-dir", str(state), "--pstore-path", str(tmp_path / "none")]
        first: DaemonProcess = start_daemon(*args)
        assert wait_until(lambda: len(count_entries(journald, root)) == 2 and len(receiver.bodies) == 2), first.output()
        (state / "state.db-wal").unlink()
        first.proc.kill()
        first.proc.wait()
        second: DaemonProcess = start_daemon(*args, env={"NOTIFY_SOCKET": str(notify_socket.path)})
        assert notify_socket.wait_for("READY=1"), second.output()
        # idle after the backlog: a STATUS= follows READY (a journaled dump may stay scheduled for
        # a late vmcore, so "0 waiting" is not the sign); then time for the alert thread to send
        assert wait_until(lambda: len(notify_socket.drain()) > 1), second.output()
        time.sleep(2)
        assert second.stop() == 0
    finally:
        receiver.close()
    counts = count_entries(journald, root)
    assert len(counts) == 2 and set(counts.values()) == {1}, (counts, second.output())
    assert len(receiver.bodies) == 2, second.output()
    assert "does not know the newest crash in the journal" in second.output()
    store = Store(state)
    assert store.counts()["crashes"] == 2 and store.pending() == []
    store.close()


def test_the_database_is_checked_against_the_newest_journal_entry(tmp_path: Path) -> None:
    """Trusted when it knows the journal's newest crash, or when that dump is gone (the retention
    pass may have forgotten it); else dumps are looked up in the journal before anything is sent."""
    root = tmp_path / "crash"
    make_backlog(root, 2)
    config = Config(sources=SourcesConfig(dump_paths=[root], pstore=False), state=StateConfig(state_dir=tmp_path / "state"))
    journal = RecordingJournal()
    store, lock = Store(config.state.state_dir), StateLock(config.state.state_dir)
    try:
        pipeline = Pipeline(config, store, journal, lock, clock=lambda: 2e9)
        store.conn.execute("DELETE FROM history_meta")  # not a fresh database
        store.rebuilt_at = None
        units = list(scan_all(config.sources))
        assert pipeline.handle(units[0]).action == "journaled"
        assert not pipeline.check_state() and store.rebuilt_at is None  # it knows the newest entry
        journal.entries.append({**journal.entries[0], "KCRASHD_CRASH_ID": "0" * 32, "KCRASHD_DUMP_DIR": str(tmp_path / "gone")})
        assert not pipeline.check_state() and store.rebuilt_at is None  # that dump is gone
        journal.entries.append({**journal.entries[0], "KCRASHD_CRASH_ID": "1" * 32, "KCRASHD_DUMP_DIR": str(units[1].path)})
        assert pipeline.check_state() and store.rebuilt_at == 2e9  # the database lost it
    finally:
        store.close()
        lock.close()
