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
