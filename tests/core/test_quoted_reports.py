"""A report quoted by a person (a commit message's literal block, a mail or tracker reply, a doc),
read like the report itself (issue 13): the lead every line shares (`  `, a tab, `> `) is peeled
(normalize.unquote), and a trace whose `Call Trace:` line was left out is read from its first frame
(culprit._headerless_trace).  Negatives beside: a lead not on every line stays."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from kcrashd.core.normalize import unquote

# A page fault as arch/x86 prints it (show_fault_oops, __die, __show_regs, show_trace_log_lvl).
OOPS = """BUG: kernel NULL pointer dereference, address: 0000000000000008
#PF: supervisor read access in kernel mode
Oops: 0000 [#1] PREEMPT SMP NOPTI
CPU: 2 PID: 1234 Comm: modprobe Tainted: G           O       6.1.0-13-amd64 #1  Debian 6.1.55-1
RIP: 0010:memcpy_orig+0x31/0x140
Code: 48 8b 06 48 8b 56 08 4c 8b 46 10 4c 8b 4e 18
RSP: 0018:ffffb2a5c0a3fbd0 EFLAGS: 00010206
RAX: ffff9c1a42d0e000 RBX: 0000000000000000 RCX: 0000000000000000
Call Trace:
 <TASK>
 ? __die+0x23/0x70
 ? page_fault_oops+0x171/0x4e0
 ? exc_page_fault+0x77/0x170
 ? asm_exc_page_fault+0x26/0x30
 mydrv_fill_ring+0x5a/0x120 [mydrv]
 mydrv_open+0x8c/0x1a0 [mydrv]
 __dev_open+0xe3/0x190
 dev_open+0x47/0xa0
 </TASK>
Modules linked in: mydrv(O) nf_tables
CR2: 0000000000000008
"""


def _facts(text: str) -> tuple[str, str | None, str]:
    rep = analyze(text.encode())
    return rep.title, rep.function, rep.fingerprint


@pytest.mark.parametrize("lead", ["  ", "    ", "\t", "> ", "> > ", "| "])
def test_a_report_quoted_whole_reads_as_the_report(lead: str) -> None:
    quoted = "\n".join(lead + line if line.strip() else lead.rstrip() for line in OOPS.split("\n"))
    assert _facts(quoted) == _facts(OOPS)
    assert _facts(OOPS)[1] == "mydrv_fill_ring"


def test_a_trace_without_its_call_trace_line_is_read_from_its_first_frame() -> None:
    bare = OOPS.replace("Call Trace:\n", "")
    assert _facts(bare) == _facts(OOPS)


def test_unquote_peels_only_a_lead_every_line_shares() -> None:
    assert unquote("> a\n>\n>  b\n> > c") == "a\n\n b\n> c"
    assert unquote("\ta\n\t b\n") == "a\n b\n"
    assert unquote("  a\n   b\n\n  c") == "a\n b\n\nc"
    # negatives: a lead not on every line, mixed leads, a frame line's own indent
    assert unquote(" a\nb") == " a\nb"
    assert unquote("> a\nb") == "> a\nb"
    assert unquote("\ta\n  b") == "\ta\n  b"
    assert unquote("a\n ? f+0x1/0x2") == "a\n ? f+0x1/0x2"
    # where the lead is not shared, only the blanks before a printk time go (the kernel prints it first)
    assert unquote("  [ 1.5] WARNING: x\nStack backtrace:\n  [ 1.6] Call Trace:") == (
        "[ 1.5] WARNING: x\nStack backtrace:\n[ 1.6] Call Trace:"
    )
    assert unquote("  [<ffffffff8104d1e4>] f+0x1/0x2\nb") == "  [<ffffffff8104d1e4>] f+0x1/0x2\nb"  # no time


def test_a_splat_with_indented_stamped_lines_and_prose_between_reads_as_the_splat() -> None:
    stamped = [f"[   12.{i:06d}] {line}" for i, line in enumerate(OOPS.split("\n")) if line]
    mixed = "\n".join(["  " + stamped[0], "", "Some prose of the commit message:", "", *("  " + s for s in stamped[1:])])
    assert _facts(mixed) == _facts("\n".join(stamped))


@pytest.mark.parametrize("lead", ["  ", "    ", "\t"])
def test_a_stamped_report_indented_whole_reads_as_the_report(lead: str) -> None:
    stamped = "\n".join(f"[   12.{i:06d}] {line}" for i, line in enumerate(OOPS.split("\n")) if line)
    indented = "\n".join(lead + line for line in stamped.split("\n"))
    assert _facts(indented) == _facts(stamped)


def test_a_headerless_trace_skips_the_warn_reporter_of_2_6_25() -> None:
    # 2.6.25-2.6.26 kernel/panic.c warn_on_slowpath printed `WARNING: at %s:%d %s()` and the i386 trace
    # with no `Call Trace:` line; the reporter's own frame comes first and names nothing.
    old = """WARNING: at arch/x86/kernel/cpu/mtrr/main.c:696 mtrr_trim_uncached_memory+0x190/0x195
Modules linked in:
Pid: 0, comm: swapper Not tainted 2.6.25-14.fc9.i686 #1
 [warn_on_slowpath+71/115] warn_on_slowpath+0x47/0x73
 [vprintk+769/816] ? vprintk+0x301/0x330
 [mtrr_trim_uncached_memory+400/405] mtrr_trim_uncached_memory+0x190/0x195
 [setup_arch+801/1109] setup_arch+0x321/0x455
"""
    assert analyze(old.encode()).function == "mtrr_trim_uncached_memory"
