"""kill -9 at every step of processing, then restart: every crash is journaled exactly once
(entries counted per KCRASHD_CRASH_ID in a real journald)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from kcrashd.config import Config, SourcesConfig, StateConfig
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sinks.journal import MESSAGE_ID, SystemdJournal
from kcrashd.sources import scan_all
from kcrashd.store import Store
from tests.daemon.conftest import DaemonProcess, NotifySocket, python
from tests.daemon.dumps import LOG_NAMES, log_bytes, write_rhel
from tests.daemon.kill_hook import STEPS, KillHook
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
