"""Verbs around the crash history: `run` (the daemon), `scan` (once), `list` and `info` (like
coredumpctl). `list` and `info` open the state database read-only; log text is escaped before
it reaches a terminal."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shlex
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from kcrashd.cli import EXIT_DEFERRED, EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, fleet
from kcrashd.cli.crash_names import CrashNameError, resolve_crash
from kcrashd.config.settings import DEFAULT_CONFIG, Config, ConfigError, load_config
from kcrashd.core.model import Frame, Report
from kcrashd.model.crash import CrashRecord
from kcrashd.model.terminal import escape_text, format_table, show, terminal_width
from kcrashd.store.boot_ledger import JOURNAL_LAYOUT, links_of
from kcrashd.store.database import DB_NAME, StoreError
from kcrashd.store.history_reads import (
    MATCH_FIELDS,
    CrashQuery,
    LooseName,
    open_readonly,
    or_default,
    select_crashes,
)

if TYPE_CHECKING:
    import sqlite3

    from kcrashd.core.operator_rules import OperatorRules
    from kcrashd.store.history_reads import StoredCrash

# Decompressors of the wrappers kdump-tools may put around a flattened dump.
UNWRAP = {"gzip": "zcat", "bzip2": "bzcat", "xz": "xzcat", "lz4": "lz4cat"}
MATCH = re.compile(r"^([A-Z_]+)=(.*)$", re.S)


def register(verbs: argparse._SubParsersAction[Any]) -> None:
    """Add this module's verbs to the command line."""
    run = verbs.add_parser("run", help="run the daemon: watch dump paths, journal each new crash once")
    common_daemon(run)
    run.set_defaults(func=cmd_run)
    scan = verbs.add_parser("scan", help="process every finished dump once and exit (safe beside `run`)")
    common_daemon(scan)
    scan.set_defaults(func=cmd_scan)

    lister = verbs.add_parser("list", help="list recorded crashes", description="List recorded crashes, oldest first.")
    common_read(lister)
    lister.add_argument("-r", "--reverse", action="store_true", help="newest first")
    lister.add_argument("-1", dest="one", action="store_true", help="only the most recent crash")
    lister.add_argument("--json", action="store_true", help="print JSON (a list of objects)")
    lister.add_argument("--no-legend", action="store_true", help="no column headings")
    lister.add_argument("--no-pager", action="store_true", help="do not pipe the output into a pager")
    lister.add_argument("matches", nargs="*", metavar="FIELD=VALUE", help="e.g. KIND=oops HOST=web1")
    lister.set_defaults(func=cmd_list)
    fleet.hook(lister, fleet.cmd_list_journal)

    info = verbs.add_parser("info", help="show everything known about a crash")
    common_read(info)
    info.add_argument("--json", action="store_true", help="print the full record as JSON")
    info.add_argument("--no-pager", action="store_true", help="do not pipe the output into a pager")
    info.add_argument("--explain", action="store_true", help="why the crash has its fingerprint (docs/grouping.md)")
    info.add_argument("what", nargs="*", metavar="ID|FINGERPRINT|PATH|FIELD=VALUE")
    info.set_defaults(func=cmd_info)
    fleet.hook(info, fleet.cmd_info_journal)


def common_daemon(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None, metavar="FILE", help=f"configuration (default {DEFAULT_CONFIG})")
    parser.add_argument("--dump-path", type=Path, action="append", default=None, metavar="DIR", help="dump path (repeatable; replaces the configured ones)")
    parser.add_argument("--pstore-path", type=Path, default=None, metavar="DIR", help="systemd-pstore archive")
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR", help="state directory")
    parser.add_argument("--poll", action="store_true", help="poll instead of inotify (network file systems)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def common_read(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None, metavar="FILE")
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR")
    parser.add_argument("--since", default=None, metavar="TIME", help="ISO date/time, 'today', 'yesterday' or -2h/-3d")
    parser.add_argument("--until", default=None, metavar="TIME", help="like --since")


def overrides_of(args: argparse.Namespace) -> dict[str, Any]:
    """Command-line settings over the configuration's. Paths are made absolute: a crash's id
    comes from its folder's path, so `--dump-path crash` and `--dump-path $PWD/crash` must agree."""
    sources: dict[str, Any] = {}
    if getattr(args, "dump_path", None):
        sources["dump_paths"] = [os.path.abspath(p) for p in args.dump_path]
    if getattr(args, "pstore_path", None):
        sources["pstore_path"] = str(args.pstore_path)
    if getattr(args, "poll", False):
        sources["poll"] = True
    result: dict[str, Any] = {"sources": sources} if sources else {}
    if args.state_dir is not None:
        result["state"] = {"state_dir": os.path.abspath(args.state_dir)}
    return result


class JournalLevelFormatter(logging.Formatter):
    """`<N>` syslog prefixes when stderr goes to the journal (systemd sets $JOURNAL_STREAM)."""

    LEVELS: ClassVar[dict[int, int]] = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}

    def format(self, record: logging.LogRecord) -> str:
        return f"<{self.LEVELS.get(record.levelno, 6)}>{super().format(record)}"


def setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalLevelFormatter("%(message)s"))
    else:
        handler.setFormatter(logging.Formatter("kcrashd: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("watchdog").setLevel(logging.WARNING)


def cmd_run(args: argparse.Namespace) -> int:
    from kcrashd.daemon.service import Daemon

    setup_logging(args.verbose)
    try:
        daemon = Daemon(args.config, overrides_of(args))
    except ConfigError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return daemon.run()
    except Exception as exc:  # the last line of defence: say why, then systemd restarts us
        logging.getLogger("kcrashd").critical("kcrashd run failed: %s", exc, exc_info=True)
        return EXIT_FAILURE


def cmd_scan(args: argparse.Namespace) -> int:
    from kcrashd.config.grouping_rules import load_rules
    from kcrashd.daemon.service import scan_once

    setup_logging(args.verbose)
    try:
        config = load_config(args.config, overrides_of(args))
        rules = load_rules(config, args.config)
    except ConfigError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    totals = scan_once(config, rules=rules)
    summary = ", ".join(f"{count} {action}" for action, count in sorted(totals.items())) or "no dumps found"
    print(f"kcrashd scan: {summary}")
    if totals.get("deferred"):
        print(
            f"kcrashd scan: {totals['deferred']} dump(s) could not be processed now (see the errors above); "
            "run `kcrashd scan` again once the cause is fixed, or let `kcrashd run` retry them",
            file=sys.stderr,
        )
        return EXIT_DEFERRED
    return EXIT_OK


# --- reading the history ---------------------------------------------------------------------


def read_config(args: argparse.Namespace) -> Config | None:
    try:
        return load_config(args.config, overrides_of(args))
    except ConfigError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return None


def open_history(config: Config) -> sqlite3.Connection | None:
    """The state database read-only; None (with the reason on stderr) when it cannot be read."""
    path = config.state.state_dir / DB_NAME
    if not path.exists():
        print(
            f"kcrashd: no state database at {path}: nothing was recorded there yet "
            "(is kcrashd.service running? another state directory: --state-dir DIR or --config FILE)",
            file=sys.stderr,
        )
        return None
    try:
        return open_readonly(path)
    except StoreError as exc:
        print(f"kcrashd: cannot read {path}: {exc}", file=sys.stderr)
        return None


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """ISO 8601 (naive = local time), 'now', 'today', 'yesterday', or -N[smhd]."""
    now = now or datetime.now(UTC)
    text = text.strip()
    if text == "now":
        return now
    if text in ("today", "yesterday"):
        day = now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        return day - timedelta(days=1) if text == "yesterday" else day
    rel = re.fullmatch(r"-(\d+)([smhd])", text)
    if rel:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[rel.group(2)]
        return now - timedelta(**{unit: int(rel.group(1))})
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.astimezone()


def build_query(args: argparse.Namespace, matches: list[str]) -> CrashQuery | str:
    """The crashes the FIELD=VALUE matches, --since and --until ask for, or an error message."""
    query = CrashQuery()
    for text in matches:
        found = MATCH.match(text)
        if found is None or found.group(1) not in MATCH_FIELDS:
            return f"bad match {text!r}: use FIELD=VALUE with FIELD one of {', '.join(MATCH_FIELDS)}"
        column = MATCH_FIELDS[found.group(1)]
        value: Any = found.group(2)
        if column in ("test", "incomplete"):
            value = 1 if value.lower() in ("1", "yes", "true") else 0
        query.equals.append((column, value))  # FINGERPRINT= names a group (kcrashd.store.merges)
    for flag in ("since", "until"):
        raw = getattr(args, flag)
        if raw:
            try:
                moment = parse_time(raw)
            except ValueError:
                return f"--{flag}: cannot parse {raw!r}"
            setattr(query, flag, moment.timestamp())
    return query


def computed_fingerprint(row: StoredCrash) -> str:
    """The key triage computed for the crash (before an earlier version's key or a merge)."""
    from kcrashd.core.fingerprint import fingerprint_title

    try:
        alts = json.loads(row["alt_json"] or "[]")
    except ValueError:
        alts = []
    return fingerprint_title(row["title"], [str(a) for a in alts]) if row["fingerprint"] else ""


def row_summary(row: StoredCrash) -> dict[str, Any]:
    return {
        "crash_id": row["crash_id"],
        "time": datetime.fromtimestamp(row["crash_time"], UTC).isoformat(timespec="seconds"),
        "host": row["host"],
        "kernel": row["kernel"],
        "kind": row["kind"],
        "severity": row["severity"],
        "title": row["title"],
        "function": row["function"],
        "fingerprint": row["grouped"],
        "computed_fingerprint": computed_fingerprint(row),
        "count": row["total"],
        "dump_dir": row["dump_dir"],
        "layout": row["layout"],
        "status": row["status"],
        "vmcore": row["vmcore_state"],
        "incomplete": bool(row["incomplete"]),
        "test": bool(row["test"]),
    }


def cmd_list(args: argparse.Namespace) -> int:
    config = read_config(args)
    if config is None:
        return EXIT_USAGE
    query = build_query(args, args.matches)
    if isinstance(query, str):
        print(f"kcrashd: {query}", file=sys.stderr)
        return EXIT_USAGE
    conn = open_history(config)
    if conn is None:
        return EXIT_NOT_FOUND
    rows = select_crashes(conn, query)
    if args.reverse:
        rows.reverse()
    if args.one:
        rows = rows[-1:] if not args.reverse else rows[:1]
    if not rows:
        print("No crashes found.", file=sys.stderr)
        return EXIT_NOT_FOUND
    if args.json:
        print(json.dumps([row_summary(row) for row in rows], indent=1))
        return EXIT_OK
    table: list[tuple[str, ...]] = [] if args.no_legend else [LIST_HEADINGS]
    table += [list_cells(row) for row in rows]
    show("".join(line + "\n" for line in format_table(table, terminal_width())), pager=not args.no_pager)
    return EXIT_OK


LIST_HEADINGS = ("TIME", "ID", "HOST", "KERNEL", "KIND", "FINGERPRINT", "COUNT", "TITLE")
SHORT_ID = 12  # enough to be unique; `info` and `resend` take any unique prefix


def list_cells(row: StoredCrash) -> tuple[str, ...]:
    """One crash as a row of `kcrashd list`; the title last, so only it is cut to the terminal."""
    local = datetime.fromtimestamp(row["crash_time"]).astimezone().strftime("%a %Y-%m-%d %H:%M:%S %Z")
    unclassified = row["kind"] == "none"
    title = row["title"] or unclassified_title(row)
    if row["test"]:
        title = f"[test] {title}"
    if row["layout"] == JOURNAL_LAYOUT and row["kind"] != "unexplained-reboot":
        title = f"[journal] {title}"  # a kernel report read from the journal, no dump (docs/reboots.md)
    kind = "unclassified" if unclassified else row["kind"]
    fingerprint = row["grouped"] or "-"
    count = str(row["total"]) if row["fingerprint"] else "-"
    return (local, row["crash_id"][:SHORT_ID], row["host"], row["kernel"] or "-", kind, fingerprint, count, title)


def unclassified_title(row: StoredCrash) -> str:
    """What to show for a crash whose log named no crash: why, when the record says."""
    try:
        error = json.loads(row["record_json"])["report"].get("error")
    except (ValueError, KeyError, TypeError):
        error = None
    return f"({error})" if error else "(no crash found in the kernel log)"


def find_for_info(conn: sqlite3.Connection, args: argparse.Namespace) -> list[StoredCrash] | str:
    matches = [w for w in args.what if MATCH.match(w)]
    others = [w for w in args.what if not MATCH.match(w)]
    query = build_query(args, matches)
    if isinstance(query, str):
        return query
    for word in others:
        try:  # one crash by id, unique prefix, dump folder or folder name (kcrashd.cli.crash_names)
            query.crash_ids.append(resolve_crash(conn, word))
            continue
        except CrashNameError:
            pass  # a fingerprint, an ambiguous prefix: the wider match below
        path = os.path.abspath(word) if ("/" in word or os.path.exists(word)) else word
        query.loose.append(LooseName(word, path, os.path.dirname(path)))
    return select_crashes(conn, query)


def history_of(args: argparse.Namespace) -> sqlite3.Connection | int:
    """The state database of `--config`/`--state-dir`, read-only; else the exit code (reason said)."""
    config = read_config(args)
    if config is None:
        return EXIT_USAGE
    conn = open_history(config)
    return EXIT_NOT_FOUND if conn is None else conn


def cmd_info(args: argparse.Namespace) -> int:
    conn = history_of(args)
    if isinstance(conn, int):
        return conn
    rows = find_for_info(conn, args)
    if isinstance(rows, str):
        print(f"kcrashd: {rows}", file=sys.stderr)
        return EXIT_USAGE
    if not rows:
        print("No crash matches " + " ".join(map(repr, args.what)) + ".", file=sys.stderr)
        return EXIT_NOT_FOUND
    row = rows[-1]
    record = CrashRecord.model_validate_json(row["record_json"])
    rules = grouping_rules_of(args) if args.explain else None
    if isinstance(rules, int):
        return rules
    deliveries = delivery_state(conn, record.crash_id)
    links = links_of(conn, record.crash_id)
    members = group_members(conn, row)
    if args.json:
        data = {"record": record.model_dump(mode="json"), "status": row["status"], "vmcore_state": row["vmcore_state"],
                "fingerprint_count": row["total"], "deliveries": deliveries, "matches": len(rows), "links": links,
                "fingerprint": row["grouped"], "computed_fingerprint": computed_fingerprint(row), "members": members}  # fmt: skip
        if args.explain:
            data["explanation"] = explanation_data(record, rules)
        print(json.dumps(data, indent=1, default=str))
        return EXIT_OK
    text = render_info(record, row, deliveries, links) + "\n"
    if row["grouped"] != computed_fingerprint(row) and row["fingerprint"]:
        why = "a grouping rule: --explain" if record.report.operator_rules else "kcrashd group list, docs/grouping.md"
        text += f"\nGrouped as {row['grouped']}; triage computed {computed_fingerprint(row)} ({why})\n"
    if members:
        text += f"Group {row['grouped']} also holds {', '.join(members)} (merged into it: kcrashd group list)\n"
    if args.explain:
        text += explanation_text(record, rules)
    if len(rows) > 1:
        text = f"({len(rows)} crashes match; showing the most recent. Narrow it down with an id.)\n" + text
    show(text, pager=not args.no_pager)
    return EXIT_OK


def group_members(conn: sqlite3.Connection, row: StoredCrash) -> list[str]:
    """The fingerprints merged into the crash's group (none from a database without merges)."""
    from kcrashd.store.merges import members

    return or_default(lambda: members(conn, row["grouped"]), []) if row["fingerprint"] else []


def grouping_rules_of(args: argparse.Namespace) -> OperatorRules | int:
    """The grouping rules of `--config` (`info --explain` replays a log with them, `retriage`
    re-triages with them), or the exit status of a bad configuration or rule file."""
    from kcrashd.config.grouping_rules import load_rules

    config = read_config(args)
    if config is None:
        return EXIT_USAGE
    try:
        return load_rules(config, args.config)
    except ConfigError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_USAGE


def explanation_data(record: CrashRecord, rules: OperatorRules | None) -> dict[str, Any]:
    """`info --json --explain`: imported on use (it loads the analyser, which `list` need not)."""
    from kcrashd.cli.explanation import explain_crash, explanation_json

    return explanation_json(explain_crash(record, rules), record)


def explanation_text(record: CrashRecord, rules: OperatorRules | None) -> str:
    from kcrashd.cli.explanation import explain_crash, render_explanation

    return "\n".join(render_explanation(explain_crash(record, rules), record)) + "\n"


def delivery_state(conn: sqlite3.Connection, crash_id: str) -> list[dict[str, Any]]:
    """Per target, what became of the crash's alerts; none from a database the daemon has not
    upgraded yet (read-only here, so never upgraded by `list` or `info`)."""
    from kcrashd.sinks.alerting.outbox import delivery_state as outbox_state

    return or_default(lambda: outbox_state(conn, crash_id), [])


def render_info(
    record: CrashRecord, row: StoredCrash, deliveries: list[dict[str, Any]], links: list[str] | None = None
) -> str:
    """The full summary for people; every value from a log is escaped."""
    lines = render_summary(record, row) + render_stack(record.report)
    if record.boot_id is None:
        lines += render_vmcore(record, row)
    else:
        lines += render_boot(record, links or [])
    if deliveries:
        lines.append("")
        lines.append("Alerts:")
        for item in deliveries:
            parts = [f"{k}={escape_text(str(v))}" for k, v in item.items() if v not in (None, "")]
            lines.append("    " + " ".join(parts))
    return "\n".join(lines)


def render_summary(record: CrashRecord, row: StoredCrash) -> list[str]:
    """The `Field: value` block at the top of `kcrashd info`."""
    report = record.report
    e = escape_text
    lines = [
        f"        Crash ID: {record.crash_id}",
        f"           Title: {e(report.title or '(no crash found in the log)')}",
        f"            Kind: {report.kind} ({report.severity})" + ("  [deliberate test crash]" if record.test else ""),
        f"        Function: {e(report.function or '-')}",
    ]
    if report.ip:
        lines.append(f"              IP: {e(report.ip)}")
    lines += [
        f"     Fingerprint: {report.fingerprint or '-'} (v{report.fingerprint_version})",
        f"      Recurrence: {'new' if record.new_fingerprint else 'recurring'}; {row['total']} crash(es) with this fingerprint, first seen {record.first_seen.isoformat(timespec='seconds')}",
        f"            Host: {e(record.host)}",
        f"          Kernel: {e(report.kernel_release or (record.vmcore.kernel_release if record.vmcore else None) or '-')} {report.arch or ''}".rstrip(),
        f"           Taint: {report.taint.letters or '-'}" + (f" ({'; '.join(report.taint.flags)})" if report.taint.flags else ""),
    ]
    if report.modules:
        names = " ".join(m.name + (f"({m.flags})" if m.flags else "") for m in report.modules)
        wrapped = textwrap.wrap(e(names), width=100, break_long_words=False, break_on_hyphens=False)
        lines += [f"{'Modules:' if n == 0 else '':>17} {part}" for n, part in enumerate(wrapped)]
    lines += [
        f"      Crash time: {record.crash_time.astimezone().isoformat(timespec='seconds')}",
        f"        Detected: {record.detected_at.astimezone().isoformat(timespec='seconds')}",
        f"        Dump dir: {e(record.dump_dir)}  ({record.layout})",
        f"             Log: {e(record.log_path or '-')}  (from {record.log_origin})",
        f"          Status: {row['status']}" + ("; INCOMPLETE dump" if record.incomplete else ""),
    ]
    if report.panic_message:
        lines.append(f"           Panic: {e(report.panic_message)}")
    if report.comm or report.pid is not None:
        lines.append(f"         Process: {e(report.comm or '?')} (pid {report.pid}, cpu {report.cpu})")
    if report.error:
        lines.append(f"           Error: {e(report.error)}")
    lines += [f"         Problem: {e(problem)}" for problem in record.problems]
    return lines


def distinct_frames(frames: list[Frame]) -> list[Frame]:
    """The frames worth reading. Left out: `? __pfx_F` guesses, stale return addresses in the
    padding before F that x86 kernels since 6.2 print beside the real frames (`kthread`,
    `? __pfx_kthread`, `ret_from_fork`, `? __pfx_kthread`, `ret_from_fork_asm`: the thread's
    start seemed to show twice); and a function named on consecutive lines shown once (the
    32-bit ARM unwinder prints `(callee) from (caller+off)`), keeping its offset."""
    kept: list[Frame] = []
    for frame in frames:
        if not frame.reliable and frame.function.startswith("__pfx_"):
            continue
        if kept and kept[-1].function == frame.function:
            if kept[-1].offset is None:
                kept[-1] = frame
            continue
        kept.append(frame)
    return kept


def render_stack(report: Report) -> list[str]:
    """The stack and the events before the crash."""
    e = escape_text
    lines: list[str] = []
    if report.frames:
        lines += ["", "Stack:"]
        for frame in distinct_frames(report.frames)[:16]:
            mark = "" if frame.reliable else "? "
            module = f" [{frame.module}]" if frame.module else ""
            offset = f"+{frame.offset}" if frame.offset else ""
            lines.append(f"    {mark}{e(frame.function)}{e(offset)}{e(module)}")
    if report.preceding:
        lines += ["", "Preceding events:"]
        lines += [f"    {event.kind}: {e(event.title)}" for event in report.preceding]
    return lines


def render_boot(record: CrashRecord, links: list[str]) -> list[str]:
    """A crash read from the journal (docs/reboots.md): its boot, whether the kernel went on, the
    dump crash it is linked to; for an unexplained reboot, its uptime, facts and last lines."""
    e = escape_text
    lines = ["", f"Boot: {record.boot_id}"]
    if record.survived is not None:
        lines.append(f"    Survived: {'yes, the kernel went on running' if record.survived else 'no'}")
    lines += [f"    Linked crash: {crash_id}" for crash_id in links]
    boot = record.boot
    if boot is not None:
        if boot.uptime_seconds is not None:
            lines.append(f"    Uptime at the end: {boot.uptime_seconds:.0f} s")
        lines += [f"    Fact: {e(hint)}" for hint in boot.hints]
        if boot.last_lines:
            lines += ["", "Last kernel lines:"] + [f"    {e(line)}" for line in boot.last_lines]
    return lines


def render_vmcore(record: CrashRecord, row: StoredCrash) -> list[str]:
    """The vmcore's state and how to open it with crash(8)."""
    report = record.report
    e = escape_text
    lines: list[str] = []
    vm = record.vmcore
    lines.append("")
    lines.append(f"Vmcore: {row['vmcore_state']}")
    if vm is not None:
        lines.append(f"    Path: {e(vm.path)}")
        lines.append(f"    Format: {vm.format}, {vm.size} bytes" + (f" (expected {vm.expected_size})" if vm.expected_size else ""))
        if vm.kernel_release or vm.hostname or vm.crash_time:
            lines.append(f"    Header: release {e(vm.kernel_release or '-')}, node {e(vm.hostname or '-')}, crash time {vm.crash_time.isoformat() if vm.crash_time else '-'}")
        if vm.flags:
            lines.append(f"    Flags: {', '.join(vm.flags)}")
        if vm.error:
            lines.append(f"    Error: {e(vm.error)}")
        release = vm.kernel_release or report.kernel_release
        if release:
            lines.append("    Go deeper:")
            target = shlex.quote(e(vm.path))
            unwrap = UNWRAP.get(vm.format.removesuffix("-wrapped"))
            if unwrap is not None:  # crash reads a flattened stream, not its compressed copy
                lines.append(f"      {unwrap} {target} > /var/tmp/vmcore.flat")
                target = "/var/tmp/vmcore.flat"
            lines.append(f"      crash /usr/lib/debug/lib/modules/{e(release)}/vmlinux {target}")
    return lines
