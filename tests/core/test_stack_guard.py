"""arm64's and s390's kernel faults that x86 names: a stack guard page's paging request (kcrashd/core/stack_guard.py)
and arm64's kernel fetch from a user page (`execution of user memory`, arm64's SMEP), each keyed as x86's report of the same bug."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from kcrashd.core.fingerprint import fingerprint_title
from kcrashd.core.stack_guard import guard_page_hit
from tests.core.golden import CORPUS

LAB = CORPUS / "lab"


def _log(case: str, name: str = "console.log") -> bytes:
    return (LAB / case / name).read_bytes()


# LKDTM STACK_GUARD_PAGE_LEADING reads the byte below its task's stack: x86 names the guard page, arm64 prints a paging
# request at ffff800008027fff with `sp : ffff80000802bb90` (a 16 KiB stack from ffff800008028000).  EXEC_USERSPACE
# jumps to a user page: x86 stops it with SMEP, arm64's do_page_fault says `execution of user memory` (PXN), its PC
# the user address and `lr :` the test that jumped there.  Version 3 keyed the guard page's paging request on
# `bad-access in F`, and that key continues; the fetch it did not read as a fault starts a new history there.
@pytest.mark.parametrize(("arm64_case", "x86_case", "title", "kind"), [
    ("deb12-6.1-arm64_lkdtm-stack-guard-page-leading_run2", "deb12-6.1_lkdtm-stack-guard-page-leading_run1",
     "BUG: unable to handle kernel paging request in lkdtm_STACK_GUARD_PAGE_LEADING", "stack-overflow"),
    ("deb12-6.1-arm64_lkdtm-exec-userspace_run1", "deb13-6.12_lkdtm-exec-userspace_run2",
     "BUG: unable to handle kernel execution of user memory in lkdtm_EXEC_USERSPACE", "paging-fault"),
    # s390's do_no_context: `Failing address: 0000037fffd17000`, r15 0000037fffd1b978 (a 16 KiB stack from
    # 0000037fffd18000): the page below the stack.
    ("deb12-6.1-s390x_lkdtm-stack-guard-page-leading_run1", "deb12-6.1_lkdtm-stack-guard-page-leading_run1",
     "BUG: unable to handle kernel paging request in lkdtm_STACK_GUARD_PAGE_LEADING", "stack-overflow"),
])  # fmt: skip
def test_an_arm64_fault_x86_names_otherwise_is_keyed_as_x86_s(arm64_case: str, x86_case: str, title: str,
                                                               kind: str) -> None:  # fmt: skip
    arm64, x86 = analyze(_log(arm64_case)), analyze(_log(x86_case))
    function = title.rsplit(" in ", 1)[1]
    assert (arm64.title, arm64.kind, arm64.function) == (title, kind, function)
    assert arm64.fingerprint == x86.fingerprint
    v3 = "kc3-" + fingerprint_title(f"bad-access in {function}").split("-", 1)[1]
    assert v3 in arm64.fingerprint_aliases


def _fault(address: str, sp: str, what: str = "paging request") -> list[str]:
    return [
        f"Unable to handle kernel {what} at virtual address {address}",
        "Mem abort info:",
        "  ESR = 0x0000000096000007",
        "pc : mydrv_read+0x14/0x40 [mydrv]",
        "lr : mydrv_ioctl+0x2c/0x90 [mydrv]",
        f"sp : {sp}",
    ]


@pytest.mark.parametrize(("address", "sp"), [
    ("ffff800008027fff", "ffff80000802bb90"),  # the byte below a 16 KiB stack
    ("ffff800008027000", "ffff800008028010"),  # the guard page's first byte
    ("ffff80000801ffff", "ffff800008027b90"),  # below a 32 KiB (KASAN) stack
])  # fmt: skip
def test_a_fault_in_the_page_below_the_stack_is_a_guard_page_hit(address: str, sp: str) -> None:
    assert guard_page_hit(_fault(address, sp))


@pytest.mark.parametrize(("texts"), [
    _fault("ffff800008028010", "ffff80000802bb90"),  # inside the stack
    _fault("ffff800008026fff", "ffff80000802bb90"),  # two pages below
    # the first byte above a 16 KiB stack: x86 names only the page below (in_task_stack_guard), and reports LKDTM's
    # STACK_GUARD_PAGE_TRAILING as a plain page fault; arm64's report of it is one too
    _fault("ffff80000802c000", "ffff80000802bb90"),
    _fault("ffff000012345678", "ffff80000802bb90"),  # elsewhere
    _fault("ffff800008027fff", "ffff80000802bb90", "write to read-only memory"),  # a permission fault: mapped
    _fault("0000000000000010", "ffff80000802bb90", "NULL pointer dereference"),
    _fault("ffff800008027fff", "ffff80000802bb90")[:5],  # no `sp :` line
])  # fmt: skip
def test_other_faults_are_no_guard_page_hit(texts: list[str]) -> None:
    assert not guard_page_hit(texts)


def _s390_fault(failing: str, r15: str, header: str = "pointer dereference in virtual kernel address space") -> list[str]:
    return [
        f"Unable to handle kernel {header}",
        f"Failing address: {failing} TEID: {failing[:-3]}803",
        "Fault in home space mode while using kernel ASCE.",
        "Oops: 0011 ilc:3 [#1] SMP",
        "Krnl PSW : 0704c00180000000 000003ff7fdbc6d8 (mydrv_read+0x38/0x60 [mydrv])",
        "Krnl GPRS: 0000000000057fa8 0000000000e63e38 0000000000000038 0000000000e63e38",
        "           000003ff7fdbc6d8 0000037fffd1b7d0 0000000002b6c9c0 0000037fffd1bbb0",
        "           0000037fffd1bbb0 000003ff7fdc3f80 0000000002e0f000 0000037fffd18000",
        f"           0000000001e19200 000003ffe3a78f68 000003ff7fdbc6d8 {r15}",
    ]


@pytest.mark.parametrize(("texts", "hit"), [
    (_s390_fault("0000037fffd17000", "0000037fffd1b978"), True),  # the page below a 16 KiB stack
    (_s390_fault("0000037fffd1c000", "0000037fffd1b978"), False),  # the page above it (as x86 and arm64)
    (_s390_fault("0000037fffd18000", "0000037fffd1b978"), False),  # inside the stack
    (_s390_fault("000003ff7fdc3000", "0000037fffd1b978"), False),  # the module's read-only data
    (_s390_fault("0000037fffd17000", "0000037fffd1b978", "paging request in virtual user address space"), False),
    (_s390_fault("0000037fffd17000", "0000037fffd1b978")[:6], False),  # the register dump cut before r15
])  # fmt: skip
def test_an_s390_kernel_fault_below_the_stack_is_a_guard_page_hit(texts: list[str], hit: bool) -> None:
    assert guard_page_hit(texts) is hit
