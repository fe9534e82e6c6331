"""Report formats the production corpus showed kcrashd missing: LAVA job logs, kmemleak's own block,
SLUB's left/right redzones, 4.0-4.3 KASan headers.  Each test names the code that prints the lines
the rule reads; negatives sit beside the positives.
"""

from __future__ import annotations

import json

import pytest

from kcrashd.core import analyze
from kcrashd.core.normalize import decode_log
from tests.core.golden import CORPUS

EDGE = CORPUS / "edge"

# --- LAVA job logs (KernelCI, Linaro): `- {"dt": ..., "lvl": "target", "msg": "<console line>"}` ---------


def _lava(records: list[tuple[str, object]]) -> str:
    return "".join(
        "- " + json.dumps({"dt": f"2022-06-09T11:13:04.{n:06d}", "lvl": lvl, "msg": msg}) + "\n"
        for n, (lvl, msg) in enumerate(records)
    )


_WARN = [
    "[  168.361180] ------------[ cut here ]------------",
    "[  168.361191] WARNING: CPU: 4 PID: 237 at drivers/gpu/drm/panel/panel-simple.c:505 "
    "panel_simple_parse_panel_timing_node+0x1e4/0x200 [panel_simple]",
    "[  168.361200] Modules linked in: panel_simple",
    "[  168.361210] pc : panel_simple_parse_panel_timing_node+0x1e4/0x200 [panel_simple]",
    "[  168.361220] Call trace:",
    "[  168.361221]  panel_simple_parse_panel_timing_node+0x1e4/0x200 [panel_simple]",
    "[  168.361222]  panel_simple_probe+0x4c/0x5a0 [panel_simple]",
    "[  168.361230] ---[ end trace 0000000000000000 ]---",
]
# The dispatcher's own records quote the crash regexes it watches the console with.
_DISPATCHER = [
    ("debug", "Setting prompt string to ['(Unhandled fault.*)\\r\\n', 'Kernel panic - (.*) end Kernel panic']"),
    ("debug", ["^[^\\n]+WARNING:.*?$", "BUG:.*?$']"]),
    ("results", {"case": "kernel-messages", "extra": {"message": "BUG: KASAN: slab-out-of-bounds"}}),
]


def test_a_lava_log_reads_the_console_lines_of_target_records() -> None:
    report = analyze(_lava([*_DISPATCHER, *(("target", line) for line in _WARN)]))
    assert report.title == "WARNING in panel_simple_parse_panel_timing_node"
    assert report.function == "panel_simple_parse_panel_timing_node"


def test_a_lava_logs_dispatcher_records_are_no_crash() -> None:
    # Negative: the regexes LAVA quotes and another console's `feedback` output are not the kernel's.
    records = [*_DISPATCHER, ("feedback", "WARNING: Unimplemented Standard Service Call: 0x84000050 ")]
    records.append(("target", "[    1.000000] Run /sbin/init as init process"))
    assert analyze(_lava(records)).kind == "none"


def test_a_lava_log_keeps_one_line_per_record() -> None:
    # Line numbers stay the file's: a non-console record becomes an empty line.
    text = decode_log(_lava([("info", "start: 0 validate"), ("target", "[    1.0] a\nb")]))
    assert text.split("\n") == ["", "[    1.0] a b", ""]


def test_a_lava_record_nested_past_any_parser_depth_hides_no_crash() -> None:
    # Hostile input: a target record whose msg is 100,000 nested lists (a JSON parser recurses on it),
    # then the warning: the record is skipped, the warning found.
    deep = '- {"dt": "2022-06-09T11:13:04.000000", "lvl": "target", "msg": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    report = analyze(deep + _lava([("target", line) for line in _WARN]))
    assert report.title == "WARNING in panel_simple_parse_panel_timing_node"


def test_a_lava_msg_with_a_bad_escape_is_an_empty_line() -> None:
    bad = '- {"dt": "2022-06-09T11:13:04.000000", "lvl": "target", "msg": "[    1.0] \\x41"}\n'
    assert decode_log(bad + _lava([("target", "[    1.0] a")])).split("\n") == ["", "[    1.0] a", ""]

def test_a_line_that_only_looks_like_lava_is_kept() -> None:
    assert decode_log("- {not lava}\nBUG: x\n") == "- {not lava}\nBUG: x\n"


# --- kmemleak (mm/kmemleak.c print_unreferenced) ----------------------------------------------------

_LEAK = (
    "unreferenced object 0xffff888003692380 (size 128):\n"
    '  comm "unsigned-md5_ip", pid 762, jiffies 4294831244\n'
    "  hex dump (first 32 bytes):\n"
    "    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................\n"
    "  backtrace (crc 2128895f):\n"
    "    [<ffffffffb2131db6>] kmalloc_trace_noprof+0x236/0x290\n"
    "    [<ffffffffb3dee5e4>] tcp_ao_alloc_info+0x44/0xf0\n"
    "    [<ffffffffb3df0263>] tcp_ao_info_cmd.constprop.0+0x423/0x8e0\n"
    "    [<ffffffffb3c2a534>] do_tcp_setsockopt+0xa64/0x2320\n"
)


def test_kmemleaks_own_block_is_a_memory_leak_of_the_allocators_user() -> None:
    report = analyze("$ cat /sys/kernel/debug/kmemleak\n" + _LEAK)
    assert report.kind == "memory-leak"
    assert report.title == "memory leak in tcp_ao_alloc_info"


def test_syzkallers_bug_line_and_the_block_are_one_report() -> None:
    report = analyze("BUG: memory leak\n" + _LEAK)
    assert report.signature == "memory-leak"
    assert report.preceding == []


def test_a_leak_through_a_wrapper_allocator_names_the_wrappers_user() -> None:
    log = _LEAK.replace("tcp_ao_alloc_info+0x44", "sock_kmalloc+0x44").replace(
        "tcp_ao_info_cmd.constprop.0", "tcp_md5_do_add"
    )
    assert analyze(log).function == "tcp_md5_do_add"


def test_the_words_unreferenced_object_alone_are_no_leak() -> None:
    assert analyze("unreferenced object count is 0 (size check)\n").kind == "none"


# --- SLUB debugging (mm/slub.c check_object -> check_bytes_and_report "Left Redzone"/"Right Redzone") ---

_SLUB = (
    "=============================================================================\n"
    "BUG kmalloc-8: Right Redzone overwritten\n"
    "-----------------------------------------------------------------------------\n"
    "\n"
    "INFO: 0xc90f6d28-0xc90f6d2b. First byte 0x00 instead of 0xcc\n"
    "INFO: Slab 0xc528c530 flags=0x400000c3 inuse=61 fp=0xc90f6d58\n"
    "INFO: Allocated in get_modalias+0x61/0xf5 age=53 cpu=1 pid=554\n"
    "\n"
    "  [<c010523d>] dump_trace+0x63/0x1eb\n"
    "  [<c01053df>] show_trace_log_lvl+0x1a/0x2f\n"
    "  [<c0106035>] dump_stack+0x16/0x18\n"
    "  [<c017e0fa>] object_err+0x143/0x14b\n"
    "  [<c017e2cc>] check_object+0x66/0x234\n"
    "  [<c017eb43>] __slab_free+0x239/0x384\n"
    "  [<c017f446>] kfree+0xa6/0xc6\n"
    "  [<c02e2335>] get_modalias+0xb9/0xf5\n"
    "  [<c02e23b7>] dmi_dev_uevent+0x27/0x3c\n"
)


def test_a_right_redzone_is_a_slub_report_with_the_freeing_caller() -> None:
    report = analyze(_SLUB)
    assert report.signature == "slub-debug"
    assert report.title == "BUG: Right Redzone overwritten in get_modalias"


def test_a_left_redzone_too() -> None:
    assert analyze(_SLUB.replace("Right", "Left")).title == "BUG: Left Redzone overwritten in get_modalias"


@pytest.mark.parametrize("what", [
    # mm/slub.c check_object since 6.2: the bytes past a kmalloc()'s requested size (slub_debug_orig_size)
    "kmalloc Redzone",
    # and the padding of a poisoned cache without a red zone
    "Alignment padding",
])
def test_the_other_checks_of_check_object_too(what: str) -> None:
    report = analyze(_SLUB.replace("BUG kmalloc-8: Right Redzone", f"BUG kmalloc-8 (Not tainted): {what}"))
    assert report.title == f"BUG: {what} overwritten in get_modalias"


def test_a_redzone_word_in_a_driver_line_is_no_slub_report() -> None:
    assert analyze("[    3.1] mydrv saw no kmalloc Redzone overwritten\n").kind == "none"


# --- KASan 4.0-4.3 (mm/kasan/report.c kasan_report_error "BUG: KASan: %s in %pS at addr %p") ------------

_KASAN_OLD = (
    "BUG: KASan: use after free in ext4_foo+0xce/0x117 at addr ffff8800b91250fb\n"
    "Read of size 1 by task insmod/2754\n"
    "CPU: 0 PID: 2754 Comm: insmod Not tainted 4.0.0-rc4+ #1\n"
    "Call Trace:\n"
    " [<ffffffff82c97b9e>] dump_stack+0x45/0x57\n"
    " [<ffffffff813fc8c9>] kasan_report_error+0x129/0x420\n"
    " [<ffffffffa00087bf>] ext4_foo+0xce/0x117\n"
    " [<ffffffffa000001e>] ext4_bar+0x1e/0x40\n"
)


def test_an_old_kasan_header_is_a_kasan_report() -> None:
    report = analyze(_KASAN_OLD)
    assert report.kind == "kasan"
    assert report.title == "KASAN: use after free Read in ext4_foo"


def test_an_old_kasan_header_without_its_access_line_keeps_the_header() -> None:
    report = analyze(_KASAN_OLD.replace("Read of size 1 by task insmod/2754\n", ""))
    assert report.kind == "kasan"
    assert report.title.startswith("KASan: use after free in ext4_foo")


# --- arm32 user-mode faults (arch/arm/mm/fault.c do_DataAbort -> arm_notify_die: die() only in kernel mode) ---

_ARM_KERNEL_FAULT = (
    "[  541.934792] Unhandled fault: external abort on non-linefetch (0x008) at 0xfa21200c\n"
    "[  541.942570] pgd = c0204000\n"
    "[  541.945457] [fa21200c] *pgd=afffb841, *pte=48212653, *ppte=48212453\n"
    "[  541.952218] Internal error: : 8 [#1] SMP ARM\n"
    "[  541.974689] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 4.14.0-rc3 #1\n"
    "[  541.993427] PC is at gic_handle_irq+0x58/0x9c\n"
    "[  541.997813] LR is at gic_handle_irq+0x24/0x9c\n"
)
_ARM_USER_FAULT = (
    "[  541.908669] Alignment trap: not handling instruction f46107cf at [<004e5c4c>]\n"
    "[  541.916015] Unhandled fault: alignment exception (0x011) at 0x00508ae4\n"
    "[  541.922732] pgd = ec340000\n"
    "[  541.925613] [00508ae4] *pgd=fb0c2835\n"
)


def test_a_user_mode_unhandled_fault_gives_way_to_the_kernel_fault_after_it() -> None:
    report = analyze(_ARM_USER_FAULT + _ARM_KERNEL_FAULT)
    assert report.title == "Unhandled fault in gic_handle_irq"
    assert report.preceding == []


def test_an_unhandled_fault_with_its_internal_error_is_the_crash() -> None:
    # Negative: the kernel-mode fault alone, and one whose log ends before die()'s line, stay crashes.
    assert analyze(_ARM_KERNEL_FAULT).title == "Unhandled fault in gic_handle_irq"
    assert analyze(_ARM_USER_FAULT).kind == "paging-fault"


# --- syslog files: only the lines tagged `kernel` are the kernel's (RFC 3164 `timestamp host tag[pid]: `) ---

_SYSLOG_PROGRAMS = (
    "Nov  9 10:19:35 ohm openvpn[1118]: WARNING: Make sure you understand the semantics of --tls-remote\n"
    "Nov  9 10:19:36 ohm kernel: [  812.000001] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex\n"
    "Nov  9 10:19:37 ohm crashtest[2001]: BUG: soft lockup - CPU#0 stuck for 22s! [expected in this test]\n"
    "2024-05-01T10:00:00+0200 ohm watchdogd[77]: Kernel panic - not syncing: simulated by the test suite\n"
)
_SYSLOG_KERNEL_OOPS = (
    "Nov  9 10:20:00 ohm kernel: [  840.000001] BUG: unable to handle kernel NULL pointer dereference at 0000000000000008\n"
    "Nov  9 10:20:00 ohm kernel: [  840.000002] IP: [<ffffffff811c1b2a>] ext4_foo+0x1a/0x40\n"
    "Nov  9 10:20:00 ohm kernel: [  840.000003] Oops: 0000 [#1] SMP\n"
    "Nov  9 10:20:00 ohm kernel: [  840.000004] Call Trace:\n"
    "Nov  9 10:20:00 ohm kernel: [  840.000005]  [<ffffffff811c2000>] ext4_bar+0x20/0x40\n"
)


def test_another_programs_syslog_lines_are_not_the_kernels() -> None:
    assert analyze(_SYSLOG_PROGRAMS).kind == "none"


def test_the_kernels_syslog_lines_still_report() -> None:
    report = analyze(_SYSLOG_PROGRAMS + _SYSLOG_KERNEL_OOPS)
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in ext4_foo"
    assert report.preceding == []


# --- kmemcheck (mm/kmemcheck/error.c kmemcheck_error_recall: header, shadow, show_regs, the stack) ---------


def test_a_kmemcheck_report_names_the_reading_function() -> None:
    report = analyze((EDGE / "kmemcheck.log").read_bytes())
    assert report.signature == "kmemcheck"
    assert report.title == "WARNING: kmemcheck: Caught NUM-bit read from freed memory in foo_release"


def test_another_kmemcheck_message_stays_a_message() -> None:
    # Negative: kmemcheck's other notices are not its error report.
    report = analyze("[    0.000000] WARNING: kmemcheck: page fault handler not installed\n")
    assert report.signature != "kmemcheck"


# --- a disabled unit's trap entered from the kernel (arch/loongarch/kernel/traps.c do_fpu, do_lsx, do_lasx, do_lbt;
# arch/mips/kernel/traps.c do_cpu: `die_if_kernel("do_fpu invoked from kernel context!", regs)` -> die `%s[#%d]:`) ---


@pytest.mark.parametrize("unit", ["do_fpu", "do_lsx", "do_lasx", "do_lbt", "do_cpu"])
def test_a_unit_trap_from_the_kernel_is_a_die_report(unit: str) -> None:
    log = (f"{unit} invoked from kernel context![#1]:\n"
           "CPU: 0 UID: 0 PID: 240 Comm: kworker/0:5 Not tainted 6.14.0-rc6+ #1\n"
           "  ERA: ffff80000318bd2c mydrv_build_table+0x14c/0x600 [mydrv]\n"
           "Call Trace:\n"
           "[<ffff80000318bd2c>] mydrv_build_table+0x14c/0x600 [mydrv]\n"
           "[<ffff80000315750c>] mydrv_init_instance+0x20c/0x300 [mydrv]\n")
    report = analyze(log)
    assert (report.signature, report.title, report.kind) == (
        "die-kernel-context", f"{unit} invoked from kernel context in mydrv_build_table", "invalid-opcode")


def test_the_words_in_a_message_are_no_die_report() -> None:
    assert analyze("[    3.1] mydrv: do_fpu invoked from kernel context! (ignored)\n").kind == "none"
    assert analyze("[    3.1] trace: do_fpu invoked from kernel context![#1]: seen earlier\n").kind == "none"


# --- BUG()'s file as a vendor tree or an out-of-tree build prefixes __FILE__ (signatures.py _BUILD_PREFIX) ---

_LIST_BUG = (
    "list_del corruption. prev->next should be ffffffc0a1b2c3d0, but was dead000000000100\n"
    "------------[ cut here ]------------\n"
    "kernel BUG at {path}:53!\n"
    "Internal error: Oops - BUG: 0 [#1] PREEMPT SMP\n"
    "pc : __list_del_entry_valid+0x90/0xb0\n"
    "lr : __list_del_entry_valid+0x90/0xb0\n"
    "Call trace:\n"
    " __list_del_entry_valid+0x90/0xb0\n"
    " __release_extent_node+0x4c/0x1a8\n"
    " f2fs_shrink_extent_tree+0x2bc/0x4a0\n"
)


@pytest.mark.parametrize("path", ["lib/list_debug.c", "kernel/msm-4.14/lib/list_debug.c",
                                  "/build/linux-aa0B4d/linux-5.15.0/lib/list_debug.c"])
def test_list_debug_bug_whatever_the_build_prefix(path: str) -> None:
    report = analyze(_LIST_BUG.format(path=path))
    assert (report.signature, report.title) == ("kernel-bug-list", "BUG: corrupted list in __release_extent_node")


def test_another_file_named_alike_is_a_plain_kernel_bug() -> None:
    assert analyze(_LIST_BUG.format(path="drivers/foo/mylib/list_debug_helpers.c")).signature == "kernel-bug"
