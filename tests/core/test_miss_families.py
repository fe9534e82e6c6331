"""Families of misses found on the development parts of the production and syzkaller corpora (issue 13, "Families of
misses"): each rule reads what the kernel prints (the code is named) or follows syzkaller's
documented title rules; negatives sit beside the positives.
"""

from __future__ import annotations

import hashlib

import pytest

from kcrashd.core import analyze, frames
from kcrashd.core.title import normalize_title
from tests.core.corpus_score import case_log, load_cases
from tests.core.golden import CORPUS

PRODUCTION = CORPUS / "production"

# --- lib/vsprintf.c: a bad `%s` argument faults in the formatting helpers, for their caller ---------


@pytest.mark.parametrize("name", ["string_nocheck", "string", "check_pointer", "check_pointer_msg", "error_string",
                                  "widen_string", "vsnprintf",
                                  # fs/seq_file.c's printers, for the show() function that passed the argument
                                  "seq_printf", "seq_vprintf", "seq_puts", "seq_write", "seq_escape_mem"])
def test_vsprintf_helpers_are_skipped(name: str) -> None:
    assert frames.is_skipped(name)


@pytest.mark.parametrize("name", ["mydrv_string", "string_table_lookup", "check_pointer_table", "acpi_tb_create_local_fadt",
                                  "seq_read", "seq_read_iter", "seq_printf_stats", "r_show"])
def test_functions_named_like_vsprintf_helpers_are_kept(name: str) -> None:
    assert not frames.is_skipped(name)


def _v3_key(text: str) -> str:
    return "kc3-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def test_fault_in_string_formatting_names_the_code_that_printed() -> None:
    # EIP: string_nocheck; the trace runs string, vsnprintf, printk, the UBSAN reporter, then the
    # instrumented function whose report was being printed.
    report = analyze((PRODUCTION / "lkp-tests" / "stats-dmesg-boot-stage-02.txt").read_bytes())
    assert report.title == "BUG: unable to handle kernel paging request in acpi_tb_create_local_fadt"
    # Version 3 named string_nocheck: its key continues.
    assert _v3_key("bad-access in string_nocheck") in report.fingerprint_aliases


# --- KMSAN in the crypto API (crypto/cipher.c cipher_crypt_one dispatches to the algorithm) -----------


def _syzkaller(case_id: str) -> bytes:
    return case_log(next(c for c in load_cases() if c["id"] == case_id))


def test_kmsan_in_the_crypto_api_names_the_caller_that_set_the_key() -> None:
    # aes_encrypt, aesti_encrypt, cipher_crypt_one, crypto_cipher_encrypt_one, drbg_*, crypto_rng_reset,
    # rng_setkey, then alg_setkey (syzkaller's own title).
    report = analyze(_syzkaller("report-751"))
    assert report.title == "KMSAN: uninit-value in alg_setkey"
    assert _v3_key("bad-access in cipher_crypt_one") in report.fingerprint_aliases


def test_kmsan_in_a_driver_named_like_a_cipher_keeps_it() -> None:
    log = (
        "BUG: KMSAN: uninit-value in mydrv_cipher_setup+0x12/0x40\n"
        " mydrv_cipher_setup+0x12/0x40\n"
        " mydrv_probe+0x33/0x90\n"
    )
    assert analyze(log).title == "KMSAN: uninit-value in mydrv_cipher_setup"


# --- arch/x86/kernel/traps.c: `divide_error: 0000 [#1]` after the IDTENTRY conversion ---------------


def test_misspelt_divide_error_header_is_a_divide_error() -> None:
    report = analyze((PRODUCTION / "lkp-tests" / "stats-dmesg-70.txt").read_bytes())
    assert (report.title, report.kind, report.function) == ("divide error in main_func", "divide-error", "main_func")


def test_divide_error_word_outside_die_format_is_no_crash() -> None:
    log = (
        "[   16.396361] mydrv: divide_error: 3 counted, resetting\n"
        "[   16.397014] mydrv: RIP: 0010:mydrv_poll+0x29/0x69 recorded\n"
    )
    assert analyze(log).title == ""


# --- title normalisation: syzkaller replaces decimal numbers standing alone -----------------------


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("kernel panic: f: Failed to allocate 5242880 bytes align=0x1000 nid=0 from=0x0000000001000000",
         "kernel panic: f: Failed to allocate ADDR bytes align=0x1000 nid=NUM from=ADDR"),
        ("WARNING: 32bit mode on cpu 0,1,2", "WARNING: 32bit mode on cpu NUM,NUM,NUM"),
        ("BUG: bad value 0x12 in f", "BUG: bad value 0x12 in f"),
        ("INFO: task hung in cfg80211_wq", "INFO: task hung in cfg80211_wq"),
    ],
)
def test_only_standalone_decimal_numbers_become_num(raw: str, title: str) -> None:
    assert normalize_title(raw) == title


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("WARNING in da7213_volsw_locked_get", "WARNING in da7213_volsw_locked_get"),  # a codec chip's name
        ("WARNING in mydrv_cmd_abcdef", "WARNING in mydrv_cmd_abcdef"),
        ("BUG: unable to handle page fault for address: ffffc90000c2a000", "BUG: unable to handle page fault for address: ADDR"),
        ("general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000",
         "general protection fault, probably for non-canonical address ADDR: NUM"),
    ],
)
def test_hex_runs_inside_identifiers_are_no_address(raw: str, title: str) -> None:
    assert normalize_title(raw) == title


def test_panic_message_keeps_its_short_hex_value() -> None:
    report = analyze((PRODUCTION / "lkp-tests" / "stats-dmesg-71.txt").read_bytes())
    assert report.title == (
        "kernel panic: __populate_section_memmap: Failed to allocate ADDR bytes align=0x1000 nid=NUM from=ADDR"
    )


def test_the_version_3_key_of_a_title_with_a_short_hex_value_continues() -> None:
    # Version 3 titled the same log `... align=NUM ...`: its key is an alias.
    report = analyze((PRODUCTION / "lkp-tests" / "stats-dmesg-71.txt").read_bytes())
    v3_title = "kernel panic: __populate_section_memmap: Failed to allocate ADDR bytes align=NUM nid=NUM from=ADDR"
    assert _v3_key(v3_title) in report.fingerprint_aliases


# --- arch/x86/kernel/dumpstack.c (2.6-4.8): a kernel without frame pointers prints every frame `? f` --


def test_hung_task_with_a_guess_only_trace_names_the_first_frame_outside_the_waits() -> None:
    # Debian 3.16: `? schedule_preempt_disabled`, `? __mutex_lock_slowpath`, `? mutex_lock`, `? copy_net_ns`.
    report = analyze((PRODUCTION / "node-problem-detector" / "docker_hung.txt").read_bytes())
    assert (report.title, report.corrupted) == ("INFO: task hung in copy_net_ns", False)
    # Version 3 gave `in corrupted`: that key continues.
    assert _v3_key("hang in corrupted") in report.fingerprint_aliases


_HUNG = (
    "[  240.100000] INFO: task mydrv:20744 blocked for more than 120 seconds.\n"
    "[  240.100001]       Not tainted 4.15.0 #1\n"
    "[  240.100002] mydrv           D    0 20744      1 0x00000000\n"
    "[  240.100003] Call Trace:\n"
)


@pytest.mark.parametrize(
    "trace",
    [
        # An unwinder ran (`__schedule` is reliable): the `?` words are stale.
        "[  240.100004]  [<ffffffff81510915>] __schedule+0x8eb/0x2060\n"
        "[  240.100005]  [<ffffffff815123c3>] ? insert_work+0x5d0/0x5d0\n"
        "[  240.100006]  [<ffffffff814175bc>] ? mydrv_reset+0x6c/0x130\n",
        # 4.9+ prints no addresses: an all-`?` trace there means the unwinder found nothing.
        "[  240.100004]  ? __sched_text_start+0x8/0x8\n"
        "[  240.100005]  ? insert_work+0x5d0/0x5d0\n"
        "[  240.100006]  ? mydrv_reset+0x6c/0x130\n",
    ],
)
def test_hung_task_question_frames_of_an_unwound_trace_stay_unread(trace: str) -> None:
    assert analyze(_HUNG + trace).title == "INFO: task hung in corrupted"


# --- kernel/rcu/tree_stall.h rcu_check_gp_kthread_starvation: the GP kthread's dumps are no stalled CPU --


def test_rcu_stall_does_not_name_the_cpu_the_grace_period_kthread_last_ran_on() -> None:
    # Only preempted readers are reported (`Tasks blocked on level-0 rcu_node`, their task stacks); the
    # one interrupted stack is the dump below `Stack dump where RCU GP kthread last ran:` (syzkaller:
    # `in corrupted`).
    report = analyze(_syzkaller("report-719"))
    assert report.title == "INFO: rcu detected stall in corrupted"
    assert _v3_key("stall in syscall_exit_to_user_mode") in report.fingerprint_aliases


@pytest.mark.parametrize(
    ("case_id", "title"),
    [
        # The stalled CPU's own dump follows the kthread's CPU's (`Task dump for CPU 1:`).
        ("report-688", "INFO: rcu detected stall in sys_recvmmsg"),
        # 4.19: the kthread's stack, then the stalled CPU's NMI backtrace.
        ("report-268", "INFO: rcu detected stall in kvm_vcpu_ioctl"),
    ],
)
def test_rcu_stall_keeps_the_stalled_cpu_dump_after_the_kthread_dumps(case_id: str, title: str) -> None:
    assert analyze(_syzkaller(case_id)).title == title


# --- arm64's kernel fault messages (arch/arm64/mm/fault.c __do_kernel_fault) ------------------------------------
_ARM64_FAULT = (
    "Unable to handle kernel {msg} at virtual address 0000000000000024\n"
    "Mem abort info:\n"
    "  ESR = 0x0000000096000005\n"
    "Internal error: Oops: 0000000096000005 [#1] SMP\n"
    "Modules linked in: mydrv\n"
    "CPU: 2 PID: 1631 Comm: hostapd Not tainted 6.6.54 #0\n"
    "pc : mydrv_cleanup+0x84/0x22c [mydrv]\n"
    "lr : mydrv_cleanup+0x64/0x22c [mydrv]\n"
    "Call trace:\n"
    " mydrv_cleanup+0x84/0x22c [mydrv]\n"
    " mydrv_remove+0x70/0xbc [mydrv]\n"
)


@pytest.mark.parametrize("msg", ["paging request", "write to read-only memory", "execute from non-executable memory",
                                 "read from unreadable memory"])  # fmt: skip
def test_every_arm64_kernel_fault_message_is_a_paging_fault(msg: str) -> None:
    report = analyze(_ARM64_FAULT.format(msg=msg))
    assert (report.title, report.kind) == (f"BUG: unable to handle kernel {msg} in mydrv_cleanup", "paging-fault")


def test_an_unknown_arm64_fault_message_is_no_paging_fault() -> None:
    assert analyze(_ARM64_FAULT.format(msg="frobnication of memory")).kind != "paging-fault"


def test_sparc64_names_the_faulting_function_on_its_tpc_line() -> None:
    # arch/sparc/kernel/process_64.c show_regs prints `TPC: <%pS>`; the trace's `[%016lx] %pS` lines follow.
    report = analyze(
        "Unable to handle kernel NULL pointer dereference\n"
        "swapper/0(0): Oops [#1]\n"
        "CPU: 0 PID: 0 Comm: swapper/0 Not tainted 3.18.0 #24\n"
        "TSTATE: 0000004480e01602 TPC: 00000000004455e4 TNPC: 00000000004455e8 Y: 00000000    Not tainted\n"
        "TPC: <mydrv_intr+0x104/0x560>\n"
        "RPC: <mydrv_intr+0xec/0x560>\n"
        "Call Trace:\n"
        " [00000000004a9920] handle_irq_event_percpu+0x40/0x140\n"
        " [00000000004a9a58] handle_irq_event+0x38/0x80\n"
    )
    assert (report.title, report.kind) == ("BUG: unable to handle kernel NULL pointer dereference in mydrv_intr",
                                           "null-deref")
    assert frames.fault_pc("TSTATE: 0000004480e01602 TPC: 00000000004455e4 TNPC: 00000000004455e8 Y: 0") is None


def test_parisc_names_the_warning_site_on_its_iaoq_line() -> None:
    # arch/parisc/kernel/traps.c show_regs prints a kernel-mode PC as `IAOQ[0]: %pS`, the return pointer as
    # `RP(r2): %pS`; the `Backtrace:` starts at the caller.
    report = analyze(
        "WARNING: CPU: 0 PID: 0 at drivers/mydrv/core.c:367 mydrv_enter+0xa0/0xd0\n"
        "CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.7.0 #1\n"
        " IAOQ[0]: mydrv_enter+0xa0/0xd0\n"
        " IAOQ[1]: mydrv_enter+0xa4/0xd0\n"
        " RP(r2): mydrv_irq+0x34/0x68\n"
        "Backtrace:\n"
        " [<000000004034a3ec>] mydrv_irq+0x34/0x68\n"
        " [<000000004030dc48>] do_cpu_irq_mask+0xc0/0x450\n"
    )
    assert (report.title, report.function) == ("WARNING in mydrv_enter", "mydrv_enter")
    assert frames.fault_pc(" IAOQ[0]: mydrv_enter+0xa0/0xd0") == "mydrv_enter"
    assert frames.fault_pc(" IAOQ[1]: mydrv_enter+0xa4/0xd0") is None
    assert frames.fault_pc(" IAOQ[0]: 00000000412cd758") is None  # user mode: the address alone
    assert report.fingerprint_aliases  # version 3 named the caller: its key continues


def test_an_odebug_warning_without_its_file_is_the_odebug_row() -> None:
    # Without CONFIG_DEBUG_BUGVERBOSE, kernel/panic.c __warn prints `at %pS` alone.
    report = analyze(
        "ODEBUG: free active (active state 1) object type: rcu_head hint: (null)\n"
        "------------[ cut here ]------------\n"
        "WARNING: CPU: 1 PID: 2024 at debug_print_object+0xac/0xc8\n"
        "Call trace:\n"
        "[<ffffff80082e2c2c>] debug_print_object+0xac/0xc8\n"
        "[<ffffff80082e40b0>] debug_check_no_obj_freed+0x1e8/0x228\n"
        "[<ffffff8008191254>] kfree+0x1cc/0x250\n"
        "[<ffffff80083cc03c>] mydrv_tty_close+0x54/0x108\n"
    )
    assert report.title == "WARNING: ODEBUG bug in mydrv_tty_close"


# --- lib/refcount.c's WARN message without its `WARNING:` line ------------------------------------------------------

def test_a_refcount_message_quoted_without_its_warning_line_is_the_refcount_warning() -> None:
    # lib/refcount.c refcount_warn_saturate: `WARN_ONCE(1, "refcount_t: " str ".\n")`, as ODEBUG's message is read.
    log = (CORPUS / "edge" / "refcount-message-without-warning-line.log").read_text()
    rep = analyze(log)
    assert (rep.title, rep.kind, rep.function) == ("WARNING: refcount bug in mydrv_node_lookup", "refcount", "mydrv_node_lookup")
    # With its `WARNING:` line the report is that line's, with the same title and key.
    whole = analyze(log.replace(
        "[   54.846981] Modules linked in:",
        "[   54.846000] WARNING: CPU: 0 PID: 6519 at lib/refcount.c:25 refcount_warn_saturate+0x17c/0x1f0\n"
        "[   54.846981] Modules linked in:"))
    assert (whole.title, whole.fingerprint, whole.signature) == (rep.title, rep.fingerprint, "warn-refcount")


def test_a_refcount_message_alone_is_no_report() -> None:
    assert analyze(b"[    1.0] refcount_t: underflow; use-after-free.\n[    1.1] something else\n").title == ""


# --- a fault in a skipped helper whose trace kept only `?` frames: the module's frame is the caller -----------------

_HELPER_FAULT = """\
[  100.000001] BUG: kernel NULL pointer dereference, address: 0000000000000000
[  100.000002] #PF: supervisor read access in kernel mode
[  100.000003] RIP: 0010:_find_first_bit+0x19/0x40
[  100.000004] Call Trace:
[  100.000005]  <IRQ>
[  100.000006]  ? __die+0x20/0x70
[  100.000007]  ? {caller}+0x364/0x380{mod}
[  100.000008]  ? handle_irq_event+0x38/0x60
[  100.000009]  </IRQ>
"""


def test_fault_in_a_helper_with_only_guessed_frames_names_the_module_frame() -> None:
    rep = analyze(_HELPER_FAULT.format(caller="ice_misc_intr", mod=" [ice]").encode())
    assert (rep.title, rep.function) == ("BUG: unable to handle kernel NULL pointer dereference in ice_misc_intr", "ice_misc_intr")


@pytest.mark.parametrize(("pc", "caller", "mod"), [
    ("_find_first_bit+0x19/0x40", "handle_misc_intr", ""),   # no module frame: the `?` frames stay guesses
    ("0xffffffffc0a01234", "ice_misc_intr", " [ice]"),        # a bare PC is the other rule's (the first `?` frame)
])
def test_guessed_frames_outside_a_module_name_no_helper_caller(pc: str, caller: str, mod: str) -> None:
    log = _HELPER_FAULT.replace("_find_first_bit+0x19/0x40", pc).format(caller=caller, mod=mod)
    rep = analyze(log.encode())
    if pc.startswith("_find"):
        assert rep.title.endswith(" in corrupted") and rep.function is None
    else:
        assert rep.function == "ice_misc_intr"


# --- a pasted BUG() fragment, header and PC line and no trace: the function holding the assertion ---------------

_BUG_FRAGMENT = """\
[   60.562154] {header}
[   60.562206] invalid opcode: 0000 [#1] PREEMPT SMP PTI
[   60.562247] CPU: 0 PID: 430 Comm: vmalloc_test/0 Not tainted 4.20.0+ #161
[   60.562351] RIP: 0010:alloc_vmap_area+0x36f/0x390
"""


def test_a_bug_fragment_names_its_pc_though_a_skip_rule_fits_it() -> None:
    rep = analyze(_BUG_FRAGMENT.format(header="kernel BUG at mm/vmalloc.c:512!").encode())
    assert (rep.title, rep.function) == ("kernel BUG in alloc_vmap_area", "alloc_vmap_area")


@pytest.mark.parametrize("log", [
    # a fault whose PC is a skipped helper, no trace: nothing says who called it
    _BUG_FRAGMENT.format(header="BUG: kernel NULL pointer dereference, address: 0000000000000000").replace(
        "invalid opcode: 0000", "Oops: 0000").replace("alloc_vmap_area+0x36f/0x390", "memcpy+0x12/0x20"),
    # a BUG() whose trace is there: the walk passes the allocator to its caller, or names none
    _BUG_FRAGMENT.format(header="kernel BUG at mm/vmalloc.c:512!") + "[   60.562400] Call Trace:\n[   60.562401]  __get_vm_area_node+0x7f/0x160\n",
])  # fmt: skip
def test_other_fragments_keep_the_walk(log: str) -> None:
    assert analyze(log.encode()).function != "alloc_vmap_area"


# --- 32-bit ARM (and arm64 before 4.x): `PC is at` a leaf helper, `LR is at` its caller -------------------------
# arch/arm/kernel/process.c __show_regs prints `PC is at %pS` and `LR is at %pS`; a leaf helper (memcpy) saves no
# frame and returns through LR, so LR names the function that called it, as powerpc's `LR [..] %pS` below `NIP`.

_ARM_LEAF = """\
[   12.000001] Unable to handle kernel NULL pointer dereference at virtual address 0000003b
[   12.000002] Internal error: Oops: 5 [#1] SMP ARM
[   12.000003] PC is at {pc}
[   12.000004] LR is at uart_write+0x74/0x120
[   12.000005] pc : [<c02e6808>]    lr : [<c03747cc>]    psr: 200001d3
"""


def test_an_arm_leaf_helper_pc_names_the_link_register() -> None:
    rep = analyze(_ARM_LEAF.format(pc="memcpy+0x48/0x180").encode())
    assert rep.function == "uart_write"


def test_an_arm_pc_outside_the_skip_lists_is_the_culprit() -> None:
    rep = analyze(_ARM_LEAF.format(pc="serial_xmit+0x48/0x180").encode())
    assert rep.function == "serial_xmit"


# --- kernel/rcu/update.c: a sleep in atomic context through an RCU grace-period wait names the caller ---------

_RCU_GP_SLEEP = """\
[  100.000001] BUG: scheduling while atomic: kworker/0:1/42/0x00000202
[  100.000002] Call Trace:
[  100.000003]  dump_stack_lvl+0x4a/0x80
[  100.000004]  __schedule_bug+0x54/0x70
[  100.000005]  __schedule+0x9c6/0xc40
[  100.000006]  schedule+0x5e/0xd0
[  100.000007]  schedule_timeout+0x12c/0x160
[  100.000008]  wait_for_completion+0x8a/0x160
[  100.000009]  __wait_rcu_gp+0x12c/0x160
[  100.000010]  {sync}+0x6c/0x80
[  100.000011]  mydrv_del_entry+0x55/0x90 [mydrv]
[  100.000012]  mydrv_timer_fn+0x20/0x40 [mydrv]
"""


@pytest.mark.parametrize("sync", ["synchronize_rcu", "synchronize_sched", "synchronize_rcu_expedited", "synchronize_srcu"])
def test_a_sleep_in_an_rcu_grace_period_wait_names_its_caller(sync: str) -> None:
    rep = analyze(_RCU_GP_SLEEP.format(sync=sync).encode())
    assert (rep.title, rep.function) == ("BUG: scheduling while atomic in mydrv_del_entry", "mydrv_del_entry")


@pytest.mark.parametrize("name", ["synchronize_rcu_bh_table", "mydrv_synchronize_rcu", "wait_rcu_gp_state"])
def test_functions_named_like_rcu_waits_are_no_sleeping_primitive(name: str) -> None:
    assert not frames.SLEEPING.match(name)


# --- powerpc quoted without its NIP line: the stack line whose symbol's extent holds the faulting address ---------

_PPC_NO_NIP = """\
[26215.051950] BUG: Kernel NULL pointer dereference on read at 0x00000588
[26215.051952] Faulting instruction address: 0x{fault}
[26215.051957] Oops: Kernel access of bad area, sig: 11 [#1]
[26215.052049] Call Trace:
[26215.052050] [c000000061da6d30] [c00000000020fc10] mydrv_walk_64+0x2d0/0x490 [mydrv] (unreliable)
[26215.052054] [c000000061da6dc0] [c00000000020f92c] mydrv_walk+0x1c/0x30 [mydrv]
[26215.052057] [c000000061da6de0] [c0000000005ab2a0] get_perf_callchain+0x100/0x360
"""


def test_a_ppc_fault_without_nip_names_the_frame_holding_its_address() -> None:
    # mydrv_walk_64 spans c00000000020f940 .. c00000000020fdd0 (c00000000020fc10 - 0x2d0, size 0x490)
    rep = analyze(_PPC_NO_NIP.format(fault="c00000000020fac0").encode())
    assert rep.function == "mydrv_walk_64"


@pytest.mark.parametrize("log", [
    _PPC_NO_NIP.format(fault="c000000000400000"),  # no extent holds the address: the walk's choice
    _PPC_NO_NIP.format(fault="c00000000020fac0").replace(
        "Oops: Kernel", "NIP [c00000000020f920] mydrv_walk+0xc/0x30 [mydrv]\nOops: Kernel"),  # the NIP line names it
])  # fmt: skip
def test_a_ppc_fault_address_outside_the_extents_or_with_a_nip_line_is_not_read(log: str) -> None:
    assert analyze(log.encode()).function == "mydrv_walk"


# --- arm/arm64 before 4.x: `PC is at 0x0` (a call through a NULL function pointer), `LR is at` the caller ----------

_ARM_NULL_PC = """\
[   58.001234] Unable to handle kernel NULL pointer dereference at virtual address 00000000
[   58.002345] Internal error: Oops: 86000005 [#1] PREEMPT SMP
[   58.006653] PC is at {pc}
[   58.009202] LR is at call_timer_fn+0xec/0x1b4
[   58.010000] pc : [<0000000000000000>] lr : [<ffffff80080f0a3c>] pstate: 60000145
[   58.020000] Call trace:
[   58.020100] [<          (null)>]           (null)
[   58.020200] [<ffffff80080f0be8>] expire_timers+0xa0/0x14c
[   58.020300] [<ffffff80080f0d48>] run_timer_softirq+0xe0/0x188
"""


def test_an_arm_null_pc_names_the_link_register_function() -> None:
    rep = analyze(_ARM_NULL_PC.format(pc="0x0").encode())
    assert (rep.function, "null-call in call_timer_fn" in rep.alt_titles) == ("call_timer_fn", True)


def test_an_arm_pc_past_the_first_page_keeps_the_trace() -> None:
    # a wild PC (syzkaller's `PC is at 0x80b0f484`) is no call through NULL: the LR is not read for it
    rep = analyze(_ARM_NULL_PC.format(pc="0x80b0f484").encode())
    assert rep.function != "call_timer_fn"
