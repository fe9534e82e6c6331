"""A header line repeated word for word right below itself is one report (events._repeated_header).

arm64's die_kernel_fault (arch/arm64/mm/fault.c) prints `Unable to handle kernel %s at virtual address %016lx`
before die() takes die_lock: a second CPU faulting in the same code at the same time prints its header right
below the first CPU's, whose report then follows.  The header with an empty body is no report of its own.
The metamorphic transform `second-cpu-fault` (tests/core/log_variants.py) checks it over every development log
that has such a header."""

from __future__ import annotations

from kcrashd.core import analyze

_TWICE = """\
[ 5888.946472] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000018
[ 5888.946475] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000018
[ 5889.266100] Internal error: Oops: 96000006 [#1] SMP
[ 5889.266118] pc : foo_get_rx_hwts+0x40/0x170 [foo]
[ 5889.272612] lr : foo_get_rx_hwts+0x34/0x170 [foo]
[ 5889.378857] Call trace:
[ 5889.382285]  foo_get_rx_hwts+0x40/0x170 [foo]
[ 5889.388304]  foo_handle_bdinfo+0x324/0x410 [foo]
[ 5889.411084]  napi_poll+0xcc/0x264
"""

# KASAN 4.x printed its header above each access line: two accesses, two reports, though the headers match.
_TWO_ACCESSES = """\
[ 1722.511384] ==================================================================
[ 1722.511384] BUG: KASAN: slab-out-of-bounds in memcpy+0x1d/0x40 at addr ffff88003a6bd110
[ 1722.511384] Read of size 8 by task a.out/6260
[ 1722.511384] BUG: KASAN: slab-out-of-bounds in memcpy+0x1d/0x40 at addr ffff88003a6bd110
[ 1722.511384] Write of size 4 by task a.out/6260
"""


def test_a_header_printed_twice_is_one_report_with_the_body_below() -> None:
    rep = analyze(_TWICE.encode())
    assert (rep.title, rep.function) == ("BUG: unable to handle kernel NULL pointer dereference in foo_get_rx_hwts",
                                         "foo_get_rx_hwts")
    assert not rep.corrupted
    once = analyze(_TWICE.replace(_TWICE.splitlines()[1] + "\n", "", 1).encode())
    assert rep.fingerprint == once.fingerprint


def test_a_line_between_two_equal_headers_keeps_two_reports() -> None:
    rep = analyze(_TWO_ACCESSES.encode())
    assert rep.title == "KASAN: slab-out-of-bounds Read in corrupted"
    assert len(rep.preceding) == 1
