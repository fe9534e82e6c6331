"""Text from a crash log on its way to a terminal: escape sequences and control characters are
spelled out, so a hostile log cannot move the cursor, retitle the window or hide text; tables cut
to the terminal's width and paged like systemd's tools do."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence

# C0 controls except TAB, DEL, C1 controls, and the bidirectional overrides/isolates
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_text(text: str) -> str:
    """`text` with every character that could drive a terminal written as `\\xNN`/`\\uNNNN`."""
    return UNSAFE.sub(escape_char, text)


# --- tables and paging, like systemd's tools (coredumpctl list) -------------------------------

ELLIPSIS = "…"
MIN_LAST_COLUMN = 20  # the last column is never cut shorter than this


def terminal_width() -> int | None:
    """Columns of the terminal on stdout; None when stdout is not one (a pipe gets full text)."""
    if not sys.stdout.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size().columns


def format_table(rows: Sequence[Sequence[str]], width: int | None) -> list[str]:
    """Left-aligned columns; the last one, the widest text, is cut with `…` to fit `width`."""
    if not rows:
        return []
    cells = [[escape_text(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]) - 1)]
    room = None if width is None else max(MIN_LAST_COLUMN, width - sum(widths) - len(widths))
    lines = []
    for row in cells:
        last = row[-1]
        if room is not None and len(last) > room:
            last = last[: room - 1] + ELLIPSIS
        lines.append(" ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])), last]).rstrip())
    return lines


def show(text: str, *, pager: bool) -> None:
    """Print `text`, through a pager when stdout is a terminal (`$SYSTEMD_PAGER`, `$PAGER`, else
    `less` with systemd's `LESS=FRSXMK`); `cat` or an empty value turns it off."""
    command = os.environ.get("SYSTEMD_PAGER", os.environ.get("PAGER", "less")).strip()
    if not pager or command in ("", "cat") or not sys.stdout.isatty():
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    env = dict(os.environ)
    env.setdefault("LESS", "FRSXMK")
    try:
        proc = subprocess.Popen(shlex.split(command), stdin=subprocess.PIPE, env=env)
    except (OSError, ValueError):
        sys.stdout.write(text)
        return
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.write(text.encode("utf-8", "surrogateescape"))
        proc.stdin.close()
    proc.wait()
