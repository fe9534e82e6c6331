"""`kcrashd analyze PATH...`: triage log files or crash directories without the daemon."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kcrashd.core.operator_rules import OperatorRules
    from kcrashd.triage.worker import AnalyzeToJson, Answer

EPILOG = """\
PATH is a kernel log (vmcore-dmesg.txt, dmesg.<STAMP>, a serial console log, a pstore dmesg.txt)
or a crash directory, in which the log is chosen as vmcore-dmesg.txt > dmesg.<STAMP> / dmesg /
dmesg.txt > vmcore-dmesg-incomplete.txt. A crash directory with no log but a vmcore (vmcore,
vmcore.flat, dump.<STAMP>[.gz|.bz2|.xz|.lz4]) gets its log from the vmcore as the daemon does:
makedumpfile --dump-dmesg, after rearranging a flattened dump under $TMPDIR (default /var/tmp).
With --config, the operator's grouping rules of that configuration ([grouping] rules_dir,
docs/grouping-rules.md) are applied as the daemon applies them; without it, none.

exit status:
  0  every PATH was analysed (whether or not it held a crash)
  1  at least one PATH could not be read (its JSON object has "error")
  2  usage error
"""

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x20), 0x7F) if c not in (0x09,)}
_CONTROL.update({c: f"\\u{c:04x}" for c in range(0x80, 0xA0)})


def register(verbs: argparse._SubParsersAction[Any]) -> None:
    """Add the `analyze` verb."""
    p = verbs.add_parser(
        "analyze",
        help="classify and fingerprint kernel crash logs",
        description="Classify and fingerprint kernel crash logs or crash directories.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="log file or crash directory")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument(
        "-j", "--jobs", type=_jobs, default=None, metavar="N",
        help="analyse N logs at once: this process and N-1 worker processes (default: one per core; 1: in this process)",
    )  # fmt: skip
    p.add_argument(
        "--config", type=Path, default=None, metavar="FILE",
        help="apply the grouping rules of this configuration (default: none)",
    )  # fmt: skip
    p.set_defaults(func=run)


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return int(text)


def _analysed(
    paths: list[str], jobs: int | None, rules: OperatorRules | None = None
) -> Iterator[tuple[str, Answer | None, str | None]]:
    """(path, answer, None) or (path, None, error) for each PATH, in the order given; with more
    than one job the logs are analysed in worker processes and this one (kcrashd/triage/pool.py), which is
    only imported then (one PATH, or -j 1: start-up)."""
    from kcrashd.triage.worker import Answer, ruled_analyze

    analyze = ruled_analyze(rules)
    if len(paths) > 1 and jobs != 1:
        from kcrashd.triage.pool import usable_cores

        jobs = min(jobs or usable_cores(), len(paths))
        if jobs > 1:
            yield from _in_workers(paths, jobs, analyze)
            return
    for path in paths:
        data, error = _read(path)
        yield path, None if data is None else Answer(payload=analyze(data, source=path)), error


def _in_workers(paths: list[str], jobs: int, analyze: AnalyzeToJson) -> Iterator[tuple[str, Answer | None, str | None]]:
    """`_analysed` by `jobs` workers forked from this process (it has one thread)."""
    from kcrashd.triage.pool import analyze_in_order

    errors: dict[int, str | None] = {}

    def logs() -> Iterator[tuple[str, bytes | None]]:
        for n, path in enumerate(paths):
            data, errors[n] = _read(path)
            yield path, data

    for n, (path, report) in enumerate(analyze_in_order(logs(), jobs, fork=analyze)):
        yield path, report, errors.pop(n)


def _read(path: str) -> tuple[bytes | None, str | None]:
    """(log bytes, None) or (None, error message)."""
    from kcrashd.sources.logfile import LogFileError, find_log_file, read_log

    try:
        target = Path(path)
        if target.is_dir():
            log = find_log_file(target)
            if log is None:
                return _read_vmcore(target)
            target = log
        return read_log(target), None
    except LogFileError as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"{path}: {exc.strerror or exc}"


def _vmcore_in(folder: Path) -> Path | None:
    """The vmcore of a crash directory, looked for as the daemon does (kcrashd.sources.units): by the
    layout its name says, else by the RHEL and Debian kdump file names."""
    from kcrashd.sources.units import CrashUnit, Layout, classify_name, inspect_unit, open_folder

    named = classify_name(folder.name, folder.parent)
    units = [named] if named is not None else []
    units += [CrashUnit(path=folder, layout=layout, root=folder.parent) for layout in (Layout.RHEL, Layout.DEBIAN)]
    for unit in units:
        try:
            with open_folder(unit) as opened:
                found = inspect_unit(unit, opened).vmcore_path
        except OSError:
            return None
        if found is not None:
            return found
    return None


@contextmanager
def _scratch() -> Iterator[Path]:
    """A private folder for `analyze`, under $TMPDIR or /var/tmp: a rearranged dump may not fit in RAM."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kcrashd-analyze-", dir=os.environ.get("TMPDIR") or "/var/tmp") as name:
        yield Path(name)


def _read_vmcore(folder: Path) -> tuple[bytes | None, str | None]:
    """A crash directory with no log: its log recovered from the vmcore as the daemon does
    (kcrashd.sources.vmcore_dmesg), in a private folder under $TMPDIR or /var/tmp; the note on stderr."""
    import os

    from kcrashd.config.settings import SourcesConfig
    from kcrashd.sources.vmcore import open_nofollow, read_vmcore_facts
    from kcrashd.sources.vmcore_dmesg import recover_dmesg

    vmcore = _vmcore_in(folder)
    if vmcore is None:
        return None, f"{folder}: no kernel log and no vmcore in crash directory"
    facts = read_vmcore_facts(vmcore)
    fd = open_nofollow(vmcore)
    try:
        data, note, _ = recover_dmesg(fd, facts, SourcesConfig(), lambda: None, _scratch)
    finally:
        os.close(fd)
    if data is None:
        return None, f"{folder}: {note}"
    print(f"kcrashd: {escape(str(vmcore))}: {note}", file=sys.stderr)
    return data, None


def run(args: argparse.Namespace) -> int:
    """Analyse each PATH in order; one JSON object per line or a text block per PATH."""
    import atexit
    import gc

    from kcrashd.cli import EXIT_FAILURE, EXIT_OK

    # The interpreter's last collection, at exit, would walk every object the core built (its
    # tables and patterns, the analyses' memo tables): 8-14 ms of each `kcrashd analyze`. Frozen
    # objects are skipped; nothing is left to collect by then (a caller in-process is frozen only
    # when it exits).
    atexit.register(gc.freeze)
    rules = _rules(args.config)
    if isinstance(rules, int):
        return rules
    failed = False
    out = sys.stdout
    for n, (path, answer, error) in enumerate(_analysed(args.paths, args.jobs, rules)):
        if answer is None:
            failed = True
            if args.format == "json":
                out.write(json.dumps({"source": path, "error": error}) + "\n")
            else:
                print(f"kcrashd: {escape(error or path)}", file=sys.stderr)
            continue
        if args.format == "json":
            out.write(answer.json() + "\n")
        else:
            if n:
                out.write("\n")
            out.write(render_text(json.loads(answer.json())))
    out.flush()
    return EXIT_FAILURE if failed else EXIT_OK


def _rules(config_path: Path | None) -> OperatorRules | int | None:
    """The grouping rules of `--config` (None without it), or the exit status of a bad file."""
    if config_path is None:
        return None
    from kcrashd.cli import EXIT_USAGE
    from kcrashd.config.grouping_rules import load_rules
    from kcrashd.config.settings import ConfigError, load_config

    try:
        return load_rules(load_config(config_path), config_path)
    except ConfigError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_USAGE


def escape(text: str) -> str:
    """Make log text safe for a terminal: control characters become visible escapes."""
    return text.translate(_CONTROL)


Fields = Mapping[str, object]  # a report as its JSON's fields (docs/report-schema.md)


def _text(fields: Fields, name: str) -> str:
    """A field as text ("" for null)."""
    value = fields.get(name)
    return "" if value is None else str(value)


def _items(fields: Fields, name: str) -> list[Fields]:
    """A field holding a list of objects (frames, preceding events, unread ranges, rules)."""
    value = fields.get(name)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def render_text(report: Fields) -> str:
    """A short human summary of a report, given as its JSON's fields: printing it needs no report
    model (`kcrashd analyze`'s start-up, docs/performance.md)."""
    rows: list[tuple[str, str]] = [("source", _text(report, "source"))]
    if report.get("kind") == "none" or report.get("error") is not None:
        rows.append(("result", "no crash found"))
        if report.get("kernel_release"):
            rows.append(("kernel", _text(report, "kernel_release")))
    else:
        corrupted = f"  [corrupted: {_text(report, 'corrupted_reason')}]" if report.get("corrupted") else ""
        rows.append(("title", _text(report, "title") + corrupted))
        rows.append(("kind", f"{_text(report, 'kind')} ({_text(report, 'severity')})"))
        rows.append(("function", _text(report, "function") or "-"))
        rows.append(("fingerprint", _text(report, "fingerprint")))
        rows += [("rule", f"{_text(n, 'origin')} {_text(n, 'rule')}: {_text(n, 'effect')}") for n in _items(report, "operator_rules")]
        if report.get("panicked"):
            rows.append(("panic", _text(report, "panic_message")))
        rows.append(("kernel", " ".join(x for x in (_text(report, "kernel_release"), _text(report, "arch")) if x) or "-"))
        if report.get("hardware"):
            rows.append(("hardware", _text(report, "hardware")))
        task = [f"{name} {_text(report, name)}" for name in ("comm", "pid", "cpu") if report.get(name) is not None]
        if task:
            rows.append(("task", ", ".join(task)))
        taint = report.get("taint")
        if isinstance(taint, Mapping) and taint.get("letters"):
            flags = taint.get("flags")
            rows.append(("taint", f"{_text(taint, 'letters')}: " + "; ".join(map(str, flags if isinstance(flags, list) else []))))
        if report.get("ip"):
            rows.append(("ip", _text(report, "ip")))
        top = [_text(f, "function") for f in _items(report, "frames") if f.get("reliable")][:8]
        if top:
            rows.append(("frames", " < ".join(top)))
        rows += [("preceding", f"line {ev.get('line')}: {_text(ev, 'title')}") for ev in _items(report, "preceding")[:5]]
    for gap in _items(report, "unread")[:5]:
        start, end, first, last = (gap.get(name) for name in ("start", "end", "first_line", "last_line"))
        where = f"bytes {start}-{end}" if start is not None else f"lines {first}-{last}"
        rows.append(("not analysed", f"{where}: {_text(gap, 'reason')}"))
    width = max(len(k) for k, _ in rows)
    return "".join(f"{k:<{width}}  {escape(v)}\n" for k, v in rows)
