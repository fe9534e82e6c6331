"""Verbs about how crashes are grouped: `similar` (stored crashes ranked by stack similarity) and
`group merge|split|list|export` (the operator's merges of fingerprints, kcrashd.store.merges; `export`
writes them as a grouping.d rule file, docs/grouping-rules.md).

They take `--config`, `--state-dir` and `--json` like `list`; `similar` and `group list` open the
state database read-only; a crash is named by id, unique id prefix, dump folder or folder name
(kcrashd.cli.crash_names)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from kcrashd.cli import EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from kcrashd.cli.crash_names import CrashNameError, resolve_crash, resolve_fingerprint
from kcrashd.cli.history import history_of, open_history, read_config
from kcrashd.model.terminal import format_table, terminal_width
from kcrashd.store.merges import Merge, has_merges, list_merges, merged_into
from kcrashd.store.neighbours import Neighbour, similar_crashes, stored_stacks

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
    register_group(verbs)


def register_group(verbs: argparse._SubParsersAction[Any]) -> None:
    group = verbs.add_parser("group", help="merge fingerprints that are one bug, split them again")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    merge = actions.add_parser(
        "merge", help="FP_B (and what was merged into it) becomes part of FP_A's group; a crash's name stands for its fingerprint"
    )
    merge.add_argument("into", metavar="FP_A|ID")
    merge.add_argument("alias", metavar="FP_B|ID")
    split = actions.add_parser("split", help="undo merges: FP leaves its group, or a group's key lets all go")
    split.add_argument("fingerprint", metavar="FP|ID")
    shown = actions.add_parser("list", help="the merges of this state")
    export = actions.add_parser("export", help="the merges of this state as a grouping.d rule file (for other hosts)")
    export.add_argument("--output", type=Path, default=None, metavar="FILE", help="write it there (default: print it)")
    for parser in (merge, split, shown, export):
        parser.add_argument("--config", type=Path, default=None, metavar="FILE")
        parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR")
        parser.add_argument("--json", action="store_true", help="print JSON")
    merge.set_defaults(func=cmd_group_change)
    split.set_defaults(func=cmd_group_change)
    shown.set_defaults(func=cmd_group_list)
    export.set_defaults(func=cmd_group_export)


def cmd_group_change(args: argparse.Namespace) -> int:
    """`group merge` and `group split`: one transaction, then one journal entry."""
    from kcrashd.store.database import Store, StoreError, transaction
    from kcrashd.store.merges import MergeError, merge, split

    config = read_config(args)
    if config is None:
        return EXIT_USAGE
    try:
        store = Store(config.state.state_dir)
    except StoreError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        with transaction(store.conn) as conn:
            if args.action == "merge":
                into, alias = resolve_fingerprint(conn, args.into), resolve_fingerprint(conn, args.alias)
                changed = merge(conn, into, alias, time.time())
                target = merged_into(conn, alias) or into
            else:  # an alias is split from its group; a group's key from its members
                fingerprint = resolve_fingerprint(conn, args.fingerprint)
                target = merged_into(conn, fingerprint) or fingerprint
                changed = split(conn, fingerprint)
    except (MergeError, CrashNameError) as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    finally:
        store.close()
    journaled = journal_change(args.action, target, changed)
    undo = f"kcrashd group split {changed[0]}" if args.action == "merge" else f"kcrashd group merge {target} {changed[0]}"
    if args.json:
        print(json.dumps({"action": args.action, "fingerprint": target, "aliases": changed, "journaled": journaled}))
    else:
        what = "merged into" if args.action == "merge" else "split from"
        print(f"{' '.join(changed)} {what} {target} (undo: {undo})")
    return EXIT_OK


def journal_change(action: str, fingerprint: str, aliases: list[str]) -> bool:
    """The change's journal entry; a warning (the change stands) when journald cannot take it."""
    from kcrashd.sinks.journal import SystemdJournal

    try:
        SystemdJournal().send_grouping(action, fingerprint, aliases)
    except (OSError, ImportError) as exc:
        print(f"kcrashd: warning: the change was made but not journaled: {exc}", file=sys.stderr)
        return False
    return True


def cmd_group_list(args: argparse.Namespace) -> int:
    conn = history_of(args)
    if isinstance(conn, int):
        return conn
    try:
        merges = list_merges(conn) if has_merges(conn) else []
    finally:
        conn.close()
    if args.json:
        print(json.dumps([{"alias": m.alias, "fingerprint": m.fingerprint, "merged_at": m.merged_at} for m in merges]))
        return EXIT_OK
    if not merges:
        print("No merged fingerprints.", file=sys.stderr)
        return EXIT_OK
    table = [("FINGERPRINT", "ALIAS", "MERGED")]
    table += [(m.fingerprint, m.alias, datetime.fromtimestamp(m.merged_at).astimezone().isoformat(timespec="seconds")) for m in merges]
    print("".join(line + "\n" for line in format_table(table, terminal_width())), end="")
    return EXIT_OK


def merge_rules(merges: list[Merge]) -> list[dict[str, Any]]:
    """Each merge as a fingerprint override: a crash keyed as (or aliased to) the alias gets the
    group's key, as `Store.known_key` files it here."""
    return [
        {"name": f"merge {m.alias} into {m.fingerprint}", "match": {"fingerprint": [m.alias]}, "fingerprint": m.fingerprint}
        for m in merges
    ]


def rule_file_text(rules: list[dict[str, Any]], state_dir: Path) -> str:
    """The overrides as a grouping.d file (JSON strings are TOML basic strings)."""
    out = [
        f"# Written by `kcrashd group export` from the merges of {state_dir}.",
        "# Put it in the grouping.d folder of another host (docs/grouping-rules.md) to group as this one does.",
    ]
    for rule in rules:
        alias = json.dumps(rule["match"]["fingerprint"][0])
        out += ["", "[[override]]", f"name = {json.dumps(rule['name'])}", f"match = {{ fingerprint = [{alias}] }}",
                f"fingerprint = {json.dumps(rule['fingerprint'])}"]  # fmt: skip
    return "\n".join(out) + "\n"


def cmd_group_export(args: argparse.Namespace) -> int:
    """`group export`: the merges as a rule file, printed or written to --output (atomically)."""
    config = read_config(args)
    conn = None if config is None else open_history(config)
    if config is None or conn is None:
        return EXIT_USAGE if config is None else EXIT_NOT_FOUND
    try:
        rules = merge_rules(list_merges(conn) if has_merges(conn) else [])
    finally:
        conn.close()
    text = rule_file_text(rules, config.state.state_dir)
    if args.output is not None:
        try:
            write_atomically(args.output, text)
        except OSError as exc:
            print(f"kcrashd: {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILURE
    if args.json:
        print(json.dumps({"file": None if args.output is None else str(args.output), "override": rules}, indent=1))
    elif args.output is None:
        print(text, end="")
    else:
        print(f"{len(rules)} merge(s) written to {args.output}", file=sys.stderr)
    return EXIT_OK


def write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


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
