"""The path of one crash folder through kcrashd (docs/architecture.md, "the path of one crash"):
how many times control enters another module ("stops"), in how many modules, and how many of those
entries climb back up the layers (a lower part calling a higher one).

    python bench/crash_path.py DUMP_FOLDER [-v]

One `scan_once` of the folder with one webhook target (nothing is sent: the alert thread does not
run in a scan), traced with sys.setprofile after a first, untraced run has warmed the imports.
Modules of the core count as one (`kcrashd.core`)."""

from __future__ import annotations

import collections
import shutil
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

# Higher runs later and may call lower; an entry from a lower part into a higher one climbs back up.
RANK = {"daemon": 9, "pipeline": 8, "retriage": 8, "sinks.alerting": 6, "sinks": 5, "store": 5, "sources": 5,
        "triage": 3, "model": 2, "config": 2, "core": 0}  # fmt: skip


def part(module: str) -> str:
    rest = module.removeprefix("kcrashd.")
    if rest.startswith("sinks.alerting"):
        return "sinks.alerting"
    return rest.split(".", 1)[0]


def module_of(frame: FrameType | None) -> str | None:
    name = str(frame.f_globals.get("__name__", "")) if frame is not None else ""
    if not name.startswith("kcrashd"):
        return None
    return "kcrashd.core" if name.startswith("kcrashd.core") else name


def trace(folder: Path) -> list[tuple[str, str, str]]:
    from kcrashd.config.alerting import AlertsConfig
    from kcrashd.config.settings import Config, SourcesConfig, StateConfig
    from kcrashd.daemon.service import scan_once
    from tests.fixtures.journal_double import RecordingJournal

    root = Path(tempfile.mkdtemp())
    shutil.copytree(folder, root / "crash" / folder.name)
    alerts = {"targets": [{"name": "wh", "type": "webhook", "url": "http://127.0.0.1:9/h"}], "machine_id_path": "/nonexistent"}
    cfg = Config(sources=SourcesConfig(dump_paths=[root / "crash"], pstore=False), state=StateConfig(state_dir=root / "state"),
                 alerts=AlertsConfig.model_validate(alerts))  # fmt: skip
    scan_once(cfg, RecordingJournal())
    shutil.rmtree(root / "state")
    enters: list[tuple[str, str, str]] = []

    def prof(frame: FrameType, event: str, _arg: Any) -> None:
        mod = module_of(frame)
        if event != "call" or mod is None:
            return
        back = frame.f_back
        while back is not None and module_of(back) is None:
            back = back.f_back
        caller = module_of(back)
        if caller is not None and caller != mod:
            enters.append((mod, frame.f_code.co_name, caller))

    sys.setprofile(prof)
    try:
        scan_once(cfg, RecordingJournal())
    finally:
        sys.setprofile(None)
        shutil.rmtree(root)
    return enters


def main(argv: list[str]) -> int:
    enters = trace(Path(argv[0]))
    climbs = [e for e in enters if RANK.get(part(e[0]), 4) > RANK.get(part(e[2]), 4)]
    print("stops", len(enters), "modules", len({e[0] for e in enters}), "climbs back up", len(climbs))
    print("entered per module", dict(collections.Counter(e[0] for e in enters).most_common()))
    if "-v" in argv:
        for e in enters:
            print(*e, "  <-- climbs up" if e in climbs else "")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
