"""Families of misses of the 303-log production corpus's development part (issue 13, "Families of misses"):
each rule reads what the kernel prints (the code is named); negatives sit beside the positives.
"""

from __future__ import annotations

import pytest

from kcrashd.core import analyze, frames
from tests.core.golden import CORPUS
from tests.core.test_miss_families import _v3_key

PRODUCTION = CORPUS / "production"


# --- a fault inside a lock primitive, in a trace of guesses (arch/x86/kernel/dumpstack.c, 2.6-4.8) ---------


def test_fault_in_a_lock_primitive_with_a_guess_only_trace_names_the_locker() -> None:
    # 2.6.32 i386: `EIP is at __mutex_lock_slowpath+0x8a/0x130`, every frame `?`: `? mutex_lock`, then the
    # function that took the mutex of a NULL object, `? drm_fb_release+0x23/0x70 [drm]`.
    report = analyze((PRODUCTION / "fwts" / "oops-plymouthd-mutex.txt").read_bytes())
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in drm_fb_release"
    # Version 3 gave `in corrupted`: that key continues.
    assert _v3_key("bad-access in corrupted") in report.fingerprint_aliases


_MUTEX_FAULT = (
    "[    7.432087] BUG: unable to handle kernel NULL pointer dereference at (null)\n"
    "[    7.432631] IP: [<c05a4fda>] {pc}+0x8a/0x130\n"
    "[    7.433284] Oops: 0002 [#1] SMP\n"
    "[    7.457480] EIP is at {pc}+0x8a/0x130\n"
    "[    7.457480] Call Trace:\n"
    "[    7.457480]  [<c05a4f35>] ? mutex_lock+0x25/0x40\n"
    "[    7.604514]  [<f81eb123>] {mark}mydrv_release+0x23/0x70 [mydrv]\n"
    "[    7.604514]  [<c020736f>] ? __fput+0xdf/0x1f0\n"
    "[    7.604514] ---[ end trace bdc69ac9537b9c32 ]---\n"
)


def test_fault_in_a_lock_primitive_with_a_reliable_frame_reads_the_reliable_frames() -> None:
    # Negative: a reliable frame means an unwinder ran; the `?` words are stale, the reliable frame counts.
    log = _MUTEX_FAULT.format(pc="__mutex_lock_slowpath", mark="")
    assert analyze(log).function == "mydrv_release"


def test_fault_outside_the_lock_primitives_with_a_guess_only_trace_stays_corrupted() -> None:
    # Negative: the PC is a string helper, not a lock primitive: the guessed words outside a module are not read.
    log = _MUTEX_FAULT.format(pc="strlen", mark="? ").replace(" [mydrv]", "")
    report = analyze(log)
    assert (report.function, report.corrupted) == (None, True)


def test_fault_in_a_skipped_helper_with_a_guessed_module_frame_names_it() -> None:
    # A module's `?` frame past a skipped helper's PC is the driver whose call the helper ran (culprit._module_past_helper).
    log = _MUTEX_FAULT.format(pc="strlen", mark="? ")
    assert analyze(log).function == "mydrv_release"


def test_fault_in_a_lock_primitive_with_a_guess_only_trace_synthetic() -> None:
    log = _MUTEX_FAULT.format(pc="__mutex_lock_slowpath", mark="? ")
    assert analyze(log).function == "mydrv_release"


# --- kernel/watchdog.c, lib/nmi_backtrace.c: only the locked CPU's own dump names a hard lockup's culprit ----


def test_hard_lockup_whose_cpu_never_answered_names_no_bystander() -> None:
    # arm64 5.15 without pseudo-NMI: `Sending NMI from CPU 1 to CPUs 2:` gets no answer; the NMI backtraces
    # that follow are of idle CPUs 0 and 3-7 (`pc : cpuidle_enter_state`).
    report = analyze((PRODUCTION / "chromiumos" / "TEST_ARM64_PROVOKE_KERNEL_HARDLOCKUP_NO_NMI.txt").read_bytes())
    assert (report.title, report.function, report.kind) == ("BUG: hard lockup", None, "hard-lockup")
    assert report.alt_titles == []
    # Version 3 named the first bystander: that key continues.
    assert _v3_key("stall in cpuidle_enter_state") in report.fingerprint_aliases


_LOCKUP = (
    "<0>[  254.539424] Watchdog detected hard LOCKUP on cpu 2\n"
    "<4>[  254.544376] Modules linked in: mydrv\n"
    "{own}"
    "<6>[  254.617801] Sending NMI from CPU {sender} to CPUs {targets}:\n"
    "<4>[  264.628120] NMI backtrace for cpu 0\n"
    "<4>[  264.631723] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 5.15.138 #1\n"
    "<4>[  264.654971] pc : cpuidle_enter_state+0xb4/0x314\n"
    "<4>[  264.659650] lr : cpuidle_enter_state+0xa8/0x314\n"
    "<4>[  264.741066] Call trace:\n"
    "<4>[  264.743583]  cpuidle_enter_state+0xb4/0x314\n"
    "<4>[  264.747887]  cpuidle_enter+0x40/0x58\n"
    "<4>[  264.751570]  do_idle+0x134/0x288\n"
    "{answer}"
)
_ANSWER = (
    "<4>[  264.767900] NMI backtrace for cpu 2\n"
    "<4>[  264.771494] CPU: 2 PID: 77 Comm: sh Not tainted 5.15.138 #1\n"
    "<4>[  264.794723] pc : mydrv_spin+0x1c/0x28 [mydrv]\n"
    "<4>[  264.799388] lr : mydrv_write+0x30/0x60 [mydrv]\n"
    "<4>[  264.880876] Call trace:\n"
    "<4>[  264.883395]  mydrv_spin+0x1c/0x28 [mydrv]\n"
    "<4>[  264.887696]  mydrv_write+0x30/0x60 [mydrv]\n"
)


def test_hard_lockup_names_the_locked_cpus_answer_after_a_bystanders() -> None:
    log = _LOCKUP.format(own="", sender=1, targets="0,2", answer=_ANSWER)
    report = analyze(log)
    assert (report.title, report.function) == ("BUG: hard lockup in mydrv_spin", "mydrv_spin")


def test_hard_lockup_detected_on_its_own_cpu_names_its_own_registers() -> None:
    # Negative: the detector ran on the locked CPU (show_regs below the header), then asked the others.
    own = (
        "<4>[  254.544380] CPU: 2 PID: 77 Comm: sh Not tainted 5.15.138 #1\n"
        "<4>[  254.544390] pc : mydrv_spin+0x1c/0x28 [mydrv]\n"
        "<4>[  254.544400] Call trace:\n"
        "<4>[  254.544410]  mydrv_spin+0x1c/0x28 [mydrv]\n"
    )
    log = _LOCKUP.format(own=own, sender=2, targets="0-1,3", answer="")
    assert analyze(log).function == "mydrv_spin"


def test_hard_lockup_without_nmi_backtraces_reads_the_report_as_before() -> None:
    # Negative: a 3.x report carried by the NMI handler's WARN on the locked CPU itself, no NMI sent.
    report = analyze((PRODUCTION / "abrt" / "nmi_oops_hash.txt").read_bytes())
    assert (report.title, report.function) == ("BUG: hard lockup in account_idle_ticks", "account_idle_ticks")


# --- arch/x86/mm/fault.c show_fault_oops: the `#PF:` lines of a fault whose header line was lost -----------


def test_fault_whose_header_was_lost_is_read_from_its_pf_lines() -> None:
    # 5.10: `#PF: supervisor read access in kernel mode`, `Oops: 0000 [#1]`, `CR2: 0000000000200286` (not NULL);
    # the RIP is in lib/vsprintf.c and lib/devres.c formats the region name for the driver's bad resource.
    report = analyze((PRODUCTION / "logspec" / "linux-boot-005-coral-pmc-oops-no-header.txt").read_bytes())
    assert (report.title, report.kind, report.corrupted) == (
        "BUG: unable to handle kernel paging request in intel_pmc_get_resources", "paging-fault", True)
    assert report.alt_titles == ["bad-access in intel_pmc_get_resources"]


def test_fault_whose_header_was_lost_below_page_size_is_a_null_dereference() -> None:
    # show_fault_oops: `address < PAGE_SIZE && !user_mode(regs)` printed `BUG: kernel NULL pointer dereference`.
    report = analyze((CORPUS / "edge" / "fault-headless.log").read_bytes())
    assert (report.title, report.kind) == ("BUG: unable to handle kernel NULL pointer dereference in mydrv_probe",
                                           "null-deref")


def test_pf_lines_below_their_header_continue_its_report() -> None:
    # Negative: with the header (`BUG: kernel NULL pointer dereference, address:`) the `#PF:` lines are its own.
    report = analyze((PRODUCTION / "drgn" / "blk-rq-qos-crash.txt").read_bytes())
    assert report.signature == "null-deref"
    assert (report.corrupted, report.preceding) == (False, [])


def test_pf_line_without_an_oops_is_no_crash() -> None:
    # Negative: a `#PF:` line that no `Oops:` follows is no report.
    log = "[    5.1] #PF: supervisor read access in kernel mode\n[    5.2] mydrv: retrying\n"
    assert analyze(log).title == ""


@pytest.mark.parametrize("name", ["devm_kasprintf", "devm_kvasprintf", "kasprintf", "kvasprintf",
                                  "__devm_ioremap_resource", "devm_ioremap_resource", "devm_platform_ioremap_resource"])
def test_allocating_formatters_and_devres_mapping_are_skipped(name: str) -> None:
    assert frames.is_skipped(name)


@pytest.mark.parametrize("name", ["devm_thermal_of_zone_register", "devm_regulator_release", "mydrv_kasprintf_name",
                                  "devm_input_allocate_device"])
def test_other_devres_users_are_kept(name: str) -> None:
    assert not frames.is_skipped(name)


# --- include/linux/log2.h, bitops.h, math64.h: integer helpers compute on their caller's value -------------


def test_ubsan_in_an_out_of_line_arithmetic_helper_names_its_caller() -> None:
    # 6.1: `UBSAN: shift-out-of-bounds in ./include/linux/log2.h:57:13`, the first frame past the sanitizer is the
    # helper the compiler emitted out of line, `__roundup_pow_of_two+0x26/0x3a`; its caller passed the value.
    report = analyze((PRODUCTION / "logspec" / "linux-boot-006-shuboz-ubsan-shift.txt").read_bytes())
    assert report.title == "UBSAN: shift-out-of-bounds in amdgpu_vm_adjust_size"
    # Version 3 named the helper: that key continues.
    assert _v3_key("UBSAN: shift-out-of-bounds in __roundup_pow_of_two") in report.fingerprint_aliases


def test_ubsan_in_an_inlined_header_helper_keeps_the_first_frame() -> None:
    # Negative: `UBSAN: Undefined behaviour in ../include/linux/bitops.h:110:33` inlined into its caller: the first
    # frame past the sanitizer is the caller itself.
    report = analyze((PRODUCTION / "kernel-docs" / "ubsan-shift.txt").read_bytes())
    assert report.function == "_mix_pool_bytes"


@pytest.mark.parametrize("name", ["__roundup_pow_of_two", "roundup_pow_of_two", "__rounddown_pow_of_two", "__ilog2_u64",
                                  "ilog2", "order_base_2", "fls_long", "__fls", "__ffs", "ffs", "rol32", "ror64",
                                  "__sw_hweight32", "hweight_long", "sign_extend64", "div_u64", "div64_u64_rem",
                                  "div_s64_rem", "get_count_order"])
def test_arithmetic_helpers_are_skipped(name: str) -> None:
    assert frames.is_skipped(name)


@pytest.mark.parametrize("name", ["mydrv_roundup_size", "ffs_sb_fill", "fls_table_lookup", "rolling_hash", "div_round_mode",
                                  "ilog2_table_init", "amdgpu_vm_adjust_size"])
def test_functions_named_like_arithmetic_helpers_are_kept(name: str) -> None:
    assert not frames.is_skipped(name)
