#!/usr/bin/env python3
"""Convert kcrashd's Markdown man pages (docs/man/*.md) to roff, with the standard library only.

The RPM build runs it, so it needs nothing but Python. It understands the subset the pages use:
a title line `% NAME(SECTION) | HEADER`, `#`/`##` headings, paragraphs, `-` bullet lists,
fenced code blocks, definition items (a line that is only `` `term` `` or `**term**`,
followed by `: text` lines) and inline `code`, **bold** and *italic*.

Usage: md2man.py PAGE.md [OUT]   (OUT defaults to stdout)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

VERSION_FILE = Path(__file__).resolve().parents[1] / "kcrashd/__init__.py"


def escape(text: str) -> str:
    """Roff-escape plain text: backslashes, dashes (so options copy and paste), leading dots."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return text


def inline(text: str) -> str:
    """Inline markup -> font escapes; code and bold are bold, emphasis is italic; \\* is a star."""
    text = text.replace("\\*", "\x00")
    out = []
    pattern = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|(?<![\w])_([^_\s][^_]*)_(?![\w])")
    pos = 0
    for match in pattern.finditer(text):
        out.append(escape(text[pos : match.start()]))
        code, bold, italic, italic2 = match.groups()
        if code is not None:
            out.append("\\fB" + escape(code) + "\\fR")
        elif bold is not None:
            out.append("\\fB" + escape(bold) + "\\fR")
        else:
            out.append("\\fI" + escape(italic or italic2) + "\\fR")
        pos = match.end()
    out.append(escape(text[pos:]))
    line = "".join(out).replace("\x00", "*")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def title(line: str, version: str) -> str:
    found = re.match(r"^%\s*([\w.-]+)\((\d)\)\s*(?:\|\s*(.*))?$", line)
    if not found:
        raise SystemExit(f"first line must be '% NAME(SECTION) | HEADER', got {line!r}")
    name, section, header = found.group(1), found.group(2), (found.group(3) or "").strip()
    return f'.TH "{name.upper()}" "{section}" "" "kcrashd {version}" "{header}"'


def convert(markdown: str, version: str) -> str:
    lines = markdown.splitlines()
    out = [title(lines[0], version)]
    paragraph: list[str] = []
    in_code = False

    def flush() -> None:
        if paragraph:
            out.append(".PP")
            out.extend(inline(p) for p in paragraph)
            paragraph.clear()

    i = 1
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            if not in_code:
                out.extend([".PP", ".RS 4", ".nf"])
            else:
                out.extend([".fi", ".RE"])
            in_code = not in_code
        elif in_code:
            text = escape(line)
            out.append("\\&" + text if text.startswith((".", "'")) else text)
        elif not stripped:
            flush()
        elif stripped.startswith("## "):
            flush()
            out.append(".SS " + inline(stripped[3:]))
        elif stripped.startswith("# "):
            flush()
            out.append(".SH " + inline(stripped[2:].upper()))
        elif stripped.startswith("- "):
            flush()
            out.extend([".IP \\(bu 2", inline(stripped[2:])])
            while i + 1 < len(lines) and lines[i + 1].startswith("  ") and lines[i + 1].strip():
                i += 1
                out.append(inline(lines[i].strip()))
        elif i + 1 < len(lines) and lines[i + 1].startswith(": "):
            flush()
            out.extend([".TP", inline(stripped)])
            while i + 1 < len(lines) and (lines[i + 1].startswith(": ") or lines[i + 1].startswith("  ")):
                i += 1
                out.append(inline(lines[i][2:].strip()))
        else:
            paragraph.append(stripped)
        i += 1
    flush()
    if in_code:
        raise SystemExit("unterminated code block")
    return "\n".join(out) + "\n"


def project_version() -> str:
    found = re.search(r'__version__\s*=\s*"([^"]+)"', VERSION_FILE.read_text(encoding="utf-8"))
    return found.group(1) if found else "unknown"


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    roff = convert(Path(argv[1]).read_text(encoding="utf-8"), project_version())
    if len(argv) == 3:
        Path(argv[2]).write_text(roff, encoding="utf-8")
    else:
        sys.stdout.write(roff)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
