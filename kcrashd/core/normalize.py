"""Turn raw log bytes into clean `Line`s: prefixes parsed off, printk context attached.

Accepted line grammar (docs: crash-layouts.md §7.2):
    [** N printk messages dropped **] [... login: ] [<N>] [[ sec.usec]] [[ T123]|[ C0]]... text
Continuation lines (vmcore-dmesg: no prefix; makedumpfile: indented) inherit the previous
record's context.  pstore dumps (`Panic#1 Part2` headers) are put back into chronological order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A kernel line longer than this is garbage or a binary blob; the tail carries no crash syntax.
MAX_LINE = 2048

_PREFIX = re.compile(
    r"(?:\*\* \d{1,9} printk messages dropped \*\* )?"
    r"(?:<(\d{1,3})>)?"
    r"(?:\[ {0,12}(\d{1,10}\.\d{1,9})\] ?)?"
)
# printk caller ids: `[T123]`, `[ C0]`, makedumpfile's ` [    T123] `, and both `[  T1][ C1]`.
_CALLER = re.compile(r" ?\[ {0,10}([TC])(\d{1,7})\] ?")
_PSTORE_HEADER = re.compile(r"^(Panic|Oops|Emergency|Shutdown|Restart|Halt|Poweroff)#(\d+) Part(\d+)$")
_LOGIN = " login: "


@dataclass(slots=True)
class Line:
    """One log line after prefix parsing.

    `context` is the printk caller (`T123`, `C0`), `console` for a stamped line without caller id,
    or `""` for a line with no timestamp (user-space noise or a raw continuation line).
    """

    text: str
    context: str
    stamped: bool
    continuation: bool = False


def decode_log(data: bytes | str) -> str:
    """Bytes to text: invalid UTF-8 replaced, NULs and carriage returns dropped."""
    text = data if isinstance(data, str) else data.decode("utf-8", errors="replace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def reorder_pstore(raw_lines: list[str]) -> list[str]:
    """Put pstore parts in chronological order: Part1 is the newest chunk, higher parts older."""
    headers = [i for i, ln in enumerate(raw_lines[:: 1]) if ln.startswith(_PSTORE_PREFIXES) and _PSTORE_HEADER.match(ln)]
    if not headers:
        return raw_lines
    head = raw_lines[: headers[0]]
    chunks: list[tuple[int, int, int, list[str]]] = []
    for n, start in enumerate(headers):
        end = headers[n + 1] if n + 1 < len(headers) else len(raw_lines)
        m = _PSTORE_HEADER.match(raw_lines[start])
        assert m is not None
        chunks.append((int(m.group(2)), -int(m.group(3)), n, raw_lines[start + 1 : end]))
    chunks.sort()
    out = list(head)
    for *_, body in chunks:
        out.extend(body)
    return out


_PSTORE_PREFIXES = ("Panic#", "Oops#", "Emergency#", "Shutdown#", "Restart#", "Halt#", "Poweroff#")


def parse_line(raw: str) -> tuple[str, str, bool]:
    """Split one raw line into (text, context, stamped)."""
    if len(raw) > MAX_LINE:
        raw = raw[:MAX_LINE]
    pos = raw.find(_LOGIN, 0, 200)
    if pos >= 0 and "[" in raw[pos:]:
        raw = raw[pos + len(_LOGIN) :]
    m = _PREFIX.match(raw)
    end = m.end() if m else 0
    stamped = bool(m and m.group(2))
    context = ""
    while True:
        c = _CALLER.match(raw, end)
        if c is None:
            break
        if not context or context.startswith("C"):
            # Prefer the task id when both `[T1][C0]` are printed: it is the stabler key.
            context = c.group(1) + c.group(2) if not context or c.group(1) == "T" else context
        end = c.end()
    if stamped and not context:
        context = "console"
    return raw[end:], context, stamped


def normalize_lines(data: bytes | str) -> list[Line]:
    """Decode and parse every line of a kernel log."""
    raw_lines = decode_log(data).split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    raw_lines = reorder_pstore(raw_lines)
    lines: list[Line] = []
    stamped_seen = 0
    prev: Line | None = None
    for raw in raw_lines:
        text, context, stamped = parse_line(raw)
        line = Line(text, context, stamped)
        if stamped:
            stamped_seen += 1
        elif prev is not None and prev.stamped and text[:1] in (" ", "\t") and text.strip():
            # makedumpfile indents the continuation lines of a multi-line record.
            line.context = prev.context
            line.continuation = True
            line.stamped = True
        lines.append(line)
        if line.stamped:
            prev = line
    # A wrapped ring buffer starts mid-record: drop an unstamped first fragment of a stamped log.
    if len(lines) > 2 and not lines[0].stamped and lines[1].stamped and stamped_seen * 2 > len(lines):
        lines[0] = Line("", "", False)
    return lines
