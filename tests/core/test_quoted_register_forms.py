"""Report forms a quote leaves without a line the kernel printed (a register's address, the access line, the
`WARNING:` header, the RIP line): each rule reads what the kernel's printing code shows (named); negatives beside them.
"""

from __future__ import annotations

from kcrashd.core import analyze, frames
from tests.core.golden import CORPUS
from tests.core.test_miss_families import _v3_key

PATCHES = CORPUS / "production" / "patches"


# --- arch/powerpc/kernel/process.c show_regs: `NIP [%016lx] %pS`, `LR [%016lx] %pS`, the address stripped ------


def test_a_nip_line_without_its_address_names_the_faulting_function() -> None:
    # syzkaller's RIP-frame pattern takes zero to two bracketed addresses after `NIP`.
    assert frames.fault_pc("NIP perf_instruction_pointer+0x10/0x60") == "perf_instruction_pointer"
    assert frames.fault_pc("NIP  [c0021f0c] perf_instruction_pointer+0x10/0x60") == "perf_instruction_pointer"
    assert frames.fault_pc("NIP [c000000000123456] [c000000000123456] .f+0x1/0x2") == "f"


def test_other_nip_lines_are_no_pc_lines() -> None:
    # Negative: the register line (`NIP:  c0021f0c LR: ...`) names no function, nor a word that only starts with NIP.
    assert frames.fault_pc("NIP:  c0021f0c LR: c00e8ad8 CTR: c00d8a5c") is None
    assert frames.fault_pc("NIPA_poll+0x1/0x2") is None


def test_a_ppc_oops_quoted_without_addresses_names_the_nip_function() -> None:
    report = analyze((PATCHES / "suse-ppc32-perf-null-deref.txt").read_bytes())
    assert report.function == "perf_instruction_pointer"
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in perf_instruction_pointer"
    # Version 3 named the link register's function: its key continues.
    assert _v3_key("bad-access in perf_prepare_sample") in report.fingerprint_aliases


_PPC_NULL_CALL = (
    "BUG: Kernel NULL pointer dereference on read at 0x00000000\n"
    "Faulting instruction address: 0x00000000\n"
    "Oops: Kernel access of bad area, sig: 11 [#1]\n"
    "NIP:  00000000 LR: c00e8ad8 CTR: 00000000\n"
    "NIP {nip}\n"
    "LR  mydrv_notify+0x44/0x90 [mydrv]\n"
    "Call Trace:\n"
    "  blocking_notifier_call_chain+0x7c/0xf0 (unreliable)\n"
    "  mydrv_remove+0x30/0x90 [mydrv]\n"
    "  platform_remove+0x3c/0x70\n"
)


def test_a_null_call_quoted_without_addresses_names_the_link_register() -> None:
    # %pS of no symbol prints `0x%lx` (lib/vsprintf.c): the link register holds the caller's return address.
    report = analyze(_PPC_NULL_CALL.format(nip="0x0"))
    assert report.function == "mydrv_notify"
    # Version 3 read neither line: the trace's first frame, its key continues.
    assert _v3_key("bad-access in mydrv_remove") in report.fingerprint_aliases


def test_a_nip_without_0x_is_no_raw_pc() -> None:
    # Negative: a bare hex word after `NIP` is no %pS output (no symbol prints `0x%lx`): no raw PC, so the
    # link register is not read for it, and the trace names the culprit.
    assert frames.fault_pc("NIP 00000000") is None
    assert analyze(_PPC_NULL_CALL.format(nip="00000000")).function == "mydrv_remove"


# --- mm/kasan/report.c of 4.0-4.x: `BUG: KASan: %s in %pS at addr %p`, later `BUG: KASAN: ... at addr` ------------
# With the access line (`Read of size N by task`) syzkaller titles `KASAN: <class> <Read|Write> in <func>`; without it
# the report is corrupted and titled by its header, `KASAN: <class> in <func> at addr ADDR`.  %pS of a module's
# function appends ` [mod]` (kernel/kallsyms.c __sprint_symbol): no title carries it, as none carries the offset.

_OLD_KASAN = (
    "BUG: KASAN: use-after-free in mydrv_ioctl+0x504/0x630{mod} at addr ffff8801f2241cb1\n"
    "{access}"
    "Call Trace:\n"
    " [<ffffffff81b03781>] dump_stack+0x63/0x82\n"
    " [<ffffffff815395fe>] __asan_report_load1_noabort+0x2e/0x30\n"
    " [<ffffffffa07aadf4>] mydrv_ioctl+0x504/0x630{mod}\n"
    " [<ffffffff815b515b>] do_vfs_ioctl+0x54b/0xda0\n"
)
_ACCESS = "Read of size 1 by task a.out/4711\n"


def test_an_old_kasan_header_without_its_access_line_drops_the_module() -> None:
    report = analyze(_OLD_KASAN.format(mod=" [mydrv]", access=""))
    assert report.title == "KASAN: use-after-free in mydrv_ioctl at addr ADDR"
    assert report.function == "mydrv_ioctl"
    assert report.corrupted
    # Version 3 kept the module in the title: its key continues.
    assert _v3_key("KASAN: use-after-free in mydrv_ioctl [mydrv] at addr ADDR") in report.fingerprint_aliases


def test_the_quoted_alsa_kasan_report_is_titled_by_its_header() -> None:
    report = analyze((PATCHES / "deepin-alsa-seq-create-port-kasan.txt").read_bytes())
    assert report.title == "KASAN: use-after-free in snd_seq_ioctl_create_port at addr ADDR"


def test_an_old_kasan_header_without_a_module_keeps_its_title() -> None:
    # Negative: a built-in function's header titles as before.
    report = analyze(_OLD_KASAN.format(mod="", access=""))
    assert report.title == "KASAN: use-after-free in mydrv_ioctl at addr ADDR"


def test_an_old_kasan_header_with_its_access_line_names_the_access() -> None:
    # Negative: with the access line the title is syzkaller's access title, with or without a module.
    for mod in ("", " [mydrv]"):
        report = analyze(_OLD_KASAN.format(mod=mod, access=_ACCESS))
        assert report.title == "KASAN: use-after-free Read in mydrv_ioctl"
        assert not report.corrupted


def test_a_bracket_after_a_name_without_offset_is_no_module() -> None:
    # Negative: ` [x]` only follows `+0x1/0x2` in %pS output; elsewhere it stays.
    report = analyze("BUG: KASAN: use-after-free in mydrv_ioctl [mydrv] at addr ffff8801f2241cb1\n")
    assert "[mydrv]" in report.title
