"""Metamorphic log variants: the same crash as another capture tool, boot, host or build prints it.

A fingerprint must not depend on how a log was captured nor on what changes between boots and
builds (issue 13).  `TRANSFORMS` is a table of pure text-to-text rewrites, each reproducing the
output of one real tool or kernel path (cited in its `why`), each applied only to a log where it
makes sense (`applies`: no level prefixes added to a log that has them, no timestamps removed
from a log without any).  tests/core/invariance.py runs the table over the development logs of
the three corpora; tests/core/test_log_variants.py asserts the variants that hold.

The rewrites parse the capture prefix themselves (`split_prefix`), independently of
kcrashd.core.normalize, so that a parser bug cannot hide in its own test.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

# A kernel line's capture prefix, as the tools print it: what user space left on the console line
# before the kernel's line began (a getty prompt `host login: `), a syslog prefix (`Dec  3 15:31:35 host kernel: `),
# a level (`<4>`), the printk time (`[  12.345678] `), a caller id (`[ T123] `/`[  C1] `).
_TTY = re.compile(r"[\w.\-]{1,64} login: (?=[<\[])")
# A bare `kernel: ` is that prefix with its date and host cut off by the person who pasted it (production
# patches/ splats quoted from /var/log/messages): still syslog's tag, never the kernel's text.
_SYSLOG = re.compile(r"(?:[A-Z][a-z]{2} [ 0-3]\d \d\d:\d\d:\d\d [^\s]{1,64} )?kernel: ")
_SYSLOG_DATE = re.compile(r"[A-Z][a-z]{2} [ 0-3]\d \d\d:\d\d:\d\d ")
_LEVEL = re.compile(r"<\d{1,3}>")
_TIME = re.compile(r"\[[ \t]{0,12}(\d{1,10})\.(\d{1,9})\] ?")
_CALLER = re.compile(r"\[ {0,10}([TC])(\d{1,7})\] ?")


@dataclass(frozen=True)
class Prefix:
    """One line's capture prefix, split into its fields (empty when absent), and the kernel's text."""

    tty: str
    syslog: str
    level: str
    time: str
    caller: str
    body: str


def split_prefix(line: str) -> Prefix:
    """`line` as user space's leftover, syslog prefix, level, time, caller id and body."""
    parts = []
    pos = 0
    for rx in (_TTY, _SYSLOG, _LEVEL, _TIME, _CALLER):
        m = rx.match(line, pos)
        parts.append(m.group(0) if m else "")
        pos = m.end() if m else pos
    return Prefix(*parts, body=line[pos:])


def join(p: Prefix) -> str:
    return p.tty + p.syslog + p.level + p.time + p.caller + p.body


def _lines(text: str) -> list[Prefix]:
    return [split_prefix(ln) for ln in text.split("\n")]


def _share(text: str, field: str) -> float:
    """The share of non-blank lines whose prefix has `field`."""
    lines = [p for p in _lines(text) if p.body.strip() or p.time]
    return sum(bool(getattr(p, field)) for p in lines) / len(lines) if lines else 0.0


def _has(field: str) -> Callable[[str], bool]:
    return lambda text: _share(text, field) > 0.3


def _lacks(*fields: str) -> Callable[[str], bool]:
    return lambda text: all(_share(text, f) == 0.0 for f in fields)


def _both(*tests: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda text: all(t(text) for t in tests)


def _per_line(rewrite: Callable[[Prefix, int], Prefix]) -> Callable[[str], str]:
    """A rewrite of every line's prefix (the line's index passed along); blank lines kept."""
    def run(text: str) -> str:
        out = []
        for i, p in enumerate(_lines(text)):
            out.append(join(rewrite(p, i)) if p.body.strip() or p.time else join(p))
        return "\n".join(out)
    return run


def _seconds(p: Prefix, i: int) -> float:
    """The line's printk time, or one a millisecond a line for a log without."""
    m = _TIME.match(p.time)
    return int(m.group(1)) + int(m.group(2)) / 10 ** len(m.group(2)) if m else i / 1000


def _stamp(seconds: float) -> str:
    """The kernel's `[%5lu.%06lu] ` (kernel/printk/printk.c print_time)."""
    usec = round(seconds * 1_000_000)
    return f"[{usec // 1_000_000:5d}.{usec % 1_000_000:06d}] "


def _wall(seconds: float, day_pad: str) -> str:
    """A wall clock `Dec 03 15:31:35` (journalctl, `0`) or `Dec  3 15:31:35` (RFC 3164, ` `)."""
    t = 15 * 3600 + 31 * 60 + int(seconds)
    day = 3 + t // 86400
    t %= 86400
    return f"Dec {day:{day_pad}>2} {t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"


HOST = "buildhost-07"


def kernel_only(rewrite: Callable[[str], str]) -> Callable[[str], str]:
    """`rewrite` of the kernel's lines alone, as a journal, a kern.log or dmesg holds them: in a
    stamped console log an unstamped line is user space's (dropped) unless indented (a record's
    further line), and so is what user space left before a kernel line (`host login: `).  A log
    with level prefixes was read from the kernel's buffer already: all its lines are the kernel's."""
    def run(text: str) -> str:
        if _share(text, "time") > 0.1 and _share(text, "level") < 0.3:
            kept = [join(replace(p, tty="")) for p in _lines(text) if p.time or p.body[:1] in (" ", "\t")]
            text = "\n".join(kept)
        return rewrite(text)
    return run


def one_task(text: str) -> bool:
    """Whether one task printed the log's reports (one `PID:`): the caller ids of interleaved
    reports cannot be recovered, so only such a log gets one."""
    return len(set(re.findall(r"\bPID: (\d{1,7})", text))) <= 1


def journal(p: Prefix, i: int) -> Prefix:
    return Prefix("", f"{_wall(_seconds(p, i), '0')} {HOST} kernel: ", "", "", "", p.body)


def rsyslog(p: Prefix, i: int) -> Prefix:
    return Prefix("", f"{_wall(_seconds(p, i), ' ')} {HOST} kernel: ", "", p.time, p.caller, p.body)


# glibc 2.36's LC_TIME abbreviations of Thursday and December (`%a`, `%b`): journalctl and util-linux dmesg print
# the reader's (systemd's logs-show.c output_timestamp_realtime, dmesg.c's strftime), RFC 3164 syslog C's English.
_LOCALES = (("ru_RU", "Чт", "дек"), ("de_DE", "Do", "Dez"), ("fr_FR", "jeu.", "déc."), ("ja_JP", "木", "12月"),
            ("ca_ES", "dj.", "de des."), ("ar_SY", "خ", "كانون الأول"), ("tr_TR", "Prş", "Ara"), ("ko_KR", "목", "12월"))


def _locale_of(text: str) -> tuple[str, str, str]:
    """One of _LOCALES for the log, the same every run."""
    return _LOCALES[int(hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest(), 16) % len(_LOCALES)]


def localized(rewrite: Callable[[str], str], english: str, local: Callable[[tuple[str, str, str]], str]) -> Callable[[str], str]:
    """`rewrite`, then each line's leading English `english` time words put in a reader's locale."""
    def run(text: str) -> str:
        words = local(_locale_of(text))
        return "\n".join(words + line[len(english):] if line.startswith(english) else line for line in rewrite(text).split("\n"))
    return run


def ctime(p: Prefix, i: int) -> Prefix:
    """util-linux `dmesg -T`: the printk time as a wall clock, `[Thu Dec  3 15:31:35 2026] `."""
    return Prefix(p.tty, "", "", f"[Thu {_wall(_seconds(p, i), ' ')} 2026] ", p.caller, p.body)


def human(text: str) -> str:
    """util-linux `dmesg -H` (--human, its --reltime): a minute's first record stamped `[Dec03 15:31] `,
    each later one with its delta to the record before, `[  +0.004646] ` (production patches/
    stable-i40e-xdp-unload-warning, stable-meson-find-components-uaf, stable-amdgpu-*)."""
    out, last, minute = [], None, None
    for i, p in enumerate(_lines(text)):
        if not (p.body.strip() or p.time):
            out.append(join(p))
            continue
        now = _seconds(p, i)
        wall = _wall(now, "0")
        if wall[:12] != minute or last is None:
            stamp, minute = f"[{wall[:3]}{wall[4:12]}] ", wall[:12]
        else:
            stamp = f"[  +{now - last:.6f}] "
        last = now
        out.append(join(Prefix(p.tty, "", "", stamp, p.caller, p.body)))
    return "\n".join(out)


_LEVEL_NAMES = ("emerg", "alert", "crit", "err", "warn", "notice", "info", "debug")


def decode(p: Prefix, i: int) -> Prefix:
    """util-linux `dmesg -x`: facility and level names before the time, `kern  :warn  : `."""
    n = zlib.crc32(p.body.encode("utf-8", "surrogateescape")) % 8
    return Prefix(p.tty, "", f"kern  :{_LEVEL_NAMES[n]:<6}: ", p.time, p.caller, p.body)


def monotonic(p: Prefix, i: int) -> Prefix:
    """`journalctl -k -o short-monotonic`: `[  123.456789] host kernel: ` + MESSAGE."""
    return Prefix("", f"{_stamp(_seconds(p, i))}{HOST} kernel: ", "", "", "", p.body)


def iso(p: Prefix, i: int) -> Prefix:
    """`journalctl -k -o short-iso`: `2026-12-03T15:31:35+0000 host kernel: ` + MESSAGE."""
    clock = _wall(_seconds(p, i), "0")
    return Prefix("", f"2026-12-{clock[4:6]}T{clock[7:]}+0000 {HOST} kernel: ", "", "", "", p.body)


def precise(p: Prefix, i: int) -> Prefix:
    """`journalctl -k -o short-precise`: `Dec 03 15:31:35.123456 host kernel: ` + MESSAGE."""
    usec = round(_seconds(p, i) * 1_000_000) % 1_000_000
    return Prefix("", f"{_wall(_seconds(p, i), '0')}.{usec:06d} {HOST} kernel: ", "", "", "", p.body)


def full(p: Prefix, i: int) -> Prefix:
    """`journalctl -k -o short-full`: `Thu 2026-12-03 15:31:35 UTC host kernel: ` + MESSAGE."""
    clock = _wall(_seconds(p, i), "0")
    return Prefix("", f"Thu 2026-12-{clock[4:6]} {clock[7:]} UTC {HOST} kernel: ", "", "", "", p.body)


def unix(p: Prefix, i: int) -> Prefix:
    """`journalctl -k -o short-unix`: `1764776095.123456 host kernel: ` + MESSAGE."""
    return Prefix("", f"{1_764_775_895 + _seconds(p, i):.6f} {HOST} kernel: ", "", "", "", p.body)


def color(p: Prefix, i: int) -> Prefix:
    """util-linux `dmesg --color=always`: the time in green (`ESC[32m...ESC[0m`)."""
    return Prefix(p.tty, p.syslog, p.level, f"\x1b[32m{p.time.rstrip()}\x1b[0m " if p.time else "", p.caller, p.body)


def level(p: Prefix, i: int) -> Prefix:
    n = zlib.crc32(p.body.encode("utf-8", "surrogateescape")) % 8  # a level 0-7, whatever the line's
    return Prefix(p.tty, p.syslog, f"<{n}>", p.time, p.caller, p.body)


def add_time(p: Prefix, i: int) -> Prefix:
    return Prefix(p.tty, p.syslog, p.level, _stamp(0.5 + i / 1000), p.caller, p.body)


def add_caller(p: Prefix, i: int) -> Prefix:
    # One task for the whole log; a line without a printk time is not the kernel's: it gets none.
    return Prefix(p.tty, p.syslog, p.level, p.time, "[ T4242] " if p.time else "", p.body)


def makedumpfile_caller(p: Prefix, i: int) -> Prefix:
    return Prefix(p.tty, p.syslog, p.level, p.time.rstrip() + " ", "[    T4242] ", p.body) if p.time else p


def shift_time(p: Prefix, i: int) -> Prefix:
    seconds = _seconds(p, i)
    syslog = f"{_wall(seconds + 5025, ' ')}{p.syslog[15:]}" if _SYSLOG_DATE.match(p.syslog) else p.syslog
    return Prefix(p.tty, syslog, p.level, _stamp(seconds + 5025.123456) if p.time else "", p.caller, p.body)


def dropped(text: str) -> str:
    """The console's `** 3 printk messages dropped **` notice (kernel/printk/printk.c) as a line of its
    own after every 40th line, the lines themselves kept."""
    out = []
    for i, line in enumerate(text.split("\n")):
        out.append(line)
        if i % 40 == 39:
            out.append("** 3 printk messages dropped **")
    return "\n".join(out)


def pstore(text: str) -> str:
    """systemd-pstore's dmesg-ramoops file: a `Panic#1 Part1` header (fs/pstore/platform.c
    pstore_dump), then the record's lines with `<N>` levels (kmsg_dump_get_buffer, syslog=true)."""
    return "Panic#1 Part1\n" + _per_line(level)(text)


_USERSPACE = (
    "[  OK  ] Started Journal Service.",
    "         Starting Load Kernel Modules...",
    "Debian GNU/Linux 12 buildhost-07 ttyS0",
    "[  OK  ] Reached target Multi-User System.",
)


def userspace(text: str) -> str:
    """Every seventh line followed by a line user space wrote to the same console."""
    out = []
    for i, line in enumerate(text.split("\n")):
        out.append(line)
        if i % 7 == 6:
            out.append(_USERSPACE[i // 7 % len(_USERSPACE)])
    return "\n".join(out)


# -- another boot, host or build: the fields that change, rewritten consistently ------------------

_PID = re.compile(
    r"(?P<lead>\b(?:PID|[Pp]id)(?::[ \t]?|=)|\b[Pp]id |\btask (?:[\w.\-]{1,32}/)?|\bcomm: [\w.\-]{1,32} pid )"
    r"(?P<n>\d{1,7})\b"
)
_TASK_CALLER = re.compile(r"\[ {0,10}T(\d{1,7})\]")
# the watchdog's `stuck for 22s! [comm:pid]` (kernel/watchdog.c)
_LOCKUP_TASK = re.compile(r"(s! \[[^\]:\n]{1,64}:)(\d{1,7})\]")


def _new_pid(n: int) -> int:
    """PIDs 0-2 (idle, init, kthreadd) are the same on every boot; the rest move."""
    return n if n <= 2 else 3 + (n * 7919 + 101) % 4_000_000


def pids(text: str) -> str:
    """Every PID field and task caller id mapped to another PID, the same one wherever it recurs."""
    text = _PID.sub(lambda m: m.group("lead") + str(_new_pid(int(m.group("n")))), text)
    text = _LOCKUP_TASK.sub(lambda m: f"{m.group(1)}{_new_pid(int(m.group(2)))}]", text)
    return _TASK_CALLER.sub(lambda m: f"[{'T' + str(_new_pid(int(m.group(1)))):>6}]", text)


_DURATION = re.compile(
    r"(\bstuck for |\bblocked for more than |\bt=|\bstall on CPU [^\n]{0,60}?|\bin )(\d{1,9})( ?s\b|s!| seconds| jiffies| ms\b)"
)


def durations(text: str) -> str:
    """How long a lockup, hang or stall lasted when reported: the watchdog's and RCU's thresholds
    and the timer ticks differ per host (`stuck for 22s!`, `blocked for more than 120 seconds`, `t=10502 jiffies`)."""
    return _DURATION.sub(lambda m: f"{m.group(1)}{int(m.group(2)) * 3 // 2 + 1}{m.group(3)}", text)


_COMM = re.compile(r"\b(kworker/u?)(\d{1,4}):(\d{1,4})(H?)\b|\b(syz-executor)\.?(\d{1,3})?(?=[\s/:\]])")


def comms(text: str) -> str:
    """Per-boot task names: kworker's pool and worker ids (`kworker/0:1` -> `kworker/1:3`, kernel/
    workqueue.c) and syzkaller's executor instance (`syz-executor.3` -> `syz-executor.5`)."""
    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return f"{m.group(1)}{int(m.group(2)) ^ 1}:{int(m.group(3)) + 2}{m.group(4)}"
        return f"syz-executor.{(int(m.group(6) or 0) + 2) % 8}"
    return _COMM.sub(sub, text)


_CPU = re.compile(r"(?P<lead>\bCPU: |\bCPU#|\bon CPU |\[ {0,10}C)(?P<n>\d{1,4})\b")


def cpus(text: str) -> str:
    """CPU numbers swapped in pairs (0<->1, 2<->3): a permutation, so distinct CPUs stay distinct."""
    return _CPU.sub(lambda m: m.group("lead") + str(int(m.group("n")) ^ 1), text)


_ADDR = re.compile(r"\bffff[0-9a-f]{12}\b")
_SHIFT = 0x2A00000  # 2 MiB-aligned, as KASLR moves the kernel image


_ADDR32 = re.compile(r"(?<=\[<)[c-f][0-9a-f]{7}(?=>\])")  # i386/arm32 `[<c0123456>]` frames and EIP


def addresses(text: str) -> str:
    """Every 64-bit kernel address (and 32-bit `[<c0123456>]` one) moved by one 2 MiB-aligned shift."""
    def sub(m: re.Match[str]) -> str:
        new = (int(m.group(0), 16) + _SHIFT) & 0xFFFF_FFFF_FFFF_FFFF
        return f"{new:016x}" if new >> 48 == 0xFFFF else m.group(0)

    def sub32(m: re.Match[str]) -> str:
        new = int(m.group(0), 16) + _SHIFT // 16
        return f"{new:08x}" if new <= 0xFFFF_FFFF else m.group(0)
    return _ADDR32.sub(sub32, _ADDR.sub(sub, text))


_OFFSET = re.compile(r"\b([A-Za-z_][\w.]{0,127})\+0x([0-9a-f]{1,8})/0x([0-9a-f]{1,8})\b")


def offsets(text: str) -> str:
    """Each function grown by its own amount, its call sites' offsets moved in proportion."""
    def sub(m: re.Match[str]) -> str:
        off, size = int(m.group(2), 16), int(m.group(3), 16)
        grow = 0x10 + zlib.crc32(m.group(1).encode("utf-8", "surrogateescape")) % 0x70
        return f"{m.group(1)}+0x{off + grow * off // max(size, 1):x}/0x{size + grow:x}"
    return _OFFSET.sub(sub, text)


_CLONE = re.compile(r"\.(isra|constprop|part|cold|llvm)\.(\d{1,6})\b")


def clones(text: str) -> str:
    """GCC's clone suffixes numbered otherwise (`.isra.0` -> `.isra.3`): another build's numbering."""
    return _CLONE.sub(lambda m: f".{m.group(1)}.{int(m.group(2)) + 3}", text)


_SOURCE_LINE = re.compile(r"(\b(?:at|BUG at) [\w./\-]{1,200}\.[ch]):(\d{1,6})\b")


def source_lines(text: str) -> str:
    """`at file.c:N` (__WARN's and BUG()'s file and line) moved by a patch above it in the same file."""
    return _SOURCE_LINE.sub(lambda m: f"{m.group(1)}:{int(m.group(2)) + 7}", text)


_MODULES = re.compile(r"(Modules linked in:)([^\n]{1,4000})")


def modules(text: str) -> str:
    """The first line of `Modules linked in:` in reverse order."""
    return _MODULES.sub(lambda m: m.group(1) + " " + " ".join(reversed(m.group(2).split())), text)


_TAINT = re.compile(r"\b(?:Not tainted|Tainted: [A-Z][A-Z ]{0,30}?) (?=\d)")


def taint(text: str) -> str:
    """Not tainted <-> tainted by an out-of-tree module (fixed-width flags of kernel/panic.c)."""
    return _TAINT.sub(lambda m: "Tainted: G           O       " if m.group(0).startswith("Not") else "Not tainted ", text)


_HARDWARE = re.compile(r"(Hardware name: )[^\n]{1,300}")


def hardware(text: str) -> str:
    return _HARDWARE.sub(r"\1Dell Inc. PowerEdge R740/0923K0, BIOS 2.12.2 07/09/2021", text)


_RELEASE = re.compile(r"(\b(?:Not tainted|Tainted: [A-Z][A-Z ]{0,30}?|Linux version) )(\d{1,2}\.\d{1,3}(?:\.\d{1,3})?)(\S{0,80})(?: #\d{1,6})?")


def version(text: str) -> str:
    """Another build of the same release: another local version and build number."""
    return _RELEASE.sub(lambda m: f"{m.group(1)}{m.group(2)}-kc9-restyle #77", text)


def hostnames(text: str) -> str:
    return _SYSLOG_HOST.sub(lambda m: m.group(1) + "otherhost-42 kernel: ", text)


_SYSLOG_HOST = re.compile(r"^([A-Z][a-z]{2} [ 0-3]\d \d\d:\d\d:\d\d )[^\s]{1,64} kernel: ", re.M)


# -- a report quoted by a person: pasted into a commit message, a bug tracker, a doc or a chat ------

def indent(lead: str) -> Callable[[str], str]:
    """Every non-blank line behind `lead`: a commit message's or a doc's literal block."""
    return lambda text: "\n".join(lead + line if line.strip() else line for line in text.split("\n"))


def quoted(text: str) -> str:
    """A mail or tracker reply's `> ` before every line (`>` alone before a blank one)."""
    return "\n".join("> " + line if line.strip() else ">" for line in text.split("\n"))


# a `? sym+off/size` frame, the unwinder's unreliable guess (arch/x86/kernel/dumpstack.c printk_stack_address)
_UNRELIABLE = re.compile(r"\s{0,8}(?:\[<[0-9a-f]{8,16}>\] {0,2})?\? [A-Za-z_]")
# x86 (__show_regs), i386, arm/arm64 (__show_regs) and powerpc (GPRnn) register lines; RIP/EIP/pc/lr kept
_REGISTERS = re.compile(
    r"\s{0,8}(?:R[ABCD]X|R[SD]I|R[BS]P|R\d{1,2}|E[ABCD]X|E[SD]I|E[BS]P|[CDEFGS]S|CR\d|DR\d|GPR\d\d"
    r"|x\d{1,2}|r\d{1,2}|sp|ip|fp) {0,2}: {0,4}[0-9a-f]"
)
_MODULES_LINE = re.compile(r"\s{0,8}Modules linked in:")
_CALL_TRACE = re.compile(r"\s{0,8}Call [Tt]race:\s{0,4}$")
_FRAME = re.compile(r"\s{0,8}(?:\[<[0-9a-f]{8,16}>\] {0,2})?(?:\? )?[A-Za-z_][\w.]{0,127}\+0x[0-9a-f]{1,8}/0x[0-9a-f]{1,8}")


# A line's first word before `: ` (or `:` ending the line), as a patch tool reads a `Tag: value` line.
_TAG_WORD = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,15}):(?= |$)", re.M)


def tag_cased(text: str) -> str:
    """Every line's first word read as a tag and re-cased, a capital then lower case (`BUG:` -> `Bug:`,
    `CPU: 1` -> `Cpu: 1`, `loop0:` -> `Loop0:`): how the production patches/suse-*-mangled* quotes were
    stored by the patch tool of their source tree."""
    return _TAG_WORD.sub(lambda m: m.group(1).capitalize() + ":", text)


# arm64's fault header as arch/arm64/mm/fault.c die_kernel_fault prints it, whole on its line.
_ARM64_FAULT_HEADER = re.compile(r"Unable to handle kernel [a-zA-Z \-]{4,60} at virtual address [0-9a-f]{8,16}$")


def second_cpu_fault(text: str) -> str:
    """A second CPU that faults in the same code at the same time: arm64's die_kernel_fault prints its header
    (`Unable to handle kernel %s at virtual address %016lx`) before die() takes die_lock, so that CPU's header
    lands right below the first CPU's, whose report then follows (the second waits for the lock)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        p = split_prefix(line)
        if _ARM64_FAULT_HEADER.match(p.body):
            return "\n".join([*lines[: i + 1], line, *lines[i + 1 :]])
    return text


def drop(rx: re.Pattern[str]) -> Callable[[str], str]:
    """The log without the lines whose kernel text (after the capture prefix) `rx` matches."""
    return lambda text: "\n".join(line for line in text.split("\n") if not rx.match(split_prefix(line).body))


# A trace frame's `[<addr>]` column and `+off/size` (what Documentation/process/submitting-patches.rst,
# "Backtraces in commit messages", trims from a quoted trace: its example lists `mba_wrmsr` alone).
_FRAME_PARTS = re.compile(
    r"(?P<lead>\s{0,8})(?:\[<[0-9a-f]{8,16}>\] {0,2})?(?P<q>\? )?(?P<sym>[A-Za-z_][\w.]{0,127})"
    r"\+0x[0-9a-f]{1,8}/0x[0-9a-f]{1,8}(?P<tail>.*)"
)


def bare_frames(text: str) -> str:
    """Every trace frame as its function's name alone (`mba_wrmsr`, `? f`, `g [mod]`): the address
    column and the offsets gone, the line's capture prefix and a module tail kept."""
    out = []
    for line in text.split("\n"):
        p = split_prefix(line)
        m = _FRAME_PARTS.fullmatch(p.body)
        out.append(join(replace(p, body=f"{m['lead']}{m['q'] or ''}{m['sym']}{m['tail']}")) if m else line)
    return "\n".join(out)


# The lines Documentation/process/submitting-patches.rst calls distracting in a quoted trace: the module list, the
# register and stack dumps (`Code:` bytes among them) and the unwinder's `?` guesses.
_DISTRACTING = (_MODULES_LINE, _REGISTERS, re.compile(r"\s{0,8}Code: "), _UNRELIABLE)


def trimmed(text: str) -> str:
    """A report trimmed as Documentation/process/submitting-patches.rst ("Backtraces in commit messages") asks:
    no capture prefix (timestamps), no module list, registers, `Code:` or `?` frames, each frame its name alone."""
    kept = []
    for line in text.split("\n"):
        body = split_prefix(line).body
        if not any(rx.match(body) for rx in _DISTRACTING):
            kept.append(body)
    return bare_frames("\n".join(kept))


def elide(text: str) -> str:
    """A long trace cut for a message: of every run of 24 or more frame lines the first 16 and the
    last 2 kept, the rest one `...` line."""
    out: list[str] = []
    run: list[str] = []
    for line in [*text.split("\n"), None]:
        if line is not None and _FRAME.match(split_prefix(line).body):
            run.append(line)
            continue
        out.extend([*run[:16], " ...", *run[-2:]] if len(run) >= 24 else run)
        run = []
        if line is not None:
            out.append(line)
    return "\n".join(out)


# A symbol with its offset as %pS prints it, where scripts/decode_stacktrace.sh reads it.
_SYM_OFFSET = re.compile(r"\b([A-Za-z_][\w.]{0,127})\+0x[0-9a-f]{1,8}/0x[0-9a-f]{1,8}")
# The one word scripts/decode_stacktrace.sh decodes (handle_line passes parse_symbol the line's last word):
# parse_symbol strips one `(` before it and one `)` after it, keeps a `segment:` (`0010:` of x86's RIP) and
# reads `name+offset/size`; a `()` after the size (2.6's `WARNING: at file.c:N f+0x1/0x2()`) goes with the `)`.
_LAST_WORD = re.compile(
    r"\(?(?P<seg>[^\s:()]{1,32}:)?(?P<name>[A-Za-z_][\w.]{0,127})\+0x[0-9a-f]{1,8}/0x[0-9a-f]{1,8}\(?\)?"
)


def _last_word(text: str) -> int:
    """Where the last blank-separated word of `text` (right-stripped) starts."""
    return max(text.rfind(" "), text.rfind("\t")) + 1


def _decode_line(line: str) -> str:
    """One line as handle_line prints it: its last word decoded, or the word before a last word in brackets,
    which handle_line takes for a module and prints after the position without its brackets
    (`f+0x1/0x2 [mod]` -> `f (file.c:N) mod`).  A line whose word does not parse is left as it is."""
    body = line.rstrip()
    cut = _last_word(body)
    module = ""
    if cut > 0 and body[cut:].startswith("[") and body[cut:].rstrip(")").endswith("]"):
        module = " " + body[cut:].rstrip(")")[1:-1]
        body = body[:cut].rstrip()
        cut = _last_word(body)
    m = _LAST_WORD.fullmatch(body, cut)
    if m is None:
        return line
    n = zlib.crc32(m.group("name").encode())
    return f"{body[:cut]}{m.group('seg') or ''}{m.group('name')} (kernel/unit{n % 97}.c:{n % 4000 + 1}){module}"


def decoded(text: str) -> str:
    """scripts/decode_stacktrace.sh's output: the `sym+0x1/0x2` ending a line (frames, RIP, a header's `%pS`)
    as `sym (path/file.c:N)` (_decode_line), with a source position made up from the name (production
    patches/ rpi-bluetooth-hci-init-kasan-decoded, deepin-rt-futex-odebug-hrtimer, stable-mptcp-*).  The
    address column is kept, as the 2.6-4.x decoded reports quoted in commits show it."""
    return "\n".join(_decode_line(line) if "+0x" in line else line for line in text.split("\n"))


# git's commit message convention (72 columns) and an editor's fill (Emacs fill-column, vim textwidth)
WRAP_COLUMNS = 72


def _fill(line: str, lead: str) -> list[str]:
    """`line` broken as a fill does it: at the last blank at or before column WRAP_COLUMNS (the blank
    dropped), the rest on the next line behind `lead`, repeatedly; no blank there: left long."""
    out = []
    while len(line) > WRAP_COLUMNS:
        start = len(line) - len(line.lstrip(" \t")) if not out else len(lead)
        cut = max(line.rfind(" ", start + 1, WRAP_COLUMNS), line.rfind("\t", start + 1, WRAP_COLUMNS))
        if cut < 0:
            break
        out.append(line[:cut].rstrip(" \t"))
        line = lead + line[cut + 1 :].lstrip(" \t")
    return [*out, line]


def wrap(keep_indent: bool) -> Callable[[str], str]:
    """Every line filled to WRAP_COLUMNS (_fill), its continuation lines flush left or, with
    `keep_indent`, behind the line's own indentation."""
    def run(text: str) -> str:
        out: list[str] = []
        for line in text.split("\n"):
            out.extend(_fill(line, line[: len(line) - len(line.lstrip(" \t"))] if keep_indent else ""))
        return "\n".join(out)
    return run


def _contains(rx: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda text: rx.search(text) is not None


class Family(StrEnum):
    CAPTURE = "capture"  # how the log was captured
    BOOT = "boot"  # another boot, host or build of the same kernel code
    QUOTE = "quote"  # a report pasted by a person into a commit message, a tracker, a doc or a chat


@dataclass(frozen=True)
class Transform:
    """One rewrite: its name, family, the tool or kernel code it reproduces, where it applies."""

    name: str
    family: Family
    why: str
    applies: Callable[[str], bool]
    apply: Callable[[str], str]


_ALWAYS: Callable[[str], bool] = lambda text: True  # noqa: E731
_NO_PREFIX = _lacks("syslog")

TRANSFORMS: tuple[Transform, ...] = (
    Transform("no-time", Family.CAPTURE, "printk.time=0: kernel/printk/printk.c info_print_prefix prints no `[ sec.usec]`",
              _has("time"), _per_line(lambda p, i: Prefix(p.tty, p.syslog, p.level, "", p.caller, p.body))),
    Transform("add-time", Family.CAPTURE, "printk.time=1 on a log captured without: print_time's `[%5lu.%06lu] `",
              _lacks("time", "syslog"), _per_line(add_time)),
    Transform("level", Family.CAPTURE, "`dmesg -r` and /proc/kmsg: `<N>` before each record (info_print_prefix, syslog=true)",
              _lacks("level", "syslog"), kernel_only(_per_line(level))),
    Transform("level-bare", Family.CAPTURE, "/proc/kmsg or `dmesg -r` with printk.time=0: `<N>` and the text, no time",
              _lacks("level", "syslog"), kernel_only(_per_line(lambda p, i: level(Prefix(p.tty, p.syslog, p.level, "", p.caller, p.body), i)))),
    Transform("dmesg-T", Family.CAPTURE, "util-linux `dmesg -T` (--ctime): `[Thu Dec  3 15:31:35 2026] ` for the printk time",
              _both(_has("time"), _NO_PREFIX), kernel_only(_per_line(ctime))),
    Transform("dmesg-H", Family.CAPTURE, "util-linux `dmesg -H`: `[Dec03 15:31] ` for a minute's first record, then `[  +0.004646] ` deltas",
              _both(_has("time"), _NO_PREFIX), kernel_only(human)),
    Transform("dmesg-x", Family.CAPTURE, "util-linux `dmesg -x` (--decode): `kern  :warn  : ` before the time",
              _lacks("level", "syslog"), kernel_only(_per_line(decode))),
    Transform("monotonic", Family.CAPTURE, "`journalctl -k -o short-monotonic`: `[  12.345678] host kernel: ` + MESSAGE",
              _NO_PREFIX, kernel_only(_per_line(monotonic))),
    Transform("iso", Family.CAPTURE, "`journalctl -k -o short-iso`: `2026-12-03T15:31:35+0000 host kernel: ` + MESSAGE",
              _NO_PREFIX, kernel_only(_per_line(iso))),
    Transform("precise", Family.CAPTURE, "`journalctl -k -o short-precise`: `Dec 03 15:31:35.123456 host kernel: ` + MESSAGE",
              _NO_PREFIX, kernel_only(_per_line(precise))),
    Transform("full", Family.CAPTURE, "`journalctl -k -o short-full`: `Thu 2026-12-03 15:31:35 UTC host kernel: ` + MESSAGE",
              _NO_PREFIX, kernel_only(_per_line(full))),
    Transform("unix", Family.CAPTURE, "`journalctl -k -o short-unix`: `1764776095.123456 host kernel: ` + MESSAGE",
              _NO_PREFIX, kernel_only(_per_line(unix))),
    Transform("color", Family.CAPTURE, "util-linux `dmesg --color=always` saved to a file: the time between SGR escapes",
              _both(_has("time"), _NO_PREFIX), kernel_only(_per_line(color))),
    Transform("journal", Family.CAPTURE, "`journalctl -k` (-o short): `Dec 03 15:31:35 host kernel: ` + MESSAGE, no printk time",
              _NO_PREFIX, kernel_only(_per_line(journal))),
    Transform("journal-locale", Family.CAPTURE, "`journalctl -k` under a non-English LC_TIME: `дек 03 15:31:35 host kernel: `, `12月 03 ...`",
              _NO_PREFIX, localized(kernel_only(_per_line(journal)), "Dec ", lambda loc: f"{loc[2]} ")),
    Transform("dmesg-T-locale", Family.CAPTURE, "util-linux `dmesg -T` under a non-English LC_TIME: `[Чт дек  3 15:31:35 2026] `",
              _both(_has("time"), _NO_PREFIX), localized(kernel_only(_per_line(ctime)), "[Thu Dec ", lambda loc: f"[{loc[1]} {loc[2]} ")),
    Transform("rsyslog", Family.CAPTURE, "rsyslog imklog, RFC 3164 file format `Dec  3 15:31:35 host kernel: [ time] text`",
              _NO_PREFIX, kernel_only(_per_line(rsyslog))),
    Transform("add-caller", Family.CAPTURE, "CONFIG_PRINTK_CALLER: `[%6s]` task id after the time (info_print_prefix)",
              _both(_has("time"), _lacks("caller"), one_task), _per_line(add_caller)),
    Transform("makedumpfile-caller", Family.CAPTURE, "makedumpfile --dump-dmesg (1.7.5+): the caller id after a space, `[  1.0] [    T123] `",
              _both(_has("time"), _lacks("caller"), one_task),
              _per_line(makedumpfile_caller)),
    Transform("no-caller", Family.CAPTURE, "the same kernel without CONFIG_PRINTK_CALLER: no `[ T123]`/`[  C1]`",
              _has("caller"), _per_line(lambda p, i: Prefix(p.tty, p.syslog, p.level, p.time, "", p.body))),
    Transform("pstore", Family.CAPTURE, "systemd-pstore's dmesg-ramoops: `Panic#1 Part1`, then `<N>[ time] text` lines",
              _both(_has("time"), _lacks("level", "syslog")), kernel_only(pstore)),
    Transform("dropped", Family.CAPTURE, "a slow console: printk's `** N printk messages dropped **` notice between lines",
              _has("time"), dropped),
    Transform("rstrip", Family.CAPTURE, "a log pasted through an editor or a tracker that strips trailing whitespace",
              _ALWAYS, lambda text: "\n".join(line.rstrip() for line in text.split("\n"))),
    Transform("crlf", Family.CAPTURE, "a serial console through a tty with ONLCR: every `\\n` written as `\\r\\n`",
              _ALWAYS, lambda text: text.replace("\n", "\r\n")),
    Transform("userspace", Family.CAPTURE, "systemd and getty writing to /dev/console between stamped kernel lines",
              _has("time"), userspace),
    Transform("second-cpu-fault", Family.BOOT, "another run: a second CPU faulting in the same code, its arm64 header "
              "(arch/arm64/mm/fault.c die_kernel_fault, printed before die_lock) right below the first's",
              _contains(re.compile(r"Unable to handle kernel [a-zA-Z \-]{4,60} at virtual address [0-9a-f]{8,16}$", re.M)),
              second_cpu_fault),
    Transform("time-shift", Family.BOOT, "another boot: the printk clock (local_clock) and the wall clock read other values",
              lambda text: _share(text, "time") > 0.3 or _share(text, "syslog") > 0.3, _per_line(shift_time)),
    Transform("pids", Family.BOOT, "another boot: other PIDs for the same tasks (PID 0-2 kept: idle, init, kthreadd)",
              lambda text: _PID.search(text) is not None or _TASK_CALLER.search(text) is not None, pids),
    Transform("cpus", Family.BOOT, "another boot: the same code on another CPU (dump_stack_print_info `CPU: N`, caller `[ C1]`)",
              _contains(_CPU), cpus),
    Transform("addresses", Family.BOOT, "another boot: KASLR and the heap move every kernel address (%px, %016lx registers)",
              lambda text: _ADDR.search(text) is not None or _ADDR32.search(text) is not None, addresses),
    Transform("offsets", Family.BOOT, "another build of the same code: %pS's `sym+off/size` with other sizes and offsets",
              _contains(_OFFSET), offsets),
    Transform("clones", Family.BOOT, "another compiler run: GCC numbers its clones (`.isra.N`, `.constprop.N`) otherwise",
              _contains(_CLONE), clones),
    Transform("source-lines", Family.BOOT, "another build with a patch above: __WARN/BUG()'s `at file.c:N` (lib/bug.c, panic.c)",
              _contains(_SOURCE_LINE), source_lines),
    Transform("durations", Family.BOOT, "another host's thresholds and ticks: `stuck for Ns!`, `blocked for more than N seconds`, `t=N jiffies`",
              _contains(_DURATION), durations),
    Transform("comms", Family.BOOT, "another boot's task names: kworker pool/worker ids, syzkaller's executor instance",
              _contains(_COMM), comms),
    Transform("modules", Family.BOOT, "another boot: modules loaded in another order (print_modules walks the load list)",
              _contains(_MODULES), modules),
    Transform("taint", Family.BOOT, "another host: other taint flags (kernel/panic.c print_tainted)",
              _contains(_TAINT), taint),
    Transform("hardware", Family.BOOT, "another host: dump_stack_print_info's `Hardware name:` (DMI strings)",
              _contains(_HARDWARE), hardware),
    Transform("version", Family.BOOT, "another build: UTS_RELEASE and the build number `#N` (init/version.c, dump_stack)",
              _contains(_RELEASE), version),
    Transform("indent-2", Family.QUOTE, "a commit message's or a doc's literal block (the production patches/ splats, stored dedented)",
              _ALWAYS, indent("  ")),
    Transform("indent-4", Family.QUOTE, "a commit message's splat indented by 4 (git log shows it so; production patches/, kernel-docs/)",
              _ALWAYS, indent("    ")),
    Transform("indent-tab", Family.QUOTE, "a commit message's splat indented by a tab (production patches/ debian-rt-*, deepin-rt-*)",
              _ALWAYS, indent("\t")),
    Transform("quote", Family.QUOTE, "a mail or bug tracker reply quoting the report: `> ` before every line",
              _ALWAYS, quoted),
    Transform("no-unreliable", Family.QUOTE, "`? sym` frames dropped as noise (production patches/ debian-rt-aio, deepin-arm-ixp4xx)",
              _ALWAYS, drop(_UNRELIABLE)),
    Transform("no-registers", Family.QUOTE, "the register dump cut from a pasted report (production web/ and patches/ splats keep RIP alone)",
              _ALWAYS, drop(_REGISTERS)),
    Transform("no-modules", Family.QUOTE, "the `Modules linked in:` line cut from a pasted report (production patches/, kernel-docs/)",
              _ALWAYS, drop(_MODULES_LINE)),
    Transform("no-call-trace", Family.QUOTE, "the `Call Trace:` line left out, frames right after the RIP/PC line (production patches/ splats)",
              _ALWAYS, drop(_CALL_TRACE)),
    Transform("tag-cased", Family.QUOTE, "a patch tool re-casing each line's first word as a tag: `Bug:`, `Cpu:`, `Rip:` "
              "(production patches/suse-*-mangled*)", _ALWAYS, tag_cased),
    Transform("decoded", Family.QUOTE, "scripts/decode_stacktrace.sh: `sym (file.c:N)` for every `sym+0x1/0x2` "
              "(production patches/ rpi-*-decoded, deepin-rt-futex-odebug-hrtimer)", _contains(_SYM_OFFSET), decoded),
    Transform("bare-frames", Family.QUOTE, "a trace trimmed as Documentation/process/submitting-patches.rst asks: "
              "each frame its function's name alone, no address, no `+off/size`", _contains(_FRAME), bare_frames),
    Transform("trimmed", Family.QUOTE, "a report trimmed as Documentation/process/submitting-patches.rst asks: no "
              "timestamps, module list, registers, `Code:` or `?` frames; each frame its name alone", _contains(_FRAME), trimmed),
    Transform("elided", Family.QUOTE, "a long trace cut to its head and tail with `...` (commit messages, kernel-docs/)",
              _ALWAYS, elide),
    Transform("wrapped", Family.QUOTE, "a splat hard-wrapped at 72 columns by the author's editor or mailer, the rest "
              "flush left (production patches/ suse-qla2xxx-ppc64-adisc-warning, suse-nvme-tcp-delete-hung-task, "
              "suse-slub-show-slab-objects-circular-arm64, raspbian-ipw2100-wiphy-register-warning)",
              _ALWAYS, wrap(keep_indent=False)),
    Transform("hostname", Family.BOOT, "another host: the syslog and journal host field (RFC 3164 HOSTNAME)",
              _has("syslog"), hostnames),
)


def variants(data: bytes) -> list[tuple[Transform, bytes]]:
    """Every transform that applies to the log `data`, with the rewritten log."""
    text = data.decode("utf-8", "surrogateescape")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    # A CI's job record (LAVA's YAML, one console line in each record's `msg`) is no capture of
    # kernel lines: no capture tool rewrites it.
    job = text.startswith('- {"dt": "')
    out = []
    for t in TRANSFORMS:
        if (t.family is Family.BOOT or not job) and t.applies(text):
            new = t.apply(text)
            if new != text:
                out.append((t, new.encode("utf-8", "surrogateescape")))
    return out
