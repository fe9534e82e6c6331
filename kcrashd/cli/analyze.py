"""`kcrashd analyze PATH...`: triage log files or crash directories without the daemon."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kcrashd.core.model import Report

EPILOG = """\
PATH is a kernel log (vmcore-dmesg.txt, dmesg.<STAMP>, a serial console log, a pstore dmesg.txt)
or a crash directory, in which the log is chosen as vmcore-dmesg.txt > dmesg.<STAMP> / dmesg /
dmesg.txt > vmcore-dmesg-incomplete.txt.

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
    p.set_defaults(func=run)


def _read(path: str) -> tuple[bytes | None, str | None]:
    """(log bytes, None) or (None, error message)."""
    from kcrashd.logfile import LogFileError, find_log_file, read_log

    try:
        target = Path(path)
        if target.is_dir():
            log = find_log_file(target)
            if log is None:
                return None, f"{path}: no kernel log in crash directory"
            target = log
        return read_log(target), None
    except LogFileError as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"{path}: {exc.strerror or exc}"


def run(args: argparse.Namespace) -> int:
    """Analyse each PATH in order; one JSON object per line or a text block per PATH."""
    from kcrashd.cli import EXIT_FAILURE, EXIT_OK
    from kcrashd.core import analyze

    failed = False
    out = sys.stdout
    for n, path in enumerate(args.paths):
        data, error = _read(path)
        if data is None:
            failed = True
            if args.format == "json":
                out.write(json.dumps({"source": path, "error": error}) + "\n")
            else:
                print(f"kcrashd: {escape(error or path)}", file=sys.stderr)
            continue
        report = analyze(data, source=path)
        if args.format == "json":
            out.write(report.model_dump_json() + "\n")
        else:
            if n:
                out.write("\n")
            out.write(render_text(report))
    out.flush()
    return EXIT_FAILURE if failed else EXIT_OK


def escape(text: str) -> str:
    """Make log text safe for a terminal: control characters become visible escapes."""
    return text.translate(_CONTROL)


def render_text(report: Report) -> str:
    """A short human summary of a report."""
    rows: list[tuple[str, str]] = [("source", report.source)]
    if not report.has_crash:
        rows.append(("result", "no crash found"))
        if report.kernel_release:
            rows.append(("kernel", report.kernel_release))
    else:
        rows.append(("title", report.title + (f"  [corrupted: {report.corrupted_reason}]" if report.corrupted else "")))
        rows.append(("kind", f"{report.kind} ({report.severity})"))
        rows.append(("function", report.function or "-"))
        rows.append(("fingerprint", report.fingerprint))
        if report.panicked:
            rows.append(("panic", report.panic_message or ""))
        rows.append(("kernel", " ".join(x for x in (report.kernel_release, report.arch) if x) or "-"))
        if report.hardware:
            rows.append(("hardware", report.hardware))
        task = []
        if report.comm is not None:
            task.append(f"comm {report.comm}")
        if report.pid is not None:
            task.append(f"pid {report.pid}")
        if report.cpu is not None:
            task.append(f"cpu {report.cpu}")
        if task:
            rows.append(("task", ", ".join(task)))
        if report.taint.letters:
            rows.append(("taint", f"{report.taint.letters}: " + "; ".join(report.taint.flags)))
        if report.ip:
            rows.append(("ip", report.ip))
        top = [f.function for f in report.frames if f.reliable][:8]
        if top:
            rows.append(("frames", " < ".join(top)))
        for ev in report.preceding[:5]:
            rows.append(("preceding", f"line {ev.line}: {ev.title}"))
    width = max(len(k) for k, _ in rows)
    return "".join(f"{k:<{width}}  {escape(v)}\n" for k, v in rows)
