"""Text from a crash log on its way to a terminal: escape sequences and control characters are
spelled out, so a hostile log cannot move the cursor, retitle the window or hide text."""

from __future__ import annotations

import re

# C0 controls except TAB, DEL, C1 controls, and the bidirectional overrides/isolates
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_text(text: str) -> str:
    """`text` with every character that could drive a terminal written as `\\xNN`/`\\uNNNN`."""
    return UNSAFE.sub(escape_char, text)


def escape_line(text: str) -> str:
    """Like escape_text, for a value shown on one line (newlines escaped too)."""
    return escape_text(text)
