"""Fixtures of the system tests: the crash lab, the private journald, loopback alert receivers and a
running `kcrashd run`, started once per session (tests/system/chain.py); the timing table.

Order matters: the private journald needs the process's mount namespace before any thread
runs, so the `chain` fixture asks for it first and starts receivers, watchers and guests after.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerting.servers import AM_CONFIG, free_port, stop, wait_ready
from tests.fixtures.journald import Journald, journald  # noqa: F401  (the session fixture)
from tests.lab.fixture import crash_lab  # noqa: F401  (the session fixture)
from tests.system.chain import FULL, Campaign, Receiver, plan
from tests.system.timings import TIMINGS

REPORT = Path(
    os.environ.get("KCRASHD_SYSTEM_REPORT")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "kcrashd-tests"
    / "system-timings.json"
)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS.empty():
        return
    terminalreporter.section("kcrashd system tests: timings" + (" (full matrix)" if FULL else " (CI matrix)"))
    terminalreporter.write_line(TIMINGS.render())
    try:
        TIMINGS.write(REPORT)
        terminalreporter.write_line(f"(also written to {REPORT})")
    except OSError as exc:
        terminalreporter.write_line(f"(could not write {REPORT}: {exc})")


def start_alertmanager(work: Path) -> tuple[str | None, object]:
    """A real Prometheus Alertmanager on 127.0.0.1 (tests/alerting/servers.py's settings), or None."""
    import subprocess

    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        return None, None
    port = free_port()
    (work / "am.yml").write_text(AM_CONFIG)
    log = (work / "am.log").open("wb")
    proc = subprocess.Popen(
        [binary, f"--config.file={work / 'am.yml'}", f"--storage.path={work / 'am-data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_ready(f"http://127.0.0.1:{port}/-/ready", 30, proc)
    return f"http://127.0.0.1:{port}", proc


@pytest.fixture(scope="session")
def chain(journald: Journald, crash_lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:  # noqa: F811
    """Every planned crash, started at once (two guests at a time) against one running daemon."""
    with TIMINGS.stage("setup", "crash lab ingredients (fetch/build or cache)") as note:
        ing = crash_lab.ingredients()
        note["note"] = f"{ing.release} {ing.version}"
    from lab.build import cache_root
    from lab.vm import select_accel

    with TIMINGS.stage("setup", "accelerator (KVM probe or memo)") as note:
        note["note"] = select_accel(ing.vmlinuz, cache_root(), log=lambda _m: None).name
    work = tmp_path_factory.mktemp("system-chain")
    started = time.monotonic()
    am_url, am_proc = start_alertmanager(work)
    TIMINGS.add(
        "setup", "alertmanager start", time.monotonic() - started, "not installed" if am_url is None else ""
    )
    receiver = Receiver(free_port())
    campaign = None
    try:
        campaign = Campaign(crash_lab, journald, work, am_url, receiver)
        campaign.start(plan())
        yield campaign
    finally:
        if campaign is not None:
            code = campaign.close()
            if code not in (0, None):
                print(f"kcrashd run exited {code}:\n{campaign.daemon.output()[-3000:]}")
        receiver.stop()
        if am_proc is not None:
            stop(am_proc)  # type: ignore[arg-type]
