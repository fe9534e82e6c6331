"""A symbolized header line repeated once per inlined frame (events._inline_expansion): syzkaller's symbolizer,
which syzbot's and Hulk Robot's reports quote, prints each line holding a PC once per inline level, innermost
first, every level but the last ending `file:line [inline]`.  The levels are one report; its title is read past
them.  Negatives beside: two reports whose first line only looks so."""

from __future__ import annotations

from kcrashd.core import analyze

_TRACE = (
    "Modules linked in:\n"
    "Call Trace:\n"
    "  br_dev_delete+0x112/0x190 net/bridge/br_if.c:384\n"
    "  br_dev_newlink+0xdb/0x100 net/bridge/br_netlink.c:1362\n"
    "  __rtnl_newlink+0xe11/0x13f0 net/core/rtnetlink.c:3441\n"
    "  rtnl_newlink+0x64/0xa0 net/core/rtnetlink.c:3500\n"
)
_AT = "WARNING: CPU: 2 PID: 9004 at fs/sysfs/group.c:279 "


def test_a_warning_header_repeated_for_its_inline_level_is_one_report() -> None:
    log = (f"{_AT}sysfs_remove_group fs/sysfs/group.c:279 [inline]\n"
           f"{_AT}sysfs_remove_group+0x153/0x1b0 fs/sysfs/group.c:270\n" + _TRACE)
    report = analyze(log)
    assert (report.title, report.function) == ("WARNING in br_dev_delete", "br_dev_delete")
    assert not report.corrupted


def test_a_kasan_header_repeated_so_too() -> None:
    log = ("BUG: KASAN: use-after-free in br_dev_delete net/bridge/br_if.c:384 [inline]\n"
           "BUG: KASAN: use-after-free in br_dev_newlink+0xdb/0x100 net/bridge/br_netlink.c:1362\n"
           "Read of size 8 at addr ffff888012345678 by task ip/9004\n\n" + _TRACE)
    assert analyze(log).title == "KASAN: use-after-free Read in br_dev_delete"


def test_two_warnings_of_other_sites_are_two_reports() -> None:
    # the first ends `[inline]` but the second is __warn's line of another site: not its inline level
    log = (f"{_AT}sysfs_remove_group fs/sysfs/group.c:279 [inline]\n"
           "WARNING: CPU: 2 PID: 9004 at net/core/dev.c:11000 unregister_netdevice_many+0x1/0x2 net/core/dev.c:11000\n"
           + _TRACE)
    report = analyze(log)
    # the second report cuts into the first before a frame of its trace: that one is told as corrupted
    assert (report.title, report.corrupted) == ("WARNING in corrupted", True)
