"""A GPF quoted without its header line is still a GPF when KASAN's note on the address is kept
(signatures row `gpf-kasan-range`: mm/kasan/report.c kasan_non_canonical_hook, printed by x86's
die_addr right below `general protection fault, ...: 0000 [#1]`); below that header it continues it."""

from __future__ import annotations

from kcrashd.core import analyze
from tests.core.golden import CORPUS

_HEADED = """\
[  201.118601] general protection fault, probably for non-canonical address 0xdffffc000000000d: 0000 [#1] SMP KASAN
[  201.118620] KASAN: null-ptr-deref in range [0x0000000000000068-0x000000000000006f]
[  201.119402] CPU: 1 PID: 1589 Comm: umount Not tainted 5.10.0 #339
[  201.120780] RIP: 0010:ext4_write_info+0x53/0x1b0
[  201.124402] Call Trace:
[  201.124626]  dquot_writeback_dquots+0x341/0x9a0
[  201.125036]  ext4_sync_fs+0x19e/0x800
"""

# arm64 6.x prints the note below its own fault header (arch/arm64/mm/fault.c die_kernel_fault): no RIP line.
_ARM64 = """\
[   33.100100] Unable to handle kernel paging request at virtual address dfff800000000004
[   33.100200] KASAN: null-ptr-deref in range [0x0000000000000020-0x0000000000000027]
[   33.100300] Mem abort info:
[   33.100400] Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP
[   33.100500] CPU: 0 PID: 77 Comm: kworker/0:2 Not tainted 6.6.0 #1
[   33.100600] pc : foo_work+0x24/0x90
[   33.100700] lr : process_one_work+0x1f0/0x4a0
[   33.100800] Call trace:
[   33.100900]  foo_work+0x24/0x90
[   33.101000]  process_one_work+0x1f0/0x4a0
"""


def test_a_headless_gpf_with_kasans_note_is_a_gpf_at_its_rip() -> None:
    rep = analyze((CORPUS / "edge" / "gpf-kasan-range-headless.log").read_bytes())
    assert (rep.title, rep.kind, rep.function) == ("general protection fault in ext4_write_info", "gpf", "ext4_write_info")
    assert rep.corrupted  # the header was cut


def test_below_its_header_the_note_continues_the_gpf() -> None:
    rep = analyze(_HEADED.encode())
    assert (rep.title, rep.kind) == ("general protection fault in ext4_write_info", "gpf")
    assert not rep.corrupted


def test_an_arm64_fault_with_the_note_stays_an_arm64_fault() -> None:
    rep = analyze(_ARM64.encode())
    assert rep.title.startswith("BUG: unable to handle kernel paging request in")
    assert rep.signature != "gpf-kasan-range"


# A quote that cut the registers as well (Documentation/process/submitting-patches.rst lets it): x86's trace alone.
_NO_REGISTERS = """\
KASAN: null-ptr-deref in range [0x00000000000003c0-0x00000000000003c7]
CPU: 2 PID: 422 Comm: ip Not tainted 5.8.0 #12
Call Trace:
 foo_init_net+0x4ab/0x580
 ? foo_tunnel_uninit+0x3f0/0x3f0
 ops_init+0xa8/0x3c0
 setup_net+0x2de/0x7e0
"""


def test_a_headless_gpf_without_registers_is_named_by_its_trace() -> None:
    rep = analyze(_NO_REGISTERS.encode())
    assert (rep.title, rep.kind, rep.function) == ("general protection fault in foo_init_net", "gpf", "foo_init_net")
    assert rep.corrupted


def test_the_note_with_an_arm64_trace_only_is_no_gpf() -> None:
    # arm64 prints `Call trace:`; its own fault header, here cut, is what says what the report is.
    rep = analyze(_NO_REGISTERS.replace("Call Trace:", "Call trace:").encode())
    assert rep.signature != "gpf-kasan-range"


def test_the_note_without_a_rip_line_or_trace_is_no_report() -> None:
    assert analyze(b"[    1.0] KASAN: null-ptr-deref in range [0x0-0x7]\n[    1.1] something else\n").title == ""
