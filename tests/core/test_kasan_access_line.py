"""KASAN's access line (mm/kasan/report.c: `%s of size %zu at addr %px by task %s/%d`, `%s at addr %px`
without a size, 4.x `%s of size %zu by task`) names the access in syzkaller's title, `KASAN: <class>
<Read|Write> in <func>`. syzkaller's KASAN format finds it on any line below the header and anywhere in
that line (`(?:.*\\n)+?.*(Read|Write) (?:of size|at addr) [0-9a-f]+`): lines another CPU printed in
between, or a prefix left on the line, do not make the report corrupted."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from kcrashd.core.title import _RW

_REPORT = (
    "==================================================================\n"
    "BUG: KASAN: slab-out-of-bounds in mydrv_rx+0x1c4/0x2a0 [mydrv]\n"
    "{between}"
    "{access}"
    "\n"
    "CPU: 1 PID: 812 Comm: irq/33-mydrv Not tainted 5.15.0 #1\n"
    "Call Trace:\n"
    " <TASK>\n"
    " dump_stack_lvl+0x34/0x44\n"
    " print_address_description.constprop.0+0x1f/0x150\n"
    " kasan_report.cold+0x7f/0x11b\n"
    " mydrv_rx+0x1c4/0x2a0 [mydrv]\n"
    " mydrv_poll+0x88/0x140 [mydrv]\n"
    " __napi_poll+0x28/0x160\n"
    " </TASK>\n"
)
_ACCESS = "Write of size 4 at addr ffff888104c3a6f8 by task irq/33-mydrv/812\n"
# Lines of other CPUs, printed between the header and the access line.
_OTHER_CPUS = "".join(f"mydrv 0000:03:00.0: rx ring {n} refilled\n" for n in range(6))


@pytest.mark.parametrize(
    "line",
    [
        "Read of size 8 at addr ffff88801e3c4a10 by task syz-executor/3161",
        "Write at addr f2ff000002d7a000 by task insmod/1",  # tag-based modes: no size
        "Read of size 1 by task a.out/4711",  # 4.x
        "kasan: Write of size 4 at addr ffff888104c3a6f8 by task x/1",  # a prefix left on the line
    ],
)
def test_access_line_samples(line: str) -> None:
    assert _RW.search(line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "Reading of size 8 at addr ffff88801e3c4a10",  # another word
        "Read of size unknown",  # no number: not the kernel's line
        "pre-Write of size 4 at addr 0",  # part of a longer word
        "The buggy address belongs to the object at ffff888104c3a600",
    ],
)
def test_access_line_negative_samples(line: str) -> None:
    assert _RW.search(line) is None


def test_the_access_line_below_other_cpus_lines_names_the_access() -> None:
    report = analyze(_REPORT.format(between=_OTHER_CPUS, access=_ACCESS))
    assert report.title == "KASAN: slab-out-of-bounds Write in mydrv_rx"
    assert not report.corrupted


def test_the_access_line_with_a_prefix_names_the_access() -> None:
    report = analyze(_REPORT.format(between="", access="kasan: " + _ACCESS))
    assert report.title == "KASAN: slab-out-of-bounds Write in mydrv_rx"


def test_without_the_access_line_the_report_is_cut_short() -> None:
    # Negative: no access line anywhere: titled by its header, corrupted, as syzkaller does.
    report = analyze(_REPORT.format(between=_OTHER_CPUS, access=""))
    assert report.corrupted and "Write" not in report.title and "Read" not in report.title
