"""scripts/decode_stacktrace.sh's output read like the kernel's own: every `sym+0x1/0x2` it decodes becomes
`sym (file.c:N)`, in a trace with its 2.6-4.x address column kept, in the faulting-PC line and in lockdep's
`at:` lines (kcrashd.core.frames._DECODED_FRAME, FAULT_PC, culprit._AT_LINE).  Invariance transform `decoded`
(tests/core/log_variants.py) measures it over the development logs."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
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
