"""scripts/decode_stacktrace.sh's output read like the kernel's own: every `sym+0x1/0x2` it decodes becomes
`sym (file.c:N)`, in a trace with its 2.6-4.x address column kept, in the faulting-PC line and in lockdep's
`at:` lines (kcrashd.core.frames._DECODED_FRAME, FAULT_PC, culprit._AT_LINE).  Invariance transform `decoded`
(tests/core/log_variants.py) measures it over the development logs."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze, culprit
from kcrashd.core.frames import fault_pc, parse_frames
from tests.core.log_variants import decoded


@pytest.mark.parametrize(("line", "fn", "reliable"), [
    (" [<ffffffff811cf4ce>] alloc_pipe_info (fs/pipe.c:3455)", "alloc_pipe_info", True),
    (" [<ffffffff8108a6d5>] ? __lock_acquire (kernel/locking/lockdep.c:3123)", "__lock_acquire", False),
    (" [<f7a755ee>] dma_free_coherent (drivers/base/dma.c:23) [firewire_ohci]", "dma_free_coherent", True),
    (" futex_lock_pi (kernel/futex.c:2740)", "futex_lock_pi", True),
])
def test_a_decoded_frame_with_or_without_its_address_is_a_frame(line: str, fn: str, reliable: bool) -> None:
    (frame,) = parse_frames(line)
    assert (frame.function, frame.reliable) == (fn, reliable)


@pytest.mark.parametrize("line", [
    " [<ffffffff811cf4ce>] alloc_pipe_info and more text",  # no position
    " [<ffffffff811cf4ce>] (fs/pipe.c:3455)",  # no symbol
    "mydrv: probe of 0000:00:1f.0 (drivers/x.c:1) failed",  # text, not a trace line
])
def test_lookalikes_of_a_decoded_frame_are_not_frames(line: str) -> None:
    assert parse_frames(line) == ()


@pytest.mark.parametrize(("line", "fn"), [
    ("RIP: 0010:[<ffffffffb3e68c04>]  [<ffffffffb3e68c04>] setup_udp_tunnel_sock (net/ipv4/udp_tunnel.c:76)",
     "setup_udp_tunnel_sock"),
    ("RIP: 0010:ext4_write_info (fs/ext4/super.c:6210)", "ext4_write_info"),
    ("EIP: balance_push (kernel/sched/core.c:7244 (discriminator 13))", "balance_push"),
    ("RIP: 0010:ext4_write_info+0x53/0x1b0", "ext4_write_info"),
])
def test_a_decoded_faulting_pc_line_names_its_function(line: str, fn: str) -> None:
    assert fault_pc(line) == fn


def test_a_pc_label_without_a_symbol_is_no_pc_line() -> None:
    assert fault_pc("RIP: 0010:0x7f3c1b2e5740 (user space)") is None
    assert fault_pc("the IP (kernel/x.c:1) of a driver message") is None


_OOPS = """\
[   22.723585] BUG: unable to handle kernel NULL pointer dereference at 000000000000043f
[   22.724817] IP: [<ffffffffb3e68c04>] setup_udp_tunnel_sock+0x14/0x90
[   22.726638] Oops: 0002 [#1] PREEMPT SMP
[   22.726638] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 4.8.0-rc1 #1
[   22.729677] RIP: 0010:[<ffffffffb3e68c04>]  [<ffffffffb3e68c04>] setup_udp_tunnel_sock+0x14/0x90
[   22.730958] RSP: 0000:ffff8ae5d494fd98  EFLAGS: 00010282
[   22.744096] Call Trace:
[   22.744483]  [<ffffffffb3c45b28>] rxe_net_ipv4_init+0x68/0x90
[   22.745176]  [<ffffffffb3c4537a>] ? rxe_notify+0x2a/0x90
[   22.745947]  [<ffffffffb3c45b60>] rxe_net_init+0x10/0x50
[   22.746723]  [<ffffffffb48049fb>] do_one_initcall+0x4b/0x190
"""

_LOCKDEP = """\
[ 1226.811046] ======================================================
[ 1226.811047] WARNING: possible circular locking dependency detected
[ 1226.811050] 4.19.0 #1 Not tainted
[ 1226.811051] ------------------------------------------------------
[ 1226.811053] kworker/1:2/402 is trying to acquire lock:
[ 1226.811055] 00000000a8e0b7b1 (&dev->lock){+.+.}, at: mydev_reset+0x2f/0x90 [mydev]
[ 1226.811060] but task is already holding lock:
[ 1226.811062] 000000008f3b2c44 (&hw->mutex){+.+.}, at: mydev_work+0x41/0x120 [mydev]
[ 1226.811066] which lock already depends on the new lock.
[ 1226.811070] stack backtrace:
[ 1226.811073] CPU: 1 PID: 402 Comm: kworker/1:2 Not tainted 4.19.0 #1
[ 1226.811075] Call Trace:
[ 1226.811080]  dump_stack+0x5c/0x7b
[ 1226.811084]  __lock_acquire+0x1257/0x1350
[ 1226.811088]  lock_acquire+0x95/0x190
[ 1226.811092]  __mutex_lock+0x7b/0x8f0
[ 1226.811096]  mydev_reset+0x2f/0x90 [mydev]
[ 1226.811100]  mydev_work+0x5e/0x120 [mydev]
[ 1226.811104]  process_one_work+0x23c/0x5d0
"""


@pytest.mark.parametrize("log", [_OOPS, _LOCKDEP])
def test_a_decoded_report_keeps_the_reports_title_and_key(log: str) -> None:
    plain, dec = analyze(log.encode()), analyze(decoded(log).encode())
    assert "corrupted" not in plain.title
    assert (dec.title, dec.function, dec.fingerprint) == (plain.title, plain.function, plain.fingerprint)


# scripts/decode_stacktrace.sh handle_line decodes a line's last word only (or the word before a `[mod]`, printed
# after the position without its brackets); parse_symbol drops the parentheses around it.
@pytest.mark.parametrize(("line", "want"), [
    (" ipv6_rcv+0xf37/0x1fa0", " ipv6_rcv (kernel/unit30.c:2320)"),
    ("RIP: 0010:free_unref_page_list+0x105/0x170", "RIP: 0010:free_unref_page_list (kernel/unit6.c:3011)"),
    (" [<0>] sev_unpin_memory+0x2c/0x50 [kvm_amd]", " [<0>] sev_unpin_memory (kernel/unit15.c:2302) kvm_amd"),
    ("[<8030ab10>] (f) from [<7f5e9eb8>] (g+0x440/0x458 [ath11k])", "[<8030ab10>] (f) from [<7f5e9eb8>] g (kernel/unit76.c:1879) ath11k"),
    ("WARNING: at kernel/watchdog.c:245 watchdog_overflow_callback+0x9c/0xd0()",
     "WARNING: at kernel/watchdog.c:245 watchdog_overflow_callback (kernel/unit37.c:2588)"),
    # the last word is no symbol: the script leaves the `%pS` inside the line as it is
    ("INFO: Allocated in mpol_new+0xa3/0x140 age=46310 cpu=6 pid=32154", None),
    ("BUG: KASAN: use-after-free in f+0x504/0x630 [snd_seq] at addr ffff88006b3e9d80", None),
])
def test_the_transform_decodes_what_decode_stacktrace_decodes(line: str, want: str | None) -> None:
    assert decoded(line) == (line if want is None else want)


@pytest.mark.parametrize(("line", "fns"), [
    ("[<c07c5668>] (_raw_spin_lock_irqsave) from [<bf13209c>] crypto_transfer_request (drivers/crypto/crypto_engine.c:22) crypto_engine",
     ("_raw_spin_lock_irqsave", "crypto_transfer_request")),
    ("(memset) from n_tty_set_termios (drivers/tty/n_tty.c:1835)", ("memset", "n_tty_set_termios")),
    (" [<0>] sev_unpin_memory (arch/x86/kvm/svm/sev.c:430) kvm_amd", ("sev_unpin_memory",)),
    ("    [<(____ptrval____)>] unpack_to_rootfs (init/initramfs.c:480)", ("unpack_to_rootfs",)),
    ("[c00000000d05bab0] [c008000001b0a930] do_reset.isra.40 (drivers/net/ethernet/ibm/ibmvnic.c:1900) ibmvnic", ("do_reset",)),
    ("  <<EOE>>  [<ffffffff810944f0>] account_idle_ticks (kernel/sched/cputime.c:501)", ("account_idle_ticks",)),
])
def test_decoded_frames_of_every_address_column_and_arm32_are_read(line: str, fns: tuple[str, ...]) -> None:
    assert tuple(f.function for f in parse_frames(line)) == fns


@pytest.mark.parametrize("line", [
    "[<c07c5668>] (f) from [<bf13209c>] somewhere else entirely",  # no position after the caller
    "mydrv: reset from userspace (drivers/x.c:1) failed",  # text with ` from ` and a position
    "    [<(____ptrval____)>] (init/initramfs.c:480)",  # no symbol
])
def test_lookalikes_of_decoded_arm_and_address_forms_are_no_frames(line: str) -> None:
    assert parse_frames(line) == ()


def test_a_decoded_s390_psw_names_its_function() -> None:
    assert fault_pc("Krnl PSW : 0404c00180000000 0000000000431f8e scsi_alloc_sgtable (drivers/scsi/scsi_lib.c:1043)") == \
        "scsi_alloc_sgtable"
    assert fault_pc("Krnl PSW : 0404c00180000000 0000000000431f8e (0x431f8e)") is None


_KASAN_DECODED = """\
==================================================================
BUG: KASAN: slab-use-after-free in bfqq_group (block/bfq-cgroup.c:601)
Read of size 8 at addr ffff888106a46bd0 by task fio/1100

CPU: 2 PID: 1100 Comm: fio Not tainted 6.6.0 #1
Call Trace:
 <TASK>
 dump_stack_lvl (lib/dump_stack.c:107)
 print_report (mm/kasan/report.c:475)
 kasan_report (mm/kasan/report.c:590)
 bfqq_group (block/bfq-cgroup.c:601)
 bfq_limit_depth (block/bfq-iosched.c:704)
 __blk_mq_alloc_requests (block/blk-mq.c:504)
"""

_PREEMPT_DECODED = """\
[   84.603374] BUG: using __this_cpu_read() in preemptible [00000000] code: swapper/0/1
[   84.603374] caller is lockdep_hardirqs_on_prepare (kernel/locking/lockdep.c:4297)
[   84.605000] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 5.10.0 #1
"""


def test_a_headers_decoded_symbol_leaves_the_title_as_the_undecoded_one() -> None:
    rep = analyze(_KASAN_DECODED.encode())
    assert (rep.title, rep.function) == ("KASAN: slab-use-after-free Read in bfqq_group", "bfqq_group")
    assert "(" not in analyze(_KASAN_DECODED.replace("Read of size", "Hmm of size").encode()).title


def test_a_decoded_caller_line_names_the_caller() -> None:
    assert analyze(_PREEMPT_DECODED.encode()).function == "lockdep_hardirqs_on_prepare"


@pytest.mark.parametrize(("name", "line", "hit"), [
    ("_PPC_LR", "LR [c008000001b00c18] ibmvnic_reset_crq (drivers/net/ethernet/ibm/ibmvnic.c:5380) ibmvnic", True),
    ("_LINK_REGISTER", "lr : __gsi_channel_start (drivers/net/ipa/gsi.c:707)", True),
    ("_PC_IS_AT", "EIP is at do_page_fault (arch/x86/mm/fault.c:1200)", True),
    ("_IRQ_ENTRY", " apic_timer_interrupt (arch/x86/entry/entry_64.S:795)", True),
    ("_IN_MODULE", "RIP: 0010:lab_trigger_soft_lockup (drivers/misc/lab.c:40) kcrashd_lab", True),
    ("_IN_MODULE", "RIP: 0010:lab_trigger_soft_lockup (drivers/misc/lab.c:40) [kcrashd_lab]", True),
    ("_IN_MODULE", "RIP: 0010:native_safe_halt (arch/x86/include/asm/irqflags.h:48)", False),
    ("_PPC_LR", "LR [c008000001b00c18] ibmvnic_reset_crq and more", False),
    ("_IRQ_ENTRY", " apic_timer_interrupt handled (late)", False),
])
def test_register_and_entry_lines_read_a_decoded_symbol(name: str, line: str, hit: bool) -> None:
    assert (getattr(culprit, name).search(line) is not None) == hit
