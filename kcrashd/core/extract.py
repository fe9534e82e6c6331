"""Facts about the crashed kernel: release, arch, hardware, task, taint, modules, faulting IP, frames."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kcrashd.core import frames
from kcrashd.core.report_parts import Module, Taint

_LINUX_VERSION = re.compile(r"Linux version (\S+)")
# `Not tainted` / `Tainted: G   W  OE`, then the first `N.N...` that starts a run of digits (the
# release); every repeat is possessive or starts after a non-digit, so a line costs linear time.
_TAINT_AND_RELEASE = r"(?:Not tainted|Tainted: (?P<taint>[A-Z ]++))(?:(?<=\s)|\s).*?(?<!\d)(?P<rel>\d++\.\d++\S*+)"
_CPU_LINE = re.compile(
    r"^CPU: (?P<cpu>\d+) (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>.{1,32}?) (?:Kdump: \S+ )?" + _TAINT_AND_RELEASE
)
_OLD_PID_LINE = re.compile(r"^Pid: (?P<pid>\d+), comm: (?P<comm>.{1,32}?) " + _TAINT_AND_RELEASE)
# The task's PID anywhere a report prints it: the `CPU:` line above, and kernel/panic.c __warn's `WARNING: CPU: %d
# PID: %d at %pS` header.
_TASK_PID = re.compile(r"\bCPU: ?\d{1,5} (?:UID: \d{1,10} )?PID: (\d{1,10})\b")
MAX_FRAMES = 64
_HARDWARE = re.compile(r"^Hardware name: (.{1,200})")
_MODULES = re.compile(r"^Modules linked in:(.*)")
_MODULE = re.compile(r"([A-Za-z0-9_\-]+)(?:\(([A-Z+\-]+)\))?")
_IP_LINES = (
    re.compile(r"\bRIP: (?:[0-9a-fA-F]{4}:)?(?:\[<[0-9a-fA-F]++>\]\s++)*+(\S+\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+(?: \[\S+\])?)"),
    re.compile(r"^\s*(?:pc|epc) : (?:\[<[0-9a-fA-F]+>\] )?(\S+\+0x\S+)"),
    re.compile(r"^\s*NIP\s*\[[0-9a-fA-F]+\] (\S+\+0x\S+)"),
    re.compile(r"Krnl PSW : \S+ \S+ \((\S+\+0x\S+)\)"),
    re.compile(r"\bEIP: (?:[0-9a-fA-F]{4}:)?(?:\[<[0-9a-fA-F]+>\] )?(\S+\+0x\S+)"),
    re.compile(r"^PC is at (\S+\+0x\S+)"),
)
# Register-dump and entry-code shapes that give the architecture away (literal substrings).
_ARCH_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("RIP: ", "x86_64", "entry_SYSCALL_64", "do_syscall_64"), "x86_64"),
    (("EIP: ", "entry_SYSENTER_32", ".i686"), "i386"),
    (("pc : ", "el0_svc", "aarch64", "Mem abort info"), "arm64"),
    (("NIP [", "NIP  [", "ppc64"), "ppc64le"),
    (("Krnl PSW", "s390x"), "s390x"),
    (("epc : ", "riscv64"), "riscv64"),
    (("PC is at ", ") from [<"), "arm"),
)
_RELEASE_ARCH = re.compile(r"\.(x86_64|aarch64|ppc64le|s390x|i686)$|-(amd64|arm64|ppc64el|s390x|riscv64|686(?:-pae)?)$")

# Taint letters, as the kernel documents them (Documentation/admin-guide/tainted-kernels.rst).
TAINT_FLAGS: dict[str, str] = {
    "P": "proprietary module loaded",
    "F": "module force loaded",
    "S": "kernel running on an out of specification system",
    "R": "module force unloaded",
    "M": "processor reported a machine check exception",
    "B": "bad page referenced or unexpected page flags",
    "U": "taint requested by user space",
    "D": "kernel died recently (OOPS or BUG)",
    "A": "ACPI table overridden by user",
    "W": "kernel issued warning",
    "C": "staging driver loaded",
    "I": "workaround for bug in platform firmware applied",
    "O": "externally-built (out-of-tree) module loaded",
    "E": "unsigned module loaded",
    "L": "soft lockup occurred",
    "K": "kernel has been live patched",
    "X": "auxiliary taint, defined for and used by distros",
    "T": "kernel was built with the struct randomization plugin",
    "N": "an in-kernel test has been run",
    "J": "userspace used a mutating debug operation in fwctl",
}


@dataclass(slots=True)
class Facts:
    """Everything extracted; defaults mean "not in the log"."""

    release: str | None = None
    arch: str | None = None
    hardware: str | None = None
    comm: str | None = None
    pid: int | None = None
    cpu: int | None = None
    taint: Taint = field(default_factory=Taint)
    modules: list[Module] = field(default_factory=list)
    ip: str | None = None
    # Frame fields as dicts: the Report validates them in one pass (much cheaper than models).
    frames: list[dict[str, object]] = field(default_factory=list)


def decode_taint(letters: str) -> Taint:
    """`G        W  OE` -> letters `WOE` and their meanings (G/space mean untainted)."""
    letters = "".join(ch for ch in letters if ch.isalpha() and ch != "G")
    return Taint(letters=letters, flags=[TAINT_FLAGS[ch] for ch in letters if ch in TAINT_FLAGS])


def _modules(text: str) -> list[Module]:
    out: list[Module] = []
    for tok in text.split():
        m = _MODULE.fullmatch(tok.strip("[]"))
        if m is not None:
            out.append(Module(name=m.group(1), flags=m.group(2) or ""))
        if len(out) >= 500:
            break
    return out


def extract_release(log: str) -> str | None:
    """The `Linux version` of the log (searched in its first MiB: it is printed at boot)."""
    pos = log.find("Linux version ", 0, 1 << 20)
    if pos < 0:
        return None
    m = _LINUX_VERSION.match(log, pos)
    return m.group(1) if m else None


def task_pid(text: str) -> str | None:
    """The PID of the task a report's line says it ran in (`CPU: 0 PID: 75 Comm:`, `WARNING: CPU: 0 PID: 75 at`)."""
    m = _TASK_PID.search(text) if "PID: " in text else None
    return m.group(1) if m is not None else None


def _first_line_after(log: str, marker: str) -> str | None:
    pos = log.find(marker)
    if pos < 0:
        return None
    end = log.find("\n", pos)
    return log[pos + len(marker) : end if end >= 0 else len(log)][:200].strip() or None


def _add_frames(out: list[dict[str, object]], found: tuple[frames.FrameLine, ...], caller_half: bool) -> bool:
    """Append one trace line's frames to `out`; whether the last one appended is an arm32 line's caller half.

    arm32 prints a frame as `callee from caller` (arch/arm/kernel/traps.c dump_backtrace_entry), so each
    caller is named twice: as one line's second half and as the next line's first.  The two are one frame: the
    next line's mention, which names its module, stands for it."""
    if caller_half and len(found) == 2 and out and out[-1]["function"] == found[0].function:
        out.pop()
    for fr in found:
        out.append({"function": fr.function, "offset": fr.offset, "module": fr.module, "reliable": fr.reliable, "context": None})
    return len(found) == 2


def extract_facts(log: str, report: list[str]) -> Facts:
    """Facts from the fatal report (task, IP, frames) and the whole log (release, hardware)."""
    facts = Facts()
    caller_half = False
    for text in frames.mark_trimmed_frames(report):
        if facts.pid is None and text.startswith(("CPU:", "Pid:")):
            m = _CPU_LINE.match(text) or _OLD_PID_LINE.match(text)
            if m is not None:
                gd = m.groupdict()
                facts.pid = int(gd["pid"])
                facts.comm = gd["comm"].strip()
                facts.cpu = int(gd["cpu"]) if gd.get("cpu") else None
                facts.taint = decode_taint(gd.get("taint") or "")
                facts.release = gd["rel"]
        if facts.hardware is None and text.startswith("Hardware name: "):
            hm = _HARDWARE.match(text)
            facts.hardware = hm.group(1).strip() if hm else None
        if not facts.modules and text.startswith("Modules linked in:"):
            mm = _MODULES.match(text)
            facts.modules = _modules(mm.group(1)) if mm else []
        if facts.ip is None and "+0x" in text and frames.fault_pc(text) is not None:
            for pat in _IP_LINES:
                im = pat.search(text)
                if im:
                    facts.ip = im.group(1)
                    break
        if len(facts.frames) < MAX_FRAMES and ("+0x" in text or text.endswith(frames.TRIMMED_MARK)):
            caller_half = _add_frames(facts.frames, frames.parse_frames(text), caller_half)
    if facts.release is None:
        facts.release = extract_release(log)
    if facts.hardware is None:
        facts.hardware = _first_line_after(log, "Hardware name: ")
    facts.arch = _arch(report, facts.release)
    return facts


def _arch(report: list[str], release: str | None) -> str | None:
    if release:
        m = _RELEASE_ARCH.search(release)
        if m:
            raw = m.group(1) or m.group(2)
            return {"amd64": "x86_64", "aarch64": "arm64", "ppc64el": "ppc64le", "i686": "i386",
                    "686": "i386", "686-pae": "i386"}.get(raw, raw)
    joined = "\n".join(report[:200])
    for keys, arch in _ARCH_HINTS:
        if any(k in joined for k in keys):
            return arch
    return None
