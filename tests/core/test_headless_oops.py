"""A quote that starts at x86 die()'s line, `Oops: 0000 [#1]` (arch/x86/kernel/dumpstack.c __die_header with the
str "Oops" of arch/x86/mm/fault.c page_fault_oops; 6.10 doubled it, `Oops: Oops: 0000 [#1]`), lost the fault's
header and its `#PF:` lines: it is still the page fault it reports, told apart by CR2 (signatures oops-headless).
Below its header the line only continues the report (signatures.FOLLOWS_HEADER)."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from tests.core.golden import CORPUS

_FULL = (CORPUS / "edge" / "fault-headless.log").read_text()
# The lines from die()'s on: the quote the DRM CI's skip lists keep (production testsuites/drm-ci/vkms-*).
_FROM_OOPS = _FULL[_FULL.index("[   12.480236] Oops:"):]


@pytest.mark.parametrize("line", ["Oops: 0002 [#1] PREEMPT SMP PTI", "Oops: Oops: 0002 [#1] PREEMPT SMP PTI"])
def test_a_quote_from_the_oops_line_is_the_page_fault(line: str) -> None:
    report = analyze(_FROM_OOPS.replace("Oops: 0002 [#1] PREEMPT SMP PTI", line))
    assert report.signature == "oops-headless"
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in mydrv_probe"  # CR2 0x18
    assert report.kind == "null-deref" and report.corrupted  # its header was lost


def test_a_high_cr2_is_a_paging_request() -> None:
    report = analyze(_FROM_OOPS.replace("CR2: 0000000000000018", "CR2: ffffc90000a12018"))
    assert report.title == "BUG: unable to handle kernel paging request in mydrv_probe"


def test_the_oops_line_below_its_fault_header_continues_the_report() -> None:
    full = _FULL.replace("[   12.480230] #PF:", "[   12.480229] BUG: kernel NULL pointer dereference, address: "
                                                 "0000000000000018\n[   12.480230] #PF:")
    # other messages between the header and die()'s line, as a boot prints them
    noisy = full.replace("[   12.480233] PGD 0 P4D 0\n", "[   12.480233] PGD 0 P4D 0\n[   12.480234] usb 1-6: new device\n"
                                                          "[   12.480235] sp5100-tco: initialized\n")
    for log in (full, noisy):
        report = analyze(log)
        assert report.signature == "null-deref" and not report.preceding and not report.corrupted


@pytest.mark.parametrize(
    ("line", "signature"),
    [
        # 6.12 prefixes every die() with `Oops: `: the trap's own row reads it
        ("Oops: general protection fault, probably for non-canonical address 0x1122334455667798: 0000 [#1] PREEMPT SMP",
         "gpf"),
        ("Oops: Kernel access of bad area, sig: 11 [#1]", "ppc-oops"),  # powerpc __die
    ],
)
def test_other_oops_lines_keep_their_rows(line: str, signature: str) -> None:
    report = analyze(_FROM_OOPS.replace("Oops: 0002 [#1] PREEMPT SMP PTI", line))
    assert report.signature == signature


_I386 = (
    "[  199.698286] IP: [<f811a089>] mydrv_open+0x59/0xe0 [mydrv]\n"
    "[  199.698297] *pde = 00000000\n"
    "[  199.698303] Oops: 0000 [#1] PREEMPT SMP\n"
    "[  199.698313] Modules linked in: mydrv\n"
    "[  199.698339] EIP: 0060:[<f811a089>] EFLAGS: 00010286 CPU: 0\n"
    "[  199.698344] EIP is at mydrv_open+0x59/0xe0 [mydrv]\n"
    "[  199.698348] EAX: 0000003e EBX: f5067000 ECX: 00000000 EDX: 80000600\n"
    "[  199.698350] CR0: 8005003b CR2: 00000078 CR3: 34a4c000 CR4: 000007d0\n"
    "[  199.698496] Call Trace:\n"
    "[  199.698511]  [<f806e6ab>] serial_activate+0x4b/0x70 [usbserial]\n"
    "[  199.698521]  [<c126380c>] tty_port_open+0x7c/0xd0\n"
)


@pytest.mark.parametrize("pc", ["EIP: 0060:[<f811a089>] EFLAGS: 00010286 CPU: 0", "EIP: mydrv_open+0x59/0xe0 [mydrv]"])
def test_an_i386_quote_from_the_oops_line_is_the_page_fault(pc: str) -> None:
    # i386's register dump names the PC `EIP: %04x:[<%08lx>]` (2.6-4.x __show_regs) or `EIP: %pS` (4.x on), not `RIP:`
    # (production patches/yocto-ti-ftdi-open-null-deref-i386, a 3.2.11 oops quoted from its IP: line).
    report = analyze(_I386.replace("EIP: 0060:[<f811a089>] EFLAGS: 00010286 CPU: 0", pc))
    assert report.signature == "oops-headless"
    assert (report.title, report.kind) == ("BUG: unable to handle kernel NULL pointer dereference in mydrv_open", "null-deref")
    # Negative: without any register dump the `Oops:` line alone reports nothing.
    bare = "\n".join(line for line in _I386.splitlines() if "EIP" not in line and "IP:" not in line) + "\n"
    assert analyze(bare).signature != "oops-headless"
