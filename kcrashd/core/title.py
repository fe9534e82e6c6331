"""Titles: fill a signature's template, normalise it (addresses, numbers out), derive alt titles and type.

Normalisation makes a title the same on every host, boot and build: addresses become ADDR,
numbers NUM, line numbers :LINE, and the title is cut at 120 printable ASCII characters.
"""

from __future__ import annotations

import re

from kcrashd.core.frames import strip_syscall

MAX_TITLE = 120

_SUBS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"syz-executor\.?\d+/\d+|syz-executor\.?\d+"), "syz-executor"),
    (re.compile(r"syzkaller\d+"), "syzkaller"),
    (re.compile(r"(?<![A-Za-z0-9])(?:0x)?[0-9a-fA-F]{6,}(?![A-Za-z0-9])"), "ADDR"),
    (re.compile(r"(?<![0-9.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![0-9.])"), "IP"),
    (re.compile(r"(\.[a-z]{1,4}):\d+"), r"\1:LINE"),
    (re.compile(r"([A-Za-z0-9_]+)\+0x[0-9a-fA-F]+(?:/0x[0-9a-fA-F]+)?"), r"\1"),
    (re.compile(r"CPU#\d+"), "CPU"),
)
_NUM = re.compile(r"(?<![A-Za-z0-9_])(?:0x)?\d+(?![A-Za-z_])")
_LONG_NUM = re.compile(r"\d{7,}")
_NON_PRINT = re.compile(r"[^\x20-\x7e]")
_SPACES = re.compile(r" {2,}")


def normalize_title(title: str) -> str:
    """Replace everything that varies between runs of the same bug."""
    for pat, repl in _SUBS:
        title = pat.sub(repl, title)
    title = _LONG_NUM.sub("NUM", title)
    prev = None
    while prev != title:
        prev = title
        title = _NUM.sub("NUM", title)
    title = title.replace("\t", " ")
    title = _NON_PRINT.sub("", title)
    title = _SPACES.sub(" ", title).strip()
    return title[:MAX_TITLE].rstrip()


def fill(template: str, groups: tuple[str | None, ...], function: str | None, rw: str = "") -> str:
    """Fill `{1}`.., `{RW}` and `{F}` in a template."""
    out = template
    for n, g in enumerate(groups, start=1):
        out = out.replace("{" + str(n) + "}", (g or "").strip())
    out = out.replace("{RW}", rw).replace("  ", " ")
    out = out.replace("{F}", function or "corrupted")
    return out.replace(" in corrupted", " in corrupted")


def culprit_forms(function: str) -> tuple[str, list[str]]:
    """(title form, other forms) of a culprit: syscall wrappers give arch-independent aliases."""
    short = strip_syscall(function)
    if short == function:
        return function, []
    return short, [function]


# Crash type from the title prefix (first match wins), as syzkaller's crash types.
_TYPES: tuple[tuple[str, str], ...] = (
    ("KASAN: invalid-free", "KASAN-INVALID-FREE"),
    ("KASAN: double-free", "KASAN-INVALID-FREE"),
    ("KASAN: null-ptr-deref Read", "KASAN-NULL-POINTER-DEREFERENCE-READ"),
    ("KASAN: null-ptr-deref Write", "KASAN-NULL-POINTER-DEREFERENCE-WRITE"),
    ("KASAN: use-after-free Read", "KASAN-USE-AFTER-FREE-READ"),
    ("KASAN: slab-use-after-free Read", "KASAN-USE-AFTER-FREE-READ"),
    ("KASAN: use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE"),
    ("KASAN: slab-use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE"),
    ("KASAN: use-after-free", "KASAN-USE-AFTER-FREE-READ"),
    ("KASAN: ", "KASAN-READ"),
    ("KMSAN: uninit-value", "KMSAN-UNINIT-VALUE"),
    ("KMSAN: kernel-infoleak", "KMSAN-INFO-LEAK"),
    ("KMSAN: kernel-usb-infoleak", "KMSAN-INFO-LEAK"),
    ("KCSAN: data-race", "KCSAN-DATARACE"),
    ("KCSAN: assert", "KCSAN-ASSERT"),
    ("KFENCE: use-after-free read", "KFENCE-USE-AFTER-FREE-READ"),
    ("KFENCE: use-after-free write", "KFENCE-USE-AFTER-FREE-WRITE"),
    ("KFENCE: invalid free", "KFENCE-INVALID-FREE"),
    ("KFENCE: memory corruption", "KFENCE-MEMORY-CORRUPTION"),
    ("KFENCE: invalid read", "KFENCE-READ"),
    ("KFENCE: out-of-bounds read", "KFENCE-READ"),
    ("KFENCE: invalid write", "KFENCE-WRITE"),
    ("KFENCE: out-of-bounds write", "KFENCE-WRITE"),
    ("BUG: unable to handle kernel NULL pointer dereference", "NULL-POINTER-DEREFERENCE"),
    ("BUG: unable to handle kernel paging request", "MEMORY_SAFETY_BUG"),
    ("BUG: corrupted list", "MEMORY_SAFETY_BUG"),
    ("UBSAN: array-index-out-of-bounds", "MEMORY_SAFETY_UBSAN"),
    ("UBSAN: ", "UBSAN"),
    ("WARNING: refcount bug", "REFCOUNT_WARNING"),
    ("possible deadlock", "LOCKDEP"),
    ("inconsistent lock state", "LOCKDEP"),
    ("BUG: bad unlock balance", "LOCKDEP"),
    ("WARNING: bad unlock balance", "LOCKDEP"),
    ("BUG: held lock freed", "LOCKDEP"),
    ("WARNING: held lock freed", "LOCKDEP"),
    ("BUG: spinlock", "LOCKDEP"),
    ("BUG: rwlock", "LOCKDEP"),
    ("BUG: using smp_processor_id()", "LOCKDEP"),
    ("BUG: using __this_cpu", "LOCKDEP"),
    ("WARNING: locking bug", "LOCKDEP"),
    ("WARNING: nested lock was not taken", "LOCKDEP"),
    ("WARNING: still has locks held", "LOCKDEP"),
    ("WARNING: suspicious RCU usage", "LOCKDEP"),
    ("BUG: sleeping function called from invalid context", "ATOMIC_SLEEP"),
    ("BUG: scheduling while atomic", "ATOMIC_SLEEP"),
    ("memory leak in", "LEAK"),
    ("kernel BUG", "BUG"),
    ("BUG: bad usercopy", "BUG"),
    ("WARNING: kernel stack", "UNKNOWN"),
    ("WARNING: possible circular locking", "WARNING"),
    ("WARNING", "WARNING"),
    ("BUG: soft lockup", "HANG"),
    ("BUG: hard lockup", "HANG"),
    ("INFO: rcu detected stall", "HANG"),
    ("INFO: task hung", "HANG"),
    ("INFO: task can't die", "HANG"),
    ("general protection fault", "DoS"),
    ("stack segment fault", "DoS"),
    ("divide error", "DoS"),
    ("invalid opcode", "DoS"),
    ("int3", "DoS"),
    ("PANIC: double fault", "DoS"),
    ("kernel panic", "DoS"),
    ("kernel stack overflow", "DoS"),
    ("Internal error", "DoS"),
    ("Unhandled fault", "DoS"),
    ("Alignment trap", "DoS"),
    ("BUG: Object already free", "DoS"),
    ("VFS: ", "DoS"),
    ("go runtime error", "DoS"),
    ("unexpected kernel reboot", "REBOOT"),
    ("SYZFAIL", "SYZ_FAILURE"),
)


def title_type(title: str) -> str:
    """Crash type of a title (`""` for no crash)."""
    if not title:
        return ""
    for prefix, typ in _TYPES:
        if title.startswith(prefix):
            return typ
    return "UNKNOWN"


def title_function(title: str) -> str | None:
    """The culprit named at the end of a title (after the last ` in `)."""
    if " in " not in title:
        return None
    fn = title.rsplit(" in ", 1)[1].strip()
    return fn or None
