"""`kcrashd doctor` compares `daemon.triage_timeout` with the unit's WatchdogSec= (systemctl show)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from kcrashd.cli import doctor
from kcrashd.cli.doctor import CommandResult, Host, Status
from kcrashd.config.settings import Config, DaemonConfig


def shown(watchdog: str) -> Host:
    """A host whose systemd answers `systemctl show kcrashd.service -p WatchdogUSec --value`."""

    def run(argv: Sequence[str]) -> CommandResult | None:
        if list(argv[1:3]) == ["show", "kcrashd.service"] and "WatchdogUSec" in argv:
            return CommandResult(0, watchdog + "\n", "")
        return CommandResult(0, "", "")

    return Host(root=Path("/nonexistent"), run=run)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1min", 60.0), ("1min 30s", 90.0), ("500ms", 0.5), ("2h", 7200.0), ("45s", 45.0),
     ("infinity", None), ("0", None), ("", None), ("1 minute", None), ("60", None)],
)  # fmt: skip
def test_parse_timespan(text: str, seconds: float | None) -> None:
    assert doctor.parse_timespan(text) == seconds


def test_triage_timeout_against_the_units_watchdog() -> None:
    (ok,) = doctor.check_triage_timeout(shown("1min"), Config())
    assert ok.status is Status.OK
    config = Config(daemon=DaemonConfig(triage_timeout=30))
    (warn,) = doctor.check_triage_timeout(shown("1min"), config)
    assert warn.status is Status.WARN and "15 s instead" in warn.summary
    assert doctor.check_triage_timeout(shown("infinity"), config) == []
    assert doctor.check_triage_timeout(Host(root=Path("/nonexistent"), run=lambda argv: None), config) == []
