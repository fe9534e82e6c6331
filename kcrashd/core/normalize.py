"""Turn raw log bytes into clean `Line`s: prefixes parsed off, printk context attached.

Accepted line grammar (docs/dump-layouts.md §10):
    [syslog `Mon DD hh:mm:ss host kernel: `] [** N printk messages dropped **] [... login: ] [<N>]
    [[ sec.usec]] [[ T123]|[ C0]]... text
Continuation lines (makedumpfile: indented) inherit the previous record's context.  pstore dumps
(`Panic#1 Part2` headers) are put back into chronological order; a LAVA job log (YAML records) is
read as its console's lines (`unwrap_lava`).  In a syslog file only the lines tagged `kernel` count.

Lines are parsed lazily: a log of millions of lines only pays for the lines near crash reports.
Logs larger than `COMPACT_OVER` are cut down to windows around the header lines found by a cheap
literal search (kcrashd.core.headers, kcrashd.core.windows; see `load_lines`).  The header lines that
search finds are normalised last (`header_lines`): an unstamped one in a stamped log is a kernel line
only with a kernel report's body below it, whose context it takes; one wrapped after ` at` is joined
with its site.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kcrashd.core import frames, wrapped
from kcrashd.core.headers import MAX_LINE, HeaderScan, header_in
from kcrashd.core.leader_case import restore_leaders
from kcrashd.core.report_parts import Unread
from kcrashd.core.windows import MARK, spans, split_marked

# Bigger texts are compacted to windows around the header lines.
COMPACT_OVER = 2 * 1024 * 1024

_PREFIX = re.compile(
    r"(?:\*\* \d{1,9} printk messages dropped \*\* )?"
    r"(?:<(\d{1,3})>)?"
    # the timestamp's padding: spaces, or a tab where a log was re-indented; a space before the `]`
    # (`[   72.835674 ]`), and a time its author blanked (`[ ] `, `[] `, group 3): both as kernel commit
    # messages quote a report (docs/dump-layouts.md §10)
    r"(?:\[[ \t]{0,12}(\d{1,10}\.\d{1,9}) {0,4}\] ?|\[( {0,12})\] )?"
)
# printk caller ids: `[T123]`, `[ C0]`, makedumpfile's ` [    T123] `, and both `[  T1][ C1]`; Android vendor
# kernels' `[T329@C6]` (a printk vendor hook decodes the caller id as `snprintf(caller, size, "T%u@C%u", pid, cpu)`).
_CPU_SUFFIX = r"(?:@C\d{1,5})?"
_CALLER = re.compile(rf" ?\[ {{0,10}}([TC])(\d{{1,7}}){_CPU_SUFFIX}\] ?")
# The commonest stamped line with a caller id, `[  123.456789][ T123] text` (syzkaller, CONFIG_PRINTK_CALLER),
# read in one match: the timestamp of _PREFIX then one _CALLER, as the general path reads it.
_STAMP_CALLER = re.compile(rf"\[[ \t]{{0,12}}\d{{1,10}}\.\d{{1,9}} {{0,4}}\] ?\[ {{0,10}}([TC]\d{{1,7}}){_CPU_SUFFIX}\] ?")
_PSTORE_HEADER = re.compile(r"^(Panic|Oops|Emergency|Shutdown|Restart|Halt|Poweroff)#(\d+) Part(\d+)$", re.M)
_LOGIN = " login: "
# A syslog file's kernel lines (rsyslog's traditional format `Oct 11 10:57:36 host kernel: `, journalctl's
# `-o short-iso` `2024-05-01T10:00:00+0200 host kernel: `): the prefix goes, the kernel's own line stays.
# journalctl's other short forms (systemd's output-mode.c): `short-precise` `Oct 11 10:57:36.123456`,
# `short-full` `Thu 2024-05-01 10:00:00 CEST`, `short-unix` `1714550400.123456`.
_SYSLOG_KERNEL = " kernel: "
# The same lines with their time and host cut, as a quote leaves them (`kernel: Call Trace:`): in a log
# whose lines mostly start so (LogLines.tagged), the tag goes too; so does its re-cased form `Kernel: `, which a
# patch tool that re-cases each line's first word as a tag leaves (kcrashd.core.leader_case).
_BARE_KERNEL_TAG = "kernel: "
_BARE_KERNEL_TAGS = (_BARE_KERNEL_TAG, "Kernel: ")
# journalctl (systemd's logs-show.c output_timestamp_realtime: `strftime("%b %d %H:%M:%S")`, short-full's `%a`) and
# util-linux dmesg's -T and -H (`%a %b %e`, `%b%d`) print the month and weekday in the reader's LC_TIME: glibc's
# abbreviations are letters of any script with dots, hyphens or an apostrophe (`Dez`, `déc.`, `дек`, `Ağu`, `de des.`,
# `كانون الأول`), or a number and 月 or 월 (`12月`, ` 7월`).  RFC 3164 (rsyslog, BusyBox) prints C's English ones.
_MONTH = r"(?:[^\W\d_]{1,6} )?[^\W\d_][^\s\d]{0,11}|[ \d]?\d[月월]"
_WEEKDAY = r"[^\W\d_][^\s\d]{0,7}"
# `%b %d %H:%M:%S` (journalctl, RFC 3164) and dmesg -T's `%a %b %e %H:%M:%S %Y`.
_MONTH_DAY_TIME = rf"(?:{_MONTH}) {{1,3}}[ \d]\d \d\d:\d\d:\d\d"
_CTIME_TIME = rf"{_WEEKDAY} {_MONTH_DAY_TIME} \d{{4}}"
_SYSLOG_TIME = (
    rf"{_MONTH_DAY_TIME}(?:\.\d{{1,9}})?"
    rf"|(?:{_WEEKDAY} )?\d{{4}}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{{1,9}})?(?: ?(?:Z|[+-]\d\d(?::?\d\d)?|[A-Z]{{2,5}}))?"
    r"|\d{9,11}\.\d{6}"
    # OpenWrt's logread (ubox log/logread.c: ctime() without its newline, `%s %s.%s%s %s`)
    r"|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}"
)
# BusyBox syslogd (sysklogd/syslogd.c timestamp_and_log) writes `%s %.64s %s %s`: the time, the host, the facility
# and level (parse_fac_prio_20: `kern.warn`), then klogd's `kernel: ` message; with -S (OPT_small) `%s %s`, the time
# and the message alone.  OpenWrt's logread prints the facility and level without a host.
_FAC_PRIO = r"kern\.(?:emerg|alert|crit|err|warn|warning|notice|info|debug) "
# journalctl's `-o short-monotonic` puts the printk time there instead (`[  123.456789] host kernel: `):
# such a line is stamped (group 1).
_SYSLOG = re.compile(
    rf"(?:(?:{_SYSLOG_TIME}) (?:(?!{_FAC_PRIO})[^\s]{{1,255}} )?|(\[ {{0,12}}\d{{1,10}}\.\d{{1,9}}\]) [^\s]{{1,255}} )"
    rf"(?:{_FAC_PRIO})?kernel: "
)
# util-linux dmesg's own prefixes (sys-utils/dmesg.c): `-x` (--decode) names the facility and level,
# `kern  :warn  : `, before the time; `-T` (--ctime) prints the time as a wall clock,
# `[Thu Dec  3 15:31:35 2026] ` (its `%a %b %e %H:%M:%S %Y`): a stamped line.
_DECODED = re.compile(
    r"(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7]) {0,6}:"
    r"(?:emerg|alert|crit|err|warn|notice|info|debug) {0,6}: "
)
_CTIME = re.compile(rf"\[{_CTIME_TIME}\] ?")
# util-linux `dmesg -H` (--human, its relative time): a minute's first record `[Dec17 17:14] `, each later
# one its delta to the record before, `[  +0.004646] ` (sys-utils/dmesg.c, DMESG_TIMEFTM_RELTIME).
_HUMAN_TIME = rf"(?:{_MONTH})[ \d]?\d \d\d:\d\d| {{0,8}}\+\d{{1,9}}\.\d{{6}}"
_HUMAN = re.compile(rf"\[(?:{_HUMAN_TIME})\] ?")
# The SGR escapes of a terminal capture (util-linux `dmesg --color=always` colours the time, the
# subsystem and the message by level: `ESC[32m[  12.345678]ESC[0m `): dropped with the log's NULs.
_SGR = re.compile(r"\x1b\[[0-9;]{0,32}m")

# Any program's line in such a file: the timestamp, the host, then the tag (`gnome-session[1443]: `, RFC 3164).
# (BusyBox's syslogd puts the facility and level before it: `daemon.info dnsmasq[123]: `.)
_SYSLOG_OTHER = re.compile(
    rf"(?:{_SYSLOG_TIME}) [^\s]{{1,255}} "
    r"(?:(?:user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7])\.[a-z]{3,7} )?"
    r"[\w.\-/]{1,64}(?:\[\d{1,10}\])?: "
)


def _may_start_syslog_time(raw: str) -> bool:
    """Whether `raw` may start with a _SYSLOG_TIME: a letter (a month or weekday, in any language) or a digit (an
    ISO date, a Unix time, `12月`), or a blank before a digit (glibc's ja_JP and ko_KR ` 7月`, ` 7월`)."""
    c = raw[:1]
    return c.isalnum() or (c == " " and raw[1:2].isdigit())


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
    """Bytes to text: invalid UTF-8 replaced, NULs and carriage returns dropped; a quote's line
    leaders that a patch tool re-cased put back in the kernel's case (kcrashd.core.leader_case)."""
    text = data if isinstance(data, str) else data.decode("utf-8", errors="replace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text:
        text = _SGR.sub("", text)
    if " Part" in text and any(p in text for p in _PSTORE_PREFIXES) and _PSTORE_HEADER.search(text):
        text = "\n".join(reorder_pstore(text.split("\n")))
    if text.startswith(_LAVA_RECORD):
        text = "\n".join(unwrap_lava(text.split("\n")))
    if _QUOTE_START.match(text):
        text = unquote(text)
    return restore_leaders(text)


# A report quoted whole by a person: a commit message's or a doc's literal block (indented by spaces
# or a tab), a mail or tracker reply (`> `, nested `> > `), a wiki's `| ` block.
_QUOTE_START = re.compile(r"\n{0,256}[ \t>|]")  # the first non-blank line's first character
_QUOTE_LEAD = re.compile(r">[ \t]?|\|[ \t]|[ \t]{1,16}")
_QUOTE_DEPTH = 4


def unquote(text: str) -> str:
    """`text` without the quoting lead that every non-blank line shares (a lone `>` or `|` counts as
    blank), peeled one level at a time; where the lines do not all share one, the blanks before a printk time
    go (_QUOTED_STAMP) and the rest stays as it is."""
    lines = text.split("\n")
    for _ in range(_QUOTE_DEPTH):
        filled = [ln for ln in lines if ln.strip() and ln.strip() not in (">", "|")]
        if not filled:
            return text
        first = _QUOTE_LEAD.match(filled[0])
        lead = first.group(0) if first else ""
        if lead.strip() == "" and lead:
            lead = min((ln[: len(ln) - len(ln.lstrip(" \t"))] for ln in filled), key=len)
        if not lead or not all(ln.startswith(lead) for ln in filled):
            break
        lines = [ln[len(lead):] if ln.startswith(lead) else "" for ln in lines]
    else:
        return "\n".join(lines)
    return _QUOTED_STAMP.sub("", "\n".join(lines))


# printk puts a record's time first (kernel/printk/printk.c info_print_prefix): blanks before it are a
# quoter's, where a commit message indents the stamped lines of a splat but not the lines between them.
_QUOTED_STAMP = re.compile(r"^[ \t]{1,16}(?=\[[ \t]{0,12}\d{1,10}\.\d{1,9} {0,4}\] )", re.M)


# A LAVA job log (KernelCI's and Linaro's CI) in YAML: one flow mapping a line, `- {"dt": ..., "lvl": ...,
# "msg": ...}`; the console's lines are the `msg` strings of `target` records.  The dispatcher's own
# records (`debug`, `info`, `results`, ...) quote its crash regexes and other consoles' output: they
# become empty lines, so that line numbers stay those of the file.
_LAVA_RECORD = '- {"dt": "'
_LAVA_TARGET = '"lvl": "target"'
# The record's `msg` when it is a JSON string (escapes kept for json.loads to decode).
_LAVA_MSG = re.compile(r'"msg": ("(?:[^"\\]|\\.)*+")')


def unwrap_lava(raw_lines: list[str]) -> list[str]:
    """The console lines of a LAVA YAML log, one for each record (empty for a non-console record)."""
    out: list[str] = []
    for raw in raw_lines:
        text = ""
        if raw.startswith(_LAVA_RECORD) and _LAVA_TARGET in raw[:80]:
            m = _LAVA_MSG.search(raw)
            # Only the JSON string is decoded (no depth to recurse into, whatever the record holds).
            try:
                msg = json.loads(m.group(1)) if m is not None else None
            except ValueError:  # a bad escape: the record is not LAVA's
                msg = None
            if isinstance(msg, str):
                text = msg.replace("\n", " ")
        elif not raw.startswith(_LAVA_RECORD):
            text = raw  # a line the YAML wrapped, or a log that is LAVA's only in part
        out.append(text)
    return out


def reorder_pstore(raw_lines: list[str]) -> list[str]:
    """Put pstore parts in chronological order: Part1 is the newest chunk, higher parts older."""
    headers = [i for i, ln in enumerate(raw_lines) if ln.startswith(_PSTORE_PREFIXES) and _PSTORE_HEADER.match(ln)]
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
    if raw[:1] == "[":
        # Fast path for the common `[  123.456789] text` (no level, no caller id).
        end = raw.find("] ", 1, 24)
        stamp = raw[1:end]
        # A `]` in it (`[  1.2][ T1] `, the caller id's `] ` found first) is no time: the test is skipped.
        if end > 0 and raw[end + 2 : end + 3] != "[" and "]" not in stamp and _is_time(stamp) and _SYSLOG_KERNEL not in raw:
            return raw[end + 2 :], "console", True
        # The general path gives the same for this shape when no ` login: ` is there to cut at and
        # no second caller id follows (_CALLER needs a `[` in the next two characters).
        m = _STAMP_CALLER.match(raw)
        if m is not None and "[" not in raw[m.end() : m.end() + 2] and _LOGIN not in raw:
            return raw[m.end() :], m.group(1), True
    tool_stamp = False
    m = _syslog_prefix(raw)
    if m is not None:
        if m.re is _SYSLOG_OTHER:
            return "", "", False  # another program's line in a syslog file (its tag is not `kernel`)
        raw, tool_stamp = raw[m.end() :], m.group(1) is not None
    if raw[:1] in _DMESG_FIRST:
        raw, tool_stamp = _dmesg_prefix(raw, tool_stamp)
    if _LOGIN in raw:
        pos = raw.find(_LOGIN, 0, 200)
        if pos >= 0 and "[" in raw[pos:]:
            raw = raw[pos + len(_LOGIN) :]
    if not raw or raw[0] not in "[<*":
        return (raw, "console", True) if tool_stamp else (raw, "", False)
    m = _PREFIX.match(raw)
    end = m.end() if m else 0
    stamped = bool(m and (m.group(2) or m.group(3) is not None)) or tool_stamp
    context = ""
    if "[" in raw[end : end + 2]:
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


_DMESG_FIRST = frozenset("[kumdalnucf")


def _dmesg_prefix(raw: str, stamped: bool) -> tuple[str, bool]:
    """`raw` without util-linux dmesg's `-x`, `-T` and `-H` prefixes, and whether it is stamped."""
    m = _DECODED.match(raw)
    if m is not None:
        raw = raw[m.end() :]
    if raw[:1] == "[" and (raw[1:2].isalnum() or "+" in raw[1:11]):
        m = _CTIME.match(raw) or _HUMAN.match(raw)
        if m is not None:
            return raw[m.end() :], True
    return raw, stamped


# Spaces _PREFIX takes before a timestamp's `]`.
_CLOSING_PAD = 4


def _is_time(s: str) -> bool:
    """`  123.456789`: spaces, digits, one dot (and spaces before the `]`, _PREFIX)."""
    s = s.lstrip(" \t")
    if s.endswith(" "):
        padded = len(s)
        s = s.rstrip(" ")
        if padded - len(s) > _CLOSING_PAD:
            return False
    whole, _, fraction = s.partition(".")
    return whole.isdigit() and fraction.isdigit()


class LogLines:
    """The lines of one log, parsed on first access; `number(i)` is the 1-based line in the file."""

    __slots__ = ("_below", "_numbers", "_parsed", "filled_from", "raw", "stamped_log", "syslogged", "tagged", "text")

    def __init__(self, text: str, raw: list[str], numbers: list[tuple[int, int]] | None = None) -> None:
        self.text = text
        self.raw = raw
        self._parsed: list[Line | None] = [None] * len(raw)
        # The last line _parse_one read ahead of the walk (index, result): the walk reads it next.
        self._below: tuple[int, tuple[str, str, bool]] | None = None
        # (index in raw, line number in the file) at the start of each window of a compacted log
        self._numbers = numbers or [(0, 1)]
        sample = _sample(raw)
        filled = [r for r in sample if r.strip()]
        self.tagged = _bare_tagged(filled)
        self.stamped_log = _stamped_kernel_lines(sample)
        self.syslogged = _syslogged(filled)
        self.filled_from = wrapped.fill_breaks_from(filled) if self.syslogged else 0
        if len(raw) > 2 and self.stamped_log and not self[0].stamped and self[1].stamped:
            # A wrapped ring buffer starts mid-record: drop an unstamped first fragment.
            self._parsed[0] = Line("", "", False)

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, i: int) -> Line:
        line = self._parsed[i]
        if line is None:
            line = self._parse(i)
        return line

    def span(self, start: int, end: int) -> Iterator[Line]:
        """Lines `start` to `end` (excluded) in order, each parsed when the walk reaches it."""
        parsed = self._parsed
        for i in range(start, end):
            line = parsed[i]
            yield self._parse(i) if line is None else line

    def _parse(self, i: int) -> Line:
        """Parse line `i` and the unparsed continuation lines it inherits its context from.

        A continuation line takes the context of the line before it, which may be one too: the
        run is walked back first and parsed forwards (no recursion, whatever the run's length)."""
        text, context, stamped = self._parse_raw(i)
        line = Line(text, context, stamped)
        if stamped or text[:1] not in (" ", "\t") or not text.strip():
            self._parsed[i] = line  # the common case: the line inherits nothing (not _continues)
            return line
        pending = [(i, line)]
        j = i
        while j > 0 and self._parsed[j - 1] is None:
            j -= 1
            pending.append((j, Line(*self._parse_raw(j))))
            if not _continues(pending[-1][1]):
                break
        for j, line in reversed(pending):
            prev = self._parsed[j - 1] if j > 0 else None
            if prev is not None and prev.stamped and _continues(line):
                # makedumpfile indents the continuation lines of a multi-line record.
                line.context = prev.context
                line.continuation = True
                line.stamped = True
            self._parsed[j] = line
        return pending[0][1]

    def _parse_raw(self, i: int) -> tuple[str, str, bool]:
        """parse_line of line `i`, its bare `kernel: ` tag dropped first in a tagged log; a line that
        a quote's wrap cut (kcrashd.core.wrapped) gets its rest from the next line, left empty."""
        text, context, stamped = self._parse_one(i)
        if not text and self.syslogged and _SYSLOG_KERNEL in self.raw[i]:
            text = self._syslog_message_below(i)
        elif self.filled_from and len(self.raw[i]) >= self.filled_from and _syslog_prefix(self.raw[i]) is not None:
            text = self._syslog_rest_below(i, text)
        k = i + 1  # a line cut twice (lockdep's `%px` / ` (%s){%s}, at:` / `%pS`) takes two rests
        while k <= i + 2 and k < len(self.raw) and self.raw[k]:
            # In a log whose kernel lines carry printk times, a stamped line below is no rest whatever `text`
            # ends with: it is tested first (its parse is kept for the walk's next step, _parse_one).
            if self.stamped_log and self._parse_one(k)[2]:
                break
            if not wrapped.may_continue(text):
                break
            rest = wrapped.rest_of(self._parse_one(k)[0])
            if rest is None or not wrapped.continues(text, rest, self.stamped_log):
                break
            text = wrapped.joined(text, rest)
            self._taken(k)
            k += 1
        return text, context, stamped

    def _syslog_message_below(self, i: int) -> str:
        """The message of the syslog kernel line `i` that a quote's wrap left only its prefix and printk time
        (`Feb  4 15:40:27 host kernel: [ 1920.261752]`): the line below, which carries no syslog prefix (every
        line a syslog daemon writes has one), taken from there; "" when there is none such."""
        k = i + 1
        if k >= len(self.raw) or not self.raw[k].strip() or _syslog_prefix(self.raw[k]) is not None:
            return ""
        text = self.raw[k].strip()[:MAX_LINE]
        self._taken(k)
        return text

    def _taken(self, k: int) -> None:
        """Line `k`, joined to the line above it, is left empty (and its parse, if made, too)."""
        self.raw[k] = ""
        self._below = None
        later = self._parsed[k]
        if later is not None:
            later.text = ""

    def _syslog_rest_below(self, i: int, text: str) -> str:
        """The message of the long syslog line `i` with the lines a quote's fill broke off it joined again: in a
        syslog file every line carries its prefix, so the unprefixed, unstamped lines right below it (at most
        _FILLED_RESTS; an elision mark `[...]` is the quoter's, not a rest) are its rest, cut at a blank."""
        for k in range(i + 1, min(i + 1 + _FILLED_RESTS, len(self.raw))):
            if wrapped.ends_whole_symbol(text):
                break  # a frame line that ends in its offset (and module) was whole: the fill did not break it
            below = self.raw[k]
            if not below.strip() or _syslog_prefix(below) is not None or frames.ELISION.match(below):
                break
            rest, _, stamped = parse_line(below)
            if stamped:
                break
            text = f"{text} {rest.strip()}"[:MAX_LINE]
            self._taken(k)
        return text

    def _parse_one(self, i: int) -> tuple[str, str, bool]:
        below = self._below
        if below is not None and below[0] == i:
            return below[1]  # read ahead as the line below the one before (_parse_raw)
        raw = self.raw[i]
        if self.tagged and raw.startswith(_BARE_KERNEL_TAGS):
            raw = raw[len(_BARE_KERNEL_TAG) :]
        parsed = parse_line(raw)
        self._below = (i, parsed)
        return parsed

    def number(self, i: int) -> int:
        """The 1-based line number in the original log of line `i`."""
        base_i, base_n = self._numbers[0]
        for idx, num in self._numbers:
            if idx > i:
                break
            base_i, base_n = idx, num
        return base_n + (i - base_i)


# A syslog line a quote's fill broke is broken at most this many times (wrapped.fill_breaks_from).
_FILLED_RESTS = 3


def _continues(line: Line) -> bool:
    """An unstamped, indented, non-blank line: it may continue the record before it."""
    return not line.stamped and line.text[:1] in (" ", "\t") and bool(line.text.strip())


_STAMP = re.compile(
    r"(?:\*\* \d+ printk messages dropped \*\* )?(?:<\d{1,3}>)?(?:[a-z]{3,8}[0-7]? {0,6}:[a-z]{3,6} {0,6}: )?"
    rf"\[(?:[ \t]{{0,12}}\d{{1,10}}\.\d{{1,9}} {{0,4}}| {{1,12}}(?=\] )|{_CTIME_TIME}"
    rf"|{_HUMAN_TIME})\]"
)


def _sample(raw: list[str]) -> list[str]:
    """At most 64 lines spread over the log, from its first: what the tests of its kind below read."""
    return raw[:: max(1, len(raw) // 64)][:64]


def _bare_tagged(sample: list[str]) -> bool:
    """Whether most of the (sampled, non-empty) lines start with a bare `kernel: ` tag (_BARE_KERNEL_TAGS)."""
    return sum(1 for r in sample if r.startswith(_BARE_KERNEL_TAGS)) * 2 > len(sample)


def _syslog_prefix(raw: str) -> re.Match[str] | None:
    """The syslog file's prefix a raw line starts with: the kernel's (_SYSLOG, whose tag is tested
    first) or another program's (_SYSLOG_OTHER, whose time is tested first)."""
    if _SYSLOG_KERNEL in raw:
        m = _SYSLOG.match(raw)
        if m is not None:
            return m
    return _SYSLOG_OTHER.match(raw) if _may_start_syslog_time(raw) else None


def _syslogged(sample: list[str]) -> bool:
    """Whether the log is a syslog file: over a third of its (sampled, non-empty) lines carry a syslog
    prefix (a quote wrapped at 72 columns leaves about half of them so).  _syslog_prefix finds none in a
    line without the kernel's tag nor a time's first character: such a line is not passed to it."""
    prefixed = (r for r in sample if _SYSLOG_KERNEL in r or _may_start_syslog_time(r))
    return sum(1 for r in prefixed if _syslog_prefix(r) is not None) * 3 > len(sample)


def _stamped_kernel_lines(sample: list[str]) -> bool:
    """Whether the kernel's lines carry printk timestamps: over a tenth of the (sampled) lines do; the
    rest of such a log is user space, a boot loader or a fuzzer writing to the same console."""
    needed = len(sample) // 10 + 1  # stamped * 10 > len(sample): counted only until it is reached
    stamped = 0
    for r in sample:
        if _STAMP.match(r):
            stamped += 1
            if stamped == needed:
                return True
    return False


def load_lines(data: bytes | str) -> tuple[LogLines, list[Unread]]:
    """Decode and split a log; also the ranges of it that are not analysed.

    A log marked by the file reader (kcrashd.core.windows) is already cut to windows.  A log over
    `COMPACT_OVER` is cut here, on the raw data, to its head and the windows around its header
    candidates: a 32 MiB log of ordinary lines is neither decoded nor split as a whole.
    """
    if isinstance(data, bytes) and MARK in data:
        windows, gaps = split_marked(data)
        return _join(windows), gaps
    if len(data) <= COMPACT_OVER:
        text = decode_log(data)
        raw = text.split("\n")
        if raw and raw[-1] == "":
            raw.pop()
        return LogLines(text, raw), []
    scan = HeaderScan()
    scan.feed(data)
    cut = _cut(data, spans(scan.candidates(), len(data)))
    return _join(cut), [Unread(start=f.first, end=f.last, reason=f.reason) for f in scan.floods()]


def _cut(data: bytes | str, wanted: list[tuple[int, int]]) -> list[tuple[int, bytes | str]]:
    """The spans of `data` widened to whole lines, each with its first line's number."""
    nl: bytes | str = b"\n" if isinstance(data, bytes) else "\n"
    out: list[tuple[int, bytes | str]] = []
    line_no, last, prev_end = 1, 0, 0
    for start, end in wanted:
        start = max(prev_end, data.rfind(nl, 0, start) + 1 if start else 0)  # type: ignore[arg-type]
        if end < len(data):
            cut = data.rfind(nl, start, end)  # type: ignore[arg-type]
            end = cut + 1 if cut >= start else end  # one huge line: keep its start (lines are cut anyway)
        if end <= start:
            continue
        prev_end = end
        line_no += data.count(nl, last, start)  # type: ignore[arg-type]
        last = start
        out.append((line_no, data[start:end]))
    return out


def _join(windows: Sequence[tuple[int, bytes | str]]) -> LogLines:
    """Windows decoded and split, with an empty gap line between two of them."""
    kept: list[str] = []
    numbers: list[tuple[int, int]] = []
    for n, (line_no, chunk) in enumerate(windows):
        if n:
            kept.append("")  # a gap: no context, no header
        numbers.append((len(kept), line_no))
        text = decode_log(chunk)
        kept.extend(text[:-1].split("\n") if text.endswith("\n") else text.split("\n"))
    return LogLines("\n".join(kept), kept, numbers or [(0, 1)])


# Headers printed by user space or the boot loader, not printk: they carry no timestamp.
_NOT_PRINTK = frozenset({"SYZFAIL:", "fatal error:", "Booting the kernel.", "unreferenced object 0x"})
# The lines a kernel report prints below its header: lib/dump_stack.c dump_stack_print_info (`CPU: %d
# PID: %d Comm:`, 2.6-3.x `Pid: %d, comm:`, `Hardware name:`), kernel/module print_modules (`Modules
# linked in:`), the register dumps of arch/*/kernel/process.c __show_regs / show_regs (x86 `RIP:`,
# `EIP:`, `IP:`, arm64 `pc :`, arm `PC is at`, powerpc `NIP`, s390 `Krnl PSW`), the traces' own
# headers (`Call Trace:`, arm64 `Call trace:`), x86 __die `Oops: %04lx [#%d]`.  Below an unstamped
# header in a stamped log, within BODY_LINES, they make it a kernel report.
_REPORT_BODY = re.compile(
    r"^\s*(?:CPU: \d+ (?:UID: \d+ )?PID: \d+|Pid: \d+, comm:|Hardware name:|Modules linked in:|"
    r"[ER]?IP: (?:[0-9a-fA-F]{4}:|\[<)|[ER]?IP is at |pc : |PC is at |NIP[ :\[]|Krnl PSW|Call [Tt]race:|"
    r"Oops: [0-9a-f]{4} \[#\d+\])"
)
# How far below its header a report's body lines are looked for.
BODY_LINES = 8
# A header line that ends here was wrapped before its site (_join_wrapped_site).
_AT_END = " at"


@dataclass(frozen=True, slots=True)
class HeaderLine:
    """A line holding a report header (headers.header_in) that counts as a kernel line: its index,
    the header and where in the line it is."""

    index: int
    header: str
    pos: int


def header_lines(lines: LogLines, candidates: list[int]) -> list[HeaderLine]:
    """The `candidates` (line indices, in order) that hold a header and count as kernel lines,
    each normalised when found.  In a log whose kernel lines carry timestamps, an unstamped line is
    user space's, unless the kernel's report body follows it: then it is a kernel header that lost
    its stamp and takes the body's context (_adopt_body).  A kernel header wrapped after ` at` is
    joined with its site (_join_wrapped_site)."""
    out: list[HeaderLine] = []
    for i in candidates:
        found = header_in(lines[i].text)
        if found is None:
            continue
        if lines.stamped_log and not lines[i].stamped and i > 0:
            i, found = _join_split_header(lines, i, found)
        header, pos = found
        if lines.stamped_log and not lines[i].stamped and header not in _NOT_PRINTK and not _adopt_body(lines, i):
            continue
        _join_wrapped_site(lines, i)
        out.append(HeaderLine(i, header, pos))
    return out


def _join_split_header(lines: LogLines, i: int, found: tuple[str, int]) -> tuple[int, tuple[str, int]]:
    """The unstamped line `i` joined to the stamped line above it when the header's signature row
    matches across the two (wrapped.splits_header: `BUG kmalloc-64 (Tainted: G B): Right` /
    `Redzone overwritten`, mm/slub.c slab_bug prints it in one line); the line and header to read then."""
    above = lines[i - 1]
    rest = lines[i].text.strip()  # the header's own line: rest_of would refuse it
    if not above.stamped or not above.text.strip() or not wrapped.splits_header(above.text, rest, found[0]):
        return i, found
    above.text = wrapped.joined(above.text, rest)
    lines[i].text = ""
    joined = header_in(above.text)
    return (i - 1, joined) if joined is not None else (i, found)


def _adopt_body(lines: LogLines, i: int) -> bool:
    """Whether a kernel report's body (_REPORT_BODY) is just below the unstamped header line `i`;
    if so, the header takes the context of the first stamped body line (as a continuation line
    takes its record's), so that the report collects the body."""
    found = False
    for j in range(i + 1, min(len(lines), i + 1 + BODY_LINES)):
        line = lines[j]
        if _REPORT_BODY.match(line.text) is None:
            continue
        found = True
        if line.stamped:
            header = lines[i]
            header.context, header.stamped = line.context, True
            break
    return found


def _join_wrapped_site(lines: LogLines, i: int) -> None:
    """The header line `i`, joined with the next line when it ends right after ` at`: kernel/panic.c
    __warn prints `at %pS` (3.x warn_slowpath_common `at %s:%d %pS()`, lib/bug.c `kernel BUG at %s:%d!`)
    in one line, so a line that ends in ` at` was wrapped by whoever quoted it and the site is below.
    The joined text replaces the header's own; the next line is left empty."""
    line = lines[i]
    text = line.text.rstrip()
    if not text.endswith(_AT_END) or i + 1 >= len(lines):
        return
    below = lines[i + 1].text.strip()
    if not below or header_in(below) is not None:
        return
    line.text = f"{text} {below}"
    lines[i + 1].text = ""
