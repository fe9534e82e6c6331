"""`kcrashd list --journal-dir DIR` and `kcrashd info --journal-dir DIR`: the fleet read of a
journal directory (a systemd-journal-remote collector's, or copies of several hosts' journals),
one row per fingerprint (docs/fleet.md).

journalctl reads the files (it knows every journal file format and skips corrupt ones) and
prints only the fields a fleet read needs, as JSON lines; kcrashd/model/spread.py folds them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kcrashd.cli import EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from kcrashd.model.spread import FIELDS, BugSummary, CrashEntry, entry_from_fields, summarize, unique
from kcrashd.model.terminal import escape_text, format_table, show, terminal_width
from kcrashd.sinks.journal import MESSAGE_ID

# FIELD=VALUE matches a fleet read passes to journalctl as KCRASHD_FIELD=VALUE
JOURNAL_MATCHES = (
    "KIND",
    "HOST",
    "KERNEL",
    "FINGERPRINT",
    "TITLE",
    "FUNCTION",
    "SEVERITY",
    "CRASH_ID",
    "ARCH",
)
Verb = Callable[[argparse.Namespace], int]
Fold = Callable[[Iterable[CrashEntry]], list[Any]]


class JournalReadError(Exception):
    """journalctl could not read a directory; the message says which and why."""


def hook(parser: argparse.ArgumentParser, fleet_verb: Verb) -> None:
    """Give `list`/`info` the --journal-dir option: with it, `fleet_verb` runs instead."""
    parser.add_argument(
        "--journal-dir", type=Path, action="append", default=None, metavar="DIR",
        help="read kcrashd entries from this journal directory (repeatable) and summarise by fingerprint",
    )  # fmt: skip
    if fleet_verb is cmd_list_journal and "--all" not in parser._option_string_actions:
        parser.add_argument("--all", action="store_true", help="with --journal-dir: one row per crash")
    local_verb: Verb = parser.get_default("func")

    def route(args: argparse.Namespace) -> int:
        return fleet_verb(args) if args.journal_dir else local_verb(args)

    parser.set_defaults(func=route)


def journal_matches(words: list[str]) -> list[str] | str:
    """FIELD=VALUE words as journalctl matches, or an error message."""
    matches = []
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or name not in JOURNAL_MATCHES:
            return f"bad match {word!r}: with --journal-dir use FIELD=VALUE with FIELD one of {', '.join(JOURNAL_MATCHES)}"
        matches.append(f"KCRASHD_{name}={value}")
    return matches


def read_journal(directory: Path, matches: list[str]) -> Iterator[CrashEntry]:
    """The kcrashd crash entries of one journal directory, streamed from journalctl."""
    if not directory.is_dir():
        raise JournalReadError(f"{directory}: not a directory")
    command = ["journalctl", "--no-pager", "-q", "-o", "json", f"--output-fields={','.join(FIELDS)}",
               "-D", str(directory), f"MESSAGE_ID={MESSAGE_ID}", *matches]  # fmt: skip
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise JournalReadError(f"cannot run journalctl: {exc.strerror}") from None
    assert proc.stdout is not None and proc.stderr is not None
    with proc:
        for line in proc.stdout:
            try:
                fields = json.loads(line)
            except ValueError:
                continue
            entry = entry_from_fields(fields) if isinstance(fields, dict) else None
            if entry is not None:
                yield entry
        problem = proc.stderr.read().decode(errors="replace").strip()
    if proc.returncode not in (0, 1):  # 1: no entries matched
        raise JournalReadError(f"{directory}: journalctl failed: {problem or proc.returncode}")


def read_entries(args: argparse.Namespace, words: list[str]) -> Iterator[CrashEntry] | str:
    """Every crash under the --journal-dir directories within --since/--until, once each,
    streamed (a summary never holds all entries); or an error message."""
    from kcrashd.cli.history import parse_time

    matches = journal_matches(words)
    if isinstance(matches, str):
        return matches
    bounds: list[datetime | None] = []
    for flag in ("since", "until"):
        raw = getattr(args, flag, None)
        try:
            bounds.append(parse_time(raw) if raw else None)
        except ValueError:
            return f"--{flag}: cannot parse {raw!r}"
    since, until = bounds
    found = (entry for directory in args.journal_dir for entry in read_journal(directory, matches))
    return (
        entry for entry in unique(found)
        if (since is None or entry.crash_time >= since) and (until is None or entry.crash_time <= until)
    )  # fmt: skip


def rows_or_exit(args: argparse.Namespace, words: list[str], fold: Fold) -> list[Any] | int:
    """The entries folded into rows (summaries, or the crashes themselves), or an exit code."""
    try:
        entries = read_entries(args, words)
        if isinstance(entries, str):
            print(f"kcrashd: {entries}", file=sys.stderr)
            return EXIT_USAGE
        rows = fold(entries)
    except JournalReadError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if not rows:
        print("No crashes found.", file=sys.stderr)
        return EXIT_NOT_FOUND
    return rows


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%a %Y-%m-%d %H:%M:%S %Z")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def bug_json(bug: BugSummary) -> dict[str, Any]:
    return {
        "title": bug.title, "kind": bug.kind, "hosts": len(bug.hosts), "count": bug.count,
        "first": iso(bug.first), "last": iso(bug.last), "kernels": sorted(bug.kernels),
        "fingerprint": bug.fingerprint, "host_names": sorted(bug.hosts),
    }  # fmt: skip


def crash_json(entry: CrashEntry) -> dict[str, Any]:
    return {
        "time": iso(entry.crash_time), "host": entry.host, "kernel": entry.kernel, "kind": entry.kind,
        "title": entry.title, "fingerprint": entry.fingerprint, "crash_id": entry.crash_id,
    }  # fmt: skip


def cmd_list_journal(args: argparse.Namespace) -> int:
    fold: Fold = (lambda entries: sorted(entries, key=lambda e: e.crash_time)) if args.all else summarize
    rows = rows_or_exit(args, args.matches, fold)
    if isinstance(rows, int):
        return rows
    table: list[tuple[str, ...]]
    if args.reverse:
        rows.reverse()
    if args.one:
        rows = rows[:1] if args.reverse else rows[-1:]
    if args.json:
        print(json.dumps([crash_json(row) if args.all else bug_json(row) for row in rows], indent=1))
        return EXIT_OK
    if args.all:
        table = [("TIME", "HOST", "KERNEL", "KIND", "TITLE", "FINGERPRINT")]
        table += [
            (local_time(e.crash_time), e.host, e.kernel, e.kind, e.title[:70], e.fingerprint) for e in rows
        ]
    else:
        table = [("TITLE", "KIND", "HOSTS", "COUNT", "FIRST", "LAST", "KERNELS", "FINGERPRINT")]
        table += [
            (b.title[:60], b.kind, str(len(b.hosts)), str(b.count), local_time(b.first), local_time(b.last),
             ",".join(sorted(b.kernels)), b.fingerprint)
            for b in rows
        ]  # fmt: skip
    if getattr(args, "no_legend", False):
        table = table[1:]
    lines = format_table(table, terminal_width())
    show("".join(line + "\n" for line in lines), pager=not getattr(args, "no_pager", False))
    return EXIT_OK


def cmd_info_journal(args: argparse.Namespace) -> int:
    """One fingerprint (or a crash's fingerprint, by id or prefix) over the fleet, host by host."""
    words = [w for w in args.what if "=" in w]
    entries = rows_or_exit(args, words, list)
    if isinstance(entries, int):
        return entries
    wanted = [w for w in args.what if "=" not in w]
    chosen = [
        e
        for e in entries
        if all(e.fingerprint.startswith(w) or e.crash_id.startswith(w.lower()) for w in wanted)
    ]
    fingerprints = {e.fingerprint for e in chosen}
    bugs = summarize(e for e in entries if e.fingerprint in fingerprints)
    if not bugs:
        print("No crash matches " + " ".join(map(repr, args.what)) + ".", file=sys.stderr)
        return EXIT_NOT_FOUND
    bug = bugs[-1]
    if args.json:
        print(json.dumps({**bug_json(bug), "per_host": bug.hosts, "matches": len(bugs)}, indent=1))
        return EXIT_OK
    if len(bugs) > 1:
        print(f"({len(bugs)} fingerprints match; showing the most recent. Narrow it down.)")
    print(render_bug(bug))
    return EXIT_OK


def render_bug(bug: BugSummary) -> str:
    e = escape_text
    lines = [
        f"      Title: {e(bug.title)}",
        f"       Kind: {e(bug.kind)}",
        f"Fingerprint: {e(bug.fingerprint)}",
        f"    Crashes: {bug.count} on {len(bug.hosts)} host(s)",
        f" First seen: {local_time(bug.first)}",
        f"  Last seen: {local_time(bug.last)}",
        f"    Kernels: {e(', '.join(sorted(bug.kernels)))}",
        "",
        "Hosts:",
    ]
    lines += [
        f"    {e(host)}: {count}"
        for host, count in sorted(bug.hosts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return "\n".join(lines)
