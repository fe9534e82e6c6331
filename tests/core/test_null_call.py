"""A call through a NULL function pointer is keyed on `null-call in F`, apart from a jump into data or a bad
access by the same caller (kcrashd/core/null_call.py); version 3's `bad-access in F` key stays an alias."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from kcrashd.core.fingerprint import fingerprint_key
from kcrashd.core.null_call import NULL_PC_FORMS, null_call
from tests.core.golden import CORPUS

LAB = CORPUS / "lab"


@pytest.mark.parametrize("form", NULL_PC_FORMS, ids=lambda f: f.arch)
def test_every_form_reads_its_own_sample(form: object) -> None:
    assert null_call([form.sample])  # type: ignore[attr-defined]


@pytest.mark.parametrize("line", [
    "RIP: 0010:0x0", "RIP: 0010:          (null)", "IP: [<          (null)>]           (null)",
    "RIP: 0010:[<0000000000000000>]  [<          (null)>]           (null)", "EIP: 0060:[<00000000>] EFLAGS: 00010246 CPU: 0",
    "EIP is at 0x0", "pc : 0x0", "pc : 0000000000000000", "PC is at 0x0", "pc : [<00000000>]    lr : [<c05e8a2c>]    psr: 60000013", "NIP [0000000000000000] 0x0",
    "NIP:  0000000000000000 LR: c0000000001d4f18 CTR: 0000000000000000",
    "Krnl PSW : 0704e00180000000 0000000000000002 (0x2)", "epc : 0x0",
])  # fmt: skip
def test_a_pc_in_the_page_at_zero_is_a_null_call(line: str) -> None:
    assert null_call(["BUG: kernel NULL pointer dereference, address: 0000000000000000", line])


@pytest.mark.parametrize("line", [
    # LKDTM's EXEC_DATA and the lab's exec-nx: a jump into data
    "RIP: 0010:0xffff88d1c22a2e80", "RIP: 0010:data_area+0x0/0x40 [lkdtm]", "pc : 0xffff19a988273f80",
    "NIP:  c0080000008e2208 LR: c0080000008e0114 CTR: c0080000008e2208", "NIP [c0080000008e2208] data_area+0x0/0x40 [lkdtm]",
    "Krnl PSW : 0704c00180000000 000003ff7fdc1234 (0x3ff7fdc1234)",
    # a NULL data access: the PC names the function that made it
    "RIP: 0010:lab_trigger_null_deref+0x12/0x20 [lab_crash]", "pc : lkdtm_ACCESS_NULL+0x14/0x30 [lkdtm]",
    "PC is at musb_gadget_wakeup+0x10/0x80", "pc : [<c05e8a10>]    lr : [<00000000>]    psr: 60000013", "NIP [c000000000a3b9d4] t_probe_next+0x60/0x180",
    # past the page at zero, and a register that is not the PC
    "RIP: 0010:0x1000", "pc : 0x10000", "NIP:  c000000000a3b9d4 LR: 0000000000000000 CTR: 0000000000000000",
    "lr : 0x0",
])  # fmt: skip
def test_any_other_pc_is_no_null_call(line: str) -> None:
    assert not null_call(["BUG: unable to handle page fault for address: ffff88d1c22a2e80", line])


def test_a_register_dump_far_below_the_header_is_not_read() -> None:
    assert not null_call(["BUG: kernel NULL pointer dereference, address: 0000000000000000", *[""] * 40, "RIP: 0010:0x0"])


def _lab(case: str) -> bytes:
    return (LAB / case / "console.log").read_bytes()


def test_a_null_call_and_a_jump_into_data_from_one_caller_are_two_bugs() -> None:
    null = analyze(_lab("deb12-6.1_lkdtm-exec-null_run1"))
    data = analyze(_lab("deb12-6.1_lkdtm-exec-data_run1"))
    assert null.function == data.function == "execute_location"
    assert null.fingerprint != data.fingerprint
    assert null.alt_titles[0] == "null-call in execute_location"
    assert "bad-access in execute_location" in null.alt_titles  # syzkaller's alternative stays
    # Version 3 keyed both on `bad-access in execute_location`: that key continues as an alias.
    assert fingerprint_key(null.title, null.alt_titles, version=3) == "bad-access in execute_location"
    assert fingerprint_key(null.title, null.alt_titles) == "null-call in execute_location"
    assert set(null.fingerprint_aliases) & set(data.fingerprint_aliases)


def test_a_null_call_has_one_key_on_every_architecture() -> None:
    # development cases only (the sealed part is read in aggregate)
    cases = ["deb12-6.1_null-fn-call_run1", "deb12-6.1-arm64_null-fn-call_run1", "deb12-6.1-ppc64el_null-fn-call_run2",
             "deb12-6.1-s390x_null-fn-call_run2", "deb13-6.12_null-fn-call_run1"]  # fmt: skip
    keys = {analyze(_lab(case)).fingerprint for case in cases}
    assert len(keys) == 1
