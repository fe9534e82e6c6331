"""Verbs about how crashes are grouped: `similar` (stored crashes ranked by stack similarity).

Like `list` and `info`, they open the state database read-only and take `--config`,
`--state-dir` and `--json`; a crash is named by id, unique id prefix, dump folder or folder name
(kcrashd.cli.crash_names)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from kcrashd.cli import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from kcrashd.cli.crash_names import CrashNameError, resolve_crash
from kcrashd.cli.history import history_of
from kcrashd.neighbours import Neighbour, similar_crashes, stored_stacks
from kcrashd.terminal import format_table, terminal_width

SIMILAR_HEADINGS = ("SCORE", "ID", "HOST", "DUMP FOLDER", "FINGERPRINT")
SHORT_ID = 12


def register(verbs: argparse._SubParsersAction[Any]) -> None:
    """Add this module's verbs to the command line."""
    similar = verbs.add_parser(
        "similar",
        help="stored crashes ranked by stack similarity to one crash",
        description="Stored crashes ranked by how alike their stacks are to the crash ID's (0 to 1; docs/grouping.md).",
    )
    similar.add_argument("--config", type=Path, default=None, metavar="FILE")
    similar.add_argument("--state-dir", type=Path, default=None, metavar="DIR")
    similar.add_argument("--json", action="store_true", help="print JSON")
    similar.add_argument("-n", "--limit", type=int, default=10, metavar="N", help="at most N crashes (default 10)")
    similar.add_argument("what", metavar="ID", help="crash id, unique prefix, dump folder or its name")
    similar.set_defaults(func=cmd_similar)


def neighbour_json(item: Neighbour) -> dict[str, Any]:
    crash = item.crash
    return {
        "crash_id": crash.crash_id,
        "host": crash.host,
        "dump_dir": crash.dump_dir,
        "folder": os.path.basename(crash.dump_dir),
        "fingerprint": crash.fingerprint,
        "score": round(item.score, 3),
    }


def cmd_similar(args: argparse.Namespace) -> int:
    if args.limit < 1:
        print("kcrashd: --limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    conn = history_of(args)
    if isinstance(conn, int):
        return conn
    try:
        crash_id = resolve_crash(conn, args.what)
        stored = stored_stacks(conn)
    except CrashNameError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    finally:
        conn.close()
    query = next((crash for crash in stored if crash.crash_id == crash_id), None)
    ranked = [] if query is None else similar_crashes(stored, query.stack, args.limit, exclude=crash_id)
    if query is None:
        print(f"kcrashd: crash {crash_id} has no stack to compare", file=sys.stderr)
    if args.json:
        print(json.dumps({"crash_id": crash_id, "similar": [neighbour_json(item) for item in ranked]}, indent=1))
        return EXIT_OK
    table: list[tuple[str, ...]] = [SIMILAR_HEADINGS]
    for item in ranked:
        crash = item.crash
        folder = os.path.basename(crash.dump_dir)  # format_table escapes every cell
        table.append((f"{item.score:.3f}", crash.crash_id[:SHORT_ID], crash.host, folder, crash.fingerprint or "-"))
    if len(table) == 1:
        print("No similar crash.", file=sys.stderr)
        return EXIT_OK
    print("".join(line + "\n" for line in format_table(table, terminal_width())), end="")
    return EXIT_OK
