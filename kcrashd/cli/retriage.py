"""`kcrashd retriage`: re-run the current rules on the logs the state keeps and show (or, without
`--dry-run`, apply) which crashes move between fingerprints (kcrashd.retriage, docs/grouping.md).

Exit 0 whether or not any crash moves. `--dry-run` opens the state read-only; applying holds the
state directory's lock (as `scan` does), changes the state in one transaction and journals one
entry."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kcrashd.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from kcrashd.cli.history import grouping_rules_of, history_of, parse_time, read_config
from kcrashd.model.terminal import escape_text, format_table, terminal_width

if TYPE_CHECKING:
    import sqlite3

    from kcrashd.config.settings import Config
    from kcrashd.core.operator_rules import OperatorRules
    from kcrashd.retriage import Move, Retriage
    from kcrashd.store.crash_logs import StoredCrash
    from kcrashd.store.merges import Merge

HEADINGS = ("OLD", "NEW", "ID", "HOST", "DUMP FOLDER", "THEN")
SHORT_ID = 12


def register(verbs: argparse._SubParsersAction[Any]) -> None:
    """Add the `retriage` verb."""
    p = verbs.add_parser(
        "retriage",
        help="re-run the current rules on the kept logs: which crashes move between fingerprints",
        description="Re-run triage with the current rules on the logs kept in the state and show which crashes move "
        "between fingerprints; without --dry-run, link the new keys with the old so history, counts and tickets follow.",
    )
    p.add_argument("--config", type=Path, default=None, metavar="FILE")
    p.add_argument("--state-dir", type=Path, default=None, metavar="DIR")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--dry-run", action="store_true", help="only show the moves; change nothing")
    p.add_argument("--since", default=None, metavar="TIME", help="only crashes since TIME (as `list --since`)")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="N logs at once (default: one per core)")
    p.set_defaults(func=cmd_retriage)


def cmd_retriage(args: argparse.Namespace) -> int:
    from kcrashd.triage.pool import usable_cores

    config = read_config(args)
    if config is None:
        return EXIT_USAGE
    rules = grouping_rules_of(args)  # the operator's grouping rules: part of the current rules
    if isinstance(rules, int):
        return rules
    try:
        since = None if args.since is None else parse_time(args.since).timestamp()
    except ValueError:
        print(f"kcrashd: --since: cannot parse {args.since!r}", file=sys.stderr)
        return EXIT_USAGE
    jobs = usable_cores() if args.jobs is None else args.jobs
    if jobs < 1:
        print("kcrashd: --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    conn = history_of(args)  # no state database (or none readable): said, exit 3; never created here
    if isinstance(conn, int):
        return conn
    if args.dry_run:
        found = dry_run(conn, rules, jobs, since)
        links: list[Merge] = []
    else:
        conn.close()
        done = apply_retriage(config, rules, jobs, since)
        if isinstance(done, int):
            return done
        found, links = done
    journaled = bool(found.moves) and not args.dry_run and journal(found, links)
    show(found, links, args, journaled)
    return EXIT_OK


def dry_run(conn: sqlite3.Connection, rules: OperatorRules, jobs: int, since: float | None) -> Retriage:
    """The moves, from the state read-only."""
    from kcrashd.retriage import retriage, retriage_analyzer

    try:
        return retriage(conn, retriage_analyzer(rules), jobs=jobs, since=since)
    finally:
        conn.close()


def apply_retriage(config: Config, rules: OperatorRules, jobs: int, since: float | None) -> tuple[Retriage, list[Merge]] | int:
    """Find and apply the moves under the state's lock (the daemon records nothing meanwhile)."""
    from kcrashd.pipeline import StateLock
    from kcrashd.retriage import apply, retriage, retriage_analyzer
    from kcrashd.store.database import Store, StoreError

    try:
        store = Store(config.state.state_dir)
    except StoreError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    lock = StateLock(config.state.state_dir)
    try:
        with lock.held():
            found = retriage(store.conn, retriage_analyzer(rules), jobs=jobs, since=since)
            return found, apply(store.conn, found, time.time())
    finally:
        lock.close()
        store.close()


def journal(found: Retriage, links: list[Merge]) -> bool:
    """The applied retriage's one journal entry; a warning (the change stands) when journald cannot take it."""
    from kcrashd.sinks.journal import SystemdJournal

    pairs = [(m.alias, m.fingerprint) for m in links]
    try:
        SystemdJournal().send_retriage(len(found.moves), pairs, [m.crash.crash_id for m in found.moves], found.split_off())
    except (OSError, ImportError) as exc:
        print(f"kcrashd: warning: the retriage was applied but not journaled: {exc}", file=sys.stderr)
        return False
    return True


def move_json(move: Move, split: dict[str, list[str]]) -> dict[str, Any]:
    crash = move.crash
    return {"crash_id": crash.crash_id, "host": crash.host, "dump_dir": crash.dump_dir,
            "folder": os.path.basename(crash.dump_dir), "old": move.old, "new": move.new, "computed": move.computed,
            "link": move.old not in split}  # fmt: skip


def crash_json(crash: StoredCrash) -> dict[str, Any]:
    return {"crash_id": crash.crash_id, "host": crash.host, "dump_dir": crash.dump_dir}


def show(found: Retriage, links: list[Merge], args: argparse.Namespace, journaled: bool) -> None:
    split = found.split_off()
    if args.json:
        print(json.dumps({
            "applied": not args.dry_run, "moves": [move_json(m, split) for m in found.moves], "unchanged": found.unchanged,
            "no_log": [crash_json(c) for c in found.no_log], "no_crash": [crash_json(c) for c in found.no_crash],
            "links": [{"alias": m.alias, "fingerprint": m.fingerprint} for m in links], "journaled": journaled,
            "split": [{"fingerprint": old, "split_off": new} for old, new in split.items()],
        }, indent=1))  # fmt: skip
        return
    table = [HEADINGS]
    table += [(m.old, m.new, m.crash.crash_id[:SHORT_ID], m.crash.host, os.path.basename(m.crash.dump_dir),
               "split" if m.old in split else "link") for m in found.moves]  # fmt: skip
    if found.moves:
        print("".join(line + "\n" for line in format_table(table, terminal_width())), end="")
    for what, crashes in (("no log kept", found.no_log), ("no crash found now (left as it is)", found.no_crash)):
        for crash in crashes:
            where = escape_text(f"{crash.host}, {os.path.basename(crash.dump_dir)}")
            print(f"{what}: crash {crash.crash_id[:SHORT_ID]} ({where})")
    verb = "would move" if args.dry_run else "moved"
    print(
        f"kcrashd retriage: {len(found.moves)} crash(es) {verb}, {found.unchanged} unchanged, {len(found.no_log)} with no log kept"
        + "".join(f"; linked {m.alias} to {m.fingerprint}" for m in links)
        + "".join(f"; {'would split' if args.dry_run else 'split'} {', '.join(new)} off {old}" for old, new in split.items()),
        file=sys.stderr,
    )
