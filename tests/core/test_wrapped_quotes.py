"""A report hard-wrapped at 72 columns by its quoter's editor or mailer (tests/core/log_variants.py
`wrapped`) gives the unwrapped report's title, culprit, kind and fingerprint: kcrashd.core.wrapped
joins a line whose printk format cannot end where it breaks, normalize and events the header forms.

Every rule has positive and negative samples; the end-to-end cases are development logs, one per
family (sealed logs are never read)."""

from __future__ import annotations

from functools import cache

import pytest

from kcrashd.core import analyze, wrapped
from kcrashd.core.normalize import load_lines
from tests.core.corpus_score import LOADERS
from tests.core.log_variants import WRAP_COLUMNS, wrap


def test_the_transform_fills_as_an_editor_does() -> None:
    line = "WARNING: CPU: 2 PID: 1131623 at drivers/scsi/qla2xxx/qla_init.c:498 qla2x00_async_adisc_sp_done+0x294/0x2b0 [qla2xxx]"
    # production patches/suse-qla2xxx-ppc64-adisc-warning.txt quotes it so
    assert wrap(False)(line).split("\n") == [
        "WARNING: CPU: 2 PID: 1131623 at drivers/scsi/qla2xxx/qla_init.c:498",
        "qla2x00_async_adisc_sp_done+0x294/0x2b0 [qla2xxx]",
    ]
    assert wrap(True)("  " + line).split("\n")[1].startswith("  qla2x00")
    long_word = "x" * 100
    assert wrap(False)(long_word) == long_word  # no blank before column 72: left long
    assert all(len(ln) <= WRAP_COLUMNS for ln in wrap(False)(" ".join([line] * 3)).split("\n"))


@pytest.mark.parametrize("text", [
    "BUG: KASAN: use-after-free in",  # mm/kasan/report.c `%s in %pS`
    "UBSAN: Undefined behaviour in",  # lib/ubsan.c ubsan_prologue
    "BUG: KCSAN: data-race in find_next_bit /",  # kernel/kcsan/report.c `%pS / %pS`
    "WARNING: CPU: 0 PID: 1 at",  # kernel/panic.c __warn
    "ffff88801d6e0a30 (&mm->mmap_lock){++++}-{3:3}, at:",  # lockdep print_lock
    "INFO: task kworker/u4:5:9381 blocked for more than 143",  # kernel/hung_task.c
    "[Right Redzone overwritten]",  # mm/slub.c check_bytes_and_report since 6.11: the range follows
    "ffff8801e85ebf20 (&(&fs->lock)->rlock){?.+.},",  # lockdep print_lock before `, at: %pS`
    "(sync_timeline_list_lock){?...}-{2:2},",  # the same with the wait types (5.x)
    " #3: ffff88805ffdd0a0",  # lockdep_print_held_locks before print_lock's name
    "-> #1",  # lockdep print_circular_bug_entry before the class's name
    "BUG: KASAN:",  # mm/kasan/report.c `BUG: KASAN: %s in %pS`: the header alone
    "WARNING:",  # kernel/panic.c __warn's header alone
    "INFO: task",  # kernel/hung_task.c `INFO: task %s:%d blocked for more than %ld seconds.` cut after its words
])
def test_a_line_its_format_cannot_end_is_incomplete(text: str) -> None:
    assert wrapped.incomplete(text)


@pytest.mark.parametrize("text", [
    "Modules linked in: kcrashd_lab(OE) 9p fscache",  # a body line
    "usb 1-1: new device found, please plug it in",  # a body line may end with `in`: no header
    "WARNING: CPU: 0 PID: 1 at kernel/sched/core.c:123 f+0x1/0x2",
    "CPU: 1 PID: 1 Comm: init Kdump: loaded Tainted: G",  # ends where the editor cut, not the format
    "Call Trace:",
    "[drm] Redzone overwritten]",  # no slub line: it starts with its own bracketed word
    "Poison overwritten",  # slab_bug's header before 6.11: the line may end here
    "Code: 48 8b 05 e3 19 00 00 [<ffffffff810d6684>]",  # an address not after lockdep's `, at: `
    "sda: sdb1, sdb2,",  # a list's comma, no lock usage `{...}` before it
    "Message #3: ffff88805ffdd0a0",  # `#N: addr` inside a word-led line
    "WARNING: CPU: 0 PID: 13 at kernel/sched/core.c:7244 balance_push+0x1/0x2",  # the whole header
    "mydrv: WARNING:",  # a driver's line that merely ends with the word
    "INFO: task kworker/0:1:12 blocked for more than 120 seconds.",  # the whole header
    "sched: INFO: task",  # not at the line's start
    # Cut after its `%s:%d`, the header is left unjoined: a quote with no trace then names the site on the line
    # below, as the corpus's labels of real wrapped quotes do (patches/suse-nvmet-wq-flush-dependency-warning),
    # where the joined header alone would be `WARNING in corrupted`.
    "WARNING: CPU: 3 PID: 1086 at kernel/workqueue.c:2628",
    "--> #1",
    "BUG: KASAN: use-after-free in f+0x1/0x2",
    "",
])
def test_a_line_its_format_may_end_is_not(text: str) -> None:
    assert not wrapped.incomplete(text)


def test_an_address_without_its_symbol_is_cut_only_in_a_stamped_log() -> None:
    # old __show_regs + print_ip_sym, powerpc show_stack; without CONFIG_KALLSYMS old kernels printed no symbol
    for text in ("[c00000001cdc3b30] [c0080000070704d0]", "NIP [d0000000008cb4dc]", "LR [d0000000008cb4d8]"):
        assert wrapped.continues(text, "logfs_init_inode.isra.6+0x111/0x470", stamped_log=True)
        assert not wrapped.continues(text, "logfs_init_inode.isra.6+0x111/0x470", stamped_log=False)
    # (x86's old RIP line is followed by `RSP:`, never by a bare symbol: that is its cut `%pS` in any log, below)
    assert wrapped.continues("RIP: 0010:[<ffffffff8213c531>]  [<ffffffff8213c531>]",
                             "logfs_init_inode.isra.6+0x111/0x470", stamped_log=True)
    assert not wrapped.continues("Code: 48 8b 05 e3 19 00 00", "logfs_init_inode+0x1/0x2", stamped_log=True)
    # powerpc's register dump line `NIP: %016lx LR: %016lx CTR: %016lx` (numbers, no brackets) is no symbol's address
    assert not wrapped.continues("NIP: d0000000008cb4dc LR: d0000000008cb4d8 CTR:", "c0000000084af4e0", stamped_log=True)
    # s390's PSW: its symbol in parentheses is its rest in any log; with the symbol on the line, and its
    # register rows, it is whole
    psw = "Krnl PSW : 0404c00180000000 0000000000431f8e"
    for stamped in (True, False):
        assert wrapped.continues(psw, "(scsi_alloc_sgtable+0x62/0x7c)", stamped_log=stamped)
    assert not wrapped.continues(psw, "R:0 T:1 IO:0 EX:0 Key:0 M:1 W:0 P:0 AS:3 CC:0", stamped_log=False)
    assert not wrapped.continues(psw, "([<00000000027f8000>] 0x27f8000)", stamped_log=False)


def test_an_arm32_frame_cut_after_its_from_or_its_callers_address_is_joined_in_any_log() -> None:
    # arch/arm/kernel/traps.c dump_backtrace_entry: `[<%08lx>] (%ps) from [<%08lx>] (%pS)` in one printk
    head = "[<bf2581f0>] (wl12xx_set_power_on [wlcore]) from"
    assert wrapped.incomplete(head)
    assert wrapped.continues(head, "[<bf25f7ac>] (wlcore_nvs_cb+0x118/0xa4c [wlcore])", stamped_log=False)
    caller_cut = "[<bf25f7ac>] (wlcore_nvs_cb [wlcore]) from [<c04387ec>]"
    for stamped in (True, False):
        assert wrapped.continues(caller_cut, "(request_firmware_work_func+0x30/0x58)", stamped_log=stamped)
    # Negatives: a whole frame line; prose ending in `from`; a caller's address followed by another frame line.
    assert not wrapped.incomplete("[<c04387ec>] (request_firmware_work_func) from [<c0058e2c>] (process_one_work+0x1b4/0x4b4)")
    assert not wrapped.incomplete("usb 1-1: device descriptor read/64, error -71, retrying from")
    assert not wrapped.continues(caller_cut, "[<c0058e2c>] (process_one_work) from [<c0059168>] (worker_thread+0x3c/0x4a4)",
                                 stamped_log=False)
    assert not wrapped.continues("Krnl PSW : 0404c00180000000 0000000000431f8e (scsi_alloc_sgtable+0x62/0x7c)",
                                 "R:0 T:1 IO:0 EX:0 Key:0 M:1 W:0 P:0 AS:3 CC:0", stamped_log=True)
    assert not wrapped.continues("Krnl GPRS: 000000000c7fff88 000000006ad08600", "000000006e8e2078", stamped_log=True)


def test_the_old_rip_line_cut_before_its_symbol_is_joined_in_any_log() -> None:
    # arch/x86/kernel/process_64.c __show_regs (2.6.x-4.x) `RIP: %04lx:[<%016lx>] ` + printk_address ` [<%p>] %pS`
    rip = "RIP: 0010:[<ffffffffa0467199>]  [<ffffffffa0467199>]"
    for stamped in (False, True):
        assert wrapped.continues(rip, "srp_map_idb+0x199/0x1a0 [ib_srp]", stamped_log=stamped)
        assert wrapped.continues("EIP: 0060:[<c10e2a3b>] [<c10e2a3b>]", "kfree+0x4b/0x90", stamped_log=stamped)
    # what follows the line is no symbol: the line stands
    assert not wrapped.continues(rip, "RSP: 0018:ffff88003a8d3b48  EFLAGS: 00010002", stamped_log=False)
    assert not wrapped.continues(rip, "Call Trace:", stamped_log=False)
    # a frame line ending with an address is no RIP line: unstamped, it stands (the rule above)
    assert not wrapped.continues(" [<ffffffffa04685fa>]", "srp_map_data+0x84a/0x890 [ib_srp]", stamped_log=False)


def test_a_held_locks_instance_takes_the_locks_name() -> None:
    # kernel/locking/lockdep.c print_lock: `%px`, print_lock_name's ` (%s){%s}`, `, at: %pS` in one line
    assert wrapped.continues("ffffffff8cb82a18", "(sync_timeline_list_lock){?...}-{2:2}, at:", stamped_log=True)
    assert not wrapped.continues("ffffffff8cb82a18", "(unreliable)", stamped_log=True)
    assert not wrapped.continues("ffffffff8cb82a18", "Code: 48 8b 05 e3 19 00 00", stamped_log=False)
    assert not wrapped.continues("R13: ffffffff8cb82a18", "(name){+.+.}, at: f+0x1/0x2", stamped_log=False)


def test_a_line_cut_twice_takes_both_rests() -> None:
    from kcrashd.core.normalize import load_lines

    log = ("[  952.359158][T12429] ffffffff8cb82a18\n(sync_timeline_list_lock){?...}-{2:2}, at:\n"
           "sync_info_debugfs_show+0x2d/0x200\n[  952.359159][T12429] {IN-HARDIRQ-W} state was registered at:\n")
    lines, _ = load_lines(log)
    assert lines[0].text == "ffffffff8cb82a18 (sync_timeline_list_lock){?...}-{2:2}, at: sync_info_debugfs_show+0x2d/0x200"
    assert (lines[1].text, lines[2].text) == ("", "")


def test_a_symbol_takes_what_percent_ps_prints_after_it() -> None:
    rip = "RIP: 0010:lab_trigger_rcu_stall_lockup+0x26/0x40"
    assert wrapped.continues(rip, "[kcrashd_lab]", stamped_log=True)
    assert wrapped.continues(" kmem_cache_free+0x1c/0x40", "mm/slub.c:3510 [inline]", stamped_log=False)
    assert wrapped.continues("[c0000] [c0080] qla2x00_abort_all_cmds+0x34/0xd0", "(unreliable)", stamped_log=False)
    # before 4.13 mm/kasan/report.c: `BUG: KASAN: %s in %pS at addr %p`
    kasan = "BUG: KASAN: use-after-free in snd_seq_ioctl_create_port+0x504/0x630"
    assert wrapped.continues(kasan, "[snd_seq] at addr ffff8801f2241cb1", stamped_log=False)
    assert not wrapped.continues(kasan, "[snd_seq] at addr of the port", stamped_log=False)
    # powerpc's next frame, a sentence, another line of the trace: not the rest of this one
    assert not wrapped.continues(rip, "[c00000001cdc3c20] [c00000000055df10] kernfs_fop_write_iter+0x1a0/0x290", stamped_log=False)
    assert not wrapped.continues(rip, "Code: 48 8b 05 e3 19 00 00", stamped_log=True)
    assert not wrapped.continues(rip, "[kcrashd_lab] loaded", stamped_log=True)
    assert not wrapped.continues("CPU: 1 PID: 1 Comm: init", "[kcrashd_lab]", stamped_log=True)


def test_a_header_split_by_the_wrap_is_read_whole() -> None:
    above = "BUG kmalloc-64 (Tainted: G           OE    ): Right"  # mm/slub.c slab_bug
    assert wrapped.splits_header(above, "Redzone overwritten", "Redzone overwritten")
    assert not wrapped.splits_header("WARNING: lkp next initrd broken!", "WARNING: lkp next initrd broken!", "WARNING:")
    assert not wrapped.splits_header("random text:", "Redzone overwritten", "Redzone overwritten")


def test_the_rest_is_no_header_nor_blank() -> None:
    assert wrapped.rest_of("  snd_seq_queue_alloc+0x1c/0x40 ") == "snd_seq_queue_alloc+0x1c/0x40"
    assert wrapped.rest_of("   ") is None
    assert wrapped.rest_of("Kernel panic - not syncing: Fatal exception") is None


@pytest.mark.parametrize("rest", [
    "firmware stopped responding (status 0xc0de0001)",  # a module's panic("%s") message, cut
    "exitcode=0x00000009",  # kernel/exit.c do_exit `Attempted to kill init! exitcode=0x%08x`
    "on unknown-block(0,0)",
])
def test_a_panic_message_takes_a_rest_of_no_kernel_shape(rest: str) -> None:
    assert wrapped.message_continues(rest)


@pytest.mark.parametrize("rest", [
    "CPU: 1 PID: 1 Comm: init Kdump: loaded Tainted: G           OE",  # lib/dump_stack.c
    "Pid: 1, comm: swapper Not tainted 2.6.32",  # the same before 3.x
    "Kernel Offset: 0x2e000000 from 0xffffffff81000000",  # arch/x86 dump_kernel_offset
    "SMP: stopping secondary CPUs",  # arm64 smp_send_stop
    "CPU1: stopping",  # arm ipi_cpu_stop
    "Call Trace:",
    "Rebooting in 86400 seconds..",  # kernel/panic.c panic
    "Shutting down cpus with NMI",  # arch/x86 nmi_shootdown_cpus
    "---[ end Kernel panic - not syncing: Fatal exception ]---",
    " [<ffffffff8100a1b2>] dump_stack+0x19/0x1b",
    "dump_stack_lvl+0x48/0x70",
])
def test_a_panic_message_takes_no_line_the_kernel_prints_after_it(rest: str) -> None:
    assert not wrapped.message_continues(rest.strip())


def _panic_log(stamp: str, below: str) -> str:
    return (f"{stamp}Kernel panic - not syncing: kcrashd_lab: adapter\n{below}\n"
            f"{stamp}CPU: 1 PID: 1 Comm: init Tainted: G OE 5.10.0-46-amd64 #1\n"
            f"{stamp}Call Trace:\n{stamp} dump_stack+0x6b/0x83\n{stamp} panic+0x101/0x2d7\n"
            f"{stamp} lab_trigger_panic+0x1a/0x20 [kcrashd_lab]\n")


@pytest.mark.parametrize("stamp", ["[   12.668105] ", ""])
def test_a_panic_message_cut_by_the_wrap_is_titled_whole(stamp: str) -> None:
    rep = analyze(_panic_log(stamp, "firmware stopped responding (status 0xc0de0001)").encode())
    assert rep.title == "kernel panic: kcrashd_lab: adapter firmware stopped responding (status ADDR)"


def test_a_panic_message_is_not_joined_with_the_next_kernel_line() -> None:
    below = "[   12.669107] Kernel Offset: 0x2e000000 from 0xffffffff81000000"
    assert analyze(_panic_log("[   12.668105] ", below).encode()).title == "kernel panic: kcrashd_lab: adapter"
    # a stamped line below is the kernel's own, whatever its text
    below = "[   12.669107] firmware stopped responding"
    assert analyze(_panic_log("[   12.668105] ", below).encode()).title == "kernel panic: kcrashd_lab: adapter"


def test_a_stamped_panic_line_takes_no_user_space_line_in_a_console_log() -> None:
    # a console capture (lines past 80 columns): the line below the panic is user space's
    log = _panic_log("[   12.668105] ", "[  OK  ] Reached target Multi-User System.").replace(
        "#1\n", "#1 Debian 5.10.262-1 (2025-01-01) Hardware name: QEMU Standard PC\n")
    assert analyze(log.encode()).title == "kernel panic: kcrashd_lab: adapter"
    assert not wrapped.filled(log.split("\n"))
    assert wrapped.filled(_panic_log("[   12.668105] ", "firmware").split("\n"))


def test_init_killed_with_its_exit_code_below_is_init_exited() -> None:
    log = ("[    4.000000] Kernel panic - not syncing: Attempted to kill init!\nexitcode=0x00000000\n"
           "[    4.000001] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0-56-amd64 #1\n[    4.000002] Call Trace:\n"
           "[    4.000003]  dump_stack_lvl+0x44/0x5c\n[    4.000004]  panic+0x10c/0x2ee\n[    4.000005]  do_exit.cold+0x15/0x15\n")
    assert analyze(log.encode()).kind == "init-exit"


# Stamped kernel lines that end at column 72 as printed, each followed by a line user space wrote
# to the same console: complete formats, so nothing is joined.
_STAMPED = (
    "[   21.100000] RIP: 0010:lab_trigger_soft_lockup_for_a_while+0x26/0x4000\n"
    "Debian GNU/Linux 12 buildhost-07 ttyS0\n"
    "[   21.100001] usb 1-1: new high-speed USB device number 2 using ehci-pci\n"
    "[kcrashd_lab] loaded\n"
)


def test_a_stamped_line_that_merely_ends_at_column_72_is_not_joined() -> None:
    from kcrashd.core.normalize import load_lines

    lines, _ = load_lines(_STAMPED * 3)
    assert len(_STAMPED.split("\n")[0]) == 72
    assert [lines[i].text for i in range(4)] == [
        "RIP: 0010:lab_trigger_soft_lockup_for_a_while+0x26/0x4000", "Debian GNU/Linux 12 buildhost-07 ttyS0",
        "usb 1-1: new high-speed USB device number 2 using ehci-pci", "[kcrashd_lab] loaded"]


def test_a_stamped_kasan_header_wrapped_before_its_function_is_joined() -> None:
    from kcrashd.core.normalize import load_lines

    log = ("[   10.000000][ T100] BUG: KASAN: use-after-free in\n"
           "snd_seq_queue_alloc+0x1c/0x40\n"
           "[   10.000001][ T100] Read of size 8 at addr ffff88801d6e0a30 by task a/100\n")
    lines, _ = load_lines(log)
    assert lines[0].text == "BUG: KASAN: use-after-free in snd_seq_queue_alloc+0x1c/0x40"
    assert lines[1].text == ""


# One development log per family: (corpus, case) whose wrapped quote the old code read otherwise.
FAMILIES = {
    "KASAN header cut before its function (` in`)": ("syzkaller", "report-8"),
    "old RIP `[<addr>]` with the symbol on the next line": ("syzkaller", "report-13"),
    "lockdep `, at:` with the acquire site below": ("syzkaller", "report-31"),
    "hung task header cut before `seconds.`, panic literal cut": ("syzkaller", "report-419"),
    "panic literal `stack-protector: Kernel` cut (signature row)": ("lab", "deb11-5.10_stack-protector_run1/console.log"),
    "slab_bug header literal split (`Right` / `Redzone overwritten`)": ("lab", "deb11-5.10_slub-redzone_run1/console.log"),
    "RIP's `[module]` on the next line": ("lab", "deb11-5.10_rcu-stall-lockup_run1/console.log"),
    "powerpc frame's symbol below its two addresses": ("lab", "deb12-6.1-ppc64el_double-free_run1/console.log"),
    "a module's free-text panic message cut": ("lab", "deb11-5.10_panic_run4/console.log"),
    "init's exit code moved below (`exitcode=`)": ("lab", "deb12-6.1-rt_init-exit_run2/console.log"),
    "slub's `[Right Redzone overwritten]` cut before its range (6.11+)": ("lab", "deb13-6.12_slub-redzone_run1/console.log"),
    "lockdep lock usage `{?.+.},` with `at:` below": ("syzkaller", "report-666"),
    "lockdep instance alone, name and site on two lines below": ("syzkaller", "report-678"),
    "lockdep held lock ` #3: addr` and chain `-> #1` cut": ("syzkaller", "report-466"),
    "old KASAN `[module] at addr %p` below its function": ("production", "patches/deepin-alsa-seq-create-port-kasan.txt"),
    "`BUG: KASAN:` alone, its bug type and ` at` / `addr` below": ("syzkaller", "report-164"),
    "s390 PSW's ` (%pSR)` below its two words (stamped)": ("production", "abrt/oops10_s390x.txt"),
    "s390 PSW's ` (%pSR)` below its two words (unstamped)": ("production", "satyr/rhbz-1040900-s390x-2.txt"),
    "powerpc `NIP [%px]` with its symbol below (stamped)": ("production", "abrt/oops9_ppc64.txt"),
    "syslog line left only its prefix and printk time, its message below": ("production", "hotsos/kernlog-calltrace-fanotify.txt"),
    "2.6-4.x held lock `, at: [<addr>]` with its symbol below (unstamped)": ("production", "abrt/oops2.txt"),
}


@cache
def _dev_log(corpus: str, case_id: str) -> bytes:
    for case in LOADERS[corpus]():
        if case.id == case_id and not case.sealed:
            return case.log()
    pytest.skip(f"{corpus}/{case_id} is not a development log")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_wrapped_quote_gives_the_report_of_the_log(family: str) -> None:
    data = _dev_log(*FAMILIES[family])
    quoted = wrap(False)(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
    want, got = analyze(data), analyze(quoted)
    assert (got.title, got.function, got.kind, got.fingerprint) == (want.title, want.function, want.kind, want.fingerprint)


def test_a_gpf_header_cut_before_its_count_is_joined() -> None:
    from kcrashd.core.wrapped import continues, incomplete
    assert incomplete("general protection fault, probably for non-canonical")
    assert continues("general protection fault, probably for non-canonical",
                     "address 0xdffffc0000000000: 0000 [#1] PREEMPT SMP KASAN NOPTI", stamped_log=False)
    assert not incomplete("general protection fault, probably for non-canonical address 0xdffffc0000000000: 0000 [#1] SMP")
    assert not incomplete("traps: a.out[123] general protection fault ip:7f00 sp:7ffd error:0 in libc.so.6")


def test_a_kasan_range_note_cut_before_its_range_is_joined() -> None:
    from kcrashd.core.wrapped import continues, incomplete
    assert continues("KASAN: null-ptr-deref in range", "[0x00000000000000f0-0x00000000000000f7]", stamped_log=True)
    assert not incomplete("KASAN: null-ptr-deref in range [0x00000000000000f0-0x00000000000000f7]")
    assert not incomplete("mydrv: value out of range")


@pytest.mark.parametrize("head, rest", [
    ("BUG: unable to handle kernel", "NULL pointer dereference at 00000004"),
    ("BUG: unable to handle kernel NULL", "pointer dereference at 00000000"),
    ("BUG: unable to handle kernel NULL pointer", "dereference at 0000000000000008"),
    ("BUG: unable to handle kernel", "paging request at ffffc90000a3c000"),
])
def test_an_x86_fault_header_cut_between_its_printks_is_joined(head: str, rest: str) -> None:
    from kcrashd.core.wrapped import continues, may_continue
    assert may_continue(head) and continues(head, rest, stamped_log=False)
    log = f"{head}\n{rest}\nIP: [<f9987205>] mydrv_ioctl+0x8/0x13 [mydrv]\nOops: 0000 [#1] SMP\n"
    assert analyze(log).title.startswith("BUG: unable to handle kernel ")
    assert analyze(log).kind in ("null-deref", "paging-fault")


def test_an_x86_fault_header_takes_no_other_line() -> None:
    from kcrashd.core.wrapped import continues
    # Negatives: the register line below a header cut short, another word, and a header already whole.
    assert not continues("BUG: unable to handle kernel", "IP: [<f9987205>] mydrv_ioctl+0x8/0x13", stamped_log=False)
    assert not continues("BUG: unable to handle kernel NULL", "mydrv: probe failed", stamped_log=False)
    assert not continues("BUG: unable to handle kernel NULL pointer dereference at 00000004", "mydrv", stamped_log=False)


def test_a_die_headers_flags_wrapped_below_it_are_its_rest() -> None:
    from kcrashd.core.wrapped import continues, may_continue
    head = "general protection fault, probably for non-canonical address 0xdffffc000000001e: 0000 [#1] PREEMPT SMP KASAN"
    assert may_continue(head) and continues(head, "NOPTI", stamped_log=True)
    assert not continues(head, "NOPTI is the default", stamped_log=True)
    assert not continues("mydrv: flags [#1] set", "NOPTI", stamped_log=True)


def test_a_held_lock_line_cut_after_its_address_is_read_from_the_next_line() -> None:
    from kcrashd.core import culprit
    # kernel/lockdep.c print_lock (2.6-4.x): ` (name){....}, at: [<%p>] %pS`, the symbol past column 72
    assert culprit._AT_ADDRESS_EOL.search(" (s_active){++++.+}, at: [<ffffffff81177332>]")
    assert culprit._AT_ADDRESS_EOL.search(" #3:  (dbs_mutex){+.+.+.}, at: [<ffffffffa012cda2>] ")
    # Negatives: the symbol kept on the line, lockdep's `at:` alone (read as ever), another address.
    assert not culprit._AT_ADDRESS_EOL.search(" (s_active){++++.+}, at: [<ffffffff81177332>] sysfs_addrm_finish+0x36/0x55")
    assert not culprit._AT_ADDRESS_EOL.search("fio/17706 is trying to release lock (&q->lock) at:")
    assert not culprit._AT_ADDRESS_EOL.search("RIP: 0010:[<ffffffff8213c531>]  [<ffffffff8213c531>]")


def test_a_held_lock_line_cut_after_its_address_keeps_version_3s_key() -> None:
    from kcrashd.core.fingerprint import fingerprint_title
    data = _dev_log("production", "abrt/oops2.txt")
    quoted = wrap(False)(data.decode("utf-8", "surrogateescape"))
    got = analyze(quoted.encode("utf-8", "surrogateescape"))
    assert got.function == "cpufreq_governor_dbs"
    # Version 3 read none of the cut held-lock lines: it titled the quote `in corrupted`.
    v3 = "kc3-" + fingerprint_title("possible deadlock in corrupted").split("-", 1)[1]
    assert v3 in got.fingerprint_aliases


def test_a_syslog_line_left_only_its_prefix_takes_the_prefixless_line_below() -> None:
    from kcrashd.core.normalize import load_lines

    prefix = "Feb  4 15:40:27 host kernel: [ 1920.26175{}]"
    log = "\n".join([
        prefix.format(1) + " Call Trace:", prefix.format(2), "[<ffffffff8185cb45>] schedule+0x35/0x80",
        prefix.format(3) + " wait_for_completion+0x1/0x2", "a prefix-less line below a whole one",
        prefix.format(4), prefix.format(5) + " after an empty record",
        "Feb  4 15:40:28 host systemd[1]: Started foo.", prefix.format(6), "",
    ])
    lines = load_lines(log)[0]
    texts = [lines[i].text for i in range(len(lines))]
    assert texts[1] == "[<ffffffff8185cb45>] schedule+0x35/0x80" and texts[2] == ""
    # Negatives: a line below a kernel line with a message of its own stays a line; a record that is empty
    # with a prefixed line below stays empty; so does one at a blank line.
    assert texts[4] == "a prefix-less line below a whole one"
    assert texts[5] == "" and texts[6] == "after an empty record"
    assert texts[8] == ""


# --- a syslog quote filled to a column (normalize.LogLines._syslog_rest_below) ---------------------------------
_JOURNAL = (
    "Dec 03 15:31:00 host-07 kernel: BUG: unable to handle kernel NULL pointer dereference at 0000000000000008\n"
    "Dec 03 15:31:00 host-07 kernel: Oops: 0000 [#1] SMP PTI\n"
    "Dec 03 15:31:00 host-07 kernel: CPU: 3 PID: 4242 Comm: modprobe Tainted: G OE 5.14.0-70.el9.x86_64 #1\n"
    "Dec 03 15:31:00 host-07 kernel: RIP: 0010:mydrv_probe_one_channel+0x2a/0x1c0 [mydrv]\n"
    "Dec 03 15:31:00 host-07 kernel: Call Trace:\n"
    "Dec 03 15:31:00 host-07 kernel:  mydrv_probe+0x42/0x80 [mydrv]\n"
    "Dec 03 15:31:00 host-07 kernel:  local_pci_probe+0x42/0x80\n"
    "Dec 03 15:31:00 host-07 kernel:  pci_device_probe+0xfd/0x1b0\n"
)


def test_a_filled_journal_quote_is_read_as_its_lines() -> None:
    filled = wrap(False)(_JOURNAL)
    assert max(len(line) for line in filled.splitlines()) <= WRAP_COLUMNS < len(_JOURNAL.splitlines()[0])
    report = analyze(filled)
    assert report.title == analyze(_JOURNAL).title == (
        "BUG: unable to handle kernel NULL pointer dereference in mydrv_probe_one_channel")
    assert report.kernel_release == "5.14.0-70.el9.x86_64"


def test_the_quoters_own_line_below_a_short_syslog_line_is_not_joined() -> None:
    # A line the fill broke reaches near the fill column (72 here): one 32 columns short of it was whole.
    lines = load_lines(
        "Dec 03 15:31:00 host-07 kernel: up\n"
        "echo 1 > /sys/kernel/config/target/qla2xxx/enable\n"
        "Dec 03 15:31:00 host-07 kernel: Call Trace:\n"
        "Dec 03 15:31:00 host-07 kernel:  local_pci_probe+0x42/0x80 [mydrv_xyz]\n"
    )[0]
    assert lines.filled_from > len("Dec 03 15:31:00 host-07 kernel: up")
    assert [lines[i].text for i in range(2)] == ["up", "echo 1 > /sys/kernel/config/target/qla2xxx/enable"]


def test_a_syslog_file_of_long_lines_is_not_filled() -> None:
    long_line = "Dec 03 15:31:00 host-07 kernel: " + "x" * 120
    lines = load_lines(f"{long_line}\nDec 03 15:31:00 host-07 kernel: short\nnot a rest\n")[0]
    assert lines.filled_from == 0 and lines[2].text == "not a rest"


@pytest.mark.parametrize(("text", "whole"), [
    ("kernel:  local_pci_probe+0x42/0x80", True),
    ("kernel:  mydrv_probe+0x2a/0x1c0 [mydrv]", True),
    ("kernel:  sk_alloc+0x1/0x2 net/core/sock.c:1419", True),
    ("kernel:  #0:  (&buffer->mutex){+.+.+.}, at:", False),
    ("kernel:  [<ffffffff81175edb>]", False),
    ("kernel: BUG: unable to handle kernel NULL pointer", False),
])  # fmt: skip
def test_a_line_ending_in_a_whole_symbol_was_not_broken(text: str, whole: bool) -> None:
    assert wrapped.ends_whole_symbol(text) is whole


def test_fill_breaks_from_the_quotes_width_less_its_widest_word() -> None:
    quote = ["Dec 03 15:31:00 host-07 kernel: " + "w " * 20, "Dec 03 15:31:00 host-07 kernel: up"]
    assert wrapped.fill_breaks_from(quote) == len(quote[0].rstrip()) - 32
    assert wrapped.fill_breaks_from([*quote, "Dec 03 15:31:00 host-07 kernel: " + "x " * 40]) == 0  # not filled
    assert wrapped.fill_breaks_from(["short"]) == 0


def test_a_warn_header_cut_before_its_site_takes_the_symbol_below_only_in_a_stamped_log() -> None:
    # kernel/panic.c __warn `WARNING: CPU: %d PID: %d at %s:%d %pS`: in a stamped log the unstamped `%pS` below is the
    # rest a quote's wrap cut, or the report would lose its site (tests/core/test_warn_site.py).
    cut = "WARNING: CPU: 10 PID: 1589 at kernel/irq/manage.c:1913"
    assert wrapped.continues(cut, "free_irq+0x318/0x360", stamped_log=True)
    assert wrapped.continues(cut, "mydrv_stop+0x18/0x60 [mydrv]", stamped_log=True)
    # A header longer than the end the other joins look at (a deep driver path) is read whole.
    deep = "WARNING: CPU: 10 PID: 1589 at drivers/net/wireless/broadcom/brcm80211/brcmfmac/" + "sub/" * 12 + "fweh.c:312"
    assert len(deep) > 120 and wrapped.continues(deep, "brcmf_fweh_detach+0xbc/0xd0 [brcmfmac]", stamped_log=True)
    # Negative: unstamped, the line below stays a line of its own; a rest that is no symbol is not the site.
    assert not wrapped.continues(cut, "free_irq+0x318/0x360", stamped_log=False)
    assert not wrapped.continues(cut, "Modules linked in: mydrv", stamped_log=True)
    assert not wrapped.continues("WARNING: CPU: 10 PID: 1589 at kernel/irq/manage.c:1913 free_irq+0x318/0x360",
                                 "mydrv_stop+0x18/0x60", stamped_log=True)


@pytest.mark.parametrize(
    ("header", "below", "joined"),
    [
        # kernel/panic.c __warn prints `at %s:%d %pS` on one line: a header ending at `%s:%d` over a `%pS` alone was cut
        ("WARNING: CPU: 1 PID: 51 at kernel/dma/debug.c:568", "add_dma_entry+0x234/0x2f4", True),
        ("WARNING: CPU: 3 PID: 1048 at fs/proc/generic.c:722", "  .remove_proc_entry+0x20c/0x220", True),
        ("WARNING: CPU: 3 PID: 1048 at fs/proc/generic.c:722", "remove_proc_entry+0x20c/0x220 [mod]", True),
        # a header that kept its site, a line below that is more than a symbol, or no symbol at all
        ("WARNING: CPU: 1 PID: 51 at kernel/dma/debug.c:568 add_dma_entry+0x234/0x2f4", "debug_dma_map_sg+0x1/0x2", False),
        ("WARNING: CPU: 1 PID: 51 at kernel/dma/debug.c:568", "Modules linked in: mmci", False),
        ("WARNING: CPU: 1 PID: 51 at kernel/dma/debug.c:568", "add_dma_entry+0x234/0x2f4 debug_dma_map_sg+0x1/0x2", False),
    ],
)
def test_an_unstamped_warning_header_cut_before_its_site_is_joined(header: str, below: str, joined: bool) -> None:
    assert wrapped.warn_site_below(header, below.strip()) is joined
