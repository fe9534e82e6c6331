"""The symlink swap race, thousands of times (prints numbers; nothing here asserts a time).

A dump folder and a symlink to a folder of secrets are exchanged (renameat2 RENAME_EXCHANGE) by a
thread while the pipeline scans and reads the dump path (tests/daemon/swap.py). Prints how many
iterations had zero reads outside the dump path (inotify on the secret folder), how many met the
swap, whether any entry, state row or log line holds the secret, and entries per folder.

    .venv/bin/python bench/folder_swap.py [--iterations 5000] [--seconds 300]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kcrashd.config.settings import Config, SourcesConfig, StateConfig  # noqa: E402
from kcrashd.model.crash import CrashRecord  # noqa: E402
from kcrashd.pipeline import Pipeline, StateLock  # noqa: E402
from kcrashd.sinks import SENT, Outcome  # noqa: E402
from kcrashd.sinks.journal import journal_fields  # noqa: E402
from kcrashd.store.database import Store  # noqa: E402
from tests.daemon.swap import SECRET, RaceStats, can_exchange, race  # noqa: E402


class Entries:
    """The fields each entry would have had in the journal, kept in memory."""

    def __init__(self) -> None:
        self.entries: list[dict[str, str]] = []

    def send(self, record: CrashRecord) -> Outcome:
        self.entries.append({key: str(value) for key, value in journal_fields(record).items() if value is not None})
        return SENT

    def sync(self) -> bool:
        return True

    def sent(self, crash_ids: list[str]) -> set[str]:
        return {entry["KCRASHD_CRASH_ID"] for entry in self.entries} & set(crash_ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=300.0)
    args = parser.parse_args()
    reason = can_exchange()
    if reason:
        raise SystemExit(f"cannot race: {reason}")
    lines = io.StringIO()
    logging.basicConfig(stream=lines, level=logging.INFO)
    with tempfile.TemporaryDirectory(prefix="kcrashd-swap-") as tmp:
        base = Path(tmp) / "race"
        base.mkdir()
        sources = SourcesConfig(dump_paths=[base], pstore=False)
        config = Config(sources=sources, state=StateConfig(state_dir=Path(tmp) / "state"))
        store = Store(config.state.state_dir)
        lock = StateLock(config.state.state_dir)
        journal = Entries()
        pipeline = Pipeline(config, store, journal, lock)
        started = time.monotonic()
        try:
            stats = race(pipeline, sources, base, iterations=args.iterations, seconds=args.seconds,
                         progress=lambda s: print("  ...", s.line(), flush=True))  # fmt: skip
            rows = store.conn.execute("SELECT dump_dir, host, title, record_json FROM crashes").fetchall()
        finally:
            store.close()
            lock.close()
        report(stats, journal, rows, lines.getvalue(), time.monotonic() - started)


def report(stats: RaceStats, journal: Entries, rows: list[object], log_text: str, took: float) -> None:
    per_root: dict[str, int] = {}
    for entry in journal.entries:
        root = entry["KCRASHD_DUMP_DIR"].rpartition("/")[0]
        per_root[root] = per_root.get(root, 0) + 1
    counts = [per_root.get(str(root), 0) for root in stats.roots]
    print(f"swap race: {stats.line()} in {took:.1f} s")
    print(f"  iterations with any outside read: {stats.outside_reads}")
    print(f"  secret in entries: {sum(SECRET in json.dumps(e) for e in journal.entries)}, "
          f"in state rows: {sum(SECRET in str(tuple(r)) for r in rows)}, in log lines: {log_text.count(SECRET)}")  # type: ignore[arg-type]  # fmt: skip
    print(f"  entries per folder: exactly one for {counts.count(1)}, none for {counts.count(0)}, "
          f"more for {sum(c > 1 for c in counts)}")  # fmt: skip


if __name__ == "__main__":
    main()
